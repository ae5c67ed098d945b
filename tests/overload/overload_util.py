"""Shared by the overload tests: start abhra-aggregator with flags on a free loopback port,
read its RSS, POST remote-write bodies with http.client, read self metrics."""
import http.client
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import peers  # noqa: E402


def start_aggregator(procs, work, binary, name, flags=(), config=None):
    """Starts the aggregator on a free port with its data dir under WORK/name; returns
    (process, port) once /-/ready answers 200."""
    port = peers.free_port()
    argv = [binary, f"--data-dir={work}/{name}", f"--listen=127.0.0.1:{port}", *flags]
    if config is not None:
        path = os.path.join(work, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(config)
        argv.append(f"--config={path}")
    p = procs.start(name, argv)
    peers.wait_http_200(f"http://127.0.0.1:{port}/-/ready", timeout=30)
    return p, port


def rss_bytes(pid):
    """VmRSS of the process, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def post_write(conn, body, headers=None):
    """POSTs a snappy remote-write body on an http.client connection; returns
    (status, headers dict with lower-case names, body text)."""
    h = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
         "X-Prometheus-Remote-Write-Version": "0.1.0"}
    h.update(headers or {})
    conn.request("POST", "/api/v1/write", body=body, headers=h)
    r = conn.getresponse()
    text = r.read().decode(errors="replace")
    return r.status, {k.lower(): v for k, v in r.getheaders()}, text


def write_once(port, body, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        return post_write(conn, body, headers)
    finally:
        conn.close()


def metric(port, name, labels=""):
    """The value of one self metric line `name{labels} value` (labels as rendered), or None."""
    _, body = peers.http_get(f"http://127.0.0.1:{port}/metrics")
    want = f"{name}{{{labels}}}" if labels else name
    for line in body.decode().splitlines():
        m = re.match(r"^(\S+) (\S+)$", line)
        if m and m.group(1) == want:
            return float(m.group(2))
    return None
