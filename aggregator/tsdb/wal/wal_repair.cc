#include "aggregator/tsdb/wal/wal_repair.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "aggregator/tsdb/wal/wal_format.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;

// Copies bytes [from, end) of `src` into the new file `dst` and fsyncs it.
Status CopyTail(const std::string& src, uint64_t from, const std::string& dst) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::FromErrno(fmt::format("open {}", src), errno);
  int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int err = errno;
    ::close(in);
    return Status::FromErrno(fmt::format("create {}", dst), err);
  }
  Status st;
  char buf[64 * 1024];
  off_t pos = static_cast<off_t>(from);
  while (st.ok()) {
    ssize_t n = ::pread(in, buf, sizeof buf, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) st = Status::FromErrno(fmt::format("read {}", src), errno);
    if (n <= 0) break;
    pos += n;
    for (ssize_t done = 0; done < n && st.ok();) {
      ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        st = Status::FromErrno(fmt::format("write {}", dst), errno);
      else
        done += w;
    }
  }
  if (st.ok() && ::fsync(out) != 0) st = Status::FromErrno(fmt::format("fsync {}", dst), errno);
  ::close(in);
  ::close(out);
  if (!st.ok()) ::unlink(dst.c_str());
  return st;
}

}  // namespace

Result<WalCutResult> CutWal(const std::string& wal_dir, const WalCut& cut,
                            const std::string& quarantine_dir) {
  WalCutResult res;
  const std::string damaged = wal_dir + "/" + SegmentName(cut.segment);
  struct stat st;
  if (::stat(damaged.c_str(), &st) != 0)
    return Status::FromErrno(fmt::format("stat {}", damaged), errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (cut.offset > size) {
    return Status::InvalidArgument(
        fmt::format("cut WAL segment {} at {}: it has only {} bytes", damaged, cut.offset, size));
  }
  res.bytes_cut = size - cut.offset;

  std::string qdir;
  if (!quarantine_dir.empty()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    qdir = fmt::format("{}/wal-{}", quarantine_dir, ms);
    std::error_code ec;
    for (int i = 1; fs::exists(qdir, ec); ++i)
      qdir = fmt::format("{}/wal-{}.{}", quarantine_dir, ms, i);
    fs::create_directories(qdir, ec);
    if (ec) {
      res.quarantine_error = fmt::format("create {}: {}", qdir, ec.message());
      qdir.clear();
    }
  }

  // 1. Later segments leave the WAL (renamed into quarantine, else deleted).
  for (int idx : cut.later_segments) {
    std::string path = wal_dir + "/" + SegmentName(idx);
    if (!qdir.empty()) {
      std::string to = qdir + "/" + SegmentName(idx);
      if (::rename(path.c_str(), to.c_str()) == 0) continue;
      if (res.quarantine_error.empty()) {
        res.quarantine_error = fmt::format("move {} to {}: {}", path, to, std::strerror(errno));
      }
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(fmt::format("remove WAL segment {} after a corrupt one", path),
                               errno);
    }
  }
  // 2. A copy of the bytes to be cut, then the cut.
  if (!qdir.empty() && res.bytes_cut > 0) {
    std::string to = fmt::format("{}/{}.from-{}", qdir, SegmentName(cut.segment), cut.offset);
    Status copied = CopyTail(damaged, cut.offset, to);
    if (!copied.ok() && res.quarantine_error.empty()) res.quarantine_error = copied.message();
  }
  if (!qdir.empty()) {
    (void)FsyncDir(qdir);
    std::error_code ec;
    if (fs::is_empty(qdir, ec)) {
      fs::remove(qdir, ec);
    } else {
      res.quarantined_to = qdir;
    }
  }
  if (::truncate(damaged.c_str(), static_cast<off_t>(cut.offset)) != 0) {
    return Status::FromErrno(fmt::format("truncate WAL segment {} at {}", damaged, cut.offset),
                             errno);
  }
  ABHRA_RETURN_IF_ERROR(FsyncPath(damaged, /*directory=*/false));
  ABHRA_RETURN_IF_ERROR(FsyncDir(wal_dir));
  return res;
}

}  // namespace abhra::tsdb
