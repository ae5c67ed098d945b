#!/usr/bin/env python3
"""Remote-write beyond capacity, bounded in count and time (ctest `overload_ingest`).

Starts abhra-aggregator with a small in-flight limit (--ingest.max-inflight-requests) and
drives it with many more concurrent senders, each POSTing ~0.5 MiB remote-write requests back
to back for a fixed time. A sender retries a refused request until it is acknowledged, after
waiting Retry-After (jittered, as senders spread their retries). Throughout, the aggregator's RSS (/proc/PID/status
VmRSS) is sampled. Checks:
  - requests over the limit got 503 with Retry-After (and the self metric counted them);
  - RSS stays flat: after warm-up it never rises more than a fixed margin above its level at
    the end of warm-up;
  - every 2xx-acknowledged sample is queryable afterwards, exactly, per sender.
Prints the RSS curve summary, the number of 503s and the accepted samples per second.

Payloads: each sender owns SERIES series (labels thread=tNN, s, and a fixed random pad that
makes bodies large and incompressible) with one sample each per request; round r is at
base + 128*r ms. A sender moves to a new round after every NEW_ROUND_EVERY acknowledgements
and re-sends the current round in between: those samples are exact duplicates, acknowledged
(204) and checked like new ones but stored once, so the head hardly grows and RSS growth
would come from buffered requests. One template is encoded with rwgen; thread and round are
patched into the raw protobuf (a fixed-width label value; the upper five bytes of each
6-byte timestamp varint), so a request costs one snappy compression, not a Python encode.
"""
import argparse
import http.client
import os
import random
import string
import sys
import threading
import time

import snappy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import peers  # noqa: E402
import rwgen  # noqa: E402
import overload_util as ou  # noqa: E402

SENDERS = 32
SERIES = 4096                 # per sender; one sample each per request
NEW_ROUND_EVERY = 8           # acknowledgements per round (the rest re-send it)
MAX_INFLIGHT = 2              # --ingest.max-inflight-requests
WARMUP_S = 3                  # at least; until every sender's series exist (at most 20 s)
WARMUP_MAX_S = 20
LOAD_S = 12
RSS_MARGIN = 48 << 20         # allowed rise above the end-of-warm-up RSS


def upper_varint(u):
    """The last five bytes of the 6-byte varint of a timestamp whose bits above 7 are u."""
    out = bytearray()
    for i in range(4):
        out.append(((u >> (7 * i)) & 0x7F) | 0x80)
    assert u >> 28 < 0x80
    out.append(u >> 28)
    return bytes(out)


class Payloads:
    def __init__(self, base_ms):
        assert base_ms % 128 == 0 and (1 << 35) <= base_ms < (1 << 42)
        rnd = random.Random(11)
        pads = ["".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(120))
                for _ in range(SERIES)]
        series = [({"__name__": "overload_sample", "env": "load", "thread": "t00",
                    "s": f"{j:04d}", "pad": pads[j]}, [(base_ms, 1.0)]) for j in range(SERIES)]
        self.raw = snappy.decompress(rwgen.encode(series))
        self.u0 = base_ms >> 7
        self.thread_tag = b"\x12\x03t00"
        assert self.raw.count(self.thread_tag) == SERIES
        assert self.raw.count(upper_varint(self.u0)) == SERIES
        self.samples = SERIES

    def body(self, thread, rnd):
        raw = self.raw.replace(self.thread_tag, b"\x12\x03t%02d" % thread)
        raw = raw.replace(upper_varint(self.u0), upper_varint(self.u0 + rnd))
        return snappy.compress(raw)


class Sender(threading.Thread):
    def __init__(self, idx, port, payloads, stop, stats):
        super().__init__(daemon=True)
        self.idx, self.port, self.payloads, self.stop = idx, port, payloads, stop
        self.stats = stats
        self.acked = 0
        self.rounds = 0  # distinct rounds acknowledged
        self.error = None
        self.jitter = random.Random(idx)

    def run(self):
        conn = None
        rnd = 0
        body = self.payloads.body(self.idx, rnd)
        try:
            while not self.stop.is_set():
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                try:
                    status, headers, text = ou.post_write(conn, body)
                except (ConnectionError, http.client.HTTPException, OSError):
                    # Refused before the body was read and closed under us: nothing stored.
                    conn.close()
                    conn = None
                    self.stats.count("resets")
                    continue
                if status == 204:
                    self.stats.count("acked")
                    self.acked += 1
                    self.rounds = rnd + 1
                    if self.acked % NEW_ROUND_EVERY == 0:
                        rnd += 1
                        body = self.payloads.body(self.idx, rnd)
                elif status == 503:
                    self.stats.count("503")
                    retry_after = headers.get("retry-after")
                    if retry_after is None:
                        self.stats.count("503_without_retry_after")
                    if headers.get("connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    time.sleep(float(retry_after or 1) * self.jitter.uniform(0.5, 1.0))
                else:
                    raise AssertionError(f"sender {self.idx}: unexpected {status}: {text[:300]}")
        except Exception as e:  # reported by the main thread
            self.error = e
        finally:
            if conn is not None:
                conn.close()


class Stats:
    def __init__(self):
        self.mu = threading.Lock()
        self.counts = {}

    def count(self, what):
        with self.mu:
            self.counts[what] = self.counts.get(what, 0) + 1

    def get(self, what):
        with self.mu:
            return self.counts.get(what, 0)


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []  # (time, rss bytes)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.samples.append((time.time(), ou.rss_bytes(self.pid)))
            time.sleep(0.1)


def mib(n):
    return f"{n / (1 << 20):.1f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--max-inflight", type=int, default=MAX_INFLIGHT,
                    help="--ingest.max-inflight-requests (0 = unlimited, for comparison runs: "
                         "then no 503 is expected and only RSS and the data are checked)")
    args = ap.parse_args()
    with peers.workspace("abhra-overload-") as (work, procs):
        proc, port = ou.start_aggregator(
            procs, work, args.aggregator, "aggregator",
            [f"--ingest.max-inflight-requests={args.max_inflight}", "--http.handler-threads=2",
             "--log.level=warn"])
        base_ms = (int(time.time() * 1000) - 5 * 60 * 1000) // 128 * 128
        payloads = Payloads(base_ms)
        body_bytes = len(payloads.body(0, 0))
        peers.log(f"{SENDERS} senders, {payloads.samples} samples ({mib(body_bytes)} compressed, "
                  f"{mib(len(payloads.raw))} decoded) per request, in-flight limit {args.max_inflight}")

        sampler = RssSampler(proc.pid)
        sampler.start()
        stats = Stats()
        t0 = time.time()
        stop = threading.Event()
        senders = [Sender(i, port, payloads, stop, stats) for i in range(SENDERS)]
        for s in senders:
            s.start()
        # Warm-up: every sender has created its series (first request acknowledged).
        time.sleep(WARMUP_S)
        while time.time() < t0 + WARMUP_MAX_S and not all(s.acked for s in senders):
            time.sleep(0.1)
        warm_end = time.time()
        acked_at_warm_end = stats.get("acked")
        time.sleep(LOAD_S)
        stop.set()
        for s in senders:
            s.join(timeout=60)
        elapsed_load = time.time() - warm_end
        time.sleep(0.5)
        sampler.done.set()
        sampler.join()
        for s in senders:
            if s.error is not None:
                raise s.error
            assert not s.is_alive(), f"sender {s.idx} did not finish"

        acked = stats.get("acked")
        n503 = stats.get("503")
        accepted_samples = acked * payloads.samples
        stored_samples = sum(s.rounds for s in senders) * payloads.samples
        load_rate = (acked - acked_at_warm_end) * payloads.samples / elapsed_load
        warm = [r for t, r in sampler.samples if t <= warm_end]
        load = [r for t, r in sampler.samples if t > warm_end]
        rss_warm = warm[-1]
        peers.log(f"RSS: start {mib(warm[0])}, end of warm-up ({warm_end - t0:.1f} s) "
                  f"{mib(rss_warm)}, load min "
                  f"{mib(min(load))} max {mib(max(load))} final {mib(load[-1])} "
                  f"({len(sampler.samples)} samples every 0.1 s)")
        peers.log(f"requests: {acked} acknowledged ({accepted_samples} samples, {stored_samples} "
                  f"distinct), {n503} got 503, {stats.get('resets')} connections reset after a "
                  f"refusal; accepted {load_rate:,.0f} samples/s "
                  f"({load_rate * body_bytes / payloads.samples / (1 << 20):.0f} MiB/s) under overload")

        if args.max_inflight > 0:
            assert n503 > 0, "no request was refused: the senders did not exceed the limit"
        assert stats.get("503_without_retry_after") == 0, "a 503 came without Retry-After"
        counted = ou.metric(port, "abhra_ingest_inflight_rejected_total", 'limit="requests"')
        assert counted is not None and counted >= n503, (counted, n503)
        peak = max(load)
        assert peak <= rss_warm + RSS_MARGIN, (
            f"RSS rose from {mib(rss_warm)} after warm-up to {mib(peak)} under overload "
            f"(margin {mib(RSS_MARGIN)})")

        # Every acknowledged sample is there, per sender (re-sent rounds are stored once).
        t_query = (base_ms + 9 * 60 * 1000) / 1000
        data = peers.api_query(f"http://127.0.0.1:{port}",
                               'sum by (thread) (count_over_time(overload_sample{env="load"}[10m]))',
                               t_query)
        got = {r["metric"]["thread"]: int(float(r["value"][1])) for r in data["result"]}
        want = {f"t{s.idx:02d}": s.rounds * payloads.samples for s in senders if s.rounds > 0}
        assert got == want, f"stored samples per sender {got} != acknowledged {want}"
        peers.log(f"ok: all {stored_samples} distinct acknowledged samples are queryable")
        assert procs.stop(proc) == 0, "aggregator did not exit cleanly"
    return 0


if __name__ == "__main__":
    sys.exit(main())
