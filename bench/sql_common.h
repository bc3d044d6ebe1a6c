#pragma once
// What strata_sql_store_bench and strata_sql_direct share, so that the stores and their direct
// SQL baseline time the same work: the ids, bodies, groups and annotation values (the clock,
// entity ids and random order come from bench_common.h).
#include <cstdint>
#include <cstdio>
#include <string>

#include "bench_common.h"

namespace strata::bench {

// Entities fall into kGroups groups (i % kGroups); targets into kSpecies species (t % kSpecies).
inline constexpr uint64_t kGroups = 1000;
inline constexpr uint64_t kSpecies = 100;

inline std::string groupName(uint64_t g) {
  char name[24];
  std::snprintf(name, sizeof name, "g%04llu", static_cast<unsigned long long>(g));
  return name;
}
inline std::string group(uint64_t i) { return groupName(i % kGroups); }

// About 120 bytes of JSON, keys in the order Poco's Object writes them (sorted).
inline std::string groupedBody(uint64_t i) {
  return "{\"group\":\"" + group(i) + "\",\"name\":\"" + entityId(i) +
         "\",\"owner\":\"bench\",\"size\":" + std::to_string(i * 37 % 100000) +
         ",\"tags\":[\"alpha\",\"beta\",\"gamma\"]}";
}

inline std::string targetId(uint64_t t) {
  char id[32];
  std::snprintf(id, sizeof id, "dataset/%06llu", static_cast<unsigned long long>(t));
  return id;
}

inline std::string speciesName(uint64_t s) { return "species-" + std::to_string(s); }
inline std::string species(uint64_t t) { return speciesName(t % kSpecies); }
inline int64_t sizeOf(uint64_t t) { return static_cast<int64_t>(t * 7919 % 1000000); }
inline double scoreOf(uint64_t t) { return static_cast<double>(t % 1000) / 8.0; }

}  // namespace strata::bench
