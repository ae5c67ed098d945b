#include "aggregator/provision/dashboards/file_provisioning.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace abhra::provision {
namespace {

namespace fs = std::filesystem;

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open " + path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno("cannot fsync " + path, err);
  return Status::Ok();
}

bool FileHolds(const std::string& path, const std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str() == content;
}

Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  return Status::Ok();
}

bool IsOurDashboardFile(const std::string& name) {
  return name.size() > 11 && name.rfind("abhra-", 0) == 0 &&
         name.compare(name.size() - 5, 5, ".json") == 0;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& content, bool* changed) {
  *changed = false;
  if (FileHolds(path, content)) return Status::Ok();
  fs::path p(path);
  std::string dir = p.parent_path().string();
  std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("cannot create " + tmp, errno);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::FromErrno("cannot write " + tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::FromErrno("cannot fsync " + tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno(fmt::format("cannot rename {} to {}", tmp, path), err);
  }
  ABHRA_RETURN_IF_ERROR(FsyncPath(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY));
  *changed = true;
  return Status::Ok();
}

Result<FileProvisioningStats> WriteFileProvisioning(const std::string& dir,
                                                    const std::vector<RenderedDashboard>& dashboards,
                                                    const std::string& datasource_yaml,
                                                    const std::string& provider_yaml) {
  FileProvisioningStats stats;
  const std::string dash_dir = dir + "/dashboards";
  const std::string ds_dir = dir + "/provisioning/datasources";
  const std::string prov_dir = dir + "/provisioning/dashboards";
  for (const std::string& d : {dash_dir, ds_dir, prov_dir}) ABHRA_RETURN_IF_ERROR(MakeDirs(d));
  auto write = [&](const std::string& path, const std::string& content) -> Status {
    bool changed = false;
    ABHRA_RETURN_IF_ERROR(WriteFileAtomically(path, content, &changed));
    ++(changed ? stats.written : stats.unchanged);
    return Status::Ok();
  };
  ABHRA_RETURN_IF_ERROR(write(ds_dir + "/abhra.yaml", datasource_yaml));
  ABHRA_RETURN_IF_ERROR(write(prov_dir + "/abhra.yaml", provider_yaml));
  std::set<std::string> keep;
  for (const RenderedDashboard& d : dashboards) {
    std::string name = d.uid + ".json";
    keep.insert(name);
    ABHRA_RETURN_IF_ERROR(write(dash_dir + "/" + name, d.json));
  }
  std::error_code ec;
  bool removed_any = false;
  for (const auto& entry : fs::directory_iterator(dash_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !IsOurDashboardFile(name) || keep.count(name)) continue;
    if (!fs::remove(entry.path(), ec) || ec) {
      return Status::IOError(fmt::format("cannot remove {}: {}", entry.path().string(), ec.message()));
    }
    ++stats.removed;
    removed_any = true;
  }
  if (ec) return Status::IOError(fmt::format("cannot list {}: {}", dash_dir, ec.message()));
  if (removed_any) ABHRA_RETURN_IF_ERROR(FsyncPath(dash_dir, O_RDONLY | O_DIRECTORY));
  return stats;
}

Result<std::map<std::string, std::string>> ReadProvisionedDashboards(const std::string& dir) {
  std::map<std::string, std::string> out;
  const std::string dash_dir = dir + "/dashboards";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dash_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.size() <= 5 || name[0] == '.' ||
        name.compare(name.size() - 5, 5, ".json") != 0) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Status::IOError("cannot read " + entry.path().string());
    std::ostringstream ss;
    ss << in.rdbuf();
    out[name.substr(0, name.size() - 5)] = ss.str();
  }
  if (ec) return Status::IOError(fmt::format("cannot list {}: {}", dash_dir, ec.message()));
  return out;
}

}  // namespace abhra::provision
