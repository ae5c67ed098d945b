#include "probe/push/durable_queue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/logging.h"
#include "probe/push/crc32c.h"

namespace abhra::probe {
namespace {

constexpr size_t kFrameHeader = 12;
constexpr uint32_t kMaxRecord = 256u << 20;

void PutU32(std::string* dst, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(b, 4);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

uint32_t FrameCrc(uint32_t items, std::string_view payload) {
  std::string items_bytes;
  PutU32(&items_bytes, items);
  return Crc32c(payload, Crc32c(items_bytes));
}

// One frame read from a file at an offset.
enum class FrameStatus { kOk, kEnd, kBad };
FrameStatus ReadFrame(int fd, uint64_t offset, uint64_t limit, std::string* payload,
                      uint32_t* items, uint64_t* next) {
  if (offset >= limit) return FrameStatus::kEnd;
  if (limit - offset < kFrameHeader) return FrameStatus::kBad;
  char header[kFrameHeader];
  if (::pread(fd, header, kFrameHeader, static_cast<off_t>(offset)) != kFrameHeader) {
    return FrameStatus::kBad;
  }
  uint32_t length = GetU32(header);
  *items = GetU32(header + 4);
  uint32_t crc = GetU32(header + 8);
  if (length > kMaxRecord || limit - offset - kFrameHeader < length) return FrameStatus::kBad;
  payload->resize(length);
  if (length > 0 &&
      ::pread(fd, payload->data(), length, static_cast<off_t>(offset + kFrameHeader)) !=
          static_cast<ssize_t>(length)) {
    return FrameStatus::kBad;
  }
  if (FrameCrc(*items, *payload) != crc) return FrameStatus::kBad;
  *next = offset + kFrameHeader + length;
  return FrameStatus::kOk;
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(fmt::format("open directory {}", dir), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(fmt::format("fsync directory {}", dir), err);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<DurableQueue>> DurableQueue::Open(const Options& options) {
  Options opts = options;
  if (opts.segment_bytes <= 0) {
    opts.segment_bytes = std::clamp<int64_t>(opts.max_bytes / 16, 256 << 10, 64 << 20);
  }
  std::unique_ptr<DurableQueue> q(new DurableQueue(opts));
  if (!q->memory()) ABHRA_RETURN_IF_ERROR(q->Recover());
  return q;
}

DurableQueue::~DurableQueue() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!memory()) {
    Status st = FlushLocked();
    if (!st.ok()) LOG_ERROR("queue", "flush on close failed", "err={}", LogfmtValue(st.ToString()));
  }
  if (write_fd_ >= 0) ::close(write_fd_);
}

std::string DurableQueue::SegmentPath(uint64_t number) const {
  return fmt::format("{}/{:08d}.seg", options_.dir, number);
}

Status DurableQueue::Recover() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create queue directory {}: {}", options_.dir, ec.message()));
  std::vector<uint64_t> numbers;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 12 && name.substr(8) == ".seg" &&
        std::all_of(name.begin(), name.begin() + 8, ::isdigit)) {
      numbers.push_back(std::stoull(name.substr(0, 8)));
    }
  }
  if (ec) return Status::IOError(fmt::format("cannot list {}: {}", options_.dir, ec.message()));
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    std::string path = SegmentPath(numbers[i]);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(fmt::format("stat {}", path), errno);
    int64_t size = st.st_size;
    if (i + 1 == numbers.size()) {
      // The newest segment may end in a torn write: keep its valid prefix only.
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::FromErrno(fmt::format("open {}", path), errno);
      uint64_t off = 0, next = 0;
      std::string payload;
      uint32_t items = 0;
      FrameStatus fs;
      while ((fs = ReadFrame(fd, off, size, &payload, &items, &next)) == FrameStatus::kOk) off = next;
      ::close(fd);
      if (static_cast<int64_t>(off) != size) {
        LOG_WARN("queue", "truncating torn tail of segment", "segment={} valid_bytes={} size={}",
                 path, off, size);
        if (::truncate(path.c_str(), static_cast<off_t>(off)) != 0) {
          return Status::FromErrno(fmt::format("truncate {}", path), errno);
        }
        size = static_cast<int64_t>(off);
      }
    }
    segments_.push_back({numbers[i], size});
    stats_.bytes += size;
  }
  // The cursor.
  QueuePosition cursor{segments_.empty() ? 1 : segments_.front().number, 0};
  std::ifstream in(options_.dir + "/cursor");
  uint64_t seg = 0, off = 0;
  if (in >> seg >> off) {
    auto it = std::find_if(segments_.begin(), segments_.end(),
                           [&](const Segment& s) { return s.number == seg; });
    if (it != segments_.end() && static_cast<int64_t>(off) <= it->size) {
      cursor = {seg, off};
    } else if (!segments_.empty() && seg > segments_.back().number) {
      cursor = {segments_.back().number + 1, 0};
    } else if (!segments_.empty() && seg < segments_.front().number) {
      cursor = {segments_.front().number, 0};
    }
  }
  committed_ = read_ = cursor;
  // Finished segments before the cursor are garbage.
  while (!segments_.empty() && segments_.front().number < cursor.segment) {
    stats_.bytes -= segments_.front().size;
    std::filesystem::remove(SegmentPath(segments_.front().number), ec);
    segments_.pop_front();
  }
  std::lock_guard<std::mutex> lock(mu_);
  ABHRA_RETURN_IF_ERROR(OpenNewSegmentLocked());
  if (committed_.segment > segments_.back().number) committed_ = read_ = {segments_.back().number, 0};
  LOG_INFO("queue", "opened durable queue", "dir={} segments={} bytes={} cursor={}:{}",
           options_.dir, segments_.size(), stats_.bytes, committed_.segment, committed_.offset);
  return Status::Ok();
}

Status DurableQueue::OpenNewSegmentLocked() {
  uint64_t number = segments_.empty() ? std::max<uint64_t>(1, committed_.segment)
                                      : segments_.back().number + 1;
  std::string path = SegmentPath(number);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("create {}", path), errno);
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = fd;
  segments_.push_back({number, 0});
  return FsyncDir(options_.dir);
}

Status DurableQueue::Append(std::string_view record, uint32_t items) {
  if (record.size() > kMaxRecord) {
    return Status::InvalidArgument(fmt::format("queue record of {} bytes is too large", record.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (memory()) {
    memory_records_.emplace_back(std::string(record), items);
    stats_.bytes += static_cast<int64_t>(record.size());
    return EnforceBoundLocked();
  }
  PutU32(&buffer_, static_cast<uint32_t>(record.size()));
  PutU32(&buffer_, items);
  PutU32(&buffer_, FrameCrc(items, record));
  buffer_.append(record);
  stats_.bytes += static_cast<int64_t>(kFrameHeader + record.size());
  if (buffer_.size() >= (1u << 20)) return FlushLocked();
  return Status::Ok();
}

Status DurableQueue::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return FlushLocked();
}

Status DurableQueue::FlushLocked() {
  if (memory() || buffer_.empty()) return Status::Ok();
  std::string_view data = buffer_;
  while (!data.empty()) {
    ssize_t w = ::write(write_fd_, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(fmt::format("write {}", SegmentPath(segments_.back().number)), errno);
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  if (::fdatasync(write_fd_) != 0) {
    return Status::FromErrno(fmt::format("fdatasync {}", SegmentPath(segments_.back().number)), errno);
  }
  segments_.back().size += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
  if (segments_.back().size >= options_.segment_bytes) ABHRA_RETURN_IF_ERROR(OpenNewSegmentLocked());
  return EnforceBoundLocked();
}

Status DurableQueue::EnforceBoundLocked() {
  if (memory()) {
    while (stats_.bytes > options_.max_bytes && !memory_records_.empty()) {
      auto& [rec, items] = memory_records_.front();
      stats_.bytes -= static_cast<int64_t>(rec.size());
      if (committed_.offset <= memory_base_) {
        ++stats_.dropped_records;
        stats_.dropped_items += items;
      }
      memory_records_.pop_front();
      ++memory_base_;
      if (read_.offset < memory_base_) read_.offset = memory_base_;
      if (committed_.offset < memory_base_) committed_.offset = memory_base_;
    }
    return Status::Ok();
  }
  bool moved = false;
  while (stats_.bytes > options_.max_bytes && segments_.size() > 1) {
    Segment oldest = segments_.front();
    std::string path = SegmentPath(oldest.number);
    if (committed_.segment <= oldest.number) {
      // Count what is being thrown away unsent.
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      int64_t records = 0, items_total = 0;
      if (fd >= 0) {
        uint64_t off = committed_.segment == oldest.number ? committed_.offset : 0, next = 0;
        std::string payload;
        uint32_t items = 0;
        while (ReadFrame(fd, off, oldest.size, &payload, &items, &next) == FrameStatus::kOk) {
          ++records;
          items_total += items;
          off = next;
        }
        ::close(fd);
      }
      stats_.dropped_records += records;
      stats_.dropped_items += items_total;
      LOG_WARN("queue", "queue over max_bytes: dropped oldest unsent samples",
               "segment={} records={} samples={} max_bytes={}", path, records, items_total,
               options_.max_bytes);
      committed_ = {segments_[1].number, 0};
      moved = true;
    }
    if (read_.segment <= oldest.number) read_ = {segments_[1].number, 0};
    std::error_code ec;
    std::filesystem::remove(path, ec);
    stats_.bytes -= oldest.size;
    segments_.pop_front();
  }
  if (moved) return WriteCursorLocked();
  return Status::Ok();
}

Status DurableQueue::ReadNext(size_t max_records, std::vector<std::string>* records,
                              QueuePosition* end) {
  std::lock_guard<std::mutex> lock(mu_);
  if (memory()) {
    size_t idx = read_.offset - memory_base_;
    while (records->size() < max_records && idx < memory_records_.size()) {
      records->push_back(memory_records_[idx++].first);
    }
    read_.offset = memory_base_ + idx;
    *end = read_;
    return Status::Ok();
  }
  auto at_end = [&] {
    return read_.segment == segments_.back().number &&
           static_cast<int64_t>(read_.offset) >= segments_.back().size;
  };
  if (at_end() && !buffer_.empty()) ABHRA_RETURN_IF_ERROR(FlushLocked());
  int fd = -1;
  uint64_t fd_segment = 0;
  std::string payload;
  while (records->size() < max_records) {
    auto it = std::find_if(segments_.begin(), segments_.end(),
                           [&](const Segment& s) { return s.number >= read_.segment; });
    if (it == segments_.end()) break;
    if (it->number != read_.segment) read_ = {it->number, 0};
    bool last = std::next(it) == segments_.end();
    if (fd < 0 || fd_segment != it->number) {
      if (fd >= 0) ::close(fd);
      fd = ::open(SegmentPath(it->number).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::FromErrno(fmt::format("open {}", SegmentPath(it->number)), errno);
      fd_segment = it->number;
    }
    uint32_t items = 0;
    uint64_t next = 0;
    FrameStatus fs = ReadFrame(fd, read_.offset, it->size, &payload, &items, &next);
    if (fs == FrameStatus::kOk) {
      records->push_back(payload);
      read_.offset = next;
      continue;
    }
    if (last) break;  // caught up with the writer
    if (fs == FrameStatus::kBad) {
      ++stats_.corrupt_records;
      LOG_ERROR("queue", "corrupt record; skipping the rest of the segment", "segment={} offset={}",
                SegmentPath(it->number), read_.offset);
    }
    read_ = {std::next(it)->number, 0};
  }
  if (fd >= 0) ::close(fd);
  *end = read_;
  return Status::Ok();
}

Status DurableQueue::Commit(const QueuePosition& end) {
  std::lock_guard<std::mutex> lock(mu_);
  if (memory()) {
    while (memory_base_ < end.offset && !memory_records_.empty()) {
      stats_.bytes -= static_cast<int64_t>(memory_records_.front().first.size());
      memory_records_.pop_front();
      ++memory_base_;
    }
    committed_ = end;
    return Status::Ok();
  }
  if (end.segment < committed_.segment ||
      (end.segment == committed_.segment && end.offset < committed_.offset)) {
    return Status::Ok();  // already past it (e.g. moved by a drop)
  }
  committed_ = end;
  ABHRA_RETURN_IF_ERROR(WriteCursorLocked());
  while (segments_.size() > 1 && segments_.front().number < committed_.segment) {
    std::error_code ec;
    std::filesystem::remove(SegmentPath(segments_.front().number), ec);
    stats_.bytes -= segments_.front().size;
    segments_.pop_front();
  }
  return Status::Ok();
}

Status DurableQueue::WriteCursorLocked() {
  std::string tmp = options_.dir + "/cursor.tmp";
  std::string text = fmt::format("{} {}\n", committed_.segment, committed_.offset);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("create {}", tmp), errno);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Status::FromErrno(fmt::format("write {}", tmp), err);
  if (::rename(tmp.c_str(), (options_.dir + "/cursor").c_str()) != 0) {
    return Status::FromErrno(fmt::format("rename {}", tmp), errno);
  }
  return Status::Ok();
}

void DurableQueue::Rewind() {
  std::lock_guard<std::mutex> lock(mu_);
  read_ = committed_;
}

QueueStats DurableQueue::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace abhra::probe
