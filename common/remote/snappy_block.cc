#include "common/remote/snappy_block.h"

#include <snappy.h>

namespace abhra::remote {

void SnappyCompress(std::string_view raw, std::string* dst) {
  size_t old = dst->size();
  dst->resize(old + snappy::MaxCompressedLength(raw.size()));
  size_t n = 0;
  snappy::RawCompress(raw.data(), raw.size(), dst->data() + old, &n);
  dst->resize(old + n);
}

Result<size_t> SnappyDecodedLength(std::string_view compressed) {
  size_t n = 0;
  if (compressed.empty()) {
    return Status::InvalidArgument("snappy: corrupt input (empty body, no length header)");
  }
  if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n)) {
    return Status::InvalidArgument(fmt::format(
        "snappy: corrupt input (unreadable length header in {} byte body)", compressed.size()));
  }
  return n;
}

Status SnappyDecompressInto(std::string_view compressed, size_t max_decoded_bytes,
                            std::string* out, size_t* decoded_len) {
  ABHRA_ASSIGN_OR_RETURN(size_t n, SnappyDecodedLength(compressed));
  if (n > max_decoded_bytes) {
    return Status::ResourceExhausted(fmt::format(
        "snappy: corrupt input (decoded length {} exceeds limit {})", n, max_decoded_bytes));
  }
  if (out->size() < n) out->resize(n);
  if (!snappy::RawUncompress(compressed.data(), compressed.size(), out->data())) {
    return Status::InvalidArgument(fmt::format(
        "snappy: corrupt input (cannot decode {} byte body to the declared {} bytes)",
        compressed.size(), n));
  }
  *decoded_len = n;
  return Status::Ok();
}

Status SnappyDecompress(std::string_view compressed, size_t max_decoded_bytes,
                        std::string* out) {
  size_t n = 0;
  ABHRA_RETURN_IF_ERROR(SnappyDecompressInto(compressed, max_decoded_bytes, out, &n));
  out->resize(n);
  return Status::Ok();
}

}  // namespace abhra::remote
