// HTTP-level facts of the remote-write protocols: content types, version headers, and which
// decoder a request's Content-Type asks for.
#pragma once

#include <string_view>

#include "common/base/status.h"

namespace abhra::remote {

enum class ProtocolVersion { kV1, kV2 };

inline constexpr std::string_view kContentTypeV1 = "application/x-protobuf";
inline constexpr std::string_view kContentTypeV2 =
    "application/x-protobuf;proto=io.prometheus.write.v2.Request";
inline constexpr std::string_view kContentEncoding = "snappy";
inline constexpr std::string_view kVersionHeader = "X-Prometheus-Remote-Write-Version";
inline constexpr std::string_view kVersionV1 = "0.1.0";
inline constexpr std::string_view kVersionV2 = "2.0.0";

// Maps a request's Content-Type to a protocol version, as Prometheus' receiver does:
// empty or "application/x-protobuf" without a proto parameter → 1.0;
// proto=prometheus.WriteRequest → 1.0; proto=io.prometheus.write.v2.Request → 2.0.
// Media type and parameter names are case-insensitive; spaces around ';' and '=' and quotes
// around the value are allowed. Anything else → InvalidArgument naming what was wrong
// (ingest answers 415 Unsupported Media Type).
Result<ProtocolVersion> ProtocolFromContentType(std::string_view content_type);

// Content-Encoding must be "snappy" (case-insensitive); an empty header is taken as snappy,
// which is what 1.0 senders always use. Otherwise InvalidArgument (415).
Status CheckContentEncoding(std::string_view content_encoding);

}  // namespace abhra::remote
