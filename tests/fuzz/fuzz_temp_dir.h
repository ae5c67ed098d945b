// A private temp dir for fuzz targets that feed their input through files: made on first
// use (mkdtemp under the system temp dir), removed at exit. Fuzz build only.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace abhra::fuzz {

// The same directory for every call in this process; `prefix` names it on first use.
inline const std::string& PrivateTempDir(const char* prefix) {
  static const std::string* dir = [prefix] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) std::abort();
    auto* d = new std::string(tmpl);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(PrivateTempDir(""), ec);
    });
    return d;
  }();
  return *dir;
}

}  // namespace abhra::fuzz
