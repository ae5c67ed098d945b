"""The whole path in one test, on loopback with the real binaries and a real Alertmanager:

  demo services (tests/demo/demo_service.py) -> one abhra-probe per environment (dev, prod)
  -> remote-write -> abhra-aggregator -> PromQL over /api/v1/query and query_range
  -> alert rule -> Alertmanager -> webhook -> incident on the status page (/ and JSON),
  and back when the service heals.

Then everything restarts: the aggregator is SIGKILLed while the probes keep checking (their
durable queues hold the samples), the probes are stopped with SIGTERM and started again on the
same queue dirs, Alertmanager restarts on its storage, the aggregator restarts on its data dir.
Every sample and incident acknowledged before the restart must still be there, the outage
must be back-filled with no gap longer than two check intervals, and the alert path must work
again after the restart.

Usage: e2e_test.py --aggregator BIN --probe BIN   (exit 0 pass, 1 fail)
Alertmanager (Debian prometheus-alertmanager, installed by cmake/install_deps.sh) is required.
"""
import argparse
import math
import os
import signal
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import peers  # noqa: E402
from peers import get_json, log, wait_equal, wait_for  # noqa: E402

DEMO_SERVICE = os.path.join(HERE, "..", "demo", "demo_service.py")
ALERTMANAGER = peers.ALERTMANAGER
CLUSTER = "e2e-1"
INTERVAL = 1.0          # probe check interval, seconds
MAX_GAP = 2 * INTERVAL + 0.5  # a probe restart may cost one check; never more than two
ALERT = "E2EServiceDown"
# env -> [(service, version)]
ENVS = {"dev": [("checkout", "2.4.0-rc.1")],
        "prod": [("checkout", "2.3.0"), ("payments", "5.0.1")]}
OUTAGE = ("prod", "payments")         # the service that fails before the restart
OUTAGE_AFTER = ("dev", "checkout")    # and the one that fails after it

RULES = f"""groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: {ALERT}
        expr: probe_success == 0
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "{{{{ $labels.service }}}} in {{{{ $labels.env }}}} is down"
"""


def expect(ok, what, expected, got):
    if not ok:
        raise AssertionError(f"{what}: expected {expected}, got {got}")


def get_text(url):
    return peers.http_get(url)[1].decode("utf-8", "replace")


def post(url):
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def metric_value(text, name, labels=""):
    """The value of `name{labels}` (labels exactly as exposed) in a text exposition, or None."""
    key = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    return None


class Stack:
    """The processes of the test and how to reach them."""

    def __init__(self, args, work, procs):
        self.args, self.work, self.procs = args, work, procs
        self.agg_port, self.am_port = peers.free_port(), peers.free_port()
        self.agg = f"http://127.0.0.1:{self.agg_port}"
        self.am = f"http://127.0.0.1:{self.am_port}"
        self.services = {}    # (env, service) -> base URL
        self.probe_urls = {}  # env -> base URL of the probe's own HTTP
        self.running = {}     # name -> Popen
        self.instances = {}   # instance label value -> env of the probe that checks it

    # --- start-up ------------------------------------------------------------------------

    def write_configs(self):
        w = self.work
        peers.write_alerting_configs(w, self.agg, self.am, RULES,
                                     group_by=("alertname", "env", "service"))
        for env, services in ENVS.items():
            lines = [f"environment: {env}", f"cluster: {CLUSTER}",
                     f"global: {{interval: {INTERVAL:g}s, timeout: 800ms}}",
                     "aggregator:",
                     f"  url: {self.agg}/api/v1/write",
                     f"  queue: {{dir: {w}/queue-{env}, max_bytes: 64MiB}}",
                     "  batch_send_deadline: 200ms",
                     "  min_backoff: 50ms",
                     "  max_backoff: 500ms",
                     "targets:"]
            for name, _ in services:
                base = self.services[(env, name)]
                self.instances[f"{base}/health"] = env
                self.instances[f"{base}/metrics"] = env
                lines += [f"  - name: {name}",
                          "    health:",
                          f"      url: {base}/health",
                          "      version: {json_field: $.version}",
                          f"  - name: {name}-metrics",
                          f"    service: {name}",
                          "    scrape:",
                          f"      url: {base}/metrics",
                          "      version: {metric: app_build_info, label: version}"]
            with open(f"{w}/probe-{env}.yml", "w") as f:
                f.write("\n".join(lines) + "\n")

    def start(self, name, argv):
        self.running[name] = self.procs.start(name, argv)

    def stop(self, name, sig):
        p = self.running.pop(name)
        return self.procs.stop(p, sig)

    def start_services(self):
        for env, services in ENVS.items():
            for name, version in services:
                port = peers.free_port()
                self.services[(env, name)] = f"http://127.0.0.1:{port}"
                self.start(f"svc-{env}-{name}", [sys.executable, DEMO_SERVICE, "--port", str(port),
                                                 "--name", name, "--version", version])
        for base in self.services.values():
            peers.wait_http_200(f"{base}/health", timeout=10)

    def start_alertmanager(self):
        w = self.work
        self.start("alertmanager", peers.alertmanager_argv(self.work, self.am_port))
        peers.wait_http_200(f"{self.am}/-/ready", timeout=20)

    def start_aggregator(self):
        self.start("aggregator", [
            self.args.aggregator, f"--data-dir={self.work}/data",
            f"--listen=127.0.0.1:{self.agg_port}", f"--config={self.work}/aggregator.yaml"])
        peers.wait_http_200(f"{self.agg}/-/ready", timeout=20)

    def start_probes(self):
        for env in ENVS:
            port = self.probe_urls.get(env, "").rpartition(":")[2] or str(peers.free_port())
            self.probe_urls[env] = f"http://127.0.0.1:{port}"
            self.start(f"probe-{env}", [self.args.probe, "--config", f"{self.work}/probe-{env}.yml",
                                        "--listen", f"127.0.0.1:{port}"])
        for env in ENVS:
            peers.wait_http_200(f"{self.probe_urls[env]}/-/ready", timeout=10)

    # --- queries -------------------------------------------------------------------------

    def query(self, expr, t=None):
        return peers.api_query(self.agg, expr, t)["result"]

    def query_range(self, expr, start, end, step):
        params = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}",
                                         "end": f"{end:.3f}", "step": f"{step:g}"})
        data = get_json(f"{self.agg}/api/v1/query_range?{params}")
        expect(data.get("status") == "success", f"query_range {expr}", "status success", data)
        return data["data"]["result"]

    def by(self, expr, *keys, t=None):
        """{(label values of keys): value} of an instant vector query."""
        return {tuple(r["metric"].get(k, "") for k in keys): float(r["value"][1])
                for r in self.query(expr, t)}

    def raw_samples(self, end, seconds):
        """{(env, service): sorted sample timestamps in ms} of probe_success in (end-seconds, end]."""
        out = {}
        for r in self.query(f"probe_success[{seconds}s]", end):
            key = (r["metric"]["env"], r["metric"]["service"])
            out[key] = sorted(round(float(ts) * 1000) for ts, _ in r["values"])
        return out

    def alerts(self):
        return [a for a in get_json(f"{self.agg}/api/v1/alerts")["data"]["alerts"]
                if a["labels"].get("alertname") == ALERT]

    def am_alerts(self):
        return [a for a in get_json(f"{self.am}/api/v2/alerts")
                if a["labels"].get("alertname") == ALERT and a["status"]["state"] == "active"]

    def incidents(self, query=""):
        return [i for i in get_json(f"{self.agg}/api/v1/incidents?{query}")["data"]["incidents"]
                if i["alertname"] == ALERT]

    def status_incidents_html(self):
        html = get_text(f"{self.agg}/")
        start = html.find('<section id="incidents">')
        expect(start >= 0, "status page GET /", 'a <section id="incidents">', html[:300])
        return html[start:html.find("</section>", start)]

    def probe_metrics(self, env):
        return get_text(f"{self.probe_urls[env]}/metrics")


def every_service():
    return {(env, name): v for env, services in ENVS.items() for name, v in services}


def gaps(ts_ms, start_ms, end_ms):
    """Gaps longer than MAX_GAP in ts_ms between start_ms and end_ms, as (from, to) seconds."""
    points = [start_ms] + [t for t in ts_ms if start_ms < t < end_ms] + [end_ms]
    return [(a / 1000, b / 1000) for a, b in zip(points, points[1:]) if b - a > MAX_GAP * 1000]


# --- the phases ---------------------------------------------------------------------------

def check_queries(s, t_probes):
    expected_up = {k: 1.0 for k in every_service()}
    wait_equal("probe_success = 1 for every service in the aggregator",
               lambda: s.by("probe_success", "env", "service"), expected_up, 20)
    t_up = time.time()

    per_env = {(env,): float(len(services)) for env, services in ENVS.items()}
    got = s.by("count by (env) (probe_success)", "env")
    expect(got == per_env, "count by (env) (probe_success)", per_env, got)
    got = s.by("min by (env) (probe_success)", "env")
    expect(got == {(env,): 1.0 for env in ENVS}, "min by (env) (probe_success)", "1 per env", got)
    log(f"ok: probe_success per env {got}, services per env {per_env}")

    # The deployed versions: abhra_target_info (from the health JSON and from the scraped
    # app_build_info) and the scraped series itself. Both come with the first results, which
    # may land a moment after probe_success.
    want = {(env, name, version) for (env, name), version in every_service().items()}
    wait_equal("versions in abhra_target_info",
               lambda: set(s.by("max by (env, service, version) (abhra_target_info)",
                                "env", "service", "version")), want, 10)
    want_scraped = {(env, version) for (env, _), version in every_service().items()}
    wait_equal("versions in the scraped app_build_info",
               lambda: set(s.by("max by (env, version) (app_build_info)", "env", "version")),
               want_scraped, 10)
    log(f"ok: deployed versions visible: {sorted(want)}")

    # Every remote-written series carries the env of the probe that checked it, and the cluster.
    match = '{__name__=~"probe_success|probe_duration_seconds|up|abhra_target_info|app_build_info"}'
    series = get_json(f"{s.agg}/api/v1/series?" +
                      urllib.parse.urlencode({"match[]": match, "start": f"{t_probes - 60:.0f}"}))
    series = series["data"]
    expect(len(series) >= 5 * len(every_service()), "series of the probes", ">= 5 per service",
           len(series))
    wrong = [m for m in series
             if m.get("env") != s.instances.get(m.get("instance")) or m.get("cluster") != CLUSTER]
    expect(not wrong, "env and cluster labels of remote-written series",
           "env of the probe that checked the instance and cluster " + CLUSTER, wrong[:3])
    got = get_json(f"{s.agg}/api/v1/label/env/values")["data"]
    expect(sorted(got) == sorted(ENVS), "/api/v1/label/env/values", sorted(ENVS), got)
    log(f"ok: {len(series)} series, each with the env of its probe and cluster={CLUSTER}")

    # The label contract between the probe and its readers (status page, alert rules,
    # dashboards; probe/README.md): check results are job="abhra-probe" with the check in
    # `target` and the service in `service`; a scraped endpoint is its own job; the probe's
    # own remote-write metrics arrive as job="abhra-probe" per env.
    want = {(env, "abhra-probe", name, name) for (env, name) in every_service()}
    got = set(s.by("count by (env, job, target, service) (probe_success)",
                   "env", "job", "target", "service"))
    expect(got == want, "(env, job, target, service) of probe_success", sorted(want), sorted(got))
    want = {(env, f"{name}-metrics", name) for (env, name) in every_service()}
    got = set(s.by('count by (env, job, service) (up{env!=""})', "env", "job", "service"))
    expect(got == want, "(env, job, service) of the scraped endpoints' up", sorted(want),
           sorted(got))
    want = {(env, "abhra-probe") for env in ENVS}
    wait_equal("the probes' own metrics in the aggregator",
               lambda: set(s.by('count by (env, job) ('
                                'abhra_probe_remote_write_samples_sent_total{job="abhra-probe"})',
                                "env", "job")), want, 10)
    log("ok: job/target/service labels as the status page, alerts and dashboards expect; "
        "probe self-metrics arrive")

    # query_range: 4 steps 1 s apart after every service was up: all up in each step.
    time.sleep(max(0.0, t_up + 3.5 - time.time()))
    result = s.query_range("sum by (env) (probe_success)", t_up, t_up + 3, 1)
    got = {r["metric"].get("env"): [float(v) for _, v in r["values"]] for r in result}
    want = {env: [float(len(services))] * 4 for env, services in ENVS.items()}
    expect(got == want, "query_range sum by (env) (probe_success), 4 steps", want, got)
    log(f"ok: query_range {got}")


def check_status_page_services(s, failed=()):
    """The status page lists every service of every environment with its version: up, or
    degraded for the services in `failed` (up again, but they failed within the page's
    5-minute state window)."""
    def listed():
        page = get_json(f"{s.agg}/api/v1/status/page")["data"]
        return {(x["env"], x["service"]): (x["state"], x["versions"]) for x in page["services"]}
    want = {k: ("degraded" if k in failed else "up", [v]) for k, v in every_service().items()}
    wait_equal("status page (/api/v1/status/page) lists every service with state and version",
               listed, want, 10)
    html = get_text(f"{s.agg}/")
    for (env, name), version in every_service().items():
        expect(name in html and version in html, "status page (GET /)",
               f"service {name} and version {version}", "missing")
    log(f"ok: status page lists {sorted(want.items())}")


def check_alert_path(s, env, service, before_ids):
    """Fails env/service; follows the alert to an incident on the status page and back."""
    base = s.services[(env, service)]
    expect(post(f"{base}/control/fail") == 200, f"POST {base}/control/fail", 200, "other")
    log(f"{env}/{service} is failing now")
    wait_equal(f"probe_success{{env={env},service={service}}} = 0",
               lambda: s.by(f'probe_success{{env="{env}",service="{service}"}}', "env"),
               {(env,): 0.0}, 10)
    wait_equal("abhra_probe_failure_info says why: status_code",
               lambda: s.by(f'abhra_probe_failure_info{{env="{env}",service="{service}"}}',
                            "reason"), {("status_code",): 1.0}, 10)

    fired = wait_for("alert firing in the aggregator",
                     lambda: [a for a in s.alerts() if a["state"] == "firing"], 15)
    got = [(a["labels"]["env"], a["labels"]["service"], a["labels"]["severity"]) for a in fired]
    expect(got == [(env, service, "critical")], "firing alerts (env, service, severity)",
           [(env, service, "critical")], got)
    expect(fired[0]["annotations"]["summary"] == f"{service} in {env} is down",
           "alert summary", f"{service} in {env} is down", fired[0]["annotations"])
    got = s.by(f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}', "env", "service")
    expect(got == {(env, service): 1.0}, "ALERTS series", {(env, service): 1.0}, got)

    am = wait_for("alert active in Alertmanager (/api/v2/alerts)", s.am_alerts, 15)
    got = [(a["labels"]["env"], a["labels"]["service"]) for a in am]
    expect(got == [(env, service)], "Alertmanager's active alerts", [(env, service)], got)
    expect(am[0]["generatorURL"].startswith(f"{s.agg}/graph?g0.expr="), "generatorURL",
           f"{s.agg}/graph?g0.expr=...", am[0]["generatorURL"])

    def incident(state):
        return [i for i in s.incidents(f"env={env}&state={state}")
                if i["labels"].get("service") == service and i["id"] not in before_ids]
    inc = wait_for("incident recorded as firing from Alertmanager's webhook",
                   lambda: incident("firing"), 15)
    expect(len(inc) == 1 and inc[0]["severity"] == "critical" and
           inc[0]["summary"] == f"{service} in {env} is down",
           "the new firing incident", f"one, critical, '{service} in {env} is down'", inc)
    others = [i for i in s.incidents("state=firing") if i["env"] != env]
    expect(not others, "firing incidents in other environments", "none", others)

    def on_page(state_word):
        html = s.status_incidents_html()
        items = [li for li in html.split('<li class="incident">')[1:]
                 if f"<strong>{ALERT}</strong>" in li and f"{env} / {service}" in li]
        return items if items and state_word in items[0] else None
    wait_for(f"status page (GET /) shows the incident open: {ALERT} {env} / {service}",
             lambda: on_page(">open<"), 15)
    page = get_json(f"{s.agg}/api/v1/status/page")["data"]
    got = [(i["alertname"], i["env"], i["service"], i["state"]) for i in page["incidents"]][:1]
    expect(got == [(ALERT, env, service, "firing")], "newest incident in /api/v1/status/page",
           [(ALERT, env, service, "firing")], got)

    expect(post(f"{base}/control/recover") == 200, f"POST {base}/control/recover", 200, "other")
    log(f"{env}/{service} recovered")
    wait_for("alert gone from the aggregator", lambda: not s.alerts(), 15)
    wait_for("alert resolved in Alertmanager", lambda: not s.am_alerts(), 15)
    inc = wait_for("incident resolved through the webhook",
                   lambda: [i for i in incident("resolved") if i["resolvedAt"]], 15)
    wait_for("status page (GET /) shows the incident resolved", lambda: on_page(">resolved<"), 15)
    return inc[0]["id"]


def check_restart(s, t_probes):
    # What the aggregator has acknowledged: every probe_success sample in a fixed past window,
    # per series, and the incident history.
    t_end = math.floor(time.time()) - 3  # a margin for samples still in flight
    window = int(t_end - math.floor(t_probes)) + 1
    before = s.raw_samples(t_end, window)
    expect(set(before) == set(every_service()), "series of probe_success before the restart",
           sorted(every_service()), sorted(before))
    counts_expr = f"sum by (env) (count_over_time(probe_success[{window}s]))"
    counts_before = s.by(counts_expr, "env", t=t_end)
    first_ms = min(ts[0] for ts in before.values())
    for key, ts in before.items():
        g = gaps(ts, ts[0], t_end * 1000)
        expect(not g, f"gaps in probe_success{key} before the restart", "none", g)
    incidents_before = {i["id"]: i["state"] for i in s.incidents()}
    log(f"acknowledged before the restart: samples per env {counts_before} over "
        f"{window}s ending {t_end}; incidents {incidents_before}")

    t_kill = time.time()
    rc = s.stop("aggregator", signal.SIGKILL)
    expect(rc == -signal.SIGKILL, "aggregator exit after SIGKILL", -signal.SIGKILL, rc)
    log("aggregator SIGKILLed; the probes keep checking")

    def backlog():
        out = {}
        for env in ENVS:
            m = s.probe_metrics(env)
            enq = metric_value(m, "abhra_probe_remote_write_samples_enqueued_total")
            sent = metric_value(m, "abhra_probe_remote_write_samples_sent_total")
            failed = metric_value(m, "abhra_probe_remote_write_requests_failed_total")
            if not (enq > sent and failed > 0):
                return None
            out[env] = int(enq - sent)
        return out
    wait_for("each probe holds unsent samples and retries", backlog, 10)
    # Let the queues hold more than MAX_GAP of samples, so losing them would show as a gap.
    time.sleep(max(0.0, t_kill + 3 - time.time()))
    log(f"unsent samples held by the probes after {time.time() - t_kill:.1f}s: {backlog()}")

    for env in ENVS:
        rc = s.stop(f"probe-{env}", signal.SIGTERM)
        expect(rc == 0, f"probe {env} exit code after SIGTERM", 0, rc)
    s.start_probes()
    log("probes restarted on the same queue dirs (the aggregator is still down)")
    rc = s.stop("alertmanager", signal.SIGTERM)
    expect(rc == 0, "Alertmanager exit code after SIGTERM", 0, rc)
    s.start_alertmanager()
    log("Alertmanager restarted on its storage")
    time.sleep(max(0.0, t_kill + 6 - time.time()))  # at least 6 s without an aggregator
    t_restart = time.time()
    s.start_aggregator()
    log(f"aggregator restarted on the same data dir after {t_restart - t_kill:.1f}s down")

    # Everything acknowledged before is still there, and the outage is back-filled.
    after, _ = wait_for_complete(s, before, first_ms, t_probes, t_restart)

    counts_after = s.by(counts_expr, "env", t=t_end)
    ok = all(counts_after.get(k, 0) >= v for k, v in counts_before.items())
    expect(ok, f"{counts_expr} at {t_end} after the restart", f">= {counts_before}", counts_after)
    outage = {}
    for key, ts in after.items():
        n = sum(1 for t in ts if t_kill * 1000 <= t <= t_restart * 1000)
        outage[key] = n
        want = int((t_restart - t_kill) / INTERVAL) - 2
        expect(n >= want, f"samples of probe_success{key} taken while the aggregator was down "
               f"({t_restart - t_kill:.1f}s)", f">= {want}", n)
    log(f"ok: samples per env over the fixed window {counts_before} -> {counts_after}; "
        f"samples taken during the {t_restart - t_kill:.1f}s outage {outage}")
    for env in ENVS:
        m = s.probe_metrics(env)
        for reason in ("rejected", "queue_full", "corrupt"):
            v = metric_value(m, "abhra_probe_remote_write_samples_dropped_total",
                             f'reason="{reason}"')
            expect(v == 0, f"probe {env} samples dropped ({reason})", 0, v)

    incidents_after = {i["id"]: i["state"] for i in s.incidents()}
    lost = {k: v for k, v in incidents_before.items() if incidents_after.get(k) != v}
    expect(not lost, "incident history after the restart", incidents_before, incidents_after)
    html = s.status_incidents_html()
    expect(f"<strong>{ALERT}</strong>" in html and f"{OUTAGE[0]} / {OUTAGE[1]}" in html,
           "status page incidents after the restart", f"{ALERT} {OUTAGE[0]} / {OUTAGE[1]}", html)
    log(f"ok: incident history kept: {incidents_after}")
    return set(incidents_after)


def wait_for_complete(s, before, first_ms, t_probes, t_restart, timeout=20):
    """Waits until every acknowledged sample is present, the series have no gap longer than
    MAX_GAP from their first sample to 2 s ago, and samples taken after the restart arrive.
    Returns ({(env, service): timestamps}, end of the window checked)."""
    problems = ["not checked yet"]

    def complete():
        end = math.floor(time.time()) - 2
        after = s.raw_samples(end, int(end - math.floor(t_probes)) + 1)
        problems[:] = []
        for key, ts_before in before.items():
            ts_after = after.get(key, [])
            missing = sorted(set(ts_before) - set(ts_after))
            if missing:
                problems.append(f"{key}: {len(missing)} acknowledged samples missing, "
                                f"first {missing[:3]}")
            g = gaps(ts_after, first_ms, end * 1000)
            if g:
                problems.append(f"{key}: gaps longer than {MAX_GAP}s: {g}")
            if not ts_after or ts_after[-1] < (t_restart + 1) * 1000:
                problems.append(f"{key}: no sample taken after the restart yet")
        return None if problems else (after, end)
    try:
        return wait_for("every acknowledged sample is there and the outage is back-filled "
                        f"(no gap > {MAX_GAP}s)", complete, timeout)
    except AssertionError:
        raise AssertionError(f"after the restart, within {timeout}s: expected every sample "
                             f"acknowledged before and no gap > {MAX_GAP}s, got: {problems}") from None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--aggregator", required=True, help="abhra-aggregator binary")
    ap.add_argument("--probe", required=True, help="abhra-probe binary")
    args = ap.parse_args()
    if not os.path.exists(ALERTMANAGER):
        print(f"FAIL: {ALERTMANAGER} is not installed; `make test` installs it "
              "(bash cmake/install_deps.sh), or: apt-get install prometheus-alertmanager")
        return 1
    # ctest's timeout or Ctrl-C: unwind so every process started is stopped.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, f: sys.exit(f"stopped by signal {n}"))
    t0 = time.time()
    with peers.workspace("abhra_e2e_") as (work, procs):
        s = Stack(args, work, procs)
        try:
            s.start_services()
            s.write_configs()
            s.start_alertmanager()
            s.start_aggregator()
            t_probes = time.time()
            s.start_probes()
            log(f"started: aggregator {s.agg}, Alertmanager {s.am}, probes {s.probe_urls}, "
                f"{len(s.services)} demo services (work dir {work})")
            check_queries(s, t_probes)
            check_status_page_services(s)
            first = check_alert_path(s, *OUTAGE, before_ids=set())
            ids = check_restart(s, t_probes)
            expect(first in ids, "first incident after the restart", first, ids)
            check_alert_path(s, *OUTAGE_AFTER, before_ids=ids)
            got = {i["id"] for i in s.incidents()}
            expect(ids <= got and len(got) == len(ids) + 1, "incidents at the end",
                   f"{sorted(ids)} plus one new", sorted(got))
            check_status_page_services(s, failed={OUTAGE, OUTAGE_AFTER})
        except BaseException:
            for name in ["aggregator", "alertmanager"] + [f"probe-{e}" for e in ENVS]:
                try:
                    print(f"--- {name} log (tail) ---\n{procs.log(name)[-3000:]}")
                except OSError:
                    pass
            raise
    print(f"PASS in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
