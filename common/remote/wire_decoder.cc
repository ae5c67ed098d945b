#include "common/remote/wire_decoder.h"

namespace abhra::remote::internal {
namespace {
constexpr int kMaxGroupDepth = 64;
}  // namespace

std::string WireDecoder::Where() const {
  return series_ >= 0 ? fmt::format(" (series {})", series_) : std::string();
}

bool WireDecoder::FailVarint(const char* at, wire::VarintResult r) {
  if (r == wire::VarintResult::kTruncated) {
    return Fail(Status::InvalidArgument(
        fmt::format("remote-write: truncated varint at byte {}{}", Offset(at), Where())));
  }
  return Fail(Status::InvalidArgument(fmt::format(
      "remote-write: malformed varint (longer than 10 bytes) at byte {}{}", Offset(at), Where())));
}

bool WireDecoder::FailTag(const char* at, const char* message, uint64_t tag) {
  uint64_t field = tag >> 3;
  if (field == 0) {
    return Fail(Status::InvalidArgument(fmt::format(
        "protobuf: invalid field number 0 in {} at byte {}{}", message, Offset(at), Where())));
  }
  if (field > wire::kMaxFieldNumber) {
    return Fail(Status::InvalidArgument(
        fmt::format("protobuf: field number {} in {} exceeds 2^29-1 at byte {}{}", field, message,
                    Offset(at), Where())));
  }
  return Fail(Status::InvalidArgument(
      fmt::format("protobuf: invalid wire type {} for field {} of {} at byte {}{}", tag & 7, field,
                  message, Offset(at), Where())));
}

bool WireDecoder::FailType(const char* at, const char* message, uint32_t field, uint32_t got,
                           uint32_t want) {
  return Fail(Status::InvalidArgument(
      fmt::format("protobuf: field {} of {} has wire type {}, want {} at byte {}{}", field, message,
                  got, want, Offset(at), Where())));
}

bool WireDecoder::FailLength(const char* at, const char* message, uint32_t field, uint64_t len,
                             uint64_t left) {
  return Fail(Status::InvalidArgument(fmt::format(
      "remote-write: length {} of field {} of {} at byte {} runs past the end ({} bytes left){}",
      len, field, message, Offset(at), left, Where())));
}

bool WireDecoder::FailFixed(const char* at, const char* message, uint32_t field, size_t want,
                            size_t left) {
  return Fail(Status::InvalidArgument(
      fmt::format("remote-write: truncated fixed{} field {} of {} at byte {} ({} bytes left){}",
                  want * 8, field, message, Offset(at), left, Where())));
}

bool WireDecoder::FailUtf8(const char* at, const char* message, uint32_t field) {
  return Fail(Status::InvalidArgument(
      fmt::format("protobuf: string field {} of {} at byte {} is not valid UTF-8{}", field,
                  message, Offset(at), Where())));
}

bool WireDecoder::SkipField(const char** p, const char* end, const char* message,
                            uint32_t field, uint32_t type, int depth) {
  switch (type) {
    case wire::kVarint: {
      uint64_t ignored;
      return ReadVarint(p, end, &ignored);
    }
    case wire::kFixed64: {
      uint64_t ignored;
      return ReadFixed64(p, end, message, field, &ignored);
    }
    case wire::kLengthDelimited: {
      std::string_view ignored;
      return ReadLengthDelimited(p, end, message, field, &ignored);
    }
    case wire::kFixed32:
      if (end - *p < 4) {
        return FailFixed(*p, message, field, 4, static_cast<size_t>(end - *p));
      }
      *p += 4;
      return true;
    case wire::kStartGroup: {
      if (depth >= kMaxGroupDepth) {
        return Fail(Status::InvalidArgument(
            fmt::format("protobuf: groups nested deeper than {} at byte {}{}", kMaxGroupDepth,
                        Offset(*p), Where())));
      }
      const char* group_at = *p;
      while (*p < end) {
        uint32_t f, t;
        if (!ReadTag(p, end, "group", &f, &t)) return false;
        if (t == wire::kEndGroup) {
          if (f != field) {
            return Fail(Status::InvalidArgument(fmt::format(
                "protobuf: end-group tag for field {} closes group {} at byte {}{}", f, field,
                Offset(*p), Where())));
          }
          return true;
        }
        if (!SkipField(p, end, "group", f, t, depth + 1)) return false;
      }
      return Fail(Status::InvalidArgument(
          fmt::format("remote-write: unterminated group (field {} of {}) starting at byte {}{}",
                      field, message, Offset(group_at), Where())));
    }
    case wire::kEndGroup:
      return Fail(Status::InvalidArgument(
          fmt::format("protobuf: unexpected end-group tag for field {} in {} at byte {}{}", field,
                      message, Offset(*p), Where())));
  }
  return Fail(Status::Internal(fmt::format("protobuf: wire type {} not handled", type)));
}

}  // namespace abhra::remote::internal
