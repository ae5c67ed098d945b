#!/usr/bin/python3
"""Checks the manifests that `helm template` (or helm/tools/render) produced for the abhra chart.

Usage:
  check_manifests.py MANIFESTS.yaml [--probes env:cluster,...] [--servicemonitor present|absent]
                     [--rules present|absent] [--dashboards present|absent] [--release NAME]
                     [--aggregator-help FILE] [--binary-defaults] [--security off|tls+auth]
                     [--secret-value S]... [--no-secrets]
  check_manifests.py --schema-covers VALUES.yaml SCHEMA.json

Prints one line per failed check and exits 1 if any failed; prints a summary and exits 0
otherwise. The contracts checked come from DESIGN.md (binaries' flags and endpoints) and
interfaces.md section 6 (labels, probes, ServiceMonitor).

--aggregator-help is `abhra-aggregator --help` output: the rendered flags must be among its flags
and their values must match its types (INT/UINT, ranges, choices, durations); with
--binary-defaults the limit flags must carry its defaults. --security says what the render must
wire: off = plain HTTP everywhere; tls+auth = HTTPS (kubelet probes, probes' remote-write with the
CA, Grafana, ServiceMonitor) and tokens only as files of referenced Secrets. Whatever the mode, no
ConfigMap and no env value may contain a token, a --secret-value string, or an inline bearer
header.
"""
import argparse
import json
import re
import sys

import yaml

# aggregator/main.cc and probe/config/docs/config.md.
# Used when no --aggregator-help is given (the binary is not built).
AGGREGATOR_FLAGS = {"--data-dir", "--listen", "--config", "--log.level", "--http.handler-threads",
                    "--http.max-connections", "--http.max-body-bytes", "--shutdown.grace-seconds",
                    "--http.read-timeout", "--http.header-timeout", "--http.idle-timeout",
                    "--ingest.max-inflight-requests", "--ingest.max-inflight-bytes",
                    "--query.max-concurrency", "--query.max-samples", "--query.timeout",
                    "--web.tls-cert-file", "--web.tls-key-file", "--web.enable-admin-api"}
# Flags the chart sets from aggregator.limits (values.yaml carries the binary's defaults).
LIMIT_FLAGS = ["--ingest.max-inflight-requests", "--ingest.max-inflight-bytes", "--query.max-concurrency",
               "--query.max-samples", "--query.timeout", "--http.header-timeout", "--http.read-timeout",
               "--http.idle-timeout"]
# aggregator/app/docs/config.md
AGGREGATOR_CONFIG_KEYS = {"tenants", "limits", "auth", "storage", "alertmanagers", "external_url",
                          "evaluation_interval", "rules", "notifier", "dashboards", "grafana"}
DURATION_RE = re.compile(r"^(0|([0-9]+(ms|s|m|h|d|w|y))+)$")
BEARER_ENV_RE = re.compile(r"^Bearer \$(\{[A-Za-z_][A-Za-z0-9_]*\}|__env\{[A-Za-z_][A-Za-z0-9_]*\}|__file\{/[^}]+\})$")
PROBE_FLAGS = {"--config", "--listen", "--check-config"}
PROBE_CONFIG_KEYS = {"environment", "cluster", "external_labels", "global", "aggregator", "targets"}
RESERVED_EXTERNAL = {"env", "cluster", "job", "target", "instance", "service"}
REQUIRED_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance",
                   "app.kubernetes.io/managed-by", "helm.sh/chart", "app.kubernetes.io/version",
                   "app.kubernetes.io/part-of"]
LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def expect(self, cond, where, msg):
        self.checks += 1
        if not cond:
            self.failures.append(f"{where}: {msg}")
        return cond


def where(obj):
    return f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"


def parse_flags(args):
    """Returns {flag: value} from ["--a=b", "--c", "d", "--e"] (value None for a bare flag)."""
    flags = {}
    i = 0
    while i < len(args):
        a = str(args[i])
        if a.startswith("--"):
            if "=" in a:
                k, v = a.split("=", 1)
                flags[k] = v
            elif i + 1 < len(args) and not str(args[i + 1]).startswith("--"):
                flags[a] = str(args[i + 1])
                i += 1
            else:
                flags[a] = None
        i += 1
    return flags


def selector_matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_template(obj):
    return ((obj.get("spec") or {}).get("template") or {})


def load_docs(path, c):
    text = open(path).read()
    docs = []
    # Every document must carry Helm's "# Source:" header.
    chunks = [ch for ch in re.split(r"(?m)^---\s*$", text) if ch.strip()]
    for i, chunk in enumerate(chunks):
        c.expect(re.search(r"(?m)^# Source: abhra/templates/\S+\.yaml$", chunk) is not None,
                 f"document {i}", "missing '# Source: abhra/templates/<file>.yaml' header")
        try:
            obj = yaml.safe_load(chunk)
        except yaml.YAMLError as e:
            c.expect(False, f"document {i}", f"invalid YAML: {e}")
            continue
        if c.expect(isinstance(obj, dict), f"document {i}", "is not a mapping"):
            docs.append(obj)
    return docs


def check_common(obj, c):
    w = where(obj)
    for key in ("apiVersion", "kind", "metadata"):
        c.expect(obj.get(key), w, f"missing {key}")
    md = obj.get("metadata") or {}
    name = md.get("name", "")
    c.expect(isinstance(name, str) and name, w, "missing metadata.name")
    limit = 63 if obj.get("kind") in ("Service", "StatefulSet", "Deployment") else 253
    c.expect(len(name) <= limit and DNS_SUBDOMAIN_RE.match(name or "-"), w,
             f"metadata.name {name!r} is not a DNS name of at most {limit} characters")
    if obj.get("kind") == "Service":
        c.expect(DNS_LABEL_RE.match(name or "-") is not None, w, "Service name is not a DNS-1123 label")
    if obj.get("kind") == "StatefulSet":
        c.expect(len(name) <= 52, w, "StatefulSet name longer than 52 (controller-revision-hash label)")
    labels = md.get("labels") or {}
    for l in REQUIRED_LABELS:
        c.expect(l in labels, w, f"missing label {l}")
    c.expect(labels.get("app.kubernetes.io/managed-by") == "Helm", w, "managed-by is not Helm")
    for k, v in labels.items():
        c.expect(isinstance(v, str) and len(v) <= 63 and LABEL_VALUE_RE.match(v), w,
                 f"label {k}={v!r} is not a valid label value")


def check_security(obj, spec, c):
    w = where(obj)
    psc = spec.get("securityContext") or {}
    c.expect(psc.get("runAsNonRoot") is True, w, "pod securityContext.runAsNonRoot is not true")
    c.expect(psc.get("runAsUser") == 65532, w, "pod securityContext.runAsUser is not 65532")
    c.expect((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", w,
             "pod seccompProfile is not RuntimeDefault")
    c.expect(spec.get("automountServiceAccountToken") is False, w, "service account token is mounted")
    for ct in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        cw = f"{w} container {ct.get('name')}"
        sc = ct.get("securityContext") or {}
        c.expect(sc.get("runAsNonRoot") is True, cw, "runAsNonRoot is not true")
        c.expect(sc.get("runAsUser") == 65532, cw, "runAsUser is not 65532")
        c.expect(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem is not true")
        c.expect(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation is not false")
        c.expect("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), cw, "capabilities do not drop ALL")
        c.expect((sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", cw,
                 "seccompProfile is not RuntimeDefault")
        c.expect(sc.get("privileged") in (None, False), cw, "privileged")


def mounts_by_path(ct):
    return {m.get("mountPath"): m for m in ct.get("volumeMounts") or []}


def check_http_probes(w, ct, c, startup_optional=True, scheme="HTTP"):
    ports = {p.get("name"): p.get("containerPort") for p in ct.get("ports") or []}
    for kind, path in (("readinessProbe", "/-/ready"), ("livenessProbe", "/-/healthy"),
                       ("startupProbe", "/-/healthy")):
        probe = ct.get(kind)
        if probe is None and kind == "startupProbe" and startup_optional:
            continue
        if not c.expect(probe and "httpGet" in probe, w, f"{kind} missing or not httpGet"):
            continue
        g = probe["httpGet"]
        c.expect(g.get("path") == path, w, f"{kind} path {g.get('path')!r} is not {path}")
        c.expect(g.get("scheme", "HTTP") == scheme, w, f"{kind} scheme {g.get('scheme', 'HTTP')} is not {scheme}")
        c.expect(g.get("port") == "http" and "http" in ports, w,
                 f"{kind} port {g.get('port')!r} is not the named container port 'http'")


def check_container_basics(w, ct, flags, c):
    image = ct.get("image") or ""
    c.expect(image, w, "no image")
    ref = image.split("@")[0]
    tagged = "@sha256:" in image or (":" in ref.rsplit("/", 1)[-1])
    c.expect(tagged, w, f"image {image!r} has neither tag nor digest")
    c.expect(not ref.endswith(":latest"), w, f"image {image!r} uses :latest")
    res = ct.get("resources") or {}
    c.expect((res.get("requests") or {}).get("memory") and (res.get("limits") or {}).get("memory"),
             w, "memory request/limit not set")
    ports = ct.get("ports") or []
    http = [p for p in ports if p.get("name") == "http"]
    if c.expect(len(http) == 1, w, "no single container port named http"):
        listen = flags.get("--listen") or ""
        m = re.match(r"^(.*):(\d+)$", listen)
        if c.expect(m is not None, w, f"--listen {listen!r} is not HOST:PORT"):
            c.expect(int(m.group(2)) == http[0].get("containerPort"), w,
                     f"--listen port {m.group(2)} != containerPort {http[0].get('containerPort')}")
            c.expect(m.group(1) in ("0.0.0.0", "", "[::]"), w,
                     f"--listen host {m.group(1)!r} is not reachable from the Service")
    mounts = mounts_by_path(ct)
    c.expect("/tmp" in mounts, w, "no writable /tmp with a read-only root filesystem")


def volume_index(spec, sts=None):
    vols = {v.get("name"): v for v in spec.get("volumes") or []}
    if sts is not None:
        for vct in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
            vols[vct["metadata"]["name"]] = {"name": vct["metadata"]["name"], "volumeClaimTemplate": vct}
    return vols


def check_mount_refs(obj, spec, vols, objects, c):
    w = where(obj)
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for ct in spec.get("containers") or []:
        for m in ct.get("volumeMounts") or []:
            c.expect(m.get("name") in vols, w, f"volumeMount {m.get('name')} has no volume")
    for v in vols.values():
        if "configMap" in v:
            c.expect(("ConfigMap", v["configMap"].get("name")) in names, w,
                     f"volume {v['name']} references ConfigMap {v['configMap'].get('name')} that is not rendered")
        if "persistentVolumeClaim" in v:
            c.expect(("PersistentVolumeClaim", v["persistentVolumeClaim"].get("claimName")) in names, w,
                     f"volume {v['name']} references a PVC that is not rendered")


def config_from_volume(ct, vols, path, objects):
    """Returns (kind, object) holding the file at `path` if it is a rendered ConfigMap."""
    d = path.rsplit("/", 1)[0]
    m = mounts_by_path(ct).get(d)
    if not m:
        return None, None
    v = vols.get(m["name"]) or {}
    if "configMap" in v:
        for o in objects:
            if o["kind"] == "ConfigMap" and o["metadata"]["name"] == v["configMap"]["name"]:
                return "ConfigMap", o
        return "ConfigMap", None
    if "secret" in v:
        return "Secret", None
    return "other", None


def parse_help(text):
    """{flag: {"type", "min", "max", "choices", "default"}} from abhra-aggregator --help (CLI11)."""
    flags = {}
    for line in text.splitlines():
        m = re.match(r"^\s{2}(?:-\w,)?(--[A-Za-z0-9_.-]+)(.*)$", line)
        if not m:
            continue
        # "--flag SPEC  description": one space before a type spec; two or more before the
        # description of a bare flag.
        rest = m.group(2)
        spec = re.split(r"\s{2,}", rest[1:], maxsplit=1)[0] if re.match(r"^ \S", rest) else ""
        info = {"type": re.match(r"^([A-Z]*)", spec).group(1) if spec else "", "spec": spec}
        if "DURATION" in spec:
            info["type"] = "DURATION"
        r = re.search(r"in \[(\S+) - (\S+)\]", spec)
        if r:
            info["min"], info["max"] = float(r.group(1)), float(r.group(2))
        ch = re.search(r"\{([^}]*)\}", spec)
        if ch:
            info["choices"] = ch.group(1).split(",")
        d = re.search(r"=(\S+)$", spec)
        if d:
            info["default"] = d.group(1)
        flags[m.group(1)] = info
    return flags


def check_flag_value(cw, flag, value, info, c):
    """The rendered value of one flag must be what the binary's --help says it takes."""
    t = info["type"]
    if t == "":
        c.expect(value is None, cw, f"{flag} takes no value, got {value!r}")
        return
    if not c.expect(value is not None, cw, f"{flag} needs a value"):
        return
    if t in ("INT", "UINT", "FLOAT"):
        try:
            v = float(value) if t == "FLOAT" else int(value)
        except ValueError:
            c.expect(False, cw, f"{flag}={value!r} is not {t}")
            return
        c.expect(t != "UINT" or v >= 0, cw, f"{flag}={value} is negative")
        if "min" in info:
            c.expect(info["min"] <= v <= info["max"], cw,
                     f"{flag}={value} outside the binary's range [{info['min']:g} - {info['max']:g}]")
    if t == "DURATION":
        c.expect(DURATION_RE.match(value) is not None, cw, f"{flag}={value!r} is not a duration")
    if "choices" in info:
        c.expect(value in info["choices"], cw, f"{flag}={value!r} is not one of {info['choices']}")


def on_secret_mount(ct, vols, path, readonly=True):
    """The volume (dict) mounted at the directory of `path` if it is a Secret volume, else None."""
    m = mounts_by_path(ct).get(path.rsplit("/", 1)[0])
    v = vols.get(m["name"]) if m else None
    if not v or "secret" not in v or (readonly and not m.get("readOnly")):
        return None
    items = v["secret"].get("items")
    if items is not None and path.rsplit("/", 1)[1] not in [i.get("path") for i in items]:
        return None
    return v


def aggregator_config(ct, spec, vols, flags, objects, c, cw):
    """(config dict or None, where it lives): from the ConfigMap, a Secret, or the init container
    that assembles it from a ConfigMap into a memory emptyDir."""
    kind, cm = config_from_volume(ct, vols, flags["--config"], objects)
    base = flags["--config"].rsplit("/", 1)[1]
    if kind == "ConfigMap" and c.expect(cm is not None, cw, "--config ConfigMap not rendered"):
        return yaml.safe_load((cm.get("data") or {}).get(base, "") or ""), "ConfigMap"
    if kind == "Secret":
        return None, "Secret"
    m = mounts_by_path(ct).get(flags["--config"].rsplit("/", 1)[0])
    v = vols.get(m["name"]) if m else None
    if not c.expect(v is not None and "emptyDir" in v, cw, f"--config {flags['--config']} is not on a ConfigMap, Secret or emptyDir"):
        return None, None
    c.expect(v["emptyDir"].get("medium") == "Memory", cw, "assembled config (holds tokens) is not on a memory emptyDir")
    inits = [i for i in spec.get("initContainers") or []
             if any(im.get("name") == m["name"] and not im.get("readOnly") for im in i.get("volumeMounts") or [])]
    if not c.expect(len(inits) == 1, cw, "no init container writes the --config emptyDir"):
        return None, None
    init = inits[0]
    cmd = (init.get("command") or []) + (init.get("args") or [])
    script = cmd[-1] if cmd else ""
    skind, scm = config_from_volume(init, vols, script, objects)
    if not c.expect(skind == "ConfigMap" and scm is not None and script.rsplit("/", 1)[1] in scm["data"], cw,
                    f"init container script {script} is not a key of a rendered ConfigMap"):
        return None, None
    text = scm["data"][script.rsplit("/", 1)[1]]
    c.expect(cmd[0] == "/bin/sh" and text.startswith("#!/bin/sh"), cw, "init container does not run its sh script")
    c.expect(base in scm["data"], cw, f"init container's ConfigMap has no {base}")
    auth_dir = re.search(r'^auth="\$\{ABHRA_AUTH_DIR:-(/[^}]+)\}"$', text, re.M)
    if c.expect(auth_dir is not None, cw, "assemble script does not name its auth directory"):
        for key in re.findall(r"^\s*token '([^']+)'", text, re.M):
            c.expect(on_secret_mount(init, vols, f"{auth_dir.group(1)}/{key}") is not None, cw,
                     f"tenant token {key} is not a file of a read-only Secret mount of the init container")
    return yaml.safe_load(scm["data"].get(base, "") or ""), "assembled"


def check_aggregator(sts, objects, c, help_flags=None, binary_defaults=False):
    w = where(sts)
    state = {"tls": False, "auth": {}}
    spec = pod_template(sts).get("spec") or {}
    vols = volume_index(spec, sts)
    check_security(sts, spec, c)
    check_mount_refs(sts, spec, vols, objects, c)
    containers = spec.get("containers") or []
    c.expect(len(containers) == 1, w, "expected exactly one container")
    for ct in containers:
        cw = f"{w} container {ct.get('name')}"
        flags = parse_flags(ct.get("args") or [])
        for f, v in flags.items():
            if help_flags is None:
                c.expect(f in AGGREGATOR_FLAGS, cw, f"unknown abhra-aggregator flag {f}")
            elif c.expect(f in help_flags, cw, f"abhra-aggregator --help has no flag {f}"):
                check_flag_value(cw, f, v, help_flags[f], c)
        if help_flags is not None and binary_defaults:
            for f in LIMIT_FLAGS:
                c.expect(flags.get(f) == help_flags.get(f, {}).get("default"), cw,
                         f"{f}={flags.get(f)} is not the binary's default {help_flags.get(f, {}).get('default')}")
        c.expect(flags.get("--data-dir"), cw, "--data-dir missing")
        c.expect(flags.get("--listen"), cw, "--listen missing")
        c.expect("abhra-aggregator" in (ct.get("image") or ""), cw, "image is not abhra-aggregator")
        check_container_basics(cw, ct, flags, c)
        tls = "--web.tls-cert-file" in flags
        state["tls"] = tls
        check_http_probes(cw, ct, c, scheme="HTTPS" if tls else "HTTP")
        c.expect(("--web.tls-cert-file" in flags) == ("--web.tls-key-file" in flags), cw,
                 "--web.tls-cert-file and --web.tls-key-file must come together")
        for f in ("--web.tls-cert-file", "--web.tls-key-file"):
            if f in flags:
                v = on_secret_mount(ct, vols, flags[f] or "")
                if c.expect(v is not None, cw, f"{f}={flags[f]} is not a file of a read-only Secret mount"):
                    state.setdefault("tls_secrets", set()).add(v["secret"].get("secretName"))
        data = mounts_by_path(ct).get(flags.get("--data-dir"))
        if c.expect(data is not None, cw, f"nothing mounted at --data-dir {flags.get('--data-dir')}"):
            vol = vols.get(data["name"]) or {}
            vcts = (sts.get("spec") or {}).get("volumeClaimTemplates")
            if vcts:
                c.expect("volumeClaimTemplate" in vol, cw, "--data-dir is not mounted from a volumeClaimTemplate")
                for vct in vcts:
                    req = ((vct.get("spec") or {}).get("resources") or {}).get("requests") or {}
                    c.expect(req.get("storage"), cw, "volumeClaimTemplate without storage request")
            else:
                c.expect("emptyDir" in vol, cw, "no volumeClaimTemplates and data dir is not an emptyDir")
            c.expect(not data.get("readOnly"), cw, "data dir mounted read-only")
        if flags.get("--config"):
            cfg, state["config_from"] = aggregator_config(ct, spec, vols, flags, objects, c, cw)
            if cfg is not None and c.expect(isinstance(cfg, dict), cw, "aggregator config.yaml is not a mapping"):
                for k in cfg:
                    c.expect(k in AGGREGATOR_CONFIG_KEYS, cw, f"aggregator config has unknown key {k!r}")
                for am in cfg.get("alertmanagers") or []:
                    c.expect(isinstance(am, str) and re.match(r"^https?://.+", am), cw,
                             f"alertmanagers entry {am!r} is not a URL string")
                for t in cfg.get("tenants") or []:
                    c.expect("token" not in t, cw, f"tenant {t.get('name')}'s token is inline in a ConfigMap")
                auth = cfg.get("auth") or {}
                for k, path in auth.items():
                    v = on_secret_mount(ct, vols, path)
                    c.expect(v is not None, cw, f"auth.{k} {path} is not a file of a read-only Secret mount")
                    state.setdefault("auth_secrets", set()).add((v or {}).get("secret", {}).get("secretName"))
                state["auth"] = auth
                if "--web.enable-admin-api" in flags and auth.get("read_token_file"):
                    c.expect(auth.get("admin_token_file"), cw, "admin API on with a read token but no admin token")
    for ct in spec.get("initContainers") or []:
        c.expect("abhra-aggregator" in (ct.get("image") or ""), f"{w} init {ct.get('name')}",
                 "init container does not use the aggregator image (no other image is pulled)")
    # Governing headless Service.
    svc_name = (sts.get("spec") or {}).get("serviceName")
    svc = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == svc_name]
    if c.expect(svc, w, f"serviceName {svc_name!r} is not a rendered Service"):
        c.expect(svc[0]["spec"].get("clusterIP") == "None", w, "governing Service is not headless")
    for o in objects:
        if o["kind"] == "Service" and (o["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == "aggregator":
            for p in o["spec"].get("ports") or []:
                c.expect((p.get("appProtocol") == "https") == state["tls"], where(o),
                         f"port {p.get('name')} appProtocol {p.get('appProtocol')!r} does not say whether it is TLS")
    return state


def check_probe(dep, objects, c, agg_tls=False):
    w = where(dep)
    spec = pod_template(dep).get("spec") or {}
    vols = volume_index(spec)
    check_security(dep, spec, c)
    check_mount_refs(dep, spec, vols, objects, c)
    c.expect((dep.get("spec") or {}).get("replicas") in (0, 1), w, "a probe must run at most one replica")
    c.expect(((dep.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate", w,
             "probe strategy is not Recreate (two pods would share the queue)")
    labels = dep["metadata"].get("labels") or {}
    for ct in spec.get("containers") or []:
        cw = f"{w} container {ct.get('name')}"
        flags = parse_flags(ct.get("args") or [])
        for f in flags:
            c.expect(f in PROBE_FLAGS, cw, f"unknown abhra-probe flag {f}")
        c.expect("--check-config" not in flags, cw, "--check-config would exit immediately")
        c.expect("abhra-probe" in (ct.get("image") or ""), cw, "image is not abhra-probe")
        check_container_basics(cw, ct, flags, c)
        check_http_probes(cw, ct, c)
        if not c.expect(flags.get("--config"), cw, "--config missing"):
            continue
        kind, cm = config_from_volume(ct, vols, flags["--config"], objects)
        if not c.expect(kind == "ConfigMap" and cm is not None, cw, "--config is not a rendered ConfigMap file"):
            continue
        cfg = yaml.safe_load(cm["data"][flags["--config"].rsplit("/", 1)[1]])
        if not c.expect(isinstance(cfg, dict), cw, "probe config is not a mapping"):
            continue
        for k in cfg:
            c.expect(k in PROBE_CONFIG_KEYS, cw, f"probe config has unknown key {k!r}")
        c.expect(cfg.get("environment") == labels.get("abhra/environment"), cw,
                 "config environment differs from the abhra/environment label")
        c.expect(cfg.get("cluster") == labels.get("abhra/cluster"), cw,
                 "config cluster differs from the abhra/cluster label")
        for k in (cfg.get("external_labels") or {}):
            c.expect(k not in RESERVED_EXTERNAL and not k.startswith("__"), cw, f"reserved external label {k}")
        agg = cfg.get("aggregator") or {}
        url = agg.get("url") or ""
        c.expect(re.match(r"^https?://[^/]+/api/v1/write$", url), cw, f"aggregator.url {url!r} is not a remote-write URL")
        if "svc." in url:
            host = url.split("//", 1)[1].split(".", 1)[0]
            c.expect(any(o["kind"] == "Service" and o["metadata"]["name"] == host for o in objects), cw,
                     f"aggregator.url host {host} is not a rendered Service")
            c.expect(url.startswith("https://") == agg_tls, cw,
                     f"aggregator.url {url} does not match the aggregator's TLS ({'on' if agg_tls else 'off'})")
        tlsb = agg.get("tls") or {}
        c.expect(not tlsb or url.startswith("https://"), cw, "aggregator.tls set for an http:// URL")
        if tlsb.get("ca_file"):
            v = on_secret_mount(ct, vols, tlsb["ca_file"])
            if c.expect(v is not None, cw, f"aggregator.tls.ca_file {tlsb['ca_file']} is not a file of a read-only Secret mount"):
                items = v["secret"].get("items")
                c.expect(items is not None and all(i.get("key") != "tls.key" for i in items), cw,
                         "the CA volume does not project only the CA: the aggregator's private key would be mounted")
        elif url.startswith("https://") and "svc." in url:
            c.expect(tlsb.get("insecure_skip_verify"), cw, "https to the in-cluster aggregator without a CA")
        qdir = (agg.get("queue") or {}).get("dir")
        qm = mounts_by_path(ct).get(qdir)
        c.expect(qm is not None and not qm.get("readOnly"), cw, f"queue.dir {qdir} is not a writable mount")
        if agg.get("token_file"):
            d = agg["token_file"].rsplit("/", 1)[0]
            tm = mounts_by_path(ct).get(d)
            c.expect(tm is not None and "secret" in (vols.get(tm["name"]) or {}), cw,
                     f"token_file {agg['token_file']} is not on a Secret mount")
        c.expect("bearer_token" not in agg, cw, "token inline in the ConfigMap")
        targets = cfg.get("targets") or []
        names = [t.get("name") for t in targets]
        c.expect(len(names) == len(set(names)), cw, "duplicate target names")
        for t in targets:
            kinds = [k for k in ("http", "health", "tcp", "scrape") if k in t]
            c.expect(len(kinds) == 1, cw, f"target {t.get('name')} needs exactly one of http/health/tcp/scrape")
    return labels


def check_services(objects, workloads, c):
    for svc in [o for o in objects if o["kind"] == "Service"]:
        w = where(svc)
        sel = (svc.get("spec") or {}).get("selector") or {}
        matched = [wl for wl in workloads
                   if selector_matches(sel, (pod_template(wl).get("metadata") or {}).get("labels") or {})]
        if not c.expect(matched, w, f"selector {sel} matches no pod template"):
            continue
        for p in (svc.get("spec") or {}).get("ports") or []:
            c.expect(isinstance(p.get("port"), int), w, f"port {p.get('port')!r} is not an integer")
            tp = p.get("targetPort", p.get("port"))
            for wl in matched:
                cports = [cp for ct in (pod_template(wl).get("spec") or {}).get("containers") or []
                          for cp in ct.get("ports") or []]
                ok = any(cp.get("name") == tp or cp.get("containerPort") == tp for cp in cports)
                c.expect(ok, w, f"targetPort {tp!r} is not a container port of {where(wl)}")


def check_selectors(workloads, c):
    for wl in workloads:
        w = where(wl)
        sel = ((wl.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        tl = (pod_template(wl).get("metadata") or {}).get("labels") or {}
        c.expect(selector_matches(sel, tl), w, "selector does not match its own pod template labels")
        for other in workloads:
            if other is wl:
                continue
            ol = (pod_template(other).get("metadata") or {}).get("labels") or {}
            c.expect(not selector_matches(sel, ol), w, f"selector also matches pods of {where(other)}")


def check_configmaps(objects, c):
    for cm in [o for o in objects if o["kind"] == "ConfigMap"]:
        for key, val in (cm.get("data") or {}).items():
            w = f"{where(cm)} key {key}"
            c.expect(isinstance(val, str), w, "value is not a string")
            try:
                if key.endswith((".yaml", ".yml")):
                    doc = yaml.safe_load(val)
                    c.expect(isinstance(doc, dict), w, "YAML content is not a mapping")
                elif key.endswith(".json"):
                    c.expect(isinstance(json.loads(val), dict), w, "JSON content is not an object")
            except (yaml.YAMLError, ValueError) as e:
                c.expect(False, w, f"content does not parse: {e}")


def check_grafana(objects, aggregator_svc, expect_dashboards, c, agg=None):
    agg = agg or {"tls": False, "auth": {}}
    ds = [o for o in objects if o["kind"] == "ConfigMap"
          and (o["metadata"].get("labels") or {}).get("grafana_datasource") == "1"]
    if c.expect(len(ds) == 1, "grafana", "expected one ConfigMap labelled grafana_datasource: \"1\""):
        for key, val in ds[0]["data"].items():
            doc = yaml.safe_load(val)
            c.expect(doc.get("apiVersion") == 1, where(ds[0]), "provisioning apiVersion is not 1")
            for d in doc.get("datasources") or []:
                c.expect(d.get("type") == "prometheus" and d.get("access") == "proxy", where(ds[0]),
                         "data source is not a proxied prometheus data source")
                scheme = "https" if agg["tls"] else "http"
                if aggregator_svc is not None:
                    port = aggregator_svc["spec"]["ports"][0]["port"]
                    c.expect(d.get("url", "").startswith(f"{scheme}://{aggregator_svc['metadata']['name']}.")
                             and d.get("url", "").endswith(f":{port}"), where(ds[0]),
                             f"data source url {d.get('url')} is not {scheme}:// the aggregator Service")
                jd, sj = d.get("jsonData") or {}, d.get("secureJsonData") or {}
                if agg["auth"].get("read_token_file"):
                    c.expect(jd.get("httpHeaderName1") == "Authorization", where(ds[0]),
                             "the aggregator needs a read token but the data source sends no Authorization header")
                    c.expect(BEARER_ENV_RE.match(str(sj.get("httpHeaderValue1", ""))) is not None, where(ds[0]),
                             f"httpHeaderValue1 {sj.get('httpHeaderValue1')!r} is not 'Bearer ${{ENV_VAR}}' (Grafana expands it)")
                elif agg.get("config_from") != "Secret":  # a config Secret's auth is unknown here
                    c.expect("httpHeaderName1" not in jd, where(ds[0]), "Authorization header without a read token")
                if jd.get("tlsAuthWithCACert"):
                    c.expect(re.match(r"^\$(__file\{/.+\}|\{[A-Za-z_]\w*\}|__env\{\w+\})$", str(sj.get("tlsCACert", ""))), where(ds[0]),
                             "tlsAuthWithCACert without a $__file{...} or env tlsCACert")
    db = [o for o in objects if o["kind"] == "ConfigMap"
          and (o["metadata"].get("labels") or {}).get("grafana_dashboard") == "1"]
    if expect_dashboards == "present":
        if c.expect(len(db) == 1, "grafana", "expected one ConfigMap labelled grafana_dashboard: \"1\""):
            c.expect(db[0].get("data") and all(k.endswith(".json") for k in db[0]["data"]), where(db[0]),
                     "dashboards ConfigMap has no .json entries")
    elif expect_dashboards == "absent":
        c.expect(not db, "grafana", "unexpected dashboards ConfigMap")


SECRET_KEYS = {"token", "bearer_token", "password", "credentials", "httpheadervalue1"}


def scan_for_secrets(objects, secret_values, c):
    """No token in any ConfigMap, env value or argument: secrets are only referenced."""
    def walk(node, w, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if str(k).lower() in SECRET_KEYS and isinstance(v, str) and v:
                    c.expect(BEARER_ENV_RE.match(v) is not None, w, f"{path}{k} holds a literal secret")
                walk(v, w, f"{path}{k}.")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, w, f"{path}{i}.")
        elif isinstance(node, str) and node.startswith("Bearer "):
            c.expect(BEARER_ENV_RE.match(node) is not None, w, f"{path[:-1]} is an inline bearer token")

    for cm in [o for o in objects if o["kind"] == "ConfigMap"]:
        for key, val in (cm.get("data") or {}).items():
            w = f"{where(cm)} key {key}"
            for sv in secret_values:
                c.expect(sv not in str(val), w, f"contains the secret value {sv[:2]}...")
            if key.endswith((".yaml", ".yml")):
                try:
                    walk(yaml.safe_load(val), w, "")
                except yaml.YAMLError:
                    pass  # reported by check_configmaps
    for wl in [o for o in objects if o["kind"] in ("StatefulSet", "Deployment")]:
        spec = pod_template(wl).get("spec") or {}
        for ct in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            cw = f"{where(wl)} container {ct.get('name')}"
            for e in ct.get("env") or []:
                if "value" in e:
                    c.expect(not re.search(r"token|password|secret", e.get("name", ""), re.I), cw,
                             f"env {e.get('name')} carries a secret as a plain value (use valueFrom.secretKeyRef)")
                    for sv in secret_values:
                        c.expect(sv not in str(e["value"]), cw, f"env {e.get('name')} contains a secret value")
            for a in (ct.get("args") or []) + (ct.get("command") or []):
                for sv in secret_values:
                    c.expect(sv not in str(a), cw, "an argument contains a secret value")


def check_service_monitors(sms, objects, agg_svc, agg, c):
    agg_sms = []
    for sm in sms:
        c.expect(sm["apiVersion"] == "monitoring.coreos.com/v1", where(sm), "apiVersion")
        sel = sm["spec"]["selector"]["matchLabels"]
        svcs = [o for o in objects if o["kind"] == "Service" and selector_matches(sel, o["metadata"]["labels"])]
        c.expect(svcs, where(sm), "selects no rendered Service")
        c.expect(all(s["spec"].get("clusterIP") != "None" for s in svcs), where(sm), "selects the headless Service")
        is_agg = agg_svc in svcs
        if is_agg:
            agg_sms.append(sm)
            c.expect(len(svcs) == 1, where(sm), "the aggregator's ServiceMonitor also selects other Services "
                     "(their endpoints would get its scheme and token)")
        for ep in sm["spec"]["endpoints"]:
            c.expect(ep.get("path") == "/metrics", where(sm), "endpoint path is not /metrics")
            for s in svcs:
                c.expect(any(p.get("name") == ep.get("port") for p in s["spec"]["ports"]), where(sm),
                         f"endpoint port {ep.get('port')} is not a port name of {where(s)}")
            tls = is_agg and agg["tls"]
            c.expect(ep.get("scheme", "http") == ("https" if tls else "http"), where(sm),
                     f"endpoint scheme {ep.get('scheme', 'http')} does not match the target's TLS")
            if tls:
                ca = (((ep.get("tlsConfig") or {}).get("ca") or {}).get("secret") or {})
                c.expect(ca.get("name") and ca.get("key"), where(sm), "https endpoint without tlsConfig.ca.secret")
                c.expect((ep.get("tlsConfig") or {}).get("serverName"), where(sm),
                         "https endpoint without tlsConfig.serverName (targets are pod IPs)")
            token = ep.get("bearerTokenSecret") or ((ep.get("authorization") or {}).get("credentials"))
            if is_agg and agg["auth"].get("read_token_file"):
                if c.expect(token and token.get("name") and token.get("key"), where(sm),
                            "/metrics needs the read token but the endpoint has no bearerTokenSecret"):
                    c.expect(token["name"] in agg.get("auth_secrets", set()), where(sm),
                             f"bearerTokenSecret {token['name']} is not the aggregator's token Secret")
            elif not (is_agg and agg.get("config_from") == "Secret"):
                c.expect(not token, where(sm), "sends a token the target does not need")
    c.expect(len(agg_sms) == 1, "servicemonitor", f"expected one ServiceMonitor for the aggregator, got {len(agg_sms)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifests", nargs="?")
    ap.add_argument("--probes", default="")
    ap.add_argument("--servicemonitor", choices=["present", "absent"], default="absent")
    ap.add_argument("--rules", choices=["present", "absent", "any"], default="any")
    ap.add_argument("--dashboards", choices=["present", "absent", "any"], default="any")
    ap.add_argument("--release", default="release-name")
    ap.add_argument("--schema-covers", nargs=2, metavar=("VALUES", "SCHEMA"))
    ap.add_argument("--aggregator-help", help="abhra-aggregator --help output")
    ap.add_argument("--binary-defaults", action="store_true", help="limit flags carry the binary's defaults")
    ap.add_argument("--security", choices=["off", "tls+auth", "any"], default="any")
    ap.add_argument("--secret-value", action="append", default=[], help="must not appear in ConfigMaps, env or args")
    ap.add_argument("--no-secrets", action="store_true", help="the render must contain no Secret")
    a = ap.parse_args()
    c = Checker()
    if a.schema_covers:
        return schema_covers(a.schema_covers[0], a.schema_covers[1], c)

    objects = load_docs(a.manifests, c)
    for o in objects:
        check_common(o, c)
        c.expect(o["metadata"].get("labels", {}).get("app.kubernetes.io/instance") == a.release,
                 where(o), "instance label is not the release name")
    names = [(o.get("kind"), o["metadata"].get("name")) for o in objects]
    c.expect(len(names) == len(set(names)), "manifests", "duplicate kind/name")

    sts = [o for o in objects if o["kind"] == "StatefulSet"]
    deps = [o for o in objects if o["kind"] == "Deployment"]
    c.expect(len(sts) == 1, "manifests", f"expected one StatefulSet, got {len(sts)}")
    help_flags = parse_help(open(a.aggregator_help).read()) if a.aggregator_help else None
    if help_flags is not None:
        c.expect(len(help_flags) > 10 and "--listen" in help_flags, "--aggregator-help", "no flags parsed from the help text")
    agg = {"tls": False, "auth": {}}
    for s in sts:
        agg = check_aggregator(s, objects, c, help_flags, a.binary_defaults)
    if a.security == "off":
        c.expect(not agg["tls"] and not agg["auth"], "security", "TLS or tokens are on although --security off")
    elif a.security == "tls+auth":
        c.expect(agg["tls"], "security", "the aggregator does not serve HTTPS")
        for k in ("read_token_file", "webhook_token_file"):
            c.expect(agg["auth"].get(k), "security", f"config has no auth.{k}")
        c.expect(agg.get("config_from") in ("assembled", "Secret"), "security",
                 "tenant write tokens are not wired (no init container adding them, no config Secret)")
    scan_for_secrets(objects, a.secret_value, c)
    if a.no_secrets:
        c.expect(not [o for o in objects if o["kind"] == "Secret"], "secrets",
                 "the chart rendered a Secret: every token must come from an existing Secret")
    found = set()
    for d in deps:
        labels = check_probe(d, objects, c, agg["tls"])
        found.add((labels.get("abhra/environment"), labels.get("abhra/cluster")))
        c.expect(labels.get("app.kubernetes.io/component") == "probe", where(d), "component label is not probe")
    want = {tuple(p.split(":", 1)) for p in a.probes.split(",") if p}
    c.expect(found == want, "probes", f"probe Deployments for {sorted(found)}, expected {sorted(want)}")
    workloads = sts + deps
    check_selectors(workloads, c)
    check_services(objects, workloads, c)
    check_configmaps(objects, c)

    agg_svc = None
    for o in objects:
        if o["kind"] == "Service" and o["spec"].get("clusterIP") != "None" and \
                o["metadata"]["labels"].get("app.kubernetes.io/component") == "aggregator":
            agg_svc = o
    c.expect(agg_svc is not None, "manifests", "no aggregator client Service")
    check_grafana(objects, agg_svc, a.dashboards, c, agg)

    rules = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-rules")]
    if a.rules != "any":
        c.expect(bool(rules) == (a.rules == "present"), "rules", f"rules ConfigMap should be {a.rules}")
        if rules and sts:
            spec = pod_template(sts[0])["spec"]
            c.expect(any((v.get("configMap") or {}).get("name") == rules[0]["metadata"]["name"]
                         for v in spec.get("volumes") or []), "rules", "rules ConfigMap is not mounted")

    for pdb in [o for o in objects if o["kind"] == "PodDisruptionBudget"]:
        c.expect(pdb["apiVersion"] == "policy/v1", where(pdb), "PDB apiVersion is not policy/v1")
        sel = pdb["spec"]["selector"]["matchLabels"]
        c.expect(any(selector_matches(sel, pod_template(s)["metadata"]["labels"]) for s in sts), where(pdb),
                 "PDB selects no aggregator pods")
        c.expect(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]), where(pdb),
                 "PDB needs exactly one of minAvailable/maxUnavailable")

    sms = [o for o in objects if o["kind"] == "ServiceMonitor"]
    if a.servicemonitor == "absent":
        c.expect(not sms, "servicemonitor", "ServiceMonitor rendered although it should be absent")
    elif c.expect(sms, "servicemonitor", "ServiceMonitor missing"):
        check_service_monitors(sms, objects, agg_svc, agg, c)
        scraped = {s["metadata"]["name"] for sm in sms for s in objects if s["kind"] == "Service"
                   and selector_matches(sm["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])}
        for s in objects:
            if s["kind"] == "Service" and (s["metadata"].get("labels") or {}).get("abhra/scrape") == "true":
                c.expect(s["metadata"]["name"] in scraped, where(s), "labelled abhra/scrape but no ServiceMonitor selects it")

    return report(c, f"{len(objects)} objects")


def schema_covers(values_path, schema_path, c):
    """Every key of values.yaml is described (with a description) in values.schema.json."""
    values = yaml.safe_load(open(values_path))
    schema = json.load(open(schema_path))

    def resolve(node):
        while "$ref" in node:
            node = schema["definitions"][node["$ref"].split("/")[-1]]
        return node

    def walk(val, node, path):
        node = resolve(node)
        if isinstance(val, dict):
            props = node.get("properties")
            if props is None:
                return  # a free-form map (config, resources, annotations, ...)
            for k, v in val.items():
                p = f"{path}.{k}" if path else k
                if c.expect(k in props, p, "not described in values.schema.json"):
                    sub = resolve(props[k])
                    c.expect("description" in sub or "description" in props[k], p, "schema has no description")
                    walk(v, props[k], p)

    walk(values, schema, "")
    return report(c, "values keys")


def report(c, what):
    for f in c.failures:
        print("FAIL " + f)
    if c.failures:
        print(f"{len(c.failures)} of {c.checks} checks failed")
        return 1
    print(f"ok: {c.checks} checks on {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
