// Scraping a Prometheus text 0.0.4 or OpenMetrics 1.0 endpoint (by Content-Type) as one
// check. The result carries the exposed samples (CheckResult::scraped) and the version from
// a metric label or header; `up`, `scrape_duration_seconds` and `scrape_samples_scraped` are
// added when the result is reported (see probe/report). A non-2xx status, a body that does not
// parse, or more samples than sample_limit fail the scrape and drop every sample, as
// Prometheus does.
#pragma once

#include "probe/check/curl_check.h"
#include "probe/check/http_transfer.h"
#include "probe/config/config.h"

namespace abhra::probe {

class ScrapeCheck final : public CurlCheck {
 public:
  // REQUIRES: `target` outlives this object; target.kind is kScrape.
  explicit ScrapeCheck(const Target& target) : target_(target) {}
  Status Prepare(CURL* easy) override;
  CheckResult Finish(CURL* easy, CURLcode code) override;

 private:
  const Target& target_;
  HttpRequestConfig request_;  // the target's, plus the Accept header
  HttpTransfer transfer_;
};

// MakeBuiltinCheck plus scrape targets: the factory the probe uses.
std::unique_ptr<CurlCheck> MakeProbeCheck(const Target& target);

}  // namespace abhra::probe
