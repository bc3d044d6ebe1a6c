#pragma once
// The rocksdb backend's entities store; layout and costs in rocksdb_entity_store.cpp and
// docs/storage.md.
#include "rocksdb_db.h"
#include "striped_mutex.h"

#include <strata/stores/entity_store.h>

#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace strata::rocksdb {

class RocksDbEntityStore final : public EntityStore {
 public:
  RocksDbEntityStore(std::shared_ptr<RocksDb> db, const StoreOptions& options);

  Entity create(const std::string& collection, const std::string& id,
                const Poco::JSON::Object::Ptr& body) override;
  std::optional<Entity> find(const std::string& collection, const std::string& id) override;
  Entity update(const std::string& collection, const std::string& id, const Poco::JSON::Object::Ptr& body,
                const std::string& ifMatch) override;
  void remove(const std::string& collection, const std::string& id, const std::string& ifMatch) override;
  EntityPage list(const std::string& collection, const EntityQuery& query) override;
  std::vector<std::string> collections() override;
  int64_t nextSequence(const std::string& name) override;
  std::vector<Entity> apply(const EntityBatch& batch) override;
  void declareIndex(const std::string& collection, const std::string& field) override;

 private:
  // The stored record of `key`, or nullopt.
  std::optional<Entity> read(const std::string& collection, const std::string& id, const std::string& key,
                             const ::rocksdb::Snapshot* snapshot);
  Entity decode(const std::string& collection, const std::string& id, const std::string& value) const;
  // The indexed fields of a collection; the caller holds indexMutex_.
  std::vector<std::string> indexedFields(const std::string& collection) const;
  // Adds to `batch` the index changes of an entity going from oldBody to newBody (either null).
  void indexWrites(::rocksdb::WriteBatch& batch, const std::vector<std::string>& fields,
                   const std::string& collection, const std::string& id, const Poco::JSON::Object* oldBody,
                   const Poco::JSON::Object* newBody);

  std::shared_ptr<RocksDb> db_;
  std::unique_ptr<RocksDb::RoleClaim> claim_;
  ::rocksdb::ColumnFamilyHandle* cf_;
  ::rocksdb::WriteOptions write_;
  StripedMutex stripes_;
  ::rocksdb::ColumnFamilyHandle* sequencesCf_;
  std::mutex sequenceMutex_;
  std::map<std::string, int64_t> sequences_;  // name -> last value given (as stored)
  ::rocksdb::ColumnFamilyHandle* indexCf_;
  // Held shared by every write (before its stripes) and by list() to read indexed_;
  // exclusively by declareIndex() while it indexes the entities already stored.
  std::shared_mutex indexMutex_;
  std::map<std::string, std::vector<std::string>> indexed_;  // collection -> indexed fields
};

}  // namespace strata::rocksdb
