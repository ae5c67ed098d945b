// Status and Result<T>: errors as values at library boundaries.
//
// A Status is OK or carries a Code and a message that says what was wrong and with which
// input ("cannot parse label name \"1a\" in series 17: must match [a-zA-Z_][a-zA-Z0-9_]*").
// No exception crosses a library boundary; third-party errors are converted where they arise.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace abhra {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kInvalidArgument,  // bad input from a caller or a peer; never retried
    kNotFound,
    kCorruption,       // on-disk or wire data that fails its checks
    kIOError,          // the file system or network failed
    kOutOfOrder,       // a sample older than the newest of its series
    kOutOfBounds,      // a sample outside the writable time window
    kDuplicate,        // same timestamp, different value
    kTimeout,
    kUnavailable,      // temporarily cannot serve (overload, shutting down); retry later
    kResourceExhausted,  // a limit was hit (size, samples, series)
    kInternal,         // a bug
    kUnauthenticated,  // no or unknown credentials (HTTP 401)
    kPermissionDenied,  // credentials valid but not for this (HTTP 403)
  };

  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status OutOfOrder(std::string msg) { return {Code::kOutOfOrder, std::move(msg)}; }
  static Status OutOfBounds(std::string msg) { return {Code::kOutOfBounds, std::move(msg)}; }
  static Status Duplicate(std::string msg) { return {Code::kDuplicate, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) { return {Code::kUnauthenticated, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  // IOError from errno: "<what>: <strerror(errno_value)>".
  static Status FromErrno(std::string_view what, int errno_value);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool Is(Code c) const { return code_ == c; }

  // "InvalidArgument: message", or "OK".
  std::string ToString() const;
  // A copy with "context: " put before the message; OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace abhra

// Returns from the enclosing function if `expr` is a non-OK Status.
#define ABHRA_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::abhra::Status abhra_status_ = (expr);  \
    if (!abhra_status_.ok()) return abhra_status_; \
  } while (0)

#define ABHRA_CONCAT_INNER_(a, b) a##b
#define ABHRA_CONCAT_(a, b) ABHRA_CONCAT_INNER_(a, b)
// ABHRA_ASSIGN_OR_RETURN(auto x, F()): assigns the value of a Result or returns its Status.
#define ABHRA_ASSIGN_OR_RETURN(lhs, expr) \
  ABHRA_ASSIGN_OR_RETURN_IMPL_(ABHRA_CONCAT_(abhra_result_, __LINE__), lhs, expr)
#define ABHRA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

template <>
struct fmt::formatter<abhra::Status> : fmt::formatter<std::string> {
  auto format(const abhra::Status& s, format_context& ctx) const {
    return fmt::formatter<std::string>::format(s.ToString(), ctx);
  }
};
