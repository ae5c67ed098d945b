#include "common/http/router.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace abhra::http {
namespace {

Handler Reply(std::string text) {
  return [text](const Request&, Response* r) { r->SetText(200, text); };
}

Response Call(const Router& router, std::string method, std::string path, std::string* route = nullptr) {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  Response resp;
  std::string matched = router.Dispatch(&req, &resp);
  if (route) *route = matched;
  return resp;
}

TEST(RouterTest, ExactBeatsPrefixAndLongestPrefixWins) {
  Router router;
  router.Handle("GET", "/api/v1/labels", Reply("labels"));
  router.HandlePrefix("GET", "/api/v1/", Reply("v1"));
  router.HandlePrefix("GET", "/api/v1/label/", Reply("label"));
  std::string route;
  EXPECT_EQ(Call(router, "GET", "/api/v1/labels", &route).body, "labels");
  EXPECT_EQ(route, "/api/v1/labels");
  EXPECT_EQ(Call(router, "GET", "/api/v1/label/job/values", &route).body, "label");
  EXPECT_EQ(route, "/api/v1/label/*");
  EXPECT_EQ(Call(router, "GET", "/api/v1/query").body, "v1");
  EXPECT_EQ(Call(router, "GET", "/api/v1/").status, 404) << "a prefix needs a non-empty rest";
}

TEST(RouterTest, PathSuffixForPrefixRoutes) {
  Router router;
  std::string seen;
  router.HandlePrefix("GET", "/api/v1/label/",
                      [&](const Request& req, Response*) { seen = req.path_suffix; });
  Call(router, "GET", "/api/v1/label/__name__/values");
  EXPECT_EQ(seen, "__name__/values");
}

TEST(RouterTest, NotFoundAndMethodNotAllowed) {
  Router router;
  router.Handle({"GET", "POST"}, "/api/v1/query", Reply("q"));
  router.Handle("POST", "/api/v1/write", Reply("w"));
  std::string route = "x";
  Response nf = Call(router, "GET", "/nope", &route);
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(route, "");
  Response na = Call(router, "DELETE", "/api/v1/query");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.headers.GetOr("Allow"), "GET, HEAD, POST");
  Response na2 = Call(router, "GET", "/api/v1/write");
  EXPECT_EQ(na2.status, 405);
  EXPECT_EQ(na2.headers.GetOr("Allow"), "POST");
  EXPECT_EQ(Call(router, "POST", "/api/v1/query").body, "q");
}

TEST(RouterTest, HeadFallsBackToGetAndMethodsAreCaseSensitive) {
  Router router;
  router.Handle("GET", "/-/healthy", Reply("Healthy"));
  EXPECT_EQ(Call(router, "HEAD", "/-/healthy").status, 200);
  EXPECT_EQ(Call(router, "get", "/-/healthy").status, 405);
}

TEST(RouterTest, ReRegisteringReplaces) {
  Router router;
  router.Handle("GET", "/x", Reply("1"));
  router.Handle("GET", "/x", Reply("2"));
  EXPECT_EQ(Call(router, "GET", "/x").body, "2");
}

TEST(RouterTest, ThrowingHandlerGives500) {
  Router router;
  router.Handle("GET", "/boom", [](const Request&, Response* r) {
    r->headers.Add("X-Partial", "1");
    throw std::runtime_error("kaput");
  });
  router.Handle("GET", "/int", [](const Request&, Response*) { throw 42; });
  Response r = Call(router, "GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("kaput"), std::string::npos);
  EXPECT_FALSE(r.headers.Has("X-Partial")) << "a half-built response is discarded";
  EXPECT_EQ(Call(router, "GET", "/int").status, 500);
}

TEST(RouterTest, GuardRunsBeforeHandlers404And405) {
  Router router;
  router.Handle("GET", "/open", Reply("open"));
  router.Handle("GET", "/secret", Reply("secret"));
  router.HandlePrefix("GET", "/files/", Reply("file"));
  router.SetGuard([](const Request& req, Response* r) {
    if (req.path == "/open") return true;
    r->SetText(401, "no");
    return false;
  });
  std::string route;
  EXPECT_EQ(Call(router, "GET", "/open").body, "open");
  Response denied = Call(router, "GET", "/secret", &route);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body, "no");
  EXPECT_EQ(route, "/secret") << "the matched route is still reported for metrics";
  EXPECT_EQ(Call(router, "GET", "/files/a", &route).status, 401);
  EXPECT_EQ(route, "/files/*");
  EXPECT_EQ(Call(router, "GET", "/nowhere", &route).status, 401) << "no route probing";
  EXPECT_EQ(route, "");
  EXPECT_EQ(Call(router, "POST", "/secret").status, 401) << "no method probing";
}

}  // namespace
}  // namespace abhra::http
