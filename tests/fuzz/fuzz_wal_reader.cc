// Fuzzes WAL replay: the input is written as segment 00000000 of a WAL directory in a
// private temp dir and replayed (with repair, which may truncate the file: it is rewritten
// on every run; for inputs of odd size corruption is cut off too). Every record replayed is
// decoded as series/samples.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/tsdb/wal/records.h"
#include "aggregator/tsdb/wal/wal_format.h"
#include "aggregator/tsdb/wal/wal_reader.h"
#include "common/base/logging.h"
#include "tests/fuzz/fuzz_temp_dir.h"
#include "tests/fuzz/fuzz_util.h"

// Replay logs a line per torn tail or repair: silence it, it only slows the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  abhra::SetLogSink([](std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace abhra::tsdb;
  const std::string& dir = abhra::fuzz::PrivateTempDir("abhra-fuzz-wal");
  std::string path = dir + "/" + SegmentName(0);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  WalReplayStats stats;
  WalReplayOptions options;
  options.repair_corruption = (size & 1) != 0;  // odd sizes: corruption is cut off (CutWal)
  std::vector<RefSample> samples;
  uint64_t h = 0;
  abhra::Status st = ReplayWal(
      dir,
      [&](std::string_view rec) -> abhra::Status {
        h += abhra::fuzz::Touch(rec);
        auto type = PeekRecordType(rec);
        if (!type.ok()) return abhra::Status::Ok();
        if (*type == RecordType::kSeries) {
          (void)DecodeSeries(rec, [&](uint64_t ref, std::span<const abhra::LabelView> labels) {
            for (const auto& l : labels) h += abhra::fuzz::Touch(l.name) + abhra::fuzz::Touch(l.value);
          });
        } else if (*type == RecordType::kSamples) {
          samples.clear();
          (void)DecodeSamples(rec, &samples);
        }
        return abhra::Status::Ok();
      },
      &stats, options);
  if (st.ok() && stats.bytes > size) std::abort();
  volatile uint64_t sink = h;
  (void)sink;
  return 0;
}
