"""End-to-end alerting with a real Alertmanager (0.25, Debian) on loopback.

An outage made by the test (probe_success 0 pushed by remote-write) fires a rule in the
aggregator; the alert reaches Alertmanager (read back from its API v2 and with amtool);
Alertmanager's webhook comes back to the aggregator and the incident is recorded
(/api/v1/incidents). Recovery samples then resolve it the same way.

Exit 77 (ctest SKIP_RETURN_CODE) when Alertmanager is not installed.
"""
import argparse
import os
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import peers  # noqa: E402
from peers import get_json, wait_for  # noqa: E402

ALERTMANAGER = peers.ALERTMANAGER
AMTOOL = "/usr/bin/amtool"


# --- remote-write 1.0 by hand: protobuf + snappy block format with literals only ----------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    if wire == 2:
        return varint(num << 3 | 2) + varint(len(payload)) + payload
    if wire == 1:
        return varint(num << 3 | 1) + payload
    return varint(num << 3 | 0) + varint(payload)


def write_request(series):
    """series: [(labels dict, [(t_ms, value)])]"""
    body = b""
    for labels, samples in series:
        ts = b""
        for k in sorted(labels):
            ts += field(1, 2, field(1, 2, k.encode()) + field(2, 2, labels[k].encode()))
        for t, v in samples:
            ts += field(2, 2, field(1, 1, struct.pack("<d", v)) + field(2, 0, t))
        body += field(1, 2, ts)
    return body


def snappy_literal(data):
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out += bytes([60 << 2, n])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n)
        out += chunk
    return bytes(out)


def push(base, labels, value):
    body = snappy_literal(write_request([(labels, [(int(time.time() * 1000), value)])]))
    req = urllib.request.Request(f"{base}/api/v1/write", data=body, method="POST", headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    with urllib.request.urlopen(req, timeout=5) as r:
        if r.status // 100 != 2:
            raise RuntimeError(f"remote write answered {r.status}")


RULES = """groups:
  - name: e2e
    interval: 1s
    rules:
      - alert: E2ETargetDown
        expr: probe_success{env="test"} == 0
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.service }} in {{ $labels.env }} is down ({{ $value | humanize }})"
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aggregator", required=True)
    args = ap.parse_args()
    peers.require(ALERTMANAGER)
    start = time.time()

    with peers.workspace("abhra_alerting_e2e_") as (work, procs):
        agg_port, am_port = peers.free_port(), peers.free_port()
        agg = f"http://127.0.0.1:{agg_port}"
        am = f"http://127.0.0.1:{am_port}"
        peers.write_alerting_configs(work, agg, am, RULES)
        procs.start("alertmanager", peers.alertmanager_argv(work, am_port))
        procs.start("aggregator", [
            args.aggregator, f"--data-dir={work}/data", f"--listen=127.0.0.1:{agg_port}",
            f"--config={work}/aggregator.yaml"])
        try:
            peers.wait_http_200(f"{am}/-/ready", timeout=20)
            peers.wait_http_200(f"{agg}/-/ready", timeout=20)
        except Exception:
            print(procs.log("alertmanager")[-3000:])
            print(procs.log("aggregator")[-3000:])
            raise

        labels = {"__name__": "probe_success", "env": "test", "service": "x",
                  "job": "abhra-probe", "instance": "https://x.example"}
        state = {"value": 0.0, "stop": False}

        def pusher():
            while not state["stop"]:
                try:
                    push(agg, labels, state["value"])
                except Exception as e:
                    print(f"push failed: {e}")
                time.sleep(0.3)

        t = threading.Thread(target=pusher, daemon=True)
        t.start()
        try:
            # 1. The outage fires the rule (pending for 2s, then firing).
            def firing_in_aggregator():
                alerts = get_json(f"{agg}/api/v1/alerts")["data"]["alerts"]
                return [a for a in alerts if a["state"] == "firing"
                        and a["labels"].get("alertname") == "E2ETargetDown"]
            fired = wait_for("alert firing in the aggregator", firing_in_aggregator, 20)
            assert fired[0]["annotations"]["summary"] == "x in test is down (0)", fired
            assert fired[0]["labels"]["severity"] == "critical"
            rules = get_json(f"{agg}/api/v1/rules?type=alert")["data"]["groups"]
            assert rules[0]["rules"][0]["state"] == "firing", rules
            alerts_series = peers.api_query(agg, 'ALERTS{alertname="E2ETargetDown",alertstate="firing"}')
            assert len(alerts_series["result"]) == 1, alerts_series

            # 2. It reaches Alertmanager.
            def in_alertmanager():
                return [a for a in get_json(f"{am}/api/v2/alerts")
                        if a["labels"].get("alertname") == "E2ETargetDown"
                        and a["status"]["state"] == "active"]
            am_alerts = wait_for("alert active in Alertmanager", in_alertmanager, 20)
            assert am_alerts[0]["labels"]["env"] == "test"
            assert am_alerts[0]["generatorURL"].startswith(f"{agg}/graph?g0.expr="), am_alerts
            if os.path.exists(AMTOOL):
                out = subprocess.run([AMTOOL, "alert", "query", "alertname=E2ETargetDown",
                                      f"--alertmanager.url={am}", "-o", "json"],
                                     capture_output=True, text=True, timeout=10)
                assert out.returncode == 0, out.stderr
                assert "E2ETargetDown" in out.stdout, out.stdout
                print("ok: amtool alert query sees it")

            # 3. The webhook comes back and the incident is recorded.
            def incident_firing():
                inc = get_json(f"{agg}/api/v1/incidents?env=test&state=firing")["data"]["incidents"]
                return [i for i in inc if i["alertname"] == "E2ETargetDown"]
            inc = wait_for("incident recorded as firing", incident_firing, 20)
            assert inc[0]["summary"] == "x in test is down (0)", inc
            assert inc[0]["severity"] == "critical"

            # 4. Recovery resolves it along the same path.
            state["value"] = 1.0
            wait_for("alert gone from the aggregator",
                     lambda: not get_json(f"{agg}/api/v1/alerts")["data"]["alerts"], 20)
            wait_for("alert resolved in Alertmanager", lambda: not in_alertmanager(), 20)

            def incident_resolved():
                inc = get_json(f"{agg}/api/v1/incidents?env=test&state=resolved")["data"]["incidents"]
                return [i for i in inc if i["alertname"] == "E2ETargetDown" and i["resolvedAt"]]
            wait_for("incident recorded as resolved", incident_resolved, 20)
            assert not incident_firing(), "the incident is still listed as firing"
            metrics = peers.http_get(f"{agg}/metrics")[1].decode()
            assert "abhra_notifications_sent_total" in metrics
            assert "abhra_rule_evaluations_total" in metrics
        except Exception:
            print("--- aggregator log ---")
            print(procs.log("aggregator")[-4000:])
            print("--- alertmanager log ---")
            print(procs.log("alertmanager")[-4000:])
            raise
        finally:
            state["stop"] = True
            t.join(timeout=5)

        # The incident history survives a restart.
        agg_proc = [p for p in procs.procs if p.name == "aggregator"][0]
        assert procs.stop(agg_proc) == 0
        procs.start("aggregator2", [
            args.aggregator, f"--data-dir={work}/data", f"--listen=127.0.0.1:{agg_port}",
            f"--config={work}/aggregator.yaml"])
        peers.wait_http_200(f"{agg}/-/ready", timeout=20)
        inc = get_json(f"{agg}/api/v1/incidents?env=test")["data"]["incidents"]
        assert any(i["alertname"] == "E2ETargetDown" and i["state"] == "resolved" for i in inc), inc
        print("ok: incident history survives a restart")
    print(f"PASS in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
