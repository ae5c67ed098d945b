// The probe's remote-write pipeline: samples are appended to the durable queue (Enqueue), and
// one loop reads them back in rounds, spreads each round's series over `shards` parallel
// senders by series hash (so a series stays in order on one shard), sends batches of up to
// max_samples_per_send samples, retries 5xx/429/network errors with exponential backoff
// (min_backoff doubling to max_backoff, or Retry-After when given) until they succeed, drops
// batches answered with any other 4xx (counted and logged), and commits the queue cursor
// only once the whole round is done. A restart or an aggregator outage therefore loses
// nothing that fits in the queue. Thread-safe: Enqueue from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/base/clock.h"
#include "probe/config/config.h"
#include "probe/push/durable_queue.h"
#include "probe/push/remote_write_client.h"
#include "probe/report/report_builder.h"

namespace abhra::probe {

struct PushStats {
  std::atomic<int64_t> samples_enqueued{0};
  std::atomic<int64_t> samples_sent{0};
  std::atomic<int64_t> samples_dropped_rejected{0};  // answered with a non-retryable 4xx
  std::atomic<int64_t> samples_dropped_corrupt{0};   // queue records that did not decode
  std::atomic<int64_t> requests_sent{0};
  std::atomic<int64_t> requests_failed{0};  // no 2xx: network error, 5xx, 429 or a rejecting 4xx
  std::atomic<int64_t> last_success_ms{0};
};

class Sender {
 public:
  // REQUIRES: queue outlives the sender.
  Sender(const AggregatorConfig& config, DurableQueue* queue);
  ~Sender();  // Stop()s
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Appends one batch to the queue (durable after the next flush, at most about a second).
  Status Enqueue(const std::vector<ReportedSample>& samples) { return Enqueue(samples, {}); }
  // Both lists as one batch (a result's samples and its stale markers).
  Status Enqueue(std::span<const ReportedSample> samples, std::span<const ReportedSample> more);
  void Start();
  // Flushes the queue and stops; a round in flight is abandoned and re-sent after restart.
  void Stop();

  const PushStats& stats() const { return stats_; }

 private:
  void Loop();
  // Sends one shard's part of a round. False when stopped before it was done.
  bool SendShard(size_t shard, std::vector<ReportedSample>* samples);
  // Sleeps up to ms, false when stopped meanwhile.
  bool Backoff(int64_t ms);

  AggregatorConfig config_;
  DurableQueue* queue_;
  PushStats stats_;
  // One keep-alive client per shard; shard i is only ever used by one thread at a time.
  std::vector<std::unique_ptr<RemoteWriteClient>> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> unsent_hint_{0};  // samples enqueued since the last round started
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread loop_;
  std::thread flusher_;
};

}  // namespace abhra::probe
