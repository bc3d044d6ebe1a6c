#pragma once
// What strata_entity_bench and strata_rocksdb_direct share, so that the store and its
// direct-RocksDB baseline time the same work: the clock, the entity ids and bodies, and the
// random access order.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata::bench {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

inline std::string entityId(uint64_t i) {
  char id[32];
  std::snprintf(id, sizeof id, "entity-%06llu", static_cast<unsigned long long>(i));
  return id;
}

// About 100 bytes of JSON, keys in the order Poco's Object writes them.
inline std::string entityBody(uint64_t i, uint64_t rev) {
  return "{\"name\":\"" + entityId(i) + "\",\"owner\":\"bench\",\"rev\":" + std::to_string(rev) +
         ",\"size\":" + std::to_string(i * 37 % 100000) + ",\"tags\":[\"alpha\",\"beta\",\"gamma\"]}";
}

// A fixed pseudo-random sequence (xorshift64), the same in every program and run.
struct XorShift {
  uint64_t x = 88172645463325252ull;
  uint64_t next(uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (x >> 11) % n;
  }
};

}  // namespace strata::bench
