#!/usr/bin/env python3
"""A small demo service for `make run`: answers /health (Spring-style JSON with a version),
/metrics (Prometheus text) and / on 127.0.0.1. With --flaky P it fails a fraction P of requests
with a 503, so the demo shows downtime and alerts. POST /control/fail makes every request but
/metrics fail with a 503 until POST /control/recover (tests use it for a real outage)."""
import argparse
import http.server
import json
import random
import threading

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    ap.add_argument("--name", required=True, help="service name")
    ap.add_argument("--version", required=True, help="version reported by /health and /metrics")
    ap.add_argument("--flaky", type=float, default=0.0, help="fraction of requests failing with 503")
    args = ap.parse_args()
    lock = threading.Lock()
    counts = {"requests": 0, "errors": 0}
    mode = {"down": False}  # switched by POST /control/fail and /control/recover

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, ctype, body, headers=None):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-App-Version", args.version)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            if self.path in ("/control/fail", "/control/recover"):
                with lock:
                    mode["down"] = self.path == "/control/fail"
                self.reply(200, "text/plain", "down\n" if mode["down"] else "up\n")
            else:
                self.reply(404, "text/plain", "not found\n")

        def do_GET(self):
            failing = mode["down"] or random.random() < args.flaky
            with lock:
                counts["requests"] += 1
                if failing:
                    counts["errors"] += 1
            if self.path.startswith("/metrics"):
                body = (
                    "# HELP demo_requests_total Requests served.\n# TYPE demo_requests_total counter\n"
                    f'demo_requests_total{{code="200"}} {counts["requests"] - counts["errors"]}\n'
                    f'demo_requests_total{{code="503"}} {counts["errors"]}\n'
                    "# HELP app_build_info Build information.\n# TYPE app_build_info gauge\n"
                    f'app_build_info{{service="{args.name}",version="{args.version}"}} 1\n')
                self.reply(200, "text/plain; version=0.0.4", body)
            elif failing:
                self.reply(503, "application/json", json.dumps({"status": "DOWN"}))
            elif self.path.startswith("/health"):
                self.reply(200, "application/json",
                           json.dumps({"status": "UP", "version": args.version, "service": args.name}))
            else:
                self.reply(200, "text/html", f"<h1>{args.name} {args.version}</h1>")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()

if __name__ == "__main__":
    main()
