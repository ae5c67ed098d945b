#include "aggregator/ingest/remote_write_handler.h"

#include <algorithm>
#include <array>
#include <map>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "aggregator/tsdb/head/head.h"
#include "common/base/logging.h"
#include "common/remote/protocol.h"
#include "common/remote/snappy_block.h"
#include "common/remote/write_request_decoder.h"

namespace abhra::ingest {
namespace {

std::string_view ReasonOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOutOfOrder: return "out_of_order";
    case Status::Code::kDuplicate: return "duplicate";
    case Status::Code::kOutOfBounds: return "too_old";
    case Status::Code::kInvalidArgument: return "invalid_labels";
    case Status::Code::kResourceExhausted: return "series_limit";
    default: return "other";
  }
}

std::string SeriesString(std::span<const LabelView> labels) {
  std::vector<Label> owned;
  owned.reserve(labels.size());
  for (const LabelView& l : labels) owned.push_back({std::string(l.name), std::string(l.value)});
  return Labels(std::move(owned)).ToString();
}

// Per-worker scratch space, reused across requests so the hot path does not allocate.
struct Scratch {
  remote::DecodedWriteRequest decoded;
  std::vector<storage::Sample> samples;
  std::vector<LabelView> labels;  // series whose labels we extend (env from THANOS-TENANT)
  std::vector<tsdb::SeriesSamples> batch;

  size_t CapacityBytes() const {
    const remote::DecodedWriteRequest& d = decoded;
    return d.buffer.capacity() + d.labels.capacity() * sizeof(LabelView) +
           d.samples.capacity() * sizeof(remote::SampleValue) +
           d.series.capacity() * sizeof(remote::SeriesView) +
           d.symbols.capacity() * sizeof(std::string_view) +
           samples.capacity() * sizeof(storage::Sample) + labels.capacity() * sizeof(LabelView) +
           batch.capacity() * sizeof(tsdb::SeriesSamples);
  }
};

// Scratch kept by a worker between requests: beyond this, it is freed after the request, so
// one huge request does not stay resident on every worker that ever handled one.
constexpr size_t kMaxKeptScratchBytes = 64u << 20;

// Frees the worker's scratch on scope exit when it grew beyond kMaxKeptScratchBytes.
struct ScratchTrim {
  Scratch* s;
  ~ScratchTrim() {
    if (s->CapacityBytes() > kMaxKeptScratchBytes) *s = Scratch();
  }
};

}  // namespace

struct RemoteWriteHandler::Metrics {
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Counter>& samples;
  prometheus::Counter& histograms_dropped;
  prometheus::Counter& exemplars_dropped;
  std::mutex mu;
  std::map<std::string, prometheus::Counter*, std::less<>> samples_by_tenant;  // guarded by mu

  explicit Metrics(prometheus::Registry* r)
      : requests(prometheus::BuildCounter()
                     .Name("abhra_ingest_requests_total")
                     .Help("Remote-write requests by HTTP status code.")
                     .Register(*r)),
        samples(prometheus::BuildCounter()
                    .Name("abhra_ingest_samples_total")
                    .Help("Samples accepted by remote-write, by tenant (environment).")
                    .Register(*r)),
        histograms_dropped(prometheus::BuildCounter()
                               .Name("abhra_ingest_histograms_dropped_total")
                               .Help("Native histogram samples received and not stored.")
                               .Register(*r)
                               .Add({})),
        exemplars_dropped(prometheus::BuildCounter()
                              .Name("abhra_ingest_exemplars_dropped_total")
                              .Help("Exemplars received and not stored.")
                              .Register(*r)
                              .Add({})) {}

  void CountRequest(int code) { requests.Add({{"code", std::to_string(code)}}).Increment(); }
  void CountSamples(std::string_view tenant, double n) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = samples_by_tenant.find(tenant);
    if (it == samples_by_tenant.end()) {
      it = samples_by_tenant
               .emplace(std::string(tenant), &samples.Add({{"tenant", std::string(tenant)}}))
               .first;
    }
    it->second->Increment(n);
  }
};

RemoteWriteHandler::RemoteWriteHandler(tsdb::Head* head, RemoteWriteOptions options,
                                       prometheus::Registry* registry)
    : head_(head),
      options_(std::move(options)),
      policy_(options_.tenants),
      metrics_(std::make_unique<Metrics>(registry)),
      inflight_(options_.inflight, registry) {}

RemoteWriteHandler::~RemoteWriteHandler() = default;

void RemoteWriteHandler::RegisterRoutes(http::Router* router) {
  router->Handle("POST", "/api/v1/write",
                 [this](const http::Request& req, http::Response* resp) { Handle(req, resp); });
}

http::Admission RemoteWriteHandler::Admit(const http::RequestHead& head) {
  http::Admission out;
  std::string_view path = head.target.substr(0, head.target.find('?'));
  if (head.method != "POST" || path != "/api/v1/write") return out;
  auto lease = inflight_.TryAcquire(head.content_length.value_or(0));
  if (lease.ok()) {
    out.lease = std::move(*lease);
    return out;
  }
  metrics_->CountRequest(503);
  http::Response& r = out.reject.emplace();
  r.SetText(503, fmt::format("{}; retry later\n", lease.status().message()));
  r.headers.Set("Retry-After", "1");
  return out;
}

void RemoteWriteHandler::Handle(const http::Request& req, http::Response* resp) {
  auto reply = [&](int code, std::string text) {
    metrics_->CountRequest(code);
    if (code == 204) {
      resp->status = 204;
      return;
    }
    resp->SetText(code, std::move(text));
  };

  if (Status enc = remote::CheckContentEncoding(req.headers.GetOr("Content-Encoding")); !enc.ok()) {
    return reply(415, enc.message());
  }
  auto proto = remote::ProtocolFromContentType(req.headers.GetOr("Content-Type"));
  if (!proto.ok()) return reply(415, proto.status().message());
  auto id = policy_.Authenticate(req.headers.GetOr("Authorization"),
                                 req.headers.GetOr(kTenantHeader));
  if (!id.ok()) {
    bool unauthenticated = id.status().Is(Status::Code::kUnauthenticated);
    reply(unauthenticated ? 401 : 403, id.status().message());
    if (unauthenticated) resp->headers.Set("WWW-Authenticate", R"(Bearer realm="abhra")");
    return;
  }

  // The decoded body counts against the in-flight bytes too (its size is in the snappy
  // header): many large requests decoding at once get 503 instead of memory.
  InflightLease decoded_lease;
  if (auto n = remote::SnappyDecodedLength(req.body); n.ok() && *n <= options_.max_decoded_bytes) {
    auto lease = inflight_.TryAcquireMore(*n);
    if (!lease.ok()) {
      resp->headers.Set("Retry-After", "1");
      return reply(503, fmt::format("{}; retry later\n", lease.status().message()));
    }
    decoded_lease = std::move(*lease);
  }

  thread_local Scratch scratch;
  Scratch& s = scratch;
  ScratchTrim trim{&s};
  s.decoded.Clear();
  Status st = *proto == remote::ProtocolVersion::kV1
                  ? remote::DecodeWriteRequest(req.body, options_.max_decoded_bytes, &s.decoded)
                  : remote::DecodeWriteRequestV2(req.body, options_.max_decoded_bytes, &s.decoded);
  if (!st.ok()) {
    return reply(st.Is(Status::Code::kResourceExhausted) ? 413 : 400, st.message());
  }

  const remote::DecodedWriteRequest& d = s.decoded;
  // Copy samples into the storage layout; reserve label space so views stay put.
  s.samples.clear();
  s.samples.reserve(d.samples.size());
  for (const remote::SampleValue& v : d.samples) s.samples.push_back({v.timestamp_ms, v.value});
  s.labels.clear();
  s.labels.reserve(d.labels.size() + d.series.size());
  s.batch.clear();
  s.batch.reserve(d.series.size());
  std::map<std::string_view, double> tenant_samples;
  size_t exemplars = 0;
  for (size_t i = 0; i < d.series.size(); ++i) {
    const remote::SeriesView& sv = d.series[i];
    std::span<const LabelView> labels = d.LabelsOf(sv);
    exemplars += sv.exemplar_end - sv.exemplar_begin;
    std::string_view env;
    for (const LabelView& l : labels) {
      if (l.name == kTenantLabel) {
        env = l.value;
        break;
      }
    }
    if (Status ts = TenantPolicy::CheckSeriesTenant(*id, env); !ts.ok()) {
      std::string msg = fmt::format("series {} ({}): {}", i, SeriesString(labels), ts.message());
      return reply(ts.Is(Status::Code::kPermissionDenied) ? 403 : 400, std::move(msg));
    }
    if (env.empty() && !id->header_tenant.empty()) {
      // Every stored series carries its environment: add env from THANOS-TENANT, in order.
      size_t begin = s.labels.size();
      bool inserted = false;
      for (const LabelView& l : labels) {
        if (!inserted && l.name > kTenantLabel) {
          s.labels.push_back({kTenantLabel, id->header_tenant});
          inserted = true;
        }
        s.labels.push_back(l);
      }
      if (!inserted) s.labels.push_back({kTenantLabel, id->header_tenant});
      labels = std::span<const LabelView>(s.labels).subspan(begin, s.labels.size() - begin);
    }
    size_t n = sv.sample_end - sv.sample_begin;
    if (n == 0) continue;
    s.batch.push_back({labels, std::span<const storage::Sample>(s.samples).subspan(sv.sample_begin, n)});
    tenant_samples[TenantPolicy::SeriesTenant(*id, env)] += static_cast<double>(n);
  }
  if (d.histograms_skipped > 0) metrics_->histograms_dropped.Increment(d.histograms_skipped);
  if (exemplars > 0) metrics_->exemplars_dropped.Increment(static_cast<double>(exemplars));

  tsdb::AppendBatchResult result;
  if (!s.batch.empty()) {
    st = head_->AppendBatch(s.batch, &result);
    if (!st.ok()) {
      LOG_ERROR("ingest", "append failed, nothing stored", "err={}", LogfmtValue(st.ToString()));
      int code = st.Is(Status::Code::kUnavailable) || st.Is(Status::Code::kResourceExhausted) ? 503 : 500;
      if (code == 503) resp->headers.Set("Retry-After", "5");
      return reply(code, fmt::format("cannot store samples: {}", st.message()));
    }
  }
  for (const auto& [tenant, n] : tenant_samples) metrics_->CountSamples(tenant, n);
  if (*proto == remote::ProtocolVersion::kV2) {
    resp->headers.Set("X-Prometheus-Remote-Write-Samples-Written", std::to_string(result.appended));
    resp->headers.Set("X-Prometheus-Remote-Write-Histograms-Written", "0");
    resp->headers.Set("X-Prometheus-Remote-Write-Exemplars-Written", "0");
  }
  if (result.errors.empty()) return reply(204, "");

  // Some samples were rejected: the rest is stored; say what was rejected and why. A series
  // refused as a whole (invalid labels, series limit) has one error for all its samples.
  std::map<std::string_view, size_t> by_reason;
  size_t rejected = 0;
  bool series_limit = false;
  for (const tsdb::AppendError& e : result.errors) {
    bool whole_series = e.status.Is(Status::Code::kInvalidArgument) ||
                        e.status.Is(Status::Code::kResourceExhausted);
    size_t n = whole_series ? s.batch[e.series].samples.size() : 1;
    by_reason[ReasonOf(e.status)] += n;
    rejected += n;
    series_limit = series_limit || e.status.Is(Status::Code::kResourceExhausted);
  }
  const tsdb::AppendError& first = result.errors.front();
  const tsdb::SeriesSamples& fs = s.batch[first.series];
  std::string counts;
  for (const auto& [reason, n] : by_reason) {
    if (!counts.empty()) counts += ", ";
    counts += fmt::format("{} {}", n, reason);
  }
  // Label errors already name their series; a series refused by its tenant's limit gets
  // its labels, sample errors series and timestamp.
  std::string where =
      first.status.Is(Status::Code::kInvalidArgument) ? std::string()
      : first.status.Is(Status::Code::kResourceExhausted)
          ? fmt::format("series {}: ", SeriesString(fs.labels))
          : fmt::format("series {} timestamp {}: ", SeriesString(fs.labels),
                        first.sample < fs.samples.size() ? fs.samples[first.sample].t : 0);
  std::string msg = fmt::format("{} of {} samples rejected ({}); the rest were stored. First: {}{}",
                                rejected, rejected + result.appended, counts, where,
                                first.status.message());
  LOG_WARN("ingest", "samples rejected", "tenant={} rejected={} detail={}",
           LogfmtValue(id->header_tenant.empty() ? "(by env label)" : id->header_tenant),
           rejected, LogfmtValue(msg));
  // A tenant at its series limit: 429 (Prometheus retries it only when told to, and then
  // the samples for existing series are accepted again as exact duplicates).
  reply(series_limit ? 429 : 400, std::move(msg));
}

}  // namespace abhra::ingest
