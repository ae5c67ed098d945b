// Disk full: the aggregator's data dir is a small tmpfs. Remote-write until the WAL cannot be
// written; from then on requests must be refused with 5xx (never 2xx), every acknowledged
// sample must stay queryable, the process must stay up, and a flush must fail cleanly (no
// temporary or half block left). Then the tmpfs grows: ingestion, flush and compaction must
// work again without a restart, and a restart must find everything.
//
// Needs mount(2) (root or CAP_SYS_ADMIN): without it the test says why and exits 77 (ctest
// SKIP_RETURN_CODE), so it is reported as skipped, never as passed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/base/clock.h"
#include "tests/faults/aggregator_process.h"

namespace abhra::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSeries = 100;
constexpr int kSamplesPerSeries = 50;  // per request: 5000 samples, ~50 KB of WAL (random values)
constexpr int kSamplesPerRequest = kSeries * kSamplesPerSeries;

// Request k: samples k*50 .. k*50+49 of every series, one a second, random values (so that
// neither snappy nor XOR compression shrinks them much and the tmpfs fills fast).
std::vector<remote::TimeSeries> Request(int64_t base_ms, int k, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  std::vector<remote::TimeSeries> out;
  for (int i = 0; i < kSeries; ++i) {
    remote::TimeSeries ts;
    ts.labels = Labels{{"__name__", "fill"}, {"env", "faults"}, {"i", std::to_string(i)}};
    for (int j = 0; j < kSamplesPerSeries; ++j) {
      ts.samples.push_back({base_ms + (int64_t{k} * kSamplesPerSeries + j) * 1000, value(rng)});
    }
    out.push_back(std::move(ts));
  }
  return out;
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("abhra-disk-full");
    ASSERT_FALSE(root_.empty());
    mnt_ = root_ + "/mnt";
    fs::create_directories(mnt_);
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=8m"), 0) << std::strerror(errno);
    mounted_ = true;
    log_ = root_ + "/aggregator.log";
  }
  void TearDown() override {
    agg_.reset();  // SIGKILL if still running, before the unmount
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
    RemoveUnlessFailed(root_, log_);
  }

  void Remount(const char* size) {
    std::string opts = std::string("size=") + size;
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()), 0)
        << std::strerror(errno);
  }

  // sum(count_over_time(fill[1d])) at `t_ms`.
  double Stored(int64_t t_ms) {
    auto v = agg_->QueryValue("sum(count_over_time(fill[1d]))", t_ms);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  std::string root_, mnt_, log_;
  bool mounted_ = false;
  std::unique_ptr<AggregatorProcess> agg_;
};

TEST_F(DiskFullTest, RefusesWithServerErrorLosesNothingAndRecoversWithoutRestart) {
  const std::string data = mnt_ + "/data";
  auto started = AggregatorProcess::Start(data, log_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  agg_ = std::move(*started);

  const int64_t base = Clock::Real().NowMillis() - 6 * 3600 * 1000;
  std::mt19937_64 rng(7);
  int k = 0;
  int64_t acked = 0;  // requests answered 2xx
  int first_refused = -1, refused = 0, consecutive = 0;
  for (; k < 2000 && consecutive < 5; ++k) {
    auto status = agg_->Write(Request(base, k, rng));
    ASSERT_TRUE(status.ok()) << "request " << k << ": " << status.status().ToString() << "; see "
                             << log_;
    if (*status / 100 == 2) {
      ASSERT_EQ(first_refused, -1) << "request " << k << " acknowledged after the disk was full";
      ++acked;
      consecutive = 0;
      continue;
    }
    EXPECT_GE(*status, 500) << "request " << k << ": a full disk is the server's trouble";
    if (first_refused < 0) first_refused = k;
    ++refused;
    ++consecutive;
  }
  ASSERT_GE(first_refused, 0) << "the 8 MiB tmpfs never filled";
  ASSERT_GT(acked, 10) << "too little got in before the disk was full";
  ASSERT_TRUE(agg_->Running()) << "the aggregator died on a full disk; see " << log_;
  auto healthy = http::Fetch(agg_->port(), "GET", "/-/healthy");
  ASSERT_TRUE(healthy.ok());
  EXPECT_EQ(healthy->status, 200);

  const int64_t now = base + int64_t{k + 100} * kSamplesPerSeries * 1000;
  EXPECT_EQ(Stored(now), static_cast<double>(acked * kSamplesPerRequest))
      << "acknowledged samples must all be there, refused ones not at all";

  // A flush on the full disk fails cleanly: no temporary dir, no half block.
  auto flush = agg_->Admin("flush");
  ASSERT_TRUE(flush.ok());
  EXPECT_GE(flush->status, 500) << flush->body;
  EXPECT_EQ(TemporaryEntries(data), std::vector<std::string>{});
  EXPECT_EQ(BlockDirs(data), std::vector<std::string>{});
  EXPECT_EQ(Stored(now), static_cast<double>(acked * kSamplesPerRequest));
  std::printf(
      "disk full after %lld acknowledged requests (%lld samples); %d refused with 5xx; "
      "flush while full: HTTP %d\n",
      static_cast<long long>(acked), static_cast<long long>(acked * kSamplesPerRequest), refused,
      flush->status);

  // Free space: everything works again, same process.
  Remount("64m");
  for (int i = 0; i < 20; ++i, ++k) {
    auto status = agg_->Write(Request(base, k, rng));
    ASSERT_TRUE(status.ok()) << status.status().ToString();
    ASSERT_EQ(*status / 100, 2) << "request " << k << " after space was freed: HTTP " << *status;
    ++acked;
  }
  EXPECT_EQ(Stored(now), static_cast<double>(acked * kSamplesPerRequest));
  flush = agg_->Admin("flush");
  ASSERT_TRUE(flush.ok());
  EXPECT_EQ(flush->status, 200) << flush->body;
  EXPECT_FALSE(BlockDirs(data).empty());
  auto compact = agg_->Admin("compact");
  ASSERT_TRUE(compact.ok());
  EXPECT_EQ(compact->status, 200) << compact->body;
  EXPECT_EQ(TemporaryEntries(data), std::vector<std::string>{});
  EXPECT_EQ(Stored(now), static_cast<double>(acked * kSamplesPerRequest));

  // And a restart finds all of it.
  agg_->process().Signal(SIGTERM);
  EXPECT_EQ(agg_->process().Wait(), 0) << "clean shutdown; see " << log_;
  started = AggregatorProcess::Start(data, log_);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  agg_ = std::move(*started);
  EXPECT_EQ(Stored(now), static_cast<double>(acked * kSamplesPerRequest));
  std::printf(
      "after freeing space: %lld requests acknowledged in all, %zu blocks, all samples "
      "queryable before and after a restart\n",
      static_cast<long long>(acked), BlockDirs(data).size());
}

}  // namespace
}  // namespace abhra::testing

// Exits 77 (skipped) when this process may not mount a tmpfs.
int main(int argc, char** argv) {
  std::string probe = abhra::testing::MakeTempDir("abhra-mount-probe");
  int rc = ::mount("tmpfs", probe.c_str(), "tmpfs", 0, "size=1m");
  int err = errno;
  if (rc == 0) ::umount2(probe.c_str(), MNT_DETACH);
  std::filesystem::remove_all(probe);
  if (rc != 0) {
    std::printf(
        "SKIPPED: cannot mount a tmpfs for the disk-full test (mount: %s); it needs root "
        "or CAP_SYS_ADMIN\n",
        std::strerror(err));
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
