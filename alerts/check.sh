#!/usr/bin/env bash
# Checks for the alert rule templates (ctest: alerts_promtool).
#   1. defaults.yaml: every environment has every placeholder, values are valid, and prod is
#      at least as strict as staging, staging at least as strict as dev;
#   2. every environment (plus one unlisted environment, which takes the fallback values) and
#      the global template render, and every rendered file passes `promtool check rules`;
#   3. the renderer rejects an unknown placeholder and an inconsistent error budget;
#   4. `promtool test rules` on alerts/tests/*_test.yaml against the rendered files;
#   5. alertmanager.example.yml passes `amtool check-config` and routes every severity used
#      in defaults.yaml as documented (skipped with a note when amtool is missing).
# Exit 0 all good, 1 a check failed, 77 promtool (or python3 with PyYAML) missing.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROMTOOL="${PROMTOOL:-promtool}"

if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
  echo "SKIP: promtool not found (Debian package 'prometheus' ships it); alert checks not run"
  exit 77
fi
if ! python3 -c 'import yaml' >/dev/null 2>&1; then
  echo "SKIP: python3 with PyYAML (Debian python3-yaml) not found; alert checks not run"
  exit 77
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- 1. defaults.yaml: completeness and strictness order --------------------------------
python3 - "$here/defaults.yaml" "$here" <<'PY' || failures=$((failures + 1))
import os, re, sys, yaml
path, base = sys.argv[1], sys.argv[2]
cfg = yaml.safe_load(open(path))
ok = True
def fail(msg):
    global ok
    ok = False
    print(f"FAIL: {path}: {msg}")

def placeholders(scope):
    names = set()
    for t in cfg["templates"]:
        if t["scope"] == scope:
            names |= set(re.findall(r"\$\{([a-z_][a-z0-9_]*)\}", open(os.path.join(base, t["file"])).read()))
    return names

env_names = placeholders("environment") - {"env"}
glob_names = placeholders("global")
envs = cfg["environments"]
for need in ("dev", "staging", "prod"):
    if need not in envs:
        fail(f"environment {need} missing")
for env, vals in envs.items():
    missing = env_names - set(vals)
    unused = set(vals) - env_names
    if missing:
        fail(f"environments.{env} lacks {sorted(missing)}")
    if unused:
        fail(f"environments.{env} has values no template uses: {sorted(unused)}")
    for k, v in vals.items():
        if not isinstance(v, str):
            fail(f"environments.{env}.{k} must be a quoted string (inserted verbatim), got {v!r}")
if glob_names - set(cfg.get("global", {})):
    fail(f"global lacks {sorted(glob_names - set(cfg['global']))}")
if cfg.get("fallback_environment") not in envs:
    fail("fallback_environment must name a listed environment")

def secs(d):
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", d))

# (name, key function, "stricter" means ...): prod <= staging <= dev in "looseness".
order = ["prod", "staging", "dev"]
rules = [
    ("slo_target", lambda v: -float(v)),            # higher target is stricter
    ("latency_threshold_seconds", float),           # lower threshold is stricter
    ("tls_warning_days", lambda v: -float(v)),      # earlier warning is stricter
    ("tls_critical_days", lambda v: -float(v)),
    ("target_down_for", secs),                      # shorter wait is stricter
    ("version_skew_for", secs),
    ("probe_missing_for", secs),
]
if all(e in envs for e in order):
    for name, key in rules:
        vals = [key(envs[e][name]) for e in order]
        if not (vals[0] <= vals[1] <= vals[2]):
            fail(f"{name}: prod must be at least as strict as staging, staging as dev "
                 f"(got {[envs[e][name] for e in order]})")
    if float(envs["prod"]["slo_target"]) <= float(envs["staging"]["slo_target"]):
        fail("prod slo_target must be strictly higher than staging's")
print("ok: defaults.yaml complete and ordered" if ok else "defaults.yaml has problems")
sys.exit(0 if ok else 1)
PY

# --- 2. render every environment + global, promtool check rules --------------------------
envs="$("$here/render.sh" --list)" || { fail "render.sh --list"; envs=""; }
for env in $envs qa-unlisted; do
  if "$here/render.sh" "$env" >"$work/$env.yaml" 2>"$work/$env.err"; then
    if grep -n '\${' "$work/$env.yaml"; then fail "$env: placeholder left after rendering"; fi
    if ! grep -q "env=\"$env\"" "$work/$env.yaml"; then fail "$env: rendered file does not select env=\"$env\""; fi
    if out="$("$PROMTOOL" check rules "$work/$env.yaml" 2>&1)"; then
      echo "ok: promtool check rules ($env): $(grep -o '[0-9]* rules found' <<<"$out")"
    else
      fail "promtool check rules ($env)"; echo "$out"
    fi
  else
    fail "render.sh $env"; cat "$work/$env.err"
  fi
done
if "$here/render.sh" --global >"$work/abhra-aggregator.yaml" 2>"$work/global.err"; then
  if out="$("$PROMTOOL" check rules "$work/abhra-aggregator.yaml" 2>&1)"; then
    echo "ok: promtool check rules (global): $(grep -o '[0-9]* rules found' <<<"$out")"
  else
    fail "promtool check rules (global)"; echo "$out"
  fi
else
  fail "render.sh --global"; cat "$work/global.err"
fi

# --- 3. the renderer refuses bad input -----------------------------------------------------
mkdir -p "$work/neg/templates"
printf 'groups: [{name: x-${env}, rules: [{record: a, expr: "vector(${nope})"}]}]\n' \
  >"$work/neg/templates/t.yml"
cat >"$work/neg/defaults.yaml" <<'EOF'
templates: [{file: templates/t.yml, scope: environment, output: "${env}.yaml"}]
environments:
  bad: {slo_target: "0.999", error_budget: "0.01"}
  ok: {}
EOF
if "$here/render.sh" ok "$work/neg/defaults.yaml" >/dev/null 2>"$work/neg/err1"; then
  fail "render.sh accepted an unknown placeholder"
elif ! grep -q 'no value for placeholder ${nope}' "$work/neg/err1"; then
  fail "render.sh: unhelpful message for unknown placeholder: $(cat "$work/neg/err1")"
else
  echo "ok: unknown placeholder rejected: $(cat "$work/neg/err1")"
fi
if "$here/render.sh" bad "$work/neg/defaults.yaml" >/dev/null 2>"$work/neg/err2"; then
  fail "render.sh accepted error_budget != 1 - slo_target"
else
  echo "ok: inconsistent budget rejected: $(cat "$work/neg/err2")"
fi

# --- 4. promtool test rules ----------------------------------------------------------------
cp "$here"/tests/*_test.yaml "$work/"
for t in "$here"/tests/*_test.yaml; do
  name="$(basename "$t")"
  if out="$(cd "$work" && "$PROMTOOL" test rules "$name" 2>&1)"; then
    echo "ok: promtool test rules $name"
  else
    fail "promtool test rules $name"; echo "$out"
  fi
done

# --- 5. Alertmanager example: config valid, severities routed as documented -----------------
AMTOOL="${AMTOOL:-amtool}"
if command -v "$AMTOOL" >/dev/null 2>&1; then
  am="$here/alertmanager.example.yml"
  if out="$("$AMTOOL" check-config "$am" 2>&1)"; then
    echo "ok: amtool check-config alertmanager.example.yml"
  else
    fail "amtool check-config alertmanager.example.yml"; echo "$out"
  fi
  severities="$(python3 -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
sections = [c["global"]] + list(c["environments"].values())
print(" ".join(sorted({v for s in sections for k, v in s.items() if k.startswith("severity_")})))
' "$here/defaults.yaml")"
  declare -A want=([critical]="abhra-incidents,page" [warning]="abhra-incidents,ticket" [info]="abhra-incidents")
  for sev in $severities; do
    got="$("$AMTOOL" config routes test --config.file="$am" alertname=AbhraTargetDown env=prod severity="$sev" 2>/dev/null)"
    if [[ -z "${want[$sev]:-}" ]]; then
      fail "severity $sev used in defaults.yaml has no documented route in alertmanager.example.yml"
    elif [[ "$got" != "${want[$sev]}" ]]; then
      fail "severity=$sev routes to '$got', want '${want[$sev]}'"
    else
      echo "ok: severity=$sev -> $got"
    fi
  done
else
  echo "note: amtool not found: alertmanager.example.yml not checked"
fi

if ((failures > 0)); then
  echo "alerts/check.sh: $failures check(s) failed"
  exit 1
fi
echo "alerts/check.sh: all checks passed"
