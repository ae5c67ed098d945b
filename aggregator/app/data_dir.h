// The data directory: created when missing, checked for writability, and locked so that
// two aggregators never share it (DATA_DIR/lock, flock'ed like Prometheus does).
#pragma once

#include <memory>
#include <string>

#include "common/base/status.h"

namespace abhra::aggregator {

// Holds the lock on a data directory until destroyed.
class DataDir {
 public:
  // Creates `path` (and parents) if missing, proves it writable by creating and removing a
  // file, and takes an exclusive lock on `path`/lock. Errors say which and why:
  // IOError "data dir /x is not writable: Permission denied", Unavailable "... is locked by
  // another process".
  static Result<std::unique_ptr<DataDir>> Open(const std::string& path);
  ~DataDir();
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  DataDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  std::string path_;
  int lock_fd_;
};

}  // namespace abhra::aggregator
