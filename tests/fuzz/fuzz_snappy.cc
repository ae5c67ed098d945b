// Fuzzes the snappy block decoder (remote-write bodies): arbitrary input must decode or fail
// cleanly, never over-allocate past the limit; and compress → decompress is the identity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/remote/snappy_block.h"

using namespace abhra::remote;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr size_t kLimit = 1u << 20;

  auto len = SnappyDecodedLength(in);
  std::string out;
  abhra::Status st = SnappyDecompress(in, kLimit, &out);
  if (st.ok()) {
    if (!len.ok() || *len != out.size() || out.size() > kLimit) std::abort();
  }
  // The reusing variant must agree with the plain one, also on a dirty, larger buffer.
  std::string reused(64, 'x');
  size_t n = 0;
  abhra::Status st2 = SnappyDecompressInto(in, kLimit, &reused, &n);
  if (st.ok() != st2.ok()) std::abort();
  if (st.ok() && std::string_view(reused).substr(0, n) != out) std::abort();

  std::string compressed;
  SnappyCompress(in, &compressed);
  std::string round;
  if (!SnappyDecompress(compressed, size + 1, &round).ok() || round != in) std::abort();
  return 0;
}
