#!/usr/bin/env bash
# Resident memory of abhra-probe by number of targets: starts nginx on 127.0.0.1 as the
# target, runs the probe with N HTTP targets (interval 5s) for 15s, prints VmRSS and CPU.
# Usage: probe/bench/rss.sh [BUILD_DIR] (default build)
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/$BUILD/bin/abhra-probe"
DIR=$(mktemp -d /tmp/abhra-rss.XXXXXX)
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=18080; while ! port_free $PORT; do PORT=$((PORT + 1)); done
cat > "$DIR/nginx.conf" <<NGINX
daemon off; master_process off; worker_processes 1; pid $DIR/nginx.pid; error_log $DIR/nginx.err;
events { worker_connections 8192; }
http { access_log off; client_body_temp_path $DIR/cb; proxy_temp_path $DIR/p; fastcgi_temp_path $DIR/f;
  uwsgi_temp_path $DIR/u; scgi_temp_path $DIR/s;
  server { listen 127.0.0.1:$PORT backlog=4096; location / { return 200 "ok\n"; } } }
NGINX
/usr/sbin/nginx -p "$DIR" -c "$DIR/nginx.conf" & NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 0.5
for n in 0 1000 5000; do
  { echo "environment: bench"; echo "cluster: local"; echo "targets:";
    for ((i = 0; i < n; i++)); do
      echo "  - {name: t$i, interval: 5s, timeout: 2s, http: {url: \"http://127.0.0.1:$PORT/\"}}"
    done; } > "$DIR/p$n.yml"
  "$BIN" --config "$DIR/p$n.yml" --listen "" >"$DIR/log$n" 2>&1 & PID=$!
  sleep 15
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' /proc/$PID/stat)
  echo "targets=$n rss_kib=$rss cpu_seconds_in_15s=$cpu"
  kill $PID; wait $PID || true
done
