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
  r.result.version = "3.1";
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[0], r, &out);
  const std::string head = "cluster=\"eu-1\", env=\"prod\", instance=\"http://h:1/x\", job=\"abhra-probe\"";
  const std::string tail = "region=\"eu\", service=\"pay\", target=\"api\", team=\"core\"";
  const std::string base = head + ", " + tail;
  const ReportedSample* success = Find(out, "probe_success{" + base + "}");
  ASSERT_NE(success, nullptr) << All(out);
  EXPECT_EQ(success->value, 0);
  EXPECT_EQ(success->timestamp_ms, 1000);
  ASSERT_NE(Find(out, "probe_duration_seconds{" + base + "}"), nullptr);
  EXPECT_EQ(Find(out, "probe_http_status_code{" + base + "}")->value, 503);
  ASSERT_NE(Find(out, "probe_http_duration_seconds{" + head + ", phase=\"connect\", " + tail + "}"),
            nullptr)
      << All(out);
  ASSERT_NE(Find(out, "abhra_probe_failure_info{" + head + ", reason=\"status_code\", " + tail + "}"),
            nullptr)
      << All(out);
  ASSERT_NE(Find(out, "abhra_target_info{" + base + ", version=\"3.1\"}"), nullptr) << All(out);
}

TEST(ReportBuilder, StaleMarkersWhenSeriesVanish) {
  ProbeConfig cfg = Config("  - {name: api, http: {url: \"http://h:1/\"}}\n");
  ReportBuilder b(cfg);
  TargetResult failing{"api", 1000, 1, {}};
  failing.result.Fail(reason::kTimeout, "t");
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[0], failing, &out);
  // No version known yet: no info series (it would count as a version of its own).
  for (const ReportedSample& s : out) EXPECT_NE(s.labels.MetricName(), "abhra_target_info");

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
      // The failure reason went away.
      EXPECT_EQ(s.labels.MetricName(), "abhra_probe_failure_info") << s.labels.ToString();
    }
  }
  EXPECT_EQ(stale, 1) << All(out);

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

  // A new version replaces the old series, which goes stale.
  TargetResult ok2{"api", 4000, 1, {}};
  ok2.result.success = true;
  ok2.result.version = "1.1";
  out.clear();
  Build(&b, cfg.targets[0], ok2, &out);
  std::vector<std::string> versions;
  for (const ReportedSample& s : out) {
    if (s.labels.MetricName() == "abhra_target_info") {
      versions.push_back(fmt::format("{}:{}", s.labels.Get("version"),
                                     storage::IsStaleNaN(s.value) ? "stale" : "1"));
    }
  }
  EXPECT_EQ(versions, (std::vector<std::string>{"1.1:1", "1.0:stale"})) << All(out);

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

// The label contract with the status page, alerts and dashboards: check results are
// job="abhra-probe" with the target in `target`; scraped endpoints are job="<target name>".
TEST(ReportBuilder, JobAndTargetLabelsByKind) {
  ProbeConfig cfg = Config(
      "  - {name: web, service: shop, http: {url: \"http://h:1/\"}}\n"
      "  - {name: web-health, service: shop, health: {url: \"http://h:1/\"}}\n"
      "  - {name: db, tcp: {address: \"h:5432\"}}\n"
      "  - {name: resolver, dns: {server: \"127.0.0.1:53\", query_name: example.com}}\n"
      "  - {name: shop-metrics, service: shop, scrape: {url: \"http://h:1/metrics\"}}\n");
  ReportBuilder b(cfg);
  for (const Target& t : cfg.targets) {
    Labels l = b.TargetLabels(t);
    if (t.kind == TargetKind::kScrape) {
      EXPECT_EQ(l.Get("job"), t.name);
      EXPECT_FALSE(l.Has("target")) << l.ToString();
    } else {
      EXPECT_EQ(l.Get("job"), kProbeJob) << t.name;
      EXPECT_EQ(l.Get("target"), t.name);
    }
  }
  // Two checks of the same service and URL stay two series.
  EXPECT_EQ(b.TargetLabels(cfg.targets[0]).Get("service"), "shop");
  EXPECT_NE(b.TargetLabels(cfg.targets[0]), b.TargetLabels(cfg.targets[1]));
  EXPECT_EQ(b.TargetLabels(cfg.targets[2]).Get("service"), "db");  // defaults to the name
  // The probe's own metrics: the probe's job, identified by env and cluster.
  Labels self = b.SelfLabels();
  EXPECT_EQ(self.size(), 4u) << self.ToString();
  EXPECT_EQ(self.Get("job"), kProbeJob);
  EXPECT_EQ(self.Get("env"), "prod");
  EXPECT_EQ(self.Get("cluster"), "eu-1");
  EXPECT_EQ(self.Get("region"), "eu");

  // A reload that turns a check into a scrape under the same name stale-marks its series.
  TargetResult r{"db", 1000, 1, {}};
  r.result.success = true;
  std::vector<ReportedSample> out;
  Build(&b, cfg.targets[2], r, &out);
  std::vector<ReportedSample> stale;
  b.Reload(Config("  - {name: db, scrape: {url: \"http://h:5432/metrics\"}}\n"), 2000, &stale);
  ASSERT_EQ(stale.size(), out.size()) << All(stale);
  for (const ReportedSample& s : stale) EXPECT_EQ(s.labels.Get("job"), kProbeJob);
}

}  // namespace
}  // namespace abhra::probe
