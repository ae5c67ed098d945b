#include "aggregator/app/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

namespace abhra::aggregator {
namespace {

std::string_view KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

// Collects every error with its position, so one run reports them all.
class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  void Error(const YAML::Mark& mark, std::string_view msg) {
    if (mark.is_null()) {
      errors_.push_back({-1, -1, fmt::format("{}: {}", source_, msg)});
    } else {
      errors_.push_back({mark.line, mark.column,
                         fmt::format("{}:{}:{}: {}", source_, mark.line + 1, mark.column + 1, msg)});
    }
  }

  // Reports keys of `map` not in `known`, and non-string keys.
  void CheckKeys(const YAML::Node& map, std::string_view where,
                 std::initializer_list<std::string_view> known) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        Error(it->first.Mark(), fmt::format("keys of {} must be strings", where));
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Error(it->first.Mark(), fmt::format("unknown key \"{}\" in {}; known keys: {}", key,
                                            where, fmt::join(known, ", ")));
      }
    }
  }

  bool String(const YAML::Node& n, std::string_view where, std::string* out) {
    if (!n.IsScalar()) {
      Error(n.Mark(), fmt::format("{} must be a string, got {}", where, KindName(n)));
      return false;
    }
    *out = n.Scalar();
    return true;
  }

  bool Duration(const YAML::Node& n, std::string_view where, int64_t* out) {
    if (!n.IsScalar()) {
      Error(n.Mark(), fmt::format("{} must be a duration like 2h or 15d, got {}", where,
                                  KindName(n)));
      return false;
    }
    auto d = ParseDuration(n.Scalar());
    if (!d.ok()) {
      Error(n.Mark(), fmt::format("{}: {}", where, d.status().message()));
      return false;
    }
    *out = *d;
    return true;
  }

  // All errors in document order, one per line.
  Status Finish() {
    if (errors_.empty()) return Status::Ok();
    std::stable_sort(errors_.begin(), errors_.end(), [](const ErrorAt& a, const ErrorAt& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string all;
    for (const ErrorAt& e : errors_) {
      if (!all.empty()) all += '\n';
      all += e.text;
    }
    return Status::InvalidArgument(std::move(all));
  }

 private:
  struct ErrorAt {
    int line;
    int column;
    std::string text;
  };
  std::string source_;
  std::vector<ErrorAt> errors_;
};

// A non-negative integer (0 allowed: "unlimited" where the key says so).
bool ParseCount(Parser* p, const YAML::Node& node, std::string_view where, size_t* out) {
  std::string v;
  if (!p->String(node, where, &v)) return false;
  size_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    p->Error(node.Mark(), fmt::format("{} must be a non-negative integer, got \"{}\"", where, v));
    return false;
  }
  *out = n;
  return true;
}

void ParseLimits(Parser* p, const YAML::Node& node, LimitsConfig* limits) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("limits must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "limits", {"max_series_per_tenant"});
  if (const YAML::Node m = node["max_series_per_tenant"]) {
    ParseCount(p, m, "limits.max_series_per_tenant", &limits->max_series_per_tenant);
  }
}

void ParseAuth(Parser* p, const YAML::Node& node, AuthConfig* auth) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("auth must be a map of token files, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "auth", {"read_token_file", "admin_token_file", "webhook_token_file"});
  struct Key {
    const char* name;
    std::string* file;
  };
  for (Key k : {Key{"read_token_file", &auth->read_token_file},
                Key{"admin_token_file", &auth->admin_token_file},
                Key{"webhook_token_file", &auth->webhook_token_file}}) {
    const YAML::Node f = node[k.name];
    if (f && p->String(f, fmt::format("auth.{}", k.name), k.file) && k.file->empty()) {
      p->Error(f.Mark(), fmt::format("auth.{} must not be empty (leave the key out instead)", k.name));
    }
  }
}

void ParseTenants(Parser* p, const YAML::Node& node, AggregatorConfig* config) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    p->Error(node.Mark(), fmt::format("tenants must be a list of {{name, token}} maps, got {}",
                                      KindName(node)));
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node t = node[i];
    std::string where = fmt::format("tenants[{}]", i);
    if (!t.IsMap()) {
      p->Error(t.Mark(), fmt::format("{} must be a map with name and token, got {}", where,
                                     KindName(t)));
      continue;
    }
    p->CheckKeys(t, where, {"name", "token", "max_series"});
    TenantConfig tenant;
    if (!t["name"]) {
      p->Error(t.Mark(), fmt::format("{} needs a name", where));
    } else if (p->String(t["name"], where + ".name", &tenant.name)) {
      if (tenant.name.empty()) {
        p->Error(t["name"].Mark(), fmt::format("{}.name must not be empty", where));
      } else if (!seen.insert(tenant.name).second) {
        p->Error(t["name"].Mark(), fmt::format("{}.name \"{}\" is a duplicate", where, tenant.name));
      }
    }
    if (t["token"]) p->String(t["token"], where + ".token", &tenant.token);
    for (size_t j = 0; j < config->tenants.size() && !tenant.token.empty(); ++j) {
      if (config->tenants[j].token == tenant.token) {  // the message must not show the token
        p->Error(t["token"].Mark(), fmt::format("{}.token is the same as tenants[{}].token; each "
                                                "tenant needs its own",
                                                where, j));
      }
    }
    if (const YAML::Node m = t["max_series"]) {
      size_t n = 0;
      if (ParseCount(p, m, where + ".max_series", &n)) tenant.max_series = n;
    }
    config->tenants.push_back(std::move(tenant));
  }
}

void ParseStorage(Parser* p, const YAML::Node& node, StorageConfig* storage) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("storage must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "storage",
               {"block_duration", "retention_raw", "retention_5m", "retention_1h", "wal_fsync"});
  if (node["block_duration"] &&
      p->Duration(node["block_duration"], "storage.block_duration", &storage->block_duration_ms) &&
      storage->block_duration_ms <= 0) {
    p->Error(node["block_duration"].Mark(), "storage.block_duration must be greater than 0");
  }
  struct Retention {
    const char* key;
    int64_t* value;
  };
  for (Retention r : {Retention{"retention_raw", &storage->retention_raw_ms},
                      Retention{"retention_5m", &storage->retention_5m_ms},
                      Retention{"retention_1h", &storage->retention_1h_ms}}) {
    if (node[r.key]) p->Duration(node[r.key], fmt::format("storage.{}", r.key), r.value);
  }
  if (storage->retention_raw_ms != 0 && storage->block_duration_ms > 0 &&
      storage->retention_raw_ms < storage->block_duration_ms) {
    p->Error(node["retention_raw"] ? node["retention_raw"].Mark() : node.Mark(),
             "storage.retention_raw must be 0 (forever) or at least storage.block_duration");
  }
  if (const YAML::Node f = node["wal_fsync"]) {
    std::string mode;
    if (p->String(f, "storage.wal_fsync", &mode)) {
      if (mode == "always") {
        storage->wal_fsync = WalFsync::kAlways;
      } else if (mode == "batch") {
        storage->wal_fsync = WalFsync::kBatch;
      } else if (mode == "never") {
        storage->wal_fsync = WalFsync::kNever;
      } else {
        p->Error(f.Mark(), fmt::format(
                               "storage.wal_fsync must be one of always, batch, never, got \"{}\"",
                               mode));
      }
    }
  }
}

void ParseAlertmanagers(Parser* p, const YAML::Node& node, AggregatorConfig* config) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    p->Error(node.Mark(), fmt::format("alertmanagers must be a list of URLs, got {}", KindName(node)));
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string url;
    std::string where = fmt::format("alertmanagers[{}]", i);
    if (!p->String(node[i], where, &url)) continue;
    bool http = url.rfind("http://", 0) == 0 && url.size() > 7;
    bool https = url.rfind("https://", 0) == 0 && url.size() > 8;
    if (!http && !https) {
      p->Error(node[i].Mark(),
               fmt::format("{} must be an http:// or https:// URL, got \"{}\"", where, url));
      continue;
    }
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    config->alertmanagers.push_back(std::move(url));
  }
}

bool HttpUrl(std::string_view url) {
  return (url.rfind("http://", 0) == 0 && url.size() > 7) ||
         (url.rfind("https://", 0) == 0 && url.size() > 8);
}

void ParsePositiveDuration(Parser* p, const YAML::Node& node, const std::string& where,
                           int64_t* out) {
  if (p->Duration(node, where, out) && *out <= 0) {
    p->Error(node.Mark(), fmt::format("{} must be greater than 0", where));
  }
}

void ParseBool(Parser* p, const YAML::Node& node, const std::string& where, bool* out) {
  std::string v;
  if (!p->String(node, where, &v)) return;
  if (v == "true") {
    *out = true;
  } else if (v == "false") {
    *out = false;
  } else {
    p->Error(node.Mark(), fmt::format("{} must be true or false, got \"{}\"", where, v));
  }
}

void ParseRules(Parser* p, const YAML::Node& node, RulesConfig* rules) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("rules must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "rules", {"templates_dir", "output_dir", "environments_from", "provision",
                               "write_on_refresh", "refresh_interval", "files"});
  if (node["templates_dir"] && p->String(node["templates_dir"], "rules.templates_dir", &rules->templates_dir) &&
      rules->templates_dir.empty()) {
    p->Error(node["templates_dir"].Mark(), "rules.templates_dir must not be empty");
  }
  if (node["output_dir"]) p->String(node["output_dir"], "rules.output_dir", &rules->output_dir);
  if (const YAML::Node e = node["environments_from"]) {
    std::string v;
    if (p->String(e, "rules.environments_from", &v)) {
      if (v == "data") {
        rules->environments_from_data = true;
      } else if (v == "config") {
        rules->environments_from_data = false;
      } else {
        p->Error(e.Mark(), fmt::format("rules.environments_from must be data or config, got \"{}\"", v));
      }
    }
  }
  if (node["provision"]) ParseBool(p, node["provision"], "rules.provision", &rules->provision);
  if (node["write_on_refresh"]) {
    ParseBool(p, node["write_on_refresh"], "rules.write_on_refresh", &rules->write_on_refresh);
  }
  if (node["refresh_interval"]) {
    ParsePositiveDuration(p, node["refresh_interval"], "rules.refresh_interval", &rules->refresh_interval_ms);
  }
  if (const YAML::Node f = node["files"]) {
    if (!f.IsSequence()) {
      p->Error(f.Mark(), fmt::format("rules.files must be a list of paths, got {}", KindName(f)));
    } else {
      for (size_t i = 0; i < f.size(); ++i) {
        std::string path;
        std::string where = fmt::format("rules.files[{}]", i);
        if (!p->String(f[i], where, &path)) continue;
        if (path.empty()) {
          p->Error(f[i].Mark(), fmt::format("{} must not be empty", where));
          continue;
        }
        rules->files.push_back(std::move(path));
      }
    }
  }
}

void ParseDashboards(Parser* p, const YAML::Node& node, DashboardsConfig* d) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("dashboards must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "dashboards",
               {"templates_dir", "output_dir", "grafana_path", "refresh_interval", "version_window"});
  if (node["templates_dir"] &&
      p->String(node["templates_dir"], "dashboards.templates_dir", &d->templates_dir) &&
      d->templates_dir.empty()) {
    p->Error(node["templates_dir"].Mark(), "dashboards.templates_dir must not be empty");
  }
  if (node["output_dir"]) p->String(node["output_dir"], "dashboards.output_dir", &d->output_dir);
  if (node["grafana_path"]) p->String(node["grafana_path"], "dashboards.grafana_path", &d->grafana_path);
  if (node["refresh_interval"]) {
    ParsePositiveDuration(p, node["refresh_interval"], "dashboards.refresh_interval",
                          &d->refresh_interval_ms);
  }
  if (node["version_window"]) {
    ParsePositiveDuration(p, node["version_window"], "dashboards.version_window",
                          &d->version_window_ms);
  }
}

void ParseGrafana(Parser* p, const YAML::Node& node, GrafanaConfig* g) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("grafana must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "grafana", {"url", "token_file", "folder_uid"});
  if (const YAML::Node u = node["url"]) {
    if (p->String(u, "grafana.url", &g->url) && !HttpUrl(g->url)) {
      p->Error(u.Mark(), fmt::format("grafana.url must be an http:// or https:// URL, got \"{}\"", g->url));
    }
    while (g->url.size() > 1 && g->url.back() == '/') g->url.pop_back();
  }
  if (node["token_file"]) p->String(node["token_file"], "grafana.token_file", &g->token_file);
  if (node["folder_uid"]) p->String(node["folder_uid"], "grafana.folder_uid", &g->folder_uid);
  if (!g->url.empty() && g->token_file.empty()) {
    p->Error(node.Mark(), "grafana.token_file is required when grafana.url is set");
  }
}

void ParseNotifier(Parser* p, const YAML::Node& node, NotifierConfig* n) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    p->Error(node.Mark(), fmt::format("notifier must be a map, got {}", KindName(node)));
    return;
  }
  p->CheckKeys(node, "notifier", {"resend_delay", "timeout", "queue_capacity"});
  if (node["resend_delay"]) ParsePositiveDuration(p, node["resend_delay"], "notifier.resend_delay", &n->resend_delay_ms);
  if (node["timeout"]) ParsePositiveDuration(p, node["timeout"], "notifier.timeout", &n->timeout_ms);
  if (const YAML::Node q = node["queue_capacity"]) {
    std::string v;
    if (p->String(q, "notifier.queue_capacity", &v)) {
      size_t cap = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), cap);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size() || cap == 0) {
        p->Error(q.Mark(), fmt::format("notifier.queue_capacity must be a positive integer, got \"{}\"", v));
      } else {
        n->queue_capacity = cap;
      }
    }
  }
}

}  // namespace

std::string_view WalFsyncName(WalFsync mode) {
  switch (mode) {
    case WalFsync::kAlways: return "always";
    case WalFsync::kBatch: return "batch";
    case WalFsync::kNever: return "never";
  }
  return "batch";
}

Result<int64_t> ParseDuration(std::string_view text) {
  if (text == "0") return int64_t{0};
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},              {"s", 1000},
                                    {"ms", 1}};
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format(
        "invalid duration \"{}\": want a number and unit, units y w d h m s ms in that order, "
        "e.g. 1h30m",
        text));
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t next_unit = 0;  // units must appear in kUnits order
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t digits = 0;
    int64_t n = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      if (n > (INT64_MAX - 9) / 10) return bad();
      n = n * 10 + (rest[digits] - '0');
      ++digits;
    }
    if (digits == 0) return bad();
    rest.remove_prefix(digits);
    size_t letters = 0;
    while (letters < rest.size() && rest[letters] >= 'a' && rest[letters] <= 'z') ++letters;
    std::string_view unit = rest.substr(0, letters);
    rest.remove_prefix(letters);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return bad();
    if (n > INT64_MAX / kUnits[u].ms || total > INT64_MAX - n * kUnits[u].ms) return bad();
    total += n * kUnits[u].ms;
    next_unit = u + 1;
  }
  return total;
}

Result<AggregatorConfig> ParseConfig(std::string_view yaml, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: invalid YAML: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  AggregatorConfig config;
  Parser p(source);
  try {
    if (root.IsNull()) return config;
    if (!root.IsMap()) {
      p.Error(root.Mark(), fmt::format("the configuration must be a map, got {}", KindName(root)));
      return p.Finish();
    }
    p.CheckKeys(root, "the configuration",
                {"tenants", "auth", "limits", "storage", "alertmanagers", "external_url",
                 "evaluation_interval", "rules", "notifier", "dashboards", "grafana"});
    if (root["tenants"]) ParseTenants(&p, root["tenants"], &config);
    if (root["auth"]) ParseAuth(&p, root["auth"], &config.auth);
    if (root["limits"]) ParseLimits(&p, root["limits"], &config.limits);
    if (root["storage"]) ParseStorage(&p, root["storage"], &config.storage);
    if (root["alertmanagers"]) ParseAlertmanagers(&p, root["alertmanagers"], &config);
    if (const YAML::Node u = root["external_url"]) {
      if (p.String(u, "external_url", &config.external_url)) {
        if (!HttpUrl(config.external_url)) {
          p.Error(u.Mark(), fmt::format("external_url must be an http:// or https:// URL, got \"{}\"",
                                        config.external_url));
        }
        while (config.external_url.size() > 1 && config.external_url.back() == '/') {
          config.external_url.pop_back();
        }
      }
    }
    if (root["evaluation_interval"]) {
      ParsePositiveDuration(&p, root["evaluation_interval"], "evaluation_interval",
                            &config.evaluation_interval_ms);
    }
    if (root["rules"]) ParseRules(&p, root["rules"], &config.rules);
    if (root["notifier"]) ParseNotifier(&p, root["notifier"], &config.notifier);
    if (root["dashboards"]) ParseDashboards(&p, root["dashboards"], &config.dashboards);
    if (root["grafana"]) ParseGrafana(&p, root["grafana"], &config.grafana);
  } catch (const YAML::Exception& e) {
    p.Error(e.mark, e.msg);
  }
  ABHRA_RETURN_IF_ERROR(p.Finish());
  return config;
}

Result<AggregatorConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(fmt::format("cannot read config file {}", path), errno);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::FromErrno(fmt::format("cannot read config file {}", path), errno);
  return ParseConfig(ss.str(), path);
}

}  // namespace abhra::aggregator
