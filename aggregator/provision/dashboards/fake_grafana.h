// A fake Grafana for tests: POST /api/dashboards/db on 127.0.0.1:<free port>, checking each
// request as interfaces.md §5 describes and answering like Grafana does. Test-only.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http/router.h"
#include "common/http/server.h"

namespace abhra::provision::testing {

class FakeGrafana {
 public:
  enum class Mode { kOk, kUnauthorized, kForbidden, kNameExists };

  explicit FakeGrafana(std::string token, std::string folder_uid)
      : token_(std::move(token)), folder_uid_(std::move(folder_uid)) {
    router_.Handle("POST", "/api/dashboards/db",
                   [this](const http::Request& req, http::Response* resp) { Handle(req, resp); });
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = http::Server::Start(std::move(options), &router_);
    if (server.ok()) server_ = std::move(*server);
  }
  ~FakeGrafana() {
    if (server_) server_->Shutdown(std::chrono::milliseconds(100));
  }

  bool started() const { return server_ != nullptr; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void set_mode(Mode m) {
    std::lock_guard<std::mutex> l(mu_);
    mode_ = m;
  }
  // Every accepted dashboard uid, in order, and every problem found in a request.
  std::vector<std::string> pushed() const {
    std::lock_guard<std::mutex> l(mu_);
    return pushed_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard<std::mutex> l(mu_);
    return problems_;
  }
  int requests() const {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void Problem(std::string p) { problems_.push_back(std::move(p)); }

  void Handle(const http::Request& req, http::Response* resp) {
    std::lock_guard<std::mutex> l(mu_);
    ++requests_;
    if (mode_ == Mode::kUnauthorized ||
        req.headers.GetOr("Authorization") != "Bearer " + token_) {
      return resp->SetJson(401, R"({"message":"invalid API key"})");
    }
    if (mode_ == Mode::kForbidden) {
      return resp->SetJson(403, R"({"message":"Access denied"})");
    }
    if (req.headers.GetOr("Content-Type").rfind("application/json", 0) != 0) {
      Problem("Content-Type is " + std::string(req.headers.GetOr("Content-Type")));
    }
    nlohmann::json body;
    try {
      body = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::exception& e) {
      Problem(std::string("body is not JSON: ") + e.what());
      return resp->SetJson(400, R"({"message":"bad request data"})");
    }
    const auto& d = body["dashboard"];
    std::string uid = d.is_object() && d.contains("uid") && d["uid"].is_string()
                          ? d["uid"].get<std::string>() : "";
    if (!d.is_object()) Problem("no dashboard object");
    if (uid.empty() || uid.size() > 40) Problem("bad uid \"" + uid + "\"");
    if (d.is_object() && d.contains("id")) Problem(uid + ": dashboard has an id");
    if (d.is_object() && !d.contains("schemaVersion")) Problem(uid + ": no schemaVersion");
    if (body.value("overwrite", false) != true) Problem(uid + ": overwrite is not true");
    if (!body.contains("message") || !body["message"].is_string()) Problem(uid + ": no message");
    if (!folder_uid_.empty() && body.value("folderUid", "") != folder_uid_) {
      Problem(uid + ": folderUid is not " + folder_uid_);
    }
    for (const auto& [k, v] : body.items()) {
      if (k != "dashboard" && k != "folderUid" && k != "overwrite" && k != "message") {
        Problem("unexpected key " + k);
      }
    }
    if (mode_ == Mode::kNameExists) {
      return resp->SetJson(412, R"({"message":"A dashboard with the same name in the folder already exists","status":"name-exists"})");
    }
    pushed_.push_back(uid);
    nlohmann::json out = {{"id", static_cast<int>(pushed_.size())}, {"uid", uid},
                          {"url", "/d/" + uid + "/slug"}, {"status", "success"},
                          {"version", static_cast<int>(pushed_.size())}, {"slug", "slug"}};
    resp->SetJson(200, out.dump());
  }

  const std::string token_;
  const std::string folder_uid_;
  mutable std::mutex mu_;
  Mode mode_ = Mode::kOk;                // guarded by mu_
  std::vector<std::string> pushed_;      // guarded by mu_
  std::vector<std::string> problems_;    // guarded by mu_
  int requests_ = 0;                     // guarded by mu_
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace abhra::provision::testing
