#include "common/base/status.h"

#include <cstring>

namespace abhra {

std::string_view CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "InvalidArgument";
    case Status::Code::kNotFound: return "NotFound";
    case Status::Code::kCorruption: return "Corruption";
    case Status::Code::kIOError: return "IOError";
    case Status::Code::kOutOfOrder: return "OutOfOrder";
    case Status::Code::kOutOfBounds: return "OutOfBounds";
    case Status::Code::kDuplicate: return "Duplicate";
    case Status::Code::kTimeout: return "Timeout";
    case Status::Code::kUnavailable: return "Unavailable";
    case Status::Code::kResourceExhausted: return "ResourceExhausted";
    case Status::Code::kInternal: return "Internal";
    case Status::Code::kUnauthenticated: return "Unauthenticated";
    case Status::Code::kPermissionDenied: return "PermissionDenied";
  }
  return "Unknown";
}

Status Status::FromErrno(std::string_view what, int errno_value) {
  return IOError(fmt::format("{}: {}", what, std::strerror(errno_value)));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return fmt::format("{}: {}", CodeName(code_), message_);
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, fmt::format("{}: {}", context, message_));
}

}  // namespace abhra
