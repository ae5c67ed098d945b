#include "common/metrics/self_metrics.h"

#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/text_serializer.h>

#include "common/http/server.h"
#include "common/http/test_client.h"
#include "common/metrics/build_info.h"
#include "common/metrics/http_metrics.h"
#include "common/metrics/process_collector.h"

namespace abhra::metrics {
namespace {

// The value of the first sample line that starts with `series` ("name{labels}" or "name").
double SampleValue(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      return std::strtod(text.c_str() + pos + series.size() + 1, nullptr);
    }
    ++pos;
  }
  ADD_FAILURE() << "no sample " << series << " in:\n" << text;
  return -1;
}

TEST(SelfMetricsTest, RendersRegisteredAndProcessMetrics) {
  auto& counter = prometheus::BuildCounter()
                      .Name("abhra_test_events_total")
                      .Help("Events seen by the test.")
                      .Register(SelfRegistry())
                      .Add({{"kind", "a"}});
  // The registry is process-wide (and tests may repeat): check the increase.
  double before = SampleValue(RenderSelfMetrics(), "abhra_test_events_total{kind=\"a\"}");
  counter.Increment(3);
  std::string text = RenderSelfMetrics();
  EXPECT_NE(text.find("# TYPE abhra_test_events_total counter"), std::string::npos) << text;
  EXPECT_EQ(SampleValue(text, "abhra_test_events_total{kind=\"a\"}"), before + 3);

  const BuildInfo& info = GetBuildInfo();
  EXPECT_FALSE(info.version.empty());
  EXPECT_FALSE(info.revision.empty());
  EXPECT_NE(text.find("abhra_build_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("version=\"" + info.version + "\""), std::string::npos);
  EXPECT_NE(text.find("revision=\"" + info.revision + "\""), std::string::npos);

  EXPECT_GE(SampleValue(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(SampleValue(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(SampleValue(text, "process_open_fds"), 2);
  EXPECT_GT(SampleValue(text, "process_max_fds"), 0);
  double start = SampleValue(text, "process_start_time_seconds");
  double now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600) << "the test process started within the last hour";
}

TEST(SelfMetricsTest, AddedCollectableIsHeldWeakly) {
  struct OneGauge : prometheus::Collectable {
    std::vector<prometheus::MetricFamily> Collect() const override {
      prometheus::MetricFamily f;
      f.name = "abhra_test_weak_gauge";
      f.help = "h";
      f.type = prometheus::MetricType::Gauge;
      f.metric.emplace_back();
      f.metric.back().gauge.value = 42;
      return {f};
    }
  };
  auto gauge = std::make_shared<OneGauge>();
  AddCollectable(gauge);
  EXPECT_EQ(SampleValue(RenderSelfMetrics(), "abhra_test_weak_gauge"), 42);
  gauge.reset();
  EXPECT_EQ(RenderSelfMetrics().find("abhra_test_weak_gauge"), std::string::npos);
}

TEST(SelfMetricsTest, ServedAtMetricsWithRequestMetrics) {
  http::Router router;
  RegisterMetricsRoute(&router);
  prometheus::Registry registry;
  http::ServerOptions opts;
  opts.listen = "127.0.0.1:0";
  opts.observer = HttpRequestObserver(&registry);
  auto server = http::Server::Start(opts, &router);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto r = http::Fetch((*server)->port(), "GET", "/metrics");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.GetOr("Content-Type"), kTextContentType);
  EXPECT_NE(r->body.find("process_resident_memory_bytes"), std::string::npos);
  ASSERT_TRUE(http::Fetch((*server)->port(), "GET", "/missing").ok());
  (*server)->Shutdown();

  std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_EQ(SampleValue(text, "abhra_http_requests_total{code=\"200\",handler=\"/metrics\"}"), 1);
  EXPECT_EQ(SampleValue(text, "abhra_http_requests_total{code=\"404\",handler=\"none\"}"), 1);
  EXPECT_EQ(SampleValue(text, "abhra_http_request_duration_seconds_count{handler=\"/metrics\"}"), 1);
}

TEST(ProcessCollectorTest, ReportsStandardNames) {
  auto families = ProcessCollector().Collect();
  std::vector<std::string> names;
  for (const auto& f : families) names.push_back(f.name);
  for (const char* want : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
}

}  // namespace
}  // namespace abhra::metrics
