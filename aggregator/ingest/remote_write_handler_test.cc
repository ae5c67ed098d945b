#include "aggregator/ingest/remote_write_handler.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include "aggregator/ingest/tenant_series_limits.h"
#include "aggregator/tsdb/head/head.h"
#include "common/remote/snappy_block.h"
#include "common/remote/write_request_encoder.h"

namespace abhra::ingest {
namespace {

namespace fs = std::filesystem;

remote::TimeSeries Series(Labels l, std::vector<std::pair<int64_t, double>> samples) {
  remote::TimeSeries ts;
  ts.labels = std::move(l);
  for (auto [t, v] : samples) ts.samples.push_back({t, v});
  return ts;
}

class RemoteWriteHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }
  void TearDown() override {
    handler_.reset();
    head_.reset();
    fs::remove_all(dir_);
  }

  void Open(std::vector<TenantConfig> tenants, InflightLimits inflight = {},
            std::optional<TenantSeriesLimitsOptions> series_limits = std::nullopt) {
    handler_.reset();
    head_.reset();
    fs::remove_all(dir_);
    tsdb::HeadOptions ho;
    ho.registry = &registry_;
    limits_.reset();
    if (series_limits) {
      limits_ = std::make_unique<TenantSeriesLimits>(*series_limits, &registry_);
      ho.series_quota = limits_.get();
    }
    auto head = tsdb::Head::Open(dir_, ho);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    head_ = std::move(*head);
    RemoteWriteOptions o;
    o.tenants = std::move(tenants);
    o.max_decoded_bytes = 1 << 20;
    o.inflight = inflight;
    router_ = std::make_unique<http::Router>();
    handler_ = std::make_unique<RemoteWriteHandler>(head_.get(), o, &registry_);
    handler_->RegisterRoutes(router_.get());
  }

  http::Response Post(std::string body, std::vector<std::pair<std::string, std::string>> headers = {
                                            {"Content-Encoding", "snappy"},
                                            {"Content-Type", "application/x-protobuf"}}) {
    http::Request req;
    req.method = "POST";
    req.path = req.target = "/api/v1/write";
    for (auto& [k, v] : headers) req.headers.Add(k, v);
    req.body = std::move(body);
    http::Response resp;
    router_->Dispatch(&req, &resp);
    return resp;
  }

  std::string Encode(std::vector<remote::TimeSeries> series) {
    std::string out;
    remote::EncodeWriteRequest(series, {}, &out);
    return out;
  }

  // Every stored sample of series matching `name`, as "labels t=v" lines.
  std::vector<std::string> Stored(const std::string& name) {
    auto q = head_->MakeQuerier(INT64_MIN, INT64_MAX);
    EXPECT_TRUE(q.ok());
    storage::SelectHints hints;
    auto set = (*q)->Select(true, hints, {Matcher::Equal("__name__", name)});
    std::vector<std::string> out;
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it->Next()) {
        out.push_back(fmt::format("{} {}={}", set->At().labels().ToString(), it->At().t, it->At().v));
      }
    }
    return out;
  }

  std::string dir_ = (fs::temp_directory_path() / fmt::format("abhra-ingest-test-{}", getpid())).string();
  prometheus::Registry registry_;
  std::unique_ptr<TenantSeriesLimits> limits_;  // declared before head_: outlives it
  std::unique_ptr<tsdb::Head> head_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<RemoteWriteHandler> handler_;
};

TEST_F(RemoteWriteHandlerTest, StoresSamplesAndAnswers204) {
  auto r = Post(Encode({Series({{"__name__", "up"}, {"env", "prod"}}, {{1000, 1}, {2000, 0}})}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Stored("up"), (std::vector<std::string>{"up{env=\"prod\"} 1000=1",
                                                    "up{env=\"prod\"} 2000=0"}));
}

TEST_F(RemoteWriteHandlerTest, WrongEncodingOrTypeIs415) {
  std::string body = Encode({Series({{"__name__", "up"}}, {{1000, 1}})});
  EXPECT_EQ(Post(body, {{"Content-Encoding", "gzip"}}).status, 415);
  EXPECT_EQ(Post(body, {{"Content-Type", "application/json"}}).status, 415);
  EXPECT_EQ(Post(body, {{"Content-Type", "application/x-protobuf;proto=foo.Bar"}}).status, 415);
  // Headers absent: 1.0 snappy assumed, as Prometheus 2.x receivers do.
  EXPECT_EQ(Post(body, {}).status, 204);
}

TEST_F(RemoteWriteHandlerTest, CorruptBodiesAre400) {
  auto r = Post("definitely not snappy");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("snappy"), std::string::npos) << r.body;
  std::string garbage_proto;
  snappy::Compress("\x0a\xff\xff\xff", 4, &garbage_proto);
  r = Post(garbage_proto);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(Stored("up").empty());
}

TEST_F(RemoteWriteHandlerTest, DecodedSizeBombIs413) {
  std::string big(2 << 20, 'a');
  std::string body;
  snappy::Compress(big.data(), big.size(), &body);
  auto r = Post(body);
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST_F(RemoteWriteHandlerTest, InvalidLabelsAre400) {
  auto r = Post(Encode({Series({{"__name__", "up"}, {"1bad", "x"}}, {{1000, 1}})}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("1bad"), std::string::npos) << r.body;
}

TEST_F(RemoteWriteHandlerTest, OutOfOrderRejectsOnlyThoseSamples) {
  ASSERT_EQ(Post(Encode({Series({{"__name__", "m"}, {"i", "a"}}, {{5000, 5}})})).status, 204);
  auto r = Post(Encode({Series({{"__name__", "m"}, {"i", "a"}}, {{4000, 4}, {6000, 6}}),
                        Series({{"__name__", "m"}, {"i", "b"}}, {{1000, 1}})}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("1 of 3 samples rejected (1 out_of_order)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("m{i=\"a\"} timestamp 4000"), std::string::npos) << r.body;
  EXPECT_EQ(Stored("m"), (std::vector<std::string>{"m{i=\"a\"} 5000=5", "m{i=\"a\"} 6000=6",
                                                   "m{i=\"b\"} 1000=1"}));
  // Resending the same sample with the same value is an accepted duplicate.
  EXPECT_EQ(Post(Encode({Series({{"__name__", "m"}, {"i", "a"}}, {{6000, 6}})})).status, 204);
  r = Post(Encode({Series({{"__name__", "m"}, {"i", "a"}}, {{6000, 7}})}));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("duplicate"), std::string::npos) << r.body;
}

TEST_F(RemoteWriteHandlerTest, TokensRestrictTenants) {
  Open({{"dev", "devtoken"}, {"prod", "prodtoken"}});
  std::string prod = Encode({Series({{"__name__", "up"}, {"env", "prod"}}, {{1000, 1}})});
  std::vector<std::pair<std::string, std::string>> h = {{"Content-Encoding", "snappy"}};
  http::Response anonymous = Post(prod, h);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers.GetOr("WWW-Authenticate"), R"(Bearer realm="abhra")");
  h.push_back({"Authorization", "Bearer devtoken"});
  auto r = Post(prod, h);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("token for tenant \"dev\" cannot write series of tenant \"prod\""),
            std::string::npos) << r.body;
  EXPECT_TRUE(Stored("up").empty());
  h.back().second = "Bearer prodtoken";
  EXPECT_EQ(Post(prod, h).status, 204);
  EXPECT_EQ(Stored("up").size(), 1u);
}

TEST_F(RemoteWriteHandlerTest, TenantHeaderAddsEnvLabel) {
  auto r = Post(Encode({Series({{"__name__", "up"}, {"job", "x"}}, {{1000, 1}}),
                        Series({{"__name__", "up"}, {"zone", "z"}}, {{1000, 1}})}),
                {{"Content-Encoding", "snappy"}, {"THANOS-TENANT", "staging"}});
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Stored("up"), (std::vector<std::string>{"up{env=\"staging\", job=\"x\"} 1000=1",
                                                    "up{env=\"staging\", zone=\"z\"} 1000=1"}));
  r = Post(Encode({Series({{"__name__", "up"}, {"env", "prod"}}, {{1000, 1}})}),
           {{"Content-Encoding", "snappy"}, {"THANOS-TENANT", "staging"}});
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(RemoteWriteHandlerTest, Version2WithWrittenHeaders) {
  std::string body;
  remote::EncodeWriteRequestV2({Series({{"__name__", "up"}, {"env", "dev"}}, {{1000, 1}, {2000, 1}})},
                               {}, &body);
  auto r = Post(body, {{"Content-Encoding", "snappy"},
                       {"Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"}});
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.headers.GetOr("X-Prometheus-Remote-Write-Samples-Written"), "2");
  EXPECT_EQ(Stored("up").size(), 2u);
}

TEST_F(RemoteWriteHandlerTest, NewSeriesOverTenantLimitAre429) {
  TenantSeriesLimitsOptions limits;
  limits.default_max_series = 2;
  Open({}, {}, limits);
  auto series = [](std::string env, std::string i, int64_t t) {
    return Series({{"__name__", "m"}, {"env", env}, {"i", i}}, {{t, 1}, {t + 1, 1}});
  };
  ASSERT_EQ(Post(Encode({series("dev", "a", 1000), series("dev", "b", 1000)})).status, 204);
  // A third series of dev is refused; dev's existing series and another tenant's go in.
  auto r = Post(Encode({series("dev", "a", 2000), series("dev", "c", 2000),
                        series("prod", "a", 2000)}));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find("2 of 6 samples rejected (2 series_limit)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("m{env=\"dev\", i=\"c\"}"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tenant \"dev\" has reached its limit of 2 series "
                        "(limits.max_series_per_tenant)"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Stored("m").size(), 8u);
  EXPECT_EQ(limits_->Series("dev"), 2u);
  EXPECT_EQ(limits_->Series("prod"), 1u);
}

TEST_F(RemoteWriteHandlerTest, AdmissionOverInflightLimitIs503WithRetryAfter) {
  Open({}, InflightLimits{.max_requests = 1, .max_bytes = 0});
  http::RequestHead write{"POST", "/api/v1/write", 100};
  http::Admission first = handler_->Admit(write);
  ASSERT_FALSE(first.reject.has_value());
  ASSERT_NE(first.lease, nullptr);
  http::Admission second = handler_->Admit(write);
  ASSERT_TRUE(second.reject.has_value());
  EXPECT_EQ(second.reject->status, 503);
  EXPECT_EQ(second.reject->headers.GetOr("Retry-After"), "1");
  EXPECT_NE(second.reject->body.find("--ingest.max-inflight-requests"), std::string::npos);
  // Other routes are not limited and hold nothing.
  http::Admission query = handler_->Admit({"GET", "/api/v1/query?query=up", std::nullopt});
  EXPECT_FALSE(query.reject.has_value());
  EXPECT_EQ(query.lease, nullptr);
  // The slot comes back with the lease.
  first.lease.reset();
  EXPECT_FALSE(handler_->Admit({"POST", "/api/v1/write?x=1", 100}).reject.has_value());
}

TEST_F(RemoteWriteHandlerTest, DecodedSizeOverTheInflightBytesIs503) {
  Open({}, InflightLimits{.max_requests = 0, .max_bytes = 1000});
  std::vector<remote::TimeSeries> many;
  for (int i = 0; i < 50; ++i) {
    many.push_back(Series({{"__name__", "m"}, {"i", std::to_string(i)}}, {{1000, 1}}));
  }
  std::string body = Encode(many);
  ASSERT_GT(*remote::SnappyDecodedLength(body), 1000u);
  // Two other requests in flight: this one's decoded bytes do not fit.
  http::Admission a = handler_->Admit({"POST", "/api/v1/write", 10});
  http::Admission b = handler_->Admit({"POST", "/api/v1/write", 10});
  ASSERT_FALSE(a.reject || b.reject);
  auto r = Post(body);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.GetOr("Retry-After"), "1");
  EXPECT_NE(r.body.find("decoded bytes"), std::string::npos) << r.body;
  EXPECT_TRUE(Stored("m").empty());
  a.lease.reset();
  b.lease.reset();
  EXPECT_EQ(Post(body).status, 204);  // alone: accepted whatever its size
  EXPECT_EQ(Stored("m").size(), 50u);
}

}  // namespace
}  // namespace abhra::ingest
