#include "probe/config/config_loader.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <tuple>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "common/labels/labels.h"
#include "probe/config/duration.h"

namespace abhra::probe {
namespace {

// Collects errors with positions while walking the YAML tree.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  void Error(const YAML::Mark& mark, std::string_view msg) {
    if (mark.is_null()) {
      errors_.push_back({-1, -1, fmt::format("{}: {}", source_, msg)});
    } else {
      errors_.push_back({mark.line, mark.column,
                         fmt::format("{}:{}:{}: {}", source_, mark.line + 1, mark.column + 1, msg)});
    }
  }
  void Error(const YAML::Node& node, std::string_view msg) { Error(node.Mark(), msg); }

  // In file order; errors without a position first.
  std::vector<std::string> TakeErrors() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const Positioned& a, const Positioned& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> out;
    for (Positioned& e : errors_) out.push_back(std::move(e.text));
    errors_.clear();
    return out;
  }

 private:
  struct Positioned {
    int line;
    int column;
    std::string text;
  };
  std::string source_;
  std::vector<Positioned> errors_;
};

std::string_view NodeKind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    default: return "nothing";
  }
}

// A YAML map whose keys are checked against an allowed set as it is constructed.
class MapReader {
 public:
  MapReader(Reader* r, const YAML::Node& node, std::string_view where,
            std::initializer_list<std::string_view> allowed)
      : r_(r), where_(where), mark_(node.Mark()) {
    if (node.IsNull()) return;  // an empty section: all defaults
    if (!node.IsMap()) {
      r->Error(node, fmt::format("{} must be a map, got {}", where.empty() ? "the configuration" : where,
                               NodeKind(node)));
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
        r->Error(it->first,
                 fmt::format("unknown key \"{}\" in {} (allowed: {})", key,
                             where.empty() ? "the top level" : where, list));
        continue;
      }
      if (entries_.count(key) != 0) {
        r->Error(it->first, fmt::format("duplicate key \"{}\" in {}", key, where));
        continue;
      }
      entries_.emplace(key, Entry{it->first, it->second});
    }
  }

  bool Has(std::string_view key) const { return entries_.count(std::string(key)) != 0; }
  // The value node, or an undefined node.
  YAML::Node Get(std::string_view key) const {
    auto it = entries_.find(std::string(key));
    return it == entries_.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second.value;
  }
  YAML::Mark KeyMark(std::string_view key) const {
    auto it = entries_.find(std::string(key));
    return it == entries_.end() ? YAML::Mark::null_mark() : it->second.key.Mark();
  }
  const YAML::Mark& Mark() const { return mark_; }
  std::string Where(std::string_view key) const {
    return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
  }

  // Each reads the key if present, returns false (and records an error) on a bad value.
  bool String(std::string_view key, std::string* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined()) return true;
    if (!n.IsScalar()) {
      r_->Error(n, fmt::format("{} must be a string, got {}", Where(key), NodeKind(n)));
      return false;
    }
    *out = n.Scalar();
    return true;
  }
  bool Bool(std::string_view key, bool* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined()) return true;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
      r_->Error(n, fmt::format("{} must be true or false, got \"{}\"", Where(key),
                               n.IsScalar() ? n.Scalar() : std::string(NodeKind(n))));
      return false;
    }
    *out = v;
    return true;
  }
  bool Int(std::string_view key, int64_t min, int64_t max, int64_t* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined()) return true;
    int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) {
      r_->Error(n, fmt::format("{} must be an integer, got \"{}\"", Where(key),
                               n.IsScalar() ? n.Scalar() : std::string(NodeKind(n))));
      return false;
    }
    if (v < min || v > max) {
      r_->Error(n, fmt::format("{} must be between {} and {}, got {}", Where(key), min, max, v));
      return false;
    }
    *out = v;
    return true;
  }
  bool Int(std::string_view key, int min, int max, int* out) const {
    int64_t v = *out;
    if (!Int(key, int64_t{min}, int64_t{max}, &v)) return false;
    *out = static_cast<int>(v);
    return true;
  }
  bool Duration(std::string_view key, int64_t* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined()) return true;
    if (!n.IsScalar()) {
      r_->Error(n, fmt::format("{} must be a duration, got {}", Where(key), NodeKind(n)));
      return false;
    }
    auto d = ParseDuration(n.Scalar());
    if (!d.ok()) {
      r_->Error(n, fmt::format("{}: {}", Where(key), d.status().message()));
      return false;
    }
    *out = *d;
    return true;
  }
  bool ByteSize(std::string_view key, int64_t* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined()) return true;
    if (!n.IsScalar()) {
      r_->Error(n, fmt::format("{} must be a byte size, got {}", Where(key), NodeKind(n)));
      return false;
    }
    auto d = ParseByteSize(n.Scalar());
    if (!d.ok()) {
      r_->Error(n, fmt::format("{}: {}", Where(key), d.status().message()));
      return false;
    }
    *out = *d;
    return true;
  }
  // A list of strings; a single string is accepted as a one-element list.
  bool StringList(std::string_view key, std::vector<std::pair<std::string, YAML::Mark>>* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined() || n.IsNull()) return true;
    if (n.IsScalar()) {
      out->emplace_back(n.Scalar(), n.Mark());
      return true;
    }
    if (!n.IsSequence()) {
      r_->Error(n, fmt::format("{} must be a list of strings, got {}", Where(key), NodeKind(n)));
      return false;
    }
    bool ok = true;
    for (const YAML::Node& e : n) {
      if (!e.IsScalar()) {
        r_->Error(e, fmt::format("{} entries must be strings, got {}", Where(key), NodeKind(e)));
        ok = false;
        continue;
      }
      out->emplace_back(e.Scalar(), e.Mark());
    }
    return ok;
  }
  // A map of string to string, in file order.
  bool StringMap(std::string_view key,
                 std::vector<std::tuple<std::string, std::string, YAML::Mark>>* out) const {
    YAML::Node n = Get(key);
    if (!n.IsDefined() || n.IsNull()) return true;
    if (!n.IsMap()) {
      r_->Error(n, fmt::format("{} must be a map of strings, got {}", Where(key), NodeKind(n)));
      return false;
    }
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->second.IsScalar()) {
        r_->Error(it->second, fmt::format("{}.{} must be a string, got {}", Where(key),
                                          it->first.Scalar(), NodeKind(it->second)));
        ok = false;
        continue;
      }
      out->emplace_back(it->first.Scalar(), it->second.Scalar(), it->first.Mark());
    }
    return ok;
  }

 private:
  struct Entry {
    YAML::Node key;
    YAML::Node value;
  };
  Reader* r_;
  std::string where_;
  YAML::Mark mark_;
  std::map<std::string, Entry> entries_;
};

bool IsReservedLabel(std::string_view name) {
  return name == "env" || name == "cluster" || name == "job" || name == "instance" ||
         name == "service" || name == "target" || name.substr(0, 2) == "__";
}

void ReadLabelMap(Reader* r, const MapReader& m, std::string_view key,
                  std::map<std::string, std::string>* out) {
  std::vector<std::tuple<std::string, std::string, YAML::Mark>> entries;
  m.StringMap(key, &entries);
  for (auto& [name, value, mark] : entries) {
    if (!IsValidLabelName(name)) {
      r->Error(mark, fmt::format("{}: invalid label name \"{}\": must match [a-zA-Z_][a-zA-Z0-9_]*",
                                 m.Where(key), name));
    } else if (IsReservedLabel(name)) {
      r->Error(mark, fmt::format("{}: label \"{}\" is reserved (env and cluster have their own "
                                 "keys; job, target, instance and service are set per target)",
                                 m.Where(key), name));
    } else if (value.empty()) {
      r->Error(mark, fmt::format("{}: label \"{}\" has an empty value", m.Where(key), name));
    } else {
      (*out)[name] = value;
    }
  }
}

Status ValidateHttpUrl(std::string_view url) {
  if (url.empty()) return Status::InvalidArgument("URL is empty");
  CURLU* h = curl_url();
  std::string copy(url);
  CURLUcode rc = curl_url_set(h, CURLUPART_URL, copy.c_str(), 0);
  Status st;
  if (rc != CURLUE_OK) {
    st = Status::InvalidArgument(
        fmt::format("invalid URL \"{}\": {}", url, curl_url_strerror(rc)));
  } else {
    char* scheme = nullptr;
    char* host = nullptr;
    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(h, CURLUPART_HOST, &host, 0);
    std::string s = scheme ? scheme : "";
    if (s != "http" && s != "https") {
      st = Status::InvalidArgument(
          fmt::format("invalid URL \"{}\": scheme must be http or https, got \"{}\"", url, s));
    } else if (host == nullptr || host[0] == '\0') {
      st = Status::InvalidArgument(fmt::format("invalid URL \"{}\": no host", url));
    }
    curl_free(scheme);
    curl_free(host);
  }
  curl_url_cleanup(h);
  return st;
}

Status ValidateHostPort(std::string_view address) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("invalid address \"{}\": {} (expected host:port or [v6]:port)", address, why));
  };
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad("missing port");
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.empty()) return bad("missing host");
  if (host.find(':') != std::string_view::npos && (host.front() != '[' || host.back() != ']')) {
    return bad("IPv6 hosts must be in brackets");
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("port must be a number");
  }
  int p = std::stoi(std::string(port));
  if (p < 1 || p > 65535) return bad("port must be between 1 and 65535");
  return Status::Ok();
}

bool CompileRegex(Reader* r, const std::string& pattern, const YAML::Mark& mark,
                  std::string_view where, Regex* out) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>(pattern, opts);
  if (!re->ok()) {
    r->Error(mark, fmt::format("{}: invalid regular expression \"{}\": {}", where, pattern,
                               re->error()));
    return false;
  }
  out->pattern = pattern;
  out->re = std::move(re);
  return true;
}

void ReadTls(Reader* r, const YAML::Node& node, std::string_view where, TlsConfig* tls) {
  if (!node.IsDefined()) return;
  MapReader m(r, node, where,
              {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"});
  m.String("ca_file", &tls->ca_file);
  m.String("cert_file", &tls->cert_file);
  m.String("key_file", &tls->key_file);
  m.String("server_name", &tls->server_name);
  m.Bool("insecure_skip_verify", &tls->insecure_skip_verify);
  if (tls->cert_file.empty() != tls->key_file.empty()) {
    r->Error(node, fmt::format("{}: cert_file and key_file must be given together", where));
  }
}

void ReadIpProtocol(Reader* r, const MapReader& m, IpProtocol* out) {
  std::string s;
  if (!m.String("ip_protocol", &s) || s.empty()) return;
  if (s == "ip4" || s == "ipv4") {
    *out = IpProtocol::kIp4;
  } else if (s == "ip6" || s == "ipv6") {
    *out = IpProtocol::kIp6;
  } else if (s == "any") {
    *out = IpProtocol::kAny;
  } else {
    r->Error(m.Get("ip_protocol"),
             fmt::format("{} must be ip4, ip6 or any, got \"{}\"", m.Where("ip_protocol"), s));
  }
}

void ReadVersion(Reader* r, const YAML::Node& node, std::string_view where, VersionSource* out) {
  if (!node.IsDefined()) return;
  MapReader m(r, node, where, {"json_field", "header", "metric", "label"});
  std::string json_field, header, metric, label;
  m.String("json_field", &json_field);
  m.String("header", &header);
  m.String("metric", &metric);
  m.String("label", &label);
  int kinds = !json_field.empty() + !header.empty() + (!metric.empty() || !label.empty());
  if (kinds != 1) {
    r->Error(node, fmt::format("{} needs exactly one of json_field, header, or metric with label",
                               where));
    return;
  }
  if (!json_field.empty()) {
    auto path = JsonPath::Parse(json_field);
    if (!path.ok()) {
      r->Error(m.Get("json_field"), fmt::format("{}: {}", m.Where("json_field"),
                                                path.status().message()));
      return;
    }
    out->kind = VersionSource::Kind::kJsonField;
    out->json_field = std::move(path).value();
  } else if (!header.empty()) {
    out->kind = VersionSource::Kind::kHeader;
    out->header = header;
  } else {
    if (metric.empty() || label.empty()) {
      r->Error(node, fmt::format("{}: metric and label must be given together", where));
      return;
    }
    if (!IsValidMetricName(metric)) {
      r->Error(m.Get("metric"), fmt::format("{}: invalid metric name \"{}\"", m.Where("metric"), metric));
    }
    if (!IsValidLabelName(label)) {
      r->Error(m.Get("label"), fmt::format("{}: invalid label name \"{}\"", m.Where("label"), label));
    }
    out->kind = VersionSource::Kind::kMetricLabel;
    out->metric = metric;
    out->label = label;
  }
}

void ReadRequest(Reader* r, const MapReader& m, HttpRequestConfig* req) {
  if (!m.Has("url")) {
    r->Error(m.Mark(), fmt::format("{} is required", m.Where("url")));
  }
  if (m.String("url", &req->url) && m.Has("url")) {
    Status st = ValidateHttpUrl(req->url);
    if (!st.ok()) r->Error(m.Get("url"), fmt::format("{}: {}", m.Where("url"), st.message()));
  }
  if (m.String("method", &req->method)) {
    static const std::set<std::string> kMethods = {"GET",     "HEAD",  "POST", "PUT",
                                                   "DELETE",  "PATCH", "OPTIONS"};
    if (kMethods.count(req->method) == 0) {
      r->Error(m.Get("method"), fmt::format("{} must be one of GET HEAD POST PUT DELETE PATCH "
                                            "OPTIONS, got \"{}\"", m.Where("method"), req->method));
    }
  }
  std::vector<std::tuple<std::string, std::string, YAML::Mark>> headers;
  m.StringMap("headers", &headers);
  for (auto& [k, v, mark] : headers) {
    if (k.empty() || k.find_first_of(" :\r\n") != std::string::npos) {
      r->Error(mark, fmt::format("{}: invalid header name \"{}\"", m.Where("headers"), k));
    } else if (v.find_first_of("\r\n") != std::string::npos) {
      r->Error(mark, fmt::format("{}: header \"{}\" has a line break in its value",
                                 m.Where("headers"), k));
    } else {
      req->headers.emplace_back(k, v);
    }
  }
  m.String("body", &req->body);
  if (m.Has("basic_auth")) {
    MapReader a(r, m.Get("basic_auth"), m.Where("basic_auth"),
                {"username", "password", "password_file"});
    BasicAuth auth;
    a.String("username", &auth.username);
    a.String("password", &auth.password);
    a.String("password_file", &auth.password_file);
    if (auth.username.empty()) {
      r->Error(m.Get("basic_auth"), fmt::format("{}.username is required", m.Where("basic_auth")));
    }
    if (!auth.password.empty() && !auth.password_file.empty()) {
      r->Error(m.Get("basic_auth"),
               fmt::format("{}: password and password_file are exclusive", m.Where("basic_auth")));
    }
    req->basic_auth = auth;
  }
  m.String("bearer_token", &req->bearer_token);
  m.String("bearer_token_file", &req->bearer_token_file);
  if (!req->bearer_token.empty() && !req->bearer_token_file.empty()) {
    r->Error(m.Get("bearer_token_file"), "bearer_token and bearer_token_file are exclusive");
  }
  if (req->basic_auth && (!req->bearer_token.empty() || !req->bearer_token_file.empty())) {
    r->Error(m.Get("basic_auth"), "basic_auth and bearer_token are exclusive");
  }
  ReadTls(r, m.Get("tls"), m.Where("tls"), &req->tls);
  m.Bool("follow_redirects", &req->follow_redirects);
  m.Int("max_redirects", 0, 100, &req->max_redirects);
  ReadIpProtocol(r, m, &req->ip_protocol);
  m.ByteSize("body_size_limit", &req->body_size_limit);
}

// "200", 200, "2xx", "200-299".
bool ParseStatusCode(std::string_view s, StatusCodeRange* out) {
  auto num = [](std::string_view t, int* v) {
    if (t.size() != 3 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    *v = std::stoi(std::string(t));
    return *v >= 100 && *v <= 599;
  };
  if (s.size() == 3 && s[0] >= '1' && s[0] <= '5' && (s.substr(1) == "xx" || s.substr(1) == "XX")) {
    out->low = (s[0] - '0') * 100;
    out->high = out->low + 99;
    return true;
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    return num(s.substr(0, dash), &out->low) && num(s.substr(dash + 1), &out->high) &&
           out->low <= out->high;
  }
  if (!num(s, &out->low)) return false;
  out->high = out->low;
  return true;
}

void ReadHeaderMatches(Reader* r, const MapReader& m, std::string_view key,
                       std::vector<HeaderMatch>* out) {
  YAML::Node n = m.Get(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    r->Error(n, fmt::format("{} must be a list of {{header, regexp, allow_missing}}, got {}",
                            m.Where(key), NodeKind(n)));
    return;
  }
  for (const YAML::Node& e : n) {
    MapReader hm(r, e, m.Where(key), {"header", "regexp", "allow_missing"});
    HeaderMatch h;
    std::string pattern;
    hm.String("header", &h.header);
    hm.String("regexp", &pattern);
    hm.Bool("allow_missing", &h.allow_missing);
    if (h.header.empty() || !hm.Has("regexp")) {
      r->Error(e, fmt::format("{} entries need header and regexp", m.Where(key)));
      continue;
    }
    if (CompileRegex(r, pattern, hm.Get("regexp").Mark(), m.Where(key), &h.regexp)) {
      out->push_back(std::move(h));
    }
  }
}

void ReadHttpCheck(Reader* r, const YAML::Node& node, std::string_view where, bool health,
                   HttpCheckConfig* http) {
  MapReader m(r, node, where,
              {"url", "method", "headers", "body", "basic_auth", "bearer_token",
               "bearer_token_file", "tls", "follow_redirects", "max_redirects", "ip_protocol",
               "body_size_limit", "valid_status_codes", "fail_if_body_matches",
               "fail_if_body_not_matches", "fail_if_header_matches", "fail_if_header_not_matches",
               "json_conditions", "fail_if_ssl", "fail_if_not_ssl", "version"});
  if (!node.IsMap()) {
    if (node.IsNull()) r->Error(node, fmt::format("{} needs at least a url", where));
    return;
  }
  ReadRequest(r, m, &http->request);

  YAML::Node codes = m.Get("valid_status_codes");
  if (codes.IsDefined() && !codes.IsNull()) {
    std::vector<YAML::Node> items;
    if (codes.IsSequence()) {
      for (const YAML::Node& c : codes) items.push_back(c);
    } else {
      items.push_back(codes);
    }
    for (const YAML::Node& c : items) {
      StatusCodeRange range;
      if (!c.IsScalar() || !ParseStatusCode(c.Scalar(), &range)) {
        r->Error(c, fmt::format("{}: \"{}\" is not a status code (200), class (2xx) or range "
                                "(200-299)", m.Where("valid_status_codes"),
                                c.IsScalar() ? c.Scalar() : std::string(NodeKind(c))));
        continue;
      }
      http->valid_status_codes.push_back(range);
    }
  }
  for (auto [key, out] : {std::pair{"fail_if_body_matches", &http->fail_if_body_matches},
                          std::pair{"fail_if_body_not_matches", &http->fail_if_body_not_matches}}) {
    std::vector<std::pair<std::string, YAML::Mark>> patterns;
    m.StringList(key, &patterns);
    for (auto& [p, mark] : patterns) {
      Regex re;
      if (CompileRegex(r, p, mark, m.Where(key), &re)) out->push_back(std::move(re));
    }
  }
  ReadHeaderMatches(r, m, "fail_if_header_matches", &http->fail_if_header_matches);
  ReadHeaderMatches(r, m, "fail_if_header_not_matches", &http->fail_if_header_not_matches);
  std::vector<std::pair<std::string, YAML::Mark>> conds;
  m.StringList("json_conditions", &conds);
  for (auto& [c, mark] : conds) {
    auto cond = JsonCondition::Parse(c);
    if (!cond.ok()) {
      r->Error(mark, fmt::format("{}: {}", m.Where("json_conditions"), cond.status().message()));
    } else {
      http->json_conditions.push_back(std::move(cond).value());
    }
  }
  if (health && conds.empty() && !m.Has("json_conditions")) {
    http->json_conditions.push_back(*JsonCondition::Parse("$.status == \"UP\""));
  }
  m.Bool("fail_if_ssl", &http->fail_if_ssl);
  m.Bool("fail_if_not_ssl", &http->fail_if_not_ssl);
  if (http->fail_if_ssl && http->fail_if_not_ssl) {
    r->Error(node, fmt::format("{}: fail_if_ssl and fail_if_not_ssl cannot both be true", where));
  }
  ReadVersion(r, m.Get("version"), m.Where("version"), &http->version);
  if (http->version.kind == VersionSource::Kind::kMetricLabel) {
    r->Error(m.Get("version"), fmt::format("{}: metric/label versions apply to scrape targets; "
                                           "use json_field or header", m.Where("version")));
  }
}

void ReadScrape(Reader* r, const YAML::Node& node, std::string_view where, ScrapeConfig* s) {
  MapReader m(r, node, where,
              {"url", "method", "headers", "body", "basic_auth", "bearer_token",
               "bearer_token_file", "tls", "follow_redirects", "max_redirects", "ip_protocol",
               "body_size_limit", "honor_labels", "sample_limit", "version"});
  if (!node.IsMap()) {
    if (node.IsNull()) r->Error(node, fmt::format("{} needs at least a url", where));
    return;
  }
  ReadRequest(r, m, &s->request);
  m.Bool("honor_labels", &s->honor_labels);
  m.Int("sample_limit", int64_t{0}, int64_t{1} << 40, &s->sample_limit);
  ReadVersion(r, m.Get("version"), m.Where("version"), &s->version);
  if (s->version.kind == VersionSource::Kind::kJsonField) {
    r->Error(m.Get("version"), fmt::format("{}: scrape targets take the version from a header "
                                           "or a metric label", m.Where("version")));
  }
}

void ReadTcp(Reader* r, const YAML::Node& node, std::string_view where, TcpCheckConfig* t) {
  MapReader m(r, node, where, {"address", "tls", "tls_config", "ip_protocol"});
  if (!m.Has("address")) {
    r->Error(node, fmt::format("{}.address is required", where));
  } else if (m.String("address", &t->address)) {
    Status st = ValidateHostPort(t->address);
    if (!st.ok()) r->Error(m.Get("address"), fmt::format("{}: {}", m.Where("address"), st.message()));
  }
  m.Bool("tls", &t->tls);
  ReadTls(r, m.Get("tls_config"), m.Where("tls_config"), &t->tls_config);
  ReadIpProtocol(r, m, &t->ip_protocol);
}

// The numeric DNS tables live with the DNS check; the loader only needs names.
uint16_t DnsTypeCode(std::string_view name) {
  static const std::map<std::string_view, uint16_t> kTypes = {
      {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12},
      {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}};
  auto it = kTypes.find(name);
  return it == kTypes.end() ? 0 : it->second;
}

int DnsRcodeCode(std::string_view name) {
  static const std::map<std::string_view, int> kRcodes = {
      {"NOERROR", 0}, {"FORMERR", 1}, {"SERVFAIL", 2}, {"NXDOMAIN", 3}, {"NOTIMP", 4}, {"REFUSED", 5}};
  auto it = kRcodes.find(name);
  return it == kRcodes.end() ? -1 : it->second;
}

void ReadDns(Reader* r, const YAML::Node& node, std::string_view where, DnsCheckConfig* d) {
  MapReader m(r, node, where,
              {"server", "query_name", "query_type", "valid_rcodes", "fail_if_matches",
               "fail_if_not_matches", "fail_if_all_match", "fail_if_none_matches",
               "fail_if_no_answer"});
  if (!m.Has("server")) {
    r->Error(node, fmt::format("{}.server is required", where));
  } else if (m.String("server", &d->server)) {
    Status st = ValidateHostPort(d->server);
    std::string host = d->server.substr(0, d->server.rfind(':'));
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    unsigned char buf[16];
    if (st.ok() && inet_pton(AF_INET, host.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, host.c_str(), buf) != 1) {
      st = Status::InvalidArgument(
          fmt::format("server \"{}\" must be an IP address and port", d->server));
    }
    if (!st.ok()) r->Error(m.Get("server"), fmt::format("{}: {}", m.Where("server"), st.message()));
  }
  if (!m.Has("query_name")) {
    r->Error(node, fmt::format("{}.query_name is required", where));
  } else if (m.String("query_name", &d->query_name) &&
             (d->query_name.empty() || d->query_name.size() > 253)) {
    r->Error(m.Get("query_name"), fmt::format("{} must be a DNS name", m.Where("query_name")));
  }
  std::string type;
  if (m.String("query_type", &type) && !type.empty()) {
    uint16_t code = DnsTypeCode(type);
    if (code == 0) {
      r->Error(m.Get("query_type"),
               fmt::format("{} must be one of A AAAA CNAME MX NS PTR SOA SRV TXT, got \"{}\"",
                           m.Where("query_type"), type));
    } else {
      d->query_type = code;
      d->query_type_name = type;
    }
  }
  std::vector<std::pair<std::string, YAML::Mark>> rcodes;
  m.StringList("valid_rcodes", &rcodes);
  if (!rcodes.empty()) d->valid_rcodes.clear();
  for (auto& [name, mark] : rcodes) {
    int code = DnsRcodeCode(name);
    if (code < 0) {
      r->Error(mark, fmt::format("{}: unknown rcode \"{}\" (NOERROR, FORMERR, SERVFAIL, "
                                 "NXDOMAIN, NOTIMP, REFUSED)", m.Where("valid_rcodes"), name));
    } else {
      d->valid_rcodes.push_back(code);
    }
  }
  for (auto [key, out] : {std::pair{"fail_if_matches", &d->fail_if_matches},
                          std::pair{"fail_if_not_matches", &d->fail_if_not_matches},
                          std::pair{"fail_if_all_match", &d->fail_if_all_match},
                          std::pair{"fail_if_none_matches", &d->fail_if_none_matches}}) {
    std::vector<std::pair<std::string, YAML::Mark>> patterns;
    m.StringList(key, &patterns);
    for (auto& [p, mark] : patterns) {
      Regex re;
      if (CompileRegex(r, p, mark, m.Where(key), &re)) out->push_back(std::move(re));
    }
  }
  m.Bool("fail_if_no_answer", &d->fail_if_no_answer);
}

void ReadTarget(Reader* r, const YAML::Node& node, size_t index, const ProbeConfig& cfg,
                Target* t) {
  std::string where = fmt::format("targets[{}]", index);
  MapReader m(r, node, where,
              {"name", "service", "interval", "timeout", "retries", "labels", "http", "health",
               "tcp", "scrape", "dns"});
  t->line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!node.IsMap()) return;
  if (!m.Has("name")) {
    r->Error(node, fmt::format("{}.name is required", where));
  } else if (m.String("name", &t->name) && t->name.empty()) {
    r->Error(m.Get("name"), fmt::format("{}.name must not be empty", where));
  }
  if (!t->name.empty()) where = fmt::format("target \"{}\"", t->name);
  m.String("service", &t->service);
  if (t->service.empty()) t->service = t->name;
  t->interval_ms = cfg.default_interval_ms;
  bool interval_ok = m.Duration("interval", &t->interval_ms);
  if (interval_ok && t->interval_ms <= 0) {
    r->Error(m.Get("interval"), fmt::format("{}.interval must be positive", where));
  }
  t->timeout_ms = std::min(cfg.default_timeout_ms, t->interval_ms);
  bool timeout_ok = m.Duration("timeout", &t->timeout_ms);
  if (timeout_ok && m.Has("timeout") && t->timeout_ms <= 0) {
    r->Error(m.Get("timeout"), fmt::format("{}.timeout must be positive", where));
  }
  if (interval_ok && timeout_ok && t->timeout_ms > t->interval_ms) {
    r->Error(m.Has("timeout") ? m.Get("timeout") : node,
             fmt::format("{}: timeout {} is greater than interval {}", where,
                         FormatDuration(t->timeout_ms), FormatDuration(t->interval_ms)));
  }
  t->retries = cfg.default_retries;
  m.Int("retries", 0, 10, &t->retries);
  ReadLabelMap(r, m, "labels", &t->labels);

  int kinds = 0;
  for (std::string_view k : {"http", "health", "tcp", "scrape", "dns"}) kinds += m.Has(k);
  if (kinds != 1) {
    r->Error(node, fmt::format("{} needs exactly one of http, health, tcp, scrape, dns (got {})",
                               where, kinds));
    return;
  }
  if (m.Has("http")) {
    t->kind = TargetKind::kHttp;
    ReadHttpCheck(r, m.Get("http"), where + ".http", false, &t->http);
  } else if (m.Has("health")) {
    t->kind = TargetKind::kHealth;
    ReadHttpCheck(r, m.Get("health"), where + ".health", true, &t->http);
  } else if (m.Has("tcp")) {
    t->kind = TargetKind::kTcp;
    ReadTcp(r, m.Get("tcp"), where + ".tcp", &t->tcp);
  } else if (m.Has("dns")) {
    t->kind = TargetKind::kDns;
    ReadDns(r, m.Get("dns"), where + ".dns", &t->dns);
  } else {
    t->kind = TargetKind::kScrape;
    ReadScrape(r, m.Get("scrape"), where + ".scrape", &t->scrape);
  }
}

void ReadAggregator(Reader* r, const YAML::Node& node, AggregatorConfig* a) {
  MapReader m(r, node, "aggregator",
              {"url", "bearer_token", "token_file", "tls", "remote_timeout", "queue",
               "max_samples_per_send", "batch_send_deadline", "shards", "min_backoff",
               "max_backoff", "retry_on_http_429", "self_metrics_interval"});
  if (!m.Has("url")) {
    r->Error(node, "aggregator.url is required");
  } else if (m.String("url", &a->url)) {
    Status st = ValidateHttpUrl(a->url);
    if (!st.ok()) r->Error(m.Get("url"), fmt::format("aggregator.url: {}", st.message()));
  }
  m.String("bearer_token", &a->bearer_token);
  m.String("token_file", &a->token_file);
  if (!a->bearer_token.empty() && !a->token_file.empty()) {
    r->Error(m.Get("token_file"), "aggregator: bearer_token and token_file are exclusive");
  }
  ReadTls(r, m.Get("tls"), "aggregator.tls", &a->tls);
  if (m.Duration("remote_timeout", &a->remote_timeout_ms) && a->remote_timeout_ms <= 0) {
    r->Error(m.Get("remote_timeout"), "aggregator.remote_timeout must be positive");
  }
  if (m.Has("queue")) {
    MapReader q(r, m.Get("queue"), "aggregator.queue", {"dir", "max_bytes"});
    q.String("dir", &a->queue.dir);
    if (q.ByteSize("max_bytes", &a->queue.max_bytes) && a->queue.max_bytes < 1024 * 1024) {
      r->Error(q.Get("max_bytes"), "aggregator.queue.max_bytes must be at least 1MiB");
    }
  }
  m.Int("max_samples_per_send", 1, 1'000'000, &a->max_samples_per_send);
  if (m.Duration("batch_send_deadline", &a->batch_send_deadline_ms) &&
      a->batch_send_deadline_ms <= 0) {
    r->Error(m.Get("batch_send_deadline"), "aggregator.batch_send_deadline must be positive");
  }
  m.Int("shards", 1, 256, &a->shards);
  m.Duration("min_backoff", &a->min_backoff_ms);
  m.Duration("max_backoff", &a->max_backoff_ms);
  if (a->min_backoff_ms <= 0 || a->max_backoff_ms < a->min_backoff_ms) {
    r->Error(node, "aggregator: need 0 < min_backoff <= max_backoff");
  }
  m.Bool("retry_on_http_429", &a->retry_on_http_429);
  if (m.Duration("self_metrics_interval", &a->self_metrics_interval_ms) &&
      a->self_metrics_interval_ms > 0 && a->self_metrics_interval_ms < 1000) {
    r->Error(m.Get("self_metrics_interval"),
             "aggregator.self_metrics_interval must be 0 (off) or at least 1s");
  }
}

void ReadConfig(Reader* r, const YAML::Node& root, ProbeConfig* cfg) {
  if (root.IsNull() || !root.IsDefined()) {
    r->Error(root, "the configuration is empty");
    return;
  }
  MapReader m(r, root, "",
              {"environment", "cluster", "external_labels", "global", "aggregator", "targets"});
  if (!root.IsMap()) return;
  for (auto [key, out] : {std::pair{"environment", &cfg->environment},
                          std::pair{"cluster", &cfg->cluster}}) {
    if (!m.Has(key)) {
      r->Error(root.Mark(), fmt::format("{} is required", key));
    } else if (m.String(key, out) && out->empty()) {
      r->Error(m.Get(key), fmt::format("{} must not be empty", key));
    }
  }
  ReadLabelMap(r, m, "external_labels", &cfg->external_labels);
  if (m.Has("global")) {
    MapReader g(r, m.Get("global"), "global", {"interval", "timeout", "retries"});
    if (g.Duration("interval", &cfg->default_interval_ms) && cfg->default_interval_ms <= 0) {
      r->Error(g.Get("interval"), "global.interval must be positive");
    }
    if (g.Duration("timeout", &cfg->default_timeout_ms) && cfg->default_timeout_ms <= 0) {
      r->Error(g.Get("timeout"), "global.timeout must be positive");
    }
    g.Int("retries", 0, 10, &cfg->default_retries);
  }
  if (m.Has("aggregator")) {
    cfg->aggregator.emplace();
    ReadAggregator(r, m.Get("aggregator"), &*cfg->aggregator);
  }
  YAML::Node targets = m.Get("targets");
  if (!targets.IsDefined() || targets.IsNull()) return;
  if (!targets.IsSequence()) {
    r->Error(targets, fmt::format("targets must be a list, got {}", NodeKind(targets)));
    return;
  }
  std::map<std::string, int> seen;  // name → line
  size_t i = 0;
  for (const YAML::Node& tn : targets) {
    Target t;
    ReadTarget(r, tn, i++, *cfg, &t);
    if (!t.name.empty()) {
      auto [it, inserted] = seen.emplace(t.name, t.line);
      if (!inserted) {
        r->Error(tn, fmt::format("duplicate target name \"{}\" (first at line {})", t.name,
                                 it->second));
      }
    }
    cfg->targets.push_back(std::move(t));
  }
}

}  // namespace

bool Regex::Search(std::string_view text) const {
  return re != nullptr && RE2::PartialMatch(text, *re);
}

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kHttp: return "http";
    case TargetKind::kHealth: return "health";
    case TargetKind::kTcp: return "tcp";
    case TargetKind::kScrape: return "scrape";
    case TargetKind::kDns: return "dns";
  }
  return "unknown";
}

const std::string& Target::Instance() const {
  switch (kind) {
    case TargetKind::kTcp: return tcp.address;
    case TargetKind::kScrape: return scrape.request.url;
    case TargetKind::kDns: return dns.server;
    default: return http.request.url;
  }
}

ConfigParseOutcome ParseConfigText(std::string_view yaml, std::string_view source) {
  ConfigParseOutcome out;
  Reader r(source);
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    ReadConfig(&r, root, &out.config);
  } catch (const YAML::Exception& e) {
    r.Error(e.mark, fmt::format("YAML syntax error: {}", e.msg));
  }
  out.errors = r.TakeErrors();
  return out;
}

ConfigParseOutcome ParseConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigParseOutcome out;
    out.errors.push_back(fmt::format("{}: cannot read the configuration file", path));
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfigText(ss.str(), path);
}

Result<ProbeConfig> LoadConfigFile(const std::string& path) {
  ConfigParseOutcome out = ParseConfigFile(path);
  if (!out.errors.empty()) {
    std::string msg;
    for (const std::string& e : out.errors) msg += (msg.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(std::move(msg));
  }
  return std::move(out.config);
}

}  // namespace abhra::probe
