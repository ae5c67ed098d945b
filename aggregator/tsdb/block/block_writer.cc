#include "aggregator/tsdb/block/block_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "aggregator/tsdb/block/chunk_file.h"
#include "aggregator/tsdb/block/ulid.h"
#include "aggregator/tsdb/index/mapped_file.h"

namespace abhra::tsdb {

namespace fs = std::filesystem;

Result<BlockMeta> WriteBlock(const std::string& data_dir, int64_t mint, int64_t maxt,
                             std::vector<BlockSeries> series, const BlockWriteOptions& opts,
                             BlockWriteStats* stats) {
  std::erase_if(series, [](const BlockSeries& s) { return s.chunks.empty(); });
  BlockMeta meta;
  if (series.empty()) return meta;
  std::sort(series.begin(), series.end(),
            [](const BlockSeries& a, const BlockSeries& b) { return a.labels < b.labels; });
  int64_t now = opts.now_ms;
  if (now == 0) {
    now = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  }
  meta.ulid = NewUlid(now);
  meta.min_time = mint;
  meta.max_time = maxt;
  meta.level = opts.level;
  meta.sources = opts.sources.empty() ? std::vector<std::string>{meta.ulid} : opts.sources;
  meta.parents = opts.parents;
  meta.thanos_labels = opts.thanos_labels;
  meta.resolution = opts.resolution;
  meta.source = opts.source;

  std::string final_dir = data_dir + "/" + meta.ulid;
  std::string tmp = final_dir + kTmpForCreation;
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IOError("mkdir " + tmp + ": " + ec.message());
  auto fail = [&](Status s) {
    std::error_code ec2;
    fs::remove_all(tmp, ec2);
    return s;
  };

  ChunkFileWriter cw(tmp + "/chunks");
  std::vector<IndexSeries> idx(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    auto& s = series[i];
    idx[i].labels = std::move(s.labels);
    idx[i].chunks.reserve(s.chunks.size());
    for (auto& c : s.chunks) {
      auto ref = cw.Write(c.encoding, c.data);
      if (!ref.ok()) return fail(ref.status());
      idx[i].chunks.push_back({c.mint, c.maxt, *ref});
      uint32_t n = c.num_samples;
      if (n == 0 && c.encoding == 1 && c.data.size() >= 2) n = uint32_t(c.data[0]) << 8 | c.data[1];
      meta.num_samples += n;
      ++meta.num_chunks;
      std::vector<uint8_t>().swap(c.data);
    }
    ++meta.num_series;
  }
  Status st = cw.Finish();
  if (!st.ok()) return fail(st);
  meta.segment_files = cw.segment_files();
  IndexWriteStats is;
  st = WriteIndexFile(tmp + "/index", idx, &is);
  if (!st.ok()) return fail(st);
  std::string mj = EncodeMeta(meta);
  st = WriteFileSync(tmp + "/meta.json", mj);
  if (!st.ok()) return fail(st);
  st = SyncDir(tmp);
  if (!st.ok()) return fail(st);
  if (std::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return fail(Status::FromErrno("rename " + tmp, errno));
  }
  ABHRA_RETURN_IF_ERROR(SyncDir(data_dir));
  if (stats != nullptr) {
    stats->chunk_bytes = cw.bytes_written();
    stats->meta_bytes = mj.size();
    stats->index = is;
  }
  return meta;
}

Status RemoveBlockDir(const std::string& dir) {
  std::string del = dir + kTmpForDeletion;
  if (std::rename(dir.c_str(), del.c_str()) != 0) return Status::FromErrno("rename " + dir, errno);
  std::error_code ec;
  fs::remove_all(del, ec);
  if (ec) return Status::IOError("remove " + del + ": " + ec.message());
  return Status::Ok();
}

}  // namespace abhra::tsdb
