#include "aggregator/tsdb/wal/wal_format.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace abhra::tsdb {

std::string SegmentName(int index) { return fmt::format("{:08d}", index); }

std::optional<int> ParseSegmentName(std::string_view name) {
  if (name.size() != 8) return std::nullopt;
  int v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<std::vector<int>> ListSegments(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::NotFound(fmt::format("WAL directory {} does not exist", dir));
    return Status::FromErrno(fmt::format("list WAL directory {}", dir), errno);
  }
  std::vector<int> out;
  while (dirent* e = readdir(d)) {
    if (auto idx = ParseSegmentName(e->d_name)) out.push_back(*idx);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(fmt::format("open {}", path), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(fmt::format("fsync {}", path), err);
  return Status::Ok();
}

}  // namespace abhra::tsdb
