#pragma once
// The sql backend's entities store; schema, queries and costs in sql_entity_store.cpp and
// docs/storage.md.
#include "sql_database.h"

#include <strata/stores/entity_store.h>

#include <memory>
#include <mutex>
#include <set>
#include <utility>

namespace strata::sql {

class SqlEntityStore final : public EntityStore {
 public:
  explicit SqlEntityStore(std::shared_ptr<SqlDatabase> db);

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
  // Runs one operation inside a write transaction; `label` is the batch label of the
  // operation, or empty outside a batch (the errors then read as a single call's).
  Entity applyOne(Poco::Data::Session& session, const EntityOperation& op, const std::string& id, int64_t now,
                  const std::string& label);

  std::shared_ptr<SqlDatabase> db_;
  // PostgreSQL: (collection, field) pairs known to be declared (a declaration is never undone).
  std::mutex indexMutex_;
  std::set<std::pair<std::string, std::string>> indexed_;
};

}  // namespace strata::sql
