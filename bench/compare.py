#!/usr/bin/python3
"""One table from the shared harness' result files: Abhra next to each peer, per workload,
with ratios (Abhra / peer). Usage: compare.py RESULT.json ..."""
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(d):
    runs = d["runs"]
    n = d["payloads"]["total_samples"]
    out = {
        "samples/s": median([r.get("ingest", {}).get("samples_per_s") for r in runs]),
        "CPU s per M samples": median([r.get("ingest", {}).get("cpu_s_per_million_samples") for r in runs]),
        "peak RSS MiB (ingest)": median([(r.get("ingest", {}).get("hwm_bytes") or 0) / 2**20 for r in runs]),
        "peak RSS MiB (after queries)": median([(r.get("final", {}).get("hwm_bytes") or 0) / 2**20 for r in runs]),
        "verified": all(r.get("verify", {}).get("ok") for r in runs),
    }
    disk = []
    for r in runs:
        after = r.get("disk_after_compaction") or r.get("disk_after_ingest") or {}
        total = after.get("total")
        if isinstance(total, dict):
            total = total.get("bytes")
        if total:
            disk.append(total / n)
    out["disk B/sample"] = median(disk)
    queries = {}
    for r in runs:
        for q in r.get("queries", {}).get("results", []):
            queries.setdefault(q["name"], []).append(q.get("median_ms") if q.get("status") == 200 else None)
    for name, ms in queries.items():
        out[f"query {name} ms"] = median(ms)
    return out


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def main(paths):
    by_size = {}
    for p in paths:
        try:
            d = load(p)
        except FileNotFoundError:
            continue
        peer, _, size = d["label"].rpartition("-")
        by_size.setdefault(size, {})[peer] = summarize(d)
    for size, peers in by_size.items():
        names = [p for p in ["abhra", "prometheus", "victoriametrics"] if p in peers]
        others = [p for p in names if p != "abhra"]
        print(f"\n## {size} workload\n")
        header = "| metric | " + " | ".join(names) + "".join(f" | abhra / {o}" for o in others if "abhra" in peers) + " |"
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        keys = []
        for p in names:
            keys += [k for k in peers[p] if k not in keys]
        for k in keys:
            row = [fmt(peers[p].get(k)) for p in names]
            ratios = []
            if "abhra" in peers:
                a = peers["abhra"].get(k)
                for o in others:
                    b = peers[o].get(k)
                    ok = isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and b
                    ratios.append(f"{a / b:.2f}x" if ok else "-")
            print(f"| {k} | " + " | ".join(row) + "".join(f" | {r}" for r in ratios) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
