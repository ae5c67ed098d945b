#!/usr/bin/env python3
"""The aggregator's limits end to end, each against the real binary (ctest `overload_limits`):

1. per-tenant series limits: samples for new series beyond limits.max_series_per_tenant (or
   tenants[].max_series) get 429 naming the tenant and the limit; samples for existing series
   and other tenants still go in; abhra_tenant_series counts each tenant's series;
2. --query.max-samples: a query loading more samples gets 422 errorType "execution",
   "query processing would load too many samples into memory in query execution", a
   smaller one succeeds, and the aggregator's RSS does not jump;
3. slow clients: with --http.max-connections sockets held open (silent, or sending their
   header a byte at a time) a new client is refused, and once --http.header-timeout has
   passed the stalled sockets are closed and a new client is served;
4. --http.max-body-bytes: a larger remote-write body gets 413 before it is read.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import peers  # noqa: E402
import rwgen  # noqa: E402
import overload_util as ou  # noqa: E402


def series_body(env, names, t_ms, points=1):
    return rwgen.encode([({"__name__": "limited", "env": env, "i": n},
                          [(t_ms + 1000 * k, 1.0) for k in range(points)]) for n in names])


def check_series_limits(work, procs, binary):
    config = """limits:
  max_series_per_tenant: 5
tenants:
  - {name: prod, max_series: 8}
"""
    proc, port = ou.start_aggregator(procs, work, binary, "series", config=config)
    now = int(time.time() * 1000)
    status, _, text = ou.write_once(port, series_body("dev", [f"a{i}" for i in range(3)], now))
    assert status == 204, (status, text)
    # Two more fit, three do not: 429 names the tenant and the limit; the rest is stored.
    status, _, text = ou.write_once(port, series_body("dev", [f"a{i}" for i in range(8)], now + 1000))
    assert status == 429, (status, text)
    for want in ('tenant "dev" has reached its limit of 5 series (limits.max_series_per_tenant)',
                 "3 of 8 samples rejected (3 series_limit)"):
        assert want in text, f"{want!r} not in {text!r}"
    # Existing series keep taking samples; another tenant has its own limit.
    status, _, text = ou.write_once(port, series_body("dev", [f"a{i}" for i in range(5)], now + 2000))
    assert status == 204, (status, text)
    status, _, text = ou.write_once(port, series_body("prod", [f"p{i}" for i in range(8)], now))
    assert status == 204, (status, text)
    status, _, text = ou.write_once(port, series_body("prod", ["p9"], now))
    assert status == 429 and 'tenant "prod" has reached its limit of 8 series (tenants[].max_series)' in text, text
    base = f"http://127.0.0.1:{port}"
    counts = {r["metric"]["env"]: int(r["value"][1]) for r in peers.api_query(
        base, "count by (env) (limited)", now / 1000 + 3)["result"]}
    assert counts == {"dev": 5, "prod": 8}, counts
    assert ou.metric(port, "abhra_tenant_series", 'tenant="dev"') == 5
    assert ou.metric(port, "abhra_tenant_series", 'tenant="prod"') == 8
    assert ou.metric(port, "abhra_tenant_series_limit", 'tenant="prod"') == 8
    assert ou.metric(port, "abhra_tenant_series_rejected_total", 'tenant="dev"') == 3
    assert procs.stop(proc) == 0
    peers.log("ok: series limits give 429 for new series only, per tenant, counted in metrics")


def query(port, q, t):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t})
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def check_query_max_samples(work, procs, binary):
    proc, port = ou.start_aggregator(procs, work, binary, "query",
                                     ["--query.max-samples=50000", "--query.timeout=20s"])
    now = (int(time.time() * 1000) - 30 * 60 * 1000) // 1000 * 1000
    # 40 series x 1500 samples (1 s apart) = 60000 samples.
    for chunk in range(4):
        names = [f"q{chunk}_{i}" for i in range(10)]
        status, _, text = ou.write_once(port, series_body("qa", names, now, points=1500))
        assert status == 204, (status, text)
    t_end = (now + 1499 * 1000 + 500) / 1000
    rss_before = ou.rss_bytes(proc.pid)
    # The range selector's result itself holds all 60000 samples (Prometheus refuses it too;
    # count_over_time over it would not: the engine holds one series' window at a time).
    status, body = query(port, "limited[1h]", t_end)
    rss_after = ou.rss_bytes(proc.pid)
    assert status == 422, (status, body)
    assert body["status"] == "error" and body["errorType"] == "execution", body
    assert body["error"] == ("query processing would load too many samples into memory in query "
                             "execution"), body
    # Within the limit (40 series x 300 samples): answered.
    status, body = query(port, "sum(count_over_time(limited[5m]))", t_end)
    assert status == 200, (status, body)
    assert float(body["data"]["result"][0]["value"][1]) == 40 * 300, body
    growth = rss_after - rss_before
    peers.log(f"query over --query.max-samples: 422 execution; RSS {rss_before >> 20} MiB -> "
              f"{rss_after >> 20} MiB")
    assert growth < 64 << 20, f"RSS grew {growth >> 20} MiB answering a refused query"
    assert procs.stop(proc) == 0
    peers.log("ok: --query.max-samples refuses with 422 execution, a smaller query succeeds")


def check_slow_clients(work, procs, binary):
    max_conns = 8
    proc, port = ou.start_aggregator(
        procs, work, binary, "slow",
        [f"--http.max-connections={max_conns}", "--http.header-timeout=1s",
         "--http.read-timeout=60s", "--http.idle-timeout=60s"])
    stop = threading.Event()
    closed = [threading.Event() for _ in range(max_conns)]

    def stalled(idx, trickle):
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(0.2)
        header = b"GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Slow: "
        i = 0
        try:
            while not stop.is_set():
                if trickle:
                    s.sendall(header[i:i + 1] if i < len(header) else b"a")
                    i += 1
                try:
                    if s.recv(4096) == b"":
                        break  # the server hung up
                except socket.timeout:
                    pass
        except OSError:
            pass  # reset by the server: also hung up
        finally:
            closed[idx].set()
            s.close()

    threads = [threading.Thread(target=stalled, args=(i, i % 2 == 1), daemon=True)
               for i in range(max_conns)]
    t0 = time.time()
    for t in threads:
        t.start()
    time.sleep(0.3)
    # Every slot is held: a new client is turned away (503, or closed).
    try:
        status, _ = peers.http_get(f"http://127.0.0.1:{port}/-/healthy", timeout=5)
    except urllib.error.HTTPError as e:
        status = e.code
    except (OSError, urllib.error.URLError):
        status = "closed"
    answered = time.time() - t0
    # A 200 is only possible once the first stalled socket timed out (a very slow machine).
    assert status != 200 or answered >= 1.0, f"served after {answered:.2f} s with every slot held"
    # After the header timeout the stalled sockets are gone and a new client is served.
    for i, c in enumerate(closed):
        assert c.wait(15), f"stalled socket {i} still open 15 s after a 1 s header timeout"
    held = time.time() - t0
    peers.wait_http_200(f"http://127.0.0.1:{port}/-/healthy", timeout=5)
    stop.set()
    peers.log(f"ok: {max_conns} stalled sockets (silent and trickling) held every slot; "
              f"refused meanwhile ({status}); closed after {held:.1f} s; a new client is served")
    assert procs.stop(proc) == 0


def check_body_limit(work, procs, binary):
    proc, port = ou.start_aggregator(procs, work, binary, "body", ["--http.max-body-bytes=65536"])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    # Only the header: the 413 must come from Content-Length, without reading the body.
    s.sendall(b"POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Encoding: snappy\r\n"
              b"Content-Type: application/x-protobuf\r\nContent-Length: 1000000\r\n\r\n")
    reply = s.recv(4096).decode(errors="replace")
    s.close()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert "limit is 65536 bytes" in reply, reply
    big = series_body("body", [f"b{i:05d}" for i in range(16000)], int(time.time() * 1000))
    assert len(big) > 65536, len(big)
    status, _, text = ou.write_once(port, big)
    assert status == 413, (status, text)
    status, _, text = ou.write_once(port, series_body("body", ["small"], int(time.time() * 1000)))
    assert status == 204, (status, text)
    assert procs.stop(proc) == 0
    peers.log("ok: bodies over --http.max-body-bytes get 413, announced or sent")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    args = ap.parse_args()
    with peers.workspace("abhra-limits-") as (work, procs):
        check_series_limits(work, procs, args.aggregator)
        check_query_max_samples(work, procs, args.aggregator)
        check_slow_clients(work, procs, args.aggregator)
        check_body_limit(work, procs, args.aggregator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
