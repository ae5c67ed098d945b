// Just enough of the DNS wire format (RFC 1035) for a probe: build one query, parse the
// answer's header and records. Records are rendered as text the way blackbox_exporter's
// regexes see them: "<name>.\t<ttl>\tIN\t<TYPE>\t<rdata>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::probe {

// "A" → 1, "AAAA" → 28, ...; 0 when unknown. Accepts A AAAA CNAME MX NS PTR SOA SRV TXT.
uint16_t DnsTypeFromName(std::string_view name);
std::string DnsTypeName(uint16_t type);
// "NOERROR" → 0, "FORMERR" 1, "SERVFAIL" 2, "NXDOMAIN" 3, "NOTIMP" 4, "REFUSED" 5; -1 unknown.
int DnsRcodeFromName(std::string_view name);
std::string DnsRcodeName(int rcode);

// Appends a recursive (RD) query for `name` and `type` with the given id to *dst.
// InvalidArgument for a label longer than 63 bytes or a name longer than 253.
Status BuildDnsQuery(uint16_t id, std::string_view name, uint16_t type, std::string* dst);

struct DnsRecord {
  std::string name;  // with the trailing dot
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string text;  // the whole record as text (see above)
};

struct DnsResponse {
  uint16_t id = 0;
  int rcode = 0;
  bool truncated = false;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authority;
  uint16_t additional_count = 0;
  int64_t soa_serial = -1;  // from the first SOA in answer or authority, -1 if none
};

// Corruption for malformed messages (with the byte offset).
Result<DnsResponse> ParseDnsResponse(std::string_view message);

}  // namespace abhra::probe
