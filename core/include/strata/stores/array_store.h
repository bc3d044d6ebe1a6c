#pragma once
// The arrays role: the HDF5 data model. A container (an HDF domain, one .h5 file in the hdf5
// backend) holds groups, links, datasets, committed datatypes and attributes.
//
// Contract (every backend):
// - Thread-safety: all methods may be called concurrently from any thread. Backends
//   serialise what their engine needs (the hdf5 backend guards each multi-call HDF5
//   sequence per file); a write is durable in the backend's sense before the call returns
//   (the hdf5 backend flushes the file).
// - Containers are named by a relative path without extension ("test/tall",
//   "home/alice/data"): '/'-separated, no empty, "." or ".." segments.
// - Object ids are strings unique within their container and stable for the object's life,
//   across restarts. An id that named an object which was deleted throws Gone; an id that
//   never existed throws NotFound.
// - Every object has created/modified times (ms since epoch). The root group cannot be
//   deleted (Forbidden).
// - Read-only containers (files the server may not write) throw Forbidden on any write and
//   are never modified.
// - Values cross this interface in the packed form of datatype.h, in selection order
//   (selection.h). Reads hand bytes to a sink in blocks; writes pull them from a source;
//   neither holds a whole large selection in memory.
// - Listing: listContainers, listLinks and listAttributes sort by name (bytewise) and page
//   after a marker name that need not exist; listObjects lists in creation order (files:
//   the order the backend finds them, stable across calls) and pages after a marker id (a
//   deleted marker still pages on; an unknown one gives an empty page). The root group is
//   never listed.
// - Shapes: maxdims always has one entry per dimension for simple shapes. Scalar datasets
//   take rank-0 selections (Selection::all({})) but not points; null datasets take none.
// - Links: the store fills in Link::kind of hard links. After deleteObject, links that led
//   to the object either remain (following them gives Gone) or are gone, by backend.
// - Committed datatypes used by reference: a dataset or attribute created with a type whose
//   committedId is set uses that committed datatype (the hdf5 backend shares the type object, as
//   HDF5 files do); NotFound or Gone unless committedId names a live datatype of the container.
//   Its type then reports the committedId. Deleting the datatype leaves the objects that use it
//   their structure and values (HDF5 keeps the type alive through them); their types then
//   report an empty committedId.
// - A rejected write (wrong size, bad selection) changes nothing.
// - Errors: NotFound (container, object, link, attribute), Conflict (container, link or
//   attribute exists), Gone, Forbidden, BadRequest (invalid shape, type, selection,
//   value size), InternalError/ServiceUnavailable for engine failures, with messages that
//   name the object. A corrupt container throws InternalError for that container only.
// - arrays/validation.h holds the checks that do not depend on the engine (names, specs,
//   values, selections, resizes), with their messages.
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/export.h>

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace strata {

enum class ObjectKind { Group, Dataset, Datatype };
STRATA_API const char* collectionName(ObjectKind kind);  // "groups", "datasets", "datatypes"
STRATA_API const char* kindName(ObjectKind kind);        // "group", "dataset", "datatype"

struct STRATA_API ContainerInfo {
  std::string name;
  std::string rootId;
  int64_t created = 0;
  int64_t modified = 0;
  bool readOnly = false;
};

struct STRATA_API ObjectInfo {
  std::string id;
  ObjectKind kind = ObjectKind::Group;
  int64_t created = 0;
  int64_t modified = 0;
  uint64_t attributeCount = 0;
  uint64_t linkCount = 0;  // groups
};

enum class LinkClass { Hard, Soft, External, UserDefined };

struct STRATA_API Link {
  std::string name;
  LinkClass cls = LinkClass::Hard;
  std::string id;                       // hard: the target's id
  ObjectKind kind = ObjectKind::Group;  // hard: the target's kind
  std::string h5path;                   // soft, external
  std::string h5domain;                 // external: the file/domain as stored
  int64_t created = 0;
};

enum class ShapeClass { Simple, Scalar, Null };
inline constexpr uint64_t kUnlimited = UINT64_MAX;

struct STRATA_API Shape {
  ShapeClass cls = ShapeClass::Scalar;
  std::vector<uint64_t> dims;
  std::vector<uint64_t> maxdims;  // empty: same as dims; kUnlimited for unlimited dimensions
  uint64_t elements() const;      // 1 for scalar, 0 for null
};

struct STRATA_API Filter {
  enum class Kind { Deflate, Shuffle, Fletcher32, ScaleOffset, Other } kind = Kind::Deflate;
  int id = 1;
  int level = 6;          // deflate
  std::string scaleType;  // scaleoffset: H5Z_SO_INT, H5Z_SO_FLOAT_DSCALE, ...
  int scaleOffset = 0;
  std::vector<unsigned> parameters;  // other
};

// How a dataset's values are laid out in storage (HDF5's H5D_CONTIGUOUS, H5D_CHUNKED,
// H5D_COMPACT). Chunked exactly when DatasetInfo::chunks is not empty.
enum class Layout { Contiguous, Chunked, Compact };
// When storage is allocated and when it is filled (HDF5's H5D_ALLOC_TIME_*, H5D_FILL_TIME_*).
enum class AllocTime { Default, Early, Late, Incremental };
enum class FillTime { IfSet, Alloc, Never };

struct STRATA_API DatasetSpec {
  arrays::DatatypePtr type;
  Shape shape;
  std::vector<uint64_t> chunks;  // empty: contiguous (or backend's choice)
  std::string fillValue;         // packed form of one element; empty: zeros
  std::vector<Filter> filters;
  // The creationProperties JSON as the client sent it, kept and returned unchanged (h5serv
  // does). Stores never read it: the typed fields above are what a dataset is created with.
  Poco::JSON::Object::Ptr creationProperties;
};

struct STRATA_API DatasetInfo {
  ObjectInfo object;
  arrays::DatatypePtr type;
  Shape shape;
  std::vector<uint64_t> chunks;  // empty: contiguous
  std::string fillValue;         // packed, empty if none set
  std::vector<Filter> filters;
  // The creation properties, typed: this is the contract. Layout follows chunks in stores that
  // have no other layouts; allocation and fill times are known only to stores that have them
  // (hdf5), unset elsewhere. The API plugin renders these in its own JSON form.
  Layout layout = Layout::Contiguous;
  std::optional<AllocTime> allocTime;
  std::optional<FillTime> fillTime;
  // DatasetSpec::creationProperties as the client sent it, or null (datasets made outside the
  // API, or sent without). Opaque to stores.
  Poco::JSON::Object::Ptr creationProperties;
};

struct STRATA_API AttributeInfo {
  std::string name;
  arrays::DatatypePtr type;
  Shape shape;
  int64_t created = 0;
};

struct STRATA_API Page {
  std::string marker;  // start after this name or id ("" = from the start)
  uint64_t limit = 0;  // 0 = no limit
};

using ByteSink = std::function<void(const char* data, std::size_t n)>;
// Fills up to n bytes; returns the number written, 0 at the end.
using ByteSource = std::function<std::size_t(char* data, std::size_t n)>;

class STRATA_API ArrayStore {
 public:
  virtual ~ArrayStore();

  // ---- containers
  virtual std::vector<std::string> listContainers() = 0;
  virtual std::optional<ContainerInfo> findContainer(const std::string& name) = 0;
  ContainerInfo container(const std::string& name);                    // findContainer or NotFound
  virtual ContainerInfo createContainer(const std::string& name) = 0;  // Conflict if it exists
  virtual void deleteContainer(const std::string& name) = 0;

  // ---- objects
  virtual ObjectInfo object(const std::string& c, const std::string& id) = 0;
  virtual std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) = 0;
  virtual void deleteObject(const std::string& c, const std::string& id) = 0;

  virtual ObjectInfo createGroup(const std::string& c) = 0;

  // ---- links (groups only)
  virtual std::vector<Link> listLinks(const std::string& c, const std::string& group, const Page& page) = 0;
  virtual Link link(const std::string& c, const std::string& group, const std::string& name) = 0;
  // Conflict if the name exists; BadRequest for names with '/' or empty names; NotFound if
  // a hard link's target does not exist.
  virtual void createLink(const std::string& c, const std::string& group, const Link& link) = 0;
  virtual void deleteLink(const std::string& c, const std::string& group, const std::string& name) = 0;

  // ---- datasets
  virtual DatasetInfo createDataset(const std::string& c, const DatasetSpec& spec) = 0;
  virtual DatasetInfo dataset(const std::string& c, const std::string& id) = 0;
  // BadRequest for a wrong rank or past maxdims; shrinking is allowed (HSDS semantics).
  virtual void resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) = 0;
  virtual void read(const std::string& c, const std::string& id, const arrays::Selection& sel,
                    const ByteSink& sink) = 0;
  // `bytes` is the total the source will provide (for fixed-size types it must equal
  // selection size x type size: BadRequest otherwise).
  virtual void write(const std::string& c, const std::string& id, const arrays::Selection& sel,
                     const ByteSource& source, uint64_t bytes) = 0;

  // ---- committed datatypes
  virtual ObjectInfo createDatatype(const std::string& c, const arrays::DatatypePtr& type) = 0;
  virtual arrays::DatatypePtr datatype(const std::string& c, const std::string& id) = 0;

  // ---- attributes (on any object)
  virtual std::vector<AttributeInfo> listAttributes(const std::string& c, const std::string& obj,
                                                    const Page& page) = 0;
  virtual AttributeInfo attribute(const std::string& c, const std::string& obj, const std::string& name) = 0;
  // The attribute's whole value in the packed form.
  virtual std::string attributeValue(const std::string& c, const std::string& obj,
                                     const std::string& name) = 0;
  // Conflict if it exists and !replace.
  virtual void createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                               const std::string& packedValue, bool replace) = 0;
  virtual void deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) = 0;

  // ---- whole containers as HDF5 files
  // Writes the container as an .h5 file to the sink. Backends that cannot throw
  // NotImplemented (the default).
  virtual void exportHdf5(const std::string& c, const ByteSink& sink);
};

}  // namespace strata
