#include "probe/push/sender.h"

#include <algorithm>
#include <future>
#include <unordered_map>

#include "common/base/logging.h"
#include "common/remote/write_request_encoder.h"
#include "probe/push/remote_write_client.h"
#include "probe/push/sample_batch.h"

namespace abhra::probe {

Sender::Sender(const AggregatorConfig& config, DurableQueue* queue)
    : config_(config), queue_(queue) {}

Sender::~Sender() { Stop(); }

Status Sender::Enqueue(std::span<const ReportedSample> samples,
                       std::span<const ReportedSample> more) {
  const auto n = static_cast<int64_t>(samples.size() + more.size());
  if (n == 0) return Status::Ok();
  std::string record;
  EncodeSampleBatch(samples, more, &record);
  ABHRA_RETURN_IF_ERROR(queue_->Append(record, static_cast<uint32_t>(n)));
  stats_.samples_enqueued.fetch_add(n);
  int64_t pending = unsent_hint_.fetch_add(n) + n;
  if (pending >= static_cast<int64_t>(config_.max_samples_per_send) * config_.shards) {
    cv_.notify_all();
  }
  return Status::Ok();
}

void Sender::Start() {
  stop_.store(false);
  clients_.clear();
  for (int i = 0; i < std::max(1, config_.shards); ++i) {
    clients_.push_back(std::make_unique<RemoteWriteClient>(config_, &stop_));
  }
  loop_ = std::thread([this] { Loop(); });
  // Makes appended records durable about once a second.
  flusher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_.load()) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      lock.unlock();
      Status st = queue_->Flush();
      if (!st.ok()) LOG_ERROR("push", "queue flush failed", "err={}", LogfmtValue(st.ToString()));
      lock.lock();
    }
  });
}

void Sender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (flusher_.joinable()) flusher_.join();
  Status st = queue_->Flush();
  if (!st.ok()) LOG_ERROR("push", "queue flush failed", "err={}", LogfmtValue(st.ToString()));
}

bool Sender::Backoff(int64_t ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
}

bool Sender::SendShard(size_t shard, std::vector<ReportedSample>* samples) {
  // Group into series (in arrival order per series, which is time order per target).
  std::vector<remote::TimeSeries> series;
  std::unordered_map<uint64_t, size_t> index;
  for (ReportedSample& s : *samples) {
    uint64_t h = s.labels.Hash();
    auto [it, inserted] = index.emplace(h, series.size());
    if (inserted) series.push_back({std::move(s.labels), {}, {}});
    series[it->second].samples.push_back({s.timestamp_ms, s.value});
  }
  RemoteWriteClient& client = *clients_[shard];
  size_t next = 0;
  while (next < series.size()) {
    // One request: whole series until max_samples_per_send is reached.
    std::vector<remote::TimeSeries> batch;
    size_t count = 0;
    while (next < series.size() &&
           (batch.empty() || count + series[next].samples.size() <= static_cast<size_t>(config_.max_samples_per_send))) {
      count += series[next].samples.size();
      batch.push_back(std::move(series[next]));
      ++next;
    }
    std::string body;
    remote::EncodeWriteRequest(batch, {}, &body);
    int64_t backoff = config_.min_backoff_ms;
    for (;;) {
      if (stop_.load()) return false;
      SendOutcome out = client.Send(body);
      stats_.requests_sent.fetch_add(1);
      if (out.kind == SendOutcome::Kind::kOk) {
        stats_.samples_sent.fetch_add(static_cast<int64_t>(count));
        stats_.last_success_ms.store(Clock::Real().NowMillis());
        break;
      }
      stats_.requests_failed.fetch_add(1);
      if (out.kind == SendOutcome::Kind::kDrop) {
        stats_.samples_dropped_rejected.fetch_add(static_cast<int64_t>(count));
        LOG_ERROR("push", "aggregator rejected samples; dropped (not retried)",
                  "shard={} status={} samples={} body={}", shard, out.status, count,
                  LogfmtValue(out.detail.substr(0, 256)));
        break;
      }
      int64_t wait = out.retry_after_ms >= 0 ? out.retry_after_ms : backoff;
      LOG_WARN("push", "send failed; retrying", "shard={} status={} err={} retry_in_ms={}", shard,
               out.status, LogfmtValue(out.detail.substr(0, 200)), wait);
      if (!Backoff(wait)) return false;
      backoff = std::min(backoff * 2, config_.max_backoff_ms);
    }
  }
  return true;
}

void Sender::Loop() {
  const size_t shards = static_cast<size_t>(std::max(1, config_.shards));
  const int64_t round_target = static_cast<int64_t>(config_.max_samples_per_send) * static_cast<int64_t>(shards);
  while (!stop_.load()) {
    {
      // Wait for a full round's worth of samples or the batch deadline.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(config_.batch_send_deadline_ms), [&] {
        return stop_.load() || unsent_hint_.load() >= round_target;
      });
    }
    if (stop_.load()) break;
    unsent_hint_.store(0);
    for (;;) {
      std::vector<std::string> records;
      QueuePosition end;
      Status st = queue_->ReadNext(1024, &records, &end);
      if (!st.ok()) {
        LOG_ERROR("push", "queue read failed", "err={}", LogfmtValue(st.ToString()));
        Backoff(1000);
        break;
      }
      if (records.empty()) break;
      std::vector<std::vector<ReportedSample>> parts(shards);
      size_t total = 0;
      for (const std::string& r : records) {
        std::vector<ReportedSample> samples;
        Status d = DecodeSampleBatch(r, &samples);
        if (!d.ok()) {
          stats_.samples_dropped_corrupt.fetch_add(1);
          LOG_ERROR("push", "undecodable queue record dropped", "err={}", LogfmtValue(d.ToString()));
          continue;
        }
        for (ReportedSample& s : samples) {
          parts[s.labels.Hash() % shards].push_back(std::move(s));
          ++total;
        }
      }
      std::vector<std::future<bool>> done;
      for (size_t i = 0; i < shards; ++i) {
        if (parts[i].empty()) continue;
        done.push_back(std::async(std::launch::async, [this, i, &parts] { return SendShard(i, &parts[i]); }));
      }
      bool all = true;
      for (auto& f : done) all &= f.get();
      if (!all) {
        queue_->Rewind();  // the round is re-read (after a restart: from the cursor)
        break;
      }
      st = queue_->Commit(end);
      if (!st.ok()) LOG_ERROR("push", "queue commit failed", "err={}", LogfmtValue(st.ToString()));
      LOG_DEBUG("push", "round sent", "records={} samples={}", records.size(), total);
      if (stop_.load()) break;
    }
  }
}

}  // namespace abhra::probe
