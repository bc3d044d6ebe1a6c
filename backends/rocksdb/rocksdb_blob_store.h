#pragma once
// The rocksdb backend's blobs store; layout, crash behaviour and costs in
// rocksdb_blob_store.cpp and docs/storage.md.
#include "rocksdb_db.h"
#include "striped_mutex.h"

#include <strata/stores/blob_store.h>

namespace strata::rocksdb {

class RocksDbBlobStore final : public BlobStore {
 public:
  // Removes the chunks of uploads that a crash interrupted.
  RocksDbBlobStore(std::shared_ptr<RocksDb> db, const StoreOptions& options);

  BlobInfo put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) override;
  std::optional<BlobInfo> stat(const std::string& id) override;
  std::unique_ptr<BlobReader> open(const std::string& id) override;
  BlobInfo addRef(const std::string& id) override;
  uint64_t release(const std::string& id) override;
  std::vector<BlobInfo> list() override;

 private:
  // Adds to `batch` the deletion of the first `chunks` chunks stored under `dataKey`.
  void deleteChunks(const std::string& dataKey, uint64_t chunks, ::rocksdb::WriteBatch& batch);
  void removeUnfinishedUploads();

  std::shared_ptr<RocksDb> db_;
  std::unique_ptr<RocksDb::RoleClaim> claim_;
  ::rocksdb::ColumnFamilyHandle* chunks_;
  ::rocksdb::ColumnFamilyHandle* refs_;
  ::rocksdb::WriteOptions write_;  // the commits that acknowledge a request
  ::rocksdb::WriteOptions bulk_;   // chunk writes: never synced, the commit's sync covers them
  StripedMutex stripes_;           // by blob id
};

}  // namespace strata::rocksdb
