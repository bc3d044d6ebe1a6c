#pragma once
// The rocksdb backend's arrays store: the HDF5 data model laid out the way HSDS lays it out in
// an object store, one JSON document per object and one key per dataset chunk. The layout,
// the locking and the costs are described in rocksdb_array_store.cpp (metadata),
// rocksdb_array_values.cpp (chunks) and docs/storage.md.
#include <Poco/JSON/Object.h>
#include <strata/arrays/piece_walk.h>
#include <strata/stores/array_store.h>

#include <array>
#include <shared_mutex>

#include "rocksdb_db.h"
#include "striped_mutex.h"

namespace strata::rocksdb {

class RocksDbArrayStore final : public ArrayStore {
 public:
  RocksDbArrayStore(std::shared_ptr<RocksDb> db, const StoreOptions& options);

  std::vector<std::string> listContainers() override;
  std::optional<ContainerInfo> findContainer(const std::string& name) override;
  ContainerInfo createContainer(const std::string& name) override;
  void deleteContainer(const std::string& name) override;

  ObjectInfo object(const std::string& c, const std::string& id) override;
  std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) override;
  void deleteObject(const std::string& c, const std::string& id) override;
  ObjectInfo createGroup(const std::string& c) override;

  std::vector<Link> listLinks(const std::string& c, const std::string& group, const Page& page) override;
  Link link(const std::string& c, const std::string& group, const std::string& name) override;
  void createLink(const std::string& c, const std::string& group, const Link& link) override;
  void deleteLink(const std::string& c, const std::string& group, const std::string& name) override;

  DatasetInfo createDataset(const std::string& c, const DatasetSpec& spec) override;
  DatasetInfo dataset(const std::string& c, const std::string& id) override;
  void resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) override;
  void read(const std::string& c, const std::string& id, const arrays::Selection& sel,
            const ByteSink& sink) override;
  void write(const std::string& c, const std::string& id, const arrays::Selection& sel,
             const ByteSource& source, uint64_t bytes) override;

  ObjectInfo createDatatype(const std::string& c, const arrays::DatatypePtr& type) override;
  arrays::DatatypePtr datatype(const std::string& c, const std::string& id) override;

  std::vector<AttributeInfo> listAttributes(const std::string& c, const std::string& obj,
                                            const Page& page) override;
  AttributeInfo attribute(const std::string& c, const std::string& obj, const std::string& name) override;
  std::string attributeValue(const std::string& c, const std::string& obj, const std::string& name) override;
  void createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                       const std::string& packedValue, bool replace) override;
  void deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) override;

  // An object's stored document, parsed.
  struct ObjectDoc {
    Poco::JSON::Object::Ptr json;
    ObjectInfo info;
    uint64_t seq = 0;
  };

  // A dataset as stored, with what value access derives from it.
  struct Dataset {
    ObjectInfo object;
    arrays::DatatypePtr type;
    ShapeClass cls = ShapeClass::Simple;
    std::vector<uint64_t> dims;
    std::vector<uint64_t> maxdims;
    std::vector<uint64_t> chunks;  // as the client gave them (empty: contiguous)
    std::vector<uint64_t> layout;  // the chunk shape the values are stored in
    std::string fillValue;         // packed; empty if none was set
    std::vector<Filter> filters;
    std::string creationProperties;  // JSON text
    // Derived: one element never written (the fill value, or the type's zero element), the
    // elements of one chunk, and the prefix of the dataset's chunk keys.
    std::string unwritten;
    uint64_t chunkElements = 1;
    std::string chunkPrefix;
  };

 private:
  class ChunkWriter;

  // ---- metadata (rocksdb_array_store.cpp)

  // The container's record, or NotFound naming it.
  Poco::JSON::Object::Ptr requireContainer(const std::string& c, const ::rocksdb::ReadOptions& ro);
  // The object `id` (of `kind`, if given): NotFound, or Gone if it was deleted.
  ObjectDoc findObject(const std::string& c, const std::string& id, const ::rocksdb::ReadOptions& ro,
                       const ObjectKind* kind = nullptr);
  Dataset loadDataset(const std::string& c, const std::string& id, const ::rocksdb::ReadOptions& ro);
  // A type naming a committed datatype must name a live one of the container: NotFound or Gone.
  void requireCommitted(const std::string& c, const arrays::DatatypePtr& type,
                        const ::rocksdb::ReadOptions& ro);
  // The type as reported: the structure alone once its committed datatype was deleted.
  arrays::DatatypePtr liveType(const std::string& c, const arrays::DatatypePtr& type,
                               const ::rocksdb::ReadOptions& ro);
  // A new object's document in `batch`, numbered from the container record (which the caller
  // writes). Caller holds the container lock exclusively.
  ObjectDoc addObject(const std::string& c, Poco::JSON::Object::Ptr record, ObjectKind kind,
                      ::rocksdb::WriteBatch& batch);
  // Puts the object's and the container's documents with `modified` = now.
  void touch(const std::string& c, ObjectDoc& doc, Poco::JSON::Object::Ptr record, int64_t now,
             ::rocksdb::WriteBatch& batch);
  bool getMeta(const std::string& key, const ::rocksdb::ReadOptions& ro, std::string& value);
  void putMeta(::rocksdb::WriteBatch& batch, const std::string& key, const Poco::JSON::Object::Ptr& json);
  [[noreturn]] void corrupt(const std::string& c, const std::string& what, const std::string& detail) const;
  // Returns decode(); a record it cannot parse (Poco's or the type model's errors) is reported
  // through corrupt() as `what`.
  template <class Decode>
  auto decodeOrCorrupt(const std::string& c, const std::string& what, Decode&& decode) const
      -> decltype(decode());
  // The stored record of one attribute, read in one snapshot with its domain and object.
  std::string attributeRecord(const std::string& c, const std::string& obj, const std::string& name);
  std::shared_mutex& containerLock(const std::string& c);
  std::mutex& datasetLock(const std::string& c, const std::string& id);

  // ---- values (rocksdb_array_values.cpp)

  // Where a selection enters: checked against the dataset once, then walked piece by piece.
  static arrays::PieceWalk walk(const Dataset& d, const arrays::Selection& sel);
  // Reads one chunk; false if it was never written.
  bool fetchChunk(const ::rocksdb::ReadOptions& ro, const std::string& key, ::rocksdb::PinnableSlice& value);
  void readFixed(const std::string& c, const Dataset& d, const arrays::PieceWalk& pieces,
                 const ::rocksdb::ReadOptions& ro, const ByteSink& sink);
  void readVariable(const std::string& c, const Dataset& d, const arrays::PieceWalk& pieces,
                    const ::rocksdb::ReadOptions& ro, const ByteSink& sink);

  std::shared_ptr<RocksDb> db_;
  std::unique_ptr<RocksDb::RoleClaim> claim_;
  ::rocksdb::ColumnFamilyHandle* meta_;
  ::rocksdb::ColumnFamilyHandle* chunks_;
  ::rocksdb::WriteOptions write_;    // the write that acknowledges a request
  ::rocksdb::WriteOptions interim_;  // the earlier batches of a large write: never synced
  // Metadata changes of one container take its stripe exclusively; the batches of value
  // writes and resizes take it shared, to check that their dataset still exists.
  std::array<std::shared_mutex, 64> containerLocks_;
  // Value writes, resizes and deletions of one dataset run one at a time; always taken
  // before the container's stripe, never after.
  StripedMutex datasetLocks_;
};

}  // namespace strata::rocksdb
