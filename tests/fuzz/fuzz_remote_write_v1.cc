// Fuzzes the remote-write 1.0 decoder: the input as raw protobuf (ParseWriteRequest), as a
// snappy body (DecodeWriteRequest) and snappy-compressed (so the protobuf parser is reached
// through the production entry point). Every view the decoder returns is read back, so ASan
// catches views that point outside the decoded bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/remote/snappy_block.h"
#include "common/remote/write_request_decoder.h"
#include "tests/fuzz/fuzz_util.h"

using namespace abhra::remote;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  DecodedWriteRequest req;
  if (ParseWriteRequest(in, &req).ok()) abhra::fuzz::TouchDecoded(req);
  req.Clear();
  if (DecodeWriteRequest(in, 1u << 20, &req).ok()) abhra::fuzz::TouchDecoded(req);
  std::string compressed;
  SnappyCompress(in, &compressed);
  req.Clear();
  abhra::Status st = DecodeWriteRequest(compressed, 1u << 20, &req);
  if (st.ok()) abhra::fuzz::TouchDecoded(req);
  return 0;
}
