#include "common/http/bearer.h"

#include "common/http/headers.h"

namespace abhra::http {

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer";
  if (authorization.size() <= kScheme.size() ||
      !EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

bool ConstantTimeEquals(std::string_view presented, std::string_view secret) {
  // volatile keeps the compiler from turning the loop into an early-exit compare.
  volatile unsigned char diff = presented.size() == secret.size() ? 0 : 1;
  const size_t n = presented.size();
  for (size_t i = 0; i < secret.size(); ++i) {
    unsigned char p = n == 0 ? 0 : static_cast<unsigned char>(presented[i % n]);
    diff = diff | static_cast<unsigned char>(p ^ static_cast<unsigned char>(secret[i]));
  }
  return diff == 0;
}

}  // namespace abhra::http
