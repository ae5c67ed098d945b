// Remote-write 1.0 decoding through the protoc-generated classes. This is the reference the
// hand-rolled decoder is tested and benchmarked against (bench/micro/codec_bench.cc); the
// hand-rolled one is the production path because it is faster (see docs/remote_write.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/remote/decoded_write_request.h"

namespace abhra::prompb {
class WriteRequest;
}  // namespace abhra::prompb

namespace abhra::remote {

// Keeps one parsed message and reuses it. The views it fills point into that message, so they
// are valid until the next Decode/Parse call on the same decoder. Not thread-safe.
class ProtobufWriteRequestDecoder {
 public:
  ProtobufWriteRequestDecoder();
  ~ProtobufWriteRequestDecoder();
  ProtobufWriteRequestDecoder(const ProtobufWriteRequestDecoder&) = delete;
  ProtobufWriteRequestDecoder& operator=(const ProtobufWriteRequestDecoder&) = delete;

  Status Decode(std::string_view snappy_body, size_t max_decoded_bytes, DecodedWriteRequest* out);
  Status Parse(std::string_view protobuf, DecodedWriteRequest* out);
  // Only parses into message(); no views.
  Status ParseMessageOnly(std::string_view protobuf);

  const prompb::WriteRequest& message() const { return *message_; }

 private:
  std::string buffer_;
  std::unique_ptr<prompb::WriteRequest> message_;
};

}  // namespace abhra::remote
