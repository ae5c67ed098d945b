// Internal to common/remote: a protobuf wire cursor with position-aware errors, shared by the
// hand-rolled 1.0 and 2.0 decoders. Methods return false after recording an error; the
// caller stops and returns TakeError().
#pragma once

#include <cstdint>
#include <string_view>

#include "common/base/status.h"
#include "common/remote/protobuf_wire.h"

namespace abhra::remote::internal {

class WireDecoder {
 public:
  explicit WireDecoder(std::string_view buffer) : base_(buffer.data()) {}

  Status TakeError() { return std::move(error_); }
  size_t Offset(const char* p) const { return static_cast<size_t>(p - base_); }
  // Index of the series being decoded, for error messages; -1 outside a series.
  void set_series(int64_t index) { series_ = index; }

  bool ReadVarint(const char** p, const char* end, uint64_t* v) {
    const char* start = *p;
    wire::VarintResult r = wire::ReadVarint(p, end, v);
    if (r == wire::VarintResult::kOk) [[likely]] {
      return true;
    }
    return FailVarint(start, r);
  }

  // Reads a tag; fails on field number 0, field numbers above 2^29-1 and wire types 6/7.
  bool ReadTag(const char** p, const char* end, const char* message, uint32_t* field,
               uint32_t* type) {
    const char* start = *p;
    uint64_t tag = 0;
    if (!ReadVarint(p, end, &tag)) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<uint32_t>(tag & 7);
    if ((tag >> 3) == 0 || (tag >> 3) > wire::kMaxFieldNumber || *type > 5) [[unlikely]] {
      return FailTag(start, message, tag);
    }
    return true;
  }

  bool ExpectType(const char* tag_at, const char* message, uint32_t field, uint32_t got,
                  uint32_t want) {
    if (got == want) [[likely]] {
      return true;
    }
    return FailType(tag_at, message, field, got, want);
  }

  // Reads a length prefix and the payload it covers.
  bool ReadLengthDelimited(const char** p, const char* end, const char* message,
                           uint32_t field, std::string_view* payload) {
    const char* start = *p;
    uint64_t len = 0;
    if (!ReadVarint(p, end, &len)) return false;
    if (len > static_cast<uint64_t>(end - *p)) [[unlikely]] {
      return FailLength(start, message, field, len, static_cast<uint64_t>(end - *p));
    }
    *payload = std::string_view(*p, len);
    *p += len;
    return true;
  }

  bool ReadFixed64(const char** p, const char* end, const char* message, uint32_t field,
                   uint64_t* v) {
    if (end - *p < 8) [[unlikely]] {
      return FailFixed(*p, message, field, 8, static_cast<size_t>(end - *p));
    }
    *v = wire::LoadFixed64(*p);
    *p += 8;
    return true;
  }

  bool ReadString(const char** p, const char* end, const char* message, uint32_t field,
                  std::string_view* s) {
    const char* start = *p;
    if (!ReadLengthDelimited(p, end, message, field, s)) return false;
    if (!wire::IsValidUtf8(*s)) [[unlikely]] {
      return FailUtf8(start, message, field);
    }
    return true;
  }

  // Skips the payload of a field with wire type `type` whose tag was just read.
  bool SkipField(const char** p, const char* end, const char* message, uint32_t field,
                 uint32_t type, int depth = 0);

  bool Fail(Status s) {
    error_ = std::move(s);
    return false;
  }

 private:
  [[gnu::cold]] bool FailVarint(const char* at, wire::VarintResult r);
  [[gnu::cold]] bool FailTag(const char* at, const char* message, uint64_t tag);
  [[gnu::cold]] bool FailType(const char* at, const char* message, uint32_t field,
                              uint32_t got, uint32_t want);
  [[gnu::cold]] bool FailLength(const char* at, const char* message, uint32_t field,
                                uint64_t len, uint64_t left);
  [[gnu::cold]] bool FailFixed(const char* at, const char* message, uint32_t field, size_t want,
                               size_t left);
  [[gnu::cold]] bool FailUtf8(const char* at, const char* message, uint32_t field);
  std::string Where() const;

  const char* base_;
  int64_t series_ = -1;
  Status error_;
};

}  // namespace abhra::remote::internal
