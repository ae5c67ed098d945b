// Writes a data directory with the DB (blocks from Flush, compacted blocks, and samples
// left in the WAL), then checks that `promtool tsdb list|analyze|dump` read it and that
// dump prints exactly the samples we stored. Exit 0 = pass, 1 = fail, 77 = no promtool.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "aggregator/tsdb/db/db.h"

namespace fs = std::filesystem;
using namespace abhra;

namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr int64_t kH = 3600 * 1000;
int failures = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                   \
      std::fprintf(stderr, "\n");                          \
      ++failures;                                          \
    }                                                      \
  } while (0)

int Run(const std::string& cmd, std::string* out) {
  out->clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Go's labels.Labels.String(): {a="b", c="d"} (values here need no escaping).
std::string GoLabels(const Labels& ls) {
  std::string s = "{";
  for (size_t i = 0; i < ls.size(); ++i) {
    if (i > 0) s += ", ";
    s += ls[i].name + "=\"" + ls[i].value + "\"";
  }
  return s + "}";
}

using Key = std::tuple<std::string, int64_t>;

}  // namespace

int main() {
  if (::access(kPromtool, X_OK) != 0) {
    std::fprintf(stderr, "SKIP: %s not found\n", kPromtool);
    return 77;
  }
  fs::path dir = fs::temp_directory_path() / ("abhra-promtool-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::map<Key, double> want;  // (labels, t) -> v
  std::mt19937_64 rng(42);
  std::vector<Labels> series;
  for (int i = 0; i < 20; ++i) {
    series.push_back(Labels{{"__name__", i % 2 ? "http_requests_total" : "node_load1"},
                            {"instance", "host-" + std::to_string(i)},
                            {"job", i % 3 ? "api" : "node"}});
  }
  auto append = [&](tsdb::DB& db, int64_t from, int64_t to, int64_t step) {
    auto app = db.MakeAppender();
    for (int64_t t = from; t < to; t += step) {
      for (size_t i = 0; i < series.size(); ++i) {
        double v;
        if (i % 2) v = double((t / step) * (i + 1));                   // counter
        else if (i % 4 == 0) v = std::round(double(rng() % 10000)) / 100;  // gauge
        else v = 0.25;                                                 // constant
        if (!app->Append(0, series[i], t, v).ok()) std::abort();
        want[{GoLabels(series[i]), t}] = v;
      }
    }
    if (!app->Commit().ok()) std::abort();
  };
  const int64_t base = 1700000000000 / (24 * kH) * (24 * kH);
  {
    tsdb::DBOptions o;
    o.background_interval_ms = 0;
    o.external_labels = {{"tenant", "promtool-test"}};
    auto db = tsdb::DB::Open(dir.string(), o);
    if (!db.ok()) {
      std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
      return 1;
    }
    append(**db, base, base + 7 * kH, 15000);
    // Cut head blocks and compact [0,6h) into one level-2 block.
    if (!(*db)->Compact().ok()) return 1;
    if (!(*db)->Flush().ok()) return 1;
    // Now [0,6h) is complete: merged into one level-2 block (re-encoded chunks).
    if (!(*db)->Compact().ok()) return 1;
    bool compacted = false;
    for (const auto& m : (*db)->Blocks()) compacted |= m.level == 2;
    CHECK(compacted, "no compacted block");
    // These stay in the head: only in the WAL.
    append(**db, base + 7 * kH, base + 7 * kH + 10 * 60000, 15000);
    std::printf("blocks: %zu\n", (*db)->Blocks().size());
    if (!(*db)->Close().ok()) return 1;
  }

  std::string out;
  int rc = Run(std::string(kPromtool) + " tsdb list " + dir.string(), &out);
  CHECK(rc == 0, "promtool tsdb list exit %d: %s", rc, out.c_str());
  std::printf("%s", out.c_str());
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.size() == 26) CHECK(out.find(n) != std::string::npos, "list misses block %s", n.c_str());
  }
  rc = Run(std::string(kPromtool) + " tsdb analyze " + dir.string(), &out);
  CHECK(rc == 0, "promtool tsdb analyze exit %d: %s", rc, out.c_str());
  CHECK(out.find("Block ID") != std::string::npos, "analyze output: %s", out.c_str());

  rc = Run(std::string(kPromtool) + " tsdb dump " + dir.string(), &out);
  CHECK(rc == 0, "promtool tsdb dump exit %d: %.2000s", rc, out.c_str());
  std::map<Key, double> got;
  size_t lines = 0, dups = 0;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] != '{') continue;
    size_t s2 = line.rfind(' ');
    size_t s1 = line.rfind(' ', s2 - 1);
    if (s1 == std::string::npos || s2 == std::string::npos) continue;
    ++lines;
    Key k{line.substr(0, s1), std::stoll(line.substr(s2 + 1))};
    double v = std::strtod(line.substr(s1 + 1, s2 - s1 - 1).c_str(), nullptr);
    if (!got.emplace(k, v).second) ++dups;
  }
  CHECK(dups == 0, "%zu duplicate samples in dump", dups);
  CHECK(got.size() == want.size(), "dump has %zu samples, stored %zu", got.size(), want.size());
  size_t mismatched = 0;
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end() || it->second != v) {
      if (++mismatched <= 5) {
        std::fprintf(stderr, "missing/wrong: %s %lld want %g\n", std::get<0>(k).c_str(),
                     (long long)std::get<1>(k), v);
      }
    }
  }
  CHECK(mismatched == 0, "%zu samples missing or different", mismatched);
  std::printf("dump: %zu lines, %zu samples stored\n", lines, want.size());

  // promtool opened the WAL read-only (it may add an empty segment and chunks_head/): the
  // DB still opens and has everything.
  {
    tsdb::DBOptions o;
    o.background_interval_ms = 0;
    auto db = tsdb::DB::Open(dir.string(), o);
    CHECK(db.ok(), "reopen after promtool: %s", db.ok() ? "" : db.status().ToString().c_str());
    if (db.ok()) {
      auto q = (*db)->MakeQuerier(base, base + 8 * kH);
      size_t n = 0;
      if (q.ok()) {
        auto ss = (*q)->Select(true, {}, {Matcher::Equal("job", "api")});
        while (ss->Next()) {
          auto it = ss->At().Iterator();
          while (it->Next()) ++n;
        }
      }
      size_t want_api = 0;
      for (const auto& [k, v] : want) want_api += std::get<0>(k).find("job=\"api\"") != std::string::npos;
      CHECK(n == want_api, "after reopen %zu api samples, want %zu", n, want_api);
    }
  }
  if (failures == 0) fs::remove_all(dir);
  std::printf("%s\n", failures == 0 ? "PASS" : "FAIL");
  return failures == 0 ? 0 : 1;
}
