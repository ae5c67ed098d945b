// Notifier: sends alerts to one or more Alertmanagers (POST <am>/api/v2/alerts, a JSON array)
// as Prometheus does: a bounded queue (the oldest alerts are dropped when it is full), batches
// of at most `max_batch` alerts, every batch to every Alertmanager, a per-request timeout.
// Sending runs on one background thread. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/notify/alert.h"
#include "common/base/status.h"

namespace prometheus {
class Registry;
}

namespace abhra::notify {

struct NotifierOptions {
  std::vector<std::string> alertmanagers;  // base URLs ("http://am:9093"), no trailing '/'
  size_t queue_capacity = 10000;
  size_t max_batch = 256;
  std::chrono::milliseconds timeout{10000};
  prometheus::Registry* registry = nullptr;  // may be null
};

class Notifier {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier();  // Stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues alerts; drops the oldest queued ones beyond the capacity (counted).
  void Send(std::vector<Alert> alerts);
  // Stops the sending thread after one last attempt to send what is queued. Idempotent.
  void Stop();

  size_t QueueLength() const;

 private:
  struct Metrics;
  void Run();
  void SendBatch(const std::vector<Alert>& batch);

  NotifierOptions options_;
  std::unique_ptr<Metrics> metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Alert> queue_;  // guarded by mu_
  bool stop_ = false;        // guarded by mu_
  std::thread thread_;
};

// The JSON array of a batch, as Alertmanager's API v2 takes it (RFC 3339 times, UTC).
std::string EncodeAlerts(const std::vector<Alert>& alerts);

// POSTs `body` as JSON to `url` with libcurl. Unavailable on transport errors and non-2xx
// answers (the message names the URL and the status or curl error).
Status PostJson(const std::string& url, const std::string& body, std::chrono::milliseconds timeout);

}  // namespace abhra::notify
