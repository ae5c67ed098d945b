#include "probe/check/http_check.h"

#include <strings.h>

#include <nlohmann/json.hpp>

namespace abhra::probe {

bool StatusCodeValid(const std::vector<StatusCodeRange>& valid, long status) {
  if (valid.empty()) return status >= 200 && status <= 299;
  for (const StatusCodeRange& r : valid) {
    if (status >= r.low && status <= r.high) return true;
  }
  return false;
}

std::string VersionFromHeader(const VersionSource& source, const HttpTransfer& transfer) {
  if (source.kind != VersionSource::Kind::kHeader) return "";
  auto v = transfer.Header(source.header);
  return v ? std::string(*v) : "";
}

Status HttpCheck::Prepare(CURL* easy) {
  return transfer_.Prepare(easy, target_.http.request, target_.timeout_ms);
}

CheckResult HttpCheck::Finish(CURL* easy, CURLcode code) {
  const HttpCheckConfig& cfg = target_.http;
  CheckResult result;
  result.success = code == CURLE_OK;
  transfer_.Complete(easy, code, &result);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  bool got_response = code == CURLE_OK && status > 0;

  bool regex_failed = false;
  std::optional<nlohmann::json> json;
  if (got_response) {
    if (!StatusCodeValid(cfg.valid_status_codes, status)) {
      result.Fail(reason::kStatusCode, fmt::format("status code {} is not valid", status));
    }
    char* scheme = nullptr;
    curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme);
    bool https = scheme != nullptr && strcasecmp(scheme, "https") == 0;
    if (cfg.fail_if_ssl && https) {
      result.Fail(reason::kSslForbidden, "the final response came over TLS (fail_if_ssl)");
    }
    if (cfg.fail_if_not_ssl && !https) {
      result.Fail(reason::kSslRequired, "the final response was not over TLS (fail_if_not_ssl)");
    }
    for (const HeaderMatch& m : cfg.fail_if_header_matches) {
      auto v = transfer_.Header(m.header);
      if (v && m.regexp.Search(*v)) {
        regex_failed = true;
        result.Fail(reason::kHeaderRegex,
                    fmt::format("header {} matched /{}/", m.header, m.regexp.pattern));
      }
    }
    for (const HeaderMatch& m : cfg.fail_if_header_not_matches) {
      auto v = transfer_.Header(m.header);
      if (!v) {
        if (!m.allow_missing) {
          regex_failed = true;
          result.Fail(reason::kHeaderRegex, fmt::format("header {} is missing", m.header));
        }
      } else if (!m.regexp.Search(*v)) {
        regex_failed = true;
        result.Fail(reason::kHeaderRegex,
                    fmt::format("header {} did not match /{}/", m.header, m.regexp.pattern));
      }
    }
    for (const Regex& re : cfg.fail_if_body_matches) {
      if (re.Search(transfer_.body())) {
        regex_failed = true;
        result.Fail(reason::kBodyRegex, fmt::format("body matched /{}/", re.pattern));
      }
    }
    for (const Regex& re : cfg.fail_if_body_not_matches) {
      if (!re.Search(transfer_.body())) {
        regex_failed = true;
        result.Fail(reason::kBodyRegex, fmt::format("body did not match /{}/", re.pattern));
      }
    }
    bool want_json = !cfg.json_conditions.empty() ||
                     cfg.version.kind == VersionSource::Kind::kJsonField;
    if (want_json) {
      nlohmann::json parsed = nlohmann::json::parse(transfer_.body(), nullptr, false);
      if (!parsed.is_discarded()) json = std::move(parsed);
    }
    if (!cfg.json_conditions.empty()) {
      if (!json) {
        result.Fail(reason::kJsonParse, "the body is not valid JSON");
      } else {
        for (const JsonCondition& c : cfg.json_conditions) {
          if (!c.Evaluate(*json)) {
            result.Fail(reason::kJsonCondition, fmt::format("JSON condition {} is false", c.text()));
          }
        }
      }
    }
    if (cfg.version.kind == VersionSource::Kind::kJsonField && json) {
      if (const nlohmann::json* v = cfg.version.json_field->Lookup(*json); v && !v->is_null()) {
        result.version = JsonScalarToString(*v);
      }
    } else {
      result.version = VersionFromHeader(cfg.version, transfer_);
    }
  }
  // Always present, as in blackbox_exporter (0 when no response was checked).
  result.Add("probe_failed_due_to_regex", regex_failed ? 1 : 0);
  return result;
}

}  // namespace abhra::probe
