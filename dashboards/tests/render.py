"""Reference renderer for the dashboard templates (the aggregator implements the same).

Usage (through dashboards/render.sh):
  render.py DASHBOARDS_DIR TEMPLATE [name=value ...]
  render.py DASHBOARDS_DIR --uid-suffix ENV [VERSION]
"""
import hashlib
import json
import os
import re
import sys

import yaml

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
MAX_UID = 40  # Grafana's limit


class RenderError(Exception):
    pass


def load_manifest(base):
    path = os.path.join(base, "dashboards.yaml")
    try:
        with open(path) as f:
            m = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise RenderError(f"cannot read {path}: {e}")
    if not isinstance(m, dict) or not isinstance(m.get("templates"), list):
        raise RenderError(f"{path}: expected a mapping with a `templates` list")
    return m


def uid_suffix(prefix, parts):
    """Stable, readable, unique: slug of the parts, cut to fit, plus 8 hex of their SHA-256.

    slug = lower-case parts joined by '-', every run of characters outside [a-z0-9] -> '-',
    trimmed of '-', cut to 40 - len(prefix) - 9 characters (then trimmed of '-' again);
    hash = first 8 hex digits of SHA-256 over the parts joined by '\\n' (UTF-8).
    suffix = slug + '-' + hash (or just hash if the slug is empty).
    """
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    room = MAX_UID - len(prefix) - 9
    slug = slug[:max(room, 0)].rstrip("-")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


def template_entry(manifest, template_path):
    name = os.path.basename(template_path)
    for t in manifest["templates"]:
        if os.path.basename(t["file"]) == name:
            return t
    raise RenderError(f"{name} is not listed in dashboards.yaml")


def values_for(entry, given):
    scope = entry.get("scope")
    vals = dict(given)
    need = {"global": [], "environment": ["env"], "environment_version": ["env", "version"]}.get(scope)
    if need is None:
        raise RenderError(f"{entry['file']}: unknown scope {scope!r}")
    for n in need:
        if not vals.get(n):
            raise RenderError(f"{entry['file']} (scope {scope}) needs {n}=...")
    if scope != "global" and "uid_suffix" not in vals:
        vals["uid_suffix"] = uid_suffix(entry["uid_prefix"], [vals[n] for n in need])
    return vals


def render_text(text, vals, where):
    def sub(m):
        name = m.group(1)
        if not NAME.match(name):
            raise RenderError(f"{where}: malformed placeholder ${{{name}}}")
        if name not in vals:
            line = text.count("\n", 0, m.start()) + 1
            raise RenderError(f"{where}:{line}: no value for placeholder ${{{name}}}")
        return json.dumps(str(vals[name]))[1:-1]
    return PLACEHOLDER.sub(sub, text)


def render(base, template, given):
    """Returns (rendered JSON text, manifest entry, values used)."""
    manifest = load_manifest(base)
    path = template if os.path.exists(template) else os.path.join(base, "templates", template)
    entry = template_entry(manifest, path)
    vals = values_for(entry, given)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise RenderError(f"cannot read {path}: {e}")
    out = render_text(text, vals, path)
    try:
        json.loads(out)
    except json.JSONDecodeError as e:
        raise RenderError(f"{path} rendered with {vals} is not JSON: {e}")
    return out, entry, vals


def main(argv):
    base = argv[1]
    if len(argv) >= 4 and argv[2] == "--uid-suffix":
        parts = argv[3:5]
        prefix = "abhra-ver-" if len(parts) == 2 else "abhra-env-"
        print(uid_suffix(prefix, parts))
        return 0
    given = {}
    for kv in argv[3:]:
        if "=" not in kv:
            raise RenderError(f"expected name=value, got {kv!r}")
        k, v = kv.split("=", 1)
        given[k] = v
    out, _, _ = render(base, argv[2], given)
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RenderError as e:
        print(f"render.sh: {e}", file=sys.stderr)
        sys.exit(1)
