# Sourced by run_demo.sh: three demo environments (dev, staging, prod), each with small demo
# services on loopback (tests/demo/demo_service.py) and one abhra-probe pushing to the
# aggregator. Appends the PIDs it starts to the caller's `pids` array.

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (at most 5 s) until 127.0.0.1:$1 accepts connections, so a probe started next does not
# record a failed first check (which shows the service as degraded for 5 minutes).
wait_listening() {
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "  demo service on port $1 is not listening yet; see services.log" >&2
}

# env:service:version:flaky-fraction
DEMO_SERVICES=(
  "dev:checkout:2.4.0-rc.1:0"
  "dev:catalog:1.9.0:0"
  "staging:checkout:2.3.1:0.3"
  "staging:catalog:1.8.2:0"
  "prod:checkout:2.3.0:0"
  "prod:catalog:1.8.2:0"
  "prod:payments:5.0.1:0.05"
)

start_demo_environments() {
  local run_dir=$1 agg_port=$2
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  for env in dev staging prod; do
    local cfg="$run_dir/probe-$env.yml" ports=()
    cat >"$cfg" <<YAML
environment: $env
cluster: demo-1
global: {interval: 5s, timeout: 2s}
aggregator:
  url: http://127.0.0.1:$agg_port/api/v1/write
  queue: {dir: $run_dir/queue-$env, max_bytes: 64MiB}
  batch_send_deadline: 2s
targets:
YAML
    for spec in "${DEMO_SERVICES[@]}"; do
      IFS=: read -r e name version flaky <<<"$spec"
      [ "$e" = "$env" ] || continue
      local port
      port=$(free_port)
      /usr/bin/python3 "$root/tests/demo/demo_service.py" --port "$port" --name "$name" \
        --version "$version" --flaky "$flaky" >>"$run_dir/services.log" 2>&1 &
      pids+=($!)
      ports+=("$port")
      cat >>"$cfg" <<YAML
  - name: $name
    health:
      url: http://127.0.0.1:$port/health
      version: {json_field: \$.version}
  - name: $name-metrics
    service: $name
    scrape:
      url: http://127.0.0.1:$port/metrics
YAML
    done
    for port in "${ports[@]}"; do wait_listening "$port"; done
    local probe_port
    probe_port=$(free_port)
    "$BIN/abhra-probe" --config "$cfg" --listen "127.0.0.1:$probe_port" >"$run_dir/probe-$env.log" 2>&1 &
    pids+=($!)
    echo "  probe $env: http://127.0.0.1:$probe_port/metrics (config $cfg)"
  done
}
