#include "aggregator/web/status_page_html.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "aggregator/web/html_escape.h"

namespace abhra::web {
namespace {

constexpr std::string_view kCss = R"CSS(
:root{--up:#1a7f37;--deg:#9a6700;--down:#cf222e;--nodata:#57606a;--bg:#f6f8fa;--fg:#1f2328;--card:#fff;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.3em 1em;padding:.8em 1em;background:#24292f;color:#fff}
header h1{font-size:1.2em;margin:0}
#refresh-state{font-size:.9em}
#refresh-state.warn{color:#ffd33d;font-weight:600}
main{padding:.5em 1em 2em;max-width:1200px;margin:0 auto}
.updated{color:#57606a;font-size:.9em;margin:.4em 0}
.summary{display:flex;flex-wrap:wrap;gap:.5em;margin:.6em 0}
.pill{border-radius:1em;padding:.15em .8em;font-weight:600;background:var(--card);border:1px solid var(--line)}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:1em 0;padding:.6em .8em;overflow-wrap:anywhere}
h2{font-size:1.05em;margin:.2em 0 .5em}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:.85em;color:#57606a;font-weight:600}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.state{display:inline-block;min-width:5.5em;text-align:center;border-radius:4px;padding:.1em .5em;color:#fff;font-weight:700;font-size:.85em;text-transform:uppercase}
.state-up{background:var(--up)}.state-degraded{background:var(--deg)}.state-down{background:var(--down)}.state-no-data{background:var(--nodata)}
.detail{display:block;color:#57606a;font-size:.8em}
.statebox{display:inline-block}
.spark{display:inline-flex;align-items:center;gap:.4em;white-space:nowrap}
.spark svg{width:120px;height:28px;background:#f6f8fa;border-radius:3px}
.spark polyline{fill:none;stroke:#0969da;stroke-width:1.5;vector-effect:non-scaling-stroke}
ul.items{list-style:none;margin:0;padding:0}
ul.items li{padding:.45em 0;border-bottom:1px solid var(--line)}
ul.items li:last-child{border-bottom:0}
.sev{font-weight:700;text-transform:uppercase;font-size:.8em;padding:0 .4em;border-radius:3px;border:1px solid currentColor}
.sev-critical{color:var(--down)}.sev-warning{color:var(--deg)}
.muted{color:#57606a}
.errors{border-color:var(--down);color:var(--down)}
footer{color:#57606a;font-size:.8em;text-align:center;padding:1em}
@media (max-width:700px){
 main{padding:.3em .5em 1em}
 table,thead,tbody,tr,td{display:block;width:100%}
 thead{display:none}
 tr{border-bottom:2px solid var(--line);padding:.4em 0}
 td{border:0;padding:.15em .2em;display:flex;justify-content:space-between;gap:1em}
 td::before{content:attr(data-label);color:#57606a;font-size:.85em}
 td.svc{font-weight:700;font-size:1.05em}
 td.svc::before{content:none}
 .statebox{text-align:right}
}
)CSS";

int Severity(ServiceState s) {
  switch (s) {
    case ServiceState::kDown: return 0;
    case ServiceState::kNoData: return 1;
    case ServiceState::kDegraded: return 2;
    case ServiceState::kUp: return 3;
  }
  return 4;
}

std::string StateClass(ServiceState s) {
  std::string name(ServiceStateName(s));
  std::replace(name.begin(), name.end(), ' ', '-');
  return "state state-" + name;
}

void Esc(std::string* out, std::string_view s) { AppendHtmlEscaped(out, s); }

std::string OrDash(std::string_view s) { return s.empty() ? "—" : std::string(s); }

void AppendAlerts(std::string* out, const StatusPageData& data) {
  int firing = 0;
  for (const auto& a : data.alerts) firing += a.state == "firing";
  *out += fmt::format("<section id=\"alerts\"><h2>Firing alerts ({})</h2>", firing);
  if (data.alerts.empty()) {
    *out += "<p class=\"muted\">No alerts firing.</p></section>";
    return;
  }
  *out += "<ul class=\"items\">";
  for (const AlertView& a : data.alerts) {
    *out += "<li class=\"alert\">";
    if (!a.severity.empty()) {
      *out += "<span class=\"sev sev-";
      Esc(out, a.severity);
      *out += "\">";
      Esc(out, a.severity);
      *out += "</span> ";
    }
    *out += "<strong>";
    Esc(out, a.alertname);
    *out += "</strong>";
    if (a.state != "firing" && !a.state.empty()) {
      *out += " <span class=\"muted\">(";
      Esc(out, a.state);
      *out += ")</span>";
    }
    *out += " <span class=\"muted\">";
    Esc(out, OrDash(a.env));
    *out += " / ";
    Esc(out, OrDash(a.service));
    if (a.active_since_ms > 0 && data.generated_ms >= a.active_since_ms) {
      *out += " · for " + FormatDuration(data.generated_ms - a.active_since_ms);
    }
    *out += "</span>";
    if (!a.summary.empty()) {
      *out += "<span class=\"detail\">";
      Esc(out, a.summary);
      *out += "</span>";
    }
    *out += "</li>";
  }
  *out += "</ul></section>";
}

void AppendIncidents(std::string* out, const StatusPageData& data) {
  *out += "<section id=\"incidents\"><h2>Recent incidents</h2>";
  if (data.incidents.empty()) {
    *out += "<p class=\"muted\">No incidents recorded.</p></section>";
    return;
  }
  *out += "<ul class=\"items\">";
  for (const IncidentView& i : data.incidents) {
    *out += "<li class=\"incident\">";
    *out += i.resolved_ms > 0 || i.state == "resolved"
                ? "<span class=\"state state-up\">resolved</span> "
                : "<span class=\"state state-down\">open</span> ";
    *out += "<strong>";
    Esc(out, i.alertname);
    *out += "</strong> <span class=\"muted\">";
    Esc(out, OrDash(i.env));
    *out += " / ";
    Esc(out, OrDash(i.service));
    *out += "</span>";
    if (!i.summary.empty()) {
      *out += "<span class=\"detail\">";
      Esc(out, i.summary);
      *out += "</span>";
    }
    *out += "<span class=\"detail\">started " + FormatTimeUtc(i.started_ms);
    if (i.resolved_ms > 0) {
      *out += ", resolved " + FormatTimeUtc(i.resolved_ms) + " (lasted " +
              FormatDuration(i.resolved_ms - i.started_ms) + ")";
    }
    *out += "</span></li>";
  }
  *out += "</ul></section>";
}

void AppendServiceRow(std::string* out, const ServiceStatus& s, int64_t now) {
  *out += "<tr class=\"service\"><td class=\"svc\" data-label=\"Service\">";
  Esc(out, s.service.empty() ? "(no service label)" : s.service);
  *out += "</td><td data-label=\"State\"><span class=\"statebox\"><span class=\"" +
          StateClass(s.state) + "\">";
  Esc(out, ServiceStateName(s.state));
  *out += "</span>";
  if (s.state == ServiceState::kNoData) {
    *out += s.last_sample_ms > 0
                ? "<span class=\"detail\">last result " + FormatDuration(now - s.last_sample_ms) + " ago</span>"
                : "<span class=\"detail\">no recent probe result</span>";
  } else if (s.instances_total > 1 || s.state != ServiceState::kUp) {
    *out += fmt::format("<span class=\"detail\">{}/{} probes ok", s.instances_up,
                        s.instances_total);
    if (s.instances_known > s.instances_total) {
      *out += fmt::format(", {} silent", s.instances_known - s.instances_total);
    }
    if (s.state == ServiceState::kDegraded && s.failed_recently) *out += ", recent failures";
    *out += "</span>";
  }
  *out += "</span>";
  *out += "</td><td data-label=\"Version\">";
  if (s.versions.empty()) {
    *out += "<span class=\"muted\">—</span>";
  } else {
    for (size_t i = 0; i < s.versions.size(); ++i) {
      if (i) *out += ", ";
      *out += "<code>";
      Esc(out, s.versions[i]);
      *out += "</code>";
    }
  }
  *out += "</td><td class=\"num\" data-label=\"Uptime 24h\">" + FormatUptime(s.uptime_24h) +
          "</td><td class=\"num\" data-label=\"Uptime 7d\">" + FormatUptime(s.uptime_7d) +
          "</td><td class=\"num\" data-label=\"Uptime 30d\">" + FormatUptime(s.uptime_30d) +
          "</td><td data-label=\"Latency 1h\"><span class=\"spark\">" +
          RenderSparkline(s.latency_seconds) + "<span class=\"num\">" +
          (s.latency_now_seconds ? FormatLatency(*s.latency_now_seconds) : "—") +
          "</span></span></td></tr>";
}

}  // namespace

std::string FormatUptime(const std::optional<double>& fraction) {
  if (!fraction || std::isnan(*fraction)) return "—";
  double pct = std::clamp(*fraction, 0.0, 1.0) * 100;
  if (pct >= 100) return "100%";
  double truncated = std::floor(pct * 100) / 100;  // 99.999 -> 99.99, never 100.00
  return fmt::format("{:.2f}%", truncated);
}

std::string FormatLatency(double seconds) {
  if (std::isnan(seconds)) return "—";
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1000);
  return fmt::format("{:.2f} s", seconds);
}

std::string FormatTimeUtc(int64_t ms) {
  if (ms <= 0) return "—";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string FormatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  int64_t m = s / 60;
  if (m < 60) return fmt::format("{}m", m);
  int64_t h = m / 60;
  if (h < 24) return m % 60 ? fmt::format("{}h {}m", h, m % 60) : fmt::format("{}h", h);
  int64_t d = h / 24;
  return h % 24 ? fmt::format("{}d {}h", d, h % 24) : fmt::format("{}d", d);
}

std::string RenderSparkline(const std::vector<double>& points) {
  constexpr double kW = 120, kH = 28, kPad = 2;
  double max = 0;
  for (double v : points) {
    if (!std::isnan(v)) max = std::max(max, v);
  }
  std::string out = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" preserveAspectRatio=\"none\" role=\"img\" "
      "aria-label=\"probe duration over the last hour\">",
      kW, kH);
  if (points.size() < 2 || max <= 0) return out + "</svg>";
  std::string segment;
  int in_segment = 0;
  auto flush = [&] {
    if (in_segment >= 2) out += "<polyline points=\"" + segment + "\"/>";
    segment.clear();
    in_segment = 0;
  };
  for (size_t i = 0; i < points.size(); ++i) {
    if (std::isnan(points[i])) {
      flush();
      continue;
    }
    double x = kW * static_cast<double>(i) / static_cast<double>(points.size() - 1);
    double y = kH - kPad - (kH - 2 * kPad) * (points[i] / max);
    if (in_segment) segment += ' ';
    segment += fmt::format("{:.1f},{:.1f}", x, y);
    ++in_segment;
  }
  flush();
  return out + "</svg>";
}

std::string RenderStatusPageContent(const StatusPageData& data) {
  std::string out;
  out.reserve(4096 + data.services.size() * 900);
  std::map<ServiceState, int> counts;
  for (const auto& s : data.services) ++counts[s.state];
  out += "<p class=\"updated\">Updated " + FormatTimeUtc(data.generated_ms) + "</p>";
  out += "<div class=\"summary\">";
  for (ServiceState st : {ServiceState::kDown, ServiceState::kNoData, ServiceState::kDegraded,
                          ServiceState::kUp}) {
    out += fmt::format("<span class=\"pill\"><span class=\"{}\">{}</span> {}</span>",
                       StateClass(st), ServiceStateName(st), counts[st]);
  }
  out += "</div>";
  if (!data.errors.empty()) {
    out += "<section class=\"errors\"><h2>Some data could not be loaded</h2><ul>";
    for (const auto& e : data.errors) {
      out += "<li>";
      Esc(&out, e);
      out += "</li>";
    }
    out += "</ul></section>";
  }
  AppendAlerts(&out, data);
  // One section per environment; within it problems first, then by name.
  std::map<std::string, std::vector<const ServiceStatus*>> by_env;
  for (const auto& s : data.services) by_env[s.env].push_back(&s);
  if (by_env.empty()) {
    out += "<section><p class=\"muted\">No probe results yet. Point an abhra-probe at this "
           "aggregator.</p></section>";
  }
  for (auto& [env, services] : by_env) {
    std::stable_sort(services.begin(), services.end(),
                     [](const ServiceStatus* a, const ServiceStatus* b) {
                       return Severity(a->state) < Severity(b->state);
                     });
    out += "<section class=\"env\"><h2>Environment <span class=\"env-name\">";
    Esc(&out, env.empty() ? "(no env label)" : env);
    out += "</span></h2><table><thead><tr><th>Service</th><th>State</th><th>Version</th>"
           "<th>Uptime 24h</th><th>7d</th><th>30d</th><th>Latency (1h)</th></tr></thead><tbody>";
    for (const ServiceStatus* s : services) AppendServiceRow(&out, *s, data.generated_ms);
    out += "</tbody></table></section>";
  }
  AppendIncidents(&out, data);
  out += fmt::format(
      "<p class=\"muted\" id=\"render-info\">{} services · collected in {:.0f} ms with {} "
      "queries</p>",
      data.services.size(), data.collect_seconds * 1000, data.queries);
  return out;
}

std::string RenderStatusPageHtml(const StatusPageData& data, const StatusPageHtmlOptions& options) {
  std::string out;
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<title>";
  Esc(&out, options.title);
  out += "</title><style>";
  out += kCss;
  out += "</style></head><body><header><h1>";
  Esc(&out, options.title);
  out += "</h1><span id=\"refresh-state\">";
  if (options.refresh_seconds > 0) {
    out += fmt::format("auto-refresh every {} s", options.refresh_seconds);
  }
  out += "</span></header><main id=\"content\">";
  out += RenderStatusPageContent(data);
  out += "</main><footer>Abhra aggregator · <a href=\"/api/v1/status/page\">JSON</a> · "
         "<a href=\"/api/v1/provisioning/dashboards\">dashboards</a></footer>";
  if (options.refresh_seconds > 0) {
    // Swaps in server-rendered (escaped) content; a failed refresh is shown, so a page
    // that stopped updating never looks healthy.
    out += fmt::format(
        "<script{}>(function(){{var s=document.getElementById('refresh-state');"
        "function r(){{fetch('{}',{{cache:'no-store'}}).then(function(x){{"
        "if(!x.ok)throw new Error('HTTP '+x.status);return x.text();}}).then(function(t){{"
        "document.getElementById('content').innerHTML=t;s.className='';"
        "s.textContent='auto-refresh every {} s';}}).catch(function(e){{s.className='warn';"
        "s.textContent='refresh failed ('+e.message+'): data may be stale';}});}}"
        "setInterval(r,{});}})();</script>",
        options.script_nonce.empty() ? "" : " nonce=\"" + HtmlEscape(options.script_nonce) + "\"",
        options.partial_url, options.refresh_seconds, options.refresh_seconds * 1000);
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace abhra::web
