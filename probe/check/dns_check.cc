#include "probe/check/dns_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <random>

namespace abhra::probe {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DnsCheck::~DnsCheck() {
  if (fd_ >= 0) ::close(fd_);
}

Status DnsCheck::Start() {
  const DnsCheckConfig& cfg = target_.dns;
  start_ns_ = NowNs();
  std::string host = cfg.server.substr(0, cfg.server.rfind(':'));
  int port = std::stoi(cfg.server.substr(cfg.server.rfind(':') + 1));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
    ipv6_ = true;
  } else {
    return Status::InvalidArgument(fmt::format("DNS server \"{}\" is not an IP address", cfg.server));
  }
  fd_ = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::FromErrno("DNS socket", errno);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return Status::FromErrno(fmt::format("connect to DNS server {}", cfg.server), errno);
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  id_ = static_cast<uint16_t>(rng());
  std::string query;
  ABHRA_RETURN_IF_ERROR(BuildDnsQuery(id_, cfg.query_name, cfg.query_type, &query));
  sent_ns_ = NowNs();
  if (::send(fd_, query.data(), query.size(), 0) != static_cast<ssize_t>(query.size())) {
    return Status::FromErrno(fmt::format("send to DNS server {}", cfg.server), errno);
  }
  return Status::Ok();
}

bool DnsCheck::OnReadable() {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      // ICMP port unreachable and the like: no answer will come.
      answered_ns_ = NowNs();
      response_ = Result<DnsResponse>(
          Status::FromErrno(fmt::format("receive from DNS server {}", target_.dns.server), errno));
      return true;
    }
    auto parsed = ParseDnsResponse(std::string_view(buf, static_cast<size_t>(n)));
    if (parsed.ok() && parsed->id != id_) continue;  // not ours (a late answer); keep waiting
    answered_ns_ = NowNs();
    response_ = std::move(parsed);
    return true;
  }
}

CheckResult DnsCheck::Finish(bool timed_out) {
  const DnsCheckConfig& cfg = target_.dns;
  CheckResult result;
  result.success = true;
  result.Add("probe_ip_protocol", ipv6_ ? 6 : 4);
  result.Add("probe_dns_lookup_time_seconds", 0);  // the server is an IP address
  auto phase = [&](std::string_view p, double v) {
    result.Add("probe_dns_duration_seconds", v, {{"phase", std::string(p)}});
  };
  phase("resolve", 0);
  phase("connect", sent_ns_ > start_ns_ ? static_cast<double>(sent_ns_ - start_ns_) / 1e9 : 0);
  phase("request", answered_ns_ > sent_ns_ ? static_cast<double>(answered_ns_ - sent_ns_) / 1e9 : 0);
  bool succeeded = false;
  if (timed_out || !response_) {
    result.Fail(reason::kTimeout, fmt::format("no answer from {} in time", cfg.server));
  } else if (!response_->ok()) {
    const Status& st = response_->status();
    result.Fail(st.Is(Status::Code::kCorruption) ? reason::kDnsAnswer : reason::kConnectRefused,
                st.message());
  } else {
    const DnsResponse& resp = response_->value();
    succeeded = true;
    result.Add("probe_dns_answer_rrs", static_cast<double>(resp.answers.size()));
    result.Add("probe_dns_authority_rrs", static_cast<double>(resp.authority.size()));
    result.Add("probe_dns_additional_rrs", static_cast<double>(resp.additional_count));
    if (resp.soa_serial >= 0) result.Add("probe_dns_serial", static_cast<double>(resp.soa_serial));
    bool rcode_ok = false;
    for (int code : cfg.valid_rcodes) rcode_ok |= code == resp.rcode;
    if (!rcode_ok) {
      result.Fail(reason::kDnsRcode, fmt::format("rcode {} is not valid", DnsRcodeName(resp.rcode)));
    }
    if (cfg.fail_if_no_answer && resp.answers.empty()) {
      result.Fail(reason::kDnsAnswer, "no answer records");
    }
    if (resp.answers.empty() &&
        (!cfg.fail_if_not_matches.empty() || !cfg.fail_if_none_matches.empty())) {
      result.Fail(reason::kDnsAnswer, "no answer records to match");
    }
    for (const Regex& re : cfg.fail_if_matches) {
      for (const DnsRecord& rec : resp.answers) {
        if (re.Search(rec.text)) {
          result.Fail(reason::kDnsAnswer, fmt::format("answer {} matched /{}/", rec.text, re.pattern));
        }
      }
    }
    for (const Regex& re : cfg.fail_if_not_matches) {
      for (const DnsRecord& rec : resp.answers) {
        if (!re.Search(rec.text)) {
          result.Fail(reason::kDnsAnswer,
                      fmt::format("answer {} did not match /{}/", rec.text, re.pattern));
        }
      }
    }
    for (const Regex& re : cfg.fail_if_all_match) {
      bool all = !resp.answers.empty();
      for (const DnsRecord& rec : resp.answers) all &= re.Search(rec.text);
      if (all) result.Fail(reason::kDnsAnswer, fmt::format("every answer matched /{}/", re.pattern));
    }
    for (const Regex& re : cfg.fail_if_none_matches) {
      bool any = false;
      for (const DnsRecord& rec : resp.answers) any |= re.Search(rec.text);
      if (!any) result.Fail(reason::kDnsAnswer, fmt::format("no answer matched /{}/", re.pattern));
    }
  }
  result.Add("probe_dns_query_succeeded", succeeded ? 1 : 0);
  return result;
}

}  // namespace abhra::probe
