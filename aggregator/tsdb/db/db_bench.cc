// abhra-db-bench: bytes per sample on disk after flush + compaction on the shared bench
// payloads (remote-write files from /work/shared/bench/gen_remote_write.py).
//
//   abhra-db-bench payloads DIR DATA_DIR [samples_per_chunk]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "aggregator/tsdb/db/db.h"
#include "common/remote/write_request_decoder.h"

namespace fs = std::filesystem;
using namespace abhra;

namespace {

uint64_t DirBytes(const fs::path& p, const std::string& name_filter = "") {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(p, ec)) {
    if (!e.is_regular_file(ec)) continue;
    if (!name_filter.empty() && e.path().filename().string().rfind(name_filter, 0) != 0 &&
        e.path().parent_path().filename() != name_filter) {
      continue;
    }
    n += e.file_size(ec);
  }
  return n;
}

int Payloads(const std::string& payloads, const std::string& data, int spc) {
  fs::remove_all(data);
  tsdb::DBOptions o;
  o.background_interval_ms = 0;
  if (spc > 0) o.samples_per_chunk = spc;
  o.head_block_samples_per_chunk = spc;
  auto db = tsdb::DB::Open(data, o);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(payloads)) {
    if (e.path().extension() == ".rw") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  remote::DecodedWriteRequest req;
  std::vector<std::vector<storage::Sample>> samples;
  std::vector<tsdb::SeriesSamples> batch;
  size_t total = 0, errors = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string body = ss.str();
    req.Clear();
    Status s = remote::DecodeWriteRequest(body, 64 << 20, &req);
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", f.c_str(), s.ToString().c_str());
      return 1;
    }
    samples.assign(req.series.size(), {});
    batch.clear();
    for (size_t i = 0; i < req.series.size(); ++i) {
      for (const auto& sv : req.SamplesOf(req.series[i])) samples[i].push_back({sv.timestamp_ms, sv.value});
      batch.push_back({req.LabelsOf(req.series[i]), samples[i]});
    }
    tsdb::AppendBatchResult r;
    s = (*db)->head().AppendBatch(batch, &r);
    if (!s.ok()) {
      std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
      return 1;
    }
    total += r.appended;
    errors += r.errors.size();
  }
  double ingest = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto t1 = std::chrono::steady_clock::now();
  if (!(*db)->Flush().ok() || !(*db)->Compact().ok()) return 1;
  double flush = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  uint64_t index = 0, chunks = 0, meta = 0, blocks = 0;
  for (const auto& m : (*db)->Blocks()) {
    fs::path b = fs::path(data) / m.ulid;
    index += fs::file_size(b / "index");
    meta += fs::file_size(b / "meta.json");
    chunks += DirBytes(b / "chunks");
    ++blocks;
  }
  uint64_t wal = DirBytes(fs::path(data) / "wal");
  uint64_t all = index + chunks + meta;
  std::printf("files=%zu samples=%zu errors=%zu series=%zu ingest_s=%.2f flush_compact_s=%.2f\n",
              files.size(), total, errors, (*db)->head().NumSeries(), ingest, flush);
  std::printf("blocks=%lu samples_per_chunk=%d\n", (unsigned long)blocks, spc);
  std::printf("bytes: blocks=%lu (index=%lu chunks=%lu meta=%lu) wal_after=%lu\n",
              (unsigned long)all, (unsigned long)index, (unsigned long)chunks, (unsigned long)meta,
              (unsigned long)wal);
  std::printf("B/sample: total=%.3f index=%.3f chunks=%.3f (incl. WAL: %.3f)\n",
              double(all) / total, double(index) / total, double(chunks) / total,
              double(all + wal) / total);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "payloads") {
    return Payloads(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 240);
  }
  std::fprintf(stderr, "usage: %s payloads DIR DATA_DIR [samples_per_chunk]\n", argv[0]);
  return 2;
}
