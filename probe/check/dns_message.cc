#include "probe/check/dns_message.h"

#include <arpa/inet.h>

#include <array>

namespace abhra::probe {
namespace {

struct TypeName {
  uint16_t type;
  std::string_view name;
};
constexpr std::array<TypeName, 9> kTypes = {{{1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"},
                                             {12, "PTR"}, {15, "MX"}, {16, "TXT"}, {28, "AAAA"},
                                             {33, "SRV"}}};
constexpr std::array<std::string_view, 6> kRcodes = {"NOERROR", "FORMERR", "SERVFAIL",
                                                     "NXDOMAIN", "NOTIMP", "REFUSED"};

class Reader {
 public:
  explicit Reader(std::string_view msg) : msg_(msg) {}
  bool U8(size_t* pos, uint8_t* v) const {
    if (*pos + 1 > msg_.size()) return false;
    *v = static_cast<uint8_t>(msg_[(*pos)++]);
    return true;
  }
  bool U16(size_t* pos, uint16_t* v) const {
    if (*pos + 2 > msg_.size()) return false;
    *v = static_cast<uint16_t>((static_cast<uint8_t>(msg_[*pos]) << 8) | static_cast<uint8_t>(msg_[*pos + 1]));
    *pos += 2;
    return true;
  }
  bool U32(size_t* pos, uint32_t* v) const {
    uint16_t hi, lo;
    if (!U16(pos, &hi) || !U16(pos, &lo)) return false;
    *v = (static_cast<uint32_t>(hi) << 16) | lo;
    return true;
  }
  // A possibly compressed name at *pos; *pos moves past it (not past pointer targets).
  bool Name(size_t* pos, std::string* out) const {
    out->clear();
    size_t p = *pos;
    bool jumped = false;
    for (int hops = 0; hops < 64; ++hops) {
      uint8_t len;
      if (!U8(&p, &len)) return false;
      if ((len & 0xC0) == 0xC0) {
        uint8_t lo;
        if (!U8(&p, &lo)) return false;
        if (!jumped) *pos = p;
        jumped = true;
        p = (static_cast<size_t>(len & 0x3F) << 8) | lo;
        continue;
      }
      if (len == 0) {
        if (!jumped) *pos = p;
        if (out->empty()) *out = ".";
        return true;
      }
      if (p + len > msg_.size()) return false;
      out->append(msg_.substr(p, len));
      out->push_back('.');
      p += len;
    }
    return false;  // a pointer loop
  }
  std::string_view Bytes(size_t pos, size_t n) const { return msg_.substr(pos, n); }
  size_t size() const { return msg_.size(); }

 private:
  std::string_view msg_;
};

Status Bad(size_t pos, std::string_view what) {
  return Status::Corruption(fmt::format("malformed DNS response at byte {}: {}", pos, what));
}

}  // namespace

uint16_t DnsTypeFromName(std::string_view name) {
  for (const TypeName& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return 0;
}

std::string DnsTypeName(uint16_t type) {
  for (const TypeName& t : kTypes) {
    if (t.type == type) return std::string(t.name);
  }
  return fmt::format("TYPE{}", type);
}

int DnsRcodeFromName(std::string_view name) {
  for (size_t i = 0; i < kRcodes.size(); ++i) {
    if (kRcodes[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string DnsRcodeName(int rcode) {
  if (rcode >= 0 && rcode < static_cast<int>(kRcodes.size())) return std::string(kRcodes[rcode]);
  return fmt::format("RCODE{}", rcode);
}

Status BuildDnsQuery(uint16_t id, std::string_view name, uint16_t type, std::string* dst) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > 253) return Status::InvalidArgument(fmt::format("DNS name too long: {}", name));
  auto put16 = [&](uint16_t v) {
    dst->push_back(static_cast<char>(v >> 8));
    dst->push_back(static_cast<char>(v & 0xff));
  };
  put16(id);
  put16(0x0100);  // RD
  put16(1);       // QDCOUNT
  put16(0);
  put16(0);
  put16(0);
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      return Status::InvalidArgument(fmt::format("bad DNS label \"{}\"", label));
    }
    dst->push_back(static_cast<char>(label.size()));
    dst->append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  dst->push_back('\0');
  put16(type);
  put16(1);  // IN
  return Status::Ok();
}

Result<DnsResponse> ParseDnsResponse(std::string_view message) {
  Reader r(message);
  DnsResponse resp;
  size_t pos = 0;
  uint16_t flags, qd, an, ns, ar;
  if (!r.U16(&pos, &resp.id) || !r.U16(&pos, &flags) || !r.U16(&pos, &qd) || !r.U16(&pos, &an) ||
      !r.U16(&pos, &ns) || !r.U16(&pos, &ar)) {
    return Bad(pos, "short header");
  }
  if ((flags & 0x8000) == 0) return Bad(2, "not a response");
  resp.rcode = flags & 0x000F;
  resp.truncated = (flags & 0x0200) != 0;
  resp.additional_count = ar;
  std::string name;
  for (int i = 0; i < qd; ++i) {
    uint16_t qtype, qclass;
    if (!r.Name(&pos, &name) || !r.U16(&pos, &qtype) || !r.U16(&pos, &qclass)) {
      return Bad(pos, "truncated question");
    }
  }
  for (int section = 0; section < 2; ++section) {
    int count = section == 0 ? an : ns;
    for (int i = 0; i < count; ++i) {
      DnsRecord rec;
      uint16_t klass, rdlength;
      if (!r.Name(&pos, &rec.name) || !r.U16(&pos, &rec.type) || !r.U16(&pos, &klass) ||
          !r.U32(&pos, &rec.ttl) || !r.U16(&pos, &rdlength) || pos + rdlength > r.size()) {
        return Bad(pos, "truncated record");
      }
      size_t rd = pos;
      std::string rdata;
      std::string target;
      switch (rec.type) {
        case 1: {
          if (rdlength != 4) return Bad(rd, "A record is not 4 bytes");
          char buf[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, r.Bytes(rd, 4).data(), buf, sizeof buf);
          rdata = buf;
          break;
        }
        case 28: {
          if (rdlength != 16) return Bad(rd, "AAAA record is not 16 bytes");
          char buf[INET6_ADDRSTRLEN];
          inet_ntop(AF_INET6, r.Bytes(rd, 16).data(), buf, sizeof buf);
          rdata = buf;
          break;
        }
        case 2:
        case 5:
        case 12: {
          size_t p = rd;
          if (!r.Name(&p, &rdata)) return Bad(rd, "bad name in record data");
          break;
        }
        case 15: {
          size_t p = rd;
          uint16_t pref;
          if (!r.U16(&p, &pref) || !r.Name(&p, &target)) return Bad(rd, "bad MX record");
          rdata = fmt::format("{} {}", pref, target);
          break;
        }
        case 6: {
          size_t p = rd;
          std::string mname, rname;
          uint32_t serial, refresh, retry, expire, minimum;
          if (!r.Name(&p, &mname) || !r.Name(&p, &rname) || !r.U32(&p, &serial) ||
              !r.U32(&p, &refresh) || !r.U32(&p, &retry) || !r.U32(&p, &expire) ||
              !r.U32(&p, &minimum)) {
            return Bad(rd, "bad SOA record");
          }
          if (resp.soa_serial < 0) resp.soa_serial = serial;
          rdata = fmt::format("{} {} {} {} {} {} {}", mname, rname, serial, refresh, retry, expire,
                              minimum);
          break;
        }
        case 16: {
          size_t p = rd;
          while (p < rd + rdlength) {
            uint8_t len;
            if (!r.U8(&p, &len) || p + len > rd + rdlength) return Bad(p, "bad TXT record");
            rdata += fmt::format("{}\"{}\"", rdata.empty() ? "" : " ", r.Bytes(p, len));
            p += len;
          }
          break;
        }
        default: {
          rdata = fmt::format("\\# {}", rdlength);
          for (unsigned char c : r.Bytes(rd, rdlength)) rdata += fmt::format(" {:02x}", c);
        }
      }
      pos = rd + rdlength;
      rec.text = fmt::format("{}\t{}\tIN\t{}\t{}", rec.name, rec.ttl, DnsTypeName(rec.type), rdata);
      (section == 0 ? resp.answers : resp.authority).push_back(std::move(rec));
    }
  }
  return resp;
}

}  // namespace abhra::probe
