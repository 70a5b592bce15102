#!/usr/bin/env bash
# What each console page costs on the demo district (2,000 enterprises, 20,000 visits, or
# PEIYU_DEMO_SIZE="--enterprises 1000000 --visits 10000000"): wrk against a release build
# of `peiyu demo`, signed in with the session cookie as counselor.xinan (the counselor's
# pages), bureau.manager (the cockpit, its exports, the district's list, the targets) and
# bureau.admin (系统管理), on loopback. The latency wrk reports is the server's time plus
# loopback; the size is the page's HTML or the file (the stylesheet and script, ~12 KB, are
# cached for a year).
# Usage: benches/console.sh [seconds per page, default 5] [connections, default 1 8]
#   PEIYU_BIN=path/to/peiyu benches/console.sh   measures that binary
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
shift || true
connections=${*:-1 8}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

# shellcheck source=benches/demo_server.sh
. benches/demo_server.sh
# shellcheck disable=SC2086 # the size is words
serve_demo 18081 ${PEIYU_DEMO_SIZE:-}

cookie=$(session counselor.xinan)
manager=$(session bureau.manager)
admin=$(session bureau.admin)
# The first of each on the pages that list them (none found: that page is measured empty).
first() { grep -o "$1" | head -1 | sed 's/href="//;s/option value="//;s/"$//' || true; }
enterprise=$(curl -sf -H "$cookie" "$base/enterprises?q=%E7%A7%91%E6%8A%80" | first 'href="/enterprises/[0-9a-f-]\{36\}"')
request=$(curl -sf -H "$cookie" "$base/" | first 'href="/requests/[0-9a-f-]\{36\}"')
[ -n "$enterprise" ] && [ -n "$request" ] || echo "no enterprise or request found for counselor.xinan" >&2

street=$(curl -sf -H "$manager" "$base/cockpit" | first 'option value="[0-9a-f-]\{36\}"')
# Each page, its name, and who asks for it: c(ounselor), m(anager) or a(dmin).
pages=(/ "/enterprises?q=%E7%A7%91%E6%8A%80" "$enterprise" "$enterprise/visits/new" "$enterprise/requests/new"
  "$enterprise/applications/new" "$enterprise/indicators" "$request" /cockpit "/cockpit?street_id=$street"
  "/enterprises?tier=hnte&street_id=$street" "/cockpit/export/ladder?format=xlsx"
  "/cockpit/export/coverage?format=csv" "/cockpit/export/expiring?format=xlsx" /targets
  /admin/users /admin/regions /admin/api-keys /inbox "/inbox?view=overdue" "/inbox?view=overdue&street=$street"
  /agenda)
names=(home search enterprise visit raise apply indicators request cockpit cockpit-street list
  export-ladder export-coverage export-expiring targets users regions api-keys inbox inbox-overdue
  inbox-street agenda-manager)
roles=(c c c c c c c c m m m m m m m a a a m m m m)
who() {
  case "${roles[$1]}" in
    c) echo "$cookie" ;;
    m) echo "$manager" ;;
    *) echo "$admin" ;;
  esac
}
printf '%-16s %6s %9s %12s %9s %9s\n' page conns bytes requests/s p50 p99
for i in "${!pages[@]}"; do
  as=$(who "$i")
  bytes=$(curl -s -H "$as" "$base${pages[$i]}" | wc -c)
  for c in $connections; do
    out=$(wrk -t1 -c"$c" -d"${seconds}s" --latency -H "$as" "$base${pages[$i]}")
    if grep -q "Non-2xx" <<<"$out"; then echo "${pages[$i]}: $(grep Non-2xx <<<"$out")" >&2; fi
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '%-16s %6s %9s %12s %9s %9s\n' "${names[$i]}" "$c" "$bytes" "$rps" "$p50" "$p99"
  done
done
