// The outcome of one check (or scrape) of one target: success, why it failed, the
// application version seen, and the samples to report under blackbox_exporter's names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/labels/labels.h"

namespace abhra::probe {

// One sample of a check. `labels` holds only what is specific to the sample (phase="connect",
// version="TLS 1.3"); target, env and cluster labels are added when the result is pushed.
struct CheckSample {
  std::string name;
  std::vector<Label> labels;
  double value = 0;
};

// Why a check failed: the `reason` label of abhra_probe_failure_info. Stable strings.
namespace reason {
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kDns = "dns";
inline constexpr std::string_view kConnectRefused = "connect_refused";
inline constexpr std::string_view kConnect = "connect";
inline constexpr std::string_view kTls = "tls";
inline constexpr std::string_view kSslRequired = "ssl_required";   // fail_if_not_ssl
inline constexpr std::string_view kSslForbidden = "ssl_forbidden"; // fail_if_ssl
inline constexpr std::string_view kStatusCode = "status_code";
inline constexpr std::string_view kBodyRegex = "body_regex";
inline constexpr std::string_view kHeaderRegex = "header_regex";
inline constexpr std::string_view kJsonParse = "json_parse";
inline constexpr std::string_view kJsonCondition = "json_condition";
inline constexpr std::string_view kBodyTooLarge = "body_too_large";
inline constexpr std::string_view kTooManyRedirects = "redirects";
inline constexpr std::string_view kHttp = "http";                   // other protocol errors
inline constexpr std::string_view kScrapeParse = "scrape_parse";
inline constexpr std::string_view kSampleLimit = "sample_limit";
inline constexpr std::string_view kDnsRcode = "dns_rcode";    // DNS answer rcode not valid
inline constexpr std::string_view kDnsAnswer = "dns_answer";  // DNS answer records failed a regex
inline constexpr std::string_view kConfig = "config";  // e.g. unreadable password_file
}  // namespace reason

// A sample read from a scraped endpoint: its own labels (with __name__) and, if exposed, its
// own timestamp. Merged with the target's labels by honor_labels rules when reported.
struct ScrapedSample {
  Labels labels;
  double value = 0;
  int64_t timestamp_ms = -1;  // -1: none exposed, the scrape's timestamp applies
};

struct CheckResult {
  bool success = false;
  std::string failure_reason;  // one of reason::*; empty on success
  std::string failure_detail;  // a human sentence for logs ("status 503 not in 2xx")
  std::string version;         // application version when the target's version source found one
  double duration_seconds = 0;  // the whole check, including redirects
  std::vector<CheckSample> samples;  // probe_* samples except probe_success/probe_duration_seconds
  // Scrape targets only: what the endpoint exposed, and whether its labels win clashes.
  bool scrape = false;
  bool honor_labels = false;
  std::vector<ScrapedSample> scraped;

  void Add(std::string name, double value, std::vector<Label> labels = {}) {
    samples.push_back({std::move(name), std::move(labels), value});
  }
  void Fail(std::string_view why, std::string detail) {
    if (failure_reason.empty()) {  // the first failure is the reason
      failure_reason = std::string(why);
      failure_detail = std::move(detail);
    }
    success = false;
  }
};

}  // namespace abhra::probe
