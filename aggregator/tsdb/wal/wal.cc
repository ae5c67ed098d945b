#include "aggregator/tsdb/wal/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <snappy.h>

#include "aggregator/tsdb/wal/crc32c.h"
#include "common/base/logging.h"

namespace abhra::tsdb {

struct Wal::SegmentFile {
  int fd = -1;
  int index = 0;
  ~SegmentFile() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

Status MkdirAll(const std::string& dir) {
  std::string path;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::FromErrno(fmt::format("create directory {}", path), errno);
    }
  }
  return Status::Ok();
}

void PutHeader(std::string* dst, FragmentType type, bool compressed, std::string_view frag) {
  uint32_t crc = Crc32c(frag);
  uint8_t type_byte = static_cast<uint8_t>(type) | (compressed ? kSnappyFlag : 0);
  char h[kWalHeaderSize] = {static_cast<char>(type_byte),
                            static_cast<char>(frag.size() >> 8),
                            static_cast<char>(frag.size() & 0xff),
                            static_cast<char>(crc >> 24),
                            static_cast<char>((crc >> 16) & 0xff),
                            static_cast<char>((crc >> 8) & 0xff),
                            static_cast<char>(crc & 0xff)};
  dst->append(h, kWalHeaderSize);
}

}  // namespace

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view text) {
  if (text == "always") return FsyncPolicy::kAlways;
  if (text == "batch") return FsyncPolicy::kBatch;
  if (text == "never") return FsyncPolicy::kNever;
  return Status::InvalidArgument(
      fmt::format("unknown WAL fsync policy \"{}\": want always, batch or never", text));
}

Wal::Wal(std::string dir, WalOptions options)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      pages_per_segment_(std::max<uint64_t>(1, options_.segment_size / kWalPageSize)) {}

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, WalOptions options) {
  ABHRA_RETURN_IF_ERROR(MkdirAll(dir));
  ABHRA_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(dir));
  int next = segs.empty() ? 0 : segs.back() + 1;
  std::unique_ptr<Wal> w(new Wal(dir, std::move(options)));
  {
    std::lock_guard l(w->mu_);
    ABHRA_RETURN_IF_ERROR(w->OpenSegment(next));
  }
  if (w->options_.fsync == FsyncPolicy::kBatch) {
    w->syncer_ = std::thread([p = w.get()] { p->BatchSyncLoop(); });
  }
  return w;
}

Wal::~Wal() { (void)Close(); }

Status Wal::OpenSegment(int index) {
  std::string path = dir_ + "/" + SegmentName(index);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("create WAL segment {}", path), errno);
  auto f = std::make_shared<SegmentFile>();
  f->fd = fd;
  f->index = index;
  if (Status s = FsyncDir(dir_); !s.ok()) {
    // Leave no file behind, so that a later attempt can create the segment again.
    ::unlink(path.c_str());
    return s;
  }
  cur_ = std::move(f);
  seg_offset_ = 0;
  return Status::Ok();
}

Status Wal::UndoWrite(int segment, uint64_t offset) {
  // A roll inside the failed Log() left the earlier records complete (and fsynced) in the
  // old segment; only the new segment's bytes are cut.
  if (cur_->index != segment) offset = 0;
  const uint64_t cut = seg_offset_ - offset;
  if (::ftruncate(cur_->fd, static_cast<off_t>(offset)) != 0 ||
      ::lseek(cur_->fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return Status::FromErrno(fmt::format("cut WAL segment {}/{} back to {} bytes after a failed "
                                         "write", dir_, SegmentName(cur_->index), offset),
                             errno);
  }
  seg_offset_ = offset;
  written_ -= cut;
  return Status::Ok();
}

Status Wal::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(cur_->fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(
          fmt::format("write WAL segment {}/{}", dir_, SegmentName(cur_->index)), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    seg_offset_ += static_cast<uint64_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status Wal::SyncFile(SegmentFile& f) {
  auto start = std::chrono::steady_clock::now();
  int rc = ::fdatasync(f.fd);
  int err = errno;
  if (options_.on_fsync) {
    options_.on_fsync(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (rc != 0) {
    return Status::FromErrno(fmt::format("fdatasync WAL segment {}/{}", dir_, SegmentName(f.index)),
                             err);
  }
  return Status::Ok();
}

Result<uint64_t> Wal::Log(std::span<const std::string_view> records) {
  std::lock_guard l(mu_);
  if (closed_) return Status::Unavailable(fmt::format("WAL {} is closed", dir_));
  if (!broken_.ok()) return broken_;
  const size_t max_record = (kWalPageSize - kWalHeaderSize) * pages_per_segment_;
  const int start_segment = cur_->index;
  const uint64_t start_offset = seg_offset_;
  // A failed write (ENOSPC, EIO, EFBIG...) is cut off again so the segment still ends on a
  // record boundary and the WAL can take the next batch once there is room; only when the
  // cut itself fails is the WAL broken.
  auto failed_write = [&](Status s) -> Status {
    buf_.clear();
    Status undo = UndoWrite(start_segment, start_offset);
    if (!undo.ok()) {
      LOG_ERROR("wal", "cannot undo a failed write; refusing all writes until restart",
                "dir={} err={} undo_err={}", dir_, LogfmtValue(s.ToString()),
                LogfmtValue(undo.ToString()));
      broken_ = Status::IOError(fmt::format("{} (and then: {})", s.message(), undo.message()));
    }
    return s;
  };
  buf_.clear();
  for (std::string_view rec : records) {
    bool compressed = false;
    if (options_.compress && !rec.empty()) {
      snappy_buf_.resize(snappy::MaxCompressedLength(rec.size()));
      size_t n = 0;
      snappy::RawCompress(rec.data(), rec.size(), snappy_buf_.data(), &n);
      if (n < rec.size()) {
        rec = std::string_view(snappy_buf_.data(), n);
        compressed = true;
      }
    }
    if (rec.size() > max_record) {
      return Status::InvalidArgument(fmt::format(
          "WAL record of {} bytes exceeds the segment capacity of {} bytes", rec.size(), max_record));
    }
    uint64_t off = seg_offset_ + buf_.size();
    uint64_t page_index = off / kWalPageSize;
    uint64_t in_page = off % kWalPageSize;
    uint64_t left = (kWalPageSize - in_page - kWalHeaderSize) +
                    (kWalPageSize - kWalHeaderSize) * (pages_per_segment_ - page_index - 1);
    if (page_index >= pages_per_segment_ || rec.size() > left) {
      // Records never cross segments: write what we have and move to the next segment.
      Status s = WriteAll(buf_);
      buf_.clear();
      if (!s.ok()) return failed_write(s);
      if (options_.fsync != FsyncPolicy::kNever) {
        s = SyncFile(*cur_);
        if (!s.ok()) {
          broken_ = s;  // see Sync(): what the failed fsync covered may be lost
          return s;
        }
      }
      s = OpenSegment(cur_->index + 1);
      if (!s.ok()) return failed_write(s);
    }
    bool first = true;
    do {
      in_page = (seg_offset_ + buf_.size()) % kWalPageSize;
      size_t room = kWalPageSize - in_page - kWalHeaderSize;
      size_t n = std::min(rec.size(), room);
      bool last = n == rec.size();
      FragmentType type = first ? (last ? FragmentType::kFull : FragmentType::kFirst)
                                : (last ? FragmentType::kLast : FragmentType::kMiddle);
      PutHeader(&buf_, type, compressed, rec.substr(0, n));
      buf_.append(rec.data(), n);
      rec.remove_prefix(n);
      first = false;
      // Fewer bytes left than a header: pad the page with zeros (a "page term").
      size_t used = (seg_offset_ + buf_.size()) % kWalPageSize;
      if (used != 0 && kWalPageSize - used < kWalHeaderSize) buf_.append(kWalPageSize - used, '\0');
    } while (!rec.empty());
  }
  Status s = WriteAll(buf_);
  if (buf_.capacity() > 4 * kWalPageSize * 32) std::string().swap(buf_);
  if (!s.ok()) return failed_write(s);
  return written_;
}

Status Wal::Commit(std::span<const std::string_view> records) {
  ABHRA_ASSIGN_OR_RETURN(uint64_t pos, Log(records));
  if (options_.fsync == FsyncPolicy::kAlways) return Sync(pos);
  return Status::Ok();
}

Status Wal::Sync(uint64_t pos) {
  std::unique_lock sl(sync_mu_);
  while (synced_ < pos) {
    if (syncing_) {
      sync_cv_.wait(sl);
      continue;
    }
    syncing_ = true;
    uint64_t target;
    std::shared_ptr<SegmentFile> f;
    {
      std::lock_guard l(mu_);
      Status bad = !broken_.ok() ? broken_
                   : !cur_       ? Status::Unavailable(fmt::format("WAL {} is closed", dir_))
                                 : Status::Ok();
      if (!bad.ok()) {
        syncing_ = false;
        sync_cv_.notify_all();
        return bad;
      }
      target = written_;
      f = cur_;
    }
    sl.unlock();
    // Earlier segments were fsync'ed when rolled, so syncing the current one covers target.
    // A failed fsync is final: the kernel may have dropped the dirty pages it covered
    // (and report success on a retry), so nothing after it can be trusted to be durable.
    Status s = SyncFile(*f);
    if (!s.ok()) {
      std::lock_guard l(mu_);
      broken_ = s;
    }
    sl.lock();
    syncing_ = false;
    if (s.ok() && target > synced_) synced_ = target;
    sync_cv_.notify_all();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Wal::Flush() {
  uint64_t pos;
  {
    std::lock_guard l(mu_);
    if (!broken_.ok()) return broken_;
    pos = written_;
  }
  return Sync(pos);
}

void Wal::BatchSyncLoop() {
  std::unique_lock sl(sync_mu_);
  while (!stop_) {
    sync_cv_.wait_for(sl, std::chrono::milliseconds(options_.batch_interval_ms));
    if (stop_) break;
    sl.unlock();
    uint64_t pos;
    {
      std::lock_guard l(mu_);
      pos = written_;
    }
    Status s = Sync(pos);
    if (!s.ok()) LOG_ERROR("wal", "periodic fsync failed", "dir={} err={}", dir_, LogfmtValue(s.ToString()));
    sl.lock();
  }
}

Result<int> Wal::Roll() {
  std::lock_guard l(mu_);
  if (closed_) return Status::Unavailable(fmt::format("WAL {} is closed", dir_));
  if (!broken_.ok()) return broken_;
  Status s = options_.fsync != FsyncPolicy::kNever ? SyncFile(*cur_) : Status::Ok();
  if (!s.ok()) {
    broken_ = s;
    return s;
  }
  // Failing to create the next segment leaves the current one in use: not fatal.
  ABHRA_RETURN_IF_ERROR(OpenSegment(cur_->index + 1));
  return cur_->index;
}

int Wal::current_segment() const {
  std::lock_guard l(mu_);
  return cur_ ? cur_->index : -1;
}

Status Wal::DeleteSegmentsBefore(int segment) {
  int current = current_segment();
  ABHRA_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(dir_));
  for (int idx : segs) {
    if (idx >= segment || idx >= current) break;
    std::string path = dir_ + "/" + SegmentName(idx);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(fmt::format("delete WAL segment {}", path), errno);
    }
  }
  return FsyncDir(dir_);
}

Status Wal::Close() {
  {
    std::lock_guard sl(sync_mu_);
    stop_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard l(mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  Status s = broken_;
  if (s.ok() && cur_ && options_.fsync != FsyncPolicy::kNever) s = SyncFile(*cur_);
  cur_.reset();
  return s;
}

}  // namespace abhra::tsdb
