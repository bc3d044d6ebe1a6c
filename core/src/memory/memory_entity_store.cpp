// The in-memory entities store. One std::shared_mutex guards every collection: writes are
// short (the JSON copying happens outside the lock), and lists take it shared.
//
// Filters and sorting follow the contract's rules by calling them (stores/entity_store.h:
// entityFilterHolds, entitySortKey, compareEntitySortKeys); ties break by id, ascending, so
// pages are stable.
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/util.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <mutex>
#include <shared_mutex>
#include <sstream>

namespace strata {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

std::string serialize(const Object::Ptr& body) {
  std::ostringstream os;
  if (body)
    body->stringify(os);
  else
    os << "{}";
  return os.str();
}

Object::Ptr parseObject(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Object::Ptr>();
}

struct Record {
  std::string etag;
  int64_t version = 0;
  int64_t created = 0;
  int64_t modified = 0;
  // The store's private parse of the body, read (never written) under the shared lock to
  // filter and sort. Callers only ever get fresh parses of `json`, so nothing aliases it.
  Object::Ptr body;
  std::string json;
};

// A stored body in both its forms. Going through the JSON text also normalises the values to
// what the JSON parser yields (Int64, double, std::string...), which is what a persistent
// backend returns too.
struct Body {
  Object::Ptr parsed;
  std::string json;
};

Body copyBody(const Object::Ptr& body) {
  Body b;
  b.json = serialize(body);
  b.parsed = parseObject(b.json);
  return b;
}

Var fieldOf(const std::string& id, const Record& r, const std::string& field) {
  return entityField(id, r.created, r.modified, r.version, *r.body, field);
}

// Record metadata plus JSON text: copied under the lock, turned into an Entity after it.
struct Snapshot {
  std::string collection;
  std::string id;
  std::string etag;
  int64_t version = 0, created = 0, modified = 0;
  std::string json;
};

Snapshot snapshot(const std::string& collection, const std::string& id, const Record& r) {
  return Snapshot{collection, id, r.etag, r.version, r.created, r.modified, r.json};
}

Entity toEntity(Snapshot s) {
  Entity e;
  e.collection = std::move(s.collection);
  e.id = std::move(s.id);
  e.etag = std::move(s.etag);
  e.version = s.version;
  e.created = s.created;
  e.modified = s.modified;
  e.body = parseObject(s.json);
  return e;
}

void requireName(const std::string& value, const char* what) {
  if (value.empty()) throw BadRequest(std::string("an entity needs a non-empty ") + what);
}

[[noreturn]] void throwNotFound(const std::string& collection, const std::string& id) {
  throw NotFound("no entity '" + id + "' in collection '" + collection + "'");
}

void checkEtag(const Record& r, const std::string& collection, const std::string& id,
               const std::string& ifMatch) {
  if (!ifMatch.empty() && ifMatch != r.etag)
    throw PreconditionFailed("etag_mismatch", "entity '" + id + "' in collection '" + collection +
                                                  "' has changed (etag mismatch)");
}

class MemoryEntityStore final : public EntityStore {
 public:
  Entity create(const std::string& collection, const std::string& id, const Object::Ptr& body) override {
    requireName(collection, "collection");
    const std::string key = id.empty() ? newUuid() : id;
    Body copy = copyBody(body);
    Record r;
    r.etag = newUuid();
    r.version = 1;
    r.created = r.modified = nowMillis();
    r.body = std::move(copy.parsed);
    r.json = std::move(copy.json);
    Snapshot s;
    {
      std::unique_lock lock(mutex_);
      auto& entities = collections_[collection];
      auto [it, inserted] = entities.try_emplace(key, std::move(r));
      if (!inserted)
        throw Conflict("exists", "entity '" + key + "' already exists in collection '" + collection + "'");
      s = snapshot(collection, key, it->second);
    }
    return toEntity(std::move(s));
  }

  std::optional<Entity> find(const std::string& collection, const std::string& id) override {
    requireName(collection, "collection");
    requireName(id, "id");
    Snapshot s;
    {
      std::shared_lock lock(mutex_);
      const Record* r = lookup(collection, id);
      if (!r) return std::nullopt;
      s = snapshot(collection, id, *r);
    }
    return toEntity(std::move(s));
  }

  Entity update(const std::string& collection, const std::string& id, const Object::Ptr& body,
                const std::string& ifMatch) override {
    requireName(collection, "collection");
    requireName(id, "id");
    Body copy = copyBody(body);
    std::string etag = newUuid();
    const int64_t now = nowMillis();
    Snapshot s;
    {
      std::unique_lock lock(mutex_);
      Record* r = lookup(collection, id);
      if (!r) throwNotFound(collection, id);
      checkEtag(*r, collection, id, ifMatch);
      r->etag = std::move(etag);
      r->version += 1;
      // Never let modified run backwards if the wall clock does.
      r->modified = std::max(now, r->modified);
      r->body = std::move(copy.parsed);
      r->json = std::move(copy.json);
      s = snapshot(collection, id, *r);
    }
    return toEntity(std::move(s));
  }

  void remove(const std::string& collection, const std::string& id, const std::string& ifMatch) override {
    requireName(collection, "collection");
    requireName(id, "id");
    std::unique_lock lock(mutex_);
    auto c = collections_.find(collection);
    if (c == collections_.end()) throwNotFound(collection, id);
    auto it = c->second.find(id);
    if (it == c->second.end()) throwNotFound(collection, id);
    checkEtag(it->second, collection, id, ifMatch);
    c->second.erase(it);
    if (c->second.empty()) collections_.erase(c);
  }

  EntityPage list(const std::string& collection, const EntityQuery& query) override {
    requireName(collection, "collection");
    validate(query);
    const std::vector<EntityOrder> order = entityOrder(query);
    EntityPage page;
    std::vector<Snapshot> snapshots;
    {
      std::shared_lock lock(mutex_);
      auto c = collections_.find(collection);
      if (c == collections_.end()) return page;

      struct Hit {
        const std::string* id;
        const Record* record;
        std::vector<EntitySortKey> sortKeys;
      };
      std::vector<Hit> hits;
      // The ids with the prefix are one run of the map.
      for (auto it = c->second.lower_bound(query.idPrefix);
           it != c->second.end() && it->first.compare(0, query.idPrefix.size(), query.idPrefix) == 0; ++it) {
        const auto& [id, record] = *it;
        if (!entityMatches(id, record.created, record.modified, record.version, *record.body, query))
          continue;
        std::vector<EntitySortKey> keys;
        for (const auto& o : order) keys.push_back(entitySortKey(fieldOf(id, record, o.field)));
        hits.push_back(Hit{&id, &record, std::move(keys)});
      }
      page.total = hits.size();
      if (!entityOrderIsById(order) || order[0].descending) {
        // The map iterates ids in ascending order already, so a stable sort on the keys alone
        // keeps ties ordered by id.
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
          return compareEntityOrder(a.sortKeys, b.sortKeys, order) < 0;
        });
      }
      if (query.offset < hits.size()) {
        const uint64_t end = query.offset + std::min<uint64_t>(query.limit, hits.size() - query.offset);
        for (uint64_t i = query.offset; i < end; ++i)
          snapshots.push_back(snapshot(collection, *hits[i].id, *hits[i].record));
      }
    }
    page.items.reserve(snapshots.size());
    for (auto& s : snapshots) page.items.push_back(toEntity(std::move(s)));
    return page;
  }

  std::vector<std::string> collections() override {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    out.reserve(collections_.size());
    for (const auto& [name, entities] : collections_) out.push_back(name);
    return out;
  }

  std::vector<Entity> apply(const EntityBatch& batch) override {
    validate(batch);
    using Kind = EntityOperation::Kind;
    const auto& ops = batch.operations;
    // Everything that needs no lock: ids, bodies, etags.
    std::vector<std::string> ids(ops.size());
    std::vector<Body> bodies(ops.size());
    std::vector<std::string> etags(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      ids[i] = ops[i].kind == Kind::Create && ops[i].id.empty() ? newUuid() : ops[i].id;
      if (ops[i].kind == Kind::Create || ops[i].kind == Kind::Update) {
        bodies[i] = copyBody(ops[i].body);
        etags[i] = newUuid();
      }
    }
    const int64_t now = nowMillis();
    std::vector<Snapshot> out(ops.size());
    {
      std::unique_lock lock(mutex_);
      // The batch's writes so far, by (collection, id); nullopt = removed. Nothing in the
      // store changes until every operation has passed its checks.
      std::map<std::pair<std::string, std::string>, std::optional<Record>> staged;
      for (std::size_t i = 0; i < ops.size(); ++i) {
        const EntityOperation& op = ops[i];
        const auto key = std::make_pair(op.collection, ids[i]);
        const Record* r = nullptr;
        if (auto it = staged.find(key); it != staged.end())
          r = it->second ? &*it->second : nullptr;
        else
          r = lookup(op.collection, ids[i]);
        const std::string label = entityOperationLabel(i, op);
        if (op.kind == Kind::Create) {
          if (r) throw Conflict("exists", label + "the entity already exists");
          Record created;
          created.etag = etags[i];
          created.version = 1;
          created.created = created.modified = now;
          created.body = bodies[i].parsed;
          created.json = bodies[i].json;
          out[i] = snapshot(op.collection, ids[i], created);
          staged[key] = std::move(created);
          continue;
        }
        if (!r) throw NotFound(label + "no such entity");
        if (!op.ifMatch.empty() && op.ifMatch != r->etag)
          throw PreconditionFailed("etag_mismatch", label + "the entity has changed (etag mismatch)");
        if (op.kind == Kind::Update) {
          Record updated = *r;
          updated.etag = etags[i];
          updated.version += 1;
          updated.modified = std::max(now, r->modified);
          updated.body = bodies[i].parsed;
          updated.json = bodies[i].json;
          out[i] = snapshot(op.collection, ids[i], updated);
          staged[key] = std::move(updated);
        } else {
          out[i] = snapshot(op.collection, ids[i], *r);
          if (op.kind == Kind::Remove) staged[key] = std::nullopt;
        }
      }
      for (auto& [key, record] : staged) {
        if (record) {
          collections_[key.first][key.second] = std::move(*record);
          continue;
        }
        auto c = collections_.find(key.first);
        if (c == collections_.end()) continue;  // created and removed within the batch
        c->second.erase(key.second);
        if (c->second.empty()) collections_.erase(c);
      }
    }
    std::vector<Entity> entities;
    entities.reserve(out.size());
    for (auto& s : out) entities.push_back(toEntity(std::move(s)));
    return entities;
  }

  // Lists scan the collection's map in memory anyway: an index would save parsing nothing.
  void declareIndex(const std::string& collection, const std::string& field) override {
    validateIndex(collection, field);
  }

  int64_t nextSequence(const std::string& name) override {
    if (name.empty()) throw BadRequest("a sequence needs a non-empty name");
    std::lock_guard lock(sequenceMutex_);
    return ++sequences_[name];
  }

 private:
  Record* lookup(const std::string& collection, const std::string& id) {
    auto c = collections_.find(collection);
    if (c == collections_.end()) return nullptr;
    auto it = c->second.find(id);
    return it == c->second.end() ? nullptr : &it->second;
  }

  std::shared_mutex mutex_;
  // Empty collections are erased, so collections() is just the keys.
  std::map<std::string, std::map<std::string, Record>> collections_;
  std::mutex sequenceMutex_;
  std::map<std::string, int64_t> sequences_;  // name -> last value given
};

}  // namespace

std::shared_ptr<EntityStore> makeMemoryEntityStore() { return std::make_shared<MemoryEntityStore>(); }

}  // namespace strata
