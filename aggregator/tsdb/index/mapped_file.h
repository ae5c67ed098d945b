// A read-only memory mapping of a whole file. Move-only; unmaps on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/base/status.h"

namespace abhra::tsdb {

class MappedFile {
 public:
  // IOError naming the path when the file cannot be opened or mapped. Empty files map to
  // an empty span.
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Writes `data` to `path` (created or truncated) and fsyncs it.
Status WriteFileSync(const std::string& path, std::string_view data);
// fsyncs a directory so renames/creations inside it are durable.
Status SyncDir(const std::string& dir);

}  // namespace abhra::tsdb
