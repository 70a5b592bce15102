# Sourced by the benchmarks that measure a demo district: `serve_demo PORT [demo args…]`
# builds a release binary (or takes PEIYU_BIN), seeds `peiyu demo` into a scratch data
# directory, serves it on 127.0.0.1:PORT until the script exits, and sets `bin`, `dir`,
# `server` and `base`; `password USER` is that account's password, `token USER` an API
# access token, `session USER` the console's session cookie as a header.
serve_demo() {
  local port=$1
  shift
  bin=${PEIYU_BIN:-}
  if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=target/release/peiyu
  fi
  # PEIYU_BENCH_DIR keeps the district between runs (a million enterprises load in ~12
  # minutes): seeded the first time, its passwords renewed after.
  if [ -n "${PEIYU_BENCH_DIR:-}" ]; then
    dir=$PEIYU_BENCH_DIR
    mkdir -p "$dir"
    server=
    trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null' EXIT
  else
    dir=$(mktemp -d /tmp/peiyu-bench-XXXXXX)
    server=
    trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
  fi
  chmod 755 "$dir"
  export PEIYU_DATA_DIR=$dir PEIYU_BIND=127.0.0.1:$port RUST_LOG=warn
  unset DATABASE_URL
  "$bin" demo --no-serve "$@" >"$dir/demo.out"
  "$bin" serve &
  server=$!
  base=http://$PEIYU_BIND
  for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
}

password() { awk -v user="$1" '$1 == user {print $3}' "$dir/demo.out"; }

# An access token for USER, for the API.
token() {
  curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$(password "$1")\"}" | jq -r .access_token
}

# The console's session cookie for USER, as a request header, signed in through the form.
session() {
  local jar=$dir/cookies-$1 csrf
  curl -sf -c "$jar" "$base/login" -o "$dir/login.html"
  csrf=$(grep -o 'name="csrf" value="[^"]*"' "$dir/login.html" | sed 's/.*value="//;s/"$//')
  curl -sf -b "$jar" -c "$jar" "$base/login" --data-urlencode "csrf=$csrf" -d "username=$1" \
    --data-urlencode "password=$(password "$1")" -o /dev/null
  echo "Cookie: peiyu_session=$(awk '$6 == "peiyu_session" {print $7}' "$jar")"
}
