// The in-memory annotations store: target -> key -> annotation, under one shared_mutex.
// Searches scan the targets with the prefix, which is fine for the sizes a memory store holds;
// persistent backends index by key and value instead. Etags are UUIDs, kept per target.
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/util.h>

#include <algorithm>
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
    std::string etag = newUuid();
    std::unique_lock lock(mutex_);
    auto& t = targets_[target];
    t.annotations[annotation.key] = annotation;
    t.etag = std::move(etag);
  }

  std::string replaceAll(const std::string& target, const std::vector<Annotation>& all,
                         const std::string& ifMatch) override {
    requireTarget(target);
    // Validate everything first so that a bad annotation leaves the old set untouched.
    std::map<std::string, Annotation> next;
    for (const auto& a : all) {
      validate(a);
      if (!next.emplace(a.key, a).second) throw BadRequest("annotation key '" + a.key + "' appears twice");
    }
    std::string etag = next.empty() ? std::string(kNoAnnotationsEtag) : newUuid();
    std::unique_lock lock(mutex_);
    auto t = targets_.find(target);
    if (!ifMatch.empty()) {
      const std::string current = t == targets_.end() ? std::string(kNoAnnotationsEtag) : t->second.etag;
      if (current != ifMatch)
        throw PreconditionFailed("etag_mismatch",
                                 "the annotations of '" + target + "' have changed (etag mismatch)");
    }
    if (next.empty()) {
      if (t != targets_.end()) targets_.erase(t);
    } else {
      auto& slot = targets_[target];
      slot.annotations = std::move(next);
      slot.etag = etag;
    }
    return etag;
  }

  AnnotationSet read(const std::string& target) override {
    requireTarget(target);
    AnnotationSet out;
    std::shared_lock lock(mutex_);
    auto t = targets_.find(target);
    if (t == targets_.end()) return out;
    out.etag = t->second.etag;
    out.annotations.reserve(t->second.annotations.size());
    for (const auto& [key, a] : t->second.annotations) out.annotations.push_back(a);
    return out;
  }

  std::vector<Annotation> list(const std::string& target) override { return read(target).annotations; }

  std::optional<Annotation> find(const std::string& target, const std::string& key) override {
    requireTarget(target);
    requireKey(key);
    std::shared_lock lock(mutex_);
    auto t = targets_.find(target);
    if (t == targets_.end()) return std::nullopt;
    auto a = t->second.annotations.find(key);
    if (a == t->second.annotations.end()) return std::nullopt;
    return a->second;
  }

  void remove(const std::string& target, const std::string& key) override {
    requireTarget(target);
    requireKey(key);
    std::string etag = newUuid();
    std::unique_lock lock(mutex_);
    auto t = targets_.find(target);
    if (t == targets_.end() || t->second.annotations.erase(key) == 0) return;
    if (t->second.annotations.empty())
      targets_.erase(t);
    else
      t->second.etag = std::move(etag);
  }

  void removeAll(const std::string& target) override {
    requireTarget(target);
    std::unique_lock lock(mutex_);
    targets_.erase(target);
  }

  AnnotationPage search(const AnnotationSearch& search) override {
    validate(search);
    struct Hit {
      std::optional<AnnotationValue> sortValue;
      const std::string* target;
    };
    const auto before = [&](const Hit& a, const Hit& b) {
      return annotationSortsBefore(a.sortValue, *a.target, b.sortValue, *b.target, search.descending);
    };
    AnnotationPage page;
    std::shared_lock lock(mutex_);
    std::vector<Hit> hits;
    // targets_ iterates in ascending order, so the prefix is one contiguous run of it.
    for (auto it = targets_.lower_bound(search.targetPrefix);
         it != targets_.end() && it->first.compare(0, search.targetPrefix.size(), search.targetPrefix) == 0;
         ++it) {
      const auto& annotations = it->second.annotations;
      bool all = true;
      for (const auto& clause : search.clauses) {
        auto a = annotations.find(clause.key);
        bool hit = false;
        if (a != annotations.end())
          for (const auto& v : a->second.values)
            if ((hit = matches(v, clause.op, clause.value))) break;
        if (!(all = hit)) break;
      }
      if (!all) continue;
      // By target id: the id is the value.
      Hit hit{AnnotationValue(it->first), &it->first};
      if (!search.sortKey.empty()) {
        auto a = annotations.find(search.sortKey);
        hit.sortValue = annotationSortValue(a == annotations.end() ? nullptr : &a->second, search.descending);
      }
      hits.push_back(std::move(hit));
    }
    page.total = hits.size();
    if (!search.sortKey.empty() || search.descending) std::stable_sort(hits.begin(), hits.end(), before);
    for (uint64_t i = search.offset; i < hits.size() && page.targets.size() < search.limit; ++i)
      page.targets.push_back(*hits[i].target);
    return page;
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
  struct Target {
    std::string etag;
    std::map<std::string, Annotation> annotations;
  };
  std::shared_mutex mutex_;
  // Targets without annotations are erased (their etag is kNoAnnotationsEtag).
  std::map<std::string, Target> targets_;
};

}  // namespace

std::shared_ptr<AnnotationStore> makeMemoryAnnotationStore() {
  return std::make_shared<MemoryAnnotationStore>();
}

}  // namespace strata
