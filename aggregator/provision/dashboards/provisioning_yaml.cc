#include "aggregator/provision/dashboards/provisioning_yaml.h"

#include <fmt/format.h>

#include "aggregator/provision/dashboards/template_render.h"

namespace abhra::provision {

std::string YamlQuote(std::string_view s) {
  return "\"" + EscapeJsonStringPythonStyle(s) + "\"";
}

std::string DatasourceProvisioningYaml(std::string_view aggregator_url) {
  return fmt::format(
      "# Grafana data source provisioning, served by the Abhra aggregator.\n"
      "apiVersion: 1\n"
      "prune: true\n"
      "datasources:\n"
      "  - name: Abhra\n"
      "    type: prometheus\n"
      "    uid: {}\n"
      "    access: proxy\n"
      "    url: {}\n"
      "    isDefault: true\n"
      "    editable: false\n"
      "    jsonData:\n"
      "      httpMethod: POST\n"
      "      timeInterval: 15s\n"
      "      queryTimeout: 60s\n"
      "      prometheusType: Prometheus\n"
      "      prometheusVersion: 2.53.0\n",
      kDatasourceUid, YamlQuote(aggregator_url));
}

std::string DashboardProviderYaml(std::string_view folder, std::string_view dashboards_path) {
  return fmt::format(
      "# Grafana dashboard provider, served by the Abhra aggregator.\n"
      "apiVersion: 1\n"
      "providers:\n"
      "  - name: abhra\n"
      "    folder: {}\n"
      "    type: file\n"
      "    disableDeletion: false\n"
      "    updateIntervalSeconds: 30\n"
      "    allowUiUpdates: false\n"
      "    options:\n"
      "      path: {}\n"
      "      foldersFromFilesStructure: false\n",
      YamlQuote(folder), YamlQuote(dashboards_path));
}

}  // namespace abhra::provision
