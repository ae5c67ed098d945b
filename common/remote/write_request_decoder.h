// Hand-rolled, zero-copy remote-write decoders: the production ingest path.
//
// Decode* take the HTTP body (snappy block format), check the declared decoded length against
// `max_decoded_bytes` before allocating, decompress into out->buffer and parse it. Parse* take
// raw protobuf bytes that the caller keeps alive for as long as it uses the views.
//
// Both versions fill the same DecodedWriteRequest. Unknown fields are skipped by wire type;
// known fields with the wrong wire type, truncated data, field number 0 and invalid UTF-8
// in strings are errors (InvalidArgument, message with the byte offset). The decoders do not
// validate label semantics (sortedness, names, duplicates): that is ValidateLabels' job.
#pragma once

#include <string_view>

#include "common/base/status.h"
#include "common/remote/decoded_write_request.h"
#include "common/remote/snappy_block.h"

namespace abhra::remote {

// Remote-write 1.0 (prometheus.WriteRequest).
Status DecodeWriteRequest(std::string_view snappy_body, size_t max_decoded_bytes,
                          DecodedWriteRequest* out);
Status ParseWriteRequest(std::string_view protobuf, DecodedWriteRequest* out);

// Remote-write 2.0 (io.prometheus.write.v2.Request). labels_refs are resolved through
// `symbols` into the same LabelViews; per-series Metadata becomes a MetadataView whose
// family_name is the series' __name__. Accepts packed and unpacked labels_refs.
Status DecodeWriteRequestV2(std::string_view snappy_body, size_t max_decoded_bytes,
                            DecodedWriteRequest* out);
Status ParseWriteRequestV2(std::string_view protobuf, DecodedWriteRequest* out);

}  // namespace abhra::remote
