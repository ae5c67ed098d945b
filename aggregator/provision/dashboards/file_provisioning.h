// Grafana file provisioning written to a directory (format: docs/file_provisioning.md):
//
//   DIR/dashboards/<uid>.json                    one rendered dashboard model per file
//   DIR/provisioning/dashboards/abhra.yaml       the dashboard provider (reads DIR/dashboards
//                                                or the path Grafana sees it under)
//   DIR/provisioning/datasources/abhra.yaml      the data source pointing at the aggregator
//
// Files appear atomically (write DIR/.../.name.tmp, fsync, rename, fsync the directory) and
// are rewritten only when their content changed, so Grafana's file watcher sees no churn.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aggregator/provision/dashboards/dashboard_set.h"
#include "common/base/status.h"

namespace abhra::provision {

struct FileProvisioningStats {
  int written = 0;    // files created or changed
  int unchanged = 0;  // files already holding the same bytes
  int removed = 0;    // dashboard files of dashboards no longer provisioned
};

// Writes the YAML files and one JSON file per dashboard, and removes every other
// "abhra-*.json" in DIR/dashboards (files not named so are never touched). Creates missing
// directories. IOError names the file.
Result<FileProvisioningStats> WriteFileProvisioning(const std::string& dir,
                                                    const std::vector<RenderedDashboard>& dashboards,
                                                    const std::string& datasource_yaml,
                                                    const std::string& provider_yaml);

// Reads DIR/dashboards/*.json back: uid (file name without .json) -> JSON text.
Result<std::map<std::string, std::string>> ReadProvisionedDashboards(const std::string& dir);

// Writes `content` to `path` atomically (tmp + fsync + rename + directory fsync) unless the
// file already holds exactly these bytes. Sets *changed accordingly.
Status WriteFileAtomically(const std::string& path, const std::string& content, bool* changed);

}  // namespace abhra::provision
