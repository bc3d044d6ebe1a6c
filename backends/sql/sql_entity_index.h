#pragma once
// The entities store's body-field indexes on PostgreSQL: a side table of the declared fields'
// values, kept in the writes' transactions (see sql_entity_index.cpp and docs/storage.md).
#include "sql_database.h"

#include <strata/stores/entity_store.h>

#include <optional>
#include <string>
#include <vector>

namespace strata::sql {

// Version 2 of the entities schema: strata_entity_indexes and strata_entity_values.
void createEntityIndexTables(Poco::Data::Session& session);

// The fields declared for `collection`, read for a write: first takes the collection's shared
// advisory lock, which declareEntityIndex() takes exclusively, so that a write and a
// declaration never miss each other.
std::vector<std::string> lockIndexedFields(Poco::Data::Session& session, const std::string& collection);

// The fields declared for `collection`, for a query.
std::vector<std::string> indexedFields(Poco::Data::Session& session, const std::string& collection);

// Replaces the index rows of entity `id` by those of `body` for `fields` (body null: removes
// them); `created`: the entity is new, so it has none to remove.
void indexEntity(Poco::Data::Session& session, const std::string& collection, const std::string& id,
                 const Poco::JSON::Object* body, const std::vector<std::string>& fields,
                 bool created = false);

// Declares `field` for `collection` and indexes the entities already there; false if it was
// declared already.
bool declareEntityIndex(Poco::Data::Session& session, const std::string& collection,
                        const std::string& field);

// A WHERE clause on strata_entities selecting at least the entities of `collection` for which
// the filter on the declared `field` holds (exact: exactly those), or nullopt if the filter
// cannot be answered from the index (then its rows are checked one by one).
struct IndexClause {
  std::string sql;
  std::vector<SqlValue> values;
  bool exact = false;
};
std::optional<IndexClause> indexedFilter(const std::string& collection, const EntityFilter& filter);

}  // namespace strata::sql
