#include "tests/faults/aggregator_process.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aggregator/tsdb/block/ulid.h"
#include "common/http/url.h"

namespace abhra::testing {

namespace fs = std::filesystem;

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Whether this build's --help lists --web.enable-admin-api (the admin API may sit behind it).
bool AdminFlagOffered() {
  static const bool offered = [] {
    std::string dir = MakeTempDir("abhra-help");
    std::string out = dir + "/help.txt";
    auto p = Subprocess::Start({ABHRA_AGGREGATOR_BIN, "--help"}, out);
    if (p.ok()) p->Wait(std::chrono::seconds(10));
    bool found = ReadWholeFile(out).find("--web.enable-admin-api") != std::string::npos;
    fs::remove_all(dir);
    return found;
  }();
  return offered;
}

}  // namespace

Result<std::unique_ptr<AggregatorProcess>> AggregatorProcess::Start(const std::string& data_dir,
                                                                    const std::string& log,
                                                                    const std::string& config) {
  uint16_t port = FreePort();
  std::vector<std::string> argv = {ABHRA_AGGREGATOR_BIN, "--data-dir", data_dir, "--listen",
                                   "127.0.0.1:" + std::to_string(port)};
  if (!config.empty()) argv.insert(argv.end(), {"--config", config});
  if (AdminFlagOffered()) argv.push_back("--web.enable-admin-api");
  ABHRA_ASSIGN_OR_RETURN(Subprocess proc, Subprocess::Start(argv, log));
  std::unique_ptr<AggregatorProcess> a(new AggregatorProcess(std::move(proc), port));
  if (!WaitForHttp200(port, "/-/ready")) {
    return Status::Unavailable("aggregator on port " + std::to_string(port) +
                               " not ready within 20 s; see " + log);
  }
  return a;
}

Result<int> AggregatorProcess::Write(const std::vector<remote::TimeSeries>& series) {
  std::string body;
  remote::EncodeWriteRequest(series, {}, &body);
  http::Headers h;
  h.Add("Content-Encoding", "snappy");
  h.Add("Content-Type", "application/x-protobuf");
  h.Add("X-Prometheus-Remote-Write-Version", "0.1.0");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn_) {
      ABHRA_ASSIGN_OR_RETURN(conn_, http::TestConnection::Connect(port_, std::chrono::seconds(20)));
    }
    auto r = conn_->RoundTrip("POST", "/api/v1/write", body, h);
    if (r.ok()) return r->status;
    conn_.reset();  // the server may have closed a kept-alive connection: one retry
    if (attempt == 1) return r.status();
  }
  return Status::Internal("unreachable");
}

Result<double> AggregatorProcess::QueryValue(const std::string& promql, int64_t time_ms) {
  std::string target = "/api/v1/query?query=" + http::PercentEncode(promql) +
                       "&time=" + std::to_string(static_cast<double>(time_ms) / 1000.0);
  ABHRA_ASSIGN_OR_RETURN(auto r, http::Fetch(port_, "GET", target));
  if (r.status != 200) {
    return Status::Internal("query " + promql + ": HTTP " + std::to_string(r.status) + ": " +
                            r.body);
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Status::Internal("query " + promql + ": not JSON: " + r.body);
  const auto& res = j["data"]["result"];
  if (!res.is_array() || res.empty()) return Status::NotFound("query " + promql + ": empty result");
  return std::stod(res[0]["value"][1].get<std::string>());
}

Result<http::ClientResponse> AggregatorProcess::Admin(const std::string& action) {
  return http::Fetch(port_, "POST", "/api/v1/admin/" + action);
}

std::vector<std::string> TemporaryEntries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (EndsWith(n, ".tmp-for-creation") || EndsWith(n, ".tmp-for-deletion") ||
        EndsWith(n, ".tmp")) {
      out.push_back(n);
    }
  }
  return out;
}

std::vector<std::string> BlockDirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (e.is_directory(ec) && tsdb::IsUlid(n)) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void RemoveUnlessFailed(const std::string& dir, const std::string& log) {
  if (::testing::Test::HasFailure()) {
    std::printf("kept for a look: %s (aggregator log: %s)\n", dir.c_str(), log.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace abhra::testing
