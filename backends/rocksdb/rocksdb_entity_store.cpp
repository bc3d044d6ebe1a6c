// Layout: column family "entities", one key per entity,
//
//   key   = collection \0 \1 id      (collection escaped as in rocksdb_keys.h, id raw)
//   value = {"etag":"...","version":N,"created":ms,"modified":ms,"body":{...}}
//
// so a collection is one contiguous key range in id order. Writes that read first (create's
// existence check, the etag check of a conditional update or remove) run under a striped
// mutex keyed by the entity's key: RocksDB's LOCK file makes this process the only writer,
// so the mutex alone makes read-check-write atomic, without transactions.
//
// apply() (an atomic batch) locks the stripes of every key it names, in ascending stripe
// order (see striped_mutex.h), reads and checks each operation against the database and the
// batch's own earlier writes, and then writes everything as one rocksdb::WriteBatch, which
// RocksDB applies atomically (also across a crash: the WAL holds it whole or not at all).
// Readers use snapshots, so they see all of a batch or none of it.
//
// Sequences: column family "entity_sequences", key = the sequence's name, value = the last
// value given, in decimal. nextSequence() reads it (once; later from a cache), adds one and
// puts the new value under one mutex before returning it: this process is the only writer,
// so the mutex makes the increment atomic, and the put is as durable as any entity write
// (WriteOptions.sync as configured), so a value returned is never returned again after a
// restart. A merge operator would save the read but not tell the caller the new value.
//
// Indexes: column family "entity_index" (keys below, at indexValuePrefix). Every write to a
// collection with declared indexes puts its index changes in the same WriteBatch as the
// entity, under indexMutex_ held shared; declareIndex() holds it exclusively while it indexes
// the stored entities.
//
// list() reads from one snapshot, over the range of the collection and id prefix (one range
// scan). A filter `id In [...]` turns it into one point lookup per listed id, and an Eq or In
// filter on an indexed field (also inside a condition: an And through one operand, an Or
// through all, never through a negation) into index range scans and a point lookup per entry. Sorted by id
// (the key order, either way round) it streams the range and parses only the page, or every entity when there
// are filters or conditions; the total is counted on the way. Sorted by another field it must look at every
// matching entity: it keeps the best offset+limit sort keys in a heap (memory O(offset+limit), time O(n
// log(offset+limit))) and then reads the page's entities again by key.
#include "rocksdb_entity_store.h"

#include "rocksdb_keys.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <sstream>

namespace strata::rocksdb {

namespace {

using Poco::JSON::Object;

void requireName(const std::string& value, const char* what) {
  if (value.empty()) throw BadRequest(std::string("an entity needs a non-empty ") + what);
}

[[noreturn]] void throwNotFound(const std::string& collection, const std::string& id) {
  throw NotFound("no entity '" + id + "' in collection '" + collection + "'");
}

void checkEtag(const Entity& e, const std::string& ifMatch) {
  if (!ifMatch.empty() && ifMatch != e.etag)
    throw PreconditionFailed("etag_mismatch", "entity '" + e.id + "' in collection '" + e.collection +
                                                  "' has changed (etag mismatch)");
}

std::string entityKey(const std::string& collection, const std::string& id) {
  std::string key = component(collection);
  key += id;
  return key;
}

std::string serialize(const Object::Ptr& body) {
  std::ostringstream os;
  if (body)
    body->stringify(os);
  else
    os << "{}";
  return os.str();
}

// The record as stored. Built as text around the already serialised body so that the body is
// serialised once; the etag is a UUID and needs no escaping.
std::string encodeRecord(const std::string& etag, int64_t version, int64_t created, int64_t modified,
                         const std::string& bodyJson) {
  std::string out;
  out.reserve(bodyJson.size() + 128);
  out += "{\"etag\":\"";
  out += etag;
  out += "\",\"version\":";
  out += std::to_string(version);
  out += ",\"created\":";
  out += std::to_string(created);
  out += ",\"modified\":";
  out += std::to_string(modified);
  out += ",\"body\":";
  out += bodyJson;
  out += '}';
  return out;
}

// Index keys (column family "entity_index"): 'D' collection field = a declared index;
// 'E' collection field value id = an entry. Values: 'B' 0|1, 'N' the number as an ordered
// double (integers through long double, -0 as 0: equal numbers give equal keys), 'S' the
// string's bytes. Other values (missing, null, objects, arrays) have no entry.
std::string indexDeclarationKey(const std::string& collection, const std::string& field) {
  return "D" + component(collection) + field;
}

std::string indexValuePrefix(const std::string& collection, const std::string& field,
                             const std::string& value) {
  std::string key = "E";
  appendComponent(key, collection);
  appendComponent(key, field);
  appendComponent(key, value);
  return key;
}

std::optional<std::string> indexValue(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return std::nullopt;
  if (v.isBoolean()) return std::string(v.convert<bool>() ? "B1" : "B0");
  if (v.isNumeric()) {
    long double x = 0;
    if (v.isInteger())
      x = v.isSigned() ? static_cast<long double>(v.convert<Poco::Int64>())
                       : static_cast<long double>(v.convert<Poco::UInt64>());
    else
      x = v.convert<double>();
    double d = static_cast<double>(x);
    if (d == 0) d = 0.0;
    if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
    std::string out = "N";
    appendBigEndian64(out, orderedDouble(d));
    return out;
  }
  if (v.isString()) return "S" + v.convert<std::string>();
  return std::nullopt;
}

Object::Ptr parseBody(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Object::Ptr>();
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max() : a + b;
}

}  // namespace

RocksDbEntityStore::RocksDbEntityStore(std::shared_ptr<RocksDb> db, const StoreOptions& options)
    : db_(std::move(db)),
      claim_(db_->claimRole("entities", options.configPrefix)),
      cf_(db_->family(kEntities)),
      sequencesCf_(db_->family(kEntitySequences)),
      indexCf_(db_->family(kEntityIndex)) {
  write_.sync = options.sync;
  // The declared indexes.
  std::string collection;
  scan(*db_, indexCf_, ::rocksdb::ReadOptions(), "D", "", "reading the declared entity indexes",
       [&](const std::string& suffix, const ::rocksdb::Slice&) {
         std::size_t pos = 0;
         if (readComponent(suffix, pos, collection)) indexed_[collection].push_back(suffix.substr(pos));
         return true;
       });
}

std::vector<std::string> RocksDbEntityStore::indexedFields(const std::string& collection) const {
  const auto it = indexed_.find(collection);
  return it == indexed_.end() ? std::vector<std::string>{} : it->second;
}

void RocksDbEntityStore::indexWrites(::rocksdb::WriteBatch& batch, const std::vector<std::string>& fields,
                                     const std::string& collection, const std::string& id,
                                     const Object* oldBody, const Object* newBody) {
  for (const auto& field : fields) {
    if (oldBody) {
      if (auto v = indexValue(entityField(id, 0, 0, 0, *oldBody, field)))
        db_->check(batch.Delete(indexCf_, indexValuePrefix(collection, field, *v) + id),
                   "indexing an entity");
    }
    if (newBody) {
      if (auto v = indexValue(entityField(id, 0, 0, 0, *newBody, field)))
        db_->check(batch.Put(indexCf_, indexValuePrefix(collection, field, *v) + id, ""),
                   "indexing an entity");
    }
  }
}

void RocksDbEntityStore::declareIndex(const std::string& collection, const std::string& field) {
  validateIndex(collection, field);
  {
    std::shared_lock lock(indexMutex_);
    const auto it = indexed_.find(collection);
    if (it != indexed_.end() && std::find(it->second.begin(), it->second.end(), field) != it->second.end())
      return;
  }
  // Writers hold the lock shared: none writes while the existing entities are indexed.
  std::unique_lock lock(indexMutex_);
  auto& fields = indexed_[collection];
  if (std::find(fields.begin(), fields.end(), field) != fields.end()) return;
  ::rocksdb::WriteBatch batch;
  const std::string prefix = component(collection);
  const std::string what = "indexing '" + field + "' of collection '" + collection + "'";
  scan(*db_, cf_, ::rocksdb::ReadOptions(), prefix, "", what,
       [&](const std::string& id, const ::rocksdb::Slice& value) {
         const Entity e = decode(collection, id, value.ToString());
         indexWrites(batch, {field}, collection, id, nullptr, e.body.get());
         return true;
       });
  db_->check(batch.Put(indexCf_, indexDeclarationKey(collection, field), ""), what);
  db_->write(write_, batch, what);
  fields.push_back(field);
}

Entity RocksDbEntityStore::decode(const std::string& collection, const std::string& id,
                                  const std::string& value) const {
  try {
    Poco::JSON::Parser parser;
    const auto record = parser.parse(value).extract<Object::Ptr>();
    Entity e;
    e.collection = collection;
    e.id = id;
    e.etag = record->getValue<std::string>("etag");
    e.version = record->getValue<Poco::Int64>("version");
    e.created = record->getValue<Poco::Int64>("created");
    e.modified = record->getValue<Poco::Int64>("modified");
    e.body = record->getObject("body");
    if (!e.body) throw Poco::DataFormatException("no body");
    return e;
  } catch (const Poco::Exception& ex) {
    db_->logger().error("RocksDB %s: unreadable entity record '%s' in collection '%s': %s", db_->path(), id,
                        collection, ex.displayText());
    throw InternalError("the RocksDB database at " + db_->path() + " holds a corrupt record for entity '" +
                        id + "' in collection '" + collection + "'");
  }
}

std::optional<Entity> RocksDbEntityStore::read(const std::string& collection, const std::string& id,
                                               const std::string& key, const ::rocksdb::Snapshot* snapshot) {
  ::rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::string value;
  const ::rocksdb::Status s = db_->db().Get(ro, cf_, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  db_->check(s, "reading entity '" + id + "' in collection '" + collection + "'");
  return decode(collection, id, value);
}

Entity RocksDbEntityStore::create(const std::string& collection, const std::string& id,
                                  const Object::Ptr& body) {
  requireName(collection, "collection");
  const std::string name = id.empty() ? newUuid() : id;
  const std::string key = entityKey(collection, name);
  const std::string json = serialize(body);
  const int64_t now = nowMillis();
  const std::string value = encodeRecord(newUuid(), 1, now, now, json);
  {
    std::shared_lock indexLock(indexMutex_);
    const std::vector<std::string> fields = indexedFields(collection);
    std::lock_guard lock(stripes_.forKey(key));
    if (read(collection, name, key, nullptr))
      throw Conflict("exists", "entity '" + name + "' already exists in collection '" + collection + "'");
    const std::string what = "creating entity '" + name + "' in collection '" + collection + "'";
    if (fields.empty()) {
      db_->put(write_, cf_, key, value, what);
    } else {
      ::rocksdb::WriteBatch batch;
      db_->check(batch.Put(cf_, key, value), what);
      indexWrites(batch, fields, collection, name, nullptr, parseBody(json).get());
      db_->write(write_, batch, what);
    }
  }
  return decode(collection, name, value);
}

std::optional<Entity> RocksDbEntityStore::find(const std::string& collection, const std::string& id) {
  requireName(collection, "collection");
  requireName(id, "id");
  return read(collection, id, entityKey(collection, id), nullptr);
}

Entity RocksDbEntityStore::update(const std::string& collection, const std::string& id,
                                  const Object::Ptr& body, const std::string& ifMatch) {
  requireName(collection, "collection");
  requireName(id, "id");
  const std::string key = entityKey(collection, id);
  const std::string json = serialize(body);
  const std::string etag = newUuid();
  const int64_t now = nowMillis();
  std::string value;
  {
    std::shared_lock indexLock(indexMutex_);
    const std::vector<std::string> fields = indexedFields(collection);
    std::lock_guard lock(stripes_.forKey(key));
    const auto old = read(collection, id, key, nullptr);
    if (!old) throwNotFound(collection, id);
    checkEtag(*old, ifMatch);
    // Never let modified run backwards if the wall clock does.
    value = encodeRecord(etag, old->version + 1, old->created, std::max(now, old->modified), json);
    const std::string what = "updating entity '" + id + "' in collection '" + collection + "'";
    if (fields.empty()) {
      db_->put(write_, cf_, key, value, what);
    } else {
      ::rocksdb::WriteBatch batch;
      db_->check(batch.Put(cf_, key, value), what);
      indexWrites(batch, fields, collection, id, old->body.get(), parseBody(json).get());
      db_->write(write_, batch, what);
    }
  }
  return decode(collection, id, value);
}

void RocksDbEntityStore::remove(const std::string& collection, const std::string& id,
                                const std::string& ifMatch) {
  requireName(collection, "collection");
  requireName(id, "id");
  const std::string key = entityKey(collection, id);
  std::shared_lock indexLock(indexMutex_);
  const std::vector<std::string> fields = indexedFields(collection);
  std::lock_guard lock(stripes_.forKey(key));
  const auto old = read(collection, id, key, nullptr);
  if (!old) throwNotFound(collection, id);
  checkEtag(*old, ifMatch);
  const std::string what = "removing entity '" + id + "' in collection '" + collection + "'";
  if (fields.empty()) {
    db_->remove(write_, cf_, key, what);
  } else {
    ::rocksdb::WriteBatch batch;
    db_->check(batch.Delete(cf_, key), what);
    indexWrites(batch, fields, collection, id, old->body.get(), nullptr);
    db_->write(write_, batch, what);
  }
}

EntityPage RocksDbEntityStore::list(const std::string& collection, const EntityQuery& query) {
  requireName(collection, "collection");
  validate(query);
  const std::vector<EntityOrder> order = entityOrder(query);
  const std::string what = "listing collection '" + collection + "'";
  const std::string prefix = component(collection);
  // Read before the snapshot: an index is declared only once its entries are written.
  std::vector<std::string> fields;
  {
    std::shared_lock lock(indexMutex_);
    fields = indexedFields(collection);
  }
  // Ids follow the collection's component raw, so the id prefix narrows the range.
  const std::string start = prefix + query.idPrefix;
  const std::string end = prefixEnd(start);
  ::rocksdb::ManagedSnapshot snapshot(&db_->db());
  const ::rocksdb::Slice lower(start), upper(end);
  ::rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  ro.iterate_lower_bound = &lower;
  ro.iterate_upper_bound = &upper;

  // The order of the page, ties by id ascending.
  struct Hit {
    std::vector<EntitySortKey> keys;
    std::string id;
  };
  const auto before = [&order](const Hit& a, const Hit& b) {
    const int c = compareEntityOrder(a.keys, b.keys, order);
    if (c != 0) return c < 0;
    return a.id < b.id;
  };

  EntityPage page;
  // The candidate ids, if the query names them: `id In [...]` (one point lookup per listed id
  // instead of a scan), or else an Eq or In filter on an indexed field (one index range scan per
  // value), or else a condition answered from indexes (indexCandidates below: an Or of such
  // filters is the union of their scans, as UFDL's visibility `is_public OR project In [...]`).
  std::optional<std::vector<std::string>> candidates;
  for (const auto& f : query.filters) {
    if (f.field != "id" || f.op != EntityFilter::Op::In || f.caseInsensitive) continue;
    candidates.emplace();
    for (const auto& v : entityFilterList(f.value).value_or(std::vector<Poco::Dynamic::Var>{}))
      if (v.isString()) candidates->push_back(v.convert<std::string>());
    break;
  }
  ::rocksdb::ReadOptions indexRead;  // the same snapshot, without the entity range's bounds
  indexRead.snapshot = ro.snapshot;
  // The ids an indexed Eq or In filter can hold for, or nullopt if the index cannot say.
  const auto filterCandidates = [&](const EntityFilter& f) -> std::optional<std::vector<std::string>> {
    if ((f.op != EntityFilter::Op::Eq && f.op != EntityFilter::Op::In) || f.caseInsensitive ||
        std::find(fields.begin(), fields.end(), f.field) == fields.end())
      return std::nullopt;
    std::vector<Poco::Dynamic::Var> values;
    if (f.op == EntityFilter::Op::Eq) {
      values.push_back(f.value);
    } else {
      auto list = entityFilterList(f.value);
      if (!list) return std::nullopt;
      values = std::move(*list);
    }
    std::vector<std::string> keys;
    for (const auto& v : values) {
      const auto key = indexValue(v);
      if (!key) return std::nullopt;  // a value the index does not hold (null, objects): scan
      keys.push_back(*key);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<std::string> ids;
    for (const auto& key : keys)
      scan(*db_, indexCf_, indexRead, indexValuePrefix(collection, f.field, key), "", what,
           [&](const std::string& id, const ::rocksdb::Slice&) {
             if (id.compare(0, query.idPrefix.size(), query.idPrefix) == 0) ids.push_back(id);
             return true;
           });
    return ids;
  };
  // The same for a condition: a filter as above, an And through any of its operands, an Or
  // through all of them (the union); never through a negation.
  std::function<std::optional<std::vector<std::string>>(const EntityCondition&)> conditionCandidates =
      [&](const EntityCondition& c) -> std::optional<std::vector<std::string>> {
    if (c.negate) return std::nullopt;
    switch (c.kind) {
      case EntityCondition::Kind::Filter:
        return filterCandidates(c.filter);
      case EntityCondition::Kind::And:
        for (const auto& operand : c.operands)
          if (auto ids = conditionCandidates(operand)) return ids;
        return std::nullopt;
      case EntityCondition::Kind::Or: {
        std::vector<std::string> all;
        for (const auto& operand : c.operands) {
          auto ids = conditionCandidates(operand);
          if (!ids) return std::nullopt;
          all.insert(all.end(), ids->begin(), ids->end());
        }
        return all;
      }
    }
    return std::nullopt;
  };
  for (const auto& f : query.filters) {
    if (candidates) break;
    candidates = filterCandidates(f);
  }
  for (const auto& c : query.conditions) {
    if (candidates) break;
    candidates = conditionCandidates(c);
  }
  if (candidates) {
    std::vector<std::string>& ids = *candidates;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<Entity> hits;
    for (const auto& id : ids) {
      if (id.empty()) continue;
      auto e = read(collection, id, entityKey(collection, id), ro.snapshot);
      if (e && entityMatches(*e, query)) hits.push_back(std::move(*e));
    }
    // `hits` is in id order: a stable sort on the keys keeps ties by id.
    std::vector<std::pair<std::vector<EntitySortKey>, std::size_t>> keyed;
    for (std::size_t i = 0; i < hits.size(); ++i) keyed.emplace_back(entitySortKeys(hits[i], order), i);
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      return compareEntityOrder(a.first, b.first, order) < 0;
    });
    page.total = hits.size();
    for (uint64_t i = query.offset; i < keyed.size() && page.items.size() < query.limit; ++i)
      page.items.push_back(std::move(hits[keyed[i].second]));
    return page;
  }

  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(ro, cf_));
  const auto idOf = [&] {
    const ::rocksdb::Slice k = it->key();
    return std::string(k.data() + prefix.size(), k.size() - prefix.size());
  };
  const bool unfiltered = query.filters.empty() && query.conditions.empty();

  if (entityOrderIsById(order)) {
    // The key order is the id order: stream, counting, and keep the page.
    const bool back = order[0].descending;
    uint64_t index = 0;
    for (back ? it->SeekToLast() : it->SeekToFirst(); it->Valid(); back ? it->Prev() : it->Next()) {
      const bool inPage = index >= query.offset && index - query.offset < query.limit;
      if (unfiltered) {
        if (inPage) page.items.push_back(decode(collection, idOf(), it->value().ToString()));
        ++index;
        continue;
      }
      Entity e = decode(collection, idOf(), it->value().ToString());
      if (!entityMatches(e, query)) continue;
      if (inPage) page.items.push_back(std::move(e));
      ++index;
    }
    db_->check(it->status(), what);
    page.total = index;
    return page;
  }

  // Any other order: keep the best offset+limit hits.
  // A max-heap under `before`: its top is the worst hit kept so far.
  std::priority_queue<Hit, std::vector<Hit>, decltype(before)> best(before);
  const uint64_t keep = saturatingAdd(query.offset, query.limit);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Entity e = decode(collection, idOf(), it->value().ToString());
    if (!entityMatches(e, query)) continue;
    ++page.total;
    if (keep == 0) continue;
    Hit hit{entitySortKeys(e, order), std::move(e.id)};
    if (best.size() < keep) {
      best.push(std::move(hit));
    } else if (before(hit, best.top())) {
      best.pop();
      best.push(std::move(hit));
    }
  }
  db_->check(it->status(), what);
  std::vector<std::string> ordered;
  ordered.reserve(best.size());
  while (!best.empty()) {
    ordered.push_back(best.top().id);
    best.pop();
  }
  std::reverse(ordered.begin(), ordered.end());
  for (uint64_t i = query.offset; i < ordered.size(); ++i) {
    // Same snapshot: the entity is there, as it was when it was counted.
    auto e = read(collection, ordered[i], entityKey(collection, ordered[i]), ro.snapshot);
    if (!e) throw InternalError("entity '" + ordered[i] + "' vanished from a snapshot of " + db_->path());
    page.items.push_back(std::move(*e));
  }
  return page;
}

std::vector<Entity> RocksDbEntityStore::apply(const EntityBatch& batch) {
  validate(batch);
  using Kind = EntityOperation::Kind;
  const auto& ops = batch.operations;
  if (ops.empty()) return {};
  std::vector<std::string> ids(ops.size()), keys(ops.size());
  std::vector<std::size_t> stripes;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ids[i] = ops[i].kind == Kind::Create && ops[i].id.empty() ? newUuid() : ops[i].id;
    keys[i] = entityKey(ops[i].collection, ids[i]);
    stripes.push_back(stripes_.indexOf(keys[i]));
  }
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  const int64_t now = nowMillis();

  std::shared_lock indexLock(indexMutex_);
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(stripes.size());
  for (std::size_t index : stripes) locks.emplace_back(stripes_.at(index));

  // The batch's writes so far, by key: the encoded record, or nullopt once removed; and the
  // record before the batch, for the index entries to drop.
  struct Staged {
    std::size_t op = 0;  // the first operation on the key
    std::optional<std::string> before, after;
  };
  std::map<std::string, Staged> staged;
  std::vector<std::string> results(ops.size());  // encoded records, decoded at the end
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const EntityOperation& op = ops[i];
    const std::string label = entityOperationLabel(i, op);
    auto it = staged.find(keys[i]);
    if (it == staged.end()) {
      Staged fresh;
      fresh.op = i;
      std::string value;
      const ::rocksdb::Status s = db_->db().Get(::rocksdb::ReadOptions(), cf_, keys[i], &value);
      if (!s.IsNotFound()) {
        db_->check(s, "reading entity '" + ids[i] + "' in collection '" + op.collection + "'");
        fresh.before = fresh.after = std::move(value);
      }
      it = staged.emplace(keys[i], std::move(fresh)).first;
    }
    const std::optional<std::string> current = it->second.after;
    if (op.kind == Kind::Create) {
      if (current) throw Conflict("exists", label + "the entity already exists");
      results[i] = encodeRecord(newUuid(), 1, now, now, serialize(op.body));
      it->second.after = results[i];
      continue;
    }
    if (!current) throw NotFound(label + "no such entity");
    const Entity old = decode(op.collection, ids[i], *current);
    if (!op.ifMatch.empty() && op.ifMatch != old.etag)
      throw PreconditionFailed("etag_mismatch", label + "the entity has changed (etag mismatch)");
    if (op.kind == Kind::Update) {
      results[i] = encodeRecord(newUuid(), old.version + 1, old.created, std::max(now, old.modified),
                                serialize(op.body));
      it->second.after = results[i];
    } else {
      results[i] = *current;
      if (op.kind == Kind::Remove) it->second.after = std::nullopt;
    }
  }

  ::rocksdb::WriteBatch writes;
  for (const auto& [key, change] : staged) {
    const std::string& collection = ops[change.op].collection;
    const std::string& id = ids[change.op];
    const auto& value = change.after;
    const ::rocksdb::Status s = value ? writes.Put(cf_, key, *value) : writes.Delete(cf_, key);
    db_->check(s, "preparing a batch of entity writes");
    const std::vector<std::string> fields = indexedFields(collection);
    if (fields.empty()) continue;
    const std::optional<Entity> before =
        change.before ? std::optional<Entity>(decode(collection, id, *change.before)) : std::nullopt;
    const std::optional<Entity> after =
        change.after ? std::optional<Entity>(decode(collection, id, *change.after)) : std::nullopt;
    indexWrites(writes, fields, collection, id, before ? before->body.get() : nullptr,
                after ? after->body.get() : nullptr);
  }
  db_->write(write_, writes, "writing a batch of " + std::to_string(ops.size()) + " entity operations");
  locks.clear();
  indexLock.unlock();

  std::vector<Entity> out;
  out.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) out.push_back(decode(ops[i].collection, ids[i], results[i]));
  return out;
}

int64_t RocksDbEntityStore::nextSequence(const std::string& name) {
  if (name.empty()) throw BadRequest("a sequence needs a non-empty name");
  const std::string what = "advancing sequence '" + name + "'";
  std::lock_guard lock(sequenceMutex_);
  auto it = sequences_.find(name);
  if (it == sequences_.end()) {
    std::string value;
    const ::rocksdb::Status s = db_->db().Get(::rocksdb::ReadOptions(), sequencesCf_, name, &value);
    int64_t last = 0;
    if (!s.IsNotFound()) {
      db_->check(s, what);
      std::size_t used = 0;
      try {
        last = std::stoll(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != value.size() || last < 0)
        throw InternalError("the RocksDB database at " + db_->path() +
                            " holds a corrupt value for sequence '" + name + "'");
    }
    it = sequences_.emplace(name, last).first;
  }
  const int64_t next = it->second + 1;
  db_->put(write_, sequencesCf_, name, std::to_string(next), what);
  it->second = next;
  return next;
}

std::vector<std::string> RocksDbEntityStore::collections() {
  std::vector<std::string> out;
  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(::rocksdb::ReadOptions(), cf_));
  std::string name;
  // One seek per collection: from a collection's first key straight past its range.
  for (it->SeekToFirst(); it->Valid();) {
    const ::rocksdb::Slice k = it->key();
    std::size_t pos = 0;
    if (!readComponent(std::string_view(k.data(), k.size()), pos, name)) {
      db_->logger().error("RocksDB %s: malformed entity key, skipped", db_->path());
      it->Next();
      continue;
    }
    out.push_back(name);
    it->Seek(prefixEnd(component(name)));
  }
  db_->check(it->status(), "listing collections");
  return out;
}

}  // namespace strata::rocksdb
