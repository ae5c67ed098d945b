#include "aggregator/provision/dashboards/grafana_client.h"

#include <curl/curl.h>

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aggregator/provision/dashboards/template_render.h"
#include "common/base/logging.h"

namespace abhra::provision {
namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string JsonString(std::string_view s) { return "\"" + EscapeJsonStringPythonStyle(s) + "\""; }

// Grafana's error body: {"message":"...","status":"..."}; both optional.
std::string GrafanaMessage(const std::string& body) {
  try {
    auto j = nlohmann::json::parse(body);
    std::string out;
    if (j.contains("status") && j["status"].is_string()) out += j["status"].get<std::string>();
    if (j.contains("message") && j["message"].is_string()) {
      if (!out.empty()) out += ": ";
      out += j["message"].get<std::string>();
    }
    if (!out.empty()) return out;
  } catch (const nlohmann::json::exception&) {
  }
  return body.substr(0, 200);
}

}  // namespace

std::string GrafanaPushBody(const RenderedDashboard& dashboard, const std::string& folder_uid,
                            const std::string& message) {
  std::string body = "{\"dashboard\":";
  body += dashboard.json;
  if (!folder_uid.empty()) body += ",\"folderUid\":" + JsonString(folder_uid);
  body += ",\"overwrite\":true,\"message\":" + JsonString(message) + "}";
  return body;
}

GrafanaClient::GrafanaClient(GrafanaOptions options) : options_(std::move(options)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference-counted; safe to call repeatedly
}

Result<GrafanaPushResponse> GrafanaClient::PushDashboard(const RenderedDashboard& dashboard,
                                                         const std::string& message) const {
  const std::string url = options_.url + "/api/dashboards/db";
  const std::string body = GrafanaPushBody(dashboard, options_.folder_uid, message);
  std::unique_ptr<CURL, void (*)(CURL*)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) return Status::Internal("curl_easy_init failed");
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::string auth = "Authorization: Bearer " + options_.token;
  if (!options_.token.empty()) headers = curl_slist_append(headers, auth.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(e, CURLOPT_USERAGENT, "abhra-aggregator");
  CURLcode rc = curl_easy_perform(e);
  if (rc != CURLE_OK) {
    return Status::Unavailable(fmt::format("cannot push dashboard {} to {}: {}", dashboard.uid, url,
                                           errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  if (code == 200) {
    GrafanaPushResponse out;
    out.http_status = 200;
    try {
      auto j = nlohmann::json::parse(response);
      if (j.value("status", "") != "success") {
        return Status::InvalidArgument(fmt::format(
            "Grafana at {} answered 200 for dashboard {} without status \"success\": {}", url,
            dashboard.uid, response.substr(0, 200)));
      }
      out.uid = j.value("uid", "");
      out.url = j.value("url", "");
      out.version = j.value("version", int64_t{0});
    } catch (const nlohmann::json::exception& ex) {
      return Status::InvalidArgument(fmt::format(
          "Grafana at {} answered 200 for dashboard {} with a body that is not JSON: {}", url,
          dashboard.uid, ex.what()));
    }
    return out;
  }
  std::string what = GrafanaMessage(response);
  switch (code) {
    case 401:
      return Status::Unauthenticated(fmt::format(
          "Grafana at {} rejected the token for dashboard {} (401 {}): check grafana.token "
          "(a service account token with the Editor role)", url, dashboard.uid, what));
    case 403:
      return Status::PermissionDenied(fmt::format(
          "Grafana at {} does not allow the token to write dashboard {} (403 {}): give the "
          "service account the Editor role on folder \"{}\"", url, dashboard.uid, what,
          options_.folder_uid));
    case 412:
      return Status::InvalidArgument(fmt::format(
          "Grafana at {} refused dashboard {} (412 {}): name-exists means another dashboard "
          "in the folder has the same title, version-mismatch that it changed concurrently, "
          "plugin-dashboard that a plugin owns it", url, dashboard.uid, what));
    default:
      if (code >= 500) {
        return Status::Unavailable(fmt::format("Grafana at {} failed on dashboard {} ({} {})", url,
                                               dashboard.uid, code, what));
      }
      return Status::InvalidArgument(fmt::format("Grafana at {} refused dashboard {} ({} {})", url,
                                                 dashboard.uid, code, what));
  }
}

Status GrafanaPusher::Push(const std::vector<RenderedDashboard>& dashboards,
                           GrafanaSyncStats* stats) {
  std::lock_guard<std::mutex> lock(mu_);
  *stats = {};
  Status first;
  for (const RenderedDashboard& d : dashboards) {
    auto it = last_pushed_.find(d.uid);
    if (it != last_pushed_.end() && it->second == d.json) {
      ++stats->skipped;
      continue;
    }
    std::string message = d.version.empty()
                              ? (d.env.empty() ? "Abhra provisioning"
                                               : "Abhra provisioning for env " + d.env)
                              : "Abhra provisioning for env " + d.env + " version " + d.version;
    auto r = client_.PushDashboard(d, message);
    if (r.ok()) {
      ++stats->pushed;
      last_pushed_[d.uid] = d.json;
      LOG_INFO("provision", "pushed dashboard to Grafana", "uid={} version={} url={}", d.uid,
               r->version, LogfmtValue(r->url));
      continue;
    }
    ++stats->failed;
    LOG_ERROR("provision", "Grafana push failed", "uid={} err={}", d.uid,
              LogfmtValue(r.status().message()));
    if (first.ok()) first = r.status();
    if (r.status().code() == Status::Code::kUnauthenticated ||
        r.status().code() == Status::Code::kPermissionDenied) {
      stats->failed += static_cast<int>(dashboards.size()) - stats->pushed - stats->skipped -
                       stats->failed;
      break;
    }
  }
  return first;
}

}  // namespace abhra::provision
