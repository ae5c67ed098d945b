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


def api_query(base, query, t=None):
    params = {"query": query}
    if t is not None:
        params["time"] = f"{t:.3f}"
    status, body = http_get(f"{base}/api/v1/query?{urllib.parse.urlencode(params)}")
    data = json.loads(body)
    if data.get("status") != "success":
        raise RuntimeError(f"query {query!r} on {base}: {data}")
    return data["data"]


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
