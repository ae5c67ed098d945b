#include "probe/scrape/scrape_check.h"

#include <strings.h>

#include "common/textformat/text_parser.h"
#include "probe/check/http_check.h"
#include "probe/check/scheduler.h"

namespace abhra::probe {

std::unique_ptr<CurlCheck> MakeProbeCheck(const Target& target) {
  if (target.kind == TargetKind::kScrape) return std::make_unique<ScrapeCheck>(target);
  return MakeBuiltinCheck(target);
}

Status ScrapeCheck::Prepare(CURL* easy) {
  request_ = target_.scrape.request;
  bool has_accept = false;
  for (const auto& [k, v] : request_.headers) has_accept |= strcasecmp(k.c_str(), "Accept") == 0;
  if (!has_accept) {
    request_.headers.emplace_back("Accept", std::string(textformat::kScrapeAcceptHeader));
  }
  request_.headers.emplace_back("X-Prometheus-Scrape-Timeout-Seconds",
                                fmt::format("{:g}", static_cast<double>(target_.timeout_ms) / 1000));
  return transfer_.Prepare(easy, request_, target_.timeout_ms);
}

CheckResult ScrapeCheck::Finish(CURL* easy, CURLcode code) {
  const ScrapeConfig& cfg = target_.scrape;
  CheckResult result;
  result.scrape = true;
  result.honor_labels = cfg.honor_labels;
  result.success = true;
  if (code != CURLE_OK) {
    if (transfer_.body_too_large()) {
      result.Fail(reason::kBodyTooLarge, fmt::format("body larger than body_size_limit {} bytes",
                                                     request_.body_size_limit));
    } else {
      auto [why, detail] = ClassifyCurlError(easy, code);
      result.Fail(why, std::move(detail));
    }
    return result;
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    result.Fail(reason::kStatusCode, fmt::format("server returned HTTP status {}", status));
    return result;
  }
  auto content_type = transfer_.Header("Content-Type");
  textformat::Format format =
      textformat::FormatFromContentType(content_type ? *content_type : std::string_view());
  std::vector<textformat::ParsedSample> parsed;
  Status st = textformat::ParseTextFormat(transfer_.body(), format, &parsed, nullptr);
  if (!st.ok()) {
    result.Fail(reason::kScrapeParse, st.message());
    return result;
  }
  if (cfg.sample_limit > 0 && static_cast<int64_t>(parsed.size()) > cfg.sample_limit) {
    result.Fail(reason::kSampleLimit, fmt::format("{} samples exceed sample_limit {}",
                                                  parsed.size(), cfg.sample_limit));
    return result;
  }
  result.scraped.reserve(parsed.size());
  for (textformat::ParsedSample& s : parsed) {
    if (cfg.version.kind == VersionSource::Kind::kMetricLabel && result.version.empty() &&
        s.labels.MetricName() == cfg.version.metric) {
      result.version = std::string(s.labels.Get(cfg.version.label));
    }
    result.scraped.push_back({std::move(s.labels), s.value, s.timestamp_ms.value_or(-1)});
  }
  if (cfg.version.kind == VersionSource::Kind::kHeader) {
    result.version = VersionFromHeader(cfg.version, transfer_);
  }
  return result;
}

}  // namespace abhra::probe
