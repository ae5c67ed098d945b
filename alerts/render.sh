#!/usr/bin/env bash
# Render Abhra alert rule templates with the values of alerts/defaults.yaml.
#
#   render.sh ENV      [defaults.yaml]   environment-scope template for ENV -> stdout
#   render.sh --global [defaults.yaml]   global-scope template (aggregator self-health) -> stdout
#   render.sh --list   [defaults.yaml]   environment names, one per line
#
# Substitution is the one the aggregator implements: every ${name} is replaced by its value,
# nothing else is interpreted; an unknown placeholder or a value that fails validation is an
# error (exit 1, message on stderr). Templates paths in defaults.yaml are relative to it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 ENV|--global|--list [defaults.yaml]" >&2
  exit 2
fi
target="$1"
defaults="${2:-$here/defaults.yaml}"

exec python3 - "$target" "$defaults" <<'PY'
import math
import os
import re
import sys

import yaml

target, defaults_path = sys.argv[1], sys.argv[2]

def die(msg):
    print(f"render.sh: {msg}", file=sys.stderr)
    sys.exit(1)

try:
    with open(defaults_path) as f:
        cfg = yaml.safe_load(f)
except (OSError, yaml.YAMLError) as e:
    die(f"cannot read {defaults_path}: {e}")
if not isinstance(cfg, dict):
    die(f"{defaults_path} is not a YAML mapping")

envs = cfg.get("environments") or {}
if target == "--list":
    for name in envs:
        print(name)
    sys.exit(0)

DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
LABEL_VALUE_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")  # env names go into selectors and groups

def number(v):
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None

def check_duration(v):
    return v != "" and DURATION.match(v) is not None

# name -> (validator, what it must be)
VALIDATORS = {
    "env": (lambda v: LABEL_VALUE_SAFE.match(v) is not None, "letters, digits, '_', '.', '-'"),
    "slo_target": (lambda v: number(v) is not None and 0 < number(v) < 1, "a number in (0, 1)"),
    "error_budget": (lambda v: number(v) is not None and 0 < number(v) < 1, "a number in (0, 1)"),
    "latency_threshold_seconds": (lambda v: number(v) is not None and number(v) > 0, "seconds > 0"),
    "tls_warning_days": (lambda v: number(v) is not None and number(v) > 0, "days > 0"),
    "tls_critical_days": (lambda v: number(v) is not None and number(v) >= 0, "days >= 0"),
    "target_down_for": (check_duration, "a Prometheus duration such as 5m"),
    "version_skew_for": (check_duration, "a Prometheus duration such as 1h"),
    "probe_missing_for": (check_duration, "a Prometheus duration such as 5m"),
    "severity_page": (lambda v: re.match(r"^[a-z][a-z0-9_-]*$", v) is not None, "a lower-case word"),
    "severity_ticket": (lambda v: re.match(r"^[a-z][a-z0-9_-]*$", v) is not None, "a lower-case word"),
}

def values_for(scope):
    if scope == "global":
        vals = dict(cfg.get("global") or {})
        where = "global"
    else:
        env = target
        src = envs.get(env)
        if src is None:
            fb = cfg.get("fallback_environment")
            if fb is None or fb not in envs:
                die(f"environment {env!r} is not in {defaults_path} and there is no usable fallback_environment")
            src = envs[fb]
        vals = dict(src)
        vals["env"] = env
        where = f"environments.{env}"
    out = {}
    for k, v in vals.items():
        if isinstance(v, (dict, list)) or v is None:
            die(f"{where}.{k} in {defaults_path} must be a scalar")
        v = str(v)
        if k in VALIDATORS and not VALIDATORS[k][0](v):
            die(f"{where}.{k} = {v!r} in {defaults_path}: must be {VALIDATORS[k][1]}")
        out[k] = v
    if "slo_target" in out and "error_budget" in out:
        if abs((1 - float(out["slo_target"])) - float(out["error_budget"])) > 1e-9:
            die(f"{where}: error_budget {out['error_budget']} != 1 - slo_target {out['slo_target']}")
    if "tls_warning_days" in out and "tls_critical_days" in out:
        if float(out["tls_critical_days"]) >= float(out["tls_warning_days"]):
            die(f"{where}: tls_critical_days must be below tls_warning_days")
    return out

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")

def render(path, vals):
    with open(path) as f:
        text = f.read()
    def sub(m):
        name = m.group(1)
        if not re.match(r"^[a-z_][a-z0-9_]*$", name):
            die(f"{path}: malformed placeholder ${{{name}}}")
        if name not in vals:
            line = text.count("\n", 0, m.start()) + 1
            die(f"{path}:{line}: no value for placeholder ${{{name}}}")
        return vals[name]
    return PLACEHOLDER.sub(sub, text)

scope = "global" if target == "--global" else "environment"
base = os.path.dirname(os.path.abspath(defaults_path))
templates = [t for t in cfg.get("templates") or [] if t.get("scope") == scope]
if len(templates) != 1:
    die(f"expected exactly one template of scope {scope} in {defaults_path}, found {len(templates)}")
vals = values_for(scope)
sys.stdout.write(render(os.path.join(base, templates[0]["file"]), vals))
PY
