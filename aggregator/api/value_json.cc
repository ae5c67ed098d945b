#include "aggregator/api/value_json.h"

#include <variant>

#include "aggregator/api/json_writer.h"

namespace abhra::api {
namespace {

void AppendPoint(std::string* out, int64_t t, double v) {
  *out += '[';
  AppendTimestamp(out, t);
  *out += ",\"";
  AppendSampleValue(out, v);
  *out += "\"]";
}

}  // namespace

void AppendLabelsJson(std::string* out, const Labels& labels) {
  *out += '{';
  bool first = true;
  for (const Label& l : labels) {
    if (!first) *out += ',';
    first = false;
    AppendJsonString(out, l.name);
    *out += ':';
    AppendJsonString(out, l.value);
  }
  *out += '}';
}

void AppendQueryData(std::string* out, const promql::Value& value, size_t limit) {
  *out += R"({"resultType":")";
  *out += promql::ResultTypeName(value);
  *out += R"(","result":)";
  // Scalars and strings carry their time as a plain JSON float (1.5), vector and matrix
  // points as Prometheus' fixed three-decimal form (1.500), as Prometheus 2.42 answers.
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    *out += '[';
    AppendSampleValue(out, static_cast<double>(s->t) / 1000);
    *out += ",\"";
    AppendSampleValue(out, s->v);
    *out += "\"]";
  } else if (const auto* str = std::get_if<promql::StringValue>(&value)) {
    *out += '[';
    AppendSampleValue(out, static_cast<double>(str->t) / 1000);
    *out += ',';
    AppendJsonString(out, str->v);
    *out += ']';
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    *out += '[';
    size_t n = limit > 0 ? std::min(limit, vec->size()) : vec->size();
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) *out += ',';
      *out += R"({"metric":)";
      AppendLabelsJson(out, (*vec)[i].metric);
      *out += R"(,"value":)";
      AppendPoint(out, (*vec)[i].t, (*vec)[i].f);
      *out += '}';
    }
    *out += ']';
  } else if (const auto* mat = std::get_if<promql::Matrix>(&value)) {
    *out += '[';
    size_t n = limit > 0 ? std::min(limit, mat->size()) : mat->size();
    for (size_t i = 0; i < n; ++i) {
      const promql::Series& s = (*mat)[i];
      if (i > 0) *out += ',';
      *out += R"({"metric":)";
      AppendLabelsJson(out, s.metric);
      *out += R"(,"values":[)";
      for (size_t j = 0; j < s.floats.size(); ++j) {
        if (j > 0) *out += ',';
        AppendPoint(out, s.floats[j].t, s.floats[j].f);
      }
      *out += "]}";
    }
    *out += ']';
  }
  *out += '}';
}

}  // namespace abhra::api
