// Fuzzes the probe's YAML config loader (probe/config/config_loader.h ParseConfigText):
// any text gives a config or a list of errors, never a crash or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probe/config/config_loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  abhra::probe::ConfigParseOutcome out = abhra::probe::ParseConfigText(yaml, "fuzz.yml");
  uint64_t h = out.errors.size();
  for (const auto& e : out.errors) h += abhra::fuzz::Touch(e);
  volatile uint64_t sink = h;
  (void)sink;
  return 0;
}
