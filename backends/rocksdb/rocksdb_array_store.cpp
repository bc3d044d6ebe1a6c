// The rocksdb arrays store, part 1: containers, objects, links, attributes and committed
// datatypes (values and chunks are in rocksdb_array_values.cpp, the records' stored forms in
// rocksdb_array_documents.cpp).
//
// Layout of column family "arrays_meta", as HSDS lays out its object store (one document per
// object), with links and attributes as records of their own:
//
//   d/<container>                          container record {"root","created","modified","nextSeq"}
//   c/<container>\0\1 o/<id>               object document (JSON; below)
//   c/<container>\0\1 s/<k><seq>           creation order per kind k (g, d, t): value = id
//   c/<container>\0\1 x/<id>               tombstone of a deleted object: value = k + seq
//   c/<container>\0\1 l/<group>\0\1<name>  link (JSON)
//   c/<container>\0\1 a/<object>\0\1<name> attribute: u32 header length, JSON header, packed value
//
// (<seq> is a big-endian uint64; names are escaped as in rocksdb_keys.h.) So a container's
// keys are one range (deleting it is one DeleteRange), containers list in name order from the
// d/ range, objects of a kind list in creation order from their s/ range, and a group's links
// and an object's attributes list in name order from their own ranges, paging with one seek.
// Links and attributes are not inside their object's document, as they are in HSDS: adding one
// is then one small put and not a rewrite of a document that grows with every link, and an
// attribute's value (which may be large) is read only by the calls that want it. The object
// document keeps their counts, updated in the same write batch.
//
// Object documents: {"id","kind","seq","created","modified","attributes","links"}, plus for
// datatypes "type" (typeToJson, with "packing" for compounds: see packingOf), and for datasets
// "type", "packing", "committed" (the committed type's id, if any), "shape"
// {"class","dims","maxdims"}, "chunks" (as the client gave them), "layout" (the chunk shape the
// values are stored in), "fill" (hex of the packed fill value), "filters" and "creationProperties"
// (the client's JSON, as text). Types are stored in their JSON form and must survive the round trip
// (checked when they are created).
//
// Locking: metadata changes of a container run under its stripe of containerLocks_, held
// exclusively for the read-check-write (RocksDB's LOCK file makes this process the only
// writer, so no transactions are needed). Lookups take no lock and read from one snapshot.
// Deleting an object also takes the dataset stripe first, so that a value write in progress
// finishes before its dataset goes (lock order: dataset stripe, then container stripe).
//
// Deleted objects leave a tombstone (Gone, and a marker that still pages on) and take their
// links, attributes and chunks with them; links that led to them stay, as in HSDS and the
// memory store, and following one gives Gone.
#include "rocksdb_array_store.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "rocksdb_array_documents.h"
#include "rocksdb_array_support.h"

namespace strata::rocksdb {

using arrays::checkContainerName;
using arrays::Datatype;
using arrays::DatatypePtr;
using Poco::JSON::Array;
using Poco::JSON::Object;

Array::Ptr u64Array(const std::vector<uint64_t>& values) {
  Array::Ptr a = new Array;
  for (auto v : values) a->add(static_cast<Poco::UInt64>(v));
  return a;
}

namespace {

// The kinds findObject() may be asked to require.
const ObjectKind kGroupKind = ObjectKind::Group;
const ObjectKind kDatasetKind = ObjectKind::Dataset;
const ObjectKind kDatatypeKind = ObjectKind::Datatype;

// ---- chunk layout

// What a chosen chunk aims at (HSDS aims at 1-4 MB).
constexpr uint64_t kTargetChunkBytes = 1 << 20;
// A client's chunk shape is stored as given up to this size; a larger one is halved (as HSDS
// shrinks chunks above its maximum) so that a request never holds a chunk this large.
constexpr uint64_t kMaxChunkBytes = 16 << 20;
// The extent guessed for unlimited dimensions when choosing a chunk shape.
constexpr uint64_t kUnlimitedGuess = 1024;

uint64_t saturatingBytes(const std::vector<uint64_t>& dims, uint64_t elementBytes) {
  uint64_t n = elementBytes;
  for (auto d : dims) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) return std::numeric_limits<uint64_t>::max();
    n *= d;
  }
  return n;
}

// Halves dimensions round-robin, from the first (rounding up), until a chunk holds at most
// `limit` bytes: near-cubic chunks that keep every dimension's reads alike.
void shrinkLayout(std::vector<uint64_t>& layout, uint64_t elementBytes, uint64_t limit) {
  while (saturatingBytes(layout, elementBytes) > limit) {
    bool shrunk = false;
    for (auto& d : layout) {
      if (d <= 1) continue;
      d = (d + 1) / 2;
      shrunk = true;
      if (saturatingBytes(layout, elementBytes) <= limit) return;
    }
    if (!shrunk) return;  // one element already exceeds the limit
  }
}

std::vector<uint64_t> chooseLayout(const DatasetSpec& spec, const std::vector<uint64_t>& maxdims) {
  if (spec.shape.cls != ShapeClass::Simple) return {};
  const uint64_t elementBytes = spec.type->fixedSize() ? spec.type->size : kVariableElementGuess;
  std::vector<uint64_t> layout;
  if (!spec.chunks.empty()) {
    layout = spec.chunks;
    shrinkLayout(layout, elementBytes, kMaxChunkBytes);
    return layout;
  }
  // The whole (maximum) extent, cut down to about kTargetChunkBytes.
  for (std::size_t i = 0; i < spec.shape.dims.size(); ++i) {
    const uint64_t extent =
        maxdims[i] == kUnlimited ? std::max<uint64_t>(spec.shape.dims[i], kUnlimitedGuess) : maxdims[i];
    layout.push_back(std::max<uint64_t>(extent, 1));
  }
  shrinkLayout(layout, elementBytes, kTargetChunkBytes);
  return layout;
}

}  // namespace

// ------------------------------------------------------------------ the store

RocksDbArrayStore::RocksDbArrayStore(std::shared_ptr<RocksDb> db, const StoreOptions& options)
    : db_(std::move(db)),
      claim_(db_->claimRole("arrays", options.configPrefix)),
      meta_(db_->family(kArraysMeta)),
      chunks_(db_->family(kArraysChunks)) {
  write_.sync = options.sync;
  interim_.sync = false;
}

std::shared_mutex& RocksDbArrayStore::containerLock(const std::string& c) {
  return containerLocks_[std::hash<std::string>{}(c) % containerLocks_.size()];
}

std::mutex& RocksDbArrayStore::datasetLock(const std::string& c, const std::string& id) {
  std::string key = c;
  key.push_back('\0');
  key += id;
  return datasetLocks_.forKey(key);
}

void RocksDbArrayStore::corrupt(const std::string& c, const std::string& what,
                                const std::string& detail) const {
  db_->logger().error("RocksDB %s: unreadable %s in domain '%s': %s", db_->path(), what, c, detail);
  throw InternalError("the RocksDB database at " + db_->path() + " holds a corrupt " + what + " in domain '" +
                      c + "'");
}

template <class Decode>
auto RocksDbArrayStore::decodeOrCorrupt(const std::string& c, const std::string& what, Decode&& decode) const
    -> decltype(decode()) {
  try {
    return decode();
  } catch (const Poco::Exception& e) {
    corrupt(c, what, e.displayText());
  } catch (const BadRequest& e) {
    corrupt(c, what, e.what());
  }
}

bool RocksDbArrayStore::getMeta(const std::string& key, const ::rocksdb::ReadOptions& ro,
                                std::string& value) {
  const ::rocksdb::Status s = db_->db().Get(ro, meta_, key, &value);
  if (s.IsNotFound()) return false;
  db_->check(s, "reading arrays metadata");
  return true;
}

void RocksDbArrayStore::putMeta(::rocksdb::WriteBatch& batch, const std::string& key,
                                const Object::Ptr& json) {
  db_->check(batch.Put(meta_, key, jsonText(json)), "batching arrays metadata");
}

Object::Ptr RocksDbArrayStore::requireContainer(const std::string& c, const ::rocksdb::ReadOptions& ro) {
  checkContainerName(c);
  std::string value;
  if (!getMeta(containerKey(c), ro, value)) throw NotFound("domain '" + c + "' not found");
  try {
    Object::Ptr record = parseObject(value);
    record->getValue<std::string>("root");
    u64(record, "nextSeq");
    return record;
  } catch (const Poco::Exception& e) {
    corrupt(c, "domain record", e.displayText());
  }
}

RocksDbArrayStore::ObjectDoc RocksDbArrayStore::findObject(const std::string& c, const std::string& id,
                                                           const ::rocksdb::ReadOptions& ro,
                                                           const ObjectKind* kind) {
  const std::string what = kind ? kindName(*kind) : "object";
  std::string value;
  if (getMeta(objectKey(c, id), ro, value)) {
    ObjectDoc doc;
    try {
      doc.json = parseObject(value);
      doc.info = objectInfo(doc.json);
      doc.seq = u64(doc.json, "seq");
    } catch (const Poco::Exception& e) {
      corrupt(c, "document of object '" + id + "'", e.displayText());
    }
    if (kind && doc.info.kind != *kind)
      throw NotFound(what + " '" + id + "' not found in domain '" + c + "'");
    return doc;
  }
  if (getMeta(tombstoneKey(c, id), ro, value))
    throw Gone(what + " '" + id + "' was deleted from domain '" + c + "'");
  throw NotFound(what + " '" + id + "' not found in domain '" + c + "'");
}

RocksDbArrayStore::Dataset RocksDbArrayStore::loadDataset(const std::string& c, const std::string& id,
                                                          const ::rocksdb::ReadOptions& ro) {
  const ObjectDoc doc = findObject(c, id, ro, &kDatasetKind);
  Dataset d;
  d.object = doc.info;
  try {
    Object::Ptr o = doc.json;
    d.type = typeOf(o);
    Object::Ptr shape = o->getObject("shape");
    if (!shape) throw Poco::DataFormatException("no shape");
    d.cls = shapeClassFrom(shape->getValue<std::string>("class"));
    d.dims = u64Vector(shape, "dims");
    d.maxdims = u64Vector(shape, "maxdims");
    d.chunks = u64Vector(o, "chunks");
    d.layout = u64Vector(o, "layout");
    d.fillValue = unhex(o->getValue<std::string>("fill"));
    d.filters = filtersFromJson(o->getArray("filters"));
    if (o->has("creationProperties")) d.creationProperties = o->getValue<std::string>("creationProperties");
    const std::size_t rank = d.cls == ShapeClass::Simple ? d.dims.size() : 0;
    if (d.maxdims.size() != rank || d.layout.size() != rank)
      throw Poco::DataFormatException("shape and layout ranks differ");
    for (auto l : d.layout)
      if (l == 0) throw Poco::DataFormatException("zero chunk dimension");
    d.chunkElements = elementCount(d.layout);
    d.unwritten = d.fillValue.empty() ? zeroElement(*d.type) : d.fillValue;
  } catch (const Poco::Exception& e) {
    corrupt(c, "document of dataset '" + id + "'", e.displayText());
  } catch (const BadRequest& e) {
    corrupt(c, "document of dataset '" + id + "'", e.what());
  }
  d.chunkPrefix = chunkPrefix(c, id);
  return d;
}

void RocksDbArrayStore::requireCommitted(const std::string& c, const DatatypePtr& type,
                                         const ::rocksdb::ReadOptions& ro) {
  if (type && !type->committedId.empty()) findObject(c, type->committedId, ro, &kDatatypeKind);
}

DatatypePtr RocksDbArrayStore::liveType(const std::string& c, const DatatypePtr& type,
                                        const ::rocksdb::ReadOptions& ro) {
  if (!type || type->committedId.empty()) return type;
  try {
    findObject(c, type->committedId, ro, &kDatatypeKind);
    return type;
  } catch (const NotFound&) {
  } catch (const Gone&) {
  }
  auto copy = std::make_shared<Datatype>(*type);
  copy->committedId.clear();
  return copy;
}

RocksDbArrayStore::ObjectDoc RocksDbArrayStore::addObject(const std::string& c, Object::Ptr record,
                                                          ObjectKind kind, ::rocksdb::WriteBatch& batch) {
  ObjectDoc doc;
  doc.seq = u64(record, "nextSeq");
  record->set("nextSeq", static_cast<Poco::UInt64>(doc.seq + 1));
  doc.info.id = newUuid();
  doc.info.kind = kind;
  doc.info.created = nowMillis();
  doc.info.modified = doc.info.created;
  doc.json = new Object;
  doc.json->set("id", doc.info.id);
  doc.json->set("kind", kindName(kind));
  doc.json->set("seq", static_cast<Poco::UInt64>(doc.seq));
  doc.json->set("created", static_cast<Poco::Int64>(doc.info.created));
  doc.json->set("modified", static_cast<Poco::Int64>(doc.info.modified));
  doc.json->set("attributes", 0);
  doc.json->set("links", 0);
  record->set("modified", static_cast<Poco::Int64>(doc.info.created));
  db_->check(batch.Put(meta_, seqKey(c, kind, doc.seq), doc.info.id), "batching an object");
  return doc;
}

void RocksDbArrayStore::touch(const std::string& c, ObjectDoc& doc, Object::Ptr record, int64_t now,
                              ::rocksdb::WriteBatch& batch) {
  doc.info.modified = now;
  doc.json->set("modified", static_cast<Poco::Int64>(now));
  putMeta(batch, objectKey(c, doc.info.id), doc.json);
  record->set("modified", static_cast<Poco::Int64>(now));
  putMeta(batch, containerKey(c), record);
}

// ------------------------------------------------------------------ containers

std::vector<std::string> RocksDbArrayStore::listContainers() {
  std::vector<std::string> names;
  scan(*db_, meta_, ::rocksdb::ReadOptions(), kContainersPrefix, "", "listing domains",
       [&](const std::string& name, const ::rocksdb::Slice&) {
         names.push_back(name);
         return true;
       });
  return names;
}

std::optional<ContainerInfo> RocksDbArrayStore::findContainer(const std::string& name) {
  try {
    const Object::Ptr record = requireContainer(name, ::rocksdb::ReadOptions());
    try {
      return containerInfo(name, record);
    } catch (const Poco::Exception& e) {
      corrupt(name, "domain record", e.displayText());
    }
  } catch (const NotFound&) {
    return std::nullopt;
  }
}

ContainerInfo RocksDbArrayStore::createContainer(const std::string& name) {
  checkContainerName(name);
  std::unique_lock lock(containerLock(name));
  std::string existing;
  if (getMeta(containerKey(name), ::rocksdb::ReadOptions(), existing))
    throw Conflict("domain '" + name + "' already exists");
  Object::Ptr record = new Object;
  record->set("nextSeq", static_cast<Poco::UInt64>(0));
  ::rocksdb::WriteBatch batch;
  // The root group: numbered like any object, but not in the creation-order index, so that it
  // is never listed.
  ObjectDoc root = addObject(name, record, ObjectKind::Group, batch);
  batch.Clear();
  record->set("root", root.info.id);
  record->set("created", static_cast<Poco::Int64>(root.info.created));
  record->set("modified", static_cast<Poco::Int64>(root.info.created));
  putMeta(batch, objectKey(name, root.info.id), root.json);
  putMeta(batch, containerKey(name), record);
  db_->write(write_, batch, "creating domain '" + name + "'");
  return containerInfo(name, record);
}

void RocksDbArrayStore::deleteContainer(const std::string& name) {
  checkContainerName(name);
  std::unique_lock lock(containerLock(name));
  requireContainer(name, ::rocksdb::ReadOptions());
  ::rocksdb::WriteBatch batch;
  const std::string meta = containerPrefix(name);
  const std::string chunks = chunkContainerPrefix(name);
  db_->check(batch.Delete(meta_, containerKey(name)), "batching a deletion");
  db_->check(batch.DeleteRange(meta_, meta, prefixEnd(meta)), "batching a deletion");
  db_->check(batch.DeleteRange(chunks_, chunks, prefixEnd(chunks)), "batching a deletion");
  db_->write(write_, batch, "deleting domain '" + name + "'");
}

// ------------------------------------------------------------------ objects

ObjectInfo RocksDbArrayStore::object(const std::string& c, const std::string& id) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  return findObject(c, id, ro).info;
}

std::vector<std::string> RocksDbArrayStore::listObjects(const std::string& c, ObjectKind kind,
                                                        const Page& page) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  std::string after;
  if (!page.marker.empty()) {
    // The marker's place in creation order, from its document or its tombstone; a marker that
    // never named an object here gives an empty page.
    std::string value;
    uint64_t seq;
    if (getMeta(objectKey(c, page.marker), ro, value)) {
      try {
        seq = u64(parseObject(value), "seq");
      } catch (const Poco::Exception& e) {
        corrupt(c, "document of object '" + page.marker + "'", e.displayText());
      }
    } else if (getMeta(tombstoneKey(c, page.marker), ro, value)) {
      if (value.size() != 9) corrupt(c, "tombstone of '" + page.marker + "'", "wrong size");
      seq = readBigEndian64(value.data() + 1);
    } else {
      return {};
    }
    appendBigEndian64(after, seq);
  }
  std::vector<std::string> ids;
  if (page.limit != 0 && page.limit < 1024) ids.reserve(static_cast<std::size_t>(page.limit));
  scan(*db_, meta_, ro, seqPrefix(c, kind), after, "listing objects of domain '" + c + "'",
       [&](const std::string&, const ::rocksdb::Slice& id) {
         if (page.limit != 0 && ids.size() >= page.limit) return false;
         ids.push_back(id.ToString());
         return true;
       });
  return ids;
}

void RocksDbArrayStore::deleteObject(const std::string& c, const std::string& id) {
  checkContainerName(c);
  // A value write or resize of this dataset in progress finishes first.
  std::lock_guard valueLock(datasetLock(c, id));
  std::unique_lock lock(containerLock(c));
  const ::rocksdb::ReadOptions ro;
  Object::Ptr record = requireContainer(c, ro);
  ObjectDoc doc = findObject(c, id, ro);
  if (id == record->getValue<std::string>("root"))
    throw Forbidden("the root group of domain '" + c + "' cannot be deleted");
  ::rocksdb::WriteBatch batch;
  const auto check = [&](const ::rocksdb::Status& s) { db_->check(s, "batching a deletion"); };
  check(batch.Delete(meta_, objectKey(c, id)));
  check(batch.Delete(meta_, seqKey(c, doc.info.kind, doc.seq)));
  std::string tombstone(1, kindChar(doc.info.kind));
  appendBigEndian64(tombstone, doc.seq);
  check(batch.Put(meta_, tombstoneKey(c, id), tombstone));
  const std::string attributes = attributePrefix(c, id);
  check(batch.DeleteRange(meta_, attributes, prefixEnd(attributes)));
  if (doc.info.kind == ObjectKind::Group) {
    const std::string links = linkPrefix(c, id);
    check(batch.DeleteRange(meta_, links, prefixEnd(links)));
  } else if (doc.info.kind == ObjectKind::Dataset) {
    const std::string chunks = chunkPrefix(c, id);
    check(batch.DeleteRange(chunks_, chunks, prefixEnd(chunks)));
  }
  record->set("modified", static_cast<Poco::Int64>(nowMillis()));
  putMeta(batch, containerKey(c), record);
  db_->write(write_, batch, "deleting object '" + id + "' of domain '" + c + "'");
}

ObjectInfo RocksDbArrayStore::createGroup(const std::string& c) {
  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  Object::Ptr record = requireContainer(c, ::rocksdb::ReadOptions());
  ::rocksdb::WriteBatch batch;
  ObjectDoc doc = addObject(c, record, ObjectKind::Group, batch);
  putMeta(batch, objectKey(c, doc.info.id), doc.json);
  putMeta(batch, containerKey(c), record);
  db_->write(write_, batch, "creating a group in domain '" + c + "'");
  return doc.info;
}

// ------------------------------------------------------------------ links

std::vector<Link> RocksDbArrayStore::listLinks(const std::string& c, const std::string& group,
                                               const Page& page) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  findObject(c, group, ro, &kGroupKind);
  std::vector<Link> links;
  scan(*db_, meta_, ro, linkPrefix(c, group), page.marker, "listing the links of group '" + group + "'",
       [&](const std::string& name, const ::rocksdb::Slice& value) {
         if (page.limit != 0 && links.size() >= page.limit) return false;
         try {
           links.push_back(linkFromJson(name, parseObject(value.ToString())));
         } catch (const Poco::Exception& e) {
           corrupt(c, "link '" + name + "' of group '" + group + "'", e.displayText());
         }
         return true;
       });
  return links;
}

Link RocksDbArrayStore::link(const std::string& c, const std::string& group, const std::string& name) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  findObject(c, group, ro, &kGroupKind);
  std::string value;
  if (!getMeta(linkPrefix(c, group) + name, ro, value))
    throw NotFound("link '" + name + "' not found in group '" + group + "'");
  try {
    return linkFromJson(name, parseObject(value));
  } catch (const Poco::Exception& e) {
    corrupt(c, "link '" + name + "' of group '" + group + "'", e.displayText());
  }
}

void RocksDbArrayStore::createLink(const std::string& c, const std::string& group, const Link& link) {
  Link stored = arrays::checkNewLink(link);
  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  const ::rocksdb::ReadOptions ro;
  Object::Ptr record = requireContainer(c, ro);
  ObjectDoc g = findObject(c, group, ro, &kGroupKind);
  const std::string key = linkPrefix(c, group) + link.name;
  std::string existing;
  if (getMeta(key, ro, existing))
    throw Conflict("link '" + link.name + "' already exists in group '" + group + "'");
  if (stored.cls == LinkClass::Hard) stored.kind = findObject(c, stored.id, ro).info.kind;
  stored.created = nowMillis();
  ::rocksdb::WriteBatch batch;
  putMeta(batch, key, linkToJson(stored));
  g.json->set("links", static_cast<Poco::UInt64>(g.info.linkCount + 1));
  touch(c, g, record, stored.created, batch);
  db_->write(write_, batch, "creating link '" + link.name + "' in group '" + group + "'");
}

void RocksDbArrayStore::deleteLink(const std::string& c, const std::string& group, const std::string& name) {
  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  const ::rocksdb::ReadOptions ro;
  Object::Ptr record = requireContainer(c, ro);
  ObjectDoc g = findObject(c, group, ro, &kGroupKind);
  const std::string key = linkPrefix(c, group) + name;
  std::string existing;
  if (!getMeta(key, ro, existing)) throw NotFound("link '" + name + "' not found in group '" + group + "'");
  ::rocksdb::WriteBatch batch;
  db_->check(batch.Delete(meta_, key), "batching a deletion");
  g.json->set("links", static_cast<Poco::UInt64>(g.info.linkCount ? g.info.linkCount - 1 : 0));
  touch(c, g, record, nowMillis(), batch);
  db_->write(write_, batch, "deleting link '" + name + "' of group '" + group + "'");
}

// ------------------------------------------------------------------ datasets (metadata)

DatasetInfo RocksDbArrayStore::createDataset(const std::string& c, const DatasetSpec& spec) {
  // The type first (with what only this store asks of it), as arrays::checkDatasetSpec does.
  checkStorableType(spec.type, "the dataset");
  const std::vector<uint64_t> maxdims = arrays::checkDatasetSpec(spec);
  const std::vector<uint64_t> layout = chooseLayout(spec, maxdims);
  std::string creationProperties;
  if (spec.creationProperties) creationProperties = jsonText(spec.creationProperties);

  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  Object::Ptr record = requireContainer(c, ::rocksdb::ReadOptions());
  requireCommitted(c, spec.type, ::rocksdb::ReadOptions());
  ::rocksdb::WriteBatch batch;
  ObjectDoc doc = addObject(c, record, ObjectKind::Dataset, batch);
  Object::Ptr o = doc.json;
  setType(o, spec.type);
  Object::Ptr shape = new Object;
  shape->set("class", shapeClassName(spec.shape.cls));
  shape->set("dims",
             u64Array(spec.shape.cls == ShapeClass::Simple ? spec.shape.dims : std::vector<uint64_t>{}));
  shape->set("maxdims", u64Array(maxdims));
  o->set("shape", shape);
  o->set("chunks", u64Array(spec.chunks));
  o->set("layout", u64Array(layout));
  o->set("fill", hex(spec.fillValue));
  o->set("filters", filtersToJson(spec.filters));
  if (!creationProperties.empty()) o->set("creationProperties", creationProperties);
  putMeta(batch, objectKey(c, doc.info.id), o);
  putMeta(batch, containerKey(c), record);
  db_->write(write_, batch, "creating a dataset in domain '" + c + "'");

  Dataset d;
  d.object = doc.info;
  d.type = spec.type;
  d.cls = spec.shape.cls;
  if (d.cls == ShapeClass::Simple) d.dims = spec.shape.dims;
  d.maxdims = maxdims;
  d.chunks = spec.chunks;
  d.layout = layout;
  d.fillValue = spec.fillValue;
  d.filters = spec.filters;
  d.creationProperties = creationProperties;
  return datasetInfo(d);
}

DatasetInfo RocksDbArrayStore::dataset(const std::string& c, const std::string& id) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  Dataset d = loadDataset(c, id, ro);
  d.type = liveType(c, d.type, ro);
  try {
    return datasetInfo(d);
  } catch (const Poco::Exception& e) {
    corrupt(c, "creation properties of dataset '" + id + "'", e.displayText());
  }
}

// ------------------------------------------------------------------ committed datatypes

ObjectInfo RocksDbArrayStore::createDatatype(const std::string& c, const DatatypePtr& type) {
  checkStorableType(type, "the datatype");
  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  Object::Ptr record = requireContainer(c, ::rocksdb::ReadOptions());
  ::rocksdb::WriteBatch batch;
  ObjectDoc doc = addObject(c, record, ObjectKind::Datatype, batch);
  setType(doc.json, type);
  putMeta(batch, objectKey(c, doc.info.id), doc.json);
  putMeta(batch, containerKey(c), record);
  db_->write(write_, batch, "creating a datatype in domain '" + c + "'");
  return doc.info;
}

DatatypePtr RocksDbArrayStore::datatype(const std::string& c, const std::string& id) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  const ObjectDoc doc = findObject(c, id, ro, &kDatatypeKind);
  try {
    return typeOf(doc.json);
  } catch (const Error& e) {
    corrupt(c, "type of datatype '" + id + "'", e.what());
  } catch (const Poco::Exception& e) {
    corrupt(c, "type of datatype '" + id + "'", e.displayText());
  }
}

// ------------------------------------------------------------------ attributes

std::vector<AttributeInfo> RocksDbArrayStore::listAttributes(const std::string& c, const std::string& obj,
                                                             const Page& page) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  findObject(c, obj, ro);
  std::vector<AttributeInfo> out;
  scan(*db_, meta_, ro, attributePrefix(c, obj), page.marker, "listing the attributes of '" + obj + "'",
       [&](const std::string& name, const ::rocksdb::Slice& value) {
         if (page.limit != 0 && out.size() >= page.limit) return false;
         out.push_back(decodeOrCorrupt(c, "attribute '" + name + "' of '" + obj + "'",
                                       [&] { return decodeAttribute(name, value); }));
         return true;
       });
  for (auto& a : out) a.type = liveType(c, a.type, ro);
  return out;
}

std::string RocksDbArrayStore::attributeRecord(const std::string& c, const std::string& obj,
                                               const std::string& name) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  const ObjectDoc doc = findObject(c, obj, ro);
  std::string value;
  if (!getMeta(attributePrefix(c, obj) + name, ro, value))
    throw NotFound("attribute '" + name + "' not found on " + kindName(doc.info.kind) + " '" + obj + "'");
  return value;
}

AttributeInfo RocksDbArrayStore::attribute(const std::string& c, const std::string& obj,
                                           const std::string& name) {
  const std::string value = attributeRecord(c, obj, name);
  AttributeInfo a = decodeOrCorrupt(c, "attribute '" + name + "' of '" + obj + "'",
                                    [&] { return decodeAttribute(name, value); });
  a.type = liveType(c, a.type, ::rocksdb::ReadOptions());
  return a;
}

std::string RocksDbArrayStore::attributeValue(const std::string& c, const std::string& obj,
                                              const std::string& name) {
  const std::string value = attributeRecord(c, obj, name);
  return decodeOrCorrupt(c, "attribute '" + name + "' of '" + obj + "'",
                         [&] { return value.substr(4 + attributeHeaderSize(value)); });
}

void RocksDbArrayStore::createAttribute(const std::string& c, const std::string& obj,
                                        const AttributeInfo& info, const std::string& packedValue,
                                        bool replace) {
  // A type this store cannot record is refused where arrays::checkAttribute checks the type:
  // after the name.
  if (!info.name.empty()) checkStorableType(info.type, "attribute '" + info.name + "'");
  arrays::checkAttribute(info, packedValue);
  AttributeInfo a;
  a.name = info.name;
  a.type = info.type;
  a.shape.cls = info.shape.cls;
  if (info.shape.cls == ShapeClass::Simple) a.shape.dims = info.shape.dims;

  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  const ::rocksdb::ReadOptions ro;
  Object::Ptr record = requireContainer(c, ro);
  ObjectDoc doc = findObject(c, obj, ro);
  const std::string key = attributePrefix(c, obj) + info.name;
  std::string existing;
  const bool exists = getMeta(key, ro, existing);
  if (exists && !replace)
    throw Conflict("attribute '" + info.name + "' already exists on " + kindName(doc.info.kind) + " '" + obj +
                   "'");
  requireCommitted(c, info.type, ro);
  a.created = nowMillis();
  ::rocksdb::WriteBatch batch;
  db_->check(batch.Put(meta_, key, encodeAttribute(a, packedValue)), "batching an attribute");
  if (!exists) doc.json->set("attributes", static_cast<Poco::UInt64>(doc.info.attributeCount + 1));
  touch(c, doc, record, a.created, batch);
  db_->write(write_, batch, "writing attribute '" + info.name + "' of '" + obj + "'");
}

void RocksDbArrayStore::deleteAttribute(const std::string& c, const std::string& obj,
                                        const std::string& name) {
  checkContainerName(c);
  std::unique_lock lock(containerLock(c));
  const ::rocksdb::ReadOptions ro;
  Object::Ptr record = requireContainer(c, ro);
  ObjectDoc doc = findObject(c, obj, ro);
  const std::string key = attributePrefix(c, obj) + name;
  std::string existing;
  if (!getMeta(key, ro, existing))
    throw NotFound("attribute '" + name + "' not found on " + kindName(doc.info.kind) + " '" + obj + "'");
  ::rocksdb::WriteBatch batch;
  db_->check(batch.Delete(meta_, key), "batching a deletion");
  const uint64_t n = doc.info.attributeCount;
  doc.json->set("attributes", static_cast<Poco::UInt64>(n ? n - 1 : 0));
  touch(c, doc, record, nowMillis(), batch);
  db_->write(write_, batch, "deleting attribute '" + name + "' of '" + obj + "'");
}

}  // namespace strata::rocksdb
