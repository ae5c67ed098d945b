#include "aggregator/incidents/incident_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aggregator/tsdb/wal/crc32c.h"
#include "common/base/logging.h"

namespace abhra::incidents {
namespace {

constexpr char kMagic[4] = {'A', 'I', 'N', '1'};  // record magic, also the format version
constexpr size_t kHeader = 12;                      // magic, u32 length, u32 crc32c
constexpr uint32_t kMaxPayload = 1 << 20;

void PutU32(std::string* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

nlohmann::json LabelsJson(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const Label& l : labels) j[l.name] = l.value;
  return j;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(fmt::format("cannot write {}", path), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::string dir = parent.empty() ? std::string(".") : parent.string();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::FromErrno(fmt::format("cannot open directory {}", dir), errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(fmt::format("cannot fsync directory {}", dir), err);
  return Status::Ok();
}

}  // namespace

void EncodeRecord(std::string* dst, const Incident& in) {
  nlohmann::json j;
  j["id"] = in.id;
  j["env"] = in.env;
  j["alertname"] = in.alertname;
  j["fingerprint"] = in.fingerprint;
  j["labels"] = LabelsJson(in.labels);
  j["summary"] = in.summary;
  j["severity"] = in.severity;
  j["startsAt"] = in.starts_at_ms;
  j["resolvedAt"] = in.resolved_at_ms;
  j["updated"] = in.updated_ms;
  j["generatorURL"] = in.generator_url;
  std::string payload = j.dump();
  dst->append(kMagic, 4);
  PutU32(dst, static_cast<uint32_t>(payload.size()));
  PutU32(dst, tsdb::Crc32c(payload));
  dst->append(payload);
}

Result<Incident> DecodeRecord(std::string_view* in) {
  if (in->empty()) return Status::NotFound("end of incident log");
  if (in->size() < kHeader) return Status::Corruption("incident log: torn record header");
  if (std::memcmp(in->data(), kMagic, 4) != 0) return Status::Corruption("incident log: bad record magic");
  uint32_t len = GetU32(in->data() + 4);
  uint32_t crc = GetU32(in->data() + 8);
  if (len > kMaxPayload) return Status::Corruption(fmt::format("incident log: record length {} too large", len));
  if (in->size() < kHeader + len) return Status::Corruption("incident log: torn record");
  std::string_view payload = in->substr(kHeader, len);
  if (tsdb::Crc32c(payload) != crc) return Status::Corruption("incident log: record checksum mismatch");
  Incident out;
  try {
    auto j = nlohmann::json::parse(payload);
    out.id = j.at("id").get<std::string>();
    out.env = j.value("env", "");
    out.alertname = j.value("alertname", "");
    out.fingerprint = j.value("fingerprint", "");
    std::vector<Label> labels;
    for (auto& [k, v] : j.at("labels").items()) labels.push_back({k, v.get<std::string>()});
    out.labels = Labels(std::move(labels));
    out.summary = j.value("summary", "");
    out.severity = j.value("severity", "");
    out.starts_at_ms = j.value("startsAt", int64_t{0});
    out.resolved_at_ms = j.value("resolvedAt", int64_t{0});
    out.updated_ms = j.value("updated", int64_t{0});
    out.generator_url = j.value("generatorURL", "");
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(fmt::format("incident log: bad record payload: {}", e.what()));
  }
  in->remove_prefix(kHeader + len);
  return out;
}

Result<std::unique_ptr<IncidentLog>> IncidentLog::Open(
    const std::string& path, std::map<std::string, Incident>* incidents) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("cannot open {}", path), errno);
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::FromErrno(fmt::format("cannot read {}", path), err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  std::string_view in = data;
  size_t records = 0;
  while (true) {
    auto rec = DecodeRecord(&in);
    if (rec.ok()) {
      (*incidents)[rec->id] = std::move(*rec);
      ++records;
      continue;
    }
    if (rec.status().code() == Status::Code::kNotFound) break;
    size_t good = data.size() - in.size();
    LOG_WARN("incidents", "cutting off a damaged tail of the incident log",
             "path={} offset={} bytes={} err={}", LogfmtValue(path), good, in.size(),
             LogfmtValue(rec.status().message()));
    if (::ftruncate(fd, static_cast<off_t>(good)) != 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno(fmt::format("cannot truncate {}", path), err);
    }
    break;
  }
  if (::lseek(fd, 0, SEEK_END) < 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(fmt::format("cannot seek {}", path), err);
  }
  return std::unique_ptr<IncidentLog>(new IncidentLog(path, fd, records));
}

IncidentLog::~IncidentLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status IncidentLog::Append(const Incident& incident) {
  std::string rec;
  EncodeRecord(&rec, incident);
  ABHRA_RETURN_IF_ERROR(WriteAll(fd_, rec, path_));
  if (::fdatasync(fd_) != 0) return Status::FromErrno(fmt::format("cannot fsync {}", path_), errno);
  ++records_;
  return Status::Ok();
}

Status IncidentLog::Rewrite(const std::map<std::string, Incident>& incidents) {
  std::string tmp = fmt::format("{}.tmp", path_);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("cannot create {}", tmp), errno);
  std::string data;
  for (const auto& [id, in] : incidents) EncodeRecord(&data, in);
  Status st = WriteAll(fd, data, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno(fmt::format("cannot fsync {}", tmp), errno);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    st = Status::FromErrno(fmt::format("cannot rename {} to {}", tmp, path_), errno);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  ABHRA_RETURN_IF_ERROR(FsyncDir(path_));
  int nfd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (nfd < 0) return Status::FromErrno(fmt::format("cannot reopen {}", path_), errno);
  ::close(fd_);
  fd_ = nfd;
  records_ = incidents.size();
  return Status::Ok();
}

}  // namespace abhra::incidents
