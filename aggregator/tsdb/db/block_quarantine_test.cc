#include "aggregator/tsdb/db/block_quarantine.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "aggregator/tsdb/db/db.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;
constexpr int kSeries = 3;
constexpr int64_t kStep = 60000;

// A DB with three 2h blocks over [0, 6h): kSeries series, one sample a minute.
class BlockQuarantineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            fmt::format("abhra_block_quarantine_test_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    SetLogSink([this](std::string_view line) { log_ += std::string(line) + "\n"; });
    auto db = DB::Open(dir_, Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto app = (*db)->MakeAppender();
    for (int64_t t = 0; t < 6 * kH; t += kStep) {
      for (int i = 0; i < kSeries; ++i) {
        ASSERT_TRUE(app->Append(0, Labels{{"__name__", "q"}, {"i", std::to_string(i)}}, t, 1).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE((*db)->Flush().ok());
    blocks_ = (*db)->Blocks();
    ASSERT_EQ(blocks_.size(), 3u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  void TearDown() override {
    SetLogSink(nullptr);
    fs::remove_all(dir_);
  }

  static DBOptions Options() {
    DBOptions o;
    o.background_interval_ms = 0;
    o.downsample = false;
    return o;
  }

  std::string BlockDir(int i) const { return dir_ + "/" + blocks_[static_cast<size_t>(i)].ulid; }

  // Samples per 2h window over all series, read through the DB.
  static std::vector<int> CountPerWindow(DB& db) {
    std::vector<int> out(3, 0);
    auto q = db.MakeQuerier(0, 6 * kH);
    EXPECT_TRUE(q.ok());
    auto ss = (*q)->Select(true, {}, {Matcher::Equal("__name__", "q")});
    while (ss->Next()) {
      auto it = ss->At().Iterator();
      while (it->Next()) ++out[static_cast<size_t>(it->At().t / (2 * kH))];
      EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
    }
    EXPECT_TRUE(ss->Err().ok()) << ss->Err().ToString();
    return out;
  }

  // Damages block 1 with `damage`, reopens, and checks it went to quarantine as
  // <ulid>-<reason> while blocks 0 and 2 are served and compaction leaves it alone.
  void ExpectQuarantined(const std::function<void(const std::string& block_dir)>& damage,
                         const std::string& reason) {
    damage(BlockDir(1));
    auto db = DB::Open(dir_, Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_EQ((*db)->Blocks().size(), 2u);
    const int per_window = kSeries * static_cast<int>(2 * kH / kStep);
    EXPECT_EQ(CountPerWindow(**db), (std::vector<int>{per_window, 0, per_window}));
    std::string moved = dir_ + "/quarantine/" + blocks_[1].ulid + "-" + reason;
    EXPECT_TRUE(fs::is_directory(moved)) << log_;
    EXPECT_FALSE(fs::exists(BlockDir(1)));
    EXPECT_NE(log_.find("damaged block quarantined"), std::string::npos) << log_;
    EXPECT_NE(log_.find("reason=" + reason), std::string::npos) << log_;
    EXPECT_NE(log_.find(blocks_[1].ulid), std::string::npos) << log_;
    ASSERT_TRUE((*db)->Compact().ok());
    EXPECT_TRUE(fs::is_directory(moved));
    EXPECT_EQ(CountPerWindow(**db), (std::vector<int>{per_window, 0, per_window}));
    ASSERT_TRUE((*db)->Close().ok());
  }

  std::string dir_;
  std::vector<BlockMeta> blocks_;
  std::string log_;
};

void Overwrite(const std::string& path, uint64_t offset, std::string_view bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(BlockQuarantineTest, BadIndexMagic) {
  ExpectQuarantined([](const std::string& d) { Overwrite(d + "/index", 0, "XXXX"); }, "bad-index");
}

TEST_F(BlockQuarantineTest, TruncatedChunksFile) {
  ExpectQuarantined(
      [](const std::string& d) {
        fs::resize_file(d + "/chunks/000001", fs::file_size(d + "/chunks/000001") - 3);
      },
      "bad-chunks");
}

TEST_F(BlockQuarantineTest, ChunksFileCutToItsHeader) {
  ExpectQuarantined([](const std::string& d) { fs::resize_file(d + "/chunks/000001", 8); },
                    "bad-chunks");
}

TEST_F(BlockQuarantineTest, BrokenMetaJson) {
  ExpectQuarantined(
      [](const std::string& d) {
        std::ofstream(d + "/meta.json", std::ios::trunc) << "{\"ulid\": \"01H";
      },
      "bad-meta");
}

TEST_F(BlockQuarantineTest, MetaNamingAnotherBlock) {
  ExpectQuarantined(
      [this](const std::string& d) {
        fs::copy_file(BlockDir(0) + "/meta.json", d + "/meta.json",
                      fs::copy_options::overwrite_existing);
      },
      "bad-meta");
}

TEST_F(BlockQuarantineTest, MissingIndex) {
  ExpectQuarantined([](const std::string& d) { fs::remove(d + "/index"); }, "no-index");
}

TEST_F(BlockQuarantineTest, MissingMeta) {
  ExpectQuarantined([](const std::string& d) { fs::remove(d + "/meta.json"); }, "no-meta");
}

TEST_F(BlockQuarantineTest, HealthyBlocksPassVerification) {
  for (int i = 0; i < 3; ++i) {
    auto b = Block::Open(BlockDir(i));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    BlockDamage d = VerifyOpenedBlock(**b);
    EXPECT_TRUE(d.error.ok()) << d.error.ToString();
    EXPECT_FALSE(d.damaged);
  }
  EXPECT_EQ(DiagnoseBlockOpenFailure(BlockDir(0), Status::IOError("x")).damaged, false);
}

// Running out of file descriptors is not damage: the block must not be moved aside.
TEST_F(BlockQuarantineTest, OpenFailureThatIsNotDamageIsNotQuarantined) {
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  struct rlimit low = old_limit;
  low.rlim_cur = 3;  // stdin, stdout, stderr: every open() fails with EMFILE
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto b = Block::Open(BlockDir(1));
  BlockDamage d = DiagnoseBlockOpenFailure(BlockDir(1), b.ok() ? Status::Ok() : b.status());
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(d.damaged) << d.reason << ": " << d.error.ToString();
  EXPECT_FALSE(d.error.ok());
}

TEST_F(BlockQuarantineTest, SecondQuarantineOfTheSameNameDoesNotCollide) {
  fs::create_directories(dir_ + "/quarantine/" + blocks_[1].ulid + "-bad-index");
  auto moved = QuarantineBlock(dir_, blocks_[1].ulid, "bad-index");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_NE(*moved, dir_ + "/quarantine/" + blocks_[1].ulid + "-bad-index");
  EXPECT_TRUE(fs::exists(*moved + "/index"));
}

}  // namespace
}  // namespace abhra::tsdb
