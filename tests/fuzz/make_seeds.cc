// Writes the binary seed inputs of the fuzz corpora (tests/fuzz/corpus/) with the project's
// own encoders: remote-write 1.0/2.0 requests (raw protobuf and snappy bodies), a small
// WAL segment and block index files. Run from the fuzz build: make_seeds <repo>/tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "aggregator/tsdb/index/index_writer.h"
#include "aggregator/tsdb/wal/records.h"
#include "aggregator/tsdb/wal/wal.h"
#include "aggregator/tsdb/wal/wal_format.h"
#include "common/remote/write_request_encoder.h"

namespace fs = std::filesystem;
using namespace abhra;

namespace {

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

std::vector<remote::TimeSeries> Series() {
  std::vector<remote::TimeSeries> out(2);
  out[0].labels = Labels{{"__name__", "up"}, {"env", "prod"}, {"job", "probe"}};
  out[0].samples = {{1700000000000, 1}, {1700000015000, 0}};
  out[0].exemplars.push_back({Labels{{"trace_id", "abc"}}, 0.5, 1700000000000});
  out[1].labels = Labels{{"__name__", "probe_duration_seconds"}, {"target", "web"}};
  out[1].samples = {{1700000000000, 0.125}};
  return out;
}

std::vector<remote::Metadata> Meta() {
  return {{remote::MetricType::kGauge, "up", "1 if the target is up", ""},
          {remote::MetricType::kGauge, "probe_duration_seconds", "duration", "seconds"}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  fs::path corpus = argv[1];
  auto series = Series();
  auto meta = Meta();
  std::string buf;

  for (int v = 1; v <= 2; ++v) {
    fs::path dir = corpus / (v == 1 ? "remote_write_v1" : "remote_write_v2");
    buf.clear();
    v == 1 ? remote::MarshalWriteRequest(series, meta, &buf)
           : remote::MarshalWriteRequestV2(series, meta, &buf);
    WriteFile(dir / "two_series.pb", buf);
    buf.clear();
    v == 1 ? remote::EncodeWriteRequest(series, meta, &buf)
           : remote::EncodeWriteRequestV2(series, meta, &buf);
    WriteFile(dir / "two_series.snappy", buf);
    if (v == 1) WriteFile(corpus / "snappy" / "remote_write.snappy", buf);
    buf.clear();
    std::vector<remote::TimeSeries> one(series.begin(), series.begin() + 1);
    one[0].exemplars.clear();
    v == 1 ? remote::MarshalWriteRequest(one, {}, &buf) : remote::MarshalWriteRequestV2(one, {}, &buf);
    WriteFile(dir / "one_series.pb", buf);
  }

  // A WAL segment with a series record and a samples record.
  fs::path tmp = fs::temp_directory_path() / "abhra-make-seeds-wal";
  fs::remove_all(tmp);
  {
    tsdb::WalOptions opts;
    opts.fsync = tsdb::FsyncPolicy::kNever;
    auto wal = tsdb::Wal::Open(tmp.string(), opts);
    if (!wal.ok()) {
      std::fprintf(stderr, "wal: %s\n", wal.status().ToString().c_str());
      return 1;
    }
    std::string s, smp;
    tsdb::BeginSeriesRecord(&s);
    std::vector<LabelView> l1 = {{"__name__", "up"}, {"env", "prod"}};
    std::vector<LabelView> l2 = {{"__name__", "x"}};
    tsdb::AddSeries(&s, 1, l1);
    tsdb::AddSeries(&s, 2, l2);
    std::vector<tsdb::RefSample> samples = {{1, 1000, 1.0}, {2, 1000, 2.5}, {1, 16000, 0}};
    tsdb::EncodeSamples(&smp, samples);
    std::vector<std::string_view> recs = {s, smp};
    if (!(*wal)->Log(recs).ok() || !(*wal)->Close().ok()) return 1;
  }
  std::ifstream in(tmp / tsdb::SegmentName(0), std::ios::binary);
  std::string seg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  WriteFile(corpus / "wal_reader" / "series_and_samples", seg);
  fs::remove_all(tmp);

  // Block indexes: three series (shared and distinct label values, several chunks), and one.
  // EncodeIndex wants the series sorted by labels.
  std::vector<tsdb::IndexSeries> idx(3);
  idx[0].labels = Labels{{"__name__", "probe_duration_seconds"}, {"target", "web"}};
  idx[0].chunks = {{1700000000000, 1700000000000, 8}};
  idx[1].labels = Labels{{"__name__", "up"}, {"env", "prod"}, {"job", "probe"}};
  idx[1].chunks = {{1700000000000, 1700000119000, 40}, {1700000120000, 1700000239000, 90}};
  idx[2].labels = Labels{{"__name__", "up"}, {"env", "staging"}, {"job", "probe"}};
  idx[2].chunks = {{1700000000000, 1700000239000, 150}};
  auto three = tsdb::EncodeIndex(idx, nullptr);
  std::vector<tsdb::IndexSeries> first(idx.begin() + 1, idx.begin() + 2);
  auto one = tsdb::EncodeIndex(first, nullptr);
  if (!three.ok() || !one.ok()) return 1;
  WriteFile(corpus / "index_reader" / "three_series", *three);
  WriteFile(corpus / "index_reader" / "one_series", *one);
  return 0;
}
