// Remote-write 2.0 decoder (io.prometheus.write.v2.Request, see proto/remote_write_v2.proto).
// Top-level fields may come in any order, so symbols are collected in a first pass and series
// decoded in a second one.
#include <limits>

#include "common/remote/wire_decoder.h"
#include "common/remote/write_request_decoder.h"

namespace abhra::remote {
namespace {

using internal::WireDecoder;
using wire::kFixed64;
using wire::kLengthDelimited;
using wire::kVarint;

class V2Decoder {
 public:
  V2Decoder(std::string_view buf, DecodedWriteRequest* out) : d_(buf), out_(out) {}

  bool Request(const char* begin, const char* end) {
    // Pass 1: symbols.
    for (const char* p = begin; p < end;) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Request", &field, &type)) return false;
      if (field == 4) {
        if (!d_.ExpectType(tag_at, "Request", field, type, kLengthDelimited)) return false;
        if (!d_.ReadString(&p, end, "Request", field, &out_->symbols.emplace_back())) return false;
      } else if (!d_.SkipField(&p, end, "Request", field, type)) {
        return false;
      }
    }
    if (!out_->symbols.empty() && !out_->symbols[0].empty()) {
      return d_.Fail(Status::InvalidArgument(fmt::format(
          "remote-write: symbols[0] must be the empty string, got \"{}\"",
          out_->symbols[0].substr(0, 64))));
    }
    // Pass 2: series (structure already checked by pass 1).
    int64_t series = 0;
    for (const char* p = begin; p < end;) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Request", &field, &type)) return false;
      if (field == 5) {
        std::string_view payload;
        if (!d_.ExpectType(tag_at, "Request", field, type, kLengthDelimited)) return false;
        if (!d_.ReadLengthDelimited(&p, end, "Request", field, &payload)) return false;
        d_.set_series(series++);
        if (!TimeSeries(payload.data(), payload.data() + payload.size())) return false;
        d_.set_series(-1);
      } else if (!d_.SkipField(&p, end, "Request", field, type)) {
        return false;
      }
    }
    return true;
  }

  Status TakeError() { return d_.TakeError(); }

 private:
  // Appends the refs of one labels_refs field (packed or not) to *labels, filling names and
  // values alternately; *count is the number of refs seen so far for this owner.
  bool LabelRefs(const char** p, const char* end, const char* tag_at, uint32_t field,
                 uint32_t type, const char* message, std::vector<LabelView>* labels,
                 uint32_t* count) {
    if (type == kVarint) {
      uint64_t ref = 0;
      if (!d_.ReadVarint(p, end, &ref)) return false;
      return AddRef(ref, tag_at, labels, count);
    }
    if (!d_.ExpectType(tag_at, message, field, type, kLengthDelimited)) return false;
    std::string_view packed;
    if (!d_.ReadLengthDelimited(p, end, message, field, &packed)) return false;
    const char* q = packed.data();
    const char* qend = q + packed.size();
    while (q < qend) {
      uint64_t ref = 0;
      const char* at = q;
      if (!d_.ReadVarint(&q, qend, &ref)) return false;
      if (!AddRef(ref, at, labels, count)) return false;
    }
    return true;
  }

  bool AddRef(uint64_t ref, const char* at, std::vector<LabelView>* labels, uint32_t* count) {
    if (ref >= out_->symbols.size()) [[unlikely]] {
      return d_.Fail(Status::InvalidArgument(fmt::format(
          "remote-write: label reference {} at byte {} out of range ({} symbols){}", ref,
          d_.Offset(at), out_->symbols.size(), SeriesSuffix())));
    }
    if (*count % 2 == 0) {
      labels->push_back(LabelView{out_->symbols[ref], {}});
    } else {
      labels->back().value = out_->symbols[ref];
    }
    ++*count;
    return true;
  }

  bool CheckPairs(uint32_t count, const char* what) {
    if (count % 2 != 0) [[unlikely]] {
      return d_.Fail(Status::InvalidArgument(fmt::format(
          "remote-write: odd number of {} labels_refs ({}){}", what, count, SeriesSuffix())));
    }
    return true;
  }

  std::string SeriesSuffix() const { return fmt::format(" in series {}", series_index()); }
  size_t series_index() const { return out_->series.size(); }

  bool Symbol(uint64_t ref, const char* at, const char* what, std::string_view* dst) {
    if (ref >= out_->symbols.size()) [[unlikely]] {
      return d_.Fail(Status::InvalidArgument(
          fmt::format("remote-write: {} {} at byte {} out of range ({} symbols){}", what, ref,
                      d_.Offset(at), out_->symbols.size(), SeriesSuffix())));
    }
    *dst = out_->symbols[ref];
    return true;
  }

  bool TimeSeries(const char* p, const char* end) {
    SeriesView s{};
    s.label_begin = static_cast<uint32_t>(out_->labels.size());
    s.sample_begin = static_cast<uint32_t>(out_->samples.size());
    s.exemplar_begin = static_cast<uint32_t>(out_->exemplars.size());
    s.metadata = kNoMetadata;
    uint32_t refs = 0;
    bool has_metadata = false;
    MetadataView meta;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "TimeSeries", &field, &type)) return false;
      if (field == 1) {
        if (!LabelRefs(&p, end, tag_at, field, type, "TimeSeries", &out_->labels, &refs)) {
          return false;
        }
        continue;
      }
      if (field < 2 || field > 5) {
        if (!d_.SkipField(&p, end, "TimeSeries", field, type)) return false;
        continue;
      }
      std::string_view payload;
      if (!d_.ExpectType(tag_at, "TimeSeries", field, type, kLengthDelimited)) return false;
      if (!d_.ReadLengthDelimited(&p, end, "TimeSeries", field, &payload)) return false;
      const char* b = payload.data();
      const char* e = b + payload.size();
      switch (field) {
        case 2:
          if (!Sample(b, e, &out_->samples.emplace_back())) return false;
          break;
        case 3:
          ++s.histograms;
          break;
        case 4:
          if (!Exemplar(b, e)) return false;
          break;
        case 5:
          has_metadata = true;  // a repeated singular message merges: last value per field wins
          if (!Metadata(b, e, &meta)) return false;
          break;
      }
    }
    if (!CheckPairs(refs, "series")) return false;
    s.label_end = static_cast<uint32_t>(out_->labels.size());
    s.sample_end = static_cast<uint32_t>(out_->samples.size());
    s.exemplar_end = static_cast<uint32_t>(out_->exemplars.size());
    if (has_metadata) {
      for (uint32_t i = s.label_begin; i < s.label_end; ++i) {
        if (out_->labels[i].name == "__name__") {
          meta.family_name = out_->labels[i].value;
          break;
        }
      }
      s.metadata = static_cast<uint32_t>(out_->metadata.size());
      out_->metadata.push_back(meta);
    }
    out_->histograms_skipped += s.histograms;
    out_->series.push_back(s);
    return true;
  }

  bool Sample(const char* p, const char* end, SampleValue* s) {
    *s = SampleValue{0, 0.0};
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Sample", &field, &type)) return false;
      if (field == 1) {
        uint64_t bits = 0;
        if (!d_.ExpectType(tag_at, "Sample", field, type, kFixed64)) return false;
        if (!d_.ReadFixed64(&p, end, "Sample", field, &bits)) return false;
        s->value = wire::BitsToDouble(bits);
      } else if (field == 2) {
        uint64_t ts = 0;
        if (!d_.ExpectType(tag_at, "Sample", field, type, kVarint)) return false;
        if (!d_.ReadVarint(&p, end, &ts)) return false;
        s->timestamp_ms = static_cast<int64_t>(ts);
      } else if (!d_.SkipField(&p, end, "Sample", field, type)) {  // incl. start_timestamp
        return false;
      }
    }
    return true;
  }

  bool Exemplar(const char* p, const char* end) {
    ExemplarView ex{};
    ex.label_begin = static_cast<uint32_t>(out_->exemplar_labels.size());
    uint32_t refs = 0;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Exemplar", &field, &type)) return false;
      if (field == 1) {
        if (!LabelRefs(&p, end, tag_at, field, type, "Exemplar", &out_->exemplar_labels, &refs)) {
          return false;
        }
      } else if (field == 2) {
        uint64_t bits = 0;
        if (!d_.ExpectType(tag_at, "Exemplar", field, type, kFixed64)) return false;
        if (!d_.ReadFixed64(&p, end, "Exemplar", field, &bits)) return false;
        ex.value = wire::BitsToDouble(bits);
      } else if (field == 3) {
        uint64_t ts = 0;
        if (!d_.ExpectType(tag_at, "Exemplar", field, type, kVarint)) return false;
        if (!d_.ReadVarint(&p, end, &ts)) return false;
        ex.timestamp_ms = static_cast<int64_t>(ts);
      } else if (!d_.SkipField(&p, end, "Exemplar", field, type)) {
        return false;
      }
    }
    if (!CheckPairs(refs, "exemplar")) return false;
    ex.label_end = static_cast<uint32_t>(out_->exemplar_labels.size());
    out_->exemplars.push_back(ex);
    return true;
  }

  bool Metadata(const char* p, const char* end, MetadataView* m) {
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Metadata", &field, &type)) return false;
      if (field == 1 || field == 3 || field == 4) {
        uint64_t v = 0;
        if (!d_.ExpectType(tag_at, "Metadata", field, type, kVarint)) return false;
        const char* at = p;
        if (!d_.ReadVarint(&p, end, &v)) return false;
        if (field == 1) {
          m->type = v <= 7 ? static_cast<MetricType>(v) : MetricType::kUnknown;
        } else if (!Symbol(v, at, field == 3 ? "help_ref" : "unit_ref",
                           field == 3 ? &m->help : &m->unit)) {
          return false;
        }
      } else if (!d_.SkipField(&p, end, "Metadata", field, type)) {
        return false;
      }
    }
    return true;
  }

  WireDecoder d_;
  DecodedWriteRequest* out_;
};

}  // namespace

Status ParseWriteRequestV2(std::string_view protobuf, DecodedWriteRequest* out) {
  out->Clear();
  if (protobuf.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted(
        fmt::format("remote-write: {} byte body exceeds 4 GiB", protobuf.size()));
  }
  out->body = protobuf;
  V2Decoder d(protobuf, out);
  if (!d.Request(protobuf.data(), protobuf.data() + protobuf.size())) return d.TakeError();
  return Status::Ok();
}

Status DecodeWriteRequestV2(std::string_view snappy_body, size_t max_decoded_bytes,
                            DecodedWriteRequest* out) {
  out->Clear();
  size_t n = 0;
  ABHRA_RETURN_IF_ERROR(SnappyDecompressInto(snappy_body, max_decoded_bytes, &out->buffer, &n));
  return ParseWriteRequestV2(std::string_view(out->buffer.data(), n), out);
}

}  // namespace abhra::remote
