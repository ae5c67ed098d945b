"""Structural checks of the dashboard templates and extraction of every query.

  check_dashboards.py DASHBOARDS_DIR OUT_DIR [--exprs FILE]

Renders every template with every sample of dashboards.yaml (scope permitting) into
OUT_DIR/<sample>/<uid>.json, checks each rendered model (rules below), and writes every
panel/annotation expr and variable query, with Grafana variables replaced by test values,
to FILE (default OUT_DIR/exprs.txt) for the engine test. Exit 0 when all checks pass,
1 otherwise; every problem is printed as "FAIL: <dashboard> <where>: <what>".

Rules: JSON; no top-level "id"; uid matches the manifest, [A-Za-z0-9_-], at most 40
characters, unique across dashboards; schemaVersion 39; every datasource reference is
{"type": "prometheus", "uid": <datasource_uid>}; no "${" left and no "${DS_" inputs; panel
ids unique; gridPos has integer x, y, w, h with x >= 0, w >= 1, x + w <= 24, h >= 1, y >= 0
and panels do not overlap; every query panel has targets, each with a unique refId and a
non-empty expr; every $variable used in a query is defined (or a Grafana built-in);
variables are label_values() queries whose definition equals their query.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render as R  # noqa: E402

GRID_COLUMNS = 24
SCHEMA_VERSION = 39
QUERYLESS_PANELS = {"row", "text"}
KNOWN_PANELS = {"row", "text", "stat", "timeseries", "table", "state-timeline", "bargauge"}
# Grafana built-ins and the values the engine test uses for them.
BUILTINS = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h", "__range_s": "3600"}
# Values for single-value variables that have no "current" (all others: "current", or the
# allValue ".*" for multi/includeAll variables).
TEST_VALUES = {"service": "checkout", "version_b": "1.4.1"}
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$", re.S)
VAR_REF = re.compile(r"\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z0-9_]+)\]\])")

problems = []


def fail(dash, where, what):
    problems.append(f"FAIL: {dash} {where}: {what}")


def walk(node, path=""):
    """Yields (path, key, value) for every dict entry in the tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k, v
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def all_panels(model):
    for p in model.get("panels", []):
        yield p
        if p.get("type") == "row":
            yield from p.get("panels", [])


def one_line(expr):
    return re.sub(r"\s*\n\s*", " ", expr.strip())


def check_model(model, entry, expected_uid, ds_uid):
    uid = model.get("uid", "<no uid>")
    name = os.path.basename(entry["file"])
    d = f"{name} ({uid})"
    text = json.dumps(model)
    if "id" in model:
        fail(d, "top level", '"id" must be omitted (Grafana assigns it)')
    if uid != expected_uid:
        fail(d, "uid", f"is {uid!r}, manifest says {expected_uid!r}")
    if not isinstance(uid, str) or not re.match(r"^[A-Za-z0-9_-]{1,40}$", uid):
        fail(d, "uid", f"{uid!r} must be 1..40 characters of [A-Za-z0-9_-]")
    if model.get("schemaVersion") != SCHEMA_VERSION:
        fail(d, "schemaVersion", f"is {model.get('schemaVersion')!r}, want {SCHEMA_VERSION}")
    if not model.get("title"):
        fail(d, "title", "missing")
    if "${" in text:
        fail(d, "text", "placeholder left after rendering (or a ${DS_...} input)")
    for path, k, v in walk(model):
        if k == "datasource":
            if v != {"type": "prometheus", "uid": ds_uid}:
                fail(d, path, f'datasource must be {{"type": "prometheus", "uid": "{ds_uid}"}}, got {v!r}')

    variables = {v.get("name"): v for v in model.get("templating", {}).get("list", [])}
    for vname, v in variables.items():
        where = f"variable {vname}"
        if v.get("type") != "query":
            fail(d, where, f"type {v.get('type')!r}, want query")
            continue
        q = v.get("query")
        qtext = q.get("query") if isinstance(q, dict) else q
        if not qtext or not LABEL_VALUES.match(qtext):
            fail(d, where, f"query {qtext!r} is not label_values(selector, label)")
        if v.get("definition") != qtext:
            fail(d, where, "definition differs from query")
        if v.get("includeAll") and v.get("allValue") != ".*":
            fail(d, where, 'includeAll variables need allValue ".*" (regex matchers use them)')

    ids, rects = set(), []
    for p in all_panels(model):
        pid = p.get("id")
        where = f"panel {pid} {p.get('title', '')!r}"
        if not isinstance(pid, int):
            fail(d, where, "id must be an integer")
        elif pid in ids:
            fail(d, where, "duplicate panel id")
        ids.add(pid)
        ptype = p.get("type")
        if ptype not in KNOWN_PANELS:
            fail(d, where, f"panel type {ptype!r} not in {sorted(KNOWN_PANELS)}")
        g = p.get("gridPos")
        if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in "xywh"):
            fail(d, where, f"gridPos needs integer x, y, w, h: {g!r}")
        else:
            if g["x"] < 0 or g["w"] < 1 or g["x"] + g["w"] > GRID_COLUMNS:
                fail(d, where, f"gridPos x={g['x']} w={g['w']} outside {GRID_COLUMNS} columns")
            if g["h"] < 1 or g["y"] < 0:
                fail(d, where, f"gridPos y={g['y']} h={g['h']} invalid")
            for other, og in rects:
                if (g["x"] < og["x"] + og["w"] and og["x"] < g["x"] + g["w"]
                        and g["y"] < og["y"] + og["h"] and og["y"] < g["y"] + g["h"]):
                    fail(d, where, f"overlaps panel {other}")
            rects.append((pid, g))
        if p.get("repeat") and p["repeat"] not in variables:
            fail(d, where, f"repeats over undefined variable {p['repeat']!r}")
        if ptype in QUERYLESS_PANELS:
            continue
        targets = p.get("targets") or []
        if not targets:
            fail(d, where, "no targets")
        refs = set()
        for t in targets:
            ref = t.get("refId")
            if not ref:
                fail(d, where, f"target without refId: {t!r}")
            elif ref in refs:
                fail(d, where, f"duplicate refId {ref}")
            refs.add(ref)
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                fail(d, where, f"target {ref} has no expr")
    for a in model.get("annotations", {}).get("list", []):
        t = a.get("target") or {}
        if not t.get("expr") or not t.get("refId"):
            fail(d, f"annotation {a.get('name')!r}", "target needs refId and expr")
    return variables


def substitute_vars(expr, variables, d, where):
    def sub(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in BUILTINS:
            return BUILTINS[name]
        v = variables.get(name)
        if v is None:
            fail(d, where, f"uses undefined variable ${name}")
            return m.group(0)
        if v.get("includeAll") or v.get("multi"):
            return v.get("allValue", ".*")
        cur = (v.get("current") or {}).get("value")
        if cur:
            return cur if isinstance(cur, str) else cur[0]
        if name not in TEST_VALUES:
            fail(d, where, f"no test value for variable ${name} (add it to TEST_VALUES)")
            return m.group(0)
        return TEST_VALUES[name]
    return VAR_REF.sub(sub, expr)


def extract(model, variables, entry):
    uid = model["uid"]
    d = f"{os.path.basename(entry['file'])} ({uid})"
    lines = []
    for vname, v in variables.items():
        q = v.get("query")
        qtext = q.get("query") if isinstance(q, dict) else q
        m = LABEL_VALUES.match(qtext or "")
        if m:
            sel = substitute_vars(m.group(1).strip(), variables, d, f"variable {vname}")
            lines.append(f"{uid}\tvar={vname}\tlabel_values\t{one_line(sel)}\t{m.group(2)}")
    for p in all_panels(model):
        for t in p.get("targets") or []:
            if not t.get("expr"):
                continue
            where = f"panel={p.get('id')} ref={t.get('refId')}"
            kind = "instant" if t.get("instant") and not t.get("range") else "range"
            expr = substitute_vars(t["expr"], variables, d, where)
            lines.append(f"{uid}\t{where}\t{kind}\t{one_line(expr)}")
    for i, a in enumerate(model.get("annotations", {}).get("list", [])):
        t = a.get("target") or {}
        if t.get("expr"):
            expr = substitute_vars(t["expr"], variables, d, f"annotation={i}")
            lines.append(f"{uid}\tannotation={i}\trange\t{one_line(expr)}")
    return lines


def main(argv):
    base, out_dir = argv[1], argv[2]
    exprs_path = argv[argv.index("--exprs") + 1] if "--exprs" in argv else os.path.join(out_dir, "exprs.txt")
    manifest = R.load_manifest(base)
    ds_uid = manifest.get("datasource_uid", "abhra")
    samples = manifest.get("samples") or []
    if not samples:
        fail("dashboards.yaml", "samples", "need at least one sample")
    exprs = ["# Every query of every dashboard, rendered with the first sample of dashboards.yaml",
             "# and Grafana variables replaced by test values (dashboards/tests/check_dashboards.py).",
             "# Generated by dashboards/check.sh --update; the engine test runs each line.",
             "# Format, tab-separated: dashboard-uid  where  kind  query",
             "#   kind instant|range: query is a PromQL expression (range: also run as a range query)",
             "#   kind label_values:  query is 'selector<TAB>label' (GET /api/v1/label/<label>/values?match[]=selector)"]
    rendered_count = 0
    for si, sample in enumerate(samples):
        uids = {}
        sample_dir = os.path.join(out_dir, f"sample{si}")
        os.makedirs(sample_dir, exist_ok=True)
        for entry in manifest["templates"]:
            given = {k: str(v) for k, v in sample.items()}
            if entry.get("scope") == "global" and si > 0:
                continue  # global templates have no placeholders: one rendering is enough
            try:
                text, entry, vals = R.render(base, os.path.join(base, entry["file"]), given)
            except R.RenderError as e:
                fail(entry["file"], f"sample {si}", str(e))
                continue
            model = json.loads(text)
            expected = entry.get("uid") or entry["uid_prefix"] + vals["uid_suffix"]
            variables = check_model(model, entry, expected, ds_uid)
            uid = model.get("uid")
            if uid in uids:
                fail(entry["file"], "uid", f"{uid} also used by {uids[uid]}")
            uids[uid] = entry["file"]
            with open(os.path.join(sample_dir, f"{uid}.json"), "w") as f:
                f.write(text)
            rendered_count += 1
            if si == 0:
                exprs.extend(extract(model, variables, entry))
    with open(exprs_path, "w") as f:
        f.write("\n".join(exprs) + "\n")
    for p in problems:
        print(p)
    n_queries = sum(1 for line in exprs if not line.startswith("#"))
    if problems:
        print(f"check_dashboards: {len(problems)} problem(s)")
        return 1
    print(f"ok: {rendered_count} rendered dashboards pass the structural checks; "
          f"{n_queries} queries extracted to {exprs_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
