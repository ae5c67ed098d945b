#include "aggregator/tsdb/index/index_reader.h"

#include <algorithm>

#include "aggregator/tsdb/index/encoding.h"
#include "aggregator/tsdb/wal/crc32c.h"

namespace abhra::tsdb {

Status IndexReader::Corrupt(size_t off, const std::string& what) const {
  return Status::Corruption("index " + file_->path() + " at offset " + std::to_string(off) +
                            ": " + what);
}

Result<std::unique_ptr<IndexReader>> IndexReader::Open(const std::string& path) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  ABHRA_ASSIGN_OR_RETURN(r->file_, MappedFile::Open(path));
  ABHRA_RETURN_IF_ERROR(r->Parse());
  return r;
}

namespace {
// A `len <4b> | body | CRC32 <4b>` section at `off`; checks bounds and CRC.
bool SectionAt(std::span<const uint8_t> b, uint64_t off, enc::Decbuf* out, std::string* err) {
  if (off + 4 > b.size()) {
    *err = "section header out of bounds";
    return false;
  }
  uint32_t len = enc::BE32(b.data() + off);
  if (off + 4 + len + 4 > b.size()) {
    *err = "section of length " + std::to_string(len) + " runs past end of file";
    return false;
  }
  const uint8_t* body = b.data() + off + 4;
  if (Crc32c(0, body, len) != enc::BE32(body + len)) {
    *err = "checksum mismatch";
    return false;
  }
  *out = enc::Decbuf(body, len);
  return true;
}
}  // namespace

Status IndexReader::Parse() {
  auto b = file_->bytes();
  if (b.size() < 5 + kIndexTocSize) return Corrupt(0, "file too small");
  if (enc::BE32(b.data()) != kIndexMagic) return Corrupt(0, "bad magic");
  if (b[4] != kIndexVersion2) return Corrupt(4, "unsupported version " + std::to_string(b[4]));
  size_t toc_off = b.size() - kIndexTocSize;
  const uint8_t* t = b.data() + toc_off;
  if (Crc32c(0, t, kIndexTocSize - 4) != enc::BE32(t + kIndexTocSize - 4)) {
    return Corrupt(toc_off, "TOC checksum mismatch");
  }
  uint64_t sym_off = enc::BE64(t), postings_table = enc::BE64(t + 40);
  std::string err;
  enc::Decbuf d;
  if (!SectionAt(b, sym_off, &d, &err)) return Corrupt(sym_off, "symbol table: " + err);
  uint32_t n = d.Be32();
  symbols_.reserve(n);
  for (uint32_t i = 0; i < n && d.ok(); ++i) symbols_.push_back(d.UvarintStr());
  if (!d.ok()) return Corrupt(sym_off, "symbol table truncated");
  if (postings_table != 0) {
    if (!SectionAt(b, postings_table, &d, &err)) {
      return Corrupt(postings_table, "postings offset table: " + err);
    }
    uint32_t cnt = d.Be32();
    for (uint32_t i = 0; i < cnt && d.ok(); ++i) {
      if (d.Uvarint() != 2) return Corrupt(postings_table, "postings offset entry without 2 keys");
      std::string_view name = d.UvarintStr();
      std::string_view value = d.UvarintStr();
      uint64_t off = d.Uvarint();
      auto it = postings_.find(name);
      if (it == postings_.end()) it = postings_.emplace(std::string(name), decltype(it->second)()).first;
      it->second.emplace_back(value, off);
    }
    if (!d.ok()) return Corrupt(postings_table, "postings offset table truncated");
    for (auto& [name, vals] : postings_) {
      if (!std::is_sorted(vals.begin(), vals.end())) std::sort(vals.begin(), vals.end());
    }
  }
  return Status::Ok();
}

Status IndexReader::Series(uint32_t ref, Labels* labels, std::vector<ChunkMeta>* chunks) const {
  auto b = file_->bytes();
  uint64_t off = uint64_t(ref) * 16;
  if (off >= b.size()) return Corrupt(off, "series ref " + std::to_string(ref) + " out of range");
  enc::Decbuf hd(b.data() + off, b.size() - off);
  uint64_t len = hd.Uvarint();
  if (!hd.ok() || hd.len() < len + 4) return Corrupt(off, "series entry out of bounds");
  const uint8_t* body = hd.pos();
  if (Crc32c(0, body, len) != enc::BE32(body + len)) return Corrupt(off, "series checksum mismatch");
  enc::Decbuf d(body, len);
  uint64_t nl = d.Uvarint();
  std::vector<Label> ls;
  ls.reserve(nl);
  for (uint64_t i = 0; i < nl && d.ok(); ++i) {
    uint64_t n = d.Uvarint(), v = d.Uvarint();
    if (n >= symbols_.size() || v >= symbols_.size()) return Corrupt(off, "series symbol out of range");
    ls.push_back(Label{std::string(symbols_[n]), std::string(symbols_[v])});
  }
  if (labels != nullptr) *labels = Labels::FromSorted(std::move(ls));
  if (chunks != nullptr) {
    chunks->clear();
    uint64_t nc = d.Uvarint();
    ChunkMeta prev;
    for (uint64_t i = 0; i < nc && d.ok(); ++i) {
      ChunkMeta m;
      if (i == 0) {
        m.mint = d.Varint();
        m.maxt = m.mint + int64_t(d.Uvarint());
        m.ref = d.Uvarint();
      } else {
        m.mint = prev.maxt + int64_t(d.Uvarint());
        m.maxt = m.mint + int64_t(d.Uvarint());
        m.ref = uint64_t(int64_t(prev.ref) + d.Varint());
      }
      chunks->push_back(m);
      prev = m;
    }
  }
  if (!d.ok()) return Corrupt(off, "series entry truncated");
  return Status::Ok();
}

Result<IndexPostings> IndexReader::Postings(std::string_view name, std::string_view value) const {
  auto it = postings_.find(name);
  if (it == postings_.end()) return IndexPostings{};
  auto& vals = it->second;
  auto v = std::lower_bound(vals.begin(), vals.end(), value,
                            [](const auto& e, std::string_view x) { return e.first < x; });
  if (v == vals.end() || v->first != value) return IndexPostings{};
  std::string err;
  enc::Decbuf d;
  if (!SectionAt(file_->bytes(), v->second, &d, &err)) return Corrupt(v->second, "postings: " + err);
  uint32_t n = d.Be32();
  if (d.len() < size_t(n) * 4) return Corrupt(v->second, "postings truncated");
  IndexPostings out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = d.Be32();
  return out;
}

IndexPostings IntersectPostings(const IndexPostings& a, const IndexPostings& b) {
  IndexPostings out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

IndexPostings SubtractPostings(const IndexPostings& a, const IndexPostings& b) {
  IndexPostings out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

IndexPostings MergePostings(const std::vector<IndexPostings>& lists) {
  if (lists.size() == 1) return lists[0];  // already sorted and unique
  IndexPostings out;
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<IndexPostings> IndexReader::PostingsForMatchers(const std::vector<Matcher>& matchers) const {
  std::vector<IndexPostings> positive;
  std::vector<IndexPostings> negative;
  for (const auto& m : matchers) {
    auto it = postings_.find(m.name());
    // Union of postings of the label's values matching (or, inverted, not matching) m.
    auto collect = [&](bool want_match) -> Result<IndexPostings> {
      // label="v" (or label!="v" inverted): one list, found by binary search.
      if ((m.type() == MatchType::kEqual && want_match) ||
          (m.type() == MatchType::kNotEqual && !want_match)) {
        return Postings(m.name(), m.value());
      }
      std::vector<IndexPostings> lists;
      if (it != postings_.end()) {
        for (const auto& [val, off] : it->second) {
          if (m.Matches(val) == want_match) {
            ABHRA_ASSIGN_OR_RETURN(auto p, Postings(m.name(), val));
            lists.push_back(std::move(p));
          }
        }
      }
      return MergePostings(lists);
    };
    if (m.MatchesEmpty()) {
      // Series lacking the label match; exclude those whose value does not match.
      ABHRA_ASSIGN_OR_RETURN(auto p, collect(false));
      negative.push_back(std::move(p));
    } else {
      ABHRA_ASSIGN_OR_RETURN(auto p, collect(true));
      positive.push_back(std::move(p));
    }
  }
  IndexPostings res;
  if (positive.empty()) {
    ABHRA_ASSIGN_OR_RETURN(res, AllPostings());
  } else {
    std::sort(positive.begin(), positive.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    res = std::move(positive[0]);
    for (size_t i = 1; i < positive.size() && !res.empty(); ++i) res = IntersectPostings(res, positive[i]);
  }
  for (const auto& n : negative) {
    if (res.empty()) break;
    res = SubtractPostings(res, n);
  }
  return res;
}

std::vector<std::string> IndexReader::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  if (name.empty()) return out;
  auto it = postings_.find(name);
  if (it == postings_.end()) return out;
  for (const auto& [v, off] : it->second) out.emplace_back(v);
  return out;
}

std::vector<std::string> IndexReader::LabelNames() const {
  std::vector<std::string> out;
  for (const auto& [n, vals] : postings_) {
    if (!n.empty()) out.push_back(n);
  }
  return out;
}

}  // namespace abhra::tsdb
