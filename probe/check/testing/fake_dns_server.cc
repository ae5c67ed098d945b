#include "probe/check/testing/fake_dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace abhra::probe::testing {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xffff));
}

}  // namespace

FakeDnsServer::FakeDnsServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

FakeDnsServer::~FakeDnsServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

void FakeDnsServer::Loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[512];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) continue;
    std::string q(buf, static_cast<size_t>(n));
    // The question name as text; the question section is echoed back as is.
    std::string name;
    size_t i = 12;
    for (; i < q.size() && q[i] != 0; i += static_cast<size_t>(q[i]) + 1) {
      name += q.substr(i + 1, static_cast<size_t>(q[i])) + ".";
    }
    size_t question_end = i + 1 + 4;
    if (name == "slow.test.") continue;
    std::string r = q.substr(0, 2);
    uint16_t rcode = name == "nx.test." ? 3 : 0;
    Put16(&r, static_cast<uint16_t>(0x8180 | rcode));  // QR RD RA
    Put16(&r, 1);
    uint16_t answers = name == "ok.test." ? 2 : name == "soa.test." ? 1 : 0;
    Put16(&r, answers);
    Put16(&r, 0);
    Put16(&r, 0);
    r += q.substr(12, question_end - 12);
    if (name == "ok.test.") {
      for (int last : {1, 2}) {
        Put16(&r, 0xC00C);
        Put16(&r, 1);
        Put16(&r, 1);
        Put32(&r, 300);
        Put16(&r, 4);
        r += std::string{static_cast<char>(192), 0, 2, static_cast<char>(last)};
      }
    } else if (name == "soa.test.") {
      Put16(&r, 0xC00C);
      Put16(&r, 6);
      Put16(&r, 1);
      Put32(&r, 60);
      std::string rdata;
      rdata += std::string("\x02ns\xC0\x0C", 5);  // ns.soa.test.
      rdata += std::string("\x05" "admin" "\xC0\x0C", 8);
      Put32(&rdata, 2024112301);
      for (int k = 0; k < 4; ++k) Put32(&rdata, 3600);
      Put16(&r, static_cast<uint16_t>(rdata.size()));
      r += rdata;
    }
    ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
}

}  // namespace abhra::probe::testing
