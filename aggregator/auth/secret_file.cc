#include "aggregator/auth/secret_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace abhra::auth {

Result<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(fmt::format("cannot read {} {}", what, path), errno);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::FromErrno(fmt::format("cannot read {} {}", what, path), errno);
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.empty()) return Status::InvalidArgument(fmt::format("{} {} is empty", what, path));
  if (secret.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("{} {} must hold one line (the token), it has several", what, path));
  }
  return secret;
}

}  // namespace abhra::auth
