#pragma once
// A fixed set of mutexes picked by a key's hash: read-check-write sequences on one key (an
// entity, a blob's reference count, a target's annotations) run one at a time, while writes
// to different keys mostly proceed in parallel. Enough for atomicity because RocksDB's LOCK
// file makes this process the database's only writer.
#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace strata::rocksdb {

class StripedMutex {
 public:
  std::mutex& forKey(std::string_view key) {
    return stripes_[std::hash<std::string_view>{}(key) % stripes_.size()];
  }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace strata::rocksdb
