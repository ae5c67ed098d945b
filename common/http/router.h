// Router: maps (method, path) to a Handler.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/message.h"

namespace abhra::http {

// Routes are registered before the server starts; after that Dispatch() may be called from
// many threads at once (registration is not thread-safe against Dispatch).
//
// Matching: an exact route beats a prefix route; among prefix routes the longest prefix wins.
// A path that matches a route but not its method gives 405 with an Allow header; a path
// that matches nothing gives 404. HEAD is served by the GET handler (the server drops the
// body) unless a HEAD handler is registered.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Exact-path route. Registering the same method and path again replaces the handler.
  // REQUIRES: path starts with '/'.
  void Handle(std::string_view method, std::string path, Handler handler);
  void Handle(std::initializer_list<std::string_view> methods, std::string path,
              Handler handler);
  // Prefix route: every path that starts with `prefix` (and is longer than it). The handler
  // finds the rest of the path in Request::path_suffix.
  // REQUIRES: prefix starts with '/'.
  void HandlePrefix(std::string_view method, std::string prefix, Handler handler);
  void HandlePrefix(std::initializer_list<std::string_view> methods, std::string prefix,
                    Handler handler);

  // A check run before every request's handler, 404 or 405 (authentication): it returns
  // true to let the request through, or fills *response and returns false. Set it before
  // the server starts; it is called concurrently.
  using Guard = std::function<bool(const Request& request, Response* response)>;
  void SetGuard(Guard guard) { guard_ = std::move(guard); }

  // Runs the guard, then the handler for request->path and request->method and fills *response (404, 405
  // or 500 when no handler answers or it throws). Sets request->path_suffix for prefix
  // routes. Returns the matched route pattern ("/api/v1/query", "/api/v1/label/*") or ""
  // when none matched, for logs and metrics. Thread-safe.
  std::string Dispatch(Request* request, Response* response) const;

 private:
  struct Route {
    std::string pattern;
    std::map<std::string, Handler, std::less<>> by_method;
  };
  const Route* Match(std::string_view path, std::string* suffix) const;

  std::map<std::string, Route, std::less<>> exact_;
  std::vector<std::pair<std::string, Route>> prefixes_;  // longest prefix first
  Guard guard_;
};

}  // namespace abhra::http
