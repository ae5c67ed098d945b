// Block writes that fail for lack of space (simulated with RLIMIT_FSIZE: write() fails with
// EFBIG as it would with ENOSPC) fail Flush and Compact cleanly: no temporary or half block
// left, the head and the parents untouched, nothing lost; once writes succeed again both work.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "aggregator/tsdb/db/db.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;
constexpr int kSeries = 4;

// Lowers the file size limit for this process while alive (SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ok_ = ::getrlimit(RLIMIT_FSIZE, &old_) == 0;
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_;
    small.rlim_cur = bytes;
    ok_ = ok_ && ::setrlimit(RLIMIT_FSIZE, &small) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  struct rlimit old_ {};
  sighandler_t old_handler_;
  bool ok_ = false;
};

class DBWriteFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            fmt::format("abhra_db_write_failure_test_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    SetLogSink([](std::string_view) {});
    DBOptions o;
    o.background_interval_ms = 0;
    o.downsample = false;
    auto db = DB::Open(dir_, o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    SetLogSink(nullptr);
    fs::remove_all(dir_);
  }

  // One sample a minute per series in [from, to).
  void Append(int64_t from, int64_t to) {
    auto app = db_->MakeAppender();
    for (int64_t t = from; t < to; t += 60000) {
      for (int i = 0; i < kSeries; ++i) {
        ASSERT_TRUE(app->Append(0, Labels{{"__name__", "w"}, {"i", std::to_string(i)}}, t, 1).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  int64_t Count() {
    auto q = db_->MakeQuerier(0, 100 * kH);
    EXPECT_TRUE(q.ok());
    auto ss = (*q)->Select(true, {}, {Matcher::Equal("__name__", "w")});
    int64_t n = 0;
    while (ss->Next()) {
      auto it = ss->At().Iterator();
      while (it->Next()) ++n;
    }
    EXPECT_TRUE(ss->Err().ok());
    return n;
  }

  std::vector<std::string> Entries() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string n = e.path().filename().string();
      if (n != "wal") out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
  std::unique_ptr<DB> db_;
};

TEST_F(DBWriteFailureTest, FlushAndCompactFailCleanlyAndWorkOnceThereIsRoom) {
  Append(0, 8 * kH);
  const int64_t all = kSeries * 8 * 60;
  {
    FileSizeLimit limit(100);
    ASSERT_TRUE(limit.ok());
    Status st = db_->Flush();
    EXPECT_TRUE(st.Is(Status::Code::kIOError)) << st.ToString();
  }
  EXPECT_EQ(Entries(), std::vector<std::string>{}) << "no temporary or half block";
  EXPECT_TRUE(db_->Blocks().empty());
  EXPECT_EQ(Count(), all);

  ASSERT_TRUE(db_->Flush().ok());
  ASSERT_EQ(db_->Blocks().size(), 4u);
  const auto blocks = Entries();
  {
    FileSizeLimit limit(100);
    ASSERT_TRUE(limit.ok());
    Status st = db_->Compact();
    EXPECT_TRUE(st.Is(Status::Code::kIOError)) << st.ToString();
  }
  EXPECT_EQ(Entries(), blocks) << "parents kept, nothing new";
  EXPECT_EQ(db_->Blocks().size(), 4u);
  EXPECT_EQ(Count(), all);

  ASSERT_TRUE(db_->Compact().ok());
  EXPECT_LT(db_->Blocks().size(), 4u);
  EXPECT_EQ(Count(), all);
  for (const auto& n : Entries()) EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;
}

}  // namespace
}  // namespace abhra::tsdb
