// Bearer-token credentials (RFC 6750): parsing the Authorization header and comparing a
// presented token with a secret without leaking where they differ.
#pragma once

#include <optional>
#include <string_view>

namespace abhra::http {

// The token of an `Authorization: Bearer <token>` value; nullopt when the value is not a
// Bearer credential or the token is empty. The scheme is matched case-insensitively.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// presented == secret, in a time that depends only on secret.size(): no early exit at the
// first differing byte, and a wrong length takes as long as a wrong byte.
bool ConstantTimeEquals(std::string_view presented, std::string_view secret);

}  // namespace abhra::http
