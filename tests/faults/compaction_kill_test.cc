// kill -9 during compaction: an aggregator with ~30 one-minute blocks (block_duration 1m) is
// told to compact and SIGKILLed after a varying delay, many times. After every restart all
// samples must be queryable, on disk exactly once (block sample counts add up to the total
// and block ranges do not overlap), no temporary block dir may remain, compaction must work
// again, and `promtool tsdb list` must read the data dir.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/base/clock.h"
#include "tests/faults/aggregator_process.h"

namespace abhra::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSeries = 500;
constexpr int kSeconds = 30 * 60;  // one sample a second per series: 30 one-minute blocks
constexpr int kPerRequest = 20;    // seconds of samples per request
constexpr int64_t kTotal = int64_t{kSeries} * kSeconds;

struct DiskState {
  int64_t samples = 0;  // sum of numSamples over blocks (all series)
  size_t blocks = 0;
  bool overlap = false;
  std::vector<std::string> temporary;
};

DiskState Inspect(const std::string& data) {
  DiskState d;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& ulid : BlockDirs(data)) {
    auto meta =
        nlohmann::json::parse(ReadWholeFile(data + "/" + ulid + "/meta.json"), nullptr, false);
    if (meta.is_discarded()) continue;
    d.samples += meta["stats"]["numSamples"].get<int64_t>();
    ranges.push_back({meta["minTime"].get<int64_t>(), meta["maxTime"].get<int64_t>()});
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) d.overlap |= ranges[i].first < ranges[i - 1].second;
  d.blocks = ranges.size();
  d.temporary = TemporaryEntries(data);
  return d;
}

// `promtool tsdb list DIR`: exit code, output in `out`. -1 when promtool is not installed.
int PromtoolList(const std::string& data, const std::string& out) {
  const std::string promtool = ABHRA_PROMTOOL;
  if (promtool.empty() || !fs::exists(promtool)) return -1;
  auto p = Subprocess::Start({promtool, "tsdb", "list", data}, out);
  if (!p.ok()) return -1;
  return p->Wait(std::chrono::seconds(30));
}

TEST(CompactionKillTest, SigkillDuringCompactionLeavesAConsistentDataDir) {
  std::string root = MakeTempDir("abhra-compaction-kill");
  ASSERT_FALSE(root.empty());
  const std::string golden = root + "/golden", log = root + "/aggregator.log";
  const std::string config = root + "/aggregator.yml";
  std::ofstream(config) << "storage:\n  block_duration: 1m\n";
  const int64_t base = (Clock::Real().NowMillis() - 3600 * 1000) / 60000 * 60000;
  {
    auto agg = AggregatorProcess::Start(golden, log, config);
    ASSERT_TRUE(agg.ok()) << agg.status().ToString();
    for (int s = 0; s < kSeconds; s += kPerRequest) {
      std::vector<remote::TimeSeries> req;
      for (int i = 0; i < kSeries; ++i) {
        remote::TimeSeries ts;
        ts.labels = Labels{{"__name__", "m"}, {"env", "faults"}, {"i", std::to_string(i)}};
        for (int j = s; j < s + kPerRequest; ++j)
          ts.samples.push_back({base + j * 1000, double(j + i)});
        req.push_back(std::move(ts));
      }
      auto st = (*agg)->Write(req);
      ASSERT_TRUE(st.ok() && *st == 204) << "second " << s << ": " << (st.ok() ? *st : 0);
    }
    auto flush = (*agg)->Admin("flush");
    ASSERT_TRUE(flush.ok() && flush->status == 200) << (flush.ok() ? flush->body : "");
    (*agg)->process().Signal(SIGTERM);
    ASSERT_EQ((*agg)->process().Wait(), 0);
  }
  DiskState start = Inspect(golden);
  ASSERT_GE(start.blocks, 30u);
  // m plus whatever the aggregator's own rule evaluations stored (ALERTS...).
  ASSERT_GE(start.samples, kTotal);
  ASSERT_FALSE(start.overlap);
  const int64_t on_disk = start.samples;

  const int64_t now = base + int64_t{kSeconds} * 1000 + 60000;
  int mid_compaction = 0;  // kills that left both parents and a merged block, or a tmp dir
  const int delays_ms[] = {0, 5, 15, 30, 60, 100, 160, 250};
  for (int delay : delays_ms) {
    SCOPED_TRACE("kill after " + std::to_string(delay) + " ms");
    const std::string data = root + "/kill-" + std::to_string(delay);
    fs::copy(golden, data, fs::copy_options::recursive);
    auto agg = AggregatorProcess::Start(data, log, config);
    ASSERT_TRUE(agg.ok()) << agg.status().ToString();
    std::thread compact([&] { (void)(*agg)->Admin("compact"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    (*agg)->process().Signal(SIGKILL);
    EXPECT_EQ((*agg)->process().Wait(), 128 + SIGKILL);
    compact.join();
    DiskState killed = Inspect(data);
    bool mid = !killed.temporary.empty() || killed.samples > on_disk;
    mid_compaction += mid;

    agg = AggregatorProcess::Start(data, log, config);
    ASSERT_TRUE(agg.ok()) << agg.status().ToString();
    auto stored = (*agg)->QueryValue("sum(count_over_time(m[1d]))", now);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(*stored, static_cast<double>(kTotal));
    DiskState reopened = Inspect(data);
    EXPECT_EQ(reopened.samples, on_disk) << "every sample on disk exactly once";
    EXPECT_FALSE(reopened.overlap);
    EXPECT_EQ(reopened.temporary, std::vector<std::string>{});
    auto compact_again = (*agg)->Admin("compact");
    ASSERT_TRUE(compact_again.ok());
    EXPECT_EQ(compact_again->status, 200) << compact_again->body;
    stored = (*agg)->QueryValue("sum(count_over_time(m[1d]))", now);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*stored, static_cast<double>(kTotal));
    (*agg)->process().Signal(SIGTERM);
    EXPECT_EQ((*agg)->process().Wait(), 0);
    DiskState done = Inspect(data);
    EXPECT_EQ(done.samples, on_disk);
    EXPECT_FALSE(done.overlap);
    EXPECT_EQ(done.temporary, std::vector<std::string>{});
    int rc = PromtoolList(data, root + "/promtool-" + std::to_string(delay) + ".txt");
    if (rc != -1) {
      EXPECT_EQ(rc, 0) << ReadWholeFile(root + "/promtool-" + std::to_string(delay) + ".txt");
    }
    std::printf(
        "kill after %3d ms: at kill %zu blocks, %lld samples on disk (%.2fx), %zu tmp dirs%s; "
        "after restart %zu blocks; after a full compaction %zu blocks; promtool list %s\n",
        delay, killed.blocks, static_cast<long long>(killed.samples),
        double(killed.samples) / double(on_disk), killed.temporary.size(),
        mid ? " (mid-compaction)" : "", reopened.blocks, done.blocks,
        rc == -1  ? "not installed"
        : rc == 0 ? "ok"
                  : "FAILED");
    if (!::testing::Test::HasFailure()) fs::remove_all(data);
  }
  std::printf("%d of %zu kills landed mid-compaction\n", mid_compaction, std::size(delays_ms));
  RemoveUnlessFailed(root, log);
}

}  // namespace
}  // namespace abhra::testing
