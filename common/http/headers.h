// Headers and Params: small ordered multi-maps of strings used by Request and Response.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace abhra::http {

// True when a and b are equal ignoring ASCII case (header names, media types).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Header fields in the order they were added. Lookup by name ignores ASCII case, as HTTP
// field names do. Not thread-safe for writes; const methods may be used concurrently.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Appends a field; an existing field of the same name is kept (repeated fields).
  void Add(std::string name, std::string value);
  // Replaces every field named `name` with one field.
  void Set(std::string name, std::string value);
  // Removes every field named `name`.
  void Remove(std::string_view name);
  // The value of the first field named `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  // The value of the first field named `name`, or `fallback`.
  std::string_view GetOr(std::string_view name, std::string_view fallback = {}) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// Decoded query or form parameters in order. Names are case-sensitive; a name may repeat
// (`match[]=a&match[]=b`).
class Params {
 public:
  using Param = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value);
  // The first value for `name`, or nullptr.
  const std::string* Get(std::string_view name) const;
  // The first value for `name`, or `fallback`.
  std::string_view GetOr(std::string_view name, std::string_view fallback = {}) const;
  // Every value for `name`, in order. Views into this object.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name) != nullptr; }

  size_t size() const { return params_.size(); }
  bool empty() const { return params_.empty(); }
  std::vector<Param>::const_iterator begin() const { return params_.begin(); }
  std::vector<Param>::const_iterator end() const { return params_.end(); }

 private:
  std::vector<Param> params_;
};

}  // namespace abhra::http
