"""Helpers for tests that run the project's binaries next to real peers (Prometheus,
Alertmanager, ...) on loopback: free ports, processes that are always stopped, HTTP polling."""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77  # ctest SKIP_RETURN_CODE
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"  # Debian prometheus-alertmanager (0.25)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require(path):
    if not os.path.exists(path):
        print(f"SKIP: {path} is not installed (make deps installs it)")
        sys.exit(SKIP)


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_http_200(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if http_get(url, timeout=2)[0] == 200:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def get_json(url, timeout=10):
    return json.loads(http_get(url, timeout)[1])


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wait_for(what, fn, timeout):
    """Polls fn until it returns something true and returns that; on timeout fails with fn's
    last answer (or exception: a peer may not be up yet)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                log(f"ok: {what}")
                return last
        except Exception as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what} (last: {last!r})")


def wait_equal(what, fn, want, timeout):
    """Polls fn until it returns want; on timeout fails with expected vs fn's last answer."""
    answers = []

    def matches():
        answers.append(fn())
        return answers[-1] == want
    try:
        wait_for(what, matches, timeout)
    except AssertionError as e:
        got = repr(answers[-1]) if answers else str(e)
        raise AssertionError(f"timed out after {timeout}s waiting for: {what}: expected "
                             f"{want!r}, got {got}") from None
    return want


def api_query(base, query, t=None):
    params = {"query": query}
    if t is not None:
        params["time"] = f"{t:.3f}"
    status, body = http_get(f"{base}/api/v1/query?{urllib.parse.urlencode(params)}")
    data = json.loads(body)
    if data.get("status") != "success":
        raise RuntimeError(f"query {query!r} on {base}: {data}")
    return data["data"]


def write_alerting_configs(work, agg_url, am_url, rules_yaml, group_by=("alertname", "env")):
    """For an aggregator at agg_url and an Alertmanager at am_url, fast enough for tests: writes
    WORK/rules.yaml (rules_yaml), WORK/aggregator.yaml (that rule file only, evaluated every
    1 s, alerts sent to am_url and re-sent every 2 s) and WORK/alertmanager.yml (one receiver,
    the aggregator's webhook, with resolved alerts; grouped by group_by, 1 s waits).
    Returns the aggregator config's path."""
    with open(os.path.join(work, "rules.yaml"), "w") as f:
        f.write(rules_yaml)
    with open(os.path.join(work, "aggregator.yaml"), "w") as f:
        f.write(f"""alertmanagers: ["{am_url}"]
external_url: "{agg_url}"
evaluation_interval: 1s
rules:
  provision: false
  files: ["{work}/rules.yaml"]
notifier:
  resend_delay: 2s
""")
    with open(os.path.join(work, "alertmanager.yml"), "w") as f:
        f.write(f"""route:
  receiver: abhra
  group_by: [{", ".join(group_by)}]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: abhra
    webhook_configs:
      - url: "{agg_url}/api/v1/alertmanager/webhook"
        send_resolved: true
""")
    return os.path.join(work, "aggregator.yaml")


def alertmanager_argv(work, port):
    """Alertmanager on 127.0.0.1:port with WORK/alertmanager.yml and its storage in WORK/am."""
    return [ALERTMANAGER, f"--config.file={work}/alertmanager.yml", f"--storage.path={work}/am",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip: nothing binds beyond loopback
            f"--web.external-url=http://127.0.0.1:{port}"]


class Processes:
    """Starts processes with output in log files; stops all of them on exit."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, argv):
        log = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        p.name = name
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=20):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def log(self, name):
        with open(os.path.join(self.workdir, f"{name}.log"), errors="replace") as f:
            return f.read()

    def close(self):
        for p in self.procs:
            self.stop(p, signal.SIGKILL)


@contextlib.contextmanager
def workspace(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    procs = Processes(d)
    ok = False
    try:
        yield d, procs
        ok = True
    finally:
        procs.close()
        if ok:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print(f"logs kept in {d}")
