"""Checks the status page DOM (chromium --dump-dom) for what a person would see.

Usage: check_dom.py DOM.html   (exit 1 with every failed check listed)
"""
import re
import sys
from html.parser import HTMLParser

EVIL = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"


class Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.tags = {}
        self.title = ""
        self.text = []          # visible text chunks
        self.rows = []          # [(env, [cell texts])] of tr.service
        self.env = None
        self.in_env_name = False
        self.row = None
        self.cell = None
        self.skip = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        cls = a.get("class", "") or ""
        if tag in ("style", "script"):
            self.skip += 1
        if tag == "title":
            self.in_title = True
        if tag == "span" and "env-name" in cls:
            self.in_env_name = True
            self.env = ""
        if tag == "tr" and "service" in cls:
            self.row = []
        if tag == "td" and self.row is not None:
            self.cell = ""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        if tag == "title":
            self.in_title = False
        if tag == "span" and self.in_env_name:
            self.in_env_name = False
        if tag == "td" and self.row is not None and self.cell is not None:
            self.row.append(" ".join(self.cell.split()).replace(" ,", ","))
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows.append((self.env, self.row))
            self.row = None

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.skip:
            return
        self.text.append(data)
        if self.in_env_name:
            self.env += data
        if self.cell is not None:
            self.cell += data + " "


def main(path):
    html = open(path, encoding="utf-8").read()
    dom = Dom()
    dom.feed(html)
    text = " ".join(" ".join(dom.text).split())
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    check(dom.title.strip() == "Abhra status", f"title is {dom.title!r} (an injected script ran?)")
    check(dom.tags.get("img", 0) == 0, "an <img> element exists: injected markup was parsed")
    check(dom.tags.get("script", 0) == 1, f"{dom.tags.get('script', 0)} <script> elements, expected only ours")
    check(EVIL in text, "the injected label value is not shown as text")
    check("PWNED" not in dom.title, "injected script changed the title")

    rows = {(env, cells[0]): cells for env, cells in dom.rows}
    want_state = {("prod", "api"): "up", ("prod", "checkout"): "down", ("prod", "search"): "degraded",
                  ("prod", "cart"): "no data", ("staging", "api"): "up", ("staging", EVIL): "up"}
    for key, state in want_state.items():
        cells = rows.get(key)
        check(cells is not None, f"no row for {key}")
        if cells:
            check(cells[1].lower().startswith(state), f"{key}: state {cells[1]!r}, expected {state!r}")
    for key, version in {("prod", "api"): "1.4.2", ("prod", "checkout"): "2.0.1",
                         ("prod", "search"): "3.1.0", ("staging", "api"): "1.4.2, 1.5.0-rc.1",
                         ("staging", EVIL): "<b>bold</b>"}.items():
        cells = rows.get(key)
        if cells:
            check(cells[2] == version, f"{key}: version {cells[2]!r}, expected {version!r}")

    def pct(s):
        m = re.match(r"^([0-9.]+)%$", s)
        return float(m.group(1)) if m else None

    api = rows.get(("prod", "api"))
    if api:
        check(api[3:6] == ["100%", "100%", "100%"], f"prod/api uptime {api[3:6]}")
        check(re.search(r"\d+ ms", api[6]) is not None, f"prod/api latency {api[6]!r}")
    co = rows.get(("prod", "checkout"))
    if co:
        u24 = pct(co[3])
        check(u24 is not None and 98.0 < u24 < 99.0, f"prod/checkout uptime 24h {co[3]!r}, expected ~98.6%")
        u7 = pct(co[4])
        check(u7 is not None and 99.0 < u7 < 99.5, f"prod/checkout uptime 7d {co[4]!r}, expected ~99.3%")
    cart = rows.get(("prod", "cart"))
    if cart:
        check("last result 10m ago" in cart[1], f"prod/cart detail {cart[1]!r}")
        check(cart[6].endswith("—"), f"prod/cart shows a current latency: {cart[6]!r}")

    for s in ["Environment prod", "Environment staging", "Firing alerts (1)", "AbhraProbeFailing",
              "checkout in prod fails its health check (HTTP 503)", "Recent incidents",
              "AbhraProbeFlapping", "search in prod flaps", "resolved", "open",
              "auto-refresh every 30 s"]:
        check(s in text, f"text {s!r} not on the page")
    check("Some data could not be loaded" not in text, "the page reports errors")

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        print("rows:", dom.rows)
        return 1
    print(f"DOM checks passed ({len(dom.rows)} service rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
