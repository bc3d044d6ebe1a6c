// The `rocksdb` backend: entities, annotations, blobs and arrays in RocksDB.
//
//   stores.<role>.<instance>.backend     = rocksdb
//   stores.<role>.<instance>.path        = var/db   (required; created if missing)
//   stores.<role>.<instance>.sync        = false    (true: fsync the write-ahead log before
//                                                     acknowledging each write)
//   stores.<role>.<instance>.compression = lz4      (none | snappy | lz4 | zstd)
//   stores.<role>.<instance>.cacheSize   = 64M      (the block cache of the database)
//
// Stores of different roles may share a path: they share one database, each in its own
// column families. compression and cacheSize belong to the database, so the first store to
// open it decides them (a differing later store is warned about); sync is per store.
// See docs/storage.md.
#include "rocksdb_annotation_store.h"
#include "rocksdb_array_store.h"
#include "rocksdb_blob_store.h"
#include "rocksdb_db.h"
#include "rocksdb_entity_store.h"

#include <strata/backend_plugin.h>

namespace strata::rocksdb {

class RocksDbBackend final : public BackendPlugin {
 public:
  std::vector<StoreRole> roles() const override {
    return {StoreRole::Entities, StoreRole::Annotations, StoreRole::Blobs, StoreRole::Arrays};
  }

  std::shared_ptr<EntityStore> createEntityStore(const StoreConfig& config) override {
    return openStore<RocksDbEntityStore>(config);
  }

  std::shared_ptr<AnnotationStore> createAnnotationStore(const StoreConfig& config) override {
    return openStore<RocksDbAnnotationStore>(config);
  }

  std::shared_ptr<BlobStore> createBlobStore(const StoreConfig& config) override {
    return openStore<RocksDbBlobStore>(config);
  }

  std::shared_ptr<ArrayStore> createArrayStore(const StoreConfig& config) override {
    return openStore<RocksDbArrayStore>(config);
  }

 private:
  // Every role's store shares the database of its configured path.
  template <class Store>
  static std::shared_ptr<Store> openStore(const StoreConfig& config) {
    const StoreOptions options = readStoreOptions(config);
    return std::make_shared<Store>(RocksDb::open(options, config.logger), options);
  }
};

}  // namespace strata::rocksdb

STRATA_BACKEND_PLUGIN(strata::rocksdb::RocksDbBackend, "rocksdb", "0.1.0")
