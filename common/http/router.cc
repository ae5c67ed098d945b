#include "common/http/router.h"

#include <algorithm>
#include <exception>

#include "common/base/logging.h"

namespace abhra::http {

void Router::Handle(std::string_view method, std::string path, Handler handler) {
  Route& route = exact_[path];
  route.pattern = path;
  route.by_method[std::string(method)] = std::move(handler);
}

void Router::Handle(std::initializer_list<std::string_view> methods, std::string path,
                    Handler handler) {
  for (std::string_view m : methods) Handle(m, path, handler);
}

void Router::HandlePrefix(std::string_view method, std::string prefix, Handler handler) {
  auto it = std::find_if(prefixes_.begin(), prefixes_.end(),
                         [&](const auto& p) { return p.first == prefix; });
  if (it == prefixes_.end()) {
    Route route;
    route.pattern = prefix + "*";
    prefixes_.emplace_back(prefix, std::move(route));
    std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
      return a.first.size() > b.first.size();
    });
    it = std::find_if(prefixes_.begin(), prefixes_.end(),
                      [&](const auto& p) { return p.first == prefix; });
  }
  it->second.by_method[std::string(method)] = std::move(handler);
}

void Router::HandlePrefix(std::initializer_list<std::string_view> methods, std::string prefix,
                          Handler handler) {
  for (std::string_view m : methods) HandlePrefix(m, prefix, handler);
}

const Router::Route* Router::Match(std::string_view path, std::string* suffix) const {
  if (auto it = exact_.find(path); it != exact_.end()) return &it->second;
  for (const auto& [prefix, route] : prefixes_) {
    if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix) {
      *suffix = std::string(path.substr(prefix.size()));
      return &route;
    }
  }
  return nullptr;
}

std::string Router::Dispatch(Request* request, Response* response) const {
  std::string suffix;
  const Route* route = Match(request->path, &suffix);
  if (guard_ && !guard_(*request, response)) return route == nullptr ? "" : route->pattern;
  if (route == nullptr) {
    response->SetText(404, fmt::format("404 page not found: {}\n", request->path));
    return "";
  }
  request->path_suffix = std::move(suffix);
  auto it = route->by_method.find(request->method);
  if (it == route->by_method.end() && request->method == "HEAD") {
    it = route->by_method.find("GET");
  }
  if (it == route->by_method.end()) {
    std::string allow;
    bool has_head = route->by_method.count("HEAD") > 0;
    for (const auto& [method, handler] : route->by_method) {
      if (!allow.empty()) allow += ", ";
      allow += method;
      if (method == "GET" && !has_head) allow += ", HEAD";
    }
    response->SetText(405, fmt::format("method {} not allowed for {}; allowed: {}\n",
                                       request->method, request->path, allow));
    response->headers.Set("Allow", allow);
    return route->pattern;
  }
  try {
    it->second(*request, response);
  } catch (const std::exception& e) {
    LOG_ERROR("http", "handler threw", "route={} method={} error={}",
              LogfmtValue(route->pattern), request->method, LogfmtValue(e.what()));
    *response = Response();
    response->SetText(500, fmt::format("internal error in handler for {}: {}\n", request->path,
                                       e.what()));
  } catch (...) {
    LOG_ERROR("http", "handler threw a non-standard exception", "route={} method={}",
              LogfmtValue(route->pattern), request->method);
    *response = Response();
    response->SetText(500, fmt::format("internal error in handler for {}\n", request->path));
  }
  return route->pattern;
}

}  // namespace abhra::http
