#include "common/remote/protobuf_decoder.h"

#include <limits>

#include "common/remote/proto/remote_write_v1.pb.h"
#include "common/remote/snappy_block.h"

namespace abhra::remote {

ProtobufWriteRequestDecoder::ProtobufWriteRequestDecoder()
    : message_(std::make_unique<prompb::WriteRequest>()) {}
ProtobufWriteRequestDecoder::~ProtobufWriteRequestDecoder() = default;

Status ProtobufWriteRequestDecoder::ParseMessageOnly(std::string_view protobuf) {
  if (protobuf.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::ResourceExhausted(
        fmt::format("remote-write: {} byte body exceeds 2 GiB", protobuf.size()));
  }
  message_->Clear();
  if (!message_->ParseFromArray(protobuf.data(), static_cast<int>(protobuf.size()))) {
    return Status::InvalidArgument(fmt::format(
        "protobuf: cannot parse {} byte WriteRequest (the generated parser gives no position)",
        protobuf.size()));
  }
  return Status::Ok();
}

Status ProtobufWriteRequestDecoder::Parse(std::string_view protobuf, DecodedWriteRequest* out) {
  out->Clear();
  ABHRA_RETURN_IF_ERROR(ParseMessageOnly(protobuf));
  out->body = protobuf;
  for (const prompb::TimeSeries& ts : message_->timeseries()) {
    SeriesView s{};
    s.label_begin = static_cast<uint32_t>(out->labels.size());
    s.sample_begin = static_cast<uint32_t>(out->samples.size());
    s.exemplar_begin = static_cast<uint32_t>(out->exemplars.size());
    s.metadata = kNoMetadata;
    for (const prompb::Label& l : ts.labels()) out->labels.push_back({l.name(), l.value()});
    for (const prompb::Sample& sm : ts.samples()) {
      out->samples.push_back({sm.timestamp(), sm.value()});
    }
    for (const prompb::Exemplar& e : ts.exemplars()) {
      ExemplarView ev{};
      ev.label_begin = static_cast<uint32_t>(out->exemplar_labels.size());
      for (const prompb::Label& l : e.labels()) {
        out->exemplar_labels.push_back({l.name(), l.value()});
      }
      ev.label_end = static_cast<uint32_t>(out->exemplar_labels.size());
      ev.value = e.value();
      ev.timestamp_ms = e.timestamp();
      out->exemplars.push_back(ev);
    }
    s.histograms = static_cast<uint32_t>(ts.histograms_size());
    s.label_end = static_cast<uint32_t>(out->labels.size());
    s.sample_end = static_cast<uint32_t>(out->samples.size());
    s.exemplar_end = static_cast<uint32_t>(out->exemplars.size());
    out->histograms_skipped += s.histograms;
    out->series.push_back(s);
  }
  for (const prompb::MetricMetadata& m : message_->metadata()) {
    MetadataView mv;
    mv.type = m.type() >= 0 && m.type() <= 7 ? static_cast<MetricType>(m.type())
                                             : MetricType::kUnknown;
    mv.family_name = m.metric_family_name();
    mv.help = m.help();
    mv.unit = m.unit();
    out->metadata.push_back(mv);
  }
  return Status::Ok();
}

Status ProtobufWriteRequestDecoder::Decode(std::string_view snappy_body, size_t max_decoded_bytes,
                                           DecodedWriteRequest* out) {
  out->Clear();
  size_t n = 0;
  ABHRA_RETURN_IF_ERROR(SnappyDecompressInto(snappy_body, max_decoded_bytes, &buffer_, &n));
  return Parse(std::string_view(buffer_.data(), n), out);
}

}  // namespace abhra::remote
