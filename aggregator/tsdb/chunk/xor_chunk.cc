#include "aggregator/tsdb/chunk/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace abhra::tsdb {
namespace {

// Worst case bytes one Append adds: 10-byte varint + 8 bytes, or 68 + 77 bits.
constexpr size_t kMaxAppendBytes = 20;
constexpr size_t kInitialCapacity = 32;

// Go's bitRange: whether x fits the signed nbits bucket (asymmetric: [-(2^(n-1)-1), 2^(n-1)]).
inline bool BitRange(int64_t x, unsigned nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= x && x <= (int64_t{1} << (nbits - 1));
}

inline double BitsToDouble(uint64_t b) { return std::bit_cast<double>(b); }
inline uint64_t DoubleToBits(double d) { return std::bit_cast<uint64_t>(d); }

}  // namespace

XorChunk::XorChunk() {
  Reserve(kInitialCapacity);
  data_[0] = data_[1] = 0;
  size_ = 2;
}

XorChunk::~XorChunk() { std::free(data_); }

XorChunk::XorChunk(XorChunk&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      cap_(std::exchange(o.cap_, 0)),
      count_(o.count_),
      leading_(o.leading_),
      trailing_(o.trailing_),
      t_(o.t_),
      vbits_(o.vbits_),
      tdelta_(o.tdelta_) {}

XorChunk& XorChunk::operator=(XorChunk&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    cap_ = std::exchange(o.cap_, 0);
    count_ = o.count_;
    leading_ = o.leading_;
    trailing_ = o.trailing_;
    t_ = o.t_;
    vbits_ = o.vbits_;
    tdelta_ = o.tdelta_;
  }
  return *this;
}

double XorChunk::last_v() const { return BitsToDouble(vbits_); }

void XorChunk::Reserve(size_t extra) {
  size_t need = size_ + extra;
  if (need <= cap_) return;
  // Grow by a quarter (at least 32 bytes): open chunks are most of the head, so slack
  // matters more than the few extra reallocs.
  size_t cap = cap_ + std::max<size_t>(32, cap_ / 4);
  if (cap < need) cap = need;
  auto* p = static_cast<uint8_t*>(std::realloc(data_, cap));
  if (p == nullptr) throw std::bad_alloc();
  data_ = p;
  cap_ = static_cast<uint32_t>(cap);
}

void XorChunk::Compact() {
  if (cap_ == size_ || data_ == nullptr) return;
  auto* p = static_cast<uint8_t*>(std::realloc(data_, size_));
  if (p != nullptr) {
    data_ = p;
    cap_ = size_;
  }
}

// Same bits as bstream.writeBits: the low `nbits` of u, most significant first.
void XorChunk::WriteBits(uint64_t u, unsigned nbits) {
  if (nbits < 64) u &= (uint64_t{1} << nbits) - 1;
  while (nbits > 0) {
    if (count_ == 0) {
      data_[size_++] = 0;
      count_ = 8;
    }
    unsigned take = nbits < count_ ? nbits : count_;
    auto part = static_cast<uint8_t>((u >> (nbits - take)) & ((1u << take) - 1));
    data_[size_ - 1] |= static_cast<uint8_t>(part << (count_ - take));
    count_ = static_cast<uint8_t>(count_ - take);
    nbits -= take;
  }
}

void XorChunk::Append(int64_t t, double v) { AppendWith(t, v, nullptr); }

void XorChunk::AppendWith(int64_t t, double v, const ValueWindow* w) {
  Reserve(kMaxAppendBytes);
  uint16_t num = NumSamples();
  uint64_t vbits = DoubleToBits(v);
  uint64_t tdelta = 0;
  if (num == 0) {
    // binary.PutVarint: zig-zag then base-128.
    uint64_t ux = static_cast<uint64_t>(t) << 1;
    if (t < 0) ux = ~ux;
    while (ux >= 0x80) {
      WriteByte(static_cast<uint8_t>(ux) | 0x80);
      ux >>= 7;
    }
    WriteByte(static_cast<uint8_t>(ux));
    WriteBits(vbits, 64);
  } else if (num == 1) {
    tdelta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    uint64_t ux = tdelta;
    while (ux >= 0x80) {
      WriteByte(static_cast<uint8_t>(ux) | 0x80);
      ux >>= 7;
    }
    WriteByte(static_cast<uint8_t>(ux));
    if (w != nullptr) {
      WriteVDeltaWith(vbits, *w);
    } else {
      WriteVDelta(vbits);
    }
  } else {
    tdelta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
    auto dod = static_cast<int64_t>(tdelta - tdelta_);
    if (dod == 0) {
      WriteBits(0, 1);
    } else if (BitRange(dod, 14)) {
      WriteBits(0b10, 2);
      WriteBits(static_cast<uint64_t>(dod), 14);
    } else if (BitRange(dod, 17)) {
      WriteBits(0b110, 3);
      WriteBits(static_cast<uint64_t>(dod), 17);
    } else if (BitRange(dod, 20)) {
      WriteBits(0b1110, 4);
      WriteBits(static_cast<uint64_t>(dod), 20);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(static_cast<uint64_t>(dod), 64);
    }
    if (w != nullptr) {
      WriteVDeltaWith(vbits, *w);
    } else {
      WriteVDelta(vbits);
    }
  }
  t_ = t;
  vbits_ = vbits;
  tdelta_ = tdelta;
  ++num;
  data_[0] = static_cast<uint8_t>(num >> 8);
  data_[1] = static_cast<uint8_t>(num);
}

void XorChunk::WriteVDelta(uint64_t vbits) {
  uint64_t delta = vbits ^ vbits_;
  if (delta == 0) {
    WriteBits(0, 1);
    return;
  }
  WriteBits(1, 1);
  auto leading = static_cast<uint8_t>(std::countl_zero(delta));
  auto trailing = static_cast<uint8_t>(std::countr_zero(delta));
  if (leading >= 32) leading = 31;  // fits the 5-bit field
  if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
    WriteBits(0, 1);
    WriteBits(delta >> trailing_, 64u - leading_ - trailing_);
    return;
  }
  leading_ = leading;
  trailing_ = trailing;
  WriteBits(1, 1);
  WriteBits(leading, 5);
  // 64 significant bits are written as 0 (6-bit field); readers map 0 back to 64.
  unsigned sigbits = 64u - leading - trailing;
  WriteBits(sigbits, 6);
  WriteBits(delta >> trailing, sigbits);
}

void XorChunk::WriteVDeltaWith(uint64_t vbits, const ValueWindow& w) {
  uint64_t delta = vbits ^ vbits_;
  if (delta == 0) {
    WriteBits(0, 1);
    return;
  }
  WriteBits(1, 1);
  if (w.reuse) {
    WriteBits(0, 1);
    WriteBits(delta >> trailing_, 64u - leading_ - trailing_);
    return;
  }
  leading_ = w.leading;
  trailing_ = w.trailing;
  WriteBits(1, 1);
  WriteBits(w.leading, 5);
  unsigned sigbits = 64u - w.leading - w.trailing;
  WriteBits(sigbits, 6);
  WriteBits(delta >> w.trailing, sigbits);
}

Result<XorChunk> XorChunk::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) {
    return Status::Corruption(
        fmt::format("XOR chunk of {} bytes is shorter than its 2-byte header", bytes.size()));
  }
  XorIterator it(bytes);
  while (it.Next()) {
  }
  ABHRA_RETURN_IF_ERROR(it.Err());
  if (it.num_total() == 0) return XorChunk();
  // The appender state (last t, delta, leading/trailing, bit position) is what re-appending
  // the decoded samples yields; the result must reproduce the input bytes exactly.
  XorChunk re;
  XorIterator again(bytes);
  while (again.Next()) re.Append(again.At().t, again.At().v);
  if (re.size_ != bytes.size() || std::memcmp(re.data_, bytes.data(), bytes.size()) != 0) {
    return Status::Corruption("XOR chunk bytes are not in canonical Prometheus encoding");
  }
  return re;
}

void XorIterator::Reset(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) {
    br_ = BitReader();
    num_total_ = 0;
    err_ = Status::Corruption("XOR chunk shorter than its 2-byte header");
  } else {
    br_ = BitReader(bytes.data() + 2, bytes.size() - 2);
    num_total_ = static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
    err_ = Status::Ok();
  }
  num_read_ = 0;
  t_ = 0;
  v_ = 0;
  tdelta_ = 0;
  leading_ = 0;
  trailing_ = 0;
}

bool XorIterator::Fail(const char* what) {
  err_ = Status::Corruption(fmt::format("XOR chunk truncated reading {} of sample {} of {}", what,
                                        num_read_ + 1, num_total_));
  num_total_ = num_read_;
  return false;
}

bool XorIterator::Next() {
  if (!err_.ok() || num_read_ == num_total_) return false;
  if (num_read_ == 0) {
    // binary.ReadVarint
    uint64_t ux = 0;
    unsigned shift = 0;
    for (int i = 0;; ++i) {
      uint8_t b;
      if (i == 10 || !br_.ReadByte(&b)) return Fail("first timestamp");
      ux |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    auto x = static_cast<int64_t>(ux >> 1);
    if (ux & 1) x = ~x;
    uint64_t vb;
    if (!br_.ReadBits(64, &vb)) return Fail("first value");
    t_ = x;
    v_ = BitsToDouble(vb);
    ++num_read_;
    return true;
  }
  if (num_read_ == 1) {
    uint64_t ux = 0;
    unsigned shift = 0;
    for (int i = 0;; ++i) {
      uint8_t b;
      if (i == 10 || !br_.ReadByte(&b)) return Fail("timestamp delta");
      ux |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    tdelta_ = ux;
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + tdelta_);
    return ReadValue();
  }
  unsigned d = 0;
  for (int i = 0; i < 4; ++i) {
    d <<= 1;
    uint64_t bit;
    if (!br_.ReadBit(&bit)) return Fail("timestamp bucket");
    if (bit == 0) break;
    d |= 1;
  }
  unsigned sz = 0;
  int64_t dod = 0;
  switch (d) {
    case 0b0:
      break;
    case 0b10:
      sz = 14;
      break;
    case 0b110:
      sz = 17;
      break;
    case 0b1110:
      sz = 20;
      break;
    case 0b1111: {
      uint64_t b;
      if (!br_.ReadBits(64, &b)) return Fail("timestamp delta-of-delta");
      dod = static_cast<int64_t>(b);
      break;
    }
  }
  if (sz != 0) {
    uint64_t b;
    if (!br_.ReadBits(sz, &b)) return Fail("timestamp delta-of-delta");
    if (b > (uint64_t{1} << (sz - 1))) b -= uint64_t{1} << sz;
    dod = static_cast<int64_t>(b);
  }
  tdelta_ += static_cast<uint64_t>(dod);  // wraps like Go's uint64(int64(tDelta) + dod)
  t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + tdelta_);
  return ReadValue();
}

bool XorIterator::AppendUntil(int64_t maxt, std::vector<storage::Sample>* out) {
  out->reserve(out->size() + (num_total_ - num_read_) + 1);
  // The first two samples carry varint headers: the general path.
  while (num_read_ < 2) {
    if (t_ > maxt) return true;
    out->push_back({t_, v_});
    if (!Next()) return false;
  }
  if (t_ > maxt) return true;
  out->push_back({t_, v_});
  if (!err_.ok()) return false;
  // Steady state, the same decoding as Next()/ReadValue() with the state in locals.
  BitReader br = br_;
  int64_t t = t_;
  uint64_t tdelta = tdelta_;
  uint64_t vbits = DoubleToBits(v_);
  unsigned leading = leading_, trailing = trailing_;
  uint16_t read = num_read_;
  const uint16_t total = num_total_;
  bool beyond = false;
  const char* failed = nullptr;
  while (read < total) {
    uint64_t b;
    if (!br.ReadBits(1, &b)) { failed = "timestamp bucket"; break; }
    if (b != 0) {
      unsigned sz = 0;
      int64_t dod = 0;
      if (!br.ReadBits(1, &b)) { failed = "timestamp bucket"; break; }
      if (b == 0) {
        sz = 14;
      } else {
        if (!br.ReadBits(1, &b)) { failed = "timestamp bucket"; break; }
        if (b == 0) {
          sz = 17;
        } else {
          if (!br.ReadBits(1, &b)) { failed = "timestamp bucket"; break; }
          if (b == 0) {
            sz = 20;
          } else {
            if (!br.ReadBits(64, &b)) { failed = "timestamp delta-of-delta"; break; }
            dod = static_cast<int64_t>(b);
          }
        }
      }
      if (sz != 0) {
        if (!br.ReadBits(sz, &b)) { failed = "timestamp delta-of-delta"; break; }
        if (b > (uint64_t{1} << (sz - 1))) b -= uint64_t{1} << sz;
        dod = static_cast<int64_t>(b);
      }
      tdelta += static_cast<uint64_t>(dod);
    }
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + tdelta);
    if (!br.ReadBits(1, &b)) { failed = "value control bit"; break; }
    if (b != 0) {
      if (!br.ReadBits(1, &b)) { failed = "value control bit"; break; }
      if (b != 0) {
        if (!br.ReadBits(11, &b)) { failed = "value leading zeros"; break; }
        leading = static_cast<unsigned>(b >> 6);
        unsigned mbits = static_cast<unsigned>(b & 63);
        if (mbits == 0) mbits = 64;
        if (leading + mbits > 64) { failed = "value (bad significant bits)"; break; }
        trailing = 64 - leading - mbits;
      }
      unsigned mbits = 64u - leading - trailing;
      if (mbits == 0 || mbits > 64) { failed = "value (bad leading/trailing)"; break; }
      if (!br.ReadBits(mbits, &b)) { failed = "value bits"; break; }
      vbits ^= trailing >= 64 ? 0 : (b << trailing);
    }
    ++read;
    if (t > maxt) {
      beyond = true;
      break;
    }
    out->push_back({t, BitsToDouble(vbits)});
  }
  br_ = br;
  t_ = t;
  tdelta_ = tdelta;
  v_ = BitsToDouble(vbits);
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
  num_read_ = read;
  if (failed != nullptr) return Fail(failed);
  return beyond;
}

bool XorIterator::ReadValue() {
  uint64_t bit;
  if (!br_.ReadBit(&bit)) return Fail("value control bit");
  if (bit != 0) {
    if (!br_.ReadBit(&bit)) return Fail("value control bit");
    if (bit != 0) {
      uint64_t b;
      if (!br_.ReadBits(5, &b)) return Fail("value leading zeros");
      leading_ = static_cast<uint8_t>(b);
      if (!br_.ReadBits(6, &b)) return Fail("value significant bits");
      unsigned mbits = static_cast<unsigned>(b);
      if (mbits == 0) mbits = 64;
      if (leading_ + mbits > 64) return Fail("value (bad significant bits)");
      trailing_ = static_cast<uint8_t>(64 - leading_ - mbits);
    }
    unsigned mbits = 64u - leading_ - trailing_;
    if (mbits == 0 || mbits > 64) return Fail("value (bad leading/trailing)");
    uint64_t b;
    if (!br_.ReadBits(mbits, &b)) return Fail("value bits");
    uint64_t vb = DoubleToBits(v_);
    vb ^= (trailing_ >= 64 ? 0 : (b << trailing_));
    v_ = BitsToDouble(vb);
  }
  ++num_read_;
  return true;
}

bool XorIterator::Seek(int64_t t) {
  if (!err_.ok()) return false;
  while (num_read_ == 0 || t > t_) {
    if (!Next()) return false;
  }
  return true;
}

}  // namespace abhra::tsdb
