#include "storage_refs.h"

#include <strata/errors.h>

#include <utility>
#include <vector>

namespace strata::slycat {

namespace {

constexpr const char* kStorage = "slycat-storage";
// Conditional updates that lose a race start again; a change that loses this many gives up.
constexpr int kAttempts = 1000;

Poco::JSON::Object::Ptr countBody(int64_t n) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("references", n);
  return o;
}

int64_t references(const Entity& e) {
  if (!e.body || !e.body->has("references")) return 0;
  const Poco::Dynamic::Var v = e.body->get("references");
  return v.isNumeric() ? v.convert<int64_t>() : 0;
}

ServiceUnavailable busy(const std::string& sid) {
  return ServiceUnavailable("the reference count of storage '" + sid + "' is changing too often; try again");
}

}  // namespace

StorageRefs::StorageRefs(std::shared_ptr<EntityStore> entities, std::shared_ptr<ArrayStore> arrays)
    : entities_(std::move(entities)), arrays_(std::move(arrays)) {}

void StorageRefs::add(const std::string& sid) { entities_->create(kStorage, sid, countBody(1)); }

void StorageRefs::acquire(const std::string& sid) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto e = entities_->find(kStorage, sid);
    if (!e) {
      // Storage from before the counts: its container has the one reference of its model.
      if (!arrays_->findContainer(container(sid))) throw NotFound("storage '" + sid + "' is gone");
      try {
        entities_->create(kStorage, sid, countBody(2));
        return;
      } catch (const Conflict&) {
        continue;  // another acquire or release wrote the count first
      }
    }
    const int64_t n = references(*e);
    if (n <= 0) throw NotFound("storage '" + sid + "' is gone");
    try {
      entities_->update(kStorage, sid, countBody(n + 1), e->etag);
      return;
    } catch (const PreconditionFailed&) {
    } catch (const NotFound&) {
    }
  }
  throw busy(sid);
}

void StorageRefs::release(const std::string& sid) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto e = entities_->find(kStorage, sid);
    if (!e) {
      if (!arrays_->findContainer(container(sid))) return;  // gone already
      // Storage from before the counts, with its one reference: this is the last release.
      try {
        const Entity going = entities_->create(kStorage, sid, countBody(0));
        drop(sid, going.etag);
        return;
      } catch (const Conflict&) {
        continue;
      }
    }
    const int64_t n = references(*e);
    if (n <= 0) return;  // a last release is under way
    try {
      const Entity now = entities_->update(kStorage, sid, countBody(n - 1), e->etag);
      if (n == 1) drop(sid, now.etag);
      return;
    } catch (const PreconditionFailed&) {
    } catch (const NotFound&) {
    }
  }
  throw busy(sid);
}

void StorageRefs::drop(const std::string& sid, const std::string& etag) {
  try {
    arrays_->deleteContainer(container(sid));
  } catch (const NotFound&) {
  }
  try {
    entities_->remove(kStorage, sid, etag);
  } catch (const NotFound&) {
  } catch (const PreconditionFailed&) {
  }
}

std::optional<int64_t> StorageRefs::count(const std::string& sid) {
  const auto e = entities_->find(kStorage, sid);
  if (!e) return std::nullopt;
  return references(*e);
}

uint64_t StorageRefs::finishReleases() {
  EntityQuery q;
  q.filters.push_back({"references", EntityFilter::Op::Le, Poco::Dynamic::Var(int64_t(0))});
  q.limit = 500;
  std::vector<Entity> going;
  for (;;) {
    const EntityPage page = entities_->list(kStorage, q);
    going.insert(going.end(), page.items.begin(), page.items.end());
    q.offset += page.items.size();
    if (page.items.size() < q.limit) break;
  }
  for (const auto& e : going) drop(e.id, e.etag);
  return going.size();
}

}  // namespace strata::slycat
