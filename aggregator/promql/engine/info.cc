#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <re2/re2.h>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {

// info(v [, selector]): adds data labels of info series (target_info by default) that share
// the identifying labels instance and job, as Prometheus' experimental info() does.
Matrix Evaluator::EvalInfo(const Expr& call) {
  static const std::vector<std::string> kIdentifying = {"instance", "job"};
  Matrix mat = std::get<Matrix>(Eval(*call.args[0]));
  std::map<std::string, std::vector<Matcher>> data_matchers;
  std::vector<Matcher> name_matchers;
  if (call.args.size() > 1) {
    const Expr& sel = Unparen(*call.args[1]);
    for (const Matcher& m : sel.matchers) {
      data_matchers[m.name()].push_back(m);
      if (m.name() == kMetricName) name_matchers.push_back(m);
    }
  } else {
    name_matchers.push_back(Matcher::Equal(std::string(kMetricName), "target_info"));
  }
  // Only negative __name__ matchers: restrict to info metrics (names ending in _info).
  bool has_positive = false;
  for (const Matcher& m : name_matchers) {
    has_positive = has_positive || m.type() == MatchType::kEqual ||
                   m.type() == MatchType::kRegexMatch;
  }
  if (!name_matchers.empty() && !has_positive) {
    auto m = Matcher::Make(MatchType::kRegexMatch, std::string(kMetricName), ".+_info");
    if (m.ok()) {
      name_matchers.push_back(*m);
      data_matchers[std::string(kMetricName)].push_back(*m);
    }
  }
  auto name_matches = [&](std::string_view name) {
    for (const Matcher& m : name_matchers) {
      if (!m.Matches(name)) return false;
    }
    return true;
  };
  std::vector<bool> ignore(mat.size(), false);
  std::map<std::string, std::set<std::string>> id_values;
  for (size_t i = 0; i < mat.size(); ++i) {
    if (!name_matchers.empty() && name_matches(mat[i].metric.MetricName())) {
      ignore[i] = true;
      continue;
    }
    for (const auto& l : kIdentifying) {
      std::string_view v = mat[i].metric.Get(l);
      if (!v.empty()) id_values[l].insert(std::string(v));
    }
  }
  bool has_name_matcher = data_matchers.count(std::string(kMetricName)) > 0;
  std::vector<Matcher> info_matchers;
  if (!id_values.empty()) {
    for (const auto& [name, vals] : id_values) {
      std::string re;
      for (const auto& v : vals) {
        if (!re.empty()) re += '|';
        re += RE2::QuoteMeta(v);
      }
      auto m = Matcher::Make(MatchType::kRegexMatch, name, re);
      if (!m.ok()) throw EvalError{m.status()};
      info_matchers.push_back(std::move(*m));
    }
    for (const auto& [name, ms] : data_matchers) {
      for (const Matcher& m : ms) info_matchers.push_back(m);
    }
    if (!has_name_matcher) {
      info_matchers.insert(info_matchers.begin(),
                           Matcher::Equal(std::string(kMetricName), "target_info"));
    }
  }
  data_matchers.erase(std::string(kMetricName));

  // The time the base series were read at (through @, offset and subqueries of the first
  // selector), at which the info series are looked up too.
  auto ref_time = [&](int64_t ts) {
    const Expr* x = call.args[0].get();
    int64_t t = ts;
    while (x) {
      if (x->kind == Expr::Kind::kVectorSelector || x->kind == Expr::Kind::kSubquery) {
        t = AtTime(*x, t);
        if (x->kind == Expr::Kind::kVectorSelector) break;
      }
      x = x->args.empty() ? nullptr : x->args[0].get();
      if (x && x->kind == Expr::Kind::kAggregate && x->agg_has_param) x = x->args[1].get();
    }
    return t;
  };
  // Info series as of each step; the value is the sample's timestamp, to prefer the newest.
  Matrix info_mat;
  if (!info_matchers.empty()) {
    Expr sel;
    sel.kind = Expr::Kind::kVectorSelector;
    sel.matchers = info_matchers;
    const int64_t lookback = ctx_.opts->lookback_delta_ms;
    int64_t lo = std::min(ref_time(start_), ref_time(end_));
    int64_t hi = std::max(ref_time(start_), ref_time(end_));
    for (LoadedSeries& ls : Select(sel, lo - lookback, hi)) {
      Series s;
      for (int64_t ts = start_; ts <= end_; ts += interval_) {
        int64_t ref = ref_time(ts);
        auto it = std::upper_bound(ls.points.begin(), ls.points.end(), ref,
                                   [](int64_t t, const FPoint& p) { return t < p.t; });
        if (it == ls.points.begin()) continue;
        --it;
        if (it->t <= ref - lookback || storage::IsStaleNaN(it->f)) continue;
        s.floats.push_back({ts, static_cast<double>(it->t)});
      }
      if (s.floats.empty()) continue;
      s.metric = std::move(ls.metric);
      info_mat.push_back(std::move(s));
    }
  }
  auto sig_of = [](std::string_view info_name, const Labels& l) {
    std::vector<Label> parts = {{std::string(kMetricName), std::string(info_name)}};
    for (const auto& id : kIdentifying) {
      if (l.Has(id)) parts.push_back({id, std::string(l.Get(id))});
    }
    return Labels(std::move(parts)).Hash();
  };
  std::set<std::string> info_names;
  for (const Series& s : info_mat) info_names.insert(std::string(s.metric.MetricName()));
  std::vector<bool> base_ignored = ignore;
  std::vector<uint64_t> info_sigs;
  for (const Series& s : info_mat) info_sigs.push_back(sig_of(s.metric.MetricName(), s.metric));

  bool all_match_empty = true;
  for (const auto& [name, ms] : data_matchers) {
    for (const Matcher& m : ms) all_match_empty = all_match_empty && m.MatchesEmpty();
  }
  std::vector<Matrix> mats;
  mats.push_back(std::move(mat));
  mats.push_back(std::move(info_mat));
  return RangeEvalMats(
      std::move(mats),
      [&](std::vector<Vector>& v, const StepIds& ids, int64_t ts) {
        Vector out;
        std::unordered_map<uint64_t, const Sample*> by_sig;
        for (size_t k = 0; k < v[1].size(); ++k) {
          const Sample& s = v[1][k];
          uint64_t sig = info_sigs[ids[1][k]];
          auto [it, inserted] = by_sig.emplace(sig, &s);
          if (inserted) continue;
          if (it->second->f < s.f) {
            it->second = &s;
          } else if (it->second->f == s.f) {
            ThrowExecution(fmt::format(
                "found duplicate series for info metric: existing {} @ {}, new {} @ {}",
                it->second->metric.ToString(), static_cast<int64_t>(it->second->f),
                s.metric.ToString(), static_cast<int64_t>(s.f)));
          }
        }
        for (size_t k = 0; k < v[0].size(); ++k) {
          const Sample& bs = v[0][k];
          if (base_ignored[ids[0][k]]) {
            out.push_back(bs);
            continue;
          }
          Labels added;
          int seen = 0;
          for (const auto& info_name : info_names) {
            auto it = by_sig.find(sig_of(info_name, bs.metric));
            if (it == by_sig.end()) continue;
            ++seen;
            for (const Label& l : it->second->metric) {
              if (l.name == kMetricName) continue;
              if (!data_matchers.empty() && !data_matchers.count(l.name)) continue;
              std::string_view have = added.Get(l.name);
              if (!have.empty() && have != l.value) {
                ThrowExecution("conflicting label: " + l.name);
              }
              if (bs.metric.Has(l.name)) continue;
              added.Set(l.name, l.value);
            }
          }
          if (seen == 0 && !all_match_empty) continue;
          Sample o = bs;
          for (const Label& l : added) o.metric.Set(l.name, l.value);
          out.push_back(std::move(o));
        }
        return out;
      },
      nullptr);
}

}  // namespace abhra::promql
