#include "common/labels/labels.h"

#include <algorithm>

#include "common/labels/hash.h"

namespace abhra {
namespace {

constexpr char kSep = '\xff';

bool Contains(std::span<const std::string> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

uint64_t HashFiltered(const std::vector<Label>& labels, std::span<const std::string> names,
                      bool keep) {
  std::string buf;
  buf.reserve(256);
  for (const Label& l : labels) {
    if (Contains(names, l.name) != keep) continue;
    buf += l.name;
    buf += kSep;
    buf += l.value;
    buf += kSep;
  }
  return HashString(buf);
}

}  // namespace

Labels::Labels(std::vector<Label> labels) : labels_(std::move(labels)) {
  std::stable_sort(labels_.begin(), labels_.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  labels_.reserve(pairs.size());
  for (const auto& [n, v] : pairs) labels_.push_back({std::string(n), std::string(v)});
  std::stable_sort(labels_.begin(), labels_.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

Labels Labels::FromSorted(std::vector<Label> sorted) {
  Labels l;
  l.labels_ = std::move(sorted);
  return l;
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool Labels::Has(std::string_view name) const {
  for (const Label& l : labels_) {
    if (l.name == name) return true;
  }
  return false;
}

uint64_t Labels::Hash() const {
  std::string buf;
  buf.reserve(256);
  for (const Label& l : labels_) {
    buf += l.name;
    buf += kSep;
    buf += l.value;
    buf += kSep;
  }
  return HashString(buf);
}

uint64_t Labels::HashForLabels(std::span<const std::string> names) const {
  return HashFiltered(labels_, names, true);
}

uint64_t Labels::HashWithoutLabels(std::span<const std::string> names) const {
  std::string buf;
  for (const Label& l : labels_) {
    if (l.name == kMetricName || Contains(names, l.name)) continue;
    buf += l.name;
    buf += kSep;
    buf += l.value;
    buf += kSep;
  }
  return HashString(buf);
}

Labels Labels::Keep(std::span<const std::string> names) const {
  Labels out;
  for (const Label& l : labels_) {
    if (Contains(names, l.name)) out.labels_.push_back(l);
  }
  return out;
}

Labels Labels::Without(std::span<const std::string> names) const {
  Labels out;
  for (const Label& l : labels_) {
    if (!Contains(names, l.name)) out.labels_.push_back(l);
  }
  return out;
}

Labels Labels::WithoutMetricName() const {
  Labels out;
  out.labels_.reserve(labels_.size());
  for (const Label& l : labels_) {
    if (l.name != kMetricName) out.labels_.push_back(l);
  }
  return out;
}

void Labels::Set(std::string_view name, std::string_view value) {
  auto it = std::lower_bound(labels_.begin(), labels_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) {
    if (value.empty()) {
      labels_.erase(it);
    } else {
      it->value = std::string(value);
    }
    return;
  }
  if (!value.empty()) labels_.insert(it, Label{std::string(name), std::string(value)});
}

void Labels::Del(std::string_view name) { Set(name, ""); }

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Labels::ToString() const {
  std::string out;
  std::string_view name = MetricName();
  out += name;
  out += '{';
  bool first = true;
  for (const Label& l : labels_) {
    if (l.name == kMetricName) continue;
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += "=\"";
    out += EscapeLabelValue(l.value);
    out += '"';
  }
  out += '}';
  return out;
}

int Compare(const Labels& a, const Labels& b) {
  size_t n = std::min(a.labels_.size(), b.labels_.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a.labels_[i].name.compare(b.labels_[i].name); c != 0) return c < 0 ? -1 : 1;
    if (int c = a.labels_[i].value.compare(b.labels_[i].value); c != 0) return c < 0 ? -1 : 1;
  }
  if (a.labels_.size() == b.labels_.size()) return 0;
  return a.labels_.size() < b.labels_.size() ? -1 : 1;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Status ValidateLabels(std::span<const Label> labels) {
  if (labels.empty()) return Status::InvalidArgument("series has no labels");
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument(fmt::format(
          "invalid label name \"{}\": must match [a-zA-Z_][a-zA-Z0-9_]*", EscapeLabelValue(l.name)));
    }
    if (l.value.empty()) {
      return Status::InvalidArgument(fmt::format("label \"{}\" has an empty value", l.name));
    }
    if (l.name == kMetricName && !IsValidMetricName(l.value)) {
      return Status::InvalidArgument(
          fmt::format("invalid metric name \"{}\": must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                      EscapeLabelValue(l.value)));
    }
    if (i > 0) {
      if (labels[i - 1].name == l.name) {
        return Status::InvalidArgument(fmt::format("duplicate label name \"{}\"", l.name));
      }
      if (labels[i - 1].name > l.name) {
        return Status::InvalidArgument(fmt::format(
            "labels not sorted by name: \"{}\" comes after \"{}\"", l.name, labels[i - 1].name));
      }
    }
  }
  return Status::Ok();
}

}  // namespace abhra
