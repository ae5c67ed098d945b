// Fuzzes the aggregator's YAML config parser (aggregator/app/config.h ParseConfig): any text
// gives a config or an InvalidArgument, never a crash or an escaped yaml-cpp exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "aggregator/app/config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto cfg = abhra::aggregator::ParseConfig(yaml, "fuzz.yaml");
  uint64_t h = 0;
  if (cfg.ok()) {
    for (const auto& t : cfg->tenants) h += abhra::fuzz::Touch(t.name) + abhra::fuzz::Touch(t.token);
    for (const auto& a : cfg->alertmanagers) h += abhra::fuzz::Touch(a);
  } else {
    h += abhra::fuzz::Touch(cfg.status().message());
  }
  // Durations are parsed on their own, too.
  auto d = abhra::aggregator::ParseDuration(yaml);
  h += d.ok() ? static_cast<uint64_t>(*d) : 0;
  volatile uint64_t sink = h;
  (void)sink;
  return 0;
}
