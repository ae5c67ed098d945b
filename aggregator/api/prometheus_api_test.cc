#include "aggregator/api/prometheus_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aggregator/storage/mem_storage.h"
#include "common/http/url.h"

namespace abhra::api {
namespace {

using nlohmann::json;

class PrometheusApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = db_.MakeAppender();
    for (int i = 0; i <= 10; ++i) {
      int64_t t = i * 15000;
      ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "api"}, {"env", "prod"}}, t, 1).ok());
      ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "db"}, {"env", "dev"}}, t, 0).ok());
      ASSERT_TRUE(app->Append(0, Labels{{"__name__", "reqs_total"}, {"job", "api"}}, t, i * 10.0).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
    PrometheusApiOptions opts;
    opts.clock = &clock_;
    api_ = std::make_unique<PrometheusApi>(&db_, opts);
    api_->RegisterRoutes(&router_);
  }

  http::Response Do(std::string method, std::string target, std::string body = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      req.raw_query = target.substr(q + 1);
      EXPECT_TRUE(http::ParseQueryString(req.raw_query, &req.query).ok());
    }
    if (!body.empty()) {
      req.headers.Add("Content-Type", "application/x-www-form-urlencoded");
      req.body = body;
    }
    http::Response resp;
    router_.Dispatch(&req, &resp);
    return resp;
  }

  json Json(const http::Response& r) { return json::parse(r.body); }

  FakeClock clock_{150000};
  storage::MemStorage db_;
  std::unique_ptr<PrometheusApi> api_;
  http::Router router_;
};

TEST_F(PrometheusApiTest, GrafanaSaveAndTest) {
  auto r = Do("POST", "/api/v1/query", "query=1%2B1&time=4");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"scalar","result":[4,"2"]}})");
  // The same as GET.
  EXPECT_EQ(Do("GET", "/api/v1/query?query=1%2B1&time=4").body, r.body);
}

TEST_F(PrometheusApiTest, InstantVector) {
  auto r = Do("GET", "/api/v1/query?query=up%7Benv%3D%22prod%22%7D&time=150");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  EXPECT_EQ(j["data"]["resultType"], "vector");
  ASSERT_EQ(j["data"]["result"].size(), 1u);
  EXPECT_EQ(j["data"]["result"][0]["metric"]["job"], "api");
  EXPECT_EQ(j["data"]["result"][0]["value"][0], 150);
  EXPECT_EQ(j["data"]["result"][0]["value"][1], "1");
}

TEST_F(PrometheusApiTest, TimeDefaultsToNow) {
  auto j = Json(Do("GET", "/api/v1/query?query=time()"));
  EXPECT_EQ(j["data"]["result"][0], 150);
}

TEST_F(PrometheusApiTest, RangeQueryAndBodyWins) {
  auto r = Do("POST", "/api/v1/query_range?query=nope", "query=sum(up)&start=0&end=60&step=15");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  EXPECT_EQ(j["data"]["resultType"], "matrix");
  ASSERT_EQ(j["data"]["result"].size(), 1u);
  EXPECT_EQ(j["data"]["result"][0]["values"].size(), 5u);
  EXPECT_EQ(j["data"]["result"][0]["values"][4][1], "1");
}

TEST_F(PrometheusApiTest, RangeQueryParameterErrors) {
  auto r = Do("GET", "/api/v1/query_range?query=up&start=10&end=0&step=15");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["errorType"], "bad_data");
  EXPECT_NE(Json(r)["error"].get<std::string>().find("end timestamp must not be before start"),
            std::string::npos);
  EXPECT_EQ(Do("GET", "/api/v1/query_range?query=up&start=0&end=10&step=0").status, 400);
  r = Do("GET", "/api/v1/query_range?query=up&start=0&end=100000&step=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("11,000 points"), std::string::npos);
  EXPECT_EQ(Do("GET", "/api/v1/query_range?query=up&start=0&end=x&step=1").status, 400);
  EXPECT_EQ(Do("GET", "/api/v1/query_range?query=up&end=10&step=1").status, 400);
}

TEST_F(PrometheusApiTest, ParseErrorIsBadData) {
  auto r = Do("GET", "/api/v1/query?query=sum(up");
  EXPECT_EQ(r.status, 400);
  json j = Json(r);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["errorType"], "bad_data");
  EXPECT_NE(j["error"].get<std::string>().find("parse error"), std::string::npos) << r.body;
}

TEST_F(PrometheusApiTest, ExecutionErrorIs422) {
  // Two series on each side match on no labels: many-to-many matching is an execution error.
  auto r = Do("GET", "/api/v1/query?query=up%20%2B%20on()%20up&time=150");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Json(r)["errorType"], "execution");
  EXPECT_NE(r.body.find("many-to-many matching not allowed"), std::string::npos) << r.body;
}

TEST_F(PrometheusApiTest, LabelsAndValues) {
  json j = Json(Do("GET", "/api/v1/labels"));
  EXPECT_EQ(j["data"], json({"__name__", "env", "job"}));
  j = Json(Do("GET", "/api/v1/labels?match[]=reqs_total"));
  EXPECT_EQ(j["data"], json({"__name__", "job"}));
  j = Json(Do("GET", "/api/v1/label/job/values"));
  EXPECT_EQ(j["data"], json({"api", "db"}));
  j = Json(Do("GET", "/api/v1/label/job/values?match[]=up%7Benv%3D%22dev%22%7D"));
  EXPECT_EQ(j["data"], json({"db"}));
  j = Json(Do("GET", "/api/v1/label/__name__/values"));
  EXPECT_EQ(j["data"], json({"reqs_total", "up"}));
  j = Json(Do("GET", "/api/v1/label/job/values?limit=1"));
  EXPECT_EQ(j["data"], json({"api"}));
  EXPECT_EQ(j["warnings"][0], "results truncated due to limit");
  EXPECT_EQ(Do("GET", "/api/v1/label/1bad/values").status, 400);
  EXPECT_EQ(Do("POST", "/api/v1/label/job/values").status, 405);
}

TEST_F(PrometheusApiTest, Series) {
  EXPECT_EQ(Do("GET", "/api/v1/series").status, 400);
  json j = Json(Do("POST", "/api/v1/series", "match[]=up&match[]=up%7Bjob%3D%22api%22%7D"));
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0], json({{"__name__", "up"}, {"env", "dev"}, {"job", "db"}}));
  // Grafana's series-endpoint lookup.
  j = Json(Do("GET", "/api/v1/series?match[]=%7B__name__!%3D%22%22%7D"));
  EXPECT_EQ(j["data"].size(), 3u);
  EXPECT_EQ(Do("GET", "/api/v1/series?match[]=%7Bjob%3D~%22.*%22%7D").status, 400);
}

TEST_F(PrometheusApiTest, EmptyEndpoints) {
  EXPECT_EQ(Do("GET", "/api/v1/metadata").body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Do("GET", "/api/v1/query_exemplars?query=test&start=1&end=2").body,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(Do("GET", "/api/v1/rules").body, R"({"status":"success","data":{"groups":[]}})");
  EXPECT_EQ(Do("GET", "/api/v1/alerts").body, R"({"status":"success","data":{"alerts":[]}})");
}

TEST_F(PrometheusApiTest, FormatQuery) {
  json j = Json(Do("GET", "/api/v1/format_query?query=sum%20by(job)(up)"));
  EXPECT_EQ(j["data"], "sum by (job) (up)");
}

TEST_F(PrometheusApiTest, ValueEncodingOfEveryResultType) {
  auto app = db_.MakeAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "m"}, {"q", "a\"b"}}, 1500, 0.25).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Do("GET", "/api/v1/query?query=m&time=1.5").body,
            R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","q":"a\"b"},"value":[1.500,"0.25"]}]}})");
  EXPECT_EQ(Do("GET", "/api/v1/query_range?query=m&start=1.5&end=2.5&step=1").body,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","q":"a\"b"},"values":[[1.500,"0.25"],[2.500,"0.25"]]}]}})");
  // Scalars use a plain float time (Prometheus 2.42: time() at 1.5 → [1.5,"1.5"]).
  EXPECT_EQ(Do("GET", "/api/v1/query?query=time()&time=1.5").body,
            R"({"status":"success","data":{"resultType":"scalar","result":[1.5,"1.5"]}})");
  EXPECT_EQ(Do("GET", "/api/v1/query?query=%22str%22&time=4").body,
            R"({"status":"success","data":{"resultType":"string","result":[4,"str"]}})");
  EXPECT_EQ(Do("GET", "/api/v1/query?query=m%5B1s%5D&time=2").body,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","q":"a\"b"},"values":[[1.500,"0.25"]]}]}})");
}

TEST_F(PrometheusApiTest, TimeoutIs503) {
  auto r = Do("GET", "/api/v1/query?query=up&time=150&timeout=0.000001");
  if (r.status != 200) {  // the query may finish within a microsecond
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(Json(r)["errorType"], "timeout");
  }
}

TEST(DecodeLabelNameTest, Utf8Escaping) {
  EXPECT_EQ(*DecodeLabelNameFromPath("job"), "job");
  EXPECT_EQ(*DecodeLabelNameFromPath("U__a_2e_b"), "a.b");
  EXPECT_EQ(*DecodeLabelNameFromPath("U__a__b"), "a_b");
  EXPECT_EQ(*DecodeLabelNameFromPath("U___e9_"), "\xc3\xa9");
  EXPECT_FALSE(DecodeLabelNameFromPath("U__a_zz_").ok());
  EXPECT_FALSE(DecodeLabelNameFromPath("U__a_2e").ok());
}

}  // namespace
}  // namespace abhra::api
