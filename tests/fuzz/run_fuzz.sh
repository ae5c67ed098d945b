#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time.
#
#   tests/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 10 s, every target)
#
# Environment:
#   ABHRA_FUZZ_BUILD_DIR   build dir (default <repo>/build-fuzz); configured when missing,
#                          rebuilt incrementally otherwise (ccache is used when present)
#   ABHRA_FUZZ_JOBS        build parallelism (default 2)
#   ABHRA_FUZZ_OUT         where new inputs and crashes go (default: a fresh temp dir)
#   ABHRA_FUZZ_SKIP_IF_NO_CLANG=1   exit 77 (ctest skip) when clang++ is missing
#   ABHRA_SKIP_FUZZ=1      exit 77 at once (lets CI opt out of fuzz_smoke)
#
# The committed seed corpus (tests/fuzz/corpus/<target>/) is only read: new interesting
# inputs go to $OUT/corpus/<target>/. Exit status: 0 when no target crashed, 1 when one did
# (the crash input is kept under $OUT/crashes/<target>/ and its path printed), 2 on a build
# failure.
set -euo pipefail

if [[ "${ABHRA_SKIP_FUZZ:-0}" == 1 ]]; then
  echo "run_fuzz: skipped (ABHRA_SKIP_FUZZ=1)"
  exit 77
fi
SECONDS_PER_TARGET="${1:-10}"
shift || true
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${ABHRA_FUZZ_BUILD_DIR:-$REPO/build-fuzz}"
JOBS="${ABHRA_FUZZ_JOBS:-2}"

CLANGXX="$(command -v clang++ || command -v clang++-14 || true)"
CLANG="$(command -v clang || command -v clang-14 || true)"
if [[ -z "$CLANGXX" || -z "$CLANG" ]]; then
  echo "run_fuzz: clang++ not found" >&2
  [[ "${ABHRA_FUZZ_SKIP_IF_NO_CLANG:-0}" == 1 ]] && exit 77
  exit 2
fi

FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -gline-tables-only"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  echo "run_fuzz: configuring $BUILD"
  CC="$CLANG" CXX="$CLANGXX" cmake -S "$REPO" -B "$BUILD" -G Ninja \
    -DABHRA_FUZZ=ON -DABHRA_WERROR=OFF -DABHRA_BUILD_BENCH=OFF -DABHRA_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$FLAGS" >/dev/null \
    || { echo "run_fuzz: configure failed" >&2; exit 2; }
fi
start=$(date +%s)
if ! cmake --build "$BUILD" --target abhra_fuzz_all -j "$JOBS" > "$BUILD/fuzz-build.log" 2>&1; then
  tail -n 60 "$BUILD/fuzz-build.log" >&2
  echo "run_fuzz: build failed (log: $BUILD/fuzz-build.log)" >&2
  exit 2
fi
echo "run_fuzz: build took $(( $(date +%s) - start )) s"

if [[ $# -gt 0 ]]; then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(grep -v '^$' "$BUILD/fuzz/targets.txt" | sed 's/^abhra_fuzz_//')
fi

OUT="${ABHRA_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/abhra-fuzz.XXXXXX")}"
mkdir -p "$OUT"
echo "run_fuzz: ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET} s each, output in $OUT"

failed=0
printf '%-20s %12s %8s %8s %s\n' target execs cov ft result
for t in "${TARGETS[@]}"; do
  bin="$BUILD/fuzz/abhra_fuzz_$t"
  seeds="$REPO/tests/fuzz/corpus/$t"
  corpus="$OUT/corpus/$t"
  crashes="$OUT/crashes/$t"
  log="$OUT/$t.log"
  mkdir -p "$corpus" "$crashes"
  [[ -d "$seeds" ]] || seeds=""
  set +e
  # New inputs are written to the first corpus dir ($corpus), never to the committed seeds.
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" $seeds > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  if [[ $rc -ne 0 ]]; then
    failed=1
    printf '%-20s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "FAILED (exit $rc)"
    grep -m3 -E 'ERROR: |runtime error|SUMMARY' "$log" >&2 || true
    for f in "$crashes"/*; do
      [[ -e "$f" ]] && echo "run_fuzz: crash input kept: $f (reproduce: $bin $f)" >&2
    done
    echo "run_fuzz: log: $log" >&2
  else
    printf '%-20s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" ok
  fi
done
[[ $failed -eq 0 ]] && echo "run_fuzz: no crashes" || echo "run_fuzz: CRASHES FOUND (see above)"
exit $failed
