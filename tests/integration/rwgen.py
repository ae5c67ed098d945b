"""A small, deterministic remote-write 1.0 workload for differential tests: counters (with
resets), gauges, a classic histogram, probe results with an outage and stale markers.
Encodes WriteRequest protobuf by hand (no generated classes needed) + snappy block format."""
import math
import random
import struct

import snappy

STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    return _varint((num << 3) | wire) + payload


def _ld(num, data):
    return _field(num, 2, _varint(len(data)) + data)


def encode(series):
    """series: list of (labels dict, [(t_ms, value), ...]) -> snappy(WriteRequest)."""
    req = bytearray()
    for labels, samples in series:
        ts = bytearray()
        for name in sorted(labels):
            lab = _ld(1, name.encode()) + _ld(2, labels[name].encode())
            ts += _ld(1, lab)
        for t, v in samples:
            s = _field(1, 1, struct.pack("<d", v)) + _field(2, 0, _varint(t))
            ts += _ld(2, s)
        req += _ld(1, bytes(ts))
    return snappy.compress(bytes(req))


def workload(end_ms, steps=120, interval_ms=15000, seed=7):
    """Returns {labels-tuple: [(t, v)]} for a deterministic data set ending at end_ms."""
    rnd = random.Random(seed)
    start = end_ms - steps * interval_ms
    data = {}

    def add(labels, t, v):
        data.setdefault(tuple(sorted(labels.items())), []).append((t, v))

    envs = ["dev", "staging", "prod"]
    buckets = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    for e, env in enumerate(envs):
        for inst in range(4):
            base = {"env": env, "job": f"svc{inst % 2}", "instance": f"10.0.{e}.{inst}:80",
                    "cluster": f"c{inst % 2}"}
            phase = rnd.randrange(0, 15000)
            counter = {c: 0.0 for c in ("200", "500")}
            bucket_counts = [0.0] * len(buckets)
            total_sum = 0.0
            mem = 1e8 * (1 + inst)
            for k in range(steps):
                t = start + k * interval_ms + phase
                if inst == 3 and k == steps // 2:
                    counter = {c: 0.0 for c in counter}  # counter reset (restart)
                for code in counter:
                    counter[code] += rnd.randrange(0, 50 if code == "200" else 3)
                    add({**base, "__name__": "http_requests_total", "code": code}, t, counter[code])
                for _ in range(rnd.randrange(0, 20)):
                    d = rnd.expovariate(4)
                    total_sum += d
                    for i, b in enumerate(buckets):
                        if b == "+Inf" or d <= float(b):
                            bucket_counts[i] += 1
                for i, b in enumerate(buckets):
                    add({**base, "__name__": "http_request_duration_seconds_bucket", "le": b}, t,
                        bucket_counts[i])
                add({**base, "__name__": "http_request_duration_seconds_sum"}, t, total_sum)
                add({**base, "__name__": "http_request_duration_seconds_count"}, t, bucket_counts[-1])
                mem += rnd.uniform(-1e6, 1e6)
                add({**base, "__name__": "process_resident_memory_bytes"}, t, round(mem))
                add({**base, "__name__": "node_memory_MemAvailable_bytes"}, t, 4e9 + rnd.uniform(-1e8, 1e8))
                add({**base, "__name__": "node_memory_MemTotal_bytes"}, t, 8e9)
                up = 0.0 if (env == "prod" and inst == 1 and 40 <= k < 55) else 1.0
                add({**base, "__name__": "up"}, t, up)
                add({**base, "__name__": "probe_success", "service": f"svc{inst % 2}"}, t, up)
                add({**base, "__name__": "probe_duration_seconds", "service": f"svc{inst % 2}"}, t,
                    rnd.uniform(0.01, 0.5))
                add({**base, "__name__": "app_build_info", "version": f"1.{inst % 3}.0"}, t, 1.0)
                # A series that goes stale two thirds of the way through.
                if inst == 0 and k <= 2 * steps // 3:
                    v = STALE_NAN if k == 2 * steps // 3 else math.sin(k / 5.0)
                    add({**base, "__name__": "temperature_celsius"}, t, v)
    return data


def requests(data, series_per_request=200):
    """Splits the workload into requests, each series whole (time-ordered)."""
    items = sorted(data.items())
    out = []
    for i in range(0, len(items), series_per_request):
        chunk = items[i:i + series_per_request]
        out.append(encode([(dict(k), v) for k, v in chunk]))
    return out
