// Remote-write 1.0 decoder. Field numbers follow prompb (see proto/remote_write_v1.proto).
#include "common/remote/write_request_decoder.h"

#include <limits>

#include "common/remote/wire_decoder.h"

namespace abhra::remote {

namespace {

using internal::WireDecoder;
using wire::kFixed64;
using wire::kLengthDelimited;
using wire::kVarint;

class V1Decoder {
 public:
  V1Decoder(std::string_view buf, DecodedWriteRequest* out) : d_(buf), out_(out) {}

  bool WriteRequest(const char* p, const char* end) {
    int64_t series = 0;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "WriteRequest", &field, &type)) return false;
      std::string_view payload;
      switch (field) {
        case 1:
          if (!d_.ExpectType(tag_at, "WriteRequest", field, type, kLengthDelimited)) return false;
          if (!d_.ReadLengthDelimited(&p, end, "WriteRequest", field, &payload)) return false;
          d_.set_series(series++);
          if (!TimeSeries(payload.data(), payload.data() + payload.size())) return false;
          d_.set_series(-1);
          break;
        case 3:
          if (!d_.ExpectType(tag_at, "WriteRequest", field, type, kLengthDelimited)) return false;
          if (!d_.ReadLengthDelimited(&p, end, "WriteRequest", field, &payload)) return false;
          if (!Metadata(payload.data(), payload.data() + payload.size())) return false;
          break;
        default:
          if (!d_.SkipField(&p, end, "WriteRequest", field, type)) return false;
      }
    }
    return true;
  }

  Status TakeError() { return d_.TakeError(); }

 private:
  bool TimeSeries(const char* p, const char* end) {
    SeriesView s{};
    s.label_begin = static_cast<uint32_t>(out_->labels.size());
    s.sample_begin = static_cast<uint32_t>(out_->samples.size());
    s.exemplar_begin = static_cast<uint32_t>(out_->exemplars.size());
    s.metadata = kNoMetadata;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "TimeSeries", &field, &type)) return false;
      if (field >= 1 && field <= 4) {
        if (!d_.ExpectType(tag_at, "TimeSeries", field, type, kLengthDelimited)) return false;
        std::string_view payload;
        if (!d_.ReadLengthDelimited(&p, end, "TimeSeries", field, &payload)) return false;
        const char* b = payload.data();
        const char* e = b + payload.size();
        switch (field) {
          case 1:
            if (!Label(b, e, &out_->labels.emplace_back())) return false;
            break;
          case 2:
            if (!Sample(b, e, &out_->samples.emplace_back())) return false;
            break;
          case 3:
            if (!Exemplar(b, e)) return false;
            break;
          case 4:
            ++s.histograms;
            break;
        }
      } else if (!d_.SkipField(&p, end, "TimeSeries", field, type)) {
        return false;
      }
    }
    s.label_end = static_cast<uint32_t>(out_->labels.size());
    s.sample_end = static_cast<uint32_t>(out_->samples.size());
    s.exemplar_end = static_cast<uint32_t>(out_->exemplars.size());
    out_->histograms_skipped += s.histograms;
    out_->series.push_back(s);
    return true;
  }

  bool Label(const char* p, const char* end, LabelView* l) {
    // Fast path for what every sender writes: name (field 1) then value (field 2), each with
    // a one-byte length, filling the message exactly. Anything else takes the general loop.
    size_t n = static_cast<size_t>(end - p);
    if (n >= 4 && p[0] == '\x0a') {
      size_t name_len = static_cast<uint8_t>(p[1]);
      if (name_len < 0x80 && name_len + 4 <= n && p[2 + name_len] == '\x12') {
        size_t value_len = static_cast<uint8_t>(p[3 + name_len]);
        if (value_len < 0x80 && name_len + value_len + 4 == n) {
          std::string_view name(p + 2, name_len);
          std::string_view value(p + 4 + name_len, value_len);
          // Tags and one-byte lengths are ASCII, so one scan of the whole message
          // validates both strings in the common all-ASCII case.
          if (wire::IsAscii(p, n) || (wire::IsValidUtf8(name) && wire::IsValidUtf8(value)))
              [[likely]] {
            l->name = name;
            l->value = value;
            return true;
          }
        }
      }
    }
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Label", &field, &type)) return false;
      if (field == 1 || field == 2) {
        if (!d_.ExpectType(tag_at, "Label", field, type, kLengthDelimited)) return false;
        if (!d_.ReadString(&p, end, "Label", field, field == 1 ? &l->name : &l->value)) {
          return false;
        }
      } else if (!d_.SkipField(&p, end, "Label", field, type)) {
        return false;
      }
    }
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
      } else if (!d_.SkipField(&p, end, "Sample", field, type)) {
        return false;
      }
    }
    return true;
  }

  bool Exemplar(const char* p, const char* end) {
    ExemplarView ex{};
    ex.label_begin = static_cast<uint32_t>(out_->exemplar_labels.size());
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "Exemplar", &field, &type)) return false;
      if (field == 1) {
        std::string_view payload;
        if (!d_.ExpectType(tag_at, "Exemplar", field, type, kLengthDelimited)) return false;
        if (!d_.ReadLengthDelimited(&p, end, "Exemplar", field, &payload)) return false;
        if (!Label(payload.data(), payload.data() + payload.size(),
                   &out_->exemplar_labels.emplace_back())) {
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
    ex.label_end = static_cast<uint32_t>(out_->exemplar_labels.size());
    out_->exemplars.push_back(ex);
    return true;
  }

  bool Metadata(const char* p, const char* end) {
    MetadataView m;
    while (p < end) {
      const char* tag_at = p;
      uint32_t field, type;
      if (!d_.ReadTag(&p, end, "MetricMetadata", &field, &type)) return false;
      if (field == 1) {
        uint64_t t = 0;
        if (!d_.ExpectType(tag_at, "MetricMetadata", field, type, kVarint)) return false;
        if (!d_.ReadVarint(&p, end, &t)) return false;
        m.type = t <= 7 ? static_cast<MetricType>(t) : MetricType::kUnknown;
      } else if (field == 2 || field == 4 || field == 5) {
        std::string_view* dst = field == 2 ? &m.family_name : field == 4 ? &m.help : &m.unit;
        if (!d_.ExpectType(tag_at, "MetricMetadata", field, type, kLengthDelimited)) return false;
        if (!d_.ReadString(&p, end, "MetricMetadata", field, dst)) return false;
      } else if (!d_.SkipField(&p, end, "MetricMetadata", field, type)) {
        return false;
      }
    }
    out_->metadata.push_back(m);
    return true;
  }

  WireDecoder d_;
  DecodedWriteRequest* out_;
};

Status CheckSize(std::string_view protobuf) {
  if (protobuf.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted(
        fmt::format("remote-write: {} byte body exceeds 4 GiB", protobuf.size()));
  }
  return Status::Ok();
}

}  // namespace

Status ParseWriteRequest(std::string_view protobuf, DecodedWriteRequest* out) {
  out->Clear();
  ABHRA_RETURN_IF_ERROR(CheckSize(protobuf));
  out->body = protobuf;
  V1Decoder d(protobuf, out);
  if (!d.WriteRequest(protobuf.data(), protobuf.data() + protobuf.size())) {
    return d.TakeError();
  }
  return Status::Ok();
}

Status DecodeWriteRequest(std::string_view snappy_body, size_t max_decoded_bytes,
                          DecodedWriteRequest* out) {
  out->Clear();
  size_t n = 0;
  ABHRA_RETURN_IF_ERROR(SnappyDecompressInto(snappy_body, max_decoded_bytes, &out->buffer, &n));
  return ParseWriteRequest(std::string_view(out->buffer.data(), n), out);
}

}  // namespace abhra::remote
