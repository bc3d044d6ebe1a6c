// The in-memory arrays store (the `memory` backend's arrays role, and a fixture for tests).
//
// Locking, in this order only (never the reverse):
// 1. The store's shared_mutex guards the container map; it is held only to find, add or
//    remove a container, so one busy container never blocks another.
// 2. Each container's shared_mutex guards its objects, links, attributes and deleted ids.
// 3. Each dataset's shared_mutex guards its extent and its values. Reads and writes of
//    values take only this lock (after a short look-up under the container lock), so value
//    traffic never blocks metadata requests, and readers of one dataset run in parallel.
//    A write holds it exclusively while it pulls from its source; a read holds it shared
//    while it feeds its sink. A sink or source must therefore not write the same dataset.
// Times are atomics so a value write can touch them without the container lock.
//
// Decisions the other arrays backends share (the contract suite checks them):
// - listObjects lists in creation order (h5serv lists in file order, which for files it
//   created is creation order); the marker is an id; a marker that names no object listed
//   in this container (never existed) gives an empty page, as hdf5-json does. A deleted
//   marker still pages on from where it was. The root group is not listed.
// - listContainers, listLinks and listAttributes sort by name (bytewise); the marker is the
//   name to start after and need not exist.
// - DatasetInfo::shape::maxdims always has one entry per dimension for simple shapes
//   (= dims where the spec left maxdims empty), so a backend reading a file reports the same.
// - A scalar dataset takes any selection of rank 0 except points; a null dataset no
//   selection at all (BadRequest).
// - Link names "." are rejected like "" and names with '/': HDF5 reads "." as the group
//   itself. User-defined links cannot be created (only found in existing files).
// - Container names are validated on every call, lookups too, so no backend ever maps a
//   name such as "a/../b" onto storage.
//
// Values: fixed-size types live in one flat byte vector in C order (the fill value repeated,
// zeros without one); variable-length types in one std::string per element holding its
// packed bytes, where an empty string is an element never written (read back as the fill
// value, or the type's zero element: every vlen part with count 0). A dataset may hold at
// most kMaxDatasetBytes of fixed-size values (InsufficientStorage beyond): the memory backend
// is for tests and small deployments, and an allocation the machine cannot back would bring
// down the whole server rather than fail one request.
#include <strata/arrays/block_sink.h>
#include <strata/arrays/piece_walk.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/util.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

namespace strata {

namespace {

using arrays::checkContainerName;
using arrays::checkType;
using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::elementCount;
using arrays::Selection;

constexpr uint64_t kMaxDatasetBytes = uint64_t{4} << 30;
// A variable-length element costs a std::string even when never written.
constexpr uint64_t kMaxVariableElements = uint64_t{64} << 20;
// An announced variable-length write is buffered whole; never reserve more than this up front.
constexpr std::size_t kMaxReserve = 64 << 20;

// Calls copy(oldIndex, newIndex, length) for each row (run along the last dimension) of the
// region both extents share, so values keep their coordinates across a resize.
template <typename Copy>
void forEachSharedRow(const std::vector<uint64_t>& oldDims, const std::vector<uint64_t>& newDims, Copy copy) {
  const std::size_t rank = oldDims.size();
  if (rank == 0) return;
  std::vector<uint64_t> shared(rank), oldStride(rank, 1), newStride(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    shared[i] = std::min(oldDims[i], newDims[i]);
    if (shared[i] == 0) return;
  }
  for (std::size_t i = rank - 1; i > 0; --i) {
    oldStride[i - 1] = oldStride[i] * oldDims[i];
    newStride[i - 1] = newStride[i] * newDims[i];
  }
  std::vector<uint64_t> at(rank, 0);  // at[rank-1] stays 0: each step is one whole row
  for (;;) {
    uint64_t oldIndex = 0, newIndex = 0;
    for (std::size_t i = 0; i + 1 < rank; ++i) {
      oldIndex += at[i] * oldStride[i];
      newIndex += at[i] * newStride[i];
    }
    copy(oldIndex, newIndex, shared[rank - 1]);
    std::size_t d = rank - 1;
    for (;;) {
      if (d == 0) return;
      --d;
      if (++at[d] < shared[d]) break;
      at[d] = 0;
    }
  }
}

struct DatasetValues {
  mutable std::shared_mutex mutex;
  std::vector<uint64_t> dims;         // current extent; empty for scalar and null shapes
  std::vector<char> fixed;            // fixed-size types
  std::vector<std::string> variable;  // variable-length types ("" = never written)
};

struct Attribute {
  AttributeInfo info;
  std::string value;
};

struct Object {
  std::string id;
  ObjectKind kind = ObjectKind::Group;
  uint64_t seq = 0;  // creation order within the container
  int64_t created = 0;
  std::atomic<int64_t> modified{0};
  std::map<std::string, Attribute> attributes;
  std::map<std::string, Link> links;  // groups
  DatatypePtr type;                   // datasets, datatypes
  // datasets
  ShapeClass shapeClass = ShapeClass::Simple;
  std::vector<uint64_t> maxdims;
  std::vector<uint64_t> chunks;
  std::string fillValue;
  std::string defaultElement;  // variable-length types: what an unwritten element reads as
  std::vector<Filter> filters;
  std::string creationProperties;  // JSON text, so every reader gets its own copy
  std::shared_ptr<DatasetValues> values;
};

struct Container {
  mutable std::shared_mutex mutex;
  std::string name;
  std::string rootId;
  int64_t created = 0;
  std::atomic<int64_t> modified{0};
  uint64_t nextSeq = 0;
  std::unordered_map<std::string, std::shared_ptr<Object>> objects;
  std::map<uint64_t, std::shared_ptr<Object>> bySeq;
  std::unordered_map<std::string, uint64_t> deleted;  // id -> its creation seq, for Gone and markers
};

std::string jsonText(const Poco::JSON::Object::Ptr& json) {
  if (!json) return {};
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(json, out);
  return out.str();
}

Poco::JSON::Object::Ptr jsonObject(const std::string& text) {
  if (text.empty()) return nullptr;
  Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

class MemoryArrayStore final : public ArrayStore {
 public:
  // ---- containers

  std::vector<std::string> listContainers() override {
    std::shared_lock lock(mutex_);
    std::vector<std::string> names;
    names.reserve(containers_.size());
    for (const auto& entry : containers_) names.push_back(entry.first);
    return names;
  }

  std::optional<ContainerInfo> findContainer(const std::string& name) override {
    checkContainerName(name);
    std::shared_ptr<Container> c;
    {
      std::shared_lock lock(mutex_);
      auto it = containers_.find(name);
      if (it == containers_.end()) return std::nullopt;
      c = it->second;
    }
    return info(*c);
  }

  ContainerInfo createContainer(const std::string& name) override {
    checkContainerName(name);
    auto c = std::make_shared<Container>();
    c->name = name;
    c->created = nowMillis();
    c->modified = c->created;
    c->rootId = addObject(*c, ObjectKind::Group)->id;
    std::unique_lock lock(mutex_);
    if (!containers_.emplace(name, c).second) throw Conflict("domain '" + name + "' already exists");
    return info(*c);
  }

  void deleteContainer(const std::string& name) override {
    checkContainerName(name);
    std::unique_lock lock(mutex_);
    if (containers_.erase(name) == 0) throw NotFound("domain '" + name + "' not found");
  }

  // ---- objects

  ObjectInfo object(const std::string& c, const std::string& id) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    return info(*findObject(*cont, id));
  }

  std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    auto it = cont->bySeq.begin();
    if (!page.marker.empty()) {
      uint64_t seq;
      if (auto o = cont->objects.find(page.marker); o != cont->objects.end()) {
        seq = o->second->seq;
      } else if (auto d = cont->deleted.find(page.marker); d != cont->deleted.end()) {
        seq = d->second;
      } else {
        return {};
      }
      it = cont->bySeq.upper_bound(seq);
    }
    std::vector<std::string> ids;
    for (; it != cont->bySeq.end(); ++it) {
      if (page.limit != 0 && ids.size() >= page.limit) break;
      const Object& o = *it->second;
      if (o.kind != kind || o.id == cont->rootId) continue;
      ids.push_back(o.id);
    }
    return ids;
  }

  void deleteObject(const std::string& c, const std::string& id) override {
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto o = findObject(*cont, id);
    if (id == cont->rootId) throw Forbidden("the root group of domain '" + c + "' cannot be deleted");
    cont->deleted.emplace(id, o->seq);
    cont->bySeq.erase(o->seq);
    cont->objects.erase(id);
    cont->modified = nowMillis();
  }

  ObjectInfo createGroup(const std::string& c) override {
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto o = addObject(*cont, ObjectKind::Group);
    cont->modified = o->created;
    return info(*o);
  }

  // ---- links

  std::vector<Link> listLinks(const std::string& c, const std::string& group, const Page& page) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    auto g = findObject(*cont, group, ObjectKind::Group);
    std::vector<Link> out;
    auto it = page.marker.empty() ? g->links.begin() : g->links.upper_bound(page.marker);
    for (; it != g->links.end(); ++it) {
      if (page.limit != 0 && out.size() >= page.limit) break;
      out.push_back(it->second);
    }
    return out;
  }

  Link link(const std::string& c, const std::string& group, const std::string& name) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    auto g = findObject(*cont, group, ObjectKind::Group);
    auto it = g->links.find(name);
    if (it == g->links.end()) throw NotFound("link '" + name + "' not found in group '" + group + "'");
    return it->second;
  }

  void createLink(const std::string& c, const std::string& group, const Link& link) override {
    Link stored = arrays::checkNewLink(link);
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto g = findObject(*cont, group, ObjectKind::Group);
    if (g->links.count(link.name))
      throw Conflict("link '" + link.name + "' already exists in group '" + group + "'");
    if (stored.cls == LinkClass::Hard) stored.kind = findObject(*cont, stored.id)->kind;
    stored.created = nowMillis();
    g->links.emplace(stored.name, stored);
    touch(*cont, *g, stored.created);
  }

  void deleteLink(const std::string& c, const std::string& group, const std::string& name) override {
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto g = findObject(*cont, group, ObjectKind::Group);
    if (g->links.erase(name) == 0) throw NotFound("link '" + name + "' not found in group '" + group + "'");
    touch(*cont, *g, nowMillis());
  }

  // ---- datasets

  DatasetInfo createDataset(const std::string& c, const DatasetSpec& spec) override {
    auto values = std::make_shared<DatasetValues>();
    std::vector<uint64_t> maxdims = arrays::checkDatasetSpec(spec);
    const Datatype& type = *spec.type;
    uint64_t count = 0;
    if (spec.shape.cls == ShapeClass::Simple) {
      values->dims = spec.shape.dims;
      count = elementCount(spec.shape.dims);
    } else if (spec.shape.cls == ShapeClass::Scalar) {
      count = 1;
    }
    std::string defaultElement;
    if (!type.fixedSize())
      defaultElement = spec.fillValue.empty() ? arrays::zeroElement(type) : spec.fillValue;
    allocate(*values, type, spec.fillValue, count);

    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    requireCommitted(*cont, spec.type);
    auto o = addObject(*cont, ObjectKind::Dataset);
    o->type = spec.type;
    o->shapeClass = spec.shape.cls;
    o->maxdims = std::move(maxdims);
    o->chunks = spec.chunks;
    o->fillValue = spec.fillValue;
    o->defaultElement = std::move(defaultElement);
    o->filters = spec.filters;
    o->creationProperties = jsonText(spec.creationProperties);
    o->values = std::move(values);
    cont->modified = o->created;
    return datasetInfo(*cont, *o);
  }

  DatasetInfo dataset(const std::string& c, const std::string& id) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    return datasetInfo(*cont, *findObject(*cont, id, ObjectKind::Dataset));
  }

  void resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) override {
    auto [cont, o] = findDataset(c, id);
    DatasetValues& v = *o->values;
    std::unique_lock lock(v.mutex);
    const uint64_t count =
        arrays::checkResize("dataset '" + id + "'", o->shapeClass, v.dims, o->maxdims, dims);
    if (dims == v.dims) return;
    const Datatype& type = *o->type;
    DatasetValues fresh;
    fresh.dims = dims;
    allocate(fresh, type, o->fillValue, count);
    if (type.fixedSize()) {
      const std::size_t size = type.size;
      forEachSharedRow(v.dims, dims, [&](uint64_t from, uint64_t to, uint64_t n) {
        std::memcpy(fresh.fixed.data() + to * size, v.fixed.data() + from * size, n * size);
      });
    } else {
      forEachSharedRow(v.dims, dims, [&](uint64_t from, uint64_t to, uint64_t n) {
        for (uint64_t i = 0; i < n; ++i) fresh.variable[to + i] = std::move(v.variable[from + i]);
      });
    }
    v.dims = std::move(fresh.dims);
    v.fixed = std::move(fresh.fixed);
    v.variable = std::move(fresh.variable);
    touch(*cont, *o, nowMillis());
  }

  void read(const std::string& c, const std::string& id, const Selection& sel,
            const ByteSink& sink) override {
    auto [cont, o] = findDataset(c, id);
    const Datatype& type = *o->type;
    const DatasetValues& v = *o->values;
    std::shared_lock lock(v.mutex);
    const arrays::PieceWalk walk = enter(*o, v, sel);
    const uint64_t count = walk.elements();
    if (type.fixedSize()) {
      const std::size_t size = type.size;
      arrays::BlockSink out(sink, count * size);
      walk.forEachRun(v.dims, [&](uint64_t first, uint64_t n) {
        out.put(v.fixed.data() + first * size, static_cast<std::size_t>(n * size));
      });
      out.flush();
    } else {
      arrays::BlockSink out(sink, std::min<uint64_t>(count, arrays::kSinkBlock / 8) * 8);
      const std::string& defaultElement = o->defaultElement;  // (clang 14 cannot capture a binding)
      walk.forEachRun(v.dims, [&](uint64_t first, uint64_t n) {
        for (uint64_t i = first; i < first + n; ++i) {
          const std::string& e = v.variable[i].empty() ? defaultElement : v.variable[i];
          out.put(e.data(), e.size());
        }
      });
      out.flush();
    }
  }

  void write(const std::string& c, const std::string& id, const Selection& sel, const ByteSource& source,
             uint64_t bytes) override {
    auto [cont, o] = findDataset(c, id);
    const Datatype& type = *o->type;
    DatasetValues& v = *o->values;
    if (type.fixedSize()) {
      // Straight from the source into place: no copy of the value is ever held. A source
      // that fails part-way leaves what it delivered written, as an HDF5 write would.
      std::unique_lock lock(v.mutex);
      const arrays::PieceWalk walk = enter(*o, v, sel);
      arrays::checkValueBytes(type, walk.elements(), bytes);
      uint64_t pulled = 0;
      walk.forEachRun(v.dims, [&](uint64_t first, uint64_t n) {
        arrays::pullBytes(source, v.fixed.data() + first * type.size, n * type.size, pulled, bytes);
      });
    } else {
      // Elements are self-delimiting and may only be split once complete, so the value is
      // pulled whole (callers bound variable-length request sizes), before taking the lock.
      {
        std::shared_lock lock(v.mutex);
        enter(*o, v, sel);
      }
      std::string buffer;
      buffer.reserve(static_cast<std::size_t>(std::min<uint64_t>(bytes, kMaxReserve)));
      uint64_t pulled = 0;
      std::vector<char> piece(std::min<uint64_t>(std::max<uint64_t>(bytes, 1), 1 << 20));
      while (pulled < bytes) {
        const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(bytes - pulled, piece.size()));
        arrays::pullBytes(source, piece.data(), want, pulled, bytes);
        buffer.append(piece.data(), want);
      }
      std::unique_lock lock(v.mutex);
      // Checked again under the exclusive lock: a resize may have run in between.
      const arrays::PieceWalk walk = enter(*o, v, sel);
      const auto offsets = arrays::splitElements(type, buffer.data(), buffer.size(), walk.elements());
      std::size_t next = 0;
      walk.forEachRun(v.dims, [&](uint64_t first, uint64_t n) {
        for (uint64_t i = first; i < first + n; ++i, ++next)
          v.variable[i].assign(buffer, offsets[next], offsets[next + 1] - offsets[next]);
      });
    }
    touch(*cont, *o, nowMillis());
  }

  // ---- committed datatypes

  ObjectInfo createDatatype(const std::string& c, const DatatypePtr& type) override {
    checkType(type, "the datatype");
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto o = addObject(*cont, ObjectKind::Datatype);
    o->type = type;
    cont->modified = o->created;
    return info(*o);
  }

  DatatypePtr datatype(const std::string& c, const std::string& id) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    return findObject(*cont, id, ObjectKind::Datatype)->type;
  }

  // ---- attributes

  std::vector<AttributeInfo> listAttributes(const std::string& c, const std::string& obj,
                                            const Page& page) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    auto o = findObject(*cont, obj);
    std::vector<AttributeInfo> out;
    auto it = page.marker.empty() ? o->attributes.begin() : o->attributes.upper_bound(page.marker);
    for (; it != o->attributes.end(); ++it) {
      if (page.limit != 0 && out.size() >= page.limit) break;
      out.push_back(it->second.info);
      out.back().type = liveType(*cont, out.back().type);
    }
    return out;
  }

  AttributeInfo attribute(const std::string& c, const std::string& obj, const std::string& name) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    AttributeInfo a = findAttribute(*findObject(*cont, obj), name).info;
    a.type = liveType(*cont, a.type);
    return a;
  }

  std::string attributeValue(const std::string& c, const std::string& obj, const std::string& name) override {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    return findAttribute(*findObject(*cont, obj), name).value;
  }

  void createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                       const std::string& packedValue, bool replace) override {
    arrays::checkAttribute(info, packedValue);
    Attribute a;
    a.info.name = info.name;
    a.info.type = info.type;
    a.info.shape.cls = info.shape.cls;
    if (info.shape.cls == ShapeClass::Simple) {
      a.info.shape.dims = info.shape.dims;
      a.info.shape.maxdims = info.shape.dims;
    }
    a.value = packedValue;
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto o = findObject(*cont, obj);
    auto it = o->attributes.find(info.name);
    if (it != o->attributes.end() && !replace)
      throw Conflict("attribute '" + info.name + "' already exists on " + kindName(o->kind) + " '" + obj +
                     "'");
    requireCommitted(*cont, info.type);
    a.info.created = nowMillis();
    const int64_t now = a.info.created;
    o->attributes.insert_or_assign(info.name, std::move(a));
    touch(*cont, *o, now);
  }

  void deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) override {
    auto cont = find(c);
    std::unique_lock lock(cont->mutex);
    auto o = findObject(*cont, obj);
    findAttribute(*o, name);
    o->attributes.erase(name);
    touch(*cont, *o, nowMillis());
  }

 private:
  static ContainerInfo info(const Container& c) {
    ContainerInfo i;
    i.name = c.name;
    i.rootId = c.rootId;
    i.created = c.created;
    i.modified = c.modified;
    return i;
  }

  static ObjectInfo info(const Object& o) {
    ObjectInfo i;
    i.id = o.id;
    i.kind = o.kind;
    i.created = o.created;
    i.modified = o.modified;
    i.attributeCount = o.attributes.size();
    i.linkCount = o.links.size();
    return i;
  }

  // A type naming a committed datatype must name a live one of the container: NotFound or
  // Gone otherwise. Caller holds the container lock.
  static void requireCommitted(const Container& c, const DatatypePtr& type) {
    if (type && !type->committedId.empty()) findObject(c, type->committedId, ObjectKind::Datatype);
  }

  // The type as reported: a dataset or attribute keeps the structure of a committed type that
  // was deleted, but no longer names it (as the hdf5 backend, where HDF5 keeps the type alive
  // but it has no id). Caller holds the container lock.
  static DatatypePtr liveType(const Container& c, const DatatypePtr& type) {
    if (!type || type->committedId.empty()) return type;
    auto it = c.objects.find(type->committedId);
    if (it != c.objects.end() && it->second->kind == ObjectKind::Datatype) return type;
    auto copy = std::make_shared<Datatype>(*type);
    copy->committedId.clear();
    return copy;
  }

  // Caller holds the container lock (shared).
  static DatasetInfo datasetInfo(const Container& c, const Object& o) {
    DatasetInfo i;
    i.object = info(o);
    i.type = liveType(c, o.type);
    i.shape.cls = o.shapeClass;
    {
      std::shared_lock lock(o.values->mutex);
      i.shape.dims = o.values->dims;
    }
    i.shape.maxdims = o.maxdims;
    i.chunks = o.chunks;
    i.layout = o.chunks.empty() ? Layout::Contiguous : Layout::Chunked;
    i.fillValue = o.fillValue;
    i.filters = o.filters;
    i.creationProperties = jsonObject(o.creationProperties);
    return i;
  }

  static void touch(Container& c, Object& o, int64_t now) {
    o.modified = now;
    c.modified = now;
  }

  // Caller holds the container lock exclusively.
  static std::shared_ptr<Object> addObject(Container& c, ObjectKind kind) {
    auto o = std::make_shared<Object>();
    o->id = newUuid();
    o->kind = kind;
    o->seq = c.nextSeq++;
    o->created = nowMillis();
    o->modified = o->created;
    c.objects.emplace(o->id, o);
    c.bySeq.emplace(o->seq, o);
    return o;
  }

  std::shared_ptr<Container> find(const std::string& name) {
    checkContainerName(name);
    std::shared_lock lock(mutex_);
    auto it = containers_.find(name);
    if (it == containers_.end()) throw NotFound("domain '" + name + "' not found");
    return it->second;
  }

  // Caller holds the container lock.
  static std::shared_ptr<Object> findObject(const Container& c, const std::string& id) {
    auto it = c.objects.find(id);
    if (it != c.objects.end()) return it->second;
    if (c.deleted.count(id)) throw Gone("object '" + id + "' was deleted from domain '" + c.name + "'");
    throw NotFound("object '" + id + "' not found in domain '" + c.name + "'");
  }

  static std::shared_ptr<Object> findObject(const Container& c, const std::string& id, ObjectKind kind) {
    auto it = c.objects.find(id);
    if (it != c.objects.end() && it->second->kind == kind) return it->second;
    if (it == c.objects.end() && c.deleted.count(id))
      throw Gone(std::string(kindName(kind)) + " '" + id + "' was deleted from domain '" + c.name + "'");
    throw NotFound(std::string(kindName(kind)) + " '" + id + "' not found in domain '" + c.name + "'");
  }

  static const Attribute& findAttribute(const Object& o, const std::string& name) {
    auto it = o.attributes.find(name);
    if (it == o.attributes.end())
      throw NotFound("attribute '" + name + "' not found on " + kindName(o.kind) + " '" + o.id + "'");
    return it->second;
  }

  // The dataset and its container; value access then needs only the dataset's own lock.
  std::pair<std::shared_ptr<Container>, std::shared_ptr<Object>> findDataset(const std::string& c,
                                                                             const std::string& id) {
    auto cont = find(c);
    std::shared_lock lock(cont->mutex);
    return {cont, findObject(*cont, id, ObjectKind::Dataset)};
  }

  // Sizes fresh storage for `count` elements, filled with the fill value (fixed-size types).
  static void allocate(DatasetValues& v, const Datatype& type, const std::string& fillValue, uint64_t count) {
    try {
      if (type.fixedSize()) {
        if (count > kMaxDatasetBytes / type.size)
          throw InsufficientStorage("the memory store holds at most " + std::to_string(kMaxDatasetBytes) +
                                    " bytes per dataset");
        const std::size_t bytes = static_cast<std::size_t>(count * type.size);
        v.fixed.assign(bytes, '\0');
        if (!fillValue.empty()) arrays::repeatElement(fillValue, count, v.fixed.data());
      } else {
        if (count > kMaxVariableElements)
          throw InsufficientStorage("the memory store holds at most " + std::to_string(kMaxVariableElements) +
                                    " variable-length elements per dataset");
        v.variable.assign(static_cast<std::size_t>(count), std::string());
      }
    } catch (const std::bad_alloc&) {
      throw InsufficientStorage("out of memory for a dataset of " + std::to_string(count) + " elements");
    }
  }

  // Validates the selection against the current extent (caller holds the dataset lock);
  // returns the number of elements it selects.
  // Where a selection enters: checked against the current extent (caller holds the dataset
  // lock), then walked as runs of linear element indices without checking again.
  static arrays::PieceWalk enter(const Object& o, const DatasetValues& v, const Selection& sel) {
    return arrays::PieceWalk(sel, o.shapeClass, v.dims, "dataset '" + o.id + "'");
  }

  std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<Container>> containers_;
};

}  // namespace

std::shared_ptr<ArrayStore> makeMemoryArrayStore() { return std::make_shared<MemoryArrayStore>(); }

}  // namespace strata
