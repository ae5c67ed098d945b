// One remote-write 1.0 HTTP client (libcurl easy handle, keep-alive). Classifies each answer
// as Prometheus senders do: 2xx done; 5xx, 429 (when allowed) and network errors retried;
// any other 4xx dropped, never retried. Not thread-safe: one per shard.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "probe/config/config.h"

namespace abhra::probe {

struct SendOutcome {
  enum class Kind { kOk, kRetry, kDrop };
  Kind kind = Kind::kOk;
  long status = 0;           // HTTP status; 0 when no response
  std::string detail;        // error text / the start of the response body
  int64_t retry_after_ms = -1;  // from Retry-After, when given
};

// Parses a Retry-After value: delay-seconds or an HTTP-date (relative to now_s). -1 if bad.
int64_t ParseRetryAfterMs(std::string_view value, int64_t now_s);

class RemoteWriteClient {
 public:
  // REQUIRES: `abort` outlives the client; setting it makes a running Send() return kRetry.
  RemoteWriteClient(const AggregatorConfig& config, const std::atomic<bool>* abort);
  ~RemoteWriteClient();
  RemoteWriteClient(const RemoteWriteClient&) = delete;
  RemoteWriteClient& operator=(const RemoteWriteClient&) = delete;

  // POSTs one snappy-compressed WriteRequest.
  SendOutcome Send(const std::string& body);

 private:
  AggregatorConfig config_;
  const std::atomic<bool>* abort_;
  CURL* easy_ = nullptr;
};

}  // namespace abhra::probe
