// Crash safety: a child process appends and commits with fsync=always and reports each
// acknowledged batch over a pipe; the parent SIGKILLs it at a random moment, reopens the
// head and checks that every acknowledged sample is there. Repeated for several rounds.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "aggregator/tsdb/head/head.h"
#include "aggregator/tsdb/head/head_appender.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr int kWriters = 2;
constexpr int kSeriesPerWriter = 40;

struct Ack {
  int32_t writer;
  int32_t batch;
};

Matcher Eq(const std::string& n, const std::string& v) { return Matcher::Equal(n, v); }

// Highest batch id of writer w in the head (its samples are at t = batch * 1000), or -1.
int LastBatch(Head& h, int w) {
  auto q = h.MakeQuerier(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  auto set = (*q)->Select(false, {}, {Eq("__name__", "crash"), Eq("w", std::to_string(w))});
  int64_t last = -1000;
  while (set->Next()) {
    auto it = set->At().Iterator();
    while (it->Next()) last = std::max(last, it->At().t);
  }
  return static_cast<int>(last / 1000);
}

[[noreturn]] void RunChild(const std::string& dir, int fd) {
  SetLogSink([](std::string_view) {});
  HeadOptions o;
  o.wal.fsync = FsyncPolicy::kAlways;
  auto h = Head::Open(dir, o);
  if (!h.ok()) _exit(3);
  std::vector<std::thread> ts;
  for (int w = 0; w < kWriters; ++w) {
    ts.emplace_back([&, w] {
      int batch = LastBatch(**h, w) + 1;
      std::vector<std::string> ids;
      for (int s = 0; s < kSeriesPerWriter; ++s) ids.push_back(std::to_string(s));
      std::string wname = std::to_string(w);
      for (;; ++batch) {
        auto app = (*h)->NewAppender();
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          LabelView l[] = {{"__name__", "crash"}, {"s", ids[static_cast<size_t>(s)]}, {"w", wname}};
          if (!app->AppendViews(l, int64_t{batch} * 1000, batch).ok()) _exit(4);
        }
        if (!app->Commit().ok()) _exit(5);
        Ack a{w, batch};
        if (write(fd, &a, sizeof a) != sizeof a) _exit(6);
      }
    });
  }
  for (auto& t : ts) t.join();
  _exit(0);
}

TEST(HeadCrashTest, AcknowledgedSamplesSurviveSigkill) {
  fs::path dir = fs::temp_directory_path() / fmt::format("abhra_head_crash_{}", ::getpid());
  fs::remove_all(dir);
  std::mt19937 rng(42);
  std::map<int, int> acked;  // writer → highest acknowledged batch over all rounds
  int total_acks = 0;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 10; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(dir.string(), fds[1]);
    }
    close(fds[1]);
    // Let the child get going, then kill it at a random moment. (The sleep picks the kill
    // time; correctness does not depend on it.)
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 250));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    Ack a;
    while (read(fds[0], &a, sizeof a) == sizeof a) {
      acked[a.writer] = std::max(acked[a.writer], a.batch);
      ++total_acks;
    }
    close(fds[0]);

    SetLogSink([](std::string_view) {});
    HeadOptions o;
    o.wal.fsync = FsyncPolicy::kNever;
    auto h = Head::Open(dir.string(), o);
    SetLogSink(nullptr);
    ASSERT_TRUE(h.ok()) << "round " << round << ": " << h.status().ToString();
    for (int w = 0; w < kWriters; ++w) {
      if (acked.count(w) == 0) continue;
      auto q = (*h)->MakeQuerier(0, int64_t{acked[w]} * 1000);
      auto set = (*q)->Select(false, {}, {Eq("__name__", "crash"), Eq("w", std::to_string(w))});
      int series = 0;
      while (set->Next()) {
        ++series;
        auto it = set->At().Iterator();
        int64_t expect = 0;
        while (it->Next()) {
          // Batches are contiguous from 0: every acknowledged batch is present, in order.
          ASSERT_EQ(it->At().t, expect * 1000) << "round " << round << " writer " << w;
          ASSERT_EQ(it->At().v, static_cast<double>(expect));
          ++expect;
        }
        ASSERT_EQ(expect, acked[w] + 1) << "round " << round << " writer " << w << " series "
                                        << set->At().labels().ToString();
      }
      ASSERT_EQ(series, kSeriesPerWriter);
    }
    ASSERT_TRUE((*h)->Close().ok());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("crash test: 10 rounds, %d acknowledged batches verified, %.1f s\n", total_acks, secs);
  EXPECT_GT(total_acks, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace abhra::tsdb
