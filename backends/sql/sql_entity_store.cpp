// Schema (component "entities" of strata_schema, version 1):
//
//   strata_entities  (collection, id, etag, version, created, modified, body)
//                    primary key (collection, id); body is the JSON text of the body
//   strata_sequences (name primary key, value): the last value nextSequence() gave
//
// Collections, ids and sequence names are BLOBs (BYTEA): any bytes, NUL included, ordered by
// bytes as the contract says, so the primary key's order is the id order.
//
// Writes: every write is one transaction (SQLite: BEGIN IMMEDIATE, so writers take turns and
// each reads the current row; PostgreSQL: the row is read FOR UPDATE). A create is an INSERT
// ... ON CONFLICT DO NOTHING whose affected-row count tells an existing id; an update or remove
// reads the row, checks the etag and writes, all inside the transaction, so that of concurrent
// writers with one etag exactly one succeeds. apply() runs its operations in order in one
// transaction: each sees the earlier ones, and any failure rolls all of them back. On
// PostgreSQL a batch first takes an advisory lock per entity in ascending order (see apply()),
// so that batches in opposite orders cannot deadlock.
//
// list(): the query is translated into SQL where that is safe (see `translate` below) and the
// fetched rows are checked again with entityMatches(), so that the contract's exact results
// hold whatever SQL compares differently (kinds, NaN, case folding). Only when the translation
// is exact (the collection, idPrefix, `id Eq|In`) and the order is by id does the page come
// straight from SQL (ORDER BY id LIMIT/OFFSET, the total by COUNT(*)); otherwise the rows the
// WHERE clause selects are read in chunks of kChunk by id (keyset paging, memory bounded) and
// the best offset+limit kept in a heap under compareEntityOrder().
//
// Indexes (schema version 2, sql_entity_index.cpp): the values of declared body fields are
// kept in a side table, strata_entity_values, by every write in its transaction, and list()
// selects by `id IN (SELECT id FROM strata_entity_values WHERE ...)`, an index range, for Eq,
// In and range filters on a declared field (any name). Not an expression index: PostgreSQL's
// json and jsonb types refuse a body holding \u0000 (which the contract stores), and SQLite's
// planner, without statistics, prefers the primary key's range of the collection to an
// expression index on json_extract(). Filters on undeclared fields are, on SQLite, still
// narrowed in SQL with json_extract(body, '$."a"."b"') where the path's segments are letters,
// digits, '_' and '-' (the path is SQL text), over the collection's rows.
#include "sql_entity_store.h"

#include "sql_entity_index.h"
#include "sql_statements.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <set>
#include <sstream>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::JSON::Object;

namespace {

constexpr std::size_t kChunk = 512;
constexpr const char* kColumns = "id, etag, version, created, modified, body";

void requireName(const std::string& value, const char* what) {
  if (value.empty()) throw BadRequest(std::string("an entity needs a non-empty ") + what);
}

std::string serialize(const Object::Ptr& body) {
  if (!body) return "{}";
  std::ostringstream os;
  body->stringify(os);
  return os.str();
}

Object::Ptr parseBody(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Object::Ptr>();
}

// Rows of kColumns, column by column.
struct Rows {
  std::vector<Poco::Data::BLOB> id;
  std::vector<std::string> etag, body;
  std::vector<Poco::Int64> version, created, modified;
  std::size_t size() const { return id.size(); }
};

void select(Session& session, const std::string& sql, const std::vector<SqlValue>& values, Rows& rows) {
  using T = SqlType;
  SqlRows r =
      queryRows(session, sql, values, {T::Bytes, T::Text, T::Integer, T::Integer, T::Integer, T::Text});
  rows.id = std::move(std::get<std::vector<Poco::Data::BLOB>>(r.columns[0]));
  rows.etag = std::move(std::get<std::vector<std::string>>(r.columns[1]));
  rows.version = std::move(std::get<std::vector<Poco::Int64>>(r.columns[2]));
  rows.created = std::move(std::get<std::vector<Poco::Int64>>(r.columns[3]));
  rows.modified = std::move(std::get<std::vector<Poco::Int64>>(r.columns[4]));
  rows.body = std::move(std::get<std::vector<std::string>>(r.columns[5]));
}

Entity entityOf(const SqlDatabase& db, const std::string& collection, const Rows& rows, std::size_t i) {
  Entity e;
  e.collection = collection;
  e.id = bytesOf(rows.id[i]);
  e.etag = rows.etag[i];
  e.version = rows.version[i];
  e.created = rows.created[i];
  e.modified = rows.modified[i];
  try {
    e.body = parseBody(rows.body[i]);
  } catch (const Poco::Exception& ex) {
    db.logger().error("%s: unreadable body of entity '%s' in collection '%s': %s", db.describe(), e.id,
                      collection, ex.displayText());
  }
  if (!e.body)
    throw InternalError("the " + db.describe() + " holds a corrupt body for entity '" + e.id +
                        "' in collection '" + collection + "'");
  return e;
}

// ---- translating queries

// A piece of a WHERE clause. exact: it selects exactly the entities the contract does (so no
// row needs checking again); otherwise it selects at least those.
struct Clause {
  std::string sql;
  std::vector<SqlValue> values;
  bool exact = false;
};

bool safeSegment(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

bool ownField(const std::string& field) {
  return field == "id" || field == "created" || field == "modified" || field == "version";
}

// The SQL expression of a body field's value, or "" if there is none: on PostgreSQL (whose JSON
// types refuse the \u0000 a body may hold, so that an expression index on one would refuse
// such a body's write), or where the path cannot be written into SQL text safely. The same
// text in declareIndex() and list() lets SQLite use the index.
std::string fieldExpression(bool postgres, const std::string& field) {
  if (postgres) return "";
  std::string out = "json_extract(body, '$";
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = field.find('.', start);
    const std::string segment =
        field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!safeSegment(segment)) return "";
    out += ".\"" + segment + "\"";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out + "')";
}

// A filter value as a bound parameter that json_extract()'s result (strings as text, numbers
// as numbers) compares correctly with, or nullopt.
std::optional<SqlValue> sqlScalar(const Poco::Dynamic::Var& v) {
  if (v.isEmpty() || v.isBoolean()) return std::nullopt;
  if (v.isString()) return SqlValue(v.convert<std::string>());
  if (!v.isNumeric()) return std::nullopt;
  if (v.isInteger()) {
    if (v.isSigned()) return SqlValue(static_cast<int64_t>(v.convert<Poco::Int64>()));
    const auto u = v.convert<Poco::UInt64>();
    if (u > static_cast<Poco::UInt64>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return SqlValue(static_cast<int64_t>(u));
  }
  const double d = v.convert<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return SqlValue(d);
}

// What translating a query needs to know: the connector, and on PostgreSQL the collection and
// its declared fields.
struct Context {
  bool postgres = false;
  std::string collection;
  std::set<std::string> indexed;
};

std::optional<Clause> translate(const Context& ctx, const EntityFilter& f) {
  using Op = EntityFilter::Op;
  if (f.caseInsensitive) return std::nullopt;
  const char* comparison = nullptr;
  switch (f.op) {
    case Op::Eq:
      comparison = " = ?";
      break;
    case Op::Lt:
      comparison = " < ?";
      break;
    case Op::Le:
      comparison = " <= ?";
      break;
    case Op::Gt:
      comparison = " > ?";
      break;
    case Op::Ge:
      comparison = " >= ?";
      break;
    case Op::In:
      break;
    default:
      return std::nullopt;  // Ne, Contains, IsNull: checked on the rows
  }
  if (f.field == "id") {
    // The id is always a string: a string Eq or In is exact, values of other kinds never hold.
    if (f.op == Op::Eq && f.value.isString())
      return Clause{"id = ?", {Bytes{f.value.convert<std::string>()}}, true};
    if (f.op != Op::In) return std::nullopt;
    Clause c{"", {}, true};
    for (const auto& v : entityFilterList(f.value).value_or(std::vector<Poco::Dynamic::Var>{}))
      if (v.isString()) c.values.emplace_back(Bytes{v.convert<std::string>()});
    if (c.values.empty()) return Clause{"1 = 0", {}, true};
    c.sql = "id IN (?";
    for (std::size_t i = 1; i < c.values.size(); ++i) c.sql += ", ?";
    c.sql += ")";
    return c;
  }
  std::string expression;
  bool numericOnly = false;
  if (ownField(f.field)) {
    expression = f.field;  // created, modified, version: integer columns
    numericOnly = true;
  } else {
    if (ctx.indexed.count(f.field)) {
      if (auto c = indexedFilter(ctx.collection, f))
        return Clause{std::move(c->sql), std::move(c->values), c->exact};
    }
    expression = fieldExpression(ctx.postgres, f.field);
    if (expression.empty()) return std::nullopt;
  }
  const auto scalar = [&](const Poco::Dynamic::Var& v) -> std::optional<SqlValue> {
    if (numericOnly) {
      if (!v.isInteger() || !v.isSigned()) return std::nullopt;
      return SqlValue(static_cast<int64_t>(v.convert<Poco::Int64>()));
    }
    // json_extract() cuts a string at its first NUL, to a prefix of the stored value: only Eq,
    // In, Lt and Le with an operand free of NUL still select every entity they hold for.
    if (v.isString() &&
        (f.op == Op::Gt || f.op == Op::Ge || v.convert<std::string>().find('\0') != std::string::npos))
      return std::nullopt;
    return sqlScalar(v);
  };
  Clause c;
  if (f.op == Op::In) {
    const auto list = entityFilterList(f.value);
    if (!list) return std::nullopt;
    if (list->empty()) return Clause{"1 = 0", {}, true};
    for (const auto& v : *list) {
      auto value = scalar(v);
      if (!value) return std::nullopt;
      c.values.push_back(std::move(*value));
    }
    c.sql = expression + " IN (?";
    for (std::size_t i = 1; i < c.values.size(); ++i) c.sql += ", ?";
    c.sql += ")";
    return c;
  }
  auto value = scalar(f.value);
  if (!value) return std::nullopt;
  c.sql = expression + comparison;
  c.values.push_back(std::move(*value));
  return c;
}

std::optional<Clause> translate(const Context& ctx, const EntityCondition& condition) {
  std::optional<Clause> out;
  switch (condition.kind) {
    case EntityCondition::Kind::Filter:
      out = translate(ctx, condition.filter);
      break;
    case EntityCondition::Kind::And: {
      // Operands that cannot be translated are dropped (a weaker clause), at the cost of exactness.
      Clause c{"", {}, true};
      for (const auto& operand : condition.operands) {
        auto part = translate(ctx, operand);
        if (!part) {
          c.exact = false;
          continue;
        }
        c.sql += (c.sql.empty() ? "(" : " AND (") + part->sql + ")";
        c.values.insert(c.values.end(), part->values.begin(), part->values.end());
        c.exact = c.exact && part->exact;
      }
      if (c.sql.empty()) c.sql = "1 = 1";
      out = std::move(c);
      break;
    }
    case EntityCondition::Kind::Or: {
      // Every operand must narrow, or the union is everything.
      Clause c{"", {}, true};
      for (const auto& operand : condition.operands) {
        auto part = translate(ctx, operand);
        if (!part) return std::nullopt;
        c.sql += (c.sql.empty() ? "(" : " OR (") + part->sql + ")";
        c.values.insert(c.values.end(), part->values.begin(), part->values.end());
        c.exact = c.exact && part->exact;
      }
      if (c.sql.empty()) c.sql = "1 = 0";
      out = std::move(c);
      break;
    }
  }
  if (!condition.negate || !out) return out;
  // NOT of a superset is no superset: only an exact clause (never NULL: ids and constants) negates.
  if (!out->exact) return std::nullopt;
  out->sql = "NOT (" + out->sql + ")";
  return out;
}

// The body fields a query's filters and conditions name.
void bodyFields(const EntityCondition& c, std::set<std::string>& out) {
  if (c.kind == EntityCondition::Kind::Filter) {
    if (!ownField(c.filter.field)) out.insert(c.filter.field);
    return;
  }
  for (const auto& operand : c.operands) bodyFields(operand, out);
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max() : a + b;
}

int64_t clampToInt64(uint64_t v) {
  return static_cast<int64_t>(
      std::min<uint64_t>(v, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

}  // namespace

SqlEntityStore::SqlEntityStore(std::shared_ptr<SqlDatabase> db) : db_(std::move(db)) {
  const std::string bytes = db_->postgres() ? "BYTEA" : "BLOB";
  const std::string withoutRowid = db_->postgres() ? "" : " WITHOUT ROWID";
  db_->migrate(
      "entities",
      {[&](Session& s) {
         execute(s, "CREATE TABLE strata_entities (collection " + bytes + " NOT NULL, id " + bytes +
                        " NOT NULL, etag TEXT NOT NULL, version BIGINT NOT NULL, created BIGINT NOT NULL, "
                        "modified BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (collection, id))" +
                        withoutRowid);
         execute(s, "CREATE TABLE strata_sequences (name " + bytes + " PRIMARY KEY, value BIGINT NOT NULL)" +
                        withoutRowid);
       },
       [](Session& s) { createEntityIndexTables(s); }});
}

Entity SqlEntityStore::applyOne(Session& s, const EntityOperation& op, const std::string& id, int64_t now,
                                const std::string& label) {
  using Kind = EntityOperation::Kind;
  const std::string where = "' in collection '" + op.collection + "'";
  std::vector<std::string> fields;  // the declared fields whose index rows it keeps
  fields = lockIndexedFields(s, op.collection);
  if (op.kind == Kind::Create) {
    Entity e;
    e.collection = op.collection;
    e.id = id;
    e.etag = newUuid();
    e.version = 1;
    e.created = e.modified = now;
    const std::string json = serialize(op.body);
    if (run(s,
            "INSERT INTO strata_entities (collection, id, etag, version, created, modified, body) "
            "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (collection, id) DO NOTHING",
            {Bytes{op.collection}, Bytes{id}, e.etag, now, now, json}) == 0)
      throw Conflict(
          "exists", label.empty() ? "entity '" + id + "' already exists in collection '" + op.collection + "'"
                                  : label + "the entity already exists");
    e.body = parseBody(json);
    indexEntity(s, op.collection, id, e.body.get(), fields, true);
    return e;
  }
  Rows rows;
  select(s,
         std::string("SELECT ") + kColumns + " FROM strata_entities WHERE collection = ? AND id = ?" +
             db_->forUpdate(),
         {Bytes{op.collection}, Bytes{id}}, rows);
  if (rows.size() == 0) throw NotFound(label.empty() ? "no entity '" + id + where : label + "no such entity");
  Entity old = entityOf(*db_, op.collection, rows, 0);
  if (!op.ifMatch.empty() && op.ifMatch != old.etag)
    throw PreconditionFailed("etag_mismatch", label.empty()
                                                  ? "entity '" + id + where + " has changed (etag mismatch)"
                                                  : label + "the entity has changed (etag mismatch)");
  if (op.kind == Kind::Update) {
    Entity e = old;
    e.etag = newUuid();
    e.version = old.version + 1;
    e.modified = std::max(now, old.modified);
    const std::string json = serialize(op.body);
    execute(s,
            "UPDATE strata_entities SET etag = ?, version = ?, modified = ?, body = ? "
            "WHERE collection = ? AND id = ?",
            {e.etag, e.version, e.modified, json, Bytes{op.collection}, Bytes{id}});
    e.body = parseBody(json);
    indexEntity(s, op.collection, id, e.body.get(), fields);
    return e;
  }
  if (op.kind == Kind::Remove) {
    execute(s, "DELETE FROM strata_entities WHERE collection = ? AND id = ?",
            {Bytes{op.collection}, Bytes{id}});
    indexEntity(s, op.collection, id, nullptr, fields);
  }
  return old;
}

Entity SqlEntityStore::create(const std::string& collection, const std::string& id, const Object::Ptr& body) {
  requireName(collection, "collection");
  EntityOperation op;
  op.kind = EntityOperation::Kind::Create;
  op.collection = collection;
  op.id = id.empty() ? newUuid() : id;
  op.body = body;
  Entity out;
  db_->transaction(SqlDatabase::Mode::Write,
                   "creating entity '" + op.id + "' in collection '" + collection + "'",
                   [&](Session& s) { out = applyOne(s, op, op.id, nowMillis(), ""); });
  return out;
}

std::optional<Entity> SqlEntityStore::find(const std::string& collection, const std::string& id) {
  requireName(collection, "collection");
  requireName(id, "id");
  Rows rows;
  db_->transaction(
      SqlDatabase::Mode::Single, "reading entity '" + id + "' in collection '" + collection + "'",
      [&](Session& s) {
        select(s, std::string("SELECT ") + kColumns + " FROM strata_entities WHERE collection = ? AND id = ?",
               {Bytes{collection}, Bytes{id}}, rows);
      });
  if (rows.size() == 0) return std::nullopt;
  return entityOf(*db_, collection, rows, 0);
}

Entity SqlEntityStore::update(const std::string& collection, const std::string& id, const Object::Ptr& body,
                              const std::string& ifMatch) {
  requireName(collection, "collection");
  requireName(id, "id");
  EntityOperation op;
  op.kind = EntityOperation::Kind::Update;
  op.collection = collection;
  op.id = id;
  op.body = body;
  op.ifMatch = ifMatch;
  Entity out;
  db_->transaction(SqlDatabase::Mode::Write,
                   "updating entity '" + id + "' in collection '" + collection + "'",
                   [&](Session& s) { out = applyOne(s, op, id, nowMillis(), ""); });
  return out;
}

void SqlEntityStore::remove(const std::string& collection, const std::string& id,
                            const std::string& ifMatch) {
  requireName(collection, "collection");
  requireName(id, "id");
  EntityOperation op;
  op.kind = EntityOperation::Kind::Remove;
  op.collection = collection;
  op.id = id;
  op.ifMatch = ifMatch;
  db_->transaction(SqlDatabase::Mode::Write,
                   "removing entity '" + id + "' in collection '" + collection + "'",
                   [&](Session& s) { applyOne(s, op, id, nowMillis(), ""); });
}

std::vector<Entity> SqlEntityStore::apply(const EntityBatch& batch) {
  validate(batch);
  const auto& ops = batch.operations;
  if (ops.empty()) return {};
  std::vector<std::string> ids;
  for (const auto& op : ops)
    ids.push_back(op.kind == EntityOperation::Kind::Create && op.id.empty() ? newUuid() : op.id);
  // PostgreSQL locks row by row: two batches writing the same entities in opposite orders would
  // each wait for the other (a deadlock it breaks by failing one). A batch first takes one
  // transaction-scoped advisory lock per entity, in ascending order, so batches that share an
  // entity take turns. (Single writes lock one row and wait for nothing else.) The keys are a
  // stable hash of collection and id, the same on every node; a collision only serialises more.
  std::vector<int64_t> locks;
  if (db_->postgres()) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits
      const auto mix = [&h](const std::string& bytes) {
        for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
      };
      mix(ops[i].collection);
      mix(std::string(1, '\0'));
      mix(ids[i]);
      locks.push_back(static_cast<int64_t>(h));
    }
    std::sort(locks.begin(), locks.end());
    locks.erase(std::unique(locks.begin(), locks.end()), locks.end());
  }
  std::vector<Entity> out;
  db_->transaction(SqlDatabase::Mode::Write,
                   "writing a batch of " + std::to_string(ops.size()) + " entity operations",
                   [&](Session& s) {
                     for (const int64_t key : locks) {
                       queryRows(s, "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(?)) AS locked", {key},
                                 {SqlType::Integer});
                     }
                     out.clear();
                     const int64_t now = nowMillis();
                     for (std::size_t i = 0; i < ops.size(); ++i)
                       out.push_back(applyOne(s, ops[i], ids[i], now, entityOperationLabel(i, ops[i])));
                   });
  return out;
}

EntityPage SqlEntityStore::list(const std::string& collection, const EntityQuery& query) {
  requireName(collection, "collection");
  validate(query);
  const std::vector<EntityOrder> order = entityOrder(query);
  Context ctx;
  ctx.postgres = db_->postgres();
  ctx.collection = collection;
  {
    // The declared fields among those the query names, from the cache or else the database.
    std::set<std::string> named;
    for (const auto& f : query.filters)
      if (!ownField(f.field)) named.insert(f.field);
    for (const auto& c : query.conditions) bodyFields(c, named);
    bool known = true;
    {
      std::lock_guard lock(indexMutex_);
      for (const auto& field : named) {
        if (indexed_.count({collection, field}))
          ctx.indexed.insert(field);
        else
          known = false;
      }
    }
    if (!known) {
      std::vector<std::string> declared;
      db_->transaction(SqlDatabase::Mode::Single, "listing collection '" + collection + "'",
                       [&](Session& s) { declared = indexedFields(s, collection); });
      std::lock_guard lock(indexMutex_);
      for (const auto& field : declared) {
        indexed_.insert({collection, field});
        if (named.count(field)) ctx.indexed.insert(field);
      }
    }
  }

  // The WHERE clause: the collection, the id prefix's range, and what the filters and conditions narrow.
  std::string where = "collection = ?";
  std::vector<SqlValue> values{Bytes{collection}};
  bool exact = true;
  if (!query.idPrefix.empty()) {
    // The range [prefix, prefix with its last byte below 0xff incremented) of the key's bytes.
    std::string end = query.idPrefix;
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
    if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
    where += " AND id >= ?";
    values.emplace_back(Bytes{query.idPrefix});
    if (!end.empty()) {
      where += " AND id < ?";
      values.emplace_back(Bytes{end});
    }
  }
  const auto add = [&](std::optional<Clause> clause) {
    if (!clause) {
      exact = false;
      return;
    }
    where += " AND (" + clause->sql + ")";
    values.insert(values.end(), clause->values.begin(), clause->values.end());
    exact = exact && clause->exact;
  };
  for (const auto& f : query.filters) add(translate(ctx, f));
  for (const auto& c : query.conditions) add(translate(ctx, c));

  EntityPage page;
  const std::string what = "listing collection '" + collection + "'";
  if (exact && entityOrderIsById(order)) {
    // Everything in SQL: the count, and the page in the primary key's order.
    db_->transaction(SqlDatabase::Mode::Read, what, [&](Session& s) {
      page.items.clear();
      page.total = static_cast<uint64_t>(
          queryRows(s, "SELECT COUNT(*) FROM strata_entities WHERE " + where, values, {SqlType::Integer})
              .integer(0, 0));
      if (query.limit == 0 || query.offset >= page.total) return;
      std::vector<SqlValue> paged = values;
      paged.emplace_back(clampToInt64(query.limit));
      paged.emplace_back(clampToInt64(query.offset));
      Rows rows;
      select(s,
             std::string("SELECT ") + kColumns + " FROM strata_entities WHERE " + where + " ORDER BY id" +
                 (order[0].descending ? " DESC" : "") + " LIMIT ? OFFSET ?",
             paged, rows);
      for (std::size_t i = 0; i < rows.size(); ++i) page.items.push_back(entityOf(*db_, collection, rows, i));
    });
    return page;
  }

  // Read the selected rows in id order, a chunk at a time; check each against the contract and
  // keep the best offset+limit in a max-heap whose top is the worst kept so far.
  struct Hit {
    std::vector<EntitySortKey> keys;
    Entity entity;
  };
  const auto before = [&order](const Hit& a, const Hit& b) {
    const int c = compareEntityOrder(a.keys, b.keys, order);
    if (c != 0) return c < 0;
    return a.entity.id < b.entity.id;
  };
  const uint64_t keep = saturatingAdd(query.offset, query.limit);
  db_->transaction(SqlDatabase::Mode::Read, what, [&](Session& s) {
    std::priority_queue<Hit, std::vector<Hit>, decltype(before)> best(before);
    page = EntityPage{};
    std::string last;
    for (bool first = true;; first = false) {
      std::vector<SqlValue> chunk = values;
      std::string sql = std::string("SELECT ") + kColumns + " FROM strata_entities WHERE " + where;
      if (!first) {
        sql += " AND id > ?";
        chunk.emplace_back(Bytes{last});
      }
      sql += " ORDER BY id LIMIT " + std::to_string(kChunk);
      Rows rows;
      select(s, sql, chunk, rows);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        Entity e = entityOf(*db_, collection, rows, i);
        if (!entityMatches(e, query)) continue;
        ++page.total;
        if (keep == 0) continue;
        Hit hit{entitySortKeys(e, order), std::move(e)};
        if (best.size() < keep) {
          best.push(std::move(hit));
        } else if (before(hit, best.top())) {
          best.pop();
          best.push(std::move(hit));
        }
      }
      if (rows.size() < kChunk) break;
      last = bytesOf(rows.id.back());
    }
    std::vector<Entity> ordered;
    while (!best.empty()) {
      ordered.push_back(best.top().entity);
      best.pop();
    }
    std::reverse(ordered.begin(), ordered.end());
    for (uint64_t i = query.offset; i < ordered.size(); ++i) page.items.push_back(std::move(ordered[i]));
  });
  return page;
}

std::vector<std::string> SqlEntityStore::collections() {
  std::vector<Poco::Data::BLOB> names;
  db_->transaction(SqlDatabase::Mode::Single, "listing collections", [&](Session& s) {
    names.clear();
    s << "SELECT DISTINCT collection FROM strata_entities ORDER BY collection", into(names), now;
  });
  std::vector<std::string> out;
  for (const auto& name : names) out.push_back(bytesOf(name));
  return out;
}

int64_t SqlEntityStore::nextSequence(const std::string& name) {
  if (name.empty()) throw BadRequest("a sequence needs a non-empty name");
  Poco::Int64 value = 0;
  db_->transaction(SqlDatabase::Mode::Write, "advancing sequence '" + name + "'", [&](Session& s) {
    // The upsert locks the row until the commit, so the value read back is this call's.
    execute(s,
            "INSERT INTO strata_sequences (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = strata_sequences.value + 1",
            {Bytes{name}});
    value =
        queryRows(s, "SELECT value FROM strata_sequences WHERE name = ?", {Bytes{name}}, {SqlType::Integer})
            .integer(0, 0);
  });
  return value;
}

void SqlEntityStore::declareIndex(const std::string& collection, const std::string& field) {
  validateIndex(collection, field);
  db_->transaction(SqlDatabase::Mode::Write, "indexing '" + field + "' of collection '" + collection + "'",
                   [&](Session& s) { declareEntityIndex(s, collection, field); });
  std::lock_guard lock(indexMutex_);
  indexed_.insert({collection, field});
}

}  // namespace strata::sql
