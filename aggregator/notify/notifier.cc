#include "aggregator/notify/notifier.h"

#include <ctime>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/base/logging.h"

namespace abhra::notify {
namespace {

std::string Rfc3339(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

nlohmann::json LabelsJson(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const Label& l : labels) j[l.name] = l.value;
  return j;
}

size_t DiscardBody(char*, size_t size, size_t n, void*) { return size * n; }

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

struct Notifier::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : sent(prometheus::BuildCounter().Name("abhra_notifications_sent_total")
                 .Help("Alerts sent to Alertmanager, by Alertmanager.").Register(*r)),
        errors(prometheus::BuildCounter().Name("abhra_notifications_errors_total")
                   .Help("Alerts that could not be sent, by Alertmanager.").Register(*r)),
        dropped(prometheus::BuildCounter().Name("abhra_notifications_dropped_total")
                    .Help("Alerts dropped because the queue was full.").Register(*r).Add({})),
        queue_length(prometheus::BuildGauge().Name("abhra_notifications_queue_length")
                         .Help("Alerts waiting to be sent.").Register(*r).Add({})),
        queue_capacity(prometheus::BuildGauge().Name("abhra_notifications_queue_capacity")
                           .Help("Capacity of the alert queue.").Register(*r).Add({})) {}
  prometheus::Family<prometheus::Counter>& sent;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Counter& dropped;
  prometheus::Gauge& queue_length;
  prometheus::Gauge& queue_capacity;
};

std::string EncodeAlerts(const std::vector<Alert>& alerts) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Alert& a : alerts) {
    nlohmann::json j;
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = LabelsJson(a.annotations);
    if (a.starts_at_ms != 0) j["startsAt"] = Rfc3339(a.starts_at_ms);
    if (a.ends_at_ms != 0) j["endsAt"] = Rfc3339(a.ends_at_ms);
    j["generatorURL"] = a.generator_url;
    arr.push_back(std::move(j));
  }
  return arr.dump();
}

Status PostJson(const std::string& url, const std::string& body,
                std::chrono::milliseconds timeout) {
  static CurlGlobal global;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "User-Agent: abhra-aggregator");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Status::Unavailable(fmt::format("POST {}: {}", url, curl_easy_strerror(rc)));
  }
  if (code / 100 != 2) return Status::Unavailable(fmt::format("POST {}: HTTP {}", url, code));
  return Status::Ok();
}

Notifier::Notifier(NotifierOptions options) : options_(std::move(options)) {
  if (options_.registry) {
    metrics_ = std::make_unique<Metrics>(options_.registry);
    metrics_->queue_capacity.Set(static_cast<double>(options_.queue_capacity));
  }
  thread_ = std::thread([this] { Run(); });
}

Notifier::~Notifier() { Stop(); }

void Notifier::Send(std::vector<Alert> alerts) {
  if (options_.alertmanagers.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (Alert& a : alerts) queue_.push_back(std::move(a));
  size_t dropped = 0;
  while (queue_.size() > options_.queue_capacity) {
    queue_.pop_front();
    ++dropped;
  }
  if (metrics_) {
    if (dropped) metrics_->dropped.Increment(static_cast<double>(dropped));
    metrics_->queue_length.Set(static_cast<double>(queue_.size()));
  }
  if (dropped) LOG_WARN("notify", "alert queue full, dropped oldest", "dropped={}", dropped);
  cv_.notify_one();
}

size_t Notifier::QueueLength() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void Notifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::Run() {
  while (true) {
    std::vector<Alert> batch;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      stopping = stop_;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (metrics_) metrics_->queue_length.Set(static_cast<double>(queue_.size()));
    }
    if (!batch.empty()) SendBatch(batch);
    if (stopping) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) return;
    }
  }
}

void Notifier::SendBatch(const std::vector<Alert>& batch) {
  std::string body = EncodeAlerts(batch);
  for (const std::string& am : options_.alertmanagers) {
    Status st = PostJson(am + "/api/v2/alerts", body, options_.timeout);
    if (metrics_) {
      auto& family = st.ok() ? metrics_->sent : metrics_->errors;
      family.Add({{"alertmanager", am}}).Increment(static_cast<double>(batch.size()));
    }
    if (!st.ok()) {
      LOG_WARN("notify", "cannot send alerts", "alertmanager={} alerts={} err={}",
               LogfmtValue(am), batch.size(), LogfmtValue(st.message()));
    }
  }
}

}  // namespace abhra::notify
