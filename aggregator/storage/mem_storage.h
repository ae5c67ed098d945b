// MemStorage: a simple, fully in-memory storage::Storage for tests and abhra-promqltest.
// Series are kept in a map ordered by labels; samples per series in time order. Simple and
// correct over fast: Select copies matching series' samples for the querier's window.
// Thread-safe: appends commit under a mutex; queriers see a snapshot taken at creation.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "aggregator/storage/storage.h"

namespace abhra::storage {

class MemStorage : public Storage {
 public:
  MemStorage() = default;
  MemStorage(const MemStorage&) = delete;
  MemStorage& operator=(const MemStorage&) = delete;

  Result<std::unique_ptr<Querier>> MakeQuerier(int64_t mint, int64_t maxt) override;
  std::unique_ptr<Appender> MakeAppender() override;

  // Drops every series.
  void Clear();
  size_t NumSeries() const;

 private:
  friend class MemAppender;
  struct SeriesData {
    Labels labels;
    std::vector<Sample> samples;  // strictly increasing t
  };
  mutable std::mutex mu_;
  // Keyed by labels; shared_ptr so queriers can hold a snapshot of a series' samples.
  std::map<Labels, std::shared_ptr<const SeriesData>> series_;  // guarded by mu_
};

}  // namespace abhra::storage
