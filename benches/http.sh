#!/usr/bin/env bash
# What a request costs, and what the sign-in check adds: wrk against a release build of
# `peiyu serve` on loopback, with its private PostgreSQL.
#   /healthz                   no credentials, no database
#   /readyz                    no credentials, one pooled database round trip (SELECT 1)
#   /api/v1/tiers              the auth gate alone: JWT check, account and streets queries
#   /api/v1/enterprises/{id}   the auth gate and one primary-key read
# The gate's cost is the gap between /readyz and /api/v1/tiers (both one trip to the
# blocking pool). wrk and the server share this machine's cores.
# Usage: benches/http.sh [seconds per endpoint, default 10] [connections, default 32]
#   PEIYU_BIN=path/to/peiyu benches/http.sh   measures that binary (say, another commit's)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 1; }

bin=${PEIYU_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/peiyu
fi
dir=$(mktemp -d /tmp/peiyu-bench-XXXXXX)
chmod 755 "$dir"
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
export PEIYU_DATA_DIR=$dir PEIYU_BIND=127.0.0.1:18080 RUST_LOG=warn
unset DATABASE_URL
echo 'loopback-only-2026' | "$bin" user create --username bench --role admin --password-stdin >/dev/null
"$bin" serve &
server=$!
base=http://$PEIYU_BIND
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"loopback-only-2026"}' | jq -r .access_token)
auth="Authorization: Bearer $token"
post() { curl -sf "$base/api/v1/$1" -H "$auth" -H 'content-type: application/json' -d "$2"; }
district=$(post regions '{"name":"宝安区","code":"baoan","kind":"district"}' | jq -r .id)
street=$(post regions "{\"name\":\"新安街道\",\"code\":\"xinan\",\"kind\":\"street\",\"parent_id\":\"$district\"}" | jq -r .id)
enterprise=$(post enterprises "{\"uscc\":\"91110108551385082Q\",\"name\":\"小米科技有限责任公司\",\"street_id\":\"$street\"}" | jq -r .id)

printf '%-28s %12s %10s %10s\n' endpoint requests/s p50 p99
for path in /healthz /readyz /api/v1/tiers "/api/v1/enterprises/$enterprise"; do
  out=$(wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"${seconds}s" --latency -H "$auth" "$base$path")
  if grep -q "Non-2xx" <<<"$out"; then echo "$path: $(grep Non-2xx <<<"$out")" >&2; curl -s -H "$auth" "$base$path" | head -c 300 >&2; echo >&2; fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  label=$path
  [[ $path == /api/v1/enterprises/* ]] && label=/api/v1/enterprises/{id}
  printf '%-28s %12s %10s %10s\n' "$label" "$rps" "$p50" "$p99"
done
