// Snappy block format (not the framed/stream format), as remote-write bodies use it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace abhra::remote {

// Remote-write receivers commonly cap a decoded body at 32 MiB.
inline constexpr size_t kDefaultMaxDecodedBytes = 32u << 20;

// Appends the snappy block encoding of `raw` to *dst.
void SnappyCompress(std::string_view raw, std::string* dst);

// The decoded length that the block's header declares, without decoding.
// InvalidArgument if the header is unreadable.
Result<size_t> SnappyDecodedLength(std::string_view compressed);

// Decodes `compressed` into *out, which is resized to exactly the decoded length (its
// capacity is reused). The declared length is checked against `max_decoded_bytes` before
// anything is allocated, so a small body cannot make us allocate gigabytes.
// Errors: InvalidArgument for corrupt input ("snappy: corrupt input (...)"),
// ResourceExhausted when the declared length exceeds the limit.
Status SnappyDecompress(std::string_view compressed, size_t max_decoded_bytes, std::string* out);

// As above, but decodes into the first n bytes of *out, growing it only when it is too small
// and never shrinking it; sets *decoded_len = n. This avoids zero-filling a reused buffer on
// every request.
Status SnappyDecompressInto(std::string_view compressed, size_t max_decoded_bytes,
                            std::string* out, size_t* decoded_len);

}  // namespace abhra::remote
