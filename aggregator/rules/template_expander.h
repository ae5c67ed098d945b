// Alert label and annotation templating: the subset of Go text/template that Prometheus
// alert rules use. Supported inside {{ ... }}:
//   operands   $labels.NAME  .Labels.NAME  $externalLabels.NAME  .ExternalLabels.NAME
//              $value  .Value  $externalURL  .ExternalURL  "string literal"  number
//              printf "FORMAT" ARG...   (verbs %s %v %d %f %e %g with flags/width/precision, %%)
//   pipelines  OPERAND | humanize | humanize1024 | humanizeDuration | humanizePercentage
//              | humanizeTimestamp | toUpper | toLower | title
//   {{- and -}} trim the neighbouring white space, as in Go.
// Anything else (if/range/with, other functions, variables) is an error naming it, found at
// rule load time by CheckTemplate. Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::rules {

struct TemplateData {
  const Labels* labels = nullptr;           // the alert's labels (without __name__)
  const Labels* external_labels = nullptr;  // may be null
  double value = 0;
  std::string_view external_url;
};

// Validates the syntax and the functions used, without data.
Status CheckTemplate(std::string_view text);

// Expands `text`. A missing label gives "" (Go's "<no value>" is not reproduced: Prometheus
// maps it to "" with missingkey=zero for labels, which are a map).
Result<std::string> ExpandTemplate(std::string_view text, const TemplateData& data);

// Go's formatting of a float64 with %v ("0.5", "1e+06", "NaN", "+Inf"), as {{ $value }} prints.
std::string FormatGoFloat(double v);

// Prometheus' template functions, exposed for tests.
std::string Humanize(double v);
std::string Humanize1024(double v);
std::string HumanizeDuration(double seconds);
std::string HumanizePercentage(double ratio);

}  // namespace abhra::rules
