// Percent-decoding, query strings and application/x-www-form-urlencoded bodies, with the
// semantics of Go's net/url and net/http (which the Prometheus API is written against).
#pragma once

#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/http/headers.h"
#include "common/http/message.h"

namespace abhra::http {

// Decodes %XX escapes. With plus_as_space (query strings and forms) '+' becomes ' '; in
// paths '+' stays. InvalidArgument for a '%' not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view in, bool plus_as_space);

// Escapes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~); with
// space_as_plus ' ' becomes '+' (form encoding), else "%20".
std::string PercentEncode(std::string_view in, bool space_as_plus = true);

// Parses "a=1&b=%20x&c" into params (appended in order). A pair without '=' has value "";
// empty pairs ("a=1&&b=2") are skipped. ';' is not a separator (Go >= 1.17 rejects it; we
// keep it literally). InvalidArgument names the bad pair on a broken escape.
Status ParseQueryString(std::string_view query, Params* params);

// True for "application/x-www-form-urlencoded" with any parameters, any case.
bool IsFormContentType(std::string_view content_type);

// The request's parameters as Go's Request.ParseForm merges them: for POST, PUT and PATCH
// with a form Content-Type, the body's parameters come first, then the URL's. So
// Params::Get() sees the body's value when both have the name ("body wins") and
// Params::GetAll() returns both. Other requests give just the URL parameters.
Result<Params> ParseForm(const Request& request);

}  // namespace abhra::http
