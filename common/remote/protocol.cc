#include "common/remote/protocol.h"

#include <cctype>
#include <string>

namespace abhra::remote {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<ProtocolVersion> ProtocolFromContentType(std::string_view content_type) {
  std::string_view rest = content_type;
  size_t semi = rest.find(';');
  std::string_view media = Trim(rest.substr(0, semi));
  if (media.empty() && semi == std::string_view::npos) return ProtocolVersion::kV1;
  if (!EqualsIgnoreCase(media, "application/x-protobuf")) {
    return Status::InvalidArgument(fmt::format(
        "unsupported Content-Type \"{}\": want application/x-protobuf", content_type));
  }
  ProtocolVersion version = ProtocolVersion::kV1;
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = Trim(rest.substr(0, semi));
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string_view key = Trim(param.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!EqualsIgnoreCase(key, "proto")) continue;  // e.g. charset: ignored
    if (value == "prometheus.WriteRequest") {
      version = ProtocolVersion::kV1;
    } else if (value == "io.prometheus.write.v2.Request") {
      version = ProtocolVersion::kV2;
    } else {
      return Status::InvalidArgument(fmt::format(
          "unsupported remote-write proto \"{}\" in Content-Type: want prometheus.WriteRequest "
          "or io.prometheus.write.v2.Request",
          value));
    }
  }
  return version;
}

Status CheckContentEncoding(std::string_view content_encoding) {
  std::string_view e = Trim(content_encoding);
  if (e.empty() || EqualsIgnoreCase(e, kContentEncoding)) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("unsupported Content-Encoding \"{}\": want snappy", content_encoding));
}

}  // namespace abhra::remote
