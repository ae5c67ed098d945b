#!/usr/bin/python3
"""A real Prometheus 2.42 scrapes itself every second and remote-writes into the aggregator.
After a while every raw sample Prometheus holds up to a cutoff must be in the aggregator too,
with exactly the same labels, timestamps and values (read back through both query APIs)."""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"


def raw_samples(base, selector, t):
    data = peers.api_query(base, f"{selector}[1h]", t)
    out = {}
    for s in data["result"]:
        key = tuple(sorted(s["metric"].items()))
        out[key] = [(v[0], v[1]) for v in s["values"]]
    return out


def same_value(a, b):
    if a == b:
        return True
    fa, fb = float(a), float(b)
    return (math.isnan(fa) and math.isnan(fb)) or fa == fb


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--aggregator", required=True, help="path to abhra-aggregator")
    ap.add_argument("--seconds", type=int, default=12, help="how long Prometheus scrapes")
    args = ap.parse_args()
    peers.require(PROMETHEUS)

    with peers.workspace("abhra-prw-") as (d, procs):
        agg_port, prom_port = peers.free_port(), peers.free_port()
        agg = f"http://127.0.0.1:{agg_port}"
        prom = f"http://127.0.0.1:{prom_port}"
        procs.start("aggregator", [args.aggregator, "--data-dir", f"{d}/agg",
                                   "--listen", f"127.0.0.1:{agg_port}"])
        peers.wait_http_200(f"{agg}/-/ready")
        with open(f"{d}/prometheus.yml", "w") as f:
            f.write(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{prom_port}"]
        labels: {{env: "test"}}
remote_write:
  - url: {agg}/api/v1/write
    queue_config: {{batch_send_deadline: 500ms, max_samples_per_send: 500, min_backoff: 50ms}}
    metadata_config: {{send: true, send_interval: 2s}}
""")
        procs.start("prometheus", [PROMETHEUS, f"--config.file={d}/prometheus.yml",
                                   f"--storage.tsdb.path={d}/prom",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"])
        peers.wait_http_200(f"{prom}/-/ready")
        time.sleep(args.seconds)
        cutoff = time.time() - 3
        selector = '{job="prometheus"}'
        want = raw_samples(prom, selector, cutoff)
        deadline = time.time() + 30
        while True:
            got = raw_samples(agg, selector, cutoff)
            if got.keys() == want.keys() and all(len(got[k]) == len(want[k]) for k in want):
                break
            if time.time() > deadline:
                break
            time.sleep(1)

        series = len(want)
        samples = sum(len(v) for v in want.values())
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        diffs = []
        for k in want:
            if k not in got:
                continue
            w, g = want[k], got[k]
            if len(w) != len(g) or any(a[0] != b[0] or not same_value(a[1], b[1]) for a, b in zip(w, g)):
                diffs.append((k, w[:3], g[:3], len(w), len(g)))
        print(f"prometheus: {series} series, {samples} samples up to cutoff {cutoff:.3f}")
        print(f"aggregator: {len(got)} series, {sum(len(v) for v in got.values())} samples")
        failed = 0
        if series < 50 or samples < 500:
            print("FAIL: Prometheus held too little data to compare")
            failed += 1
        if missing:
            print(f"FAIL: {len(missing)} series missing, e.g. {missing[:3]}")
            failed += 1
        if extra:
            print(f"FAIL: {len(extra)} unexpected series, e.g. {extra[:3]}")
            failed += 1
        if diffs:
            print(f"FAIL: {len(diffs)} series differ, e.g. {diffs[:2]}")
            failed += 1
        agg_log = procs.log("aggregator")
        if "level=error" in agg_log:
            print("FAIL: the aggregator logged errors:\n" + agg_log[-2000:])
            failed += 1
        print(f"{4 - failed if failed < 4 else 0} passed, {failed} failed")
        if failed:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
