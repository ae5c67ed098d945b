#include "aggregator/tsdb/head/head.h"

#include <unistd.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "aggregator/tsdb/head/head_appender.h"
#include "aggregator/tsdb/wal/wal_format.h"
#include "common/base/logging.h"

namespace abhra::storage {
// Bitwise sample equality, for comparing query results in tests.
bool operator==(const Sample& a, const Sample& b) {
  return a.t == b.t && std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
}
}  // namespace abhra::storage

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
using storage::Sample;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

class HeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("abhra_head_test_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Head> OpenHead(FsyncPolicy p = FsyncPolicy::kNever) {
    HeadOptions o;
    o.wal.fsync = p;
    auto h = Head::Open(dir_.string(), o);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? std::move(h).value() : nullptr;
  }

  fs::path dir_;
};

Matcher M(MatchType t, const std::string& n, const std::string& v) {
  auto m = Matcher::Make(t, n, v);
  EXPECT_TRUE(m.ok());
  return *m;
}

// Series labels → samples, read back through the Querier.
std::map<std::string, std::vector<Sample>> Query(storage::Queryable& q, int64_t mint, int64_t maxt,
                                                 const std::vector<Matcher>& ms) {
  std::map<std::string, std::vector<Sample>> out;
  auto querier = q.MakeQuerier(mint, maxt);
  EXPECT_TRUE(querier.ok());
  auto set = (*querier)->Select(true, {}, ms);
  std::string prev;
  while (set->Next()) {
    std::string key = set->At().labels().ToString();
    EXPECT_LT(prev, key) << "not sorted";
    prev = key;
    auto it = set->At().Iterator();
    auto& v = out[key];
    while (it->Next()) v.push_back(it->At());
    EXPECT_TRUE(it->Err().ok());
  }
  return out;
}

std::vector<Matcher> All() { return {M(MatchType::kRegexMatch, "__name__", ".+")}; }

TEST_F(HeadTest, AppendQueryRoundTrip) {
  auto h = OpenHead();
  auto app = h->MakeAppender();
  Labels a{{"__name__", "up"}, {"job", "api"}, {"env", "prod"}};
  Labels b{{"__name__", "up"}, {"job", "db"}, {"env", "dev"}};
  storage::SeriesRef ra = 0;
  for (int i = 0; i < 500; ++i) {
    auto r = app->Append(ra, a, i * 15000, i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ra = *r;
    ASSERT_TRUE(app->Append(0, b, i * 15000, -i * 0.5).ok());
  }
  // Nothing visible before Commit.
  EXPECT_TRUE(Query(*h, kMin, kMax, All()).empty());
  ASSERT_TRUE(app->Commit().ok());
  auto got = Query(*h, kMin, kMax, All());
  ASSERT_EQ(got.size(), 2u);
  auto& sa = got[a.ToString()];
  ASSERT_EQ(sa.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(sa[static_cast<size_t>(i)].t, i * 15000);
    EXPECT_EQ(sa[static_cast<size_t>(i)].v, i);
  }
  // Window clipping, inclusive bounds.
  got = Query(*h, 15000 * 10, 15000 * 20, {M(MatchType::kEqual, "job", "db")});
  ASSERT_EQ(got.size(), 1u);
  auto& sb = got.begin()->second;
  ASSERT_EQ(sb.size(), 11u);
  EXPECT_EQ(sb.front().t, 150000);
  EXPECT_EQ(sb.back().t, 300000);
  // Seek through chunk boundaries.
  auto q = h->MakeQuerier(kMin, kMax);
  auto set = (*q)->Select(false, {}, {M(MatchType::kEqual, "job", "api")});
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Seek(200 * 15000 + 1));
  EXPECT_EQ(it->At().t, 201 * 15000);
  ASSERT_TRUE(it->Seek(5));
  EXPECT_EQ(it->At().t, 201 * 15000);
  EXPECT_FALSE(it->Seek(kMax));
  EXPECT_EQ(h->NumSeries(), 2u);
  EXPECT_EQ(h->MinTime(), 0);
  EXPECT_EQ(h->MaxTime(), 499 * 15000);
  // Outside the head's time range: nothing.
  EXPECT_TRUE(Query(*h, 499 * 15000 + 1, kMax, All()).empty());
}

TEST_F(HeadTest, ChunksAreCutLikePrometheus) {
  auto h = OpenHead();
  auto app = h->MakeAppender();
  Labels a{{"__name__", "m"}};
  // 15 s interval starting at a 2h boundary: 120 samples per chunk, 480 per 2h range.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(app->Append(0, a, i * 15000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::vector<int> counts;
  h->ForEachSeries(kMin, kMax, [&](storage::SeriesRef, const Labels&, std::span<const ChunkSnapshot> cs) {
    for (auto& c : cs) {
      ranges.emplace_back(c.mint, c.maxt);
      counts.push_back((c.bytes[0] << 8) | c.bytes[1]);
    }
  });
  ASSERT_EQ(counts.size(), 9u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(counts[i], 120) << i;
  EXPECT_EQ(counts[8], 40);
  // A chunk never spans a 2h boundary.
  for (auto& [mn, mx] : ranges) EXPECT_EQ(mn / 7200000, mx / 7200000);
}

TEST_F(HeadTest, OutOfOrderDuplicateAndBounds) {
  auto h = OpenHead();
  Labels a{{"__name__", "m"}, {"i", "1"}};
  {
    auto app = h->MakeAppender();
    ASSERT_TRUE(app->Append(0, a, 10'000'000, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  auto app = h->MakeAppender();
  auto r = app->Append(0, a, 9'999'999, 1);
  EXPECT_TRUE(r.status().Is(Status::Code::kOutOfOrder)) << r.status().ToString();
  r = app->Append(0, a, 10'000'000, 2);
  EXPECT_TRUE(r.status().Is(Status::Code::kDuplicate)) << r.status().ToString();
  r = app->Append(0, a, 10'000'000, 1);  // exact duplicate: silently ignored
  EXPECT_TRUE(r.ok());
  // Another series, older than max - 1h: out of bounds.
  Labels b{{"__name__", "m"}, {"i", "2"}};
  r = app->Append(0, b, 10'000'000 - 3600'000 - 1, 1);
  EXPECT_TRUE(r.status().Is(Status::Code::kOutOfBounds)) << r.status().ToString();
  r = app->Append(0, b, 10'000'000 - 3600'000, 1);  // exactly at the bound is fine
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(app->Append(0, a, 10'000'001, 3).ok());  // the batch goes on after errors
  // NaN duplicates compare by bits: stale marker then the same stale marker is ignored.
  ASSERT_TRUE(app->Append(0, a, 10'000'002, storage::StaleNaN()).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto app2 = h->MakeAppender();
  EXPECT_TRUE(app2->Append(0, a, 10'000'002, storage::StaleNaN()).ok());
  EXPECT_TRUE(app2->Append(0, a, 10'000'002, std::nan("")).status().Is(Status::Code::kDuplicate));
  ASSERT_TRUE(app2->Commit().ok());
  auto got = Query(*h, kMin, kMax, {M(MatchType::kEqual, "i", "1")});
  ASSERT_EQ(got.size(), 1u);
  auto& s = got.begin()->second;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].v, 3);
  EXPECT_TRUE(storage::IsStaleNaN(s[2].v));
  // Metrics count rejections by reason.
  auto families = h->registry().Collect();
  double ooo = -1, dup = -1, oob = -1;
  for (auto& f : families) {
    if (f.name != "abhra_head_samples_rejected_total") continue;
    for (auto& m : f.metric) {
      for (auto& l : m.label) {
        if (l.value == "out_of_order") ooo = m.counter.value;
        if (l.value == "duplicate") dup = m.counter.value;
        if (l.value == "out_of_bounds") oob = m.counter.value;
      }
    }
  }
  EXPECT_EQ(ooo, 1);
  EXPECT_EQ(dup, 2);
  EXPECT_EQ(oob, 1);
}

TEST_F(HeadTest, InvalidLabelsRejectedPerSample) {
  auto h = OpenHead();
  auto app = h->MakeAppender();
  auto r = app->Append(0, Labels{{"__name__", "ok"}, {"1bad", "x"}}, 1000, 1);
  EXPECT_TRUE(r.status().Is(Status::Code::kInvalidArgument));
  EXPECT_NE(r.status().message().find("1bad"), std::string::npos) << r.status().message();
  EXPECT_TRUE(app->Append(0, Labels{}, 1000, 1).status().Is(Status::Code::kInvalidArgument));
  EXPECT_TRUE(app->Append(0, Labels{{"__name__", "ok"}}, 1000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(h->NumSeries(), 1u);
}

TEST_F(HeadTest, MatchersThroughPostings) {
  auto h = OpenHead();
  auto app = h->MakeAppender();
  std::vector<Labels> series = {
      Labels{{"__name__", "http_requests"}, {"env", "prod"}, {"code", "200"}},
      Labels{{"__name__", "http_requests"}, {"env", "prod"}, {"code", "500"}},
      Labels{{"__name__", "http_requests"}, {"env", "dev"}, {"code", "200"}},
      Labels{{"__name__", "http_requests"}, {"env", "dev"}},  // no code
      Labels{{"__name__", "up"}, {"env", "prod"}},
      Labels{{"__name__", "up"}, {"env", "staging"}, {"code", ""}},  // invalid: empty value
  };
  for (size_t i = 0; i < series.size(); ++i) (void)app->Append(0, series[i], 1000, static_cast<double>(i));
  ASSERT_TRUE(app->Commit().ok());
  auto count = [&](std::vector<Matcher> ms) { return Query(*h, kMin, kMax, ms).size(); };
  using MT = MatchType;
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "http_requests")}), 4u);
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "http_requests"), M(MT::kEqual, "env", "prod")}), 2u);
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "nope")}), 0u);
  EXPECT_EQ(count({M(MT::kEqual, "nolabel", "x")}), 0u);
  // != matches series without the label too.
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "http_requests"), M(MT::kNotEqual, "code", "200")}), 2u);
  // = "" selects series without the label.
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "http_requests"), M(MT::kEqual, "code", "")}), 1u);
  // != "" selects series with the label.
  EXPECT_EQ(count({M(MT::kEqual, "__name__", "http_requests"), M(MT::kNotEqual, "code", "")}), 3u);
  // Regex, set fast path, and a regex that matches empty.
  EXPECT_EQ(count({M(MT::kRegexMatch, "code", "2..|5..")}), 3u);
  EXPECT_EQ(count({M(MT::kRegexMatch, "env", "prod|dev")}), 5u);
  EXPECT_EQ(count({M(MT::kRegexMatch, "env", "pro.*")}), 3u);
  EXPECT_EQ(count({M(MT::kRegexMatch, "__name__", ".+"), M(MT::kRegexMatch, "code", "200|")}), 4u);
  // !~
  EXPECT_EQ(count({M(MT::kRegexMatch, "__name__", ".+"), M(MT::kRegexNoMatch, "env", "d.*")}), 3u);
  // Only negative matchers: start from all series.
  EXPECT_EQ(count({M(MT::kNotEqual, "env", "prod")}), 2u);

  auto q = h->MakeQuerier(kMin, kMax);
  auto names = (*q)->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "code", "env"}));
  names = (*q)->LabelNames({M(MT::kEqual, "__name__", "up")});
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "env"}));
  auto values = (*q)->LabelValues("env", {});
  EXPECT_EQ(*values, (std::vector<std::string>{"dev", "prod"}));
  values = (*q)->LabelValues("code", {M(MT::kEqual, "env", "prod")});
  EXPECT_EQ(*values, (std::vector<std::string>{"200", "500"}));
  values = (*q)->LabelValues("nolabel", {});
  EXPECT_TRUE(values->empty());
}

TEST_F(HeadTest, AppendBatchFastPath) {
  auto h = OpenHead();
  std::vector<std::vector<LabelView>> labels;
  std::vector<std::string> inst;
  for (int i = 0; i < 100; ++i) inst.push_back(fmt::format("host-{}", i));
  for (int i = 0; i < 100; ++i) {
    labels.push_back({{"__name__", "cpu"}, {"instance", inst[static_cast<size_t>(i)]}});
  }
  labels.push_back({{"job", "x"}, {"__name__", "cpu"}});  // unsorted: invalid
  std::vector<Sample> samples = {{1000, 1}, {2000, 2}, {1500, 3}};
  std::vector<SeriesSamples> batch;
  for (auto& l : labels) batch.push_back({l, samples});
  AppendBatchResult res;
  ASSERT_TRUE(h->AppendBatch(batch, &res).ok());
  EXPECT_EQ(res.appended, 200u);
  ASSERT_EQ(res.errors.size(), 101u);
  EXPECT_TRUE(res.errors[0].status.Is(Status::Code::kOutOfOrder) ||
              res.errors[0].status.ok() == false);
  EXPECT_EQ(res.errors.back().series, 100u);
  EXPECT_TRUE(res.errors.back().status.Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(h->NumSeries(), 100u);
  auto got = Query(*h, kMin, kMax, {M(MatchType::kEqual, "__name__", "cpu")});
  ASSERT_EQ(got.size(), 100u);
  for (auto& [k, v] : got) EXPECT_EQ(v.size(), 2u) << k;
}

TEST_F(HeadTest, WalReplayAfterReopenEqualsAppended) {
  std::map<std::string, std::vector<Sample>> want;
  {
    auto h = OpenHead(FsyncPolicy::kBatch);
    std::mt19937 rng(3);
    for (int batch = 0; batch < 20; ++batch) {
      auto app = h->MakeAppender();
      for (int s = 0; s < 50; ++s) {
        Labels l{{"__name__", "m"}, {"s", std::to_string(s)}};
        int64_t t = batch * 10000 + s;
        double v = std::bit_cast<double>(rng());
        if (batch == 7) v = storage::StaleNaN();
        ASSERT_TRUE(app->Append(0, l, t, v).ok());
      }
      if (batch == 5) {
        app->Rollback();  // rolled back samples must not come back
        continue;
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    want = Query(*h, kMin, kMax, All());
    ASSERT_EQ(want.size(), 50u);
    ASSERT_EQ(want.begin()->second.size(), 19u);
    ASSERT_TRUE(h->Close().ok());
  }
  auto h = OpenHead();
  auto got = Query(*h, kMin, kMax, All());
  ASSERT_EQ(got.size(), want.size());
  for (auto& [k, v] : want) {
    auto& g = got[k];
    ASSERT_EQ(g.size(), v.size()) << k;
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(g[i].t, v[i].t);
      EXPECT_EQ(std::bit_cast<uint64_t>(g[i].v), std::bit_cast<uint64_t>(v[i].v));
    }
  }
  // Sharded replay (several workers) gives the same head.
  {
    ASSERT_TRUE(h->Close().ok());
    h.reset();
    HeadOptions o;
    o.replay_workers = 3;
    o.wal.fsync = FsyncPolicy::kNever;
    auto sharded = Head::Open(dir_.string(), o);
    ASSERT_TRUE(sharded.ok());
    EXPECT_EQ(Query(**sharded, kMin, kMax, All()), got);
    ASSERT_TRUE((*sharded)->Close().ok());
    h = OpenHead();
  }
  // New series after reopen get fresh refs; old refs still resolve.
  auto app = h->MakeAppender();
  auto r = app->Append(0, Labels{{"__name__", "new"}}, 500000, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(*r, 50u);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(h->NumSeries(), 51u);
}

TEST_F(HeadTest, TornWalTailIsDroppedAndCorruptionIsCutOff) {
  {
    auto h = OpenHead();
    for (int batch = 0; batch < 3; ++batch) {
      auto app = h->MakeAppender();
      for (int s = 0; s < 10; ++s) {
        ASSERT_TRUE(app->Append(0, Labels{{"__name__", "m"}, {"s", std::to_string(s)}},
                                batch * 1000, batch)
                        .ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    ASSERT_TRUE(h->Close().ok());
  }
  // Chop 5 bytes off the segment: the last commit's samples record is torn.
  std::string seg = (dir_ / "wal" / SegmentName(0)).string();
  fs::resize_file(seg, fs::file_size(seg) - 5);
  SetLogSink([](std::string_view) {});
  auto h = OpenHead();
  SetLogSink(nullptr);
  auto got = Query(*h, kMin, kMax, All());
  ASSERT_EQ(got.size(), 10u);
  for (auto& [k, v] : got) EXPECT_EQ(v.size(), 2u) << k;
  // Corruption in the middle (here in the first record) does not fail Open: the WAL is cut
  // before the damaged record and what was cut is kept under DATA_DIR/quarantine.
  ASSERT_TRUE(h->Close().ok());
  h.reset();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  SetLogSink([](std::string_view) {});
  HeadOptions o;
  auto repaired = Head::Open(dir_.string(), o);
  SetLogSink(nullptr);
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ((*repaired)->NumSeries(), 0u);
  EXPECT_EQ(fs::file_size(seg), 0u);
  size_t quarantined = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "quarantine")) {
    if (e.is_regular_file()) quarantined += e.file_size();
  }
  EXPECT_GT(quarantined, 0u);
}

TEST_F(HeadTest, ConcurrentAppendersAndQueriers) {
  auto h = OpenHead(FsyncPolicy::kAlways);
  constexpr int kWriters = 4, kSeriesPerWriter = 200, kRounds = 30;
  std::atomic<bool> stop{false};
  std::atomic<int> queries{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto q = h->MakeQuerier(kMin, kMax);
        auto set = (*q)->Select(true, {}, {M(MatchType::kEqual, "__name__", "c")});
        while (set->Next()) {
          auto it = set->At().Iterator();
          int64_t prev = kMin;
          while (it->Next()) {
            EXPECT_GT(it->At().t, prev);
            prev = it->At().t;
          }
        }
        queries.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        auto app = h->MakeAppender();
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          // Writers share half of their series with the next writer.
          int sid = (w * kSeriesPerWriter / 2 + s) % (kWriters * kSeriesPerWriter / 2 + 100);
          Labels l{{"__name__", "c"}, {"sid", std::to_string(sid)}, {"w", std::to_string(w)}};
          EXPECT_TRUE(app->Append(0, l, round * 1000, round).ok());
        }
        EXPECT_TRUE(app->Commit().ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(queries.load(), 0);
  auto got = Query(*h, kMin, kMax, {M(MatchType::kEqual, "__name__", "c")});
  EXPECT_EQ(got.size(), static_cast<size_t>(kWriters * kSeriesPerWriter));
  size_t total = 0;
  for (auto& [k, v] : got) total += v.size();
  EXPECT_EQ(total, static_cast<size_t>(kWriters * kSeriesPerWriter * kRounds));
  // Same data after replay.
  ASSERT_TRUE(h->Close().ok());
  h.reset();
  auto h2 = OpenHead();
  auto again = Query(*h2, kMin, kMax, {M(MatchType::kEqual, "__name__", "c")});
  EXPECT_EQ(again, got);
}

TEST_F(HeadTest, ConcurrentCreationOfSameSeries) {
  auto h = OpenHead();
  std::vector<std::thread> ts;
  for (int w = 0; w < 4; ++w) {
    ts.emplace_back([&, w] {
      auto app = h->NewAppender();
      for (int s = 0; s < 500; ++s) {
        std::string v = std::to_string(s);
        LabelView l[] = {{"__name__", "same"}, {"s", v}};
        (void)app->AppendViews(l, 1000 + w, 1);
      }
      EXPECT_TRUE(app->Commit().ok());
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(h->NumSeries(), 500u);
}

TEST_F(HeadTest, TruncateDropsOldDataAndShrinksWal) {
  HeadOptions o;
  o.wal.fsync = FsyncPolicy::kNever;
  o.wal.segment_size = kWalPageSize;
  auto hr = Head::Open(dir_.string(), o);
  ASSERT_TRUE(hr.ok());
  auto& h = *hr;
  const int64_t hour = 3600'000;
  for (int i = 0; i < 4 * 240; ++i) {  // 4h at 15s
    auto app = h->MakeAppender();
    for (int k = 0; k < 5; ++k) {
      ASSERT_TRUE(app->Append(0, Labels{{"__name__", "keep"}, {"k", std::to_string(k)}}, i * 15000, i).ok());
    }
    if (i < 240) {
      ASSERT_TRUE(app->Append(0, Labels{{"__name__", "old"}}, i * 15000, i).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  auto segs_before = ListSegments((dir_ / "wal").string());
  ASSERT_GT(segs_before->size(), 1u);
  ASSERT_TRUE(h->Truncate(2 * hour).ok());
  EXPECT_EQ(h->NumSeries(), 5u);
  auto segs_after = ListSegments((dir_ / "wal").string());
  EXPECT_EQ(segs_after->front(), segs_before->back() + 1);
  // Samples before mint are now out of bounds.
  auto app = h->MakeAppender();
  EXPECT_TRUE(app->Append(0, Labels{{"__name__", "old"}}, 2 * hour - 1, 1)
                  .status()
                  .Is(Status::Code::kOutOfBounds));
  app->Rollback();
  auto got = Query(*h, kMin, kMax, All());
  ASSERT_EQ(got.size(), 5u);
  EXPECT_GE(got.begin()->second.front().t, 0);
  size_t kept = got.begin()->second.size();
  ASSERT_TRUE(h->Close().ok());
  hr = Head::Open(dir_.string(), o);
  ASSERT_TRUE(hr.ok());
  auto again = Query(**hr, kMin, kMax, All());
  ASSERT_EQ(again.size(), 5u);
  // Replay holds exactly the samples >= mint (the head may keep a chunk straddling mint).
  size_t want = 0;
  for (auto& s : got.begin()->second) want += s.t >= 2 * hour;
  EXPECT_EQ(again.begin()->second.size(), want);
  EXPECT_LE(want, kept);
}

TEST_F(HeadTest, TruncateWhileAppending) {
  auto h = OpenHead(FsyncPolicy::kNever);
  constexpr int kSteps = 2000, kSeries = 100;
  const int64_t mint = 2 * 3600'000;
  std::atomic<int> progress[2] = {0, 0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      auto app = h->NewAppender();
      std::vector<std::string> ids;
      for (int s = 0; s < kSeries; ++s) ids.push_back(fmt::format("{}-{}", w, s));
      for (int i = 0; i < kSteps; ++i) {
        // Stay within 100 steps (25 min) of the other writer: further behind than half the
        // chunk range would be OutOfBounds.
        while (i - progress[1 - w].load() > 100 && !failed.load()) std::this_thread::yield();
        for (int s = 0; s < kSeries; ++s) {
          LabelView l[] = {{"__name__", "tw"}, {"id", ids[static_cast<size_t>(s)]}};
          auto r = app->AppendViews(l, int64_t{i} * 15000, i);
          if (!r.ok()) {
            failed = true;
            ADD_FAILURE() << r.status().ToString();
            return;
          }
        }
        if (!app->Commit().ok()) {
          failed = true;
          ADD_FAILURE() << "commit failed";
          return;
        }
        progress[w].store(i);
      }
      progress[w].store(kSteps + 1000);
    });
  }
  while ((progress[0].load() < 800 || progress[1].load() < 800) && !failed.load()) {
    std::this_thread::yield();
  }
  EXPECT_TRUE(h->Truncate(mint).ok());
  for (auto& t : writers) t.join();
  ASSERT_FALSE(failed.load());
  auto got = Query(*h, kMin, kMax, {M(MatchType::kEqual, "__name__", "tw")});
  ASSERT_EQ(got.size(), 2u * kSeries);
  for (auto& [k, v] : got) {
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().t, int64_t{kSteps - 1} * 15000) << k;
    for (size_t i = 1; i < v.size(); ++i) ASSERT_EQ(v[i].t - v[i - 1].t, 15000) << k;
    EXPECT_LE(v.front().t, mint) << k;  // everything from mint on is there
  }
  // And the shrunken WAL replays to the same samples from mint on.
  ASSERT_TRUE(h->Close().ok());
  h.reset();
  auto h2 = OpenHead();
  auto again = Query(*h2, mint, kMax, {M(MatchType::kEqual, "__name__", "tw")});
  ASSERT_EQ(again.size(), 2u * kSeries);
  for (auto& [k, v] : again) {
    EXPECT_EQ(v.front().t, mint) << k;
    EXPECT_EQ(v.size(), static_cast<size_t>(kSteps - mint / 15000)) << k;
  }
}

TEST_F(HeadTest, MemoryStatsAndMetrics) {
  prometheus::Registry reg;
  HeadOptions o;
  o.registry = &reg;
  o.wal_enabled = false;
  auto h = Head::Open(dir_.string(), o);
  ASSERT_TRUE(h.ok());
  auto app = (*h)->MakeAppender();
  for (int s = 0; s < 1000; ++s) {
    ASSERT_TRUE(app->Append(0, Labels{{"__name__", "m"}, {"s", std::to_string(s)}}, 1000, 1).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  HeadMemoryStats m = (*h)->MemoryStats();
  EXPECT_EQ(m.series, 1000u);
  EXPECT_GT(m.total(), 0u);
  bool found = false;
  for (auto& f : reg.Collect()) {
    if (f.name == "abhra_head_series") {
      found = true;
      EXPECT_EQ(f.metric[0].gauge.value, 1000);
    }
    if (f.name == "abhra_head_samples_appended_total") {
      EXPECT_EQ(f.metric[0].counter.value, 1000);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace abhra::tsdb
