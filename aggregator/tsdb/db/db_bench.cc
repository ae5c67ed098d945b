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
#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/compact/compactor.h"
#include "aggregator/tsdb/downsample/downsample.h"
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

// 200 counters x 30 days at 60 s, written as 7-day raw blocks, downsampled by Compact();
// then the same "rate over 6h windows at a 6h step" read over 30 days on raw and on 1h data.
int ThirtyDays(const std::string& data) {
  constexpr int64_t kH = 3600 * 1000, kDay = 24 * kH, kWeek = 7 * kDay;
  constexpr int kSeries = 200;
  const int64_t end = 30 * kDay;
  fs::remove_all(data);
  fs::create_directories(data);
  auto t0 = std::chrono::steady_clock::now();
  for (int64_t w = 0; w < end; w += kWeek) {
    int64_t wend = std::min(w + kWeek, end);
    std::vector<tsdb::BlockSeries> series;
    for (int i = 0; i < kSeries; ++i) {
      tsdb::BlockSeries s;
      s.labels = Labels{{"__name__", "http_requests_total"}, {"instance", "host-" + std::to_string(i)}};
      struct It final : storage::SampleIterator {
        int i;
        int64_t t, end;
        bool Next() override { return (t += 60000) < end; }
        bool Seek(int64_t) override { return false; }
        storage::Sample At() const override {
          return {t, double((t / 60000) * (i % 7 + 1) + (t / 60000) / 3)};
        }
      } it;
      it.i = i;
      it.t = w - 60000;
      it.end = wend;
      if (!tsdb::EncodeXorChunks(it, 120, &s.chunks).ok()) return 1;
      series.push_back(std::move(s));
    }
    tsdb::BlockWriteOptions wo;
    wo.level = 4;
    if (!tsdb::WriteBlock(data, w, wend, std::move(series), wo).ok()) return 1;
  }
  tsdb::DBOptions o;
  o.background_interval_ms = 0;
  o.downsample_1h_min_block_ms = 40 * kH;
  auto db = tsdb::DB::Open(data, o);
  if (!db.ok() || !(*db)->Compact().ok()) return 1;
  double prep = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Per series and 6h window: increase (reset-free counters) = last - first sample value.
  auto run = [&](const storage::SelectHints& h, double* checksum, size_t* points) {
    auto start = std::chrono::steady_clock::now();
    auto q = (*db)->MakeQuerier(0, end);
    auto ss = (*q)->Select(true, h, {Matcher::Equal("__name__", "http_requests_total")});
    *checksum = 0;
    *points = 0;
    while (ss->Next()) {
      auto it = ss->At().Iterator();
      for (int64_t t = 6 * kH; t <= end; t += 6 * kH) {
        if (!it->Seek(t - 6 * kH + 1)) break;
        double first = it->At().v, last = first;
        int64_t tf = it->At().t, tl = tf;
        while (it->At().t <= t) {
          last = it->At().v;
          tl = it->At().t;
          ++*points;
          if (!it->Next()) break;
        }
        // rate() as PromQL computes it (extrapolated to the window), summed.
        if (tl > tf) *checksum += (last - first) / double(tl - tf) * 1000;
      }
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  storage::SelectHints raw;  // no hints: raw
  storage::SelectHints down;
  down.start = 0;
  down.end = end;
  down.range = 6 * kH;
  down.step = 6 * kH;
  down.func = "rate";
  double cr = 0, cd = 0;
  size_t pr = 0, pd = 0;
  double tr = 1e9, td = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    tr = std::min(tr, run(raw, &cr, &pr));
    td = std::min(td, run(down, &cd, &pd));
  }
  std::printf("blocks=%zu prepare_s=%.2f\n", (*db)->Blocks().size(), prep);
  std::printf("raw: %.4f s (%zu samples read), 1h: %.4f s (%zu samples read), speedup %.1fx\n", tr,
              pr, td, pd, tr / td);
  std::printf("sum of per-window rates (1/s): raw %.4f, 1h %.4f (diff %.3f%%)\n",
              cr, cd, 100 * std::abs(cr - cd) / cr);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::string(argv[1]) == "payloads") {
    return Payloads(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 240);
  }
  if (argc >= 3 && std::string(argv[1]) == "30d") return ThirtyDays(argv[2]);
  std::fprintf(stderr, "usage: %s 30d DATA_DIR | payloads DIR DATA_DIR [samples_per_chunk]\n", argv[0]);
  return 2;
}
