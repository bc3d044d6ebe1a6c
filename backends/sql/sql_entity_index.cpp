// Schema (component "entities", version 2; version 1 had SQLite expression indexes on
// json_extract(body, ...), named strata_entities_<hash>, which the migration drops):
//
//   strata_entity_indexes (collection, field) primary key: the declared body fields
//   strata_entity_values  (collection, field, id, kind, num, str): one row per entity and
//                         declared field whose value is a string (kind 0, str) or a number
//                         (kind 1, num, a double); indexed by (collection, field, str, id),
//                         (collection, field, kind, num, id) and (collection, id)
//
// str is 's' and the string's first kIndexStringPrefix bytes (never an empty BYTEA, which may bind
// as NULL; short enough for a b-tree entry). Every write of an entity rewrites its rows in the
// write's transaction, after taking the collection's advisory lock in shared mode and reading
// the declared fields (two statements: under READ COMMITTED the read's snapshot must come after
// the lock); declareEntityIndex() takes the same lock exclusively, records the field and
// indexes the collection's entities, so a write committed before the declaration is indexed by
// it and one after it sees the field.
#include "sql_entity_index.h"

#include "sql_index_values.h"
#include "sql_statements.h"

#include <strata/util.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <limits>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::BLOB;
using Poco::Data::Session;

namespace {

constexpr double kExactDoubles = 9007199254740992.0;  // 2^53: integers below it are doubles exactly
constexpr std::size_t kChunk = 512;

// The advisory lock of a collection's indexes: the (int, int) key space, apart from the
// bigint keys the batches lock entities with.
int64_t collectionLockKey(const std::string& collection) {
  uint32_t h = 2166136261u;  // FNV-1a, 32 bits
  for (unsigned char c : collection) h = (h ^ c) * 16777619u;
  return static_cast<int32_t>(h);
}
constexpr int64_t kLockClass = 0x53544958;  // "STIX"

void lock(Session& s, const std::string& collection, bool exclusive) {
  if (s.connector() == "sqlite") return;
  queryRows(s,
            std::string("SELECT COUNT(*) FROM (SELECT ") +
                (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared") +
                "(CAST(? AS INTEGER), CAST(? AS INTEGER))) AS locked",
            {kLockClass, collectionLockKey(collection)}, {SqlType::Integer});
}

// The index row's (kind, value) of a field's value, or nullopt (missing, null, boolean,
// object, array: no filter answered from the index can hold for them).
std::optional<std::pair<int64_t, SqlValue>> indexed(const Poco::Dynamic::Var& v) {
  if (v.isEmpty() || v.isBoolean()) return std::nullopt;
  if (v.isString())
    return std::make_pair(kIndexString, SqlValue(Bytes{indexedString(v.convert<std::string>())}));
  if (!v.isNumeric()) return std::nullopt;
  const double d = v.convert<double>();
  if (std::isnan(d)) return std::nullopt;
  return std::make_pair(kIndexNumber, SqlValue(d));
}

void insertRow(Session& s, const std::string& collection, const std::string& id, const std::string& field,
               const Poco::JSON::Object& body) {
  const auto row = indexed(entityField(id, 0, 0, 0, body, field));
  if (!row) return;
  execute(s,
          std::string("INSERT INTO strata_entity_values (collection, field, id, kind, ") +
              (row->first == kIndexString ? "str" : "num") + ") VALUES (?, ?, ?, ?, ?)",
          {Bytes{collection}, Bytes{field}, Bytes{id}, row->first, row->second});
}

std::vector<std::string> fieldsOf(Session& s, const std::string& collection) {
  const SqlRows rows = queryRows(s, "SELECT field FROM strata_entity_indexes WHERE collection = ?",
                                 {Bytes{collection}}, {SqlType::Bytes});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(rows.bytes(i, 0));
  return out;
}

}  // namespace

void createEntityIndexTables(Session& s) {
  const bool pg = s.connector() != "sqlite";
  const std::string bytes = pg ? "BYTEA" : "BLOB";
  execute(s, "CREATE TABLE strata_entity_indexes (collection " + bytes + " NOT NULL, field " + bytes +
                 " NOT NULL, PRIMARY KEY (collection, field))");
  execute(s, "CREATE TABLE strata_entity_values (collection " + bytes + " NOT NULL, field " + bytes +
                 " NOT NULL, id " + bytes + " NOT NULL, kind INTEGER NOT NULL, num DOUBLE PRECISION, str " +
                 bytes + ")");
  execute(s, "CREATE INDEX strata_entity_values_str ON strata_entity_values (collection, field, str, id)");
  execute(s,
          "CREATE INDEX strata_entity_values_num ON strata_entity_values (collection, field, kind, num, id)");
  execute(s, "CREATE INDEX strata_entity_values_id ON strata_entity_values (collection, id)");
  if (!pg) {
    // Version 1's expression indexes: unused now, and each write kept them.
    std::vector<std::string> old;
    s << "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'strata_entities' AND name LIKE "
         "'strata_entities_%'",
        into(old), now;
    for (const auto& name : old) execute(s, "DROP INDEX \"" + name + "\"");
  }
}

std::vector<std::string> lockIndexedFields(Session& s, const std::string& collection) {
  lock(s, collection, false);
  return fieldsOf(s, collection);
}

std::vector<std::string> indexedFields(Session& s, const std::string& collection) {
  return fieldsOf(s, collection);
}

void indexEntity(Session& s, const std::string& collection, const std::string& id,
                 const Poco::JSON::Object* body, const std::vector<std::string>& fields, bool created) {
  if (fields.empty()) return;
  if (!created)
    execute(s, "DELETE FROM strata_entity_values WHERE collection = ? AND id = ?",
            {Bytes{collection}, Bytes{id}});
  if (!body) return;
  for (const auto& field : fields) insertRow(s, collection, id, field, *body);
}

bool declareEntityIndex(Session& s, const std::string& collection, const std::string& field) {
  lock(s, collection, true);
  if (run(s,
          "INSERT INTO strata_entity_indexes (collection, field) VALUES (?, ?) "
          "ON CONFLICT (collection, field) DO NOTHING",
          {Bytes{collection}, Bytes{field}}) == 0)
    return false;
  // The entities already there, a chunk at a time in id order.
  std::string last;
  for (bool first = true;; first = false) {
    std::vector<SqlValue> values{Bytes{collection}};
    std::string sql = "SELECT id, body FROM strata_entities WHERE collection = ?";
    if (!first) {
      sql += " AND id > ?";
      values.emplace_back(Bytes{last});
    }
    SqlRows rows = queryRows(s, sql + " ORDER BY id LIMIT " + std::to_string(kChunk), values,
                             {SqlType::Bytes, SqlType::Text});
    const auto& ids = std::get<std::vector<BLOB>>(rows.columns[0]);
    const auto& bodies = std::get<std::vector<std::string>>(rows.columns[1]);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      Poco::JSON::Object::Ptr body;
      try {
        body = Poco::JSON::Parser().parse(bodies[i]).extract<Poco::JSON::Object::Ptr>();
      } catch (const Poco::Exception&) {
        continue;  // a corrupt body: list() reports it when it reads the row
      }
      if (body) insertRow(s, collection, bytesOf(ids[i]), field, *body);
    }
    if (ids.size() < kChunk) break;
    last = bytesOf(ids.back());
  }
  return true;
}

std::optional<IndexClause> indexedFilter(const std::string& collection, const EntityFilter& f) {
  using Op = EntityFilter::Op;
  if (f.caseInsensitive) return std::nullopt;
  const char* widened = nullptr;  // holds for every index value of a value the filter holds for
  switch (f.op) {
    case Op::Eq:
    case Op::In:
      widened = " = ?";
      break;
    case Op::Lt:
    case Op::Le:
      widened = " <= ?";
      break;
    case Op::Gt:
    case Op::Ge:
      widened = " >= ?";
      break;
    default:
      return std::nullopt;  // Ne, Contains, IsNull
  }
  std::vector<Poco::Dynamic::Var> operands;
  if (f.op == Op::In) {
    auto list = entityFilterList(f.value);
    if (!list) return std::nullopt;
    operands = std::move(*list);
  } else {
    operands.push_back(f.value);
  }
  // An equality is exact when the index value is the value itself: strings shorter than the
  // prefix, numbers below 2^53.
  IndexClause c;
  c.exact = f.op == Op::Eq || f.op == Op::In;
  std::string any;
  for (const auto& v : operands) {
    if (v.isEmpty() || v.isBoolean()) return std::nullopt;
    if (v.isString()) {
      const std::string s = v.convert<std::string>();
      if (s.size() >= kIndexStringPrefix) c.exact = false;
      any += std::string(any.empty() ? "" : " OR ") + "str" + widened;
      c.values.emplace_back(Bytes{indexedString(s)});
    } else if (v.isNumeric()) {
      const double d = v.convert<double>();
      if (std::isnan(d)) return std::nullopt;
      if (!(std::fabs(d) < kExactDoubles)) c.exact = false;
      any += std::string(any.empty() ? "" : " OR ") + "(kind = 1 AND num" + widened + ")";
      c.values.emplace_back(d);
    } else {
      return std::nullopt;  // objects, arrays
    }
  }
  if (operands.empty()) return IndexClause{"1 = 0", {}, true};
  c.sql = "id IN (SELECT id FROM strata_entity_values WHERE collection = ? AND field = ? AND (" + any + "))";
  c.values.insert(c.values.begin(), {Bytes{collection}, Bytes{f.field}});
  return c;
}

}  // namespace strata::sql
