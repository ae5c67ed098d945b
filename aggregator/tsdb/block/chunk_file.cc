#include "aggregator/tsdb/block/chunk_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "aggregator/tsdb/index/encoding.h"
#include "aggregator/tsdb/wal/crc32c.h"

namespace abhra::tsdb {

namespace {
std::string SegmentName(size_t index) {
  char b[16];
  std::snprintf(b, sizeof b, "%06zu", index + 1);
  return b;
}
}  // namespace

ChunkFileWriter::~ChunkFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ChunkFileWriter::OpenSegment() {
  if (!dir_made_) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::IOError("mkdir " + dir_ + ": " + ec.message());
    dir_made_ = true;
  }
  std::string path = dir_ + "/" + SegmentName(files_.size());
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::FromErrno("create " + path, errno);
  buf_.clear();
  enc::PutBE32(&buf_, kChunksMagic);
  buf_.push_back(1);
  buf_.append(3, '\0');
  seg_bytes_ = buf_.size();
  return Status::Ok();
}

Status ChunkFileWriter::WriteBuffered() {
  const char* p = buf_.data();
  size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write " + dir_ + "/" + SegmentName(files_.size()), errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  bytes_ += buf_.size();
  buf_.clear();
  return Status::Ok();
}

Status ChunkFileWriter::CloseSegment() {
  ABHRA_RETURN_IF_ERROR(WriteBuffered());
  std::string path = dir_ + "/" + SegmentName(files_.size());
  if (::fsync(fd_) != 0) return Status::FromErrno("fsync " + path, errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Status::FromErrno("close " + path, errno);
  files_.push_back(SegmentName(files_.size()));
  return Status::Ok();
}

Result<uint64_t> ChunkFileWriter::Write(uint8_t encoding, std::span<const uint8_t> data) {
  size_t need = 10 + 1 + data.size() + 4;
  if (fd_ >= 0 && seg_bytes_ > kChunksHeaderSize && seg_bytes_ + need > segment_size_) {
    ABHRA_RETURN_IF_ERROR(CloseSegment());
  }
  if (fd_ < 0) ABHRA_RETURN_IF_ERROR(OpenSegment());
  uint64_t ref = uint64_t(files_.size()) << 32 | seg_bytes_;
  size_t before = buf_.size();
  enc::PutUvarint(&buf_, data.size());
  size_t crc_from = buf_.size();
  buf_.push_back(char(encoding));
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
  enc::PutBE32(&buf_, Crc32c(0, buf_.data() + crc_from, buf_.size() - crc_from));
  seg_bytes_ += buf_.size() - before;
  if (buf_.size() >= kWriteBatch) ABHRA_RETURN_IF_ERROR(WriteBuffered());
  return ref;
}

Status ChunkFileWriter::Finish() {
  if (fd_ >= 0) ABHRA_RETURN_IF_ERROR(CloseSegment());
  if (!dir_made_) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::IOError("mkdir " + dir_ + ": " + ec.message());
    dir_made_ = true;
  }
  return SyncDir(dir_);
}

Result<std::unique_ptr<ChunkFileReader>> ChunkFileReader::Open(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() == 6 && std::all_of(n.begin(), n.end(), ::isdigit)) names.push_back(n);
  }
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  auto r = std::make_unique<ChunkFileReader>();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != SegmentName(i)) {
      return Status::Corruption("chunks " + dir + ": segment " + SegmentName(i) + " missing");
    }
    ABHRA_ASSIGN_OR_RETURN(auto f, MappedFile::Open(dir + "/" + names[i]));
    auto b = f->bytes();
    if (b.size() < kChunksHeaderSize || enc::BE32(b.data()) != kChunksMagic) {
      return Status::Corruption("chunks " + f->path() + " at offset 0: bad magic");
    }
    if (b[4] != 1) return Status::Corruption("chunks " + f->path() + " at offset 4: bad version");
    r->segments_.push_back(std::move(f));
  }
  return r;
}

Result<ChunkBytes> ChunkFileReader::Chunk(uint64_t ref) const {
  size_t seg = size_t(ref >> 32);
  size_t off = size_t(ref & 0xffffffffu);
  if (seg >= segments_.size()) {
    return Status::Corruption("chunk ref " + std::to_string(ref) + ": segment " +
                              std::to_string(seg + 1) + " does not exist");
  }
  const auto& f = *segments_[seg];
  auto b = f.bytes();
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("chunks " + f.path() + " at offset " + std::to_string(off) + ": " + what);
  };
  if (off < kChunksHeaderSize || off >= b.size()) return corrupt("chunk offset out of range");
  enc::Decbuf d(b.data() + off, b.size() - off);
  uint64_t len = d.Uvarint();
  if (!d.ok() || d.len() < 1 + len + 4) return corrupt("chunk runs past end of segment");
  const uint8_t* p = d.pos();
  if (Crc32c(0, p, 1 + len) != enc::BE32(p + 1 + len)) return corrupt("chunk checksum mismatch");
  return ChunkBytes{p[0], {p + 1, size_t(len)}};
}

uint64_t ChunkFileReader::size_bytes() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s->bytes().size();
  return n;
}

}  // namespace abhra::tsdb
