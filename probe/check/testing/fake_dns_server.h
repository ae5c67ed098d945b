// A canned DNS server for tests on 127.0.0.1 (UDP, a free port). It answers
//   ok.test   A    192.0.2.1 and 192.0.2.2 (TTL 300)
//   soa.test  SOA  ns.soa.test. admin.soa.test. serial 2024112301
//   nx.test   NXDOMAIN
//   slow.test never
// and NOERROR with no records for anything else.
#pragma once

#include <atomic>
#include <thread>

namespace abhra::probe::testing {

class FakeDnsServer {
 public:
  FakeDnsServer();
  ~FakeDnsServer();
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;
  int port() const { return port_; }

 private:
  void Loop();
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace abhra::probe::testing
