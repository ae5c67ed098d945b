// RuleProvisioner: renders alerts/ templates for every environment (those in defaults.yaml
// plus, with environments_from=data, every value of the `env` label in storage), serves them
// (GET /api/v1/provisioning/rules, GET /api/v1/provisioning/rules/<file>), writes them to a
// directory (POST /api/v1/provisioning/rules/write, or every refresh when write_on_refresh),
// and hands the parsed groups to a callback (the rule manager) whenever the set of files
// changes. Refresh() runs on a timer thread after Start(). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/provision/rules/rule_renderer.h"
#include "aggregator/rules/rule_file.h"
#include "common/base/status.h"
#include "common/http/router.h"

namespace abhra::provision {

// env -> versions deployed there (sorted), as found in storage.
using EnvironmentSource = std::function<Result<std::map<std::string, std::vector<std::string>>>()>;

struct RuleProvisionerOptions {
  std::string templates_dir = "alerts";  // holds defaults.yaml
  std::string output_dir;                // "" = writing is refused
  bool environments_from_data = true;    // false: only defaults.yaml's environments
  bool write_on_refresh = false;
  std::chrono::milliseconds refresh_interval{60000};
  int64_t default_interval_ms = 60000;   // rule groups without an interval
  EnvironmentSource environments;        // may be empty
  // Called with every rendered group when the rendered files change; may be empty.
  std::function<void(std::vector<rules::GroupSpec>)> load;
};

class RuleProvisioner {
 public:
  explicit RuleProvisioner(RuleProvisionerOptions options);
  ~RuleProvisioner();  // Stop()

  // Renders everything now; loads into the manager when the files changed. Errors name the
  // template or environment; the previous files stay served.
  Status Refresh();
  // Writes every rendered file to output_dir atomically (tmp + fsync + rename).
  Result<std::vector<std::string>> WriteFiles();

  void Start();  // refresh timer thread
  void Stop();

  // file name -> rendered file, after the last successful Refresh().
  std::map<std::string, RenderedFile> Files() const;

  void RegisterRoutes(http::Router* router);

 private:
  void Run();

  RuleProvisionerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, RenderedFile> files_;  // guarded by mu_
  bool stop_ = false;                          // guarded by mu_
  std::thread thread_;
};

}  // namespace abhra::provision
