// A DNS check: one query over UDP to the configured server, judged like blackbox_exporter's
// dns prober (valid rcodes, regexes over the answer records). Reports
// probe_dns_duration_seconds{phase=resolve|connect|request}, probe_dns_lookup_time_seconds,
// probe_dns_answer_rrs, probe_dns_authority_rrs, probe_dns_additional_rrs,
// probe_dns_query_succeeded, probe_dns_serial (when an SOA is seen) and probe_ip_protocol.
#pragma once

#include <cstdint>
#include <optional>

#include "probe/check/curl_check.h"
#include "probe/check/dns_message.h"
#include "probe/config/config.h"

namespace abhra::probe {

class DnsCheck final : public CurlCheck, public SocketCheck {
 public:
  // REQUIRES: `target` outlives this object; target.kind is kDns.
  explicit DnsCheck(const Target& target) : target_(target) {}
  ~DnsCheck() override;

  SocketCheck* AsSocketCheck() override { return this; }
  Status Prepare(CURL*) override { return Status::Internal("DnsCheck is not a libcurl transfer"); }
  CheckResult Finish(CURL*, CURLcode) override { return {}; }

  Status Start() override;
  int fd() const override { return fd_; }
  bool OnReadable() override;
  CheckResult Finish(bool timed_out) override;

 private:
  const Target& target_;
  int fd_ = -1;
  bool ipv6_ = false;
  uint16_t id_ = 0;
  int64_t start_ns_ = 0;
  int64_t sent_ns_ = 0;
  int64_t answered_ns_ = 0;
  std::optional<Result<DnsResponse>> response_;
};

}  // namespace abhra::probe
