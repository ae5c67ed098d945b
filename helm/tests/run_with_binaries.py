#!/usr/bin/python3
"""Runs the real binaries with what the chart renders, when they are built.

Usage: run_with_binaries.py BIN_DIR MANIFESTS.yaml...

For every rendered aggregator StatefulSet: starts BIN_DIR/abhra-aggregator with the container's
args and its config.yaml from the rendered ConfigMap (only --data-dir, --listen and --config are
pointed at a temporary directory and 127.0.0.1:0), waits for its "msg=ready" log line, checks
that the readiness and liveness paths the chart probes answer 200, then stops it with SIGTERM
and expects exit status 0.

For every probe Deployment: runs BIN_DIR/abhra-probe --config FILE --check-config on the rendered
config (token_file and queue.dir pointed at temporary paths) and expects "OK".

A binary that is not built is reported and skipped. Exit 1 if any run failed.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
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


def rewrite(args, repl):
    out = []
    for a in args:
        k = a.split("=", 1)[0]
        out.append(f"{k}={repl[k]}" if k in repl else a)
    return out


def probe_path(ct, kind):
    return ((ct.get(kind) or {}).get("httpGet") or {}).get("path")


def run_aggregator(binary, sts, objects, tmp):
    spec = sts["spec"]["template"]["spec"]
    ct = spec["containers"][0]
    args = ct.get("args") or []
    flags = dict(a.split("=", 1) for a in args if a.startswith("--") and "=" in a)
    repl = {"--data-dir": os.path.join(tmp, "data"), "--listen": "127.0.0.1:0"}
    if "--config" in flags:
        cfg = configmap_file(objects, ct, spec, flags["--config"])
        if cfg is None:
            print(f"  skip {sts['metadata']['name']}: config comes from a Secret the chart does not render")
            return True
        path = os.path.join(tmp, "config.yaml")
        with open(path, "w") as f:
            f.write(cfg)
        repl["--config"] = path
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
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            path = probe_path(ct, kind)
            if not path:
                continue
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status
            except Exception as e:  # HTTPError or connection error: report it
                status = str(e)
            if status != 200:
                print(f"  FAIL {kind} {path} answered {status}")
                ok = False
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
        print(f"  ok aggregator {sts['metadata']['name']}: started with the chart's args and config, "
              f"probe paths answer 200, clean SIGTERM exit")
    return ok


def run_probe(binary, dep, objects, tmp):
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
    ok = True
    for m in manifests:
        objects = docs(m)
        print(f" {os.path.basename(m)}")
        for o in objects:
            with tempfile.TemporaryDirectory() as tmp:
                if o["kind"] == "StatefulSet" and have_agg:
                    ok &= run_aggregator(agg_bin, o, objects, tmp)
                elif o["kind"] == "Deployment" and have_probe:
                    ok &= run_probe(probe_bin, o, objects, tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
