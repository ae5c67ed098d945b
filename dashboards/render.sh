#!/usr/bin/env bash
# Render one Abhra dashboard template.
#
#   render.sh TEMPLATE [env=ENV] [version=VERSION] [uid_suffix=SUFFIX]   -> JSON on stdout
#   render.sh --uid-suffix ENV [VERSION]                                -> the computed suffix
#
# TEMPLATE is a path or a name under dashboards/templates/ (e.g. environment.json). Its scope
# comes from dashboards/dashboards.yaml; uid_suffix is computed from env (and version) when
# not given. Every ${name} is replaced by its value escaped for a JSON string; an unknown
# placeholder, a missing value or output that is not JSON is an error (exit 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 TEMPLATE [name=value ...] | --uid-suffix ENV [VERSION]" >&2
  exit 2
fi
exec python3 "$here/tests/render.py" "$here" "$@"
