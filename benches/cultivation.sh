#!/usr/bin/env bash
# What cultivation costs under concurrency: wrk at N connections (default 16) against a
# release build of `peiyu demo` (2,000 enterprises by default, or
# PEIYU_DEMO_SIZE="--enterprises 20000 --visits 200000", or a million), signed in as
# bureau.manager (the whole district) and counselor.xinan (one street): the readiness
# radar (each one's next rung, a chosen rung, one street), enterprises at risk, overdue
# obligations, the reviews due, the obligations' completion, and the console's 驾驶舱 and
# 准备度雷达. The demo computes the radar before it serves, so the first request is as fast
# as the last. wrk and the server share this machine's cores.
# Usage: benches/cultivation.sh [seconds per endpoint, default 10] [connections, default 16]
#   PEIYU_BIN=path/to/peiyu benches/cultivation.sh   measures that binary
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-16}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 1; }

# shellcheck source=benches/demo_server.sh
. benches/demo_server.sh
# shellcheck disable=SC2086 # the size is words
serve_demo 18082 ${PEIYU_DEMO_SIZE:-}

manager="Authorization: Bearer $(token bureau.manager)"
counselor="Authorization: Bearer $(token counselor.xinan)"
street=$(curl -sf -H "$manager" "$base/api/v1/regions" | jq -r '[.. | objects | select(.code? == "xinan")][0].id')
manager_page=$(session bureau.manager)

measure() {
  local who=$1 header=$2 path=$3 out rps p50 p99
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s --latency -H "$header" "$base$path")
  if grep -q "Non-2xx" <<<"$out"; then echo "$path: $(grep Non-2xx <<<"$out")" >&2; fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| `%s` | %s | %s | %s | %s |\n' "$path" "$who" "$rps" "$p50" "$p99"
}

echo "| endpoint | caller | requests/s | p50 | p99 |"
echo "|---|---|---:|---:|---:|"
for path in "/api/v1/pipeline/readiness" "/api/v1/pipeline/readiness?tier=hnte" \
  "/api/v1/pipeline/readiness?street_id=$street" "/api/v1/pipeline/at-risk" \
  "/api/v1/obligations?status=overdue" "/api/v1/pipeline/reviews" "/api/v1/pipeline/obligations"; do
  measure manager "$manager" "$path"
  measure counselor "$counselor" "$path"
done
measure manager "$manager_page" "/cockpit"
measure manager "$manager_page" "/radar"
echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$server/status")"
