#pragma once
// The sql backend's blobs store; schema, guarantees and costs in sql_blob_store.cpp and
// docs/storage.md.
#include "sql_database.h"

#include <strata/stores/blob_store.h>

#include <map>
#include <memory>
#include <mutex>

namespace strata::sql {

// The contents that readers of this process have open (content -> readers), shared with them.
struct HeldContents {
  std::mutex mutex;
  std::map<std::string, int> readers;
};

class SqlBlobStore final : public BlobStore {
 public:
  explicit SqlBlobStore(std::shared_ptr<SqlDatabase> db);

  BlobInfo put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) override;
  std::optional<BlobInfo> stat(const std::string& id) override;
  std::unique_ptr<BlobReader> open(const std::string& id) override;
  BlobInfo addRef(const std::string& id) override;
  uint64_t release(const std::string& id) override;
  std::vector<BlobInfo> list() override;

 private:
  // Deletes the chunks of contents whose grace period is over and that no reader here holds.
  void collect();

  std::shared_ptr<SqlDatabase> db_;
  std::shared_ptr<HeldContents> held_ = std::make_shared<HeldContents>();
};

}  // namespace strata::sql
