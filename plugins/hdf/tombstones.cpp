#include "tombstones.h"

namespace strata::hdf {

void Tombstones::add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!keys_.insert(key).second) return;
  order_.push_back(key);
  while (order_.size() > capacity_) {
    keys_.erase(order_.front());
    order_.pop_front();
  }
}

void Tombstones::remove(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The deque keeps the stale entry; erasing it later from keys_ is harmless.
  keys_.erase(key);
}

bool Tombstones::contains(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_.count(key) != 0;
}

std::string Tombstones::linkKey(const std::string& container, const std::string& group,
                                const std::string& name) {
  return "L" + container + '\0' + group + '\0' + name;
}

std::string Tombstones::containerKey(const std::string& container) { return "C" + container; }

}  // namespace strata::hdf
