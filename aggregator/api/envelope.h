// The Prometheus HTTP API's JSON envelope and its one error → HTTP status mapping:
//   {"status":"success","data":...,"warnings":[...],"infos":[...]}
//   {"status":"error","errorType":"bad_data","error":"..."}
// bad_data 400 · execution 422 · timeout 503 · canceled 499 · internal 500 · not_found 404 ·
// not_acceptable 406 · unavailable 500.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/http/message.h"

namespace abhra::api {

enum class ErrorType {
  kBadData,
  kExecution,
  kTimeout,
  kCanceled,
  kInternal,
  kNotFound,
  kNotAcceptable,
  kUnavailable,
};

std::string_view ErrorTypeName(ErrorType type);
int ErrorTypeHttpStatus(ErrorType type);

// `data_json` is already-encoded JSON.
void WriteSuccess(http::Response* response, std::string_view data_json,
                  const std::vector<std::string>& warnings = {},
                  const std::vector<std::string>& infos = {});
void WriteError(http::Response* response, ErrorType type, std::string_view message);

// Maps a storage/engine Status: InvalidArgument → bad_data, Timeout → timeout,
// Unavailable → unavailable, Internal → internal, NotFound → not_found, else execution.
ErrorType ErrorTypeForStatus(const Status& status);

}  // namespace abhra::api
