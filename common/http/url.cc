#include "common/http/url.h"

namespace abhra::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument(
            fmt::format("invalid percent-escape \"{}\" at offset {}", in.substr(i, 3), i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view in, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else if (c == ' ' && space_as_plus) {
      out.push_back('+');
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Status ParseQueryString(std::string_view query, Params* params) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto name = PercentDecode(raw_name, /*plus_as_space=*/true);
    if (!name.ok()) {
      return name.status().WithContext(fmt::format("cannot decode parameter name \"{}\"", raw_name));
    }
    auto value = PercentDecode(raw_value, /*plus_as_space=*/true);
    if (!value.ok()) {
      return value.status().WithContext(
          fmt::format("cannot decode value of parameter \"{}\"", *name));
    }
    params->Add(std::move(*name), std::move(*value));
  }
  return Status::Ok();
}

bool IsFormContentType(std::string_view content_type) {
  std::string_view media = TrimSpaces(content_type.substr(0, content_type.find(';')));
  return EqualsIgnoreCase(media, "application/x-www-form-urlencoded");
}

Result<Params> ParseForm(const Request& request) {
  Params params;
  bool body_may_have_form =
      request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
  if (body_may_have_form && IsFormContentType(request.headers.GetOr("Content-Type"))) {
    Status s = ParseQueryString(request.body, &params);
    if (!s.ok()) return s.WithContext("invalid form body");
  }
  Status s = ParseQueryString(request.raw_query, &params);
  if (!s.ok()) return s.WithContext("invalid URL query");
  return params;
}

}  // namespace abhra::http
