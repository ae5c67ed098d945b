#!/usr/bin/env bash
# Browser test of the on-call status page.
#   run_statuspage_test.sh PATH/TO/abhra-statuspage-server
# Starts the test server (status page over a head with data), loads / in headless Chromium
# (--dump-dom) and checks the visible text with check_dom.py, then takes a phone and a
# desktop screenshot into tests/artifacts/. Exit 77 (skipped) without /usr/bin/chromium.
set -euo pipefail
server_bin="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "SKIP: $chromium not found; install it with: bash cmake/install_deps.sh browser"
  exit 77
fi
artifacts="$root/tests/artifacts"
mkdir -p "$artifacts"
work="$(mktemp -d /tmp/abhra-statuspage-test.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    exec 3>&- || true
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkfifo "$work/stdin"
"$server_bin" "$root/dashboards" <"$work/stdin" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
exec 3>"$work/stdin"  # keeps the server's stdin open; closing it stops the server
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^port=//p' "$work/server.out" 2>/dev/null || true)"
  [[ -n "$port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: the test server exited"; cat "$work/server.err"; exit 1
  fi
  sleep 0.1
done
[[ -n "$port" ]] || { echo "FAIL: the test server printed no port"; cat "$work/server.err"; exit 1; }
url="http://127.0.0.1:$port/"
echo "server at $url"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --disable-dev-shm-usage --hide-scrollbars)
browse() {  # browse PROFILE_NAME ARGS...
  local profile="$work/profile-$1"; shift
  timeout 60 "$chromium" "${flags[@]}" --user-data-dir="$profile" "$@" 2>>"$work/chromium.err"
}

start=$(date +%s%N)
browse dom --virtual-time-budget=2000 --dump-dom "$url" >"$work/dom.html"
end=$(date +%s%N)
echo "dump-dom took $(( (end - start) / 1000000 )) ms ($(wc -c <"$work/dom.html") bytes)"
cp "$work/dom.html" "$artifacts/statuspage-dom.html"
python3 "$here/check_dom.py" "$work/dom.html"

for size in 412,915 1280,900; do
  name="statuspage-${size/,/x}.png"
  rm -f "$artifacts/$name"
  (cd "$work" && browse "shot-$size" --screenshot="$artifacts/$name" --window-size="$size" "$url" >/dev/null)
  [[ -s "$artifacts/$name" ]] || { echo "FAIL: no screenshot $name"; tail -20 "$work/chromium.err"; exit 1; }
  echo "screenshot: tests/artifacts/$name"
done
echo "PASS"
