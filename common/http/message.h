// Request and Response: the plain types handlers see. No Beast or Asio types leak here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/headers.h"

namespace abhra::http {

inline constexpr std::string_view kContentTypeText = "text/plain; charset=utf-8";
inline constexpr std::string_view kContentTypeJson = "application/json";

struct Request {
  std::string method;       // as sent, e.g. "GET", "POST" (methods are case-sensitive)
  std::string target;       // the raw request-target, e.g. "/api/v1/query?query=up"
  std::string path;         // percent-decoded path without the query ("/api/v1/query")
  std::string raw_query;    // the undecoded text after '?', empty when there is none
  Params query;             // decoded URL query parameters, in order
  Headers headers;          // as received; lookup ignores case
  std::string body;         // the body bytes, untouched (Content-Encoding is not decoded)
  std::string remote_addr;  // peer "ip:port" ("[::1]:port" for IPv6)
  int version = 11;         // 10 for HTTP/1.0, 11 for HTTP/1.1
  // Set by Router for prefix routes: the decoded path after the matched prefix
  // (prefix "/api/v1/label/", path "/api/v1/label/job/values" -> "job/values").
  std::string path_suffix;
};

struct Response {
  int status = 200;
  // Content-Length and Connection are set by the server; a handler's "Connection: close"
  // closes the connection after this response.
  Headers headers;
  std::string body;

  void SetContentType(std::string_view content_type) {
    headers.Set("Content-Type", std::string(content_type));
  }
  // Sets status, body and "Content-Type: text/plain; charset=utf-8".
  void SetText(int status_code, std::string text) {
    status = status_code;
    body = std::move(text);
    SetContentType(kContentTypeText);
  }
  // Sets status, body and "Content-Type: application/json".
  void SetJson(int status_code, std::string json) {
    status = status_code;
    body = std::move(json);
    SetContentType(kContentTypeJson);
  }
};

// A request handler. Called on a server worker thread, possibly concurrently with other
// calls; it may block briefly (CPU-bound work is fine, long waits hold a worker). An exception
// that escapes becomes a 500 response.
using Handler = std::function<void(const Request& request, Response* response)>;

// What the server knows of a request once its header has arrived, before its body is read:
// the input of admission control (ServerOptions::admission).
struct RequestHead {
  std::string_view method;
  std::string_view target;                 // the raw request-target, path and query
  std::optional<uint64_t> content_length;  // nullopt when the body is chunked or absent
};

// The verdict of admission control. Default: admitted, nothing held.
struct Admission {
  // Set: the server answers with this at once and never reads the body (the connection is
  // closed after the response when a body was announced).
  std::optional<Response> reject;
  // Held by the server until the request's response has been written or the connection
  // failed, e.g. to give back an in-flight slot.
  std::shared_ptr<void> lease;
};

// Runs on the server's I/O thread for every request: must be cheap and must not throw.
using AdmissionHook = std::function<Admission(const RequestHead& head)>;

// The standard reason phrase for a status code ("Not Found"), or "" when unknown.
std::string_view ReasonPhrase(int status);

}  // namespace abhra::http
