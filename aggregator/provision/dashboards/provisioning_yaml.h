// Grafana file-provisioning YAML (interfaces.md §5): the data source pointing Grafana at the
// aggregator and the dashboard provider reading the rendered dashboards from a directory.
#pragma once

#include <string>
#include <string_view>

namespace abhra::provision {

// uid of the provisioned data source; every dashboard template references it.
inline constexpr std::string_view kDatasourceUid = "abhra";

// provisioning/datasources/abhra.yaml: one Prometheus data source "Abhra", uid "abhra", at
// `aggregator_url` (as Grafana reaches the aggregator, e.g. "http://abhra-aggregator:9090"),
// access proxy, default, not editable, httpMethod POST, timeInterval 15s, queryTimeout 60s,
// prometheusType Prometheus, prometheusVersion 2.53.0 (>= 2.24 enables match[] on label APIs).
std::string DatasourceProvisioningYaml(std::string_view aggregator_url);

// provisioning/dashboards/abhra.yaml: a file provider "abhra" into folder `folder`, reading
// `dashboards_path` (a path on Grafana's file system) every 30 s; UI changes not allowed;
// deletion allowed (a dashboard whose file is removed disappears from Grafana).
std::string DashboardProviderYaml(std::string_view folder, std::string_view dashboards_path);

// `s` as a YAML double-quoted scalar (JSON string escaping is valid YAML).
std::string YamlQuote(std::string_view s);

}  // namespace abhra::provision
