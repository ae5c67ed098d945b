"""Runs every extracted dashboard query on Prometheus' own engine (promtool) over the test data.

  run_exprs_promtool.py EXPRS_FILE DATASET_FILE RULES_DIR WORK_DIR [PROMTOOL]

RULES_DIR holds the rendered prod and aggregator rule files (alerts/render.sh), so recorded
series (env_service:..., env:...) and ALERTS exist as they will in production. For each
query Q (PromQL, or the selector of a label_values() variable) a promql_expr_test checks
`absent(Q)` at 3h expecting no sample, i.e. Q parses, evaluates without error (no
many-to-many matching, no type errors) and returns at least one sample. A recording rule
per query additionally makes `promtool check rules` parse each one with a clear name.
Exit 0 when all pass, 1 otherwise (promtool's report printed), 2 on bad input.
"""
import os
import re
import subprocess
import sys

import yaml


def parse_dataset(path):
    """promqltest `load <interval>` block -> (interval, [(series, values)])."""
    interval, series = None, []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^load\s+(\S+)$", line)
            if m:
                if interval is not None:
                    raise ValueError(f"{path}: only one load block is supported")
                interval = m.group(1)
                continue
            if interval is None or not line.startswith(" "):
                raise ValueError(f"{path}: unexpected line outside a load block: {line!r}")
            m = re.match(r"^\s+(\S+\{.*\}|\S+)\s+(.+)$", line)
            if not m:
                raise ValueError(f"{path}: cannot parse series line {line!r}")
            series.append((m.group(1), m.group(2).strip()))
    if interval is None:
        raise ValueError(f"{path}: no load block")
    return interval, series


def parse_exprs(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 4:
                raise ValueError(f"{path}: bad line {line!r}")
            uid, where, kind, query = parts[:4]
            out.append((uid, where, kind, query))
    return out


def main(argv):
    exprs_path, dataset_path, rules_dir, work = argv[1:5]
    promtool = argv[5] if len(argv) > 5 else "promtool"
    try:
        interval, series = parse_dataset(dataset_path)
        exprs = parse_exprs(exprs_path)
    except (OSError, ValueError) as e:
        print(f"FAIL: {e}")
        return 2
    os.makedirs(work, exist_ok=True)
    rule_files = sorted(f for f in os.listdir(rules_dir) if f.endswith(".yaml"))
    for f in rule_files:
        with open(os.path.join(rules_dir, f)) as src, open(os.path.join(work, f), "w") as dst:
            dst.write(src.read())

    # Every query as a recording rule: promtool check rules names the one that does not parse.
    rules = [{"record": f"abhra_dashboard_query_{i:03d}", "expr": q,
              "labels": {"dashboard": uid, "where": where}}
             for i, (uid, where, kind, q) in enumerate(exprs)]
    with open(os.path.join(work, "dashboard-queries.yaml"), "w") as f:
        yaml.safe_dump({"groups": [{"name": "abhra-dashboard-queries", "rules": rules}]}, f,
                       sort_keys=False, width=1 << 20)
    check = subprocess.run([promtool, "check", "rules", "dashboard-queries.yaml"], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check.returncode != 0:
        print("FAIL: promtool check rules on the dashboard queries:")
        print(check.stdout)
        return 1

    test = {
        "rule_files": rule_files,
        "evaluation_interval": "1m",
        "tests": [{
            "name": "every dashboard query returns data",
            "interval": interval,
            "input_series": [{"series": s, "values": v} for s, v in series],
            "promql_expr_test": [
                {"expr": f"absent({q})", "eval_time": "3h", "exp_samples": []}
                for uid, where, kind, q in exprs
            ],
        }],
    }
    with open(os.path.join(work, "dashboard_queries_test.yaml"), "w") as f:
        yaml.safe_dump(test, f, sort_keys=False, width=1 << 20)
    run = subprocess.run([promtool, "test", "rules", "dashboard_queries_test.yaml"], cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        print("FAIL: dashboard queries on promtool's engine (a result '{} 1' from absent(Q) "
              "means Q returned nothing on tests/dataset.promql):")
        print(run.stdout)
        return 1
    print(f"ok: all {len(exprs)} dashboard queries parse and return data on promtool's engine "
          f"(rules: {', '.join(rule_files)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
