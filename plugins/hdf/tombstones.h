#pragma once
// Names this server has deleted, so that asking for them again answers 410 Gone rather than
// 404 (h5serv keeps the same distinction for links and domains). Bounded and in memory: after
// a restart, or once older entries have been pushed out, a deleted name answers 404.
//
// Thread-safety: all methods may be called concurrently.
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>

namespace strata::hdf {

class Tombstones {
 public:
  explicit Tombstones(std::size_t capacity = 10000) : capacity_(capacity) {}
  void add(const std::string& key);
  void remove(const std::string& key);
  bool contains(const std::string& key) const;

  static std::string linkKey(const std::string& container, const std::string& group, const std::string& name);
  static std::string containerKey(const std::string& container);

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> keys_;
};

}  // namespace strata::hdf
