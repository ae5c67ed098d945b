#include "common/http/headers.h"

#include <algorithm>

namespace abhra::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void Headers::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  Add(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [&](const Field& f) { return EqualsIgnoreCase(f.first, name); }),
                fields_.end());
}

const std::string* Headers::Get(std::string_view name) const {
  for (const Field& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) return &f.second;
  }
  return nullptr;
}

std::string_view Headers::GetOr(std::string_view name, std::string_view fallback) const {
  const std::string* v = Get(name);
  return v ? std::string_view(*v) : fallback;
}

void Params::Add(std::string name, std::string value) {
  params_.emplace_back(std::move(name), std::move(value));
}

const std::string* Params::Get(std::string_view name) const {
  for (const Param& p : params_) {
    if (p.first == name) return &p.second;
  }
  return nullptr;
}

std::string_view Params::GetOr(std::string_view name, std::string_view fallback) const {
  const std::string* v = Get(name);
  return v ? std::string_view(*v) : fallback;
}

std::vector<std::string_view> Params::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Param& p : params_) {
    if (p.first == name) out.push_back(p.second);
  }
  return out;
}

}  // namespace abhra::http
