// IncidentLog: the durable incident history, an append-only file of CRC'd records (format:
// aggregator/incidents/docs/incident_log.md). Each record is the whole incident after a
// change; on open, records are replayed (the last record of an id wins). A torn or corrupt
// tail (crash during a write) is cut off. When the file holds many superseded records it
// is rewritten atomically (tmp file, fsync, rename, fsync dir).
// Not thread-safe: IncidentStore serialises calls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/incidents/incident.h"
#include "common/base/status.h"

namespace abhra::incidents {

// Encodes one record (header + JSON payload) onto *dst.
void EncodeRecord(std::string* dst, const Incident& incident);
// Decodes the record at the front of *in and advances past it. NotFound at the end of the
// input, Corruption for a torn or damaged record.
Result<Incident> DecodeRecord(std::string_view* in);

class IncidentLog {
 public:
  // Opens (creating when missing) `path` and replays it into *incidents (by id).
  static Result<std::unique_ptr<IncidentLog>> Open(const std::string& path,
                                                   std::map<std::string, Incident>* incidents);
  ~IncidentLog();
  IncidentLog(const IncidentLog&) = delete;
  IncidentLog& operator=(const IncidentLog&) = delete;

  // Appends and fsyncs one record.
  Status Append(const Incident& incident);
  // Replaces the file's content with exactly `incidents`, atomically.
  Status Rewrite(const std::map<std::string, Incident>& incidents);

  size_t records() const { return records_; }

 private:
  IncidentLog(std::string path, int fd, size_t records)
      : path_(std::move(path)), fd_(fd), records_(records) {}
  std::string path_;
  int fd_;
  size_t records_;
};

}  // namespace abhra::incidents
