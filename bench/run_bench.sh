#!/usr/bin/env bash
# `make bench`: the shared remote-write workloads against Abhra, Prometheus and
# VictoriaMetrics in one run, then one table with ratios to each peer (bench/compare.py).
#
# Env: BENCH_TMP (payloads, data dirs, results; default /tmp/abhra-bench), SIZES ("10k 100k"),
#      RUNS (1), PEERS ("abhra prometheus victoriametrics"), C (sender concurrency, 4),
#      SKIP_PROBE / SKIP_MICRO / SKIP_30D (1 leaves out the probe, micro and 30-day benches).
# Needs ../shared/bench beside the repository (the harness and workload generator).
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${ABHRA_SHARED_BENCH:-$ROOT/../shared/bench}
if [ ! -x "$SHARED/run_peer.sh" ]; then
  echo "bench: $SHARED/run_peer.sh not found; the shared bench harness must sit beside the repo" >&2
  exit 1
fi
export BENCH_TMP=${BENCH_TMP:-/tmp/abhra-bench}
RESULTS=$BENCH_TMP/results
SIZES=${SIZES:-"10k 100k"}
RUNS=${RUNS:-1}
PEERS=${PEERS:-"abhra prometheus victoriametrics"}
C=${C:-4}
PORT=19300
mkdir -p "$BENCH_TMP" "$RESULTS"
AGG="$ROOT/$BUILD_DIR/bin/abhra-aggregator"

for size in $SIZES; do
  dir=$BENCH_TMP/bench-payloads-$size
  if [ ! -f "$dir/manifest.json" ]; then
    echo "bench: generating the $size workload into $dir"
    case $size in
      10k) /usr/bin/python3 "$SHARED/gen_remote_write.py" --out "$dir" --series 10000 --samples 240 >/dev/null ;;
      100k) /usr/bin/python3 "$SHARED/gen_remote_write.py" --out "$dir" --series 100000 --samples 120 >/dev/null ;;
      *) echo "bench: unknown size $size (10k or 100k)" >&2; exit 2 ;;
    esac
  fi
done

labels=()
for size in $SIZES; do
  for peer in $PEERS; do
    label="$peer-$size"
    labels+=("$RESULTS/$label.json")
    echo "bench: $label ($RUNS run(s), concurrency $C)"
    case $peer in
      abhra)
        "$SHARED/run_peer.sh" custom --payloads "$BENCH_TMP/bench-payloads-$size" --runs "$RUNS" \
          -c "$C" --restart --port $PORT --label "$label" --results-dir "$RESULTS" \
          --cmd "$AGG --listen 127.0.0.1:{port} --data-dir {data}/store --web.enable-admin-api" \
          --ready-url "http://127.0.0.1:$PORT/-/ready" \
          --flush-url "http://127.0.0.1:$PORT/api/v1/admin/flush" ;;
      prometheus|victoriametrics)
        "$SHARED/run_peer.sh" "$peer" --payloads "$BENCH_TMP/bench-payloads-$size" --runs "$RUNS" \
          -c "$C" --restart --label "$label" --results-dir "$RESULTS" ;;
      *) echo "bench: unknown peer $peer" >&2; exit 2 ;;
    esac
  done
done
/usr/bin/python3 "$ROOT/bench/compare.py" "${labels[@]}" | tee "$RESULTS/COMPARE.md"

# The probe next to blackbox_exporter (checks per CPU-second against the same nginx), then the
# microbenchmarks of the hot paths. SKIP_PROBE=1 / SKIP_MICRO=1 leave them out.
BIN="$ROOT/$BUILD_DIR/bin"
if [ "${SKIP_PROBE:-0}" != 1 ]; then
  echo "bench: abhra-probe vs blackbox_exporter"
  "$BIN/abhra-probe-bench" --checks "${PROBE_CHECKS:-20000}" --targets 1000 | tee "$RESULTS/PROBE.md"
fi
if [ "${SKIP_30D:-0}" != 1 ]; then
  echo "bench: a 30-day PromQL panel on raw vs 1h-downsampled data"
  "$BIN/abhra-db-bench" 30d "$BENCH_TMP/30d" 2>/dev/null | tee "$RESULTS/30D.md"
  "$BIN/abhra-query-30d-bench" "$BENCH_TMP/30d" 2>/dev/null | tee -a "$RESULTS/30D.md"
fi
if [ "${SKIP_MICRO:-0}" != 1 ]; then
  for b in codec_bench tsdb_bench promql_engine_bench; do
    if [ -x "$BIN/$b" ]; then
      echo "bench: $b"
      "$BIN/$b" --benchmark_min_time=0.2 | tee "$RESULTS/$b.txt"
    fi
  done
fi
