// The in-memory annotations store: target -> key -> annotation, under one shared_mutex.
// Queries scan every target, which is fine for the sizes a memory store holds; persistent
// backends index by key and value instead.
#include <strata/errors.h>
#include <strata/memory_stores.h>

#include <map>
#include <mutex>
#include <shared_mutex>

namespace strata {

namespace {

void requireTarget(const std::string& target) {
  if (target.empty()) throw BadRequest("an annotation target must not be empty");
}

void requireKey(const std::string& key) {
  if (key.empty()) throw BadRequest("an annotation key must not be empty");
}

class MemoryAnnotationStore final : public AnnotationStore {
 public:
  void set(const std::string& target, const Annotation& annotation) override {
    requireTarget(target);
    validate(annotation);
    std::unique_lock lock(mutex_);
    targets_[target][annotation.key] = annotation;
  }

  void replaceAll(const std::string& target, const std::vector<Annotation>& all) override {
    requireTarget(target);
    // Validate everything first so that a bad annotation leaves the old set untouched.
    std::map<std::string, Annotation> next;
    for (const auto& a : all) {
      validate(a);
      if (!next.emplace(a.key, a).second) throw BadRequest("annotation key '" + a.key + "' appears twice");
    }
    std::unique_lock lock(mutex_);
    if (next.empty())
      targets_.erase(target);
    else
      targets_[target] = std::move(next);
  }

  std::vector<Annotation> list(const std::string& target) override {
    requireTarget(target);
    std::shared_lock lock(mutex_);
    std::vector<Annotation> out;
    auto t = targets_.find(target);
    if (t == targets_.end()) return out;
    out.reserve(t->second.size());
    for (const auto& [key, a] : t->second) out.push_back(a);
    return out;
  }

  std::optional<Annotation> find(const std::string& target, const std::string& key) override {
    requireTarget(target);
    requireKey(key);
    std::shared_lock lock(mutex_);
    auto t = targets_.find(target);
    if (t == targets_.end()) return std::nullopt;
    auto a = t->second.find(key);
    if (a == t->second.end()) return std::nullopt;
    return a->second;
  }

  void remove(const std::string& target, const std::string& key) override {
    requireTarget(target);
    requireKey(key);
    std::unique_lock lock(mutex_);
    auto t = targets_.find(target);
    if (t == targets_.end()) return;
    t->second.erase(key);
    if (t->second.empty()) targets_.erase(t);
  }

  void removeAll(const std::string& target) override {
    requireTarget(target);
    std::unique_lock lock(mutex_);
    targets_.erase(target);
  }

  std::vector<std::string> query(const AnnotationQuery& query) override {
    requireKey(query.key);
    std::vector<std::string> out;
    std::shared_lock lock(mutex_);
    uint64_t skipped = 0;
    // targets_ iterates in ascending order and holds each target once: the result is sorted
    // and unique without further work, and we can stop at the end of the page.
    for (const auto& [target, annotations] : targets_) {
      if (out.size() >= query.limit) break;
      auto a = annotations.find(query.key);
      if (a == annotations.end()) continue;
      bool hit = false;
      for (const auto& v : a->second.values) {
        if (matches(v, query.op, query.value)) {
          hit = true;
          break;
        }
      }
      if (!hit) continue;
      if (skipped < query.offset) {
        ++skipped;
        continue;
      }
      out.push_back(target);
    }
    return out;
  }

  std::vector<std::string> targets(const std::string& after, uint64_t limit) override {
    std::vector<std::string> out;
    std::shared_lock lock(mutex_);
    for (auto it = after.empty() ? targets_.begin() : targets_.upper_bound(after);
         it != targets_.end() && (limit == 0 || out.size() < limit); ++it)
      out.push_back(it->first);
    return out;
  }

 private:
  std::shared_mutex mutex_;
  // Targets without annotations are erased.
  std::map<std::string, std::map<std::string, Annotation>> targets_;
};

}  // namespace

std::shared_ptr<AnnotationStore> makeMemoryAnnotationStore() {
  return std::make_shared<MemoryAnnotationStore>();
}

}  // namespace strata
