// The `sql` backend: entities, annotations and blobs in a SQL database through Poco::Data.
//
//   stores.<role>.<instance>.backend     = sql           (role: entities, annotations
//                                                         or blobs)
//   stores.<role>.<instance>.connector   = sqlite        (sqlite | postgresql)
//   stores.<role>.<instance>.connection  = var/strata.db (sqlite: a file path, created if
//                                                         missing; postgresql: a libpq
//                                                         connection string)
//   stores.<role>.<instance>.sync        = false         (sqlite: synchronous=FULL, an fsync
//                                                         per commit, instead of NORMAL)
//   stores.<role>.<instance>.maxSessions = 16            (connections kept open at most)
//
// Stores configured with the same connector and connection share one pool of sessions.
// See docs/storage.md.
#include "sql_annotation_store.h"
#include "sql_blob_store.h"
#include "sql_database.h"
#include "sql_entity_store.h"

#include <strata/backend_plugin.h>

#include <map>
#include <mutex>

namespace strata::sql {

class SqlBackend final : public BackendPlugin {
 public:
  std::vector<StoreRole> roles() const override {
    return {StoreRole::Entities, StoreRole::Annotations, StoreRole::Blobs};
  }

  std::shared_ptr<EntityStore> createEntityStore(const StoreConfig& config) override {
    return std::make_shared<SqlEntityStore>(database(config));
  }

  std::shared_ptr<AnnotationStore> createAnnotationStore(const StoreConfig& config) override {
    return std::make_shared<SqlAnnotationStore>(database(config));
  }

  std::shared_ptr<BlobStore> createBlobStore(const StoreConfig& config) override {
    return std::make_shared<SqlBlobStore>(database(config));
  }

 private:
  // The database of the store's connection, opened once while any store uses it.
  std::shared_ptr<SqlDatabase> database(const StoreConfig& config) {
    const SqlOptions options = readSqlOptions(config.section);
    const std::string key = std::to_string(static_cast<int>(options.connector)) + '\n' + options.connection;
    std::lock_guard lock(mutex_);
    if (auto db = databases_[key].lock()) return db;
    auto db = std::make_shared<SqlDatabase>(options, config.logger);
    databases_[key] = db;
    return db;
  }

  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<SqlDatabase>> databases_;
};

}  // namespace strata::sql

STRATA_BACKEND_PLUGIN(strata::sql::SqlBackend, "sql", "0.1.0")
