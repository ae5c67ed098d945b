#!/usr/bin/python3
"""Runs the real binaries with what the chart renders, when they are built.

Usage: run_with_binaries.py BIN_DIR MANIFESTS.yaml...

For every rendered aggregator StatefulSet: starts BIN_DIR/abhra-aggregator with the container's
args and its config.yaml from the rendered ConfigMap (only --data-dir, --listen and --config are
pointed at a temporary directory and 127.0.0.1:0), waits for its "msg=ready" log line, checks
that the readiness and liveness paths the chart probes answer 200, then stops it with SIGTERM
and expects exit status 0.

Secrets the pod mounts (TLS, tokens) are stood in for by files in a temporary directory: a
throw-away CA and a certificate for 127.0.0.1 made with openssl for kubernetes.io/tls keys, a
random token for every other key; every mount path in the args and the config is rewritten to
them. When an init container assembles the config (tenant write tokens), its script from the
ConfigMap runs with /bin/sh first. With TLS the probes go over HTTPS verified with that CA (and
plain HTTP must get 400); with tokens, /metrics must answer 401 without and 200 with the read
token, and a write with a tenant's token must get past authentication while the read token's
is refused (401/403).

For every probe Deployment: runs BIN_DIR/abhra-probe --config FILE --check-config on the rendered
config (token_file and queue.dir pointed at temporary paths) and expects "OK".

A binary that is not built is reported and skipped. Exit 1 if any run failed.
"""
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

START_TIMEOUT_S = 30


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]


def configmap_file(objects, ct, spec, flag_value):
    """Contents of the file a --config flag names, from the ConfigMap mounted at its directory."""
    d, base = flag_value.rsplit("/", 1)
    for m in ct.get("volumeMounts") or []:
        if m.get("mountPath") == d:
            for v in spec.get("volumes") or []:
                if v.get("name") == m["name"] and "configMap" in v:
                    for o in objects:
                        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == v["configMap"]["name"]:
                            return o["data"][base]
    return None


def make_certs(d):
    """A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it, in d."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True, timeout=30)
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=abhra-test-ca")
    run("req", *ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "1", "-extfile", "ext.cnf")
    return {k: open(os.path.join(d, k)).read() for k in ("ca.crt", "tls.crt", "tls.key")}


def stand_in_secrets(ct, spec, tmp, certs):
    """Files standing in for every Secret volume ct mounts: {mountPath: (dir, {key: content})}."""
    out = {}
    for m in ct.get("volumeMounts") or []:
        v = next((v for v in spec.get("volumes") or [] if v.get("name") == m["name"]), {})
        if "secret" not in v:
            continue
        d = os.path.join(tmp, "secret-" + m["name"])
        os.makedirs(d, exist_ok=True)
        files = {}
        for item in v["secret"].get("items") or [{"key": "token", "path": "token"}]:
            # Quotes, $ and a backslash: the init container's script must copy tokens verbatim.
            content = certs[item["key"]] if item["key"] in certs else secrets.token_hex(12) + "'\"$x\\\n"
            files[item["key"]] = content
            with open(os.path.join(d, item["path"]), "w") as f:
                f.write(content)
        out[m["mountPath"]] = (d, files)
    return out


def repath(text, mounts):
    for mount_path, (d, _) in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(mount_path + "/", d + "/")
    return text


def assembled_config(objects, spec, ct, config_flag, tmp, certs, secret_mounts):
    """Runs the init container that writes --config's directory; returns the file's text."""
    d = config_flag.rsplit("/", 1)[0]
    vol = next(m["name"] for m in ct.get("volumeMounts") or [] if m.get("mountPath") == d)
    init = next(i for i in spec.get("initContainers") or []
                if any(m["name"] == vol for m in i.get("volumeMounts") or []))
    script_path = (init.get("command") or [])[-1]
    script = configmap_file(objects, init, spec, script_path)
    template = configmap_file(objects, init, spec, script_path.rsplit("/", 1)[0] + "/config.yaml")
    init_secrets = stand_in_secrets(init, spec, os.path.join(tmp, "init"), certs)
    # The init container and the aggregator mount the same auth Secret: give both the same files.
    for mp, (sd, files) in init_secrets.items():
        if mp in secret_mounts:
            for k, content in secret_mounts[mp][1].items():
                with open(os.path.join(sd, k), "w") as f:
                    f.write(content)
            init_secrets[mp] = (sd, secret_mounts[mp][1])
    auth_mount = re.search(r'^auth="\$\{ABHRA_AUTH_DIR:-(/[^}]+)\}"$', script, re.M).group(1)
    for name, text in (("assemble-config.sh", script), ("config-template.yaml", template)):
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    out = os.path.join(tmp, "assembled.yaml")
    env = dict(os.environ, ABHRA_CONFIG_IN=os.path.join(tmp, "config-template.yaml"), ABHRA_CONFIG_OUT=out,
               ABHRA_AUTH_DIR=init_secrets[auth_mount][0])
    r = subprocess.run(["/bin/sh", os.path.join(tmp, "assemble-config.sh")], env=env, capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"init container script failed: {r.stderr}")
    tokens = [c.strip() for c in init_secrets[auth_mount][1].values()]
    if any(t in r.stdout + r.stderr for t in tokens):
        raise RuntimeError("init container script printed a token")
    got = [t.get("token") for t in (yaml.safe_load(open(out)) or {}).get("tenants") or [] if "token" in t]
    want = [init_secrets[auth_mount][1][k].rstrip("\n") for k in re.findall(r"^\s*token '([^']+)'", script, re.M)]
    if got != want:
        raise RuntimeError(f"assembled tenant tokens differ from the Secret's files ({len(got)} vs {len(want)})")
    if (os.stat(out).st_mode & 0o077) != 0:
        raise RuntimeError(f"assembled config is readable by others: {oct(os.stat(out).st_mode)}")
    return open(out).read()


def request(url, ctx, method="GET", token=None, body=None):
    """HTTP status of one request (errors included)."""
    req = urllib.request.Request(url, method=method, data=body)
    if token:
        req.add_header("Authorization", "Bearer " + token.strip())
    if url.endswith("/api/v1/write"):
        req.add_header("Content-Type", "application/x-protobuf")
        req.add_header("Content-Encoding", "snappy")
        req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
    try:
        return urllib.request.urlopen(req, timeout=5, context=ctx).status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # connection error: report it
        return str(e)


def rewrite(args, repl):
    out = []
    for a in args:
        k = a.split("=", 1)[0]
        out.append(f"{k}={repl[k]}" if k in repl else a)
    return out


def probe_path(ct, kind):
    return ((ct.get(kind) or {}).get("httpGet") or {}).get("path")


def run_aggregator(binary, sts, objects, tmp, certs):
    spec = sts["spec"]["template"]["spec"]
    ct = spec["containers"][0]
    secret_mounts = stand_in_secrets(ct, spec, tmp, certs)
    args = [repath(a, secret_mounts) for a in ct.get("args") or []]
    flags = dict(a.split("=", 1) for a in args if a.startswith("--") and "=" in a)
    repl = {"--data-dir": os.path.join(tmp, "data"), "--listen": "127.0.0.1:0"}
    cfg_doc = {}
    if "--config" in flags:
        cfg = configmap_file(objects, ct, spec, flags["--config"])
        if cfg is None and spec.get("initContainers"):
            try:
                cfg = assembled_config(objects, spec, ct, flags["--config"], tmp, certs, secret_mounts)
            except (RuntimeError, StopIteration, AttributeError, KeyError) as e:
                print(f"  FAIL {sts['metadata']['name']}: {e}")
                return False
        if cfg is None:
            print(f"  skip {sts['metadata']['name']}: config comes from a Secret the chart does not render")
            return True
        cfg = repath(cfg, secret_mounts)
        cfg_doc = yaml.safe_load(cfg) or {}
        path = os.path.join(tmp, "config.yaml")
        with open(path, "w") as f:
            f.write(cfg)
        repl["--config"] = path
    tls = "--web.tls-cert-file" in flags
    ctx = None
    if tls:
        ctx = ssl.create_default_context(cadata=certs["ca.crt"])
    auth = cfg_doc.get("auth") or {}
    read_tok = open(auth["read_token_file"]).read() if auth.get("read_token_file") else None
    admin_tok = open(auth["admin_token_file"]).read() if auth.get("admin_token_file") else None
    tenant_toks = [t["token"] for t in cfg_doc.get("tenants") or [] if t.get("token")]
    cmd = [binary] + rewrite(args, repl)
    log_path = os.path.join(tmp, "aggregator.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    port = None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        m = re.search(r"msg=ready listen=127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)  # polling a log file: there is no other readiness signal to wait on
    ok = True
    if port is None:
        print(f"  FAIL aggregator did not become ready (exit {proc.poll()}): {' '.join(cmd)}")
        print("  " + open(log_path).read().replace("\n", "\n  "))
        ok = False
    else:
        base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            path = probe_path(ct, kind)
            if not path:
                continue
            scheme = ((ct.get(kind) or {}).get("httpGet") or {}).get("scheme", "HTTP")
            if scheme != ("HTTPS" if tls else "HTTP"):
                print(f"  FAIL {kind} uses scheme {scheme} on a {'TLS' if tls else 'plain'} port")
                ok = False
            status = request(base + path, ctx)  # the kubelet sends no token
            if status != 200:
                print(f"  FAIL {kind} {path} answered {status}")
                ok = False
        expect = []
        if tls:
            expect.append(("plain HTTP on the TLS port", request(f"http://127.0.0.1:{port}/-/ready", None), 400))
        if read_tok:
            expect.append(("/metrics without a token", request(base + "/metrics", ctx), 401))
            expect.append(("/metrics with the read token", request(base + "/metrics", ctx, token=read_tok), 200))
        if tenant_toks:
            st = request(base + "/api/v1/write", ctx, "POST", read_tok or "x", b"")
            expect.append(("a write with the read token is refused", "refused" if st in (401, 403) else st, "refused"))
            st = request(base + "/api/v1/write", ctx, "POST", tenant_toks[0], b"")
            expect.append(("a write with a tenant's token passes authentication", st if st in (401, 403) else "past", "past"))
        if admin_tok and "--web.enable-admin-api" in args:
            st = request(base + "/api/v1/admin/flush", ctx, "POST", admin_tok, b"")
            expect.append(("admin flush with the admin token", st, 200))
        for what, got, want in expect:
            if got != want:
                print(f"  FAIL {what}: got {got}, want {want}")
                ok = False
        if expect and ok:
            print(f"  ok {len(expect)} access checks: " + "; ".join(f"{w} -> {g}" for w, g, _ in expect))
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "killed after 30 s"
        if rc != 0:
            print(f"  FAIL aggregator exited {rc} after SIGTERM")
            ok = False
    if ok:
        print(f"  ok aggregator {sts['metadata']['name']}: started with the chart's args and config"
              f"{' (HTTPS)' if tls else ''}, probe paths answer 200, clean SIGTERM exit")
    return ok


def run_probe(binary, dep, objects, tmp, certs):
    spec = dep["spec"]["template"]["spec"]
    ct = spec["containers"][0]
    flags = dict(a.split("=", 1) for a in ct.get("args") or [] if a.startswith("--") and "=" in a)
    cfg = yaml.safe_load(configmap_file(objects, ct, spec, flags["--config"]))
    agg = cfg.get("aggregator") or {}
    if agg.get("token_file"):
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("test-token\n")
        agg["token_file"] = tok
    if (agg.get("tls") or {}).get("ca_file"):
        ca = os.path.join(tmp, "ca.crt")
        with open(ca, "w") as f:
            f.write(certs["ca.crt"])
        agg["tls"]["ca_file"] = ca
    if (agg.get("queue") or {}).get("dir"):
        agg["queue"]["dir"] = os.path.join(tmp, "queue")
    path = os.path.join(tmp, f"{dep['metadata']['name']}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    r = subprocess.run([binary, "--config", path, "--check-config"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        print(f"  FAIL abhra-probe --check-config rejected {dep['metadata']['name']}: {r.stdout}{r.stderr}")
        return False
    print(f"  ok probe {dep['metadata']['name']}: --check-config accepts the rendered config")
    return True


def main():
    bin_dir, manifests = sys.argv[1], sys.argv[2:]
    agg_bin = os.path.join(bin_dir, "abhra-aggregator")
    probe_bin = os.path.join(bin_dir, "abhra-probe")
    have_agg = os.access(agg_bin, os.X_OK)
    have_probe = os.access(probe_bin, os.X_OK)
    if not have_agg:
        print(f"  skip: {agg_bin} is not built")
    if not have_probe:
        print(f"  skip: {probe_bin} is not built")
    if not (have_agg or have_probe):
        return 0
    ok = True
    certs_dir = tempfile.mkdtemp()
    try:
        certs = make_certs(certs_dir)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"  FAIL openssl could not make test certificates: {e}")
        return 1
    for m in manifests:
        objects = docs(m)
        print(f" {os.path.basename(m)}")
        for o in objects:
            with tempfile.TemporaryDirectory() as tmp:
                if o["kind"] == "StatefulSet" and have_agg:
                    ok &= run_aggregator(agg_bin, o, objects, tmp, certs)
                elif o["kind"] == "Deployment" and have_probe:
                    ok &= run_probe(probe_bin, o, objects, tmp, certs)
    subprocess.run(["rm", "-rf", certs_dir], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
