{{/*
Named templates shared by every manifest. The first six follow `helm create`.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "abhra.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, at most 63 characters (DNS-1123 label limit); if the release name
already contains the chart name it is used as is.
*/}}
{{- define "abhra.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version as used by the helm.sh/chart label. */}}
{{- define "abhra.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels (recommended app.kubernetes.io/* set plus helm.sh/chart). */}}
{{- define "abhra.labels" -}}
helm.sh/chart: {{ include "abhra.chart" . }}
{{ include "abhra.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: abhra
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels: name + instance only (selectors are immutable). */}}
{{- define "abhra.selectorLabels" -}}
app.kubernetes.io/name: {{ include "abhra.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Name of the ServiceAccount to use. */}}
{{- define "abhra.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "abhra.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* ------------------------------------------------------------------ aggregator */}}

{{/*
Aggregator StatefulSet name. Kept to 52 characters: the controller-revision-hash label value
is "<name>-<10 char hash>" and must fit in 63.
*/}}
{{- define "abhra.aggregator.fullname" -}}
{{- printf "%s-aggregator" (include "abhra.fullname" .) | trunc 52 | trimSuffix "-" }}
{{- end }}

{{- define "abhra.aggregator.headlessName" -}}
{{- printf "%s-headless" (include "abhra.aggregator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "abhra.aggregator.labels" -}}
{{ include "abhra.labels" . }}
app.kubernetes.io/component: aggregator
{{- end }}

{{- define "abhra.aggregator.selectorLabels" -}}
{{ include "abhra.selectorLabels" . }}
app.kubernetes.io/component: aggregator
{{- end }}

{{/* Name of the ConfigMap or Secret that holds the aggregator's config.yaml. */}}
{{- define "abhra.aggregator.configName" -}}
{{- .Values.aggregator.existingConfigSecret | default (printf "%s-config" (include "abhra.aggregator.fullname" .)) }}
{{- end }}

{{/* "true" when the aggregator serves HTTPS, "" otherwise. */}}
{{- define "abhra.aggregator.tls" -}}
{{- if and .Values.aggregator.enabled .Values.aggregator.tls.enabled }}
{{- if not .Values.aggregator.tls.secretName }}
{{- fail "aggregator.tls.enabled needs aggregator.tls.secretName (a kubernetes.io/tls Secret with tls.crt and tls.key)" }}
{{- end }}true
{{- end }}
{{- end }}

{{/* In-cluster host name of the aggregator's client Service; its certificate must name it. */}}
{{- define "abhra.aggregator.host" -}}
{{- printf "%s.%s.svc.%s" (include "abhra.aggregator.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* In-cluster base URL of the aggregator's client Service (no trailing slash). */}}
{{- define "abhra.aggregator.url" -}}
{{- $scheme := "http" }}
{{- if include "abhra.aggregator.tls" . }}{{ $scheme = "https" }}{{ end }}
{{- printf "%s://%s:%d" $scheme (include "abhra.aggregator.host" .) (int .Values.aggregator.service.port) }}
{{- end }}

{{/*
The CA clients verify the aggregator with, as JSON {secretName, key} ("{}" without TLS).
*/}}
{{- define "abhra.aggregator.ca" -}}
{{- $tls := .Values.aggregator.tls }}
{{- if include "abhra.aggregator.tls" . }}
{{- toJson (dict "secretName" ($tls.caSecret | default $tls.secretName) "key" $tls.caKey) }}
{{- else }}
{{- "{}" }}
{{- end }}
{{- end }}

{{/*
Token files the aggregator reads, as JSON {read, admin, webhook: "<key>"} (a class is absent
when it needs no token); "{}" without aggregator.auth.existingSecret.
*/}}
{{- define "abhra.aggregator.authKeys" -}}
{{- $auth := .Values.aggregator.auth }}
{{- $keys := dict }}
{{- if $auth.existingSecret }}
{{- with $auth.readTokenKey }}{{ $_ := set $keys "read" . }}{{ end }}
{{- with $auth.webhookTokenKey }}{{ $_ := set $keys "webhook" . }}{{ end }}
{{- if .Values.aggregator.adminApi.enabled }}
{{- with $auth.adminTokenKey }}{{ $_ := set $keys "admin" . }}{{ end }}
{{- if and $keys.read (not $keys.admin) }}
{{- fail "aggregator.adminApi.enabled with a read token (aggregator.auth.readTokenKey) needs aggregator.auth.adminTokenKey: the admin API must not be more open than reads" }}
{{- end }}
{{- end }}
{{- $classOf := dict }}
{{- range $class, $key := $keys }}
{{- if hasKey $classOf $key }}
{{- fail (printf "aggregator.auth: the %s and %s tokens use the same key %q; each class needs its own token" (get $classOf $key) $class $key) }}
{{- end }}
{{- $_ := set $classOf $key $class }}
{{- end }}
{{- $tenantKeys := dict }}
{{- range $tenant, $key := $auth.tenantTokenKeys }}
{{- if hasKey $tenantKeys $key }}
{{- fail (printf "aggregator.auth.tenantTokenKeys: tenants %s and %s use the same key %q; each tenant needs its own token" (get $tenantKeys $key) $tenant $key) }}
{{- end }}
{{- $_ := set $tenantKeys $key $tenant }}
{{- range $class, $k := $keys }}
{{- if eq $k $key }}
{{- fail (printf "aggregator.auth.tenantTokenKeys.%s uses key %q, which is also the %s token: each class needs its own token" $tenant $key $class) }}
{{- end }}
{{- end }}
{{- end }}
{{- else if $auth.tenantTokenKeys }}
{{- fail "aggregator.auth.tenantTokenKeys needs aggregator.auth.existingSecret (the Secret holding those keys)" }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/* "true" when tenant tokens are added to config.yaml by the init container. */}}
{{- define "abhra.aggregator.assembleConfig" -}}
{{- if and .Values.aggregator.auth.existingSecret .Values.aggregator.auth.tenantTokenKeys }}
{{- if .Values.aggregator.existingConfigSecret }}
{{- fail "aggregator.auth.tenantTokenKeys cannot be used with aggregator.existingConfigSecret: put the tenants' tokens in that config Secret instead" }}
{{- end }}true
{{- end }}
{{- end }}

{{/* Single-quotes a string for /bin/sh. */}}
{{- define "abhra.shquote" -}}
'{{ . | replace "'" "'\\''" }}'
{{- end }}

{{/*
The aggregator's config.yaml as rendered into its ConfigMap: aggregator.config plus limits from
aggregator.limits and auth token files from aggregator.auth. Tenants move to the init container's
script when any has a token in the auth Secret. Tokens themselves never appear here.
*/}}
{{- define "abhra.aggregator.config" -}}
{{- $agg := .Values.aggregator }}
{{- $cfg := deepCopy ($agg.config | default dict) }}
{{- if hasKey $cfg "limits" }}
{{- fail "aggregator.config.limits: set aggregator.limits.maxSeriesPerTenant instead (per tenant: config.tenants[].max_series)" }}
{{- end }}
{{- $_ := set $cfg "limits" (dict "max_series_per_tenant" (int64 $agg.limits.maxSeriesPerTenant)) }}
{{- range $i, $t := ($cfg.tenants | default list) }}
{{- if hasKey $t "token" }}
{{- fail (printf "aggregator.config.tenants[%d].token: tokens are not rendered into ConfigMaps; put it in the Secret aggregator.auth.existingSecret and map the tenant to its key in aggregator.auth.tenantTokenKeys (or use aggregator.existingConfigSecret)" $i) }}
{{- end }}
{{- end }}
{{- $keys := include "abhra.aggregator.authKeys" . | fromJson }}
{{- if $agg.auth.existingSecret }}
{{- if hasKey $cfg "auth" }}
{{- fail "aggregator.config.auth is set by the chart from aggregator.auth (existingSecret and its keys); remove it" }}
{{- end }}
{{- $files := dict }}
{{- range $class, $key := $keys }}
{{- $_ := set $files (printf "%s_token_file" $class) (printf "%s/%s" $agg.auth.mountPath $key) }}
{{- end }}
{{- if $files }}
{{- $_ := set $cfg "auth" $files }}
{{- end }}
{{- end }}
{{- if include "abhra.aggregator.assembleConfig" . }}
{{- $cfg = omit $cfg "tenants" }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/*
Shell script of the init container that writes the final config.yaml: the ConfigMap's
config.yaml plus `tenants:`, each tenant's token read from its file in the auth Secret.
*/}}
{{- define "abhra.aggregator.assembleScript" -}}
{{- $agg := .Values.aggregator }}
{{- $keys := $agg.auth.tenantTokenKeys }}
{{- $tenants := list }}
{{- $listed := dict }}
{{- range ($agg.config.tenants | default list) }}
{{- $tenants = append $tenants . }}
{{- $_ := set $listed .name true }}
{{- end }}
{{- range $name, $_ := $keys }}
{{- if not (hasKey $listed $name) }}
{{- $tenants = append $tenants (dict "name" $name) }}
{{- end }}
{{- end -}}
#!/bin/sh
# Writes the aggregator's config.yaml: this ConfigMap's config.yaml plus `tenants:`, each
# tenant's remote-write token read from its file of the auth Secret (the aggregator reads
# tenant tokens only from its config). Run by the init container "config"; the output goes to a
# memory-backed emptyDir that only this pod mounts. Never prints a token.
set -eu
in="${ABHRA_CONFIG_IN:-/etc/abhra/config-template/config.yaml}"
out="${ABHRA_CONFIG_OUT:-/etc/abhra/config/config.yaml}"
auth="${ABHRA_AUTH_DIR:-{{ $agg.auth.mountPath }}}"
umask 077
fail() { echo "assemble-config: $*" >&2; exit 1; }
# token KEY TENANT: prints the tenant's `token:` line, YAML single-quoted.
token() {
  f="$auth/$1"
  [ -r "$f" ] || fail "$f (write token of tenant $2) is missing or unreadable"
  t=$(cat "$f")
  [ -n "$t" ] || fail "$f (write token of tenant $2) is empty"
  case "$t" in *"
"*) fail "$f (write token of tenant $2) has more than one line" ;; esac
  printf "    token: '%s'\n" "$(printf '%s' "$t" | sed "s/'/''/g")"
}
{
  cat "$in"
  echo "tenants:"
{{- range $t := $tenants }}
  echo {{ include "abhra.shquote" (printf "  - name: %s" (toJson $t.name)) }}
{{- if not (kindIs "invalid" $t.max_series) }}
  echo {{ include "abhra.shquote" (printf "    max_series: %d" (int64 $t.max_series)) }}
{{- end }}
{{- with (get $keys $t.name) }}
  token {{ include "abhra.shquote" . }} {{ include "abhra.shquote" $t.name }}
{{- end }}
{{- end }}
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "assemble-config: wrote $out with {{ len $tenants }} tenant(s), {{ len $keys }} with a write token"
{{- end }}

{{/* Alert rule files shipped under files/alerts/ ("" when none or disabled). */}}
{{- define "abhra.rules.enabled" -}}
{{- if and .Values.aggregator.enabled .Values.aggregator.rules.enabled (.Files.Glob "files/alerts/*.{yaml,yml}") }}true{{ end }}
{{- end }}

{{/* Dashboard JSON files shipped under files/dashboards/ ("" when none or disabled). */}}
{{- define "abhra.dashboards.enabled" -}}
{{- if and .Values.grafana.dashboards.enabled (.Files.Glob "files/dashboards/*.json") }}true{{ end }}
{{- end }}

{{/* ------------------------------------------------------------------ images */}}

{{/*
Image reference from {registry, repository, tag, digest}; the tag defaults to the chart's
appVersion and a digest, when set, wins over the tag. Call with (dict "image" X "root" $).
*/}}
{{- define "abhra.image" -}}
{{- $repo := .image.repository }}
{{- if .image.registry }}
{{- $repo = printf "%s/%s" .image.registry .image.repository }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repo .image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (.image.tag | default .root.Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* ------------------------------------------------------------------ probes */}}

{{/* Short name of one probe entry: .name, else its environment. Call with the entry. */}}
{{- define "abhra.probe.shortName" -}}
{{- .name | default .environment }}
{{- end }}

{{/* Deployment name of one probe. Call with (dict "root" $ "probe" ENTRY). */}}
{{- define "abhra.probe.fullname" -}}
{{- printf "%s-probe-%s" (include "abhra.fullname" .root) (include "abhra.probe.shortName" .probe) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "abhra.probe.selectorLabels" -}}
{{ include "abhra.selectorLabels" .root }}
app.kubernetes.io/component: probe
abhra/probe: {{ include "abhra.probe.shortName" .probe }}
{{- end }}

{{- define "abhra.probe.labels" -}}
{{ include "abhra.labels" .root }}
app.kubernetes.io/component: probe
abhra/probe: {{ include "abhra.probe.shortName" .probe }}
abhra/environment: {{ .probe.environment }}
abhra/cluster: {{ .probe.cluster }}
{{- end }}

{{/*
The probe's bearer token source as a dict {secretName, key}, rendered as JSON ("{}" when the
probe sends no token). Per-probe existingSecret wins, then a per-probe token (a Secret the
chart creates), then probe.auth.existingSecret.
*/}}
{{- define "abhra.probe.tokenSecret" -}}
{{- $p := .probe }}
{{- $auth := .root.Values.probe.auth }}
{{- if $p.existingSecret }}
{{- toJson (dict "secretName" $p.existingSecret "key" ($p.existingSecretKey | default $auth.secretKey)) }}
{{- else if $p.token }}
{{- toJson (dict "secretName" (printf "%s-token" (include "abhra.probe.fullname" .)) "key" "token") }}
{{- else if $auth.existingSecret }}
{{- toJson (dict "secretName" $auth.existingSecret "key" $auth.secretKey) }}
{{- else }}
{{- "{}" }}
{{- end }}
{{- end }}

{{/* The probe's remote-write URL. Call with (dict "root" $ "probe" ENTRY). */}}
{{- define "abhra.probe.url" -}}
{{- .probe.aggregatorUrl | default .root.Values.probe.aggregatorUrl | default (printf "%s/api/v1/write" (include "abhra.aggregator.url" .root)) }}
{{- end }}

{{/*
The probe config's aggregator.tls block as JSON ("{}" for an http:// URL or nothing to set),
with _secretName/_key of the CA Secret to mount. Call with (dict "root" $ "probe" ENTRY).
*/}}
{{- define "abhra.probe.tls" -}}
{{- $root := .root }}
{{- $t := $root.Values.probe.tls }}
{{- $block := dict }}
{{- if hasPrefix "https://" (include "abhra.probe.url" .) }}
{{- $ca := dict }}
{{- if $t.caSecret }}
{{- $ca = dict "secretName" $t.caSecret "key" ($t.caKey | default $root.Values.aggregator.tls.caKey) }}
{{- else }}
{{- $agg := include "abhra.aggregator.ca" $root | fromJson }}
{{- if $agg.secretName }}
{{- $ca = dict "secretName" $agg.secretName "key" ($t.caKey | default $agg.key) }}
{{- end }}
{{- end }}
{{- if $ca.secretName }}
{{- $block = dict "ca_file" (printf "%s/%s" $t.mountPath $ca.key) "_secretName" $ca.secretName "_key" $ca.key }}
{{- end }}
{{- with $t.serverName }}{{ $_ := set $block "server_name" . }}{{ end }}
{{- if $t.insecureSkipVerify }}{{ $_ := set $block "insecure_skip_verify" true }}{{ end }}
{{- end }}
{{- toJson $block }}
{{- end }}

{{/*
The probe's config.yaml (abhra-probe --config; reference: probe/config/docs/config.md, unknown
keys are errors there). Call with (dict "root" $ "probe" ENTRY).
probe.extraConfig and the entry's extraConfig are merged over the generated keys.
*/}}
{{- define "abhra.probe.config" -}}
{{- $root := .root }}
{{- $p := .probe }}
{{- $defaults := $root.Values.probe }}
{{- $url := include "abhra.probe.url" . }}
{{- $queue := dict "dir" $defaults.queue.dir }}
{{- with $defaults.queue.maxBytes }}
{{- $_ := set $queue "max_bytes" . }}
{{- end }}
{{- $agg := dict "url" $url "queue" $queue }}
{{- $secret := include "abhra.probe.tokenSecret" . | fromJson }}
{{- if $secret.secretName }}
{{- $_ := set $agg "token_file" (printf "%s/%s" $defaults.tokenMountPath $secret.key) }}
{{- end }}
{{- $tls := omit (include "abhra.probe.tls" . | fromJson) "_secretName" "_key" }}
{{- if $tls }}
{{- $_ := set $agg "tls" $tls }}
{{- end }}
{{- $labels := merge (dict) (deepCopy ($p.externalLabels | default dict)) (deepCopy $defaults.externalLabels) }}
{{- $cfg := dict "environment" $p.environment "cluster" $p.cluster "aggregator" $agg "external_labels" $labels "targets" ($p.targets | default list) }}
{{- $global := merge (dict) (deepCopy ($p.global | default dict)) (deepCopy $defaults.global) }}
{{- if $global }}
{{- $_ := set $cfg "global" $global }}
{{- end }}
{{- $cfg = mergeOverwrite $cfg (deepCopy $defaults.extraConfig) (deepCopy ($p.extraConfig | default dict)) }}
{{- toYaml $cfg }}
{{- end }}
