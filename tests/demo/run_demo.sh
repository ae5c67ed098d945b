#!/usr/bin/env bash
# `make run`: starts the aggregator with local storage and, when abhra-probe is built, three
# demo environments (dev, staging, prod) of small services on loopback with probes pushing to
# the aggregator. Prints the URLs; Ctrl-C stops everything.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/$BUILD_DIR/bin"
RUN_DIR=${ABHRA_RUN_DIR:-$ROOT/$BUILD_DIR/run}
PORT=${ABHRA_PORT:-9090}
mkdir -p "$RUN_DIR"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while ! port_free "$PORT"; do PORT=$((PORT + 1)); done

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped; data kept in $RUN_DIR/data"
}
trap cleanup INT TERM EXIT

"$BIN/abhra-aggregator" --data-dir "$RUN_DIR/data" --listen "127.0.0.1:$PORT" \
  ${ABHRA_CONFIG:+--config "$ABHRA_CONFIG"} >"$RUN_DIR/aggregator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$PORT/-/ready" >/dev/null || {
  echo "aggregator did not become ready; log:"; cat "$RUN_DIR/aggregator.log"; exit 1; }

if [ -x "$BIN/abhra-probe" ] && [ -f "$ROOT/tests/demo/probe_config.sh" ]; then
  # shellcheck source=/dev/null
  source "$ROOT/tests/demo/probe_config.sh"
  start_demo_environments "$RUN_DIR" "$PORT"
fi

cat <<MSG

Abhra is running.
  status page       http://127.0.0.1:$PORT/
  Prometheus API    http://127.0.0.1:$PORT/api/v1/query?query=up
  self metrics      http://127.0.0.1:$PORT/metrics
  remote-write      http://127.0.0.1:$PORT/api/v1/write
  logs and data     $RUN_DIR
Grafana: add a Prometheus data source with URL http://127.0.0.1:$PORT (HTTP method POST).
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "a process exited; see logs in $RUN_DIR"
