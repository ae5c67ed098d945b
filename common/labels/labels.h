// Label sets as Prometheus defines them: sorted by name, names unique, __name__ holds the
// metric name. A Labels value owns its strings; it is cheap to move, not to copy.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/status.h"

namespace abhra {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// A label whose strings live elsewhere (a decoded request, a symbol table, a WAL page).
struct LabelView {
  std::string_view name;
  std::string_view value;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name. Duplicate names are kept (ValidateLabels reports them).
  explicit Labels(std::vector<Label> labels);
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  // REQUIRES: `sorted` is sorted by name. No copy, no sort.
  static Labels FromSorted(std::vector<Label> sorted);

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const Label& operator[](size_t i) const { return labels_[i]; }
  auto begin() const { return labels_.begin(); }
  auto end() const { return labels_.end(); }
  const std::vector<Label>& items() const { return labels_; }

  // The value of `name`, or "" when absent (Prometheus treats both alike).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricName); }

  // Stable within a process; equal sets hash equal.
  uint64_t Hash() const;
  // Hash over only (or all but) the given names. `names` need not be sorted.
  uint64_t HashForLabels(std::span<const std::string> names) const;
  uint64_t HashWithoutLabels(std::span<const std::string> names) const;

  // Copies with the given names only / without them. Setting "" deletes.
  Labels Keep(std::span<const std::string> names) const;
  Labels Without(std::span<const std::string> names) const;
  Labels WithoutMetricName() const;
  void Set(std::string_view name, std::string_view value);
  void Del(std::string_view name);

  // Prometheus' string form: {__name__="up", job="x"} → up{job="x"}; values escaped.
  std::string ToString() const;

  friend bool operator==(const Labels& a, const Labels& b) { return a.labels_ == b.labels_; }
  // Order by labels pairwise, as Prometheus' labels.Compare does.
  friend int Compare(const Labels& a, const Labels& b);
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

 private:
  std::vector<Label> labels_;
};

bool IsValidMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidLabelName(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*

// Checks what remote-write 1.0 demands of a series' labels: valid names, sorted, no
// duplicates, no empty values, a valid __name__ when present. The message names the first
// offending label: `invalid label name "1a": must match [a-zA-Z_][a-zA-Z0-9_]*`.
Status ValidateLabels(std::span<const Label> labels);

// Escapes a label value as PromQL/exposition text does (backslash, quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace abhra
