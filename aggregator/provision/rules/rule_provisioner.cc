#include "aggregator/provision/rules/rule_provisioner.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aggregator/api/envelope.h"
#include "common/base/logging.h"

namespace abhra::provision {
namespace {

Status WriteAtomically(const std::string& dir, const std::string& name, const std::string& data) {
  std::string path = fmt::format("{}/{}", dir, name);
  std::string tmp = fmt::format("{}.tmp", path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(fmt::format("cannot create {}", tmp), errno);
  std::string_view rest = data;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::FromErrno(fmt::format("cannot write {}", tmp), err);
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(fmt::format("cannot fsync {}", tmp), err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::FromErrno(fmt::format("cannot rename {} to {}", tmp, path), errno);
  }
  return Status::Ok();
}

}  // namespace

RuleProvisioner::RuleProvisioner(RuleProvisionerOptions options) : options_(std::move(options)) {}

RuleProvisioner::~RuleProvisioner() { Stop(); }

Status RuleProvisioner::Refresh() {
  ABHRA_ASSIGN_OR_RETURN(RuleDefaults d, LoadRuleDefaults(options_.templates_dir));
  std::map<std::string, std::vector<std::string>> envs;
  for (const std::string& e : d.environment_order) envs[e];
  if (options_.environments_from_data && options_.environments) {
    auto found = options_.environments();
    if (!found.ok()) return found.status().WithContext("cannot list environments");
    for (auto& [env, versions] : *found) {
      if (!IsValidEnvironmentName(env)) {
        LOG_WARN("provision", "skipping environment with an unusable name", "env={}", LogfmtValue(env));
        continue;
      }
      envs[env] = versions;
    }
  }
  std::map<std::string, RenderedFile> files;
  for (const auto& [env, versions] : envs) {
    ABHRA_ASSIGN_OR_RETURN(auto rendered, RenderEnvironment(d, env, versions));
    for (RenderedFile& f : rendered) files[f.name] = std::move(f);
  }
  ABHRA_ASSIGN_OR_RETURN(auto global, RenderGlobal(d));
  for (RenderedFile& f : global) files[f.name] = std::move(f);

  bool changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    changed = files.size() != files_.size();
    for (const auto& [name, f] : files) {
      auto it = files_.find(name);
      if (it == files_.end() || it->second.content != f.content) changed = true;
    }
    if (changed) files_ = files;
  }
  if (!changed) return Status::Ok();
  LOG_INFO("provision", "rule files rendered", "files={} environments={}", files.size(), envs.size());
  if (options_.load) {
    std::vector<rules::GroupSpec> groups;
    for (const auto& [name, f] : files) {
      auto parsed = rules::ParseRuleFile(f.content, name, options_.default_interval_ms);
      if (!parsed.ok()) return parsed.status().WithContext("rendered rule file does not load");
      for (rules::GroupSpec& g : *parsed) groups.push_back(std::move(g));
    }
    options_.load(std::move(groups));
  }
  if (options_.write_on_refresh) {
    auto written = WriteFiles();
    if (!written.ok()) return written.status();
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RuleProvisioner::WriteFiles() {
  if (options_.output_dir.empty()) {
    return Status::InvalidArgument("rules.output_dir is not configured");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.output_dir, ec);
  if (ec) {
    return Status::IOError(fmt::format("cannot create {}: {}", options_.output_dir, ec.message()));
  }
  std::vector<std::string> written;
  for (const auto& [name, f] : Files()) {
    ABHRA_RETURN_IF_ERROR(WriteAtomically(options_.output_dir, name, f.content));
    written.push_back(fmt::format("{}/{}", options_.output_dir, name));
  }
  int dfd = ::open(options_.output_dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return written;
}

std::map<std::string, RenderedFile> RuleProvisioner::Files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_;
}

void RuleProvisioner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void RuleProvisioner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RuleProvisioner::Run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, options_.refresh_interval, [&] { return stop_; })) return;
    }
    Status st = Refresh();
    if (!st.ok()) LOG_WARN("provision", "rule refresh failed", "err={}", LogfmtValue(st.message()));
  }
}

void RuleProvisioner::RegisterRoutes(http::Router* router) {
  router->Handle("GET", "/api/v1/provisioning/rules", [this](const http::Request&, http::Response* resp) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& [name, f] : Files()) {
      files.push_back({{"name", name},
                       {"env", f.env.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.env)},
                       {"url", "/api/v1/provisioning/rules/" + name},
                       {"bytes", f.content.size()}});
    }
    api::WriteSuccess(resp, nlohmann::json{{"files", files}}.dump());
  });
  router->HandlePrefix("GET", "/api/v1/provisioning/rules/", [this](const http::Request& req, http::Response* resp) {
    auto files = Files();
    auto it = files.find(req.path_suffix);
    if (it == files.end()) {
      return resp->SetText(404, fmt::format("no rendered rule file \"{}\"; see /api/v1/provisioning/rules\n",
                                            req.path_suffix));
    }
    resp->status = 200;
    resp->body = it->second.content;
    resp->SetContentType("application/yaml");
  });
  router->Handle("POST", "/api/v1/provisioning/rules/write", [this](const http::Request&, http::Response* resp) {
    Status st = Refresh();
    if (!st.ok()) return api::WriteError(resp, api::ErrorType::kInternal, st.message());
    auto written = WriteFiles();
    if (!written.ok()) {
      return api::WriteError(resp, written.status().code() == Status::Code::kInvalidArgument
                                       ? api::ErrorType::kBadData : api::ErrorType::kInternal,
                             written.status().message());
    }
    api::WriteSuccess(resp, nlohmann::json{{"written", *written}}.dump());
  });
}

}  // namespace abhra::provision
