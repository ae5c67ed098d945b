// Fuzzes the Prometheus text / OpenMetrics parser (the probe's scrape path). The first byte
// picks the format; the rest is the body. Parsed labels and metadata are read back.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/textformat/text_parser.h"
#include "tests/fuzz/fuzz_util.h"

using namespace abhra::textformat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Format format = (data[0] & 1) ? Format::kOpenMetrics : Format::kPrometheus;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<ParsedSample> samples;
  std::vector<MetricFamilyInfo> metadata;
  abhra::Status st = ParseTextFormat(body, format, &samples, &metadata);
  uint64_t h = st.ok() ? 1 : abhra::fuzz::Touch(st.message());
  for (const auto& s : samples) {
    for (const auto& l : s.labels) h += abhra::fuzz::Touch(l.name) + abhra::fuzz::Touch(l.value);
  }
  volatile uint64_t sink = h;
  (void)sink;
  return 0;
}
