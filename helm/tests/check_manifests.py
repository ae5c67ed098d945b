#!/usr/bin/python3
"""Checks the manifests that `helm template` (or helm/tools/render) produced for the abhra chart.

Usage:
  check_manifests.py MANIFESTS.yaml [--probes env:cluster,...] [--servicemonitor present|absent]
                     [--rules present|absent] [--dashboards present|absent] [--release NAME]
  check_manifests.py --schema-covers VALUES.yaml SCHEMA.json

Prints one line per failed check and exits 1 if any failed; prints a summary and exits 0
otherwise. The contracts checked come from DESIGN.md (binaries' flags and endpoints) and
interfaces.md section 6 (labels, probes, ServiceMonitor).
"""
import argparse
import json
import re
import sys

import yaml

# aggregator/main.cc and probe/config/docs/config.md.
AGGREGATOR_FLAGS = {"--data-dir", "--listen", "--config", "--log.level", "--http.handler-threads",
                    "--http.max-connections", "--http.max-body-bytes", "--shutdown.grace-seconds",
                    "--web.tls-cert-file", "--web.tls-key-file", "--web.enable-admin-api"}
AGGREGATOR_CONFIG_KEYS = {"tenants", "auth", "storage", "alertmanagers"}
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
    for ct in spec.get("containers") or []:
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


def check_http_probes(w, ct, c, startup_optional=True):
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


def check_aggregator(sts, objects, c):
    w = where(sts)
    spec = pod_template(sts).get("spec") or {}
    vols = volume_index(spec, sts)
    check_security(sts, spec, c)
    check_mount_refs(sts, spec, vols, objects, c)
    containers = spec.get("containers") or []
    c.expect(len(containers) == 1, w, "expected exactly one container")
    for ct in containers:
        cw = f"{w} container {ct.get('name')}"
        flags = parse_flags(ct.get("args") or [])
        for f in flags:
            c.expect(f in AGGREGATOR_FLAGS, cw, f"unknown abhra-aggregator flag {f}")
        c.expect(flags.get("--data-dir"), cw, "--data-dir missing")
        c.expect(flags.get("--listen"), cw, "--listen missing")
        c.expect("abhra-aggregator" in (ct.get("image") or ""), cw, "image is not abhra-aggregator")
        check_container_basics(cw, ct, flags, c)
        check_http_probes(cw, ct, c)
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
            kind, cm = config_from_volume(ct, vols, flags["--config"], objects)
            c.expect(kind in ("ConfigMap", "Secret"), cw, f"--config {flags['--config']} is not on a ConfigMap/Secret mount")
            if kind == "ConfigMap" and c.expect(cm is not None, cw, "--config ConfigMap not rendered"):
                cfg = yaml.safe_load((cm.get("data") or {}).get(flags["--config"].rsplit("/", 1)[1], "") or "")
                if c.expect(isinstance(cfg, dict), cw, "aggregator config.yaml is not a mapping"):
                    for k in cfg:
                        c.expect(k in AGGREGATOR_CONFIG_KEYS, cw, f"aggregator config has unknown key {k!r}")
                    for am in cfg.get("alertmanagers") or []:
                        c.expect(isinstance(am, str) and re.match(r"^https?://.+", am), cw,
                                 f"alertmanagers entry {am!r} is not a URL string")
    # Governing headless Service.
    svc_name = (sts.get("spec") or {}).get("serviceName")
    svc = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == svc_name]
    if c.expect(svc, w, f"serviceName {svc_name!r} is not a rendered Service"):
        c.expect(svc[0]["spec"].get("clusterIP") == "None", w, "governing Service is not headless")


def check_probe(dep, objects, c):
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


def check_grafana(objects, aggregator_svc, expect_dashboards, c):
    ds = [o for o in objects if o["kind"] == "ConfigMap"
          and (o["metadata"].get("labels") or {}).get("grafana_datasource") == "1"]
    if c.expect(len(ds) == 1, "grafana", "expected one ConfigMap labelled grafana_datasource: \"1\""):
        for key, val in ds[0]["data"].items():
            doc = yaml.safe_load(val)
            c.expect(doc.get("apiVersion") == 1, where(ds[0]), "provisioning apiVersion is not 1")
            for d in doc.get("datasources") or []:
                c.expect(d.get("type") == "prometheus" and d.get("access") == "proxy", where(ds[0]),
                         "data source is not a proxied prometheus data source")
                if aggregator_svc is not None:
                    port = aggregator_svc["spec"]["ports"][0]["port"]
                    c.expect(d.get("url", "").startswith(f"http://{aggregator_svc['metadata']['name']}.")
                             and d.get("url", "").endswith(f":{port}"), where(ds[0]),
                             f"data source url {d.get('url')} is not the aggregator Service")
    db = [o for o in objects if o["kind"] == "ConfigMap"
          and (o["metadata"].get("labels") or {}).get("grafana_dashboard") == "1"]
    if expect_dashboards == "present":
        if c.expect(len(db) == 1, "grafana", "expected one ConfigMap labelled grafana_dashboard: \"1\""):
            c.expect(db[0].get("data") and all(k.endswith(".json") for k in db[0]["data"]), where(db[0]),
                     "dashboards ConfigMap has no .json entries")
    elif expect_dashboards == "absent":
        c.expect(not db, "grafana", "unexpected dashboards ConfigMap")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifests", nargs="?")
    ap.add_argument("--probes", default="")
    ap.add_argument("--servicemonitor", choices=["present", "absent"], default="absent")
    ap.add_argument("--rules", choices=["present", "absent", "any"], default="any")
    ap.add_argument("--dashboards", choices=["present", "absent", "any"], default="any")
    ap.add_argument("--release", default="release-name")
    ap.add_argument("--schema-covers", nargs=2, metavar=("VALUES", "SCHEMA"))
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
    for s in sts:
        check_aggregator(s, objects, c)
    found = set()
    for d in deps:
        labels = check_probe(d, objects, c)
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
    check_grafana(objects, agg_svc, a.dashboards, c)

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
    elif c.expect(len(sms) == 1, "servicemonitor", "ServiceMonitor missing"):
        sm = sms[0]
        c.expect(sm["apiVersion"] == "monitoring.coreos.com/v1", where(sm), "apiVersion")
        sel = sm["spec"]["selector"]["matchLabels"]
        svcs = [o for o in objects if o["kind"] == "Service" and selector_matches(sel, o["metadata"]["labels"])]
        c.expect(agg_svc in svcs, where(sm), "does not select the aggregator client Service")
        c.expect(all(s["spec"].get("clusterIP") != "None" for s in svcs), where(sm), "selects the headless Service")
        for ep in sm["spec"]["endpoints"]:
            c.expect(ep.get("path") == "/metrics", where(sm), "endpoint path is not /metrics")
            for s in svcs:
                c.expect(any(p.get("name") == ep.get("port") for p in s["spec"]["ports"]), where(sm),
                         f"endpoint port {ep.get('port')} is not a port name of {where(s)}")

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
