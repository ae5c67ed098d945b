#include "aggregator/api/envelope.h"

#include "aggregator/api/json_writer.h"

namespace abhra::api {
namespace {

void AppendStringArray(std::string* out, const std::vector<std::string>& items) {
  *out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) *out += ',';
    AppendJsonString(out, items[i]);
  }
  *out += ']';
}

}  // namespace

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kBadData: return "bad_data";
    case ErrorType::kExecution: return "execution";
    case ErrorType::kTimeout: return "timeout";
    case ErrorType::kCanceled: return "canceled";
    case ErrorType::kInternal: return "internal";
    case ErrorType::kNotFound: return "not_found";
    case ErrorType::kNotAcceptable: return "not_acceptable";
    case ErrorType::kUnavailable: return "unavailable";
  }
  return "internal";
}

int ErrorTypeHttpStatus(ErrorType type) {
  switch (type) {
    case ErrorType::kBadData: return 400;
    case ErrorType::kExecution: return 422;
    case ErrorType::kTimeout: return 503;
    case ErrorType::kCanceled: return 499;
    case ErrorType::kInternal: return 500;
    case ErrorType::kNotFound: return 404;
    case ErrorType::kNotAcceptable: return 406;
    case ErrorType::kUnavailable: return 500;
  }
  return 500;
}

void WriteSuccess(http::Response* response, std::string_view data_json,
                  const std::vector<std::string>& warnings,
                  const std::vector<std::string>& infos) {
  std::string out;
  out.reserve(data_json.size() + 64);
  out += R"({"status":"success","data":)";
  out += data_json;
  if (!warnings.empty()) {
    out += R"(,"warnings":)";
    AppendStringArray(&out, warnings);
  }
  if (!infos.empty()) {
    out += R"(,"infos":)";
    AppendStringArray(&out, infos);
  }
  out += '}';
  response->SetJson(200, std::move(out));
}

void WriteError(http::Response* response, ErrorType type, std::string_view message) {
  std::string out = R"({"status":"error","errorType":")";
  out += ErrorTypeName(type);
  out += R"(","error":)";
  AppendJsonString(&out, message);
  out += '}';
  response->SetJson(ErrorTypeHttpStatus(type), std::move(out));
}

ErrorType ErrorTypeForStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument: return ErrorType::kBadData;
    case Status::Code::kTimeout: return ErrorType::kTimeout;
    case Status::Code::kUnavailable: return ErrorType::kUnavailable;
    case Status::Code::kInternal: return ErrorType::kInternal;
    case Status::Code::kNotFound: return ErrorType::kNotFound;
    default: return ErrorType::kExecution;
  }
}

}  // namespace abhra::api
