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

{{/* In-cluster base URL of the aggregator's client Service (no trailing slash). */}}
{{- define "abhra.aggregator.url" -}}
{{- printf "http://%s.%s.svc.%s:%d" (include "abhra.aggregator.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.aggregator.service.port) }}
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

{{/*
The probe's config.yaml (abhra-probe --config; reference: probe/config/docs/config.md, unknown
keys are errors there). Call with (dict "root" $ "probe" ENTRY).
probe.extraConfig and the entry's extraConfig are merged over the generated keys.
*/}}
{{- define "abhra.probe.config" -}}
{{- $root := .root }}
{{- $p := .probe }}
{{- $defaults := $root.Values.probe }}
{{- $url := $p.aggregatorUrl | default $defaults.aggregatorUrl | default (printf "%s/api/v1/write" (include "abhra.aggregator.url" $root)) }}
{{- $queue := dict "dir" $defaults.queue.dir }}
{{- with $defaults.queue.maxBytes }}
{{- $_ := set $queue "max_bytes" . }}
{{- end }}
{{- $agg := dict "url" $url "queue" $queue }}
{{- $secret := include "abhra.probe.tokenSecret" . | fromJson }}
{{- if $secret.secretName }}
{{- $_ := set $agg "token_file" (printf "%s/%s" $defaults.tokenMountPath $secret.key) }}
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
