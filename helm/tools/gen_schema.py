#!/usr/bin/python3
"""Generates helm/abhra/values.schema.json (JSON Schema draft-07 for the chart's values).

The schema is committed; edit this file, then run
  python3 helm/tools/gen_schema.py > helm/abhra/values.schema.json
helm/tests/check.sh fails when the committed schema differs from this script's output, and
checks that every key of values.yaml is described here.
"""
import json
def obj(props, required=(), desc=None, addl=False):
    o = {"type": "object", "additionalProperties": addl, "properties": props}
    if required: o["required"] = list(required)
    if desc: o["description"] = desc
    return o
def s(desc, **kw): return dict(type="string", description=desc, **kw)
def b(desc): return {"type": "boolean", "description": desc}
def i(desc, minimum=None, maximum=None):
    o = {"type": "integer", "description": desc}
    if minimum is not None: o["minimum"] = minimum
    if maximum is not None: o["maximum"] = maximum
    return o
def m(desc): return {"type": "object", "description": desc}
def strmap(desc): return {"type": "object", "description": desc, "additionalProperties": {"type": "string"}}
def arr(desc, items=None):
    o = {"type": "array", "description": desc}
    if items: o["items"] = items
    return o
DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUANTITY = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
SECRET_KEY = "^[-._a-zA-Z0-9]+$"
TENANT = "^[A-Za-z0-9][-A-Za-z0-9_.]*$"
ABS_PATH = "^/.+"
# The aggregator's own duration syntax (--query.timeout, --http.*-timeout).
FLAG_DURATION = "^([0-9]+(ms|s|m|h|d|w|y))+$"

defs = {
  "image": obj({
    "registry": s("Registry host, e.g. ghcr.io; empty for none."),
    "repository": s("Repository path within the registry.", minLength=1),
    "tag": s("Image tag; empty = the chart's appVersion. 'latest' is refused.", **{"not": {"enum": ["latest"]}}),
    "digest": s("Digest (sha256:<64 hex>); wins over the tag.", pattern="^(sha256:[a-f0-9]{64})?$"),
    "pullPolicy": {"type": "string", "enum": ["Always", "IfNotPresent", "Never"], "description": "imagePullPolicy."},
  }, required=["repository"], desc="Container image."),
  "resources": {
    "type": "object", "additionalProperties": False, "description": "Container resources (requests/limits).",
    "properties": {
      "requests": {"type": "object", "description": "Resource requests, e.g. {cpu: 100m, memory: 128Mi}.",
                   "additionalProperties": {"$ref": "#/definitions/quantity"}},
      "limits": {"type": "object", "description": "Resource limits.",
                 "additionalProperties": {"$ref": "#/definitions/quantity"}},
    }},
  "quantity": {"description": "Kubernetes quantity, e.g. 250m, 1Gi, 2.",
               "oneOf": [{"type": "string", "pattern": QUANTITY}, {"type": "number", "minimum": 0}]},
  "httpProbe": obj({
    "initialDelaySeconds": i("Seconds before the first probe.", 0),
    "periodSeconds": i("Seconds between probes.", 1),
    "timeoutSeconds": i("Probe timeout in seconds.", 1),
    "failureThreshold": i("Failures before acting.", 1),
    "successThreshold": i("Successes to count as ok (must be 1 for liveness).", 1),
  }, desc="Timing of an HTTP probe; path and port are fixed by the chart."),
  "persistence": obj({
    "enabled": b("Use a PersistentVolumeClaim."),
    "size": s("Requested size, e.g. 20Gi.", pattern=QUANTITY),
    "storageClass": s("StorageClass name; empty = cluster default; '-' = storageClassName: \"\"."),
    "accessModes": arr("PVC access modes.", {"type": "string", "enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]}),
    "annotations": strmap("PVC annotations."),
  }, desc="Volume settings."),
  "target": {"type": "object", "description": "One probe target: a unique name and exactly one of http, health, tcp, scrape.",
             "required": ["name"],
             "properties": {"name": {"type": "string", "minLength": 1, "description": "Unique; the target label of checks (job is abhra-probe), the job label of scrapes."}},
             "oneOf": [{"required": ["http"]}, {"required": ["health"]}, {"required": ["tcp"]}, {"required": ["scrape"]}]},
  "probeGlobal": obj({"interval": {"$ref": "#/definitions/duration"}, "timeout": {"$ref": "#/definitions/duration"},
                      "retries": i("Extra attempts before a target counts as down.", 0, 10)},
                     desc="The probe config's global block."),
  "externalLabels": {"type": "object", "description": "External labels; env, cluster, job, target, instance, service and __* are reserved.",
                     "propertyNames": {"pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$",
                                       "not": {"anyOf": [{"enum": ["env", "cluster", "job", "target", "instance", "service"]}, {"pattern": "^__"}]}},
                     "additionalProperties": {"type": "string"}},
  "aggDuration": {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h|d|w|y))+)$", "description": "Duration, e.g. 2h, 15d, 1y, or 0 (forever for retentions)."},
  "duration": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h|d|w|y))+$", "description": "Prometheus duration, e.g. 30s, 5m."},
  "labelValue": {"type": "string", "maxLength": 63, "pattern": "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", "description": "Kubernetes label value."},
  "probeEntry": obj({
    "name": {"type": "string", "maxLength": 40, "pattern": DNS_LABEL, "description": "Short name (object names, abhra/probe label); default: environment. Must be unique."},
    "environment": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": DNS_LABEL, "description": "Environment (tenant), e.g. prod; the probe's `environment`."},
    "cluster": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": DNS_LABEL, "description": "Cluster name; the probe's `cluster`."},
    "enabled": b("false scales this probe to 0 replicas."),
    "targets": arr("Check/scrape targets, passed verbatim as the probe config's `targets` (probe/config/docs/config.md).", {"$ref": "#/definitions/target"}),
    "global": {"$ref": "#/definitions/probeGlobal"},
    "externalLabels": {"$ref": "#/definitions/externalLabels"},
    "token": s("Remote-write bearer token; the chart stores it in a Secret."),
    "existingSecret": s("Existing Secret with the bearer token (wins over token)."),
    "existingSecretKey": s("Key in existingSecret; default probe.auth.secretKey."),
    "aggregatorUrl": s("Remote-write URL for this probe; default probe.aggregatorUrl.", pattern="^(https?://.+)?$"),
    "extraConfig": m("Keys merged over this probe's generated config.yaml."),
    "resources": {"$ref": "#/definitions/resources"},
    "nodeSelector": strmap("Node selector for this probe."),
    "tolerations": arr("Tolerations for this probe.", {"type": "object"}),
    "affinity": m("Affinity for this probe."),
  }, required=["environment", "cluster", "targets"], desc="One probe Deployment."),
}

SECCOMP = {"type": "object", "description": "Seccomp profile.", "properties": {"type": {"type": "string", "enum": ["RuntimeDefault", "Localhost"], "description": "RuntimeDefault (or a Localhost profile)."}}}
schema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Values of the abhra chart",
  "definitions": defs,
  **obj({
    "global": {"type": "object", "description": "Helm's conventional global values (unused by this chart)."},
    "nameOverride": {"type": "string", "maxLength": 63, "description": "Overrides the chart name in object names and app.kubernetes.io/name."},
    "fullnameOverride": {"type": "string", "maxLength": 63, "description": "Overrides the <release>-<chart> prefix of object names."},
    "commonLabels": {"type": "object", "description": "Labels put on every object.", "additionalProperties": {"$ref": "#/definitions/labelValue"}},
    "clusterDomain": s("Cluster DNS domain.", minLength=1),
    "imagePullSecrets": arr("Image pull secrets.", obj({"name": s("Secret name.", minLength=1)}, required=["name"])),
    "serviceAccount": obj({
      "create": b("Create a ServiceAccount."),
      "name": s("ServiceAccount name; default: full name (created) or 'default'."),
      "annotations": strmap("ServiceAccount annotations."),
      "automountServiceAccountToken": b("Mount the API token into pods (not needed)."),
    }, desc="ServiceAccount shared by all pods."),
    "podSecurityContext": {"type": "object", "description": "Pod securityContext of every pod.",
        "properties": {"runAsNonRoot": {"const": True, "description": "Must stay true."},
                       "runAsUser": {"type": "integer", "minimum": 1, "description": "Non-root UID."},
                       "runAsGroup": {"type": "integer", "minimum": 0, "description": "Primary GID."},
                       "fsGroup": {"type": "integer", "minimum": 0, "description": "GID owning mounted volumes (makes the PVC writable)."},
                       "fsGroupChangePolicy": {"type": "string", "enum": ["OnRootMismatch", "Always"], "description": "When to chown volumes."},
                       "seccompProfile": SECCOMP}},
    "containerSecurityContext": {"type": "object", "description": "securityContext of every container.",
        "properties": {"runAsNonRoot": {"const": True, "description": "Must stay true."},
                       "runAsUser": {"type": "integer", "minimum": 1, "description": "Non-root UID."},
                       "readOnlyRootFilesystem": {"const": True, "description": "Must stay true."},
                       "allowPrivilegeEscalation": {"const": False, "description": "Must stay false."},
                       "privileged": {"const": False, "description": "Must stay false."},
                       "runAsGroup": {"type": "integer", "minimum": 0, "description": "Primary GID."},
                       "capabilities": {"type": "object", "description": "Linux capabilities; drop must include ALL.",
                                        "properties": {"drop": {"type": "array", "contains": {"const": "ALL"}, "description": "Dropped capabilities."},
                                                       "add": {"type": "array", "maxItems": 0, "description": "Added capabilities (none allowed)."}}},
                       "seccompProfile": SECCOMP}},
    "aggregator": obj({
      "enabled": b("Render the aggregator."),
      "replicaCount": i("StatefulSet replicas (each an independent TSDB).", 0, 5),
      "image": {"$ref": "#/definitions/image"},
      "logLevel": {"type": "string", "enum": ["debug", "info", "warn", "error"], "description": "--log.level."},
      "port": i("Container port (--listen=0.0.0.0:<port>).", 1, 65535),
      "dataDir": s("--data-dir; where the data volume is mounted.", pattern="^/.+"),
      "extraArgs": arr("Extra command-line flags.", {"type": "string"}),
      "extraEnv": arr("Extra environment variables (EnvVar list).", obj({"name": s("Variable name.", minLength=1), "value": s("Value."), "valueFrom": m("Value source.")}, required=["name"])),
      "config": {"type": "object",
                 "description": "config.yaml of the aggregator, rendered verbatim (aggregator/app/docs/config.md). Known keys are typed here; others pass through for newer aggregators.",
                 "properties": {
                   "tenants": arr("Environments (tenants) and their series limits. Write tokens come from aggregator.auth.tenantTokenKeys; an inline token is refused.",
                                  obj({"name": s("Environment name (unique).", minLength=1, pattern=TENANT),
                                       "token": s("Refused by the chart: use aggregator.auth.tenantTokenKeys."),
                                       "max_series": i("Most series of this env in the head; 0 = unlimited.", 0)}, required=["name"])),
                   "storage": obj({
                     "block_duration": {"$ref": "#/definitions/aggDuration"},
                     "retention_raw": {"$ref": "#/definitions/aggDuration"},
                     "retention_5m": {"$ref": "#/definitions/aggDuration"},
                     "retention_1h": {"$ref": "#/definitions/aggDuration"},
                     "wal_fsync": {"type": "string", "enum": ["always", "batch", "never"], "description": "When the WAL is fsynced."},
                   }, desc="TSDB block size, retention per resolution, WAL durability."),
                   "alertmanagers": arr("Alertmanager base URLs (strings) that firing alerts are sent to.",
                                        {"type": "string", "pattern": "^https?://.+"}),
                 }},
      "existingConfigSecret": s("Existing Secret with config.yaml used instead of `config`."),
      "tls": obj({
        "enabled": b("Serve HTTPS only (--web.tls-cert-file/--web.tls-key-file)."),
        "secretName": s("kubernetes.io/tls Secret with tls.crt and tls.key; required when enabled."),
        "mountPath": s("Where the TLS Secret is mounted.", pattern=ABS_PATH),
        "caSecret": s("Secret with the CA clients verify the aggregator with; empty = secretName."),
        "caKey": s("Key of the CA certificate.", minLength=1, pattern=SECRET_KEY),
      }, desc="HTTPS on the aggregator's port."),
      "auth": obj({
        "existingSecret": s("Secret holding every token as a file; empty = no tokens."),
        "readTokenKey": s("Key of the read token; empty = reads need none.", pattern="^([-._a-zA-Z0-9]+)?$"),
        "adminTokenKey": s("Key of the admin token (with adminApi.enabled).", pattern="^([-._a-zA-Z0-9]+)?$"),
        "webhookTokenKey": s("Key of the Alertmanager webhook token; empty = none.", pattern="^([-._a-zA-Z0-9]+)?$"),
        "tenantTokenKeys": {"type": "object", "description": "Tenant (env) name -> key of its remote-write token in existingSecret.",
                            "propertyNames": {"pattern": TENANT}, "additionalProperties": {"type": "string", "pattern": SECRET_KEY}},
        "mountPath": s("Where the token Secret is mounted.", pattern=ABS_PATH),
      }, desc="Bearer tokens per access class, from one existing Secret."),
      "adminApi": obj({"enabled": b("--web.enable-admin-api.")}, desc="Admin API (flush, compact)."),
      "limits": obj({
        "ingestMaxInflightRequests": i("--ingest.max-inflight-requests (0 = unlimited).", 0),
        "ingestMaxInflightBytes": i("--ingest.max-inflight-bytes (0 = unlimited).", 0),
        "queryMaxConcurrency": i("--query.max-concurrency.", 1, 10000),
        "queryMaxSamples": i("--query.max-samples.", 1, 1099511627776),
        "queryTimeout": s("--query.timeout, e.g. 2m.", pattern=FLAG_DURATION),
        "httpHeaderTimeout": s("--http.header-timeout.", pattern=FLAG_DURATION),
        "httpReadTimeout": s("--http.read-timeout.", pattern=FLAG_DURATION),
        "httpIdleTimeout": s("--http.idle-timeout.", pattern=FLAG_DURATION),
        "httpHandlerThreads": i("--http.handler-threads; 0 = the binary's default.", 0, 256),
        "maxSeriesPerTenant": i("Config limits.max_series_per_tenant (0 = unlimited).", 0),
      }, desc="Overload protection flags and the series limit."),
      "persistence": {"$ref": "#/definitions/persistence"},
      "resources": {"$ref": "#/definitions/resources"},
      "startupProbe": obj({
        "enabled": b("Add a startup probe on /-/healthy."),
        "periodSeconds": i("Seconds between probes.", 1),
        "timeoutSeconds": i("Probe timeout.", 1),
        "failureThreshold": i("Failures before the container is restarted.", 1),
      }, desc="Startup probe (WAL replay)."),
      "readinessProbe": {"$ref": "#/definitions/httpProbe"},
      "livenessProbe": {"$ref": "#/definitions/httpProbe"},
      "terminationGracePeriodSeconds": i("Grace period on shutdown.", 0),
      "podAnnotations": strmap("Pod annotations."),
      "podLabels": {"type": "object", "description": "Extra pod labels.", "additionalProperties": {"$ref": "#/definitions/labelValue"}},
      "nodeSelector": strmap("Node selector."),
      "tolerations": arr("Tolerations.", {"type": "object"}),
      "affinity": m("Affinity."),
      "topologySpreadConstraints": arr("Topology spread constraints.", {"type": "object"}),
      "priorityClassName": s("PriorityClass name."),
      "service": obj({
        "type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"], "description": "Service type."},
        "port": i("Service port.", 1, 65535),
        "annotations": strmap("Service annotations."),
      }, desc="Client Service."),
      "podDisruptionBudget": obj({
        "enabled": b("Create a PodDisruptionBudget."),
        "minAvailable": {"type": ["integer", "string", "null"], "pattern": "^[0-9]+%$", "minimum": 0, "description": "minAvailable (wins when set)."},
        "maxUnavailable": {"type": ["integer", "string", "null"], "pattern": "^[0-9]+%$", "minimum": 0, "description": "maxUnavailable."},
      }, desc="PodDisruptionBudget."),
      "rules": obj({"enabled": b("Ship files/alerts/*.yaml as a ConfigMap."), "mountPath": s("Mount path.", pattern="^/.+")}, desc="Rule files."),
      "dashboards": obj({"mount": b("Mount the dashboards ConfigMap into the aggregator."), "mountPath": s("Mount path.", pattern="^/.+")}, desc="Dashboard files."),
    }, desc="The aggregator StatefulSet."),
    "probe": obj({
      "image": {"$ref": "#/definitions/image"},
      "port": i("Container port (--listen=0.0.0.0:<port>).", 1, 65535),
      "aggregatorUrl": s("Remote-write URL; default: the in-cluster aggregator Service.", pattern="^(https?://.+)?$"),
      "externalLabels": {"$ref": "#/definitions/externalLabels"},
      "global": {"$ref": "#/definitions/probeGlobal"},
      "auth": obj({"existingSecret": s("Secret with the bearer token for all probes."), "secretKey": s("Key in the Secret.", minLength=1)}, desc="Remote-write authentication."),
      "tokenMountPath": s("Where the token Secret is mounted.", pattern="^/.+"),
      "tls": obj({
        "caSecret": s("Secret with the CA certificate of the aggregator; empty = aggregator.tls.caSecret."),
        "caKey": s("Key of the CA certificate; empty = aggregator.tls.caKey.", pattern="^([-._a-zA-Z0-9]+)?$"),
        "serverName": s("Name the certificate is verified against; empty = the URL's host."),
        "insecureSkipVerify": b("Skip verification (tests only)."),
        "mountPath": s("Where the CA is mounted.", pattern=ABS_PATH),
      }, desc="Verifying the aggregator's certificate."),
      "queue": obj({
        "dir": s("Queue directory (config aggregator.queue.dir).", pattern="^/.+"),
        "persistence": {"$ref": "#/definitions/persistence"},
        "sizeLimit": s("emptyDir size limit.", pattern=QUANTITY),
        "maxBytes": s("Queue bound (aggregator.queue.max_bytes), e.g. 512MiB.", pattern="^[0-9]+([KMGT]i?B)?$"),
      }, desc="Durable send queue."),
      "extraConfig": m("Keys merged over every probe's config.yaml."),
      "resources": {"$ref": "#/definitions/resources"},
      "readinessProbe": {"$ref": "#/definitions/httpProbe"},
      "livenessProbe": {"$ref": "#/definitions/httpProbe"},
      "terminationGracePeriodSeconds": i("Grace period on shutdown.", 0),
      "podAnnotations": strmap("Pod annotations."),
      "podLabels": {"type": "object", "description": "Extra pod labels.", "additionalProperties": {"$ref": "#/definitions/labelValue"}},
      "nodeSelector": strmap("Node selector."),
      "tolerations": arr("Tolerations.", {"type": "object"}),
      "affinity": m("Affinity."),
      "priorityClassName": s("PriorityClass name."),
      "service": obj({"enabled": b("A ClusterIP Service per probe for /metrics.")}, desc="Probe Services."),
    }, desc="Defaults shared by every probe."),
    "probes": arr("One abhra-probe Deployment per entry.", {"$ref": "#/definitions/probeEntry"}),
    "serviceMonitor": obj({
      "enabled": b("Create a ServiceMonitor (only if monitoring.coreos.com/v1 is served)."),
      "labels": {"type": "object", "description": "Extra labels, e.g. release: kube-prometheus-stack.", "additionalProperties": {"$ref": "#/definitions/labelValue"}},
      "interval": {"$ref": "#/definitions/duration"},
      "scrapeTimeout": {"$ref": "#/definitions/duration"},
      "tlsConfig": m("Extra tlsConfig of the aggregator endpoint with TLS (merged over the chart's ca and serverName)."),
    }, desc="Prometheus Operator ServiceMonitors."),
    "grafana": obj({
      "namespace": s("Namespace for the Grafana ConfigMaps; empty = release namespace."),
      "datasource": obj({
        "enabled": b("Render the data source ConfigMap."),
        "sidecarLabel": s("Sidecar label key.", minLength=1),
        "sidecarLabelValue": s("Sidecar label value."),
        "name": s("Data source name.", minLength=1),
        "uid": s("Data source uid (at most 40 characters).", minLength=1, maxLength=40),
        "isDefault": b("Make it Grafana's default data source."),
        "url": s("URL; default: in-cluster aggregator Service.", pattern="^(https?://.+)?$"),
        "timeInterval": {"$ref": "#/definitions/duration"},
        "queryTimeout": {"$ref": "#/definitions/duration"},
        "auth": obj({"tokenEnvVar": s("Grafana environment variable holding the read token.", pattern="^[A-Za-z_][A-Za-z0-9_]*$")},
                    desc="The read token, when the aggregator has one."),
        "tls": obj({
          "caFile": s("CA certificate path in the Grafana pod; empty = system CAs.", pattern="^(/.+)?$"),
          "insecureSkipVerify": b("tlsSkipVerify (tests only)."),
          "serverName": s("Name the certificate is verified against."),
        }, desc="TLS to the aggregator."),
      }, desc="Grafana data source provisioning."),
      "dashboards": obj({
        "enabled": b("Render the dashboards ConfigMap from files/dashboards/*.json."),
        "sidecarLabel": s("Sidecar label key.", minLength=1),
        "sidecarLabelValue": s("Sidecar label value."),
        "folder": s("Grafana folder (annotation); empty = none."),
        "folderAnnotation": s("Annotation key the sidecar reads the folder from.", minLength=1),
      }, desc="Grafana dashboards provisioning."),
    }, desc="ConfigMaps for the Grafana chart's sidecars."),
  }, required=["aggregator", "probe", "probes", "serviceAccount", "grafana"]),
}
print(json.dumps(schema, indent=2))
