// The in-memory entities store. One std::shared_mutex guards every collection: writes are
// short (the JSON copying happens outside the lock), and lists take it shared.
//
// Filter and sort semantics, which the other backends follow as closely as their engines let
// them:
// - Values compare within their kind only: numbers numerically (integers exactly, mixed with
//   doubles through long double), strings lexicographically by bytes, booleans false < true,
//   objects and arrays by their compact JSON text.
// - A filter on a missing or null field never holds, except that a filter whose value is null
//   (an empty Var) tests presence: Eq holds for missing/null fields, Ne for present ones.
// - A filter whose value is of another kind than the field's never holds.
// - Sorting orders kinds null/missing < boolean < number < string < object/array, so missing
//   fields come first in ascending order; ties break by id, ascending, so pages are stable.
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/util.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <sstream>

namespace strata {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

template <typename T>
int threeWay(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

enum Kind { kNull = 0, kBool = 1, kNumber = 2, kString = 3, kOther = 4 };

Kind kindOf(const Var& v) {
  if (v.isEmpty()) return kNull;
  // Before isNumeric(): Poco counts bool as numeric.
  if (v.isBoolean()) return kBool;
  if (v.isNumeric()) return kNumber;
  if (v.isString()) return kString;
  return kOther;
}

long double toLongDouble(const Var& v) {
  if (v.isInteger())
    return v.isSigned() ? static_cast<long double>(v.convert<Poco::Int64>())
                        : static_cast<long double>(v.convert<Poco::UInt64>());
  return static_cast<long double>(v.convert<double>());
}

int compareNumbers(const Var& a, const Var& b) {
  if (a.isInteger() && b.isInteger()) {
    // Converting a UInt64 above INT64_MAX to Int64 throws, hence the four cases.
    const bool as = a.isSigned(), bs = b.isSigned();
    if (as && bs) return threeWay(a.convert<Poco::Int64>(), b.convert<Poco::Int64>());
    if (!as && !bs) return threeWay(a.convert<Poco::UInt64>(), b.convert<Poco::UInt64>());
    if (as) {
      const Poco::Int64 x = a.convert<Poco::Int64>();
      return x < 0 ? -1 : threeWay(static_cast<Poco::UInt64>(x), b.convert<Poco::UInt64>());
    }
    const Poco::Int64 y = b.convert<Poco::Int64>();
    return y < 0 ? 1 : threeWay(a.convert<Poco::UInt64>(), static_cast<Poco::UInt64>(y));
  }
  // long double holds every int64 and uint64 exactly on the x86-64 and aarch64 ABIs we build
  // for; NaN sorts below every number so that sorting stays a strict weak order.
  const long double x = toLongDouble(a), y = toLongDouble(b);
  const bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return xn && yn ? 0 : (xn ? -1 : 1);
  return threeWay(x, y);
}

std::string compactJson(const Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

// Three-way comparison of two values of the same kind.
int compareSameKind(Kind kind, const Var& a, const Var& b) {
  switch (kind) {
    case kNull: return 0;
    case kBool: return threeWay(a.convert<bool>(), b.convert<bool>());
    case kNumber: return compareNumbers(a, b);
    case kString: return threeWay(a.convert<std::string>(), b.convert<std::string>());
    case kOther: return threeWay(compactJson(a), compactJson(b));
  }
  return 0;
}

// The total order used for sorting.
int compareForSort(const Var& a, const Var& b) {
  const Kind ka = kindOf(a), kb = kindOf(b);
  if (ka != kb) return ka < kb ? -1 : 1;
  return compareSameKind(ka, a, b);
}

bool holds(const Var& field, EntityFilter::Op op, const Var& value) {
  const Kind kf = kindOf(field), kv = kindOf(value);
  if (kv == kNull) {
    if (op == EntityFilter::Op::Eq) return kf == kNull;
    if (op == EntityFilter::Op::Ne) return kf != kNull;
    return false;
  }
  if (kf != kv) return false;
  const int c = compareSameKind(kf, field, value);
  switch (op) {
    case EntityFilter::Op::Eq: return c == 0;
    case EntityFilter::Op::Ne: return c != 0;
    case EntityFilter::Op::Lt: return c < 0;
    case EntityFilter::Op::Le: return c <= 0;
    case EntityFilter::Op::Gt: return c > 0;
    case EntityFilter::Op::Ge: return c >= 0;
  }
  return false;
}

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
  if (field == "id") return Var(id);
  if (field == "created") return Var(static_cast<Poco::Int64>(r.created));
  if (field == "modified") return Var(static_cast<Poco::Int64>(r.modified));
  if (field == "version") return Var(static_cast<Poco::Int64>(r.version));
  return r.body->get(field);
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
    throw PreconditionFailed("etag_mismatch", "entity '" + id + "' in collection '" +
                                                  collection + "' has changed (etag mismatch)");
}

class MemoryEntityStore final : public EntityStore {
 public:
  Entity create(const std::string& collection, const std::string& id,
                const Object::Ptr& body) override {
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
        throw Conflict("exists", "entity '" + key + "' already exists in collection '" +
                                     collection + "'");
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

  void remove(const std::string& collection, const std::string& id,
              const std::string& ifMatch) override {
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
    EntityPage page;
    std::vector<Snapshot> snapshots;
    {
      std::shared_lock lock(mutex_);
      auto c = collections_.find(collection);
      if (c == collections_.end()) return page;

      struct Hit {
        const std::string* id;
        const Record* record;
        Var sortKey;
      };
      std::vector<Hit> hits;
      for (const auto& [id, record] : c->second) {
        bool ok = true;
        for (const auto& f : query.filters) {
          if (!holds(fieldOf(id, record, f.field), f.op, f.value)) {
            ok = false;
            break;
          }
        }
        if (ok) hits.push_back(Hit{&id, &record, fieldOf(id, record, query.sortBy)});
      }
      page.total = hits.size();
      if (query.sortBy != "id" || query.descending) {
        // The map iterates ids in ascending order already, so a stable sort on the key alone
        // keeps ties ordered by id.
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
          const int c = compareForSort(a.sortKey, b.sortKey);
          return query.descending ? c > 0 : c < 0;
        });
      }
      if (query.offset < hits.size()) {
        const uint64_t end =
            query.offset + std::min<uint64_t>(query.limit, hits.size() - query.offset);
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
};

}  // namespace

std::shared_ptr<EntityStore> makeMemoryEntityStore() {
  return std::make_shared<MemoryEntityStore>();
}

}  // namespace strata
