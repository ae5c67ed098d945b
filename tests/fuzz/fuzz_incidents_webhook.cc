// Fuzzes the Alertmanager webhook intake (aggregator/incidents IncidentStore::HandleWebhook,
// JSON payload version 4) on a fresh store in a private temp dir per input, then reopens the
// store (replaying its log). Also feeds the input to the incident log's DecodeRecord and to
// ParseRfc3339.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "aggregator/incidents/incident_log.h"
#include "aggregator/incidents/incident_store.h"
#include "tests/fuzz/fuzz_temp_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace abhra::incidents;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  IncidentStoreOptions opts;
  opts.path = abhra::fuzz::PrivateTempDir("abhra-fuzz-inc") + "/incidents.log";
  opts.max_incidents = 8;
  std::error_code ec;
  std::filesystem::remove(opts.path, ec);
  {
    auto store = IncidentStore::Open(opts);
    if (!store.ok()) std::abort();  // an empty dir must always open
    (void)(*store)->HandleWebhook(in);
    (void)(*store)->Query("", "", 0);
  }
  {
    auto reopened = IncidentStore::Open(opts);  // what it logged must replay
    if (!reopened.ok()) std::abort();
  }

  std::string_view rest = in;
  for (int i = 0; i < 64; ++i) {
    auto rec = DecodeRecord(&rest);
    if (!rec.ok()) break;
  }
  (void)ParseRfc3339(in);
  return 0;
}
