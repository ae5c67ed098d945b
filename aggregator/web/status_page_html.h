// HTML of the on-call status page: one self-contained document (inline CSS, inline SVG
// sparklines, a small inline script that refreshes the content), no external resources.
// Every value that comes from data (label values, versions, alert and incident texts) is
// HTML-escaped.
#pragma once

#include <string>

#include "aggregator/web/status_model.h"

namespace abhra::web {

struct StatusPageHtmlOptions {
  std::string title = "Abhra status";
  int refresh_seconds = 30;  // the script reloads the content this often; 0 = never
  std::string partial_url = "/?partial=1";
  // The Content-Security-Policy nonce of the inline script; empty = no nonce attribute.
  std::string script_nonce;
};

// The whole document.
std::string RenderStatusPageHtml(const StatusPageData& data, const StatusPageHtmlOptions& options);
// Only the content (<main>'s inside), which the refresh script swaps in.
std::string RenderStatusPageContent(const StatusPageData& data);
// The inline SVG sparkline for one series of points (NaN = gap). Exposed for tests.
std::string RenderSparkline(const std::vector<double>& points);
// "99.95%", "100%", "—" (truncated, never rounded up to 100%). Exposed for tests.
std::string FormatUptime(const std::optional<double>& fraction);
// "250 ms", "1.25 s". Exposed for tests.
std::string FormatLatency(double seconds);
// "2026-11-23 10:22 UTC".
std::string FormatTimeUtc(int64_t ms);
// "3m", "2h 5m", "4d 3h".
std::string FormatDuration(int64_t ms);

}  // namespace abhra::web
