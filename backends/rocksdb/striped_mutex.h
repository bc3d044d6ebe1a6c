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
  std::mutex& forKey(std::string_view key) { return stripes_[indexOf(key)]; }

  // Several keys at once (an atomic batch): lock the stripes of all of them in ascending
  // index order, each once. A thread holds either one stripe or a set taken in that order,
  // so no two threads wait for each other.
  std::size_t indexOf(std::string_view key) const {
    return std::hash<std::string_view>{}(key) % stripes_.size();
  }
  std::mutex& at(std::size_t index) { return stripes_[index]; }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace strata::rocksdb
