#include "aggregator/tsdb/index/index_writer.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

#include "aggregator/tsdb/index/encoding.h"
#include "aggregator/tsdb/index/mapped_file.h"
#include "aggregator/tsdb/wal/crc32c.h"

namespace abhra::tsdb {
namespace {

// Appends the CRC32C of b[from:].
void PutCrcFrom(std::string* b, size_t from) {
  enc::PutBE32(b, Crc32c(0, b->data() + from, b->size() - from));
}

void Pad(std::string* b, size_t align) {
  while (b->size() % align != 0) b->push_back('\0');
}

}  // namespace

Result<std::string> EncodeIndex(std::span<const IndexSeries> series, IndexWriteStats* stats) {
  for (size_t i = 1; i < series.size(); ++i) {
    if (!(series[i - 1].labels < series[i].labels)) {
      return Status::InvalidArgument("index: series not sorted/unique at position " +
                                     std::to_string(i) + ": " + series[i].labels.ToString());
    }
  }
  // Symbols: every label name and value, sorted bytewise (Go string order).
  std::vector<std::string_view> syms;
  for (const auto& s : series) {
    for (const auto& l : s.labels) {
      syms.push_back(l.name);
      syms.push_back(l.value);
    }
  }
  std::sort(syms.begin(), syms.end());
  syms.erase(std::unique(syms.begin(), syms.end()), syms.end());
  std::unordered_map<std::string_view, uint32_t> sym_id;
  sym_id.reserve(syms.size() * 2);
  for (size_t i = 0; i < syms.size(); ++i) sym_id.emplace(syms[i], uint32_t(i));

  std::string b;
  b.reserve(64 + series.size() * 64);
  enc::PutBE32(&b, kIndexMagic);
  b.push_back(char(kIndexVersion2));

  uint64_t toc[6] = {0, 0, 0, 0, 0, 0};
  // Symbol table.
  toc[0] = b.size();
  {
    size_t len_pos = b.size();
    enc::PutBE32(&b, 0);
    size_t start = b.size();
    enc::PutBE32(&b, uint32_t(syms.size()));
    for (auto s : syms) enc::PutUvarintStr(&b, s);
    enc::SetBE32(&b, len_pos, uint32_t(b.size() - start));
    PutCrcFrom(&b, start);
  }
  size_t symbols_end = b.size();

  // Series, 16-byte aligned; ref = offset / 16.
  Pad(&b, 16);
  toc[1] = b.size();
  std::vector<uint32_t> refs(series.size());
  // postings: (name, value) -> series refs, in series order (already sorted).
  std::map<std::pair<std::string_view, std::string_view>, std::vector<uint32_t>> postings;
  std::string entry;
  for (size_t i = 0; i < series.size(); ++i) {
    Pad(&b, 16);
    if (b.size() / 16 > 0xffffffffull) return Status::InvalidArgument("index: too many series");
    refs[i] = uint32_t(b.size() / 16);
    const auto& s = series[i];
    entry.clear();
    enc::PutUvarint(&entry, s.labels.size());
    for (const auto& l : s.labels) {
      enc::PutUvarint(&entry, sym_id[l.name]);
      enc::PutUvarint(&entry, sym_id[l.value]);
      postings[{l.name, l.value}].push_back(refs[i]);
    }
    enc::PutUvarint(&entry, s.chunks.size());
    for (size_t c = 0; c < s.chunks.size(); ++c) {
      const auto& m = s.chunks[c];
      if (c == 0) {
        enc::PutVarint(&entry, m.mint);
        enc::PutUvarint(&entry, uint64_t(m.maxt - m.mint));
        enc::PutUvarint(&entry, m.ref);
      } else {
        const auto& p = s.chunks[c - 1];
        enc::PutUvarint(&entry, uint64_t(m.mint - p.maxt));
        enc::PutUvarint(&entry, uint64_t(m.maxt - m.mint));
        enc::PutVarint(&entry, int64_t(m.ref - p.ref));
      }
    }
    enc::PutUvarint(&b, entry.size());
    b.append(entry);
    enc::PutBE32(&b, Crc32c(0, entry.data(), entry.size()));
  }
  size_t series_end = b.size();

  // Label indices (legacy, still written by Prometheus): one per name.
  std::map<std::string_view, std::vector<uint32_t>> values_by_name;
  for (const auto& [k, v] : postings) values_by_name[k.first].push_back(sym_id[k.second]);
  Pad(&b, 4);
  toc[2] = b.size();
  std::vector<std::pair<std::string_view, uint64_t>> label_offsets;
  for (const auto& [name, vals] : values_by_name) {
    Pad(&b, 4);
    label_offsets.emplace_back(name, b.size());
    size_t len_pos = b.size();
    enc::PutBE32(&b, 0);
    size_t start = b.size();
    enc::PutBE32(&b, 1);
    enc::PutBE32(&b, uint32_t(vals.size()));
    for (uint32_t v : vals) enc::PutBE32(&b, v);
    enc::SetBE32(&b, len_pos, uint32_t(b.size() - start));
    PutCrcFrom(&b, start);
  }
  size_t label_index_end = b.size();

  // Postings, the all-series list first under ("", "").
  Pad(&b, 4);
  toc[4] = b.size();
  std::vector<std::pair<std::pair<std::string_view, std::string_view>, uint64_t>> postings_offsets;
  auto write_postings = [&](std::string_view n, std::string_view v,
                            const std::vector<uint32_t>& list) {
    Pad(&b, 4);
    postings_offsets.push_back({{n, v}, b.size()});
    size_t len_pos = b.size();
    enc::PutBE32(&b, 0);
    size_t start = b.size();
    enc::PutBE32(&b, uint32_t(list.size()));
    for (uint32_t r : list) enc::PutBE32(&b, r);
    enc::SetBE32(&b, len_pos, uint32_t(b.size() - start));
    PutCrcFrom(&b, start);
  };
  write_postings("", "", refs);
  for (const auto& [k, list] : postings) write_postings(k.first, k.second, list);
  size_t postings_end = b.size();

  // Label offset table.
  toc[3] = b.size();
  {
    size_t len_pos = b.size();
    enc::PutBE32(&b, 0);
    size_t start = b.size();
    enc::PutBE32(&b, uint32_t(label_offsets.size()));
    for (const auto& [name, off] : label_offsets) {
      enc::PutUvarint(&b, 1);
      enc::PutUvarintStr(&b, name);
      enc::PutUvarint(&b, off);
    }
    enc::SetBE32(&b, len_pos, uint32_t(b.size() - start));
    PutCrcFrom(&b, start);
  }
  // Postings offset table.
  toc[5] = b.size();
  {
    size_t len_pos = b.size();
    enc::PutBE32(&b, 0);
    size_t start = b.size();
    enc::PutBE32(&b, uint32_t(postings_offsets.size()));
    for (const auto& [k, off] : postings_offsets) {
      enc::PutUvarint(&b, 2);
      enc::PutUvarintStr(&b, k.first);
      enc::PutUvarintStr(&b, k.second);
      enc::PutUvarint(&b, off);
    }
    enc::SetBE32(&b, len_pos, uint32_t(b.size() - start));
    PutCrcFrom(&b, start);
  }
  // TOC.
  size_t toc_start = b.size();
  for (uint64_t t : toc) enc::PutBE64(&b, t);
  PutCrcFrom(&b, toc_start);

  if (stats != nullptr) {
    stats->symbols_bytes = symbols_end - toc[0];
    stats->series_bytes = series_end - toc[1];
    stats->label_index_bytes = label_index_end - toc[2];
    stats->postings_bytes = postings_end - toc[4];
    stats->tables_bytes = b.size() - postings_end;
    stats->total = b.size();
  }
  return b;
}

Status WriteIndexFile(const std::string& path, std::span<const IndexSeries> series,
                      IndexWriteStats* stats) {
  ABHRA_ASSIGN_OR_RETURN(std::string data, EncodeIndex(series, stats));
  return WriteFileSync(path, data);
}

}  // namespace abhra::tsdb
