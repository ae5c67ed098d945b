#!/usr/bin/env bash
# Offline test of the Helm chart helm/abhra (Helm itself is not installable here).
#
# 1. Builds helm/tools/render (Go text/template + sprig + Helm's values/schema/manifest logic,
#    from Debian's golang packages, GOPATH mode, no network) and runs its unit tests.
# 2. Renders the chart with the defaults, each ci/*-values.yaml and tests/values-secure.yaml
#    (TLS, every token class, tenant write tokens, admin API, limits), with and without the
#    monitoring.coreos.com/v1 capability, and checks every manifest with check_manifests.py:
#    flags and values against `abhra-aggregator --help` when built, HTTPS probes and clients
#    when TLS is on, Secrets referenced never inlined, no token in any ConfigMap.
# 3. When the binaries are built (ABHRA_BIN_DIR, default build/bin), starts abhra-aggregator with
#    the rendered args and config (TLS and tokens stood in for by a throw-away CA and token files,
#    the init container's script run first) and probes /-/ready, /-/healthy and the access
#    rules, and runs abhra-probe --check-config on every rendered probe config.
# 4. Negative cases: values violating values.schema.json or the token rules, duplicate probe
#    names and broken manifests (http probes with TLS, inline bearer, ...) must all be rejected
#    with a clear message.
#
# Exit 0 = pass, 1 = fail, 77 = skipped (Go toolchain or libraries missing; install them with
# `bash cmake/install_deps.sh all`). Set ABHRA_HELM_WORK to keep the Go build cache and the
# rendered manifests in a known directory (ctest sets it to the build tree).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELM_DIR="$(dirname "$HERE")"
CHART="$HELM_DIR/abhra"
PY=/usr/bin/python3
GOPATH_DEB=/usr/share/gocode

skip() { echo "SKIP: $*"; exit 77; }
command -v go >/dev/null 2>&1 || skip "go not installed (golang-go; bash cmake/install_deps.sh all)"
for pkg in github.com/Masterminds/sprig github.com/ghodss/yaml github.com/xeipuuv/gojsonschema; do
  [ -d "$GOPATH_DEB/src/$pkg" ] || skip "Go package $pkg missing under $GOPATH_DEB (bash cmake/install_deps.sh all)"
done
"$PY" -c 'import yaml' 2>/dev/null || skip "python3-yaml missing"

if [ -n "${ABHRA_HELM_WORK:-}" ]; then
  WORK="$ABHRA_HELM_WORK"
  mkdir -p "$WORK"
  rm -rf "$WORK/out"
else
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
fi
OUT="$WORK/out"
mkdir -p "$OUT"
export GO111MODULE=off GOPATH="$GOPATH_DEB" GOCACHE="$WORK/gocache" GOFLAGS=

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

echo "== building the renderer"
(cd "$HELM_DIR/tools/render" && go build -o "$WORK/render" .) || { echo "FAIL: renderer does not build"; exit 1; }
(cd "$HELM_DIR/tools/render" && go test -count=1 .) && pass "renderer unit tests" || fail "renderer unit tests"
RENDER="$WORK/render"

echo "== values.schema.json"
if "$PY" "$HELM_DIR/tools/gen_schema.py" | diff -q - "$CHART/values.schema.json" >/dev/null; then
  pass "values.schema.json matches tools/gen_schema.py"
else
  fail "values.schema.json is stale: python3 helm/tools/gen_schema.py > helm/abhra/values.schema.json"
fi
"$PY" "$HERE/check_manifests.py" --schema-covers "$CHART/values.yaml" "$CHART/values.schema.json" \
  && pass "every values.yaml key is described in the schema" || fail "schema does not cover values.yaml"
"$PY" - "$CHART/Chart.yaml" <<'EOF' && pass "Chart.yaml fields" || fail "Chart.yaml fields"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
assert c["apiVersion"] == "v2" and c["name"] == "abhra" and c["version"] == "0.1.0", c
assert isinstance(c["appVersion"], str) and c["appVersion"] == "0.1.0", "appVersion must be the string 0.1.0"
EOF

# The aggregator's own --help, when built: rendered flags and their values are checked against it.
BIN_DIR="${ABHRA_BIN_DIR:-$(dirname "$HELM_DIR")/build/bin}"
CHECK_EXTRA=()
if [ -x "$BIN_DIR/abhra-aggregator" ] && "$BIN_DIR/abhra-aggregator" --help > "$OUT/aggregator.help" 2>&1; then
  CHECK_EXTRA=(--aggregator-help "$OUT/aggregator.help")
  echo "flags are checked against $BIN_DIR/abhra-aggregator --help"
else
  echo "note: $BIN_DIR/abhra-aggregator not built: flags are checked against the checker's list"
fi

# render NAME CHECK_ARGS -- RENDER_ARGS...: renders into $OUT/NAME.yaml and checks it.
render_and_check() {
  local name="$1"; shift
  local check_args=()
  while [ "$1" != "--" ]; do check_args+=("$1"); shift; done
  shift
  if ! "$RENDER" --notes "$OUT/$name.NOTES.txt" "$@" > "$OUT/$name.yaml" 2> "$OUT/$name.err"; then
    fail "$name: render failed: $(cat "$OUT/$name.err")"
    return
  fi
  if [ -s "$OUT/$name.err" ]; then
    fail "$name: renderer warnings: $(cat "$OUT/$name.err")"
  fi
  if ! grep -q "Abhra" "$OUT/$name.NOTES.txt"; then
    fail "$name: NOTES.txt did not render"
  fi
  if "$PY" "$HERE/check_manifests.py" "$OUT/$name.yaml" "${check_args[@]}" "${CHECK_EXTRA[@]}"; then
    pass "$name"
  else
    fail "$name: manifest checks (see above; manifests in $OUT/$name.yaml)"
  fi
}

SM=(--api-versions monitoring.coreos.com/v1)
echo "== rendering and checking"
render_and_check defaults --probes "" --servicemonitor absent --rules absent --dashboards absent \
  --binary-defaults --security off --no-secrets -- "$CHART"
render_and_check defaults-with-crd --probes "" --servicemonitor absent -- "${SM[@]}" "$CHART"
render_and_check dev --probes dev:dev-1 --servicemonitor absent --security off --no-secrets \
  -- -f "$CHART/ci/dev-values.yaml" "$CHART"
render_and_check staging --probes staging:staging-eu-1 --servicemonitor absent \
  -- -f "$CHART/ci/staging-values.yaml" "$CHART"
render_and_check staging-with-crd --probes staging:staging-eu-1 --servicemonitor present \
  -- -f "$CHART/ci/staging-values.yaml" "${SM[@]}" "$CHART"
render_and_check prod --probes prod:prod-eu-1,prod:prod-us-1 --servicemonitor absent --security tls+auth \
  --no-secrets -- -f "$CHART/ci/prod-values.yaml" "$CHART"
render_and_check prod-with-crd --probes prod:prod-eu-1,prod:prod-us-1 --servicemonitor present \
  --security tls+auth --no-secrets --release abhra -- --name abhra --namespace monitoring -f "$CHART/ci/prod-values.yaml" "${SM[@]}" "$CHART"
# TLS + every token class + tenant write tokens + admin API + limits (tests/values-secure.yaml).
SECURE=(-f "$CHART/ci/staging-values.yaml" -f "$HERE/values-secure.yaml")
render_and_check secure --probes staging:staging-eu-1 --servicemonitor present --security tls+auth \
  --no-secrets -- "${SECURE[@]}" "${SM[@]}" "$CHART"
grep -q "credentials_file: /etc/alertmanager/secrets/abhra-aggregator-auth/webhook-token" "$OUT/secure.NOTES.txt" \
  && grep -q "secretKeyRef: {name: abhra-aggregator-auth, key: read-token}" "$OUT/secure.NOTES.txt" \
  && pass "NOTES give the Alertmanager webhook token and the Grafana read-token env" \
  || fail "NOTES lack the webhook receiver's token or Grafana's token env"
# The same with the config from an existing Secret (no init container), a probe CA of its own.
render_and_check secure-config-secret --probes staging:staging-eu-1 --servicemonitor present \
  -- -f "$CHART/ci/staging-values.yaml" "${SM[@]}" -f /dev/stdin "$CHART" <<'EOF'
aggregator:
  existingConfigSecret: abhra-aggregator-config
  tls: {enabled: true, secretName: abhra-aggregator-tls}
  auth: {existingSecret: abhra-aggregator-auth}
probe:
  tls: {caSecret: probe-ca}
EOF
grep -q "auth.read_token_file: /etc/abhra/auth/read-token" "$OUT/secure-config-secret.NOTES.txt" \
  && grep -q "secretName: probe-ca" "$OUT/secure-config-secret.yaml" \
  && pass "existingConfigSecret with tokens: NOTES name the token files; probe CA override" \
  || fail "existingConfigSecret + auth: NOTES or probe CA wrong"

# Each half alone: TLS without tokens (probe CA from the TLS Secret's ca.crt), tokens without TLS.
render_and_check tls-only --probes dev:dev-1 --servicemonitor present --no-secrets -- -f "$CHART/ci/dev-values.yaml" \
  --set serviceMonitor.enabled=true --set aggregator.tls.enabled=true --set aggregator.tls.secretName=tls "${SM[@]}" "$CHART"
render_and_check auth-only --probes dev:dev-1 --servicemonitor present --no-secrets -- -f "$CHART/ci/dev-values.yaml" \
  --set serviceMonitor.enabled=true --set aggregator.auth.existingSecret=auth --set aggregator.auth.webhookTokenKey= \
  --set aggregator.auth.tenantTokenKeys.dev=write-dev --set aggregator.adminApi.enabled=true "${SM[@]}" "$CHART"
grep -q "they cross the network in" "$OUT/auth-only.NOTES.txt" \
  && pass "NOTES warn about tokens without TLS" || fail "NOTES do not warn about tokens without TLS"

grep -q "does not serve monitoring.coreos.com/v1" "$OUT/prod.NOTES.txt" \
  && pass "NOTES warn when a ServiceMonitor is requested without the CRD" \
  || fail "NOTES do not warn about the missing ServiceMonitor CRD"

# Overlays stack (later wins): dev on top of prod keeps prod's probes list replaced by dev's.
render_and_check prod-then-dev --probes dev:dev-1 -- \
  -f "$CHART/ci/prod-values.yaml" -f "$CHART/ci/dev-values.yaml" "$CHART"

# A 53-character release name (Helm's maximum): every name must still fit.
LONG=abhra-release-with-a-very-long-name-for-truncation-xy
render_and_check long-name --probes dev:dev-1 --release "$LONG" \
  -- --name "$LONG" -f "$CHART/ci/dev-values.yaml" "$CHART"

# Persistence off, tokens from values, probe token Secret, --set.
render_and_check variants --probes qa:qa-1 --servicemonitor absent --secret-value s3cret -- \
  --set aggregator.persistence.enabled=false --set probe.queue.persistence.enabled=false \
  -f /dev/stdin "$CHART" <<'EOF'
probes:
  - environment: qa
    cluster: qa-1
    token: s3cret
    targets:
      - name: tcp-db
        tcp: {address: "db.qa.svc:5432"}
EOF
grep -q "kind: Secret" "$OUT/variants.yaml" && grep -q "token_file: /etc/abhra-probe/secret/token" "$OUT/variants.yaml" \
  && pass "per-probe token becomes a Secret and token_file" || fail "per-probe token Secret/token_file missing"

# Rules and dashboards shipped under files/: ConfigMaps, sidecar labels and mounts.
COPY="$WORK/chart-with-files/abhra"
rm -rf "$WORK/chart-with-files"; mkdir -p "$WORK/chart-with-files"; cp -r "$CHART" "$COPY"
cat > "$COPY/files/alerts/abhra.yaml" <<'EOF'
groups:
  - name: abhra-self
    rules:
      - alert: AbhraProbeDown
        expr: up{job="abhra-probe"} == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "probe {{ $labels.instance }} is down"}
EOF
cat > "$COPY/files/dashboards/overview.json" <<'EOF'
{"uid": "abhra-overview", "title": "Abhra overview", "schemaVersion": 39, "panels": []}
EOF
render_and_check with-files --probes dev:dev-1 --rules present --dashboards present \
  -- -f "$COPY/ci/dev-values.yaml" "$COPY"
grep -q 'grafana_folder: "Abhra (dev)"' "$OUT/with-files.yaml" \
  && pass "dashboards ConfigMap carries the folder annotation" || fail "dashboards folder annotation missing"

echo "== the real binaries with the rendered args and configs (when built)"
if "$PY" "$HERE/run_with_binaries.py" "$BIN_DIR" "$OUT/defaults.yaml" "$OUT/dev.yaml" \
    "$OUT/staging.yaml" "$OUT/prod.yaml" "$OUT/variants.yaml" "$OUT/secure.yaml" \
    "$OUT/tls-only.yaml" "$OUT/auth-only.yaml"; then
  pass "binaries in $BIN_DIR accept the chart's args and configs (or are not built)"
else
  fail "a binary rejected what the chart renders"
fi

echo "== negative cases"
# expect_reject NAME PATTERN... -- RENDER_ARGS: the render must fail and stderr match every PATTERN.
expect_reject() {
  local name="$1"; shift
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  if "$RENDER" "$@" > "$OUT/$name.yaml" 2> "$OUT/$name.err"; then
    fail "$name: invalid values were accepted"
    return
  fi
  local p ok=1
  for p in "${patterns[@]}"; do
    grep -qF -- "$p" "$OUT/$name.err" || { ok=0; fail "$name: error lacks '$p': $(cat "$OUT/$name.err")"; }
  done
  [ "$ok" = 1 ] && pass "$name rejected: $(head -c 300 "$OUT/$name.err" | tr '\n' ' ')"
}
cat > "$OUT/bad-values.yaml" <<'EOF'
aggregator:
  replicaCount: two
  port: 70000
  image: {tag: latest}
  config:
    alertmanagers:
      - url: http://alertmanager:9093
containerSecurityContext:
  readOnlyRootFilesystem: false
probes:
  - environment: Prod_EU
    targets:
      - name: web
    externalLabels: {env: prod}
unknownTopLevel: 1
EOF
expect_reject schema-violations \
  "values don't meet the specifications of the schema(s) in the following chart(s):" \
  "aggregator.replicaCount: Invalid type. Expected: integer, given: string" \
  "aggregator.port: Must be less than or equal to 65535" \
  "aggregator.image.tag" \
  "aggregator.config.alertmanagers.0: Invalid type. Expected: string, given: object" \
  "containerSecurityContext.readOnlyRootFilesystem" \
  "probes.0: cluster is required" \
  "probes.0.environment: Does not match pattern" \
  "probes.0.targets.0: Must validate one and only one schema (oneOf)" \
  "probes.0.externalLabels" \
  "Additional property unknownTopLevel is not allowed" \
  -- -f "$OUT/bad-values.yaml" "$CHART"
expect_reject schema-set-type "aggregator.persistence.enabled: Invalid type. Expected: boolean, given: string" \
  -- --set aggregator.persistence.enabled=maybe "$CHART"
cat > "$OUT/dup-probes.yaml" <<'EOF'
probes:
  - {environment: prod, cluster: a, targets: []}
  - {environment: prod, cluster: b, targets: []}
EOF
expect_reject duplicate-probe-names 'probe name "prod" is used twice' -- -f "$OUT/dup-probes.yaml" "$CHART"
expect_reject inline-tenant-token "aggregator.config.tenants[0].token: tokens are not rendered into ConfigMaps" \
  -- -f /dev/stdin "$CHART" <<'EOF'
aggregator:
  config:
    tenants: [{name: prod, token: s3cret}]
EOF
expect_reject tls-without-secret "aggregator.tls.enabled needs aggregator.tls.secretName" \
  -- --set aggregator.tls.enabled=true "$CHART"
expect_reject admin-api-open "needs aggregator.auth.adminTokenKey" \
  -- --set aggregator.auth.existingSecret=a --set aggregator.adminApi.enabled=true --set aggregator.auth.adminTokenKey= "$CHART"
expect_reject shared-token-key 'tenants canary and staging use the same key "w"' \
  -- --set aggregator.auth.existingSecret=a --set aggregator.auth.tenantTokenKeys.staging=w \
  --set aggregator.auth.tenantTokenKeys.canary=w "$CHART"
expect_reject config-limits "set aggregator.limits.maxSeriesPerTenant instead" \
  -- --set aggregator.config.limits.max_series_per_tenant=5 "$CHART"
expect_reject limit-range "aggregator.limits.queryMaxConcurrency: Must be greater than or equal to 1" \
  -- --set aggregator.limits.queryMaxConcurrency=0 "$CHART"
expect_reject bad-release-name "release name" -- --name "Bad_Name" "$CHART"
expect_reject old-kubernetes "chart requires kubeVersion" -- --kube-version 1.20.0 "$CHART"

# The checker itself must catch broken manifests.
sed 's#path: /-/ready#path: /ready#' "$OUT/dev.yaml" > "$OUT/broken.yaml"
if "$PY" "$HERE/check_manifests.py" "$OUT/broken.yaml" --probes dev:dev-1 > "$OUT/broken.out"; then
  fail "checker accepted a readiness probe on /ready"
else
  grep -q "readinessProbe path '/ready' is not /-/ready" "$OUT/broken.out" \
    && pass "checker rejects a wrong readiness path" || fail "checker message: $(cat "$OUT/broken.out")"
fi
# expect_caught NAME PATTERN CHECK_ARGS...: $OUT/NAME.yaml must fail the checker with PATTERN.
expect_caught() {
  local name="$1" pattern="$2"; shift 2
  if "$PY" "$HERE/check_manifests.py" "$OUT/$name.yaml" "$@" "${CHECK_EXTRA[@]}" > "$OUT/$name.out"; then
    fail "checker accepted $name"
  elif grep -qF -- "$pattern" "$OUT/$name.out"; then
    pass "checker catches $name"
  else
    fail "checker message for $name lacks '$pattern': $(cat "$OUT/$name.out")"
  fi
}
SEC_ARGS=(--probes staging:staging-eu-1 --servicemonitor present)
sed '/scheme: HTTPS/d' "$OUT/secure.yaml" > "$OUT/broken-probe-scheme.yaml"
expect_caught broken-probe-scheme "readinessProbe scheme HTTP is not HTTPS" "${SEC_ARGS[@]}"
sed 's#"Bearer ${ABHRA_READ_TOKEN}"#"Bearer 0123456789abcdef"#' "$OUT/secure.yaml" > "$OUT/broken-inline-bearer.yaml"
expect_caught broken-inline-bearer "holds a literal secret" "${SEC_ARGS[@]}"
sed '/bearerTokenSecret:/,+2d' "$OUT/secure.yaml" > "$OUT/broken-sm-token.yaml"
expect_caught broken-sm-token "no bearerTokenSecret" "${SEC_ARGS[@]}"
sed 's#url: https://\(.*\)/api/v1/write#url: http://\1/api/v1/write#' "$OUT/secure.yaml" > "$OUT/broken-probe-url.yaml"
expect_caught broken-probe-url "does not match the aggregator's TLS (on)" "${SEC_ARGS[@]}"
sed 's#^\(    alertmanagers:\)#    tenants: [{name: x, token: s3cret}]\n\1#' "$OUT/staging.yaml" > "$OUT/broken-tenant-token.yaml"
expect_caught broken-tenant-token "token is inline in a ConfigMap" --probes staging:staging-eu-1
if [ ${#CHECK_EXTRA[@]} -gt 0 ]; then
  sed 's#--query.max-concurrency=20#--query.max-concurrency=0#' "$OUT/defaults.yaml" > "$OUT/broken-flag-range.yaml"
  expect_caught broken-flag-range "outside the binary's range" --probes ""
fi
sed 's#--listen=0.0.0.0:9091#--listen=0.0.0.0:9999#' "$OUT/dev.yaml" > "$OUT/broken2.yaml"
if "$PY" "$HERE/check_manifests.py" "$OUT/broken2.yaml" --probes dev:dev-1 > "$OUT/broken2.out"; then
  fail "checker accepted --listen port != containerPort"
else
  pass "checker rejects a --listen port that differs from containerPort"
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "helm chart check: $failures failure(s)"
  exit 1
fi
echo "helm chart check: all passed"
