#!/usr/bin/env bash
# Runs abhra-promqltest over every .test file of a conformance folder and fails when the
# number of passing cases drops below the recorded baseline.
# usage: check_conformance.sh PROMQLTEST_BINARY CONFORMANCE_DIR BASELINE_FILE
set -euo pipefail
bin="$1"
dir="$2"
baseline_file="$3"
baseline="$(tr -dc '0-9' < "$baseline_file")"
shopt -s nullglob
files=("$dir"/*.test)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no .test files in $dir" >&2
  exit 1
fi
out="$("$bin" "${files[@]}" || true)"
echo "$out" | grep -E '^(/|[^ ].*\.test: )' || true
last="$(echo "$out" | tail -n 1)"
echo "$last"
passed="$(echo "$last" | sed -nE 's/^([0-9]+) passed, [0-9]+ failed$/\1/p')"
if [ -z "$passed" ]; then
  echo "could not read the pass count from: $last" >&2
  exit 1
fi
if [ "$passed" -lt "$baseline" ]; then
  echo "conformance regression: $passed passed, baseline is $baseline" >&2
  exit 1
fi
echo "ok: $passed passed (baseline $baseline)"
