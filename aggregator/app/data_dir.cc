#include "aggregator/app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace abhra::aggregator {

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("data dir must not be empty");
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(fmt::format("data dir {} exists and is not a directory", path));
  }
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Status::IOError(fmt::format("cannot create data dir {}: {}", path, ec.message()));
  }
  if (!std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(fmt::format("data dir {} is not a directory", path));
  }
  std::string probe = path + "/.abhra-write-test";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("data dir {} is not writable", path), errno);
  bool wrote = ::write(fd, "ok", 2) == 2;
  int write_errno = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!wrote) return Status::FromErrno(fmt::format("data dir {} is not writable", path), write_errno);

  std::string lock_path = path + "/lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return Status::FromErrno(fmt::format("cannot open {}", lock_path), errno);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return Status::Unavailable(fmt::format(
          "data dir {} is locked by another process ({} is held); is another aggregator "
          "running on it?",
          path, lock_path));
    }
    return Status::FromErrno(fmt::format("cannot lock {}", lock_path), err);
  }
  return std::unique_ptr<DataDir>(new DataDir(path, lock_fd));
}

DataDir::~DataDir() {
  ::flock(lock_fd_, LOCK_UN);
  ::close(lock_fd_);
}

}  // namespace abhra::aggregator
