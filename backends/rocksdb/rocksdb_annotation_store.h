#pragma once
// The rocksdb backend's annotations store; layout and costs in rocksdb_annotation_store.cpp
// and docs/storage.md.
#include "rocksdb_db.h"
#include "striped_mutex.h"

#include <strata/stores/annotation_store.h>

namespace strata::rocksdb {

class RocksDbAnnotationStore final : public AnnotationStore {
 public:
  RocksDbAnnotationStore(std::shared_ptr<RocksDb> db, const StoreOptions& options);

  void set(const std::string& target, const Annotation& annotation) override;
  std::string replaceAll(const std::string& target, const std::vector<Annotation>& all,
                         const std::string& ifMatch) override;
  AnnotationSet read(const std::string& target) override;
  std::vector<Annotation> list(const std::string& target) override;
  std::optional<Annotation> find(const std::string& target, const std::string& key) override;
  void remove(const std::string& target, const std::string& key) override;
  void removeAll(const std::string& target) override;
  AnnotationPage search(const AnnotationSearch& search) override;
  std::vector<std::string> targets(const std::string& after, uint64_t limit) override;

 private:
  // Adds to `batch` the deletion of every annotation of `target` and its index entries.
  void deleteAllOf(const std::string& target, ::rocksdb::WriteBatch& batch);
  // Adds to `batch` the deletion of one stored annotation's record and index entries.
  void deleteOne(const std::string& target, const Annotation& stored, ::rocksdb::WriteBatch& batch);
  void put(const std::string& target, const Annotation& annotation, ::rocksdb::WriteBatch& batch);
  Annotation decode(const std::string& target, const std::string& key, const ::rocksdb::Slice& value) const;
  // The target's etag as `ro` sees it (kNoAnnotationsEtag without annotations).
  std::string etagOf(const std::string& target, const ::rocksdb::ReadOptions& ro);
  // Whether the target has an annotation other than `key`.
  bool hasOtherKeys(const std::string& target, const std::string& key);
  std::optional<Annotation> findIn(const std::string& target, const std::string& key,
                                   const ::rocksdb::ReadOptions& ro);

  std::shared_ptr<RocksDb> db_;
  std::unique_ptr<RocksDb::RoleClaim> claim_;
  ::rocksdb::ColumnFamilyHandle* records_;
  ::rocksdb::ColumnFamilyHandle* index_;
  ::rocksdb::WriteOptions write_;
  StripedMutex stripes_;  // by target
};

}  // namespace strata::rocksdb
