#include "probe/report/report_builder.h"

#include <gtest/gtest.h>

#include "aggregator/storage/storage.h"
#include "probe/config/config_loader.h"

namespace abhra::probe {
namespace {

ProbeConfig Config(const std::string& targets) {
  ConfigParseOutcome out = ParseConfigText(
      "environment: prod\ncluster: eu-1\nexternal_labels: {region: eu}\ntargets:\n" + targets,
      "t.yml");
  EXPECT_TRUE(out.errors.empty()) << ::testing::PrintToString(out.errors);
  return out.config;
}

const ReportedSample* Find(const std::vector<ReportedSample>& v, const std::string& series) {
  for (const ReportedSample& s : v) {
    if (s.labels.ToString() == series) return &s;
  }
  return nullptr;
}

// The current samples followed by the stale markers, as the probe pushes them.
void Build(ReportBuilder* b, const Target& t, const TargetResult& r, std::vector<ReportedSample>* out) {
  std::vector<ReportedSample> stale;
  auto current = b->Build(t, r, &stale);
  out->insert(out->end(), current->begin(), current->end());
  out->insert(out->end(), stale.begin(), stale.end());
}

std::string All(const std::vector<ReportedSample>& v) {
  std::string out;
  for (const ReportedSample& s : v) out += fmt::format("{} {}\n", s.labels.ToString(), s.value);
  return out;
}

TEST(ReportBuilder, CheckSeriesCarryTargetLabelsAndReason) {
  ProbeConfig cfg = Config("  - {name: api, service: pay, labels: {team: core}, http: {url: \"http://h:1/x\"}}\n");
  ReportBuilder b(cfg);
  TargetResult r{"api", 1000, 1, {}};
  r.result.Fail(reason::kStatusCode, "503");
  r.result.duration_seconds = 0.25;
  r.result.Add("probe_http_status_code", 503);
  r.result.Add("probe_http_duration_seconds", 0.1, {{"phase", "connect"}});
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[0], r, &out);
  const std::string base =
      "cluster=\"eu-1\", env=\"prod\", instance=\"http://h:1/x\", job=\"api\", region=\"eu\", "
      "service=\"pay\", team=\"core\"";
  const ReportedSample* success = Find(out, "probe_success{" + base + "}");
  ASSERT_NE(success, nullptr) << All(out);
  EXPECT_EQ(success->value, 0);
  EXPECT_EQ(success->timestamp_ms, 1000);
  ASSERT_NE(Find(out, "probe_duration_seconds{" + base + "}"), nullptr);
  EXPECT_EQ(Find(out, "probe_http_status_code{" + base + "}")->value, 503);
  ASSERT_NE(Find(out, "probe_http_duration_seconds{" + base.substr(0, base.find(", job")) +
                          ", job=\"api\", phase=\"connect\", region=\"eu\", service=\"pay\", team=\"core\"}"),
            nullptr)
      << All(out);
  ASSERT_NE(Find(out, "abhra_probe_failure_info{" + base.substr(0, base.find(", region")) +
                          ", reason=\"status_code\", region=\"eu\", service=\"pay\", team=\"core\"}"),
            nullptr)
      << All(out);
  ASSERT_NE(Find(out, "abhra_target_info{" + base + "}"), nullptr) << All(out);
}

TEST(ReportBuilder, StaleMarkersWhenSeriesVanish) {
  ProbeConfig cfg = Config("  - {name: api, http: {url: \"http://h:1/\"}}\n");
  ReportBuilder b(cfg);
  TargetResult failing{"api", 1000, 1, {}};
  failing.result.Fail(reason::kTimeout, "t");
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[0], failing, &out);

  TargetResult ok{"api", 2000, 1, {}};
  ok.result.success = true;
  ok.result.version = "1.0";
  out.clear();
  Build(&b, cfg.targets[0], ok, &out);
  int stale = 0;
  for (const ReportedSample& s : out) {
    if (storage::IsStaleNaN(s.value)) {
      ++stale;
      EXPECT_EQ(s.timestamp_ms, 2000);
      // The failure reason and the version-less info series went away.
      EXPECT_TRUE(s.labels.MetricName() == "abhra_probe_failure_info" ||
                  s.labels.MetricName() == "abhra_target_info")
          << s.labels.ToString();
    }
  }
  EXPECT_EQ(stale, 2) << All(out);

  // A later failure keeps the version last seen.
  TargetResult fail2{"api", 3000, 1, {}};
  fail2.result.Fail(reason::kDns, "d");
  out.clear();
  Build(&b, cfg.targets[0], fail2, &out);
  bool found = false;
  for (const ReportedSample& s : out) {
    if (s.labels.MetricName() == "abhra_target_info") {
      EXPECT_EQ(s.labels.Get("version"), "1.0");
      found = !storage::IsStaleNaN(s.value);
    }
  }
  EXPECT_TRUE(found);

  // Removing the target makes all of its series stale at reload time.
  size_t tracked = b.tracked_series();
  out.clear();
  b.Reload(Config("  - {name: other, tcp: {address: \"h:1\"}}\n"), 5000, &out);
  EXPECT_EQ(out.size(), tracked);
  for (const ReportedSample& s : out) {
    EXPECT_TRUE(storage::IsStaleNaN(s.value));
    EXPECT_EQ(s.timestamp_ms, 5000);
  }
  EXPECT_EQ(b.tracked_series(), 0u);
}

TEST(ReportBuilder, ScrapeHonorLabels) {
  Labels target{{"job", "app"}, {"instance", "h:1"}, {"env", "prod"}};
  Labels scraped{{"__name__", "x"}, {"job", "inner"}, {"exported_job", "y"}, {"code", "200"}};
  Labels merged = MergeScrapedLabels(target, scraped, false);
  EXPECT_EQ(merged.Get("job"), "app");
  EXPECT_EQ(merged.Get("exported_exported_job"), "inner");
  EXPECT_EQ(merged.Get("exported_job"), "y");
  EXPECT_EQ(merged.Get("env"), "prod");
  Labels honored = MergeScrapedLabels(target, scraped, true);
  EXPECT_EQ(honored.Get("job"), "inner");
  EXPECT_EQ(honored.Get("instance"), "h:1");
  EXPECT_FALSE(honored.Has("exported_exported_job"));

  ProbeConfig cfg = Config("  - {name: app, scrape: {url: \"http://h:1/metrics\"}}\n");
  ReportBuilder b(cfg);
  TargetResult r{"app", 1000, 1, {}};
  r.result.success = true;
  r.result.scrape = true;
  r.result.duration_seconds = 0.01;
  r.result.scraped.push_back({Labels{{"__name__", "m"}, {"job", "inner"}}, 7, 900});
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[0], r, &out);
  bool up = false, m = false, count = false;
  for (const ReportedSample& s : out) {
    if (s.labels.MetricName() == "up") up = s.value == 1;
    if (s.labels.MetricName() == "scrape_samples_scraped") count = s.value == 1;
    if (s.labels.MetricName() == "m") {
      m = s.labels.Get("exported_job") == "inner" && s.labels.Get("job") == "app" &&
          s.timestamp_ms == 900 && s.labels.Get("env") == "prod";
    }
  }
  EXPECT_TRUE(up && m && count) << All(out);
}

}  // namespace
}  // namespace abhra::probe
