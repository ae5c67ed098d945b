#include "aggregator/tsdb/block/meta.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aggregator/tsdb/index/mapped_file.h"

namespace abhra::tsdb {

std::string EncodeMeta(const BlockMeta& m) {
  nlohmann::ordered_json j;
  j["ulid"] = m.ulid;
  j["minTime"] = m.min_time;
  j["maxTime"] = m.max_time;
  j["stats"] = {{"numSamples", m.num_samples}, {"numSeries", m.num_series},
                {"numChunks", m.num_chunks}};
  nlohmann::ordered_json c;
  c["level"] = m.level;
  c["sources"] = m.sources;
  if (!m.parents.empty()) {
    nlohmann::ordered_json ps = nlohmann::ordered_json::array();
    for (const auto& p : m.parents) {
      ps.push_back({{"ulid", p.ulid}, {"minTime", p.min_time}, {"maxTime", p.max_time}});
    }
    c["parents"] = ps;
  }
  j["compaction"] = c;
  j["version"] = m.version;
  nlohmann::ordered_json t;
  t["labels"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m.thanos_labels) t["labels"][k] = v;
  t["downsample"] = {{"resolution", m.resolution}};
  t["source"] = m.source;
  t["segment_files"] = m.segment_files;
  j["thanos"] = t;
  return j.dump(1, '\t');
}

Result<BlockMeta> DecodeMeta(std::string_view json, const std::string& what) {
  try {
    auto j = nlohmann::json::parse(json);
    BlockMeta m;
    m.ulid = j.at("ulid").get<std::string>();
    m.min_time = j.at("minTime").get<int64_t>();
    m.max_time = j.at("maxTime").get<int64_t>();
    m.version = j.at("version").get<int>();
    if (j.contains("stats")) {
      const auto& s = j["stats"];
      m.num_samples = s.value("numSamples", uint64_t{0});
      m.num_series = s.value("numSeries", uint64_t{0});
      m.num_chunks = s.value("numChunks", uint64_t{0});
    }
    if (j.contains("compaction")) {
      const auto& c = j["compaction"];
      m.level = c.value("level", 1);
      if (c.contains("sources")) m.sources = c["sources"].get<std::vector<std::string>>();
      if (c.contains("parents")) {
        for (const auto& p : c["parents"]) {
          m.parents.push_back({p.at("ulid").get<std::string>(), p.at("minTime").get<int64_t>(),
                               p.at("maxTime").get<int64_t>()});
        }
      }
    }
    if (j.contains("thanos")) {
      const auto& t = j["thanos"];
      if (t.contains("labels") && t["labels"].is_object()) {
        m.thanos_labels = t["labels"].get<std::map<std::string, std::string>>();
      }
      if (t.contains("downsample")) m.resolution = t["downsample"].value("resolution", int64_t{0});
      m.source = t.value("source", std::string());
      if (t.contains("segment_files") && t["segment_files"].is_array()) {
        m.segment_files = t["segment_files"].get<std::vector<std::string>>();
      }
    }
    if (m.version != 1) return Status::Corruption(what + ": unsupported meta version " + std::to_string(m.version));
    return m;
  } catch (const std::exception& e) {
    return Status::Corruption(what + ": bad meta.json: " + e.what());
  }
}

Result<BlockMeta> ReadMeta(const std::string& dir) {
  std::string path = dir + "/meta.json";
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return DecodeMeta(ss.str(), path);
}

Status WriteMeta(const std::string& dir, const BlockMeta& m) {
  std::string tmp = dir + "/meta.json.tmp";
  ABHRA_RETURN_IF_ERROR(WriteFileSync(tmp, EncodeMeta(m)));
  std::string dst = dir + "/meta.json";
  if (std::rename(tmp.c_str(), dst.c_str()) != 0) return Status::FromErrno("rename " + tmp, errno);
  return SyncDir(dir);
}

}  // namespace abhra::tsdb
