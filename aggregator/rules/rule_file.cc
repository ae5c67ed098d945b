#include "aggregator/rules/rule_file.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "aggregator/promql/parser/lexer.h"
#include "aggregator/promql/parser/parser.h"
#include "aggregator/rules/template_expander.h"

namespace abhra::rules {
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

class Errors {
 public:
  explicit Errors(std::string_view file) : file_(file) {}
  void Add(const YAML::Mark& m, std::string_view msg) {
    if (m.is_null()) {
      list_.push_back(fmt::format("{}: {}", file_, msg));
    } else {
      list_.push_back(fmt::format("{}:{}:{}: {}", file_, m.line + 1, m.column + 1, msg));
    }
  }
  void CheckKeys(const YAML::Node& map, std::string_view where,
                 std::initializer_list<std::string_view> known) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        Add(it->first.Mark(), fmt::format("{}: keys must be strings", where));
        continue;
      }
      if (std::find(known.begin(), known.end(), it->first.Scalar()) == known.end()) {
        Add(it->first.Mark(), fmt::format("{}: unknown field \"{}\"; known fields: {}", where,
                                          it->first.Scalar(), fmt::join(known, ", ")));
      }
    }
  }
  bool String(const YAML::Node& n, std::string_view what, std::string* out) {
    if (!n.IsScalar()) {
      Add(n.Mark(), fmt::format("{} must be a string, got {}", what, KindName(n)));
      return false;
    }
    *out = n.Scalar();
    return true;
  }
  bool Duration(const YAML::Node& n, std::string_view what, int64_t* out) {
    std::string text;
    if (!String(n, what, &text)) return false;
    auto d = promql::ParseDuration(text);
    if (!d.ok() || *d < 0) {
      Add(n.Mark(), fmt::format("{} must be a duration such as 5m, got \"{}\"", what, text));
      return false;
    }
    *out = *d;
    return true;
  }
  // A map of label names to strings. `check_templates` validates values as templates.
  bool LabelMap(const YAML::Node& n, std::string_view what, bool check_templates, Labels* out) {
    if (n.IsNull()) return true;
    if (!n.IsMap()) {
      Add(n.Mark(), fmt::format("{} must be a map, got {}", what, KindName(n)));
      return false;
    }
    std::vector<Label> items;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string name, value;
      if (!String(it->first, fmt::format("{} key", what), &name)) continue;
      if (!IsValidLabelName(name)) {
        Add(it->first.Mark(), fmt::format("{}: invalid name \"{}\": must match "
                                          "[a-zA-Z_][a-zA-Z0-9_]*", what, name));
        continue;
      }
      if (!String(it->second, fmt::format("{}.{}", what, name), &value)) continue;
      if (check_templates) {
        Status st = CheckTemplate(value);
        if (!st.ok()) {
          Add(it->second.Mark(), fmt::format("{}.{}: {}", what, name, st.message()));
          continue;
        }
      }
      items.push_back({std::move(name), std::move(value)});
    }
    *out = Labels(std::move(items));
    return true;
  }
  Status Finish() const {
    if (list_.empty()) return Status::Ok();
    return Status::InvalidArgument(fmt::format("{}", fmt::join(list_, "\n")));
  }

 private:
  std::string file_;
  std::vector<std::string> list_;
};

void ParseRule(Errors* e, const YAML::Node& r, const std::string& where, RuleSpec* rule) {
  if (!r.IsMap()) {
    e->Add(r.Mark(), fmt::format("{} must be a map, got {}", where, KindName(r)));
    return;
  }
  bool is_record = static_cast<bool>(r["record"]);
  bool is_alert = static_cast<bool>(r["alert"]);
  if (is_record == is_alert) {
    e->Add(r.Mark(), fmt::format("{}: exactly one of \"record\" or \"alert\" is required", where));
    return;
  }
  if (is_record) {
    rule->kind = RuleKind::kRecording;
    e->CheckKeys(r, where, {"record", "expr", "labels"});
    if (e->String(r["record"], where + ".record", &rule->name) &&
        !IsValidMetricName(rule->name)) {
      e->Add(r["record"].Mark(), fmt::format("{}: invalid recording rule name \"{}\": must "
                                             "match [a-zA-Z_:][a-zA-Z0-9_:]*", where, rule->name));
    }
  } else {
    rule->kind = RuleKind::kAlerting;
    e->CheckKeys(r, where,
                 {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"});
    if (e->String(r["alert"], where + ".alert", &rule->name) && rule->name.empty()) {
      e->Add(r["alert"].Mark(), fmt::format("{}: alert name must not be empty", where));
    }
    if (r["for"]) e->Duration(r["for"], where + ".for", &rule->for_ms);
    if (r["keep_firing_for"]) {
      e->Duration(r["keep_firing_for"], where + ".keep_firing_for", &rule->keep_firing_for_ms);
    }
    if (r["annotations"]) {
      e->LabelMap(r["annotations"], where + ".annotations", true, &rule->annotations);
    }
  }
  if (!r["expr"]) {
    e->Add(r.Mark(), fmt::format("{}: field \"expr\" is required", where));
  } else if (e->String(r["expr"], where + ".expr", &rule->expr)) {
    auto parsed = promql::ParseExpr(rule->expr);
    if (!parsed.ok()) {
      e->Add(r["expr"].Mark(),
             fmt::format("{}: cannot parse expr: {}", where, parsed.status().message()));
    }
  }
  if (r["labels"]) {
    e->LabelMap(r["labels"], where + ".labels", rule->kind == RuleKind::kAlerting, &rule->labels);
    if (rule->labels.Has(kMetricName)) {
      e->Add(r["labels"].Mark(), fmt::format("{}: labels must not set __name__", where));
    }
  }
}

}  // namespace

Result<std::vector<GroupSpec>> ParseRuleFile(std::string_view yaml, std::string_view file,
                                             int64_t default_interval_ms) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& ex) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: invalid YAML: {}", file,
                                               ex.mark.line + 1, ex.mark.column + 1, ex.msg));
  }
  Errors e(file);
  std::vector<GroupSpec> groups;
  try {
    if (root.IsNull()) return groups;
    if (!root.IsMap()) {
      e.Add(root.Mark(), fmt::format("a rule file must be a map with \"groups\", got {}",
                                     KindName(root)));
      return e.Finish();
    }
    e.CheckKeys(root, "rule file", {"groups"});
    const YAML::Node gs = root["groups"];
    if (!gs || gs.IsNull()) return groups;
    if (!gs.IsSequence()) {
      e.Add(gs.Mark(), fmt::format("groups must be a list, got {}", KindName(gs)));
      return e.Finish();
    }
    std::set<std::string> names;
    for (size_t i = 0; i < gs.size(); ++i) {
      const YAML::Node g = gs[i];
      std::string where = fmt::format("groups[{}]", i);
      if (!g.IsMap()) {
        e.Add(g.Mark(), fmt::format("{} must be a map, got {}", where, KindName(g)));
        continue;
      }
      e.CheckKeys(g, where, {"name", "interval", "limit", "query_offset", "labels", "rules"});
      GroupSpec group;
      group.file = std::string(file);
      group.interval_ms = default_interval_ms;
      if (!g["name"]) {
        e.Add(g.Mark(), fmt::format("{}: field \"name\" is required", where));
      } else if (e.String(g["name"], where + ".name", &group.name)) {
        if (group.name.empty()) {
          e.Add(g["name"].Mark(), fmt::format("{}: group name must not be empty", where));
        } else if (!names.insert(group.name).second) {
          e.Add(g["name"].Mark(), fmt::format("{}: duplicate group name \"{}\"", where, group.name));
        }
        where = fmt::format("group \"{}\"", group.name);
      }
      if (g["interval"] && e.Duration(g["interval"], where + ".interval", &group.interval_ms) &&
          group.interval_ms == 0) {
        group.interval_ms = default_interval_ms;
      }
      if (g["query_offset"]) e.Duration(g["query_offset"], where + ".query_offset", &group.query_offset_ms);
      if (const YAML::Node l = g["limit"]) {
        try {
          group.limit = l.as<int64_t>();
          if (group.limit < 0) e.Add(l.Mark(), fmt::format("{}.limit must be >= 0", where));
        } catch (const YAML::Exception&) {
          e.Add(l.Mark(), fmt::format("{}.limit must be an integer, got {}", where, KindName(l)));
        }
      }
      if (g["labels"]) e.LabelMap(g["labels"], where + ".labels", false, &group.labels);
      const YAML::Node rs = g["rules"];
      if (rs && !rs.IsNull()) {
        if (!rs.IsSequence()) {
          e.Add(rs.Mark(), fmt::format("{}.rules must be a list, got {}", where, KindName(rs)));
        } else {
          for (size_t j = 0; j < rs.size(); ++j) {
            RuleSpec rule;
            ParseRule(&e, rs[j], fmt::format("{}, rule {}", where, j + 1), &rule);
            group.rules.push_back(std::move(rule));
          }
        }
      }
      groups.push_back(std::move(group));
    }
  } catch (const YAML::Exception& ex) {
    e.Add(ex.mark, ex.msg);
  }
  ABHRA_RETURN_IF_ERROR(e.Finish());
  return groups;
}

}  // namespace abhra::rules
