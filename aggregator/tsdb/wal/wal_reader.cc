#include "aggregator/tsdb/wal/wal_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <snappy.h>

#include "aggregator/tsdb/wal/crc32c.h"
#include "aggregator/tsdb/wal/wal_format.h"
#include "aggregator/tsdb/wal/wal_repair.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

Status ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(fmt::format("open WAL segment {}", path), errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(fmt::format("stat WAL segment {}", path), err);
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = ::pread(fd, out->data() + got, out->size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno(fmt::format("read WAL segment {}", path), n == 0 ? EIO : err);
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::Ok();
}

// Outcome of scanning one segment.
struct ScanResult {
  Status status;           // OK, or the fn error, or Corruption
  bool torn = false;       // stopped at an incomplete record at `record_start`
  uint64_t record_start = 0;
  // status is Corruption of the record starting at record_start (or of padding there): the
  // segment can be cut at record_start keeping every record replayed before.
  bool corrupt = false;
};

ScanResult ScanSegment(const std::string& data, const std::string& name,
                       const std::function<Status(std::string_view)>& fn, WalReplayStats* stats) {
  ScanResult r;
  const size_t size = data.size();
  std::string rec;
  std::string plain;  // a decompressed record
  // A decompressed record can be at most a segment's worth of bytes (the writer's limit).
  constexpr size_t kMaxRecordBytes = 1ull << 30;
  bool in_record = false;
  size_t record_start = 0;
  size_t off = 0;
  auto corrupt = [&](size_t at, const std::string& what) {
    r.status = Status::Corruption(fmt::format("WAL segment {} offset {}: {}", name, at, what));
    r.corrupt = true;
    r.record_start = in_record ? record_start : off;
    return r;
  };
  auto torn = [&]() {
    r.torn = true;
    r.record_start = in_record ? record_start : off;
    return r;
  };
  while (off < size) {
    size_t page_end = (off / kWalPageSize + 1) * kWalPageSize;
    auto type_byte = static_cast<uint8_t>(data[off]);
    if (type_byte == static_cast<uint8_t>(FragmentType::kPageTerm)) {
      size_t end = std::min(page_end, size);
      for (size_t i = off; i < end; ++i) {
        if (data[i] != 0) return corrupt(i, "non-zero byte in page padding");
      }
      off = end;
      continue;
    }
    if (off + kWalHeaderSize > size) return torn();
    if (off + kWalHeaderSize > page_end) return corrupt(off, "fragment header crosses a page");
    const bool compressed = (type_byte & kSnappyFlag) != 0;
    auto type = static_cast<FragmentType>(type_byte & ~kSnappyFlag);
    size_t len = (static_cast<uint8_t>(data[off + 1]) << 8) | static_cast<uint8_t>(data[off + 2]);
    uint32_t want = (static_cast<uint32_t>(static_cast<uint8_t>(data[off + 3])) << 24) |
                    (static_cast<uint32_t>(static_cast<uint8_t>(data[off + 4])) << 16) |
                    (static_cast<uint32_t>(static_cast<uint8_t>(data[off + 5])) << 8) |
                    static_cast<uint32_t>(static_cast<uint8_t>(data[off + 6]));
    size_t body = off + kWalHeaderSize;
    if (body + len > page_end) {
      return corrupt(off, fmt::format("fragment length {} crosses the page end", len));
    }
    if (body + len > size) return torn();
    std::string_view frag(data.data() + body, len);
    if (Crc32c(frag) != want) {
      if (body + len == size) return torn();
      return corrupt(off, fmt::format("CRC32C mismatch in {}-byte fragment", len));
    }
    switch (type) {
      case FragmentType::kFull:
      case FragmentType::kFirst:
        if (in_record) return corrupt(off, "new record before the previous one's last fragment");
        in_record = true;
        record_start = off;
        rec.assign(frag);
        break;
      case FragmentType::kMiddle:
      case FragmentType::kLast:
        if (!in_record) return corrupt(off, "continuation fragment without a first fragment");
        rec.append(frag);
        break;
      default:
        return corrupt(off, fmt::format("unknown fragment type {}", type_byte));
    }
    off = body + len;
    if (type == FragmentType::kFull || type == FragmentType::kLast) {
      in_record = false;
      std::string_view payload = rec;
      if (compressed) {
        size_t n = 0;
        if (!snappy::GetUncompressedLength(rec.data(), rec.size(), &n) || n > kMaxRecordBytes ||
            (plain.resize(n), !snappy::RawUncompress(rec.data(), rec.size(), plain.data()))) {
          in_record = true;  // cut at this record's start
          return corrupt(record_start, "snappy-compressed record does not decompress");
        }
        payload = plain;
      }
      ++stats->records;
      stats->bytes += payload.size();
      Status s = fn(payload);
      if (!s.ok()) {
        r.status = s;
        if (s.Is(Status::Code::kCorruption)) {
          r.status = s.WithContext(fmt::format("WAL segment {} offset {}", name, record_start));
          r.corrupt = true;
          r.record_start = record_start;
        }
        return r;
      }
    }
  }
  if (in_record) return torn();
  return r;
}

}  // namespace

Status ReplayWal(const std::string& dir, const std::function<Status(std::string_view)>& fn,
                 WalReplayStats* stats, WalReplayOptions options) {
  WalReplayStats local;
  if (stats == nullptr) stats = &local;
  auto segs = ListSegments(dir);
  if (!segs.ok()) {
    if (segs.status().Is(Status::Code::kNotFound)) return Status::Ok();
    return segs.status();
  }
  std::vector<int> list;
  for (int idx : *segs) {
    if (idx >= options.first_segment) list.push_back(idx);
  }
  // Cuts the WAL at segment list[i], offset `at` (repair_corruption), or returns `err`.
  auto cut_or_fail = [&](size_t i, uint64_t at, const Status& err) -> Status {
    if (!options.repair_corruption) return err;
    WalCut cut;
    cut.segment = list[i];
    cut.offset = at;
    cut.later_segments.assign(list.begin() + static_cast<std::ptrdiff_t>(i) + 1, list.end());
    uint64_t later_bytes = 0;
    for (int idx : cut.later_segments) {
      struct stat st;
      if (::stat((dir + "/" + SegmentName(idx)).c_str(), &st) == 0) {
        later_bytes += static_cast<uint64_t>(st.st_size);
      }
    }
    auto res = CutWal(dir, cut, options.quarantine_dir);
    if (!res.ok()) {
      return res.status().WithContext(fmt::format("repair WAL after \"{}\"", err.message()));
    }
    stats->repaired_corruption = true;
    stats->corruption = err.message();
    stats->corrupt_segment = cut.segment;
    stats->corrupt_offset = at;
    stats->segments_removed = static_cast<int>(cut.later_segments.size());
    stats->bytes_removed = res->bytes_cut + later_bytes;
    stats->quarantined_to = res->quarantined_to;
    LOG_ERROR("wal", "corrupt WAL repaired: kept every record before the damage, cut the rest",
              "dir={} corruption={} cut_segment={} cut_offset={} later_segments_removed={} "
              "bytes_removed={} records_kept={} quarantine={} quarantine_err={}",
              dir, LogfmtValue(err.message()), SegmentName(cut.segment), at,
              cut.later_segments.size(), stats->bytes_removed, stats->records,
              LogfmtValue(res->quarantined_to.empty() ? "none" : res->quarantined_to),
              LogfmtValue(res->quarantine_error.empty() ? "none" : res->quarantine_error));
    return Status::Ok();
  };
  std::string data;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0 && list[i] != list[i - 1] + 1) {
      Status err = Status::Corruption(fmt::format(
          "WAL {}: segment {} is missing (found {} then {})", dir, SegmentName(list[i - 1] + 1),
          SegmentName(list[i - 1]), SegmentName(list[i])));
      // Keep all of the segment before the gap; the ones after it go.
      return cut_or_fail(i - 1, data.size(), err);
    }
    std::string name = SegmentName(list[i]);
    std::string path = dir + "/" + name;
    ABHRA_RETURN_IF_ERROR(ReadFile(path, &data));
    ++stats->segments;
    ScanResult r = ScanSegment(data, path, fn, stats);
    if (!r.status.ok()) {
      if (r.corrupt) return cut_or_fail(i, r.record_start, r.status);
      return r.status;
    }
    if (!r.torn) continue;
    bool last = i + 1 == list.size();
    if (!last) {
      return cut_or_fail(
          i, r.record_start,
          Status::Corruption(fmt::format(
              "WAL segment {} offset {}: incomplete record in a segment that is not the newest",
              path, r.record_start)));
    }
    stats->torn_tail = true;
    stats->torn_segment = list[i];
    stats->torn_offset = r.record_start;
    LOG_WARN("wal", "dropping torn last record", "segment={} offset={} segment_size={} repair={}",
             path, r.record_start, data.size(), options.repair);
    if (options.repair && ::truncate(path.c_str(), static_cast<off_t>(r.record_start)) != 0) {
      return Status::FromErrno(fmt::format("truncate torn WAL segment {} at {}", path,
                                           r.record_start), errno);
    }
  }
  return Status::Ok();
}

}  // namespace abhra::tsdb
