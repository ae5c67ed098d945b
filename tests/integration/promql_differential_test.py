#!/usr/bin/python3
"""Differential PromQL test: the same remote-write data goes into a real Prometheus 2.42 and
into the aggregator; every query below runs on both (instant at several times and as range
queries) and the answers must agree: labels exactly, values within 1e-9 relative. Also checks
that `promtool query instant|range|series|labels` works against the aggregator."""
import argparse
import json
import math
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
import rwgen  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

# The dashboard set of ../shared/bench/queries.txt, then our own coverage of the language.
QUERIES = [
    'sum by (env) (rate(http_requests_total[5m]))',
    'histogram_quantile(0.99, sum by (le, env) (rate(http_request_duration_seconds_bucket[5m])))',
    'avg by (cluster) (avg_over_time(process_resident_memory_bytes[10m]))',
    'count by (version) (app_build_info)',
    'up == 0',
    'topk(3, sum by (instance) (rate(http_requests_total[5m])))',
    '1 - avg by (env, cluster) (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))',
    'max by (env) (max_over_time(probe_duration_seconds[15m]))',
    'avg_over_time(probe_success{env="prod"}[10m]) < 1',
    'sum by (env) (up)',
    'rate(http_requests_total[2m])',
    'irate(http_requests_total[2m])',
    'increase(http_requests_total[10m])',
    'delta(process_resident_memory_bytes[5m])',
    'deriv(process_resident_memory_bytes[5m])',
    'idelta(process_resident_memory_bytes[5m])',
    'resets(http_requests_total[30m])',
    'changes(up[30m])',
    'predict_linear(process_resident_memory_bytes[10m], 3600)',
    'min_over_time(probe_duration_seconds[5m])',
    'sum_over_time(probe_success[10m])',
    'count_over_time(up[10m])',
    'stddev_over_time(probe_duration_seconds[10m])',
    'quantile_over_time(0.9, probe_duration_seconds[10m])',
    'last_over_time(temperature_celsius[10m])',
    'present_over_time(temperature_celsius[5m])',
    'temperature_celsius',
    'absent(nonexistent_metric{job="x"})',
    'absent_over_time(temperature_celsius[1m])',
    'bottomk(2, probe_duration_seconds)',
    'quantile(0.5, probe_duration_seconds) by (env)',
    'count_values("v", app_build_info)',
    'stddev by (env) (probe_duration_seconds)',
    'stdvar(probe_duration_seconds)',
    'group by (env) (up)',
    'sort_desc(sum by (instance) (rate(http_requests_total[5m])))',
    'label_replace(up, "host", "$1", "instance", "(.*):.*")',
    'label_join(up, "both", "/", "env", "job")',
    'up offset 5m',
    'rate(http_requests_total[5m] offset 3m)',
    'max_over_time(rate(http_requests_total[2m])[10m:1m])',
    'avg_over_time(up[20m:30s])',
    'probe_success * on (env, instance) group_left (version) app_build_info',
    'up > bool 0',
    'up and on (env) (probe_success == 0)',
    'up unless probe_success',
    'up or vector(0)',
    'scalar(sum(up)) * 2',
    'clamp(probe_duration_seconds, 0.1, 0.3)',
    'round(probe_duration_seconds, 0.01)',
    'abs(-probe_duration_seconds) + sqrt(probe_duration_seconds) - ln(probe_duration_seconds)',
    'timestamp(up)',
    'hour(timestamp(up))',
    'sgn(deriv(process_resident_memory_bytes[5m]))',
    'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))',
    'sum without (instance, cluster) (rate(http_request_duration_seconds_count[5m]))',
    'http_request_duration_seconds_sum / http_request_duration_seconds_count',
    '-up',
    '2 ^ 3 ^ 2',
    'time()',
]


def fetch(base, path, params):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def post(url, body):
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


def close(a, b):
    fa, fb = float(a), float(b)
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if fa == fb:
        return True
    return abs(fa - fb) <= 1e-9 * max(abs(fa), abs(fb))


def normalize(data):
    """A comparable form: resultType plus {labels: [(t, v)]} (or the scalar/string)."""
    rt, res = data["resultType"], data["result"]
    if rt in ("scalar", "string"):
        return rt, {(): [tuple(res)]}
    out = {}
    for s in res:
        key = tuple(sorted(s["metric"].items()))
        pts = s.get("values") or [s["value"]]
        out[key] = [tuple(p) for p in pts]
    return rt, out


def compare(q, kind, a, b):
    if a["status"] != b["status"]:
        return f"status prometheus={a['status']} aggregator={b['status']} ({b.get('error') or a.get('error')})"
    if a["status"] != "success":
        return None
    rta, sa = normalize(a["data"])
    rtb, sb = normalize(b["data"])
    if rta != rtb:
        return f"resultType {rta} vs {rtb}"
    if sa.keys() != sb.keys():
        return f"series differ: only prometheus {sorted(set(sa) - set(sb))[:2]}, only aggregator {sorted(set(sb) - set(sa))[:2]}"
    for k in sa:
        pa, pb = sa[k], sb[k]
        if len(pa) != len(pb):
            return f"{dict(k)}: {len(pa)} vs {len(pb)} points"
        for x, y in zip(pa, pb):
            if x[0] != y[0] or not close(x[1], y[1]):
                return f"{dict(k)}: point {x} vs {y}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--aggregator", required=True)
    args = ap.parse_args()
    peers.require(PROMETHEUS)

    with peers.workspace("abhra-diff-") as (d, procs):
        agg_port, prom_port = peers.free_port(), peers.free_port()
        agg, prom = f"http://127.0.0.1:{agg_port}", f"http://127.0.0.1:{prom_port}"
        procs.start("aggregator", [args.aggregator, "--data-dir", f"{d}/agg",
                                   "--listen", f"127.0.0.1:{agg_port}"])
        with open(f"{d}/prometheus.yml", "w") as f:
            f.write("global: {scrape_interval: 1h}\n")
        procs.start("prometheus", [PROMETHEUS, f"--config.file={d}/prometheus.yml",
                                   f"--storage.tsdb.path={d}/prom", "--web.enable-remote-write-receiver",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"])
        peers.wait_http_200(f"{agg}/-/ready")
        peers.wait_http_200(f"{prom}/-/ready")

        # Evaluation times must not fall on a multiple of a subquery step (30s, 1m): there
        # Prometheus 2.42 includes the subquery point at the window's left edge and Prometheus
        # 3 (which we follow) does not. With end_s = 7 (mod 30) every time checked below is
        # 7, 17 or 27 (mod 30), or not whole seconds.
        now_s = int(time.time()) - 60
        end_ms = (now_s - now_s % 30 + 7) * 1000
        data = rwgen.workload(end_ms)
        for body in rwgen.requests(data):
            for base in (prom, agg):
                status = post(f"{base}/api/v1/write", body)
                assert status in (200, 204), (base, status)
        nseries = len(data)
        nsamples = sum(len(v) for v in data.values())
        print(f"loaded {nseries} series, {nsamples} samples into both")

        # Series start at end_s - 1800 (+ phase). Rate windows that contain a series start
        # are left out on purpose: Prometheus changed counter extrapolation there after 2.42
        # (the avg/2 clamp now comes before the zero-point check); we follow current
        # Prometheus and its conformance suite (tests/promql). Every window below starts
        # after the data does (longest: a 10m subquery of a 2m rate = 12m).
        end_s = end_ms / 1000
        first = end_s - 1000
        times = [first, end_s - 900, end_s - 301.5, end_s, end_s + 200]
        passed = failed = 0
        for q in QUERIES:
            checks = [("instant", "/api/v1/query", {"query": q, "time": t}) for t in times]
            checks.append(("range", "/api/v1/query_range",
                           {"query": q, "start": first, "end": end_s + 300, "step": 60}))
            checks.append(("range30s", "/api/v1/query_range",
                           {"query": q, "start": first, "end": end_s, "step": 30}))
            for kind, path, params in checks:
                a = fetch(prom, path, params)
                b = fetch(agg, path, params)
                err = compare(q, kind, a, b)
                if err:
                    failed += 1
                    print(f"FAIL {kind} {q!r} at {params.get('time', params.get('start'))}: {err}")
                else:
                    passed += 1

        # promtool as an API client of the aggregator.
        if os.path.exists(PROMTOOL):
            cmds = [
                [PROMTOOL, "query", "instant", f"--time={int(end_s)}", agg, "count by (env) (up)"],
                [PROMTOOL, "query", "range", f"--start={int(end_s - 600)}", f"--end={int(end_s)}",
                 "--step=60s", agg, "sum by (env) (up)"],
                [PROMTOOL, "query", "series", "--match=up{env=\"prod\"}", f"--start={int(end_s - 600)}",
                 f"--end={int(end_s)}", agg],
                [PROMTOOL, "query", "labels", agg, "env"],
                [PROMTOOL, "query", "-o", "json", "instant", f"--time={int(end_s)}", agg, "count(up)"],
            ]
            for cmd in cmds:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
                ok = r.returncode == 0 and r.stdout.strip() != ""
                if cmd[2] == "labels":
                    ok = ok and r.stdout.split() == ["dev", "prod", "staging"]
                if ok:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL promtool {' '.join(cmd[1:])}: rc={r.returncode} out={r.stdout[:300]!r} err={r.stderr[:300]!r}")
        print(f"{passed} passed, {failed} failed")
        if failed:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
