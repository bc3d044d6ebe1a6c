#pragma once
// Key encodings that make RocksDB's bytewise order the order the stores need.
//
// A key made of several strings ("collection, id") separates them so that keys sort like
// tuples and no string can pose as another's prefix: each component but the last is written
// with 0x00 escaped as 0x00 0xFF and closed by 0x00 0x01. For names without NUL bytes that is
// simply "name \0 \1". The last component is written raw, so it sorts as plain bytes (which is
// also std::string's order).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace strata::rocksdb {

inline void appendComponent(std::string& key, std::string_view part) {
  for (char c : part) {
    key.push_back(c);
    if (c == '\0') key.push_back('\xff');
  }
  key.push_back('\0');
  key.push_back('\x01');
}

inline std::string component(std::string_view part) {
  std::string key;
  key.reserve(part.size() + 2);
  appendComponent(key, part);
  return key;
}

// Reads one component starting at `pos`, leaving `pos` after its terminator. False if the
// key ends before a terminator (a malformed key).
inline bool readComponent(std::string_view key, std::size_t& pos, std::string& out) {
  out.clear();
  while (pos < key.size()) {
    const char c = key[pos];
    if (c != '\0') {
      out.push_back(c);
      ++pos;
      continue;
    }
    if (pos + 1 >= key.size()) return false;
    const char next = key[pos + 1];
    pos += 2;
    if (next == '\x01') return true;
    if (next != '\xff') return false;
    out.push_back('\0');
  }
  return false;
}

// The smallest key that sorts after every key starting with `prefix` (for
// ReadOptions::iterate_upper_bound). Empty if there is none (all 0xFF).
inline std::string prefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

inline void appendBigEndian64(std::string& key, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(v >> shift));
}

inline void appendBigEndian32(std::string& key, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(v >> shift));
}

inline uint64_t readBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline uint32_t readBigEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Bits of an int64 whose unsigned big-endian order is the integers' order.
inline uint64_t orderedInt64(int64_t v) { return static_cast<uint64_t>(v) ^ (1ull << 63); }
inline int64_t fromOrderedInt64(uint64_t bits) { return static_cast<int64_t>(bits ^ (1ull << 63)); }

// Bits of a double whose unsigned big-endian order is the numbers' order (-inf < ... < -0 <
// +0 < ... < +inf; NaNs sort at the ends, by sign).
inline uint64_t orderedDouble(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
}
inline double fromOrderedDouble(uint64_t bits) {
  bits = (bits & (1ull << 63)) ? bits & ~(1ull << 63) : ~bits;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace strata::rocksdb
