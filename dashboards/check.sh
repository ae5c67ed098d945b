#!/usr/bin/env bash
# Checks for the Grafana dashboard templates.
#
#   check.sh            structure (ctest dashboards_check):
#                         1. render every template with every sample of dashboards.yaml and
#                            check the models (tests/check_dashboards.py: JSON, uid, ids,
#                            gridPos, datasource uid, targets, variables);
#                         2. tests/exprs.txt (every query, for the engine test) is up to date;
#                         3. every query parses and returns data on promtool's engine over
#                            tests/dataset.promql with the rendered prod + aggregator rules
#                            (skipped with a note when promtool is missing).
#   check.sh --schema   Grafana schema (ctest dashboards_schema): type-check every rendered
#                       dashboard against @grafana/schema's Dashboard type with tsc. Installs
#                       tests/schema/node_modules from the npm registry when missing
#                       (package-lock.json pins versions); exit 77 when node/npm are missing
#                       or the registry cannot be reached.
#   check.sh --update   regenerate tests/exprs.txt after changing a template, then check.
# Exit 0 ok, 1 a check failed, 77 skipped (tool missing).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-structure}"
case "$mode" in
  structure|--structure) mode=structure ;;
  --schema) mode=schema ;;
  --update) mode=update ;;
  *) echo "usage: $0 [--structure|--schema|--update]" >&2; exit 2 ;;
esac
PROMTOOL="${PROMTOOL:-promtool}"

if ! python3 -c 'import yaml' >/dev/null 2>&1; then
  echo "SKIP: python3 with PyYAML (Debian python3-yaml) not found; dashboard checks not run"
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Rendering + structural checks are the base of every mode.
if ! python3 "$here/tests/check_dashboards.py" "$here" "$work/rendered" --exprs "$work/exprs.txt"; then
  echo "dashboards/check.sh: structural checks failed"
  exit 1
fi

if [[ "$mode" == schema ]]; then
  schema="$here/tests/schema"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "SKIP: node/npm not found (Debian nodejs, npm); Grafana schema check not run"
    exit 77
  fi
  # One installer at a time (several build trees may run this test together).
  exec 9>"$schema/.install.lock"
  flock 9
  if [[ ! -f "$schema/node_modules/@grafana/schema/package.json" || ! -f "$schema/node_modules/typescript/bin/tsc" ]]; then
    echo "installing @grafana/schema and typescript (package-lock.json) into tests/schema/node_modules ..."
    if ! (cd "$schema" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
      echo "SKIP: cannot install the npm packages (is the npm registry reachable?):"
      tail -n 15 "$work/npm.log"
      exit 77
    fi
  fi
  flock -u 9
  if node "$schema/check_schema.mjs" "$work"/rendered/sample*/*.json; then
    echo "dashboards/check.sh --schema: all dashboards match @grafana/schema"
    exit 0
  fi
  echo "dashboards/check.sh --schema: schema check failed"
  exit 1
fi

failures=0
if [[ "$mode" == update ]]; then
  cp "$work/exprs.txt" "$here/tests/exprs.txt"
  echo "updated tests/exprs.txt"
elif ! diff -u "$here/tests/exprs.txt" "$work/exprs.txt" >"$work/exprs.diff"; then
  echo "FAIL: tests/exprs.txt is out of date with the templates; run dashboards/check.sh --update:"
  head -n 40 "$work/exprs.diff"
  failures=$((failures + 1))
else
  echo "ok: tests/exprs.txt is up to date ($(grep -vc '^#' "$here/tests/exprs.txt") queries)"
fi

if command -v "$PROMTOOL" >/dev/null 2>&1; then
  mkdir -p "$work/rules"
  if "$here/../alerts/render.sh" prod >"$work/rules/prod.yaml" &&
     "$here/../alerts/render.sh" --global >"$work/rules/abhra-aggregator.yaml"; then
    python3 "$here/tests/run_exprs_promtool.py" "$work/exprs.txt" "$here/tests/dataset.promql" \
      "$work/rules" "$work/promtool" "$PROMTOOL" || failures=$((failures + 1))
  else
    echo "FAIL: cannot render alerts/ rules for the query test"
    failures=$((failures + 1))
  fi
else
  echo "note: promtool not found: queries not run on Prometheus' engine (structure still checked)"
fi

if ((failures > 0)); then
  echo "dashboards/check.sh: $failures check(s) failed"
  exit 1
fi
echo "dashboards/check.sh: all checks passed"
