// Remote-write decode: the hand-rolled zero-copy decoder against the protoc-generated
// classes, on a realistic request (common/remote/testdata/gen_1000x1.rw: 1000 series × 1
// sample, ~7.7 labels per series, 26 KB snappy / 194 KB raw, made by the shared bench
// generator). Also the encoder and the text-format parser.
//
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rel --target codec_bench
//   build-rel/bin/codec_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>

#include "common/remote/proto/remote_write_v1.pb.h"
#include "common/remote/protobuf_decoder.h"
#include "common/remote/write_request_decoder.h"
#include "common/remote/write_request_encoder.h"
#include "common/textformat/text_parser.h"

namespace abhra {
namespace {

const std::string& Fixture() {
  static const std::string body = [] {
    std::ifstream in(ABHRA_SOURCE_DIR "/common/remote/testdata/gen_1000x1.rw", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return body;
}

const std::string& RawFixture() {
  static const std::string raw = [] {
    std::string out;
    if (!remote::SnappyDecompress(Fixture(), remote::kDefaultMaxDecodedBytes, &out).ok()) {
      std::abort();
    }
    return out;
  }();
  return raw;
}

void Report(benchmark::State& state, size_t series, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * series));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_SnappyDecompress(benchmark::State& state) {
  std::string out;
  size_t n = 0;
  for (auto _ : state) {
    if (!remote::SnappyDecompressInto(Fixture(), remote::kDefaultMaxDecodedBytes, &out, &n).ok()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, 1000, Fixture().size());
}
BENCHMARK(BM_SnappyDecompress);

// Full ingest decode: snappy + protobuf → views. What the aggregator runs per request.
void BM_DecodeHandRolled(benchmark::State& state) {
  remote::DecodedWriteRequest d;
  for (auto _ : state) {
    if (!remote::DecodeWriteRequest(Fixture(), remote::kDefaultMaxDecodedBytes, &d).ok()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(d.labels.data());
  }
  Report(state, d.series.size(), Fixture().size());
}
BENCHMARK(BM_DecodeHandRolled);

void BM_DecodeGenerated(benchmark::State& state) {
  remote::ProtobufWriteRequestDecoder pd;
  remote::DecodedWriteRequest d;
  for (auto _ : state) {
    if (!pd.Decode(Fixture(), remote::kDefaultMaxDecodedBytes, &d).ok()) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(d.labels.data());
  }
  Report(state, d.series.size(), Fixture().size());
}
BENCHMARK(BM_DecodeGenerated);

// Protobuf only (input already decompressed).
void BM_ParseHandRolled(benchmark::State& state) {
  remote::DecodedWriteRequest d;
  for (auto _ : state) {
    if (!remote::ParseWriteRequest(RawFixture(), &d).ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(d.labels.data());
  }
  Report(state, d.series.size(), RawFixture().size());
}
BENCHMARK(BM_ParseHandRolled);

// Generated parse into a reused message (repeated fields keep their objects), plus views.
void BM_ParseGeneratedReused(benchmark::State& state) {
  remote::ProtobufWriteRequestDecoder pd;
  remote::DecodedWriteRequest d;
  for (auto _ : state) {
    if (!pd.Parse(RawFixture(), &d).ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(d.labels.data());
  }
  Report(state, d.series.size(), RawFixture().size());
}
BENCHMARK(BM_ParseGeneratedReused);

// Generated parse only, reused message, no views: the generated code's best case.
void BM_ParseGeneratedMessageOnly(benchmark::State& state) {
  remote::ProtobufWriteRequestDecoder pd;
  for (auto _ : state) {
    if (!pd.ParseMessageOnly(RawFixture()).ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(&pd.message());
  }
  Report(state, 1000, RawFixture().size());
}
BENCHMARK(BM_ParseGeneratedMessageOnly);

// Generated parse into a fresh message per request (what a straightforward receiver does).
void BM_ParseGeneratedFresh(benchmark::State& state) {
  for (auto _ : state) {
    prompb::WriteRequest req;
    if (!req.ParseFromArray(RawFixture().data(), static_cast<int>(RawFixture().size()))) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(&req);
  }
  Report(state, 1000, RawFixture().size());
}
BENCHMARK(BM_ParseGeneratedFresh);

// Generated parse on an arena per request.
void BM_ParseGeneratedArena(benchmark::State& state) {
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
    if (!req->ParseFromArray(RawFixture().data(), static_cast<int>(RawFixture().size()))) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(req);
  }
  Report(state, 1000, RawFixture().size());
}
BENCHMARK(BM_ParseGeneratedArena);

std::vector<remote::TimeSeries> SeriesFromFixture() {
  remote::DecodedWriteRequest d;
  if (!remote::ParseWriteRequest(RawFixture(), &d).ok()) std::abort();
  std::vector<remote::TimeSeries> out;
  for (const remote::SeriesView& s : d.series) {
    std::vector<Label> labels;
    for (const remote::LabelView& l : d.LabelsOf(s)) {
      labels.push_back(Label{std::string(l.name), std::string(l.value)});
    }
    remote::TimeSeries ts;
    ts.labels = Labels::FromSorted(std::move(labels));
    for (const remote::SampleValue& v : d.SamplesOf(s)) ts.samples.push_back(v);
    out.push_back(std::move(ts));
  }
  return out;
}

// The probe's send path: protobuf + snappy for 1000 series.
void BM_EncodeWriteRequest(benchmark::State& state) {
  std::vector<remote::TimeSeries> series = SeriesFromFixture();
  std::string body;
  for (auto _ : state) {
    body.clear();
    remote::EncodeWriteRequest(series, {}, &body);
    benchmark::DoNotOptimize(body.data());
  }
  Report(state, series.size(), body.size());
}
BENCHMARK(BM_EncodeWriteRequest);

std::string NodeExporterBody(int families, int series_per_family) {
  std::string b;
  for (int f = 0; f < families; ++f) {
    std::string name = "node_metric_" + std::to_string(f) + "_total";
    b += "# HELP " + name + " Some help text for family " + std::to_string(f) + ".\n";
    b += "# TYPE " + name + " counter\n";
    for (int s = 0; s < series_per_family; ++s) {
      b += name + "{device=\"eth" + std::to_string(s) + "\",instance=\"host-1:9100\",job=\"node\"} " +
           std::to_string(1234567.25 * (s + 1)) + "\n";
    }
  }
  return b;
}

// The probe's scrape path: 1000 samples of node_exporter-like text.
void BM_ParseTextFormat(benchmark::State& state) {
  const std::string body = NodeExporterBody(100, 10);
  std::vector<textformat::ParsedSample> samples;
  std::vector<textformat::MetricFamilyInfo> families;
  for (auto _ : state) {
    samples.clear();
    families.clear();
    if (!textformat::ParseTextFormat(body, textformat::Format::kPrometheus, &samples, &families)
             .ok()) {
      state.SkipWithError("parse failed");
    }
    benchmark::DoNotOptimize(samples.data());
  }
  Report(state, 1000, body.size());
}
BENCHMARK(BM_ParseTextFormat);

}  // namespace
}  // namespace abhra

BENCHMARK_MAIN();
