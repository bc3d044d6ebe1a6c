// What the sql backend promises beyond the role contracts: SQL-significant characters in every
// name and value stay data (bound parameters, never SQL text), the roles share one file and
// survive a restart, the schema version table refuses a newer schema at start-up, and
// configuration errors fail at start-up.
#include "support/entity_filter.h"
#include "contract/store_contract_support.h"
#include "contract/sqlite_rows.h"
#include "support/postgres_server.h"

#include <strata/errors.h>

#include <Poco/JSON/Parser.h>

#include <cmath>
#include <filesystem>
#include <limits>

namespace strata::test {
namespace {

using ConfigValues = std::map<std::string, std::string>;
using Poco::JSON::Object;

Object::Ptr json(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

ConfigValues sqlite(const std::string& file, ConfigValues extra = {}) {
  ConfigValues values{{"stores.entities.t.backend", "sql"},
                      {"stores.entities.t.connector", "sqlite"},
                      {"stores.entities.t.connection", file}};
  for (auto& [k, v] : extra) values["stores.entities.t." + k] = v;
  return values;
}

TEST(SqlBackend, SqlSignificantCharactersAreData) {
  TempDir dir;
  OpenStores stores(sqlite(dir.path() + "/x.db"));
  auto store = stores.registry().entities("t");
  const std::string collection = "c'; DROP TABLE strata_entities; --";
  const std::string id = "a\"b'c%_?\\ $1 :x";
  const std::string value = "'); DELETE FROM strata_entities; --";
  Object::Ptr body = new Object;
  body->set("v", value);
  body->set("we'ird", value);  // a name that is never written into SQL (bound in the index's rows)
  store->create(collection, id, body);
  store->create(collection, "a%", json(R"({"v":"x"})"));
  store->create(collection, "a_", json(R"({"v":"x"})"));
  store->declareIndex(collection, "v");
  store->declareIndex(collection, "we'ird");

  EXPECT_EQ(store->get(collection, id).body->getValue<std::string>("v"), value);
  for (const char* field : {"v", "we'ird"}) {
    EntityQuery q;
    q.filters.push_back(filter(field, EntityFilter::Op::Eq, value));
    const EntityPage page = store->list(collection, q);
    ASSERT_EQ(page.items.size(), 1u) << field;
    EXPECT_EQ(page.items[0].id, id);
  }
  // % and _ are no wildcards in an id prefix.
  EntityQuery prefix;
  prefix.idPrefix = "a%";
  EXPECT_EQ(store->list(collection, prefix).total, 1u);
  prefix.idPrefix = "a\"b'";
  EXPECT_EQ(store->list(collection, prefix).total, 1u);
  EXPECT_EQ(store->collections(), std::vector<std::string>{collection});
  EXPECT_EQ(store->nextSequence("s'; --"), 1);
  EXPECT_EQ(store->nextSequence("s'; --"), 2);
  EXPECT_EQ(store->nextSequence("s"), 1);
}

TEST(SqlBackend, ANewerSchemaIsAStartupError) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  {
    OpenStores stores(sqlite(file));
    stores.registry().entities("t")->create("c", "e", json("{}"));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE strata_schema SET version = 99 WHERE component = 'entities'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    OpenStores stores(sqlite(file));
    ADD_FAILURE() << "a newer schema was accepted";
  } catch (const StartupError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST(SqlBackend, AnnotationsAndEntitiesShareTheFileAndSurviveARestart) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  ConfigValues values = sqlite(file);
  values["stores.annotations.t.backend"] = "sql";
  values["stores.annotations.t.connection"] = file;
  std::string etag;
  {
    OpenStores stores(values);
    stores.registry().entities("t")->create("c", "e", json(R"({"v":1})"));
    etag = stores.registry().annotations("t")->replaceAll(
        std::string("t\0'1", 4), {strings("k", {"a", std::string("b\0", 2)}), longs("n", {3, -4})});
  }
  OpenStores stores(values);
  EXPECT_EQ(stores.registry().entities("t")->get("c", "e").body->getValue<int>("v"), 1);
  auto annotations = stores.registry().annotations("t");
  const AnnotationSet set = annotations->read(std::string("t\0'1", 4));
  EXPECT_EQ(set.etag, etag);
  ASSERT_EQ(set.annotations.size(), 2u);
  EXPECT_EQ(std::get<std::string>(set.annotations[0].values[1]), std::string("b\0", 2));
  EXPECT_EQ(std::get<int64_t>(set.annotations[1].values[1]), -4);
  AnnotationSearch search;
  search.clauses.push_back({"n", AnnotationOp::Lt, int64_t{0}});
  EXPECT_EQ(annotations->search(search).targets, std::vector<std::string>{std::string("t\0'1", 4)});
  EXPECT_EQ(annotations->targets("", 0), std::vector<std::string>{std::string("t\0'1", 4)});
}

TEST(SqlBackend, ConfigurationErrorsFailAtStartup) {
  TempDir dir;
  EXPECT_THROW(OpenStores(ConfigValues{{"stores.entities.t.backend", "sql"}}), StartupError);
  EXPECT_THROW(OpenStores(sqlite(dir.path() + "/x.db", {{"connector", "oracle"}})), StartupError);
  EXPECT_THROW(OpenStores(sqlite(dir.path() + "/x.db", {{"maxSessions", "0"}})), StartupError);
  EXPECT_THROW(OpenStores(sqlite(dir.path() + "/x.db", {{"connectoin", "sqlite"}})), StartupError);
  // A PostgreSQL server that is not there: a start-up error that does not quote the password.
  try {
    OpenStores stores(
        ConfigValues{{"stores.entities.t.backend", "sql"},
                     {"stores.entities.t.connector", "postgresql"},
                     {"stores.entities.t.connection",
                      "host=127.0.0.1 port=1 user=u password=s3cretpw dbname=d connect_timeout=2"}});
    ADD_FAILURE() << "a database that is not there was accepted";
  } catch (const StartupError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cretpw"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
  // A path whose parent is a file cannot be created.
  { OpenStores stores(sqlite(dir.path() + "/file")); }
  EXPECT_THROW(OpenStores(sqlite(dir.path() + "/file/x.db")), StartupError);
}

// SQLite's json_extract() cuts a string at a NUL: filters on fields without an index must not
// lose the entities whose whole string they hold for.
TEST(SqlBackend, StringsHoldingANulCompareWholeOnUndeclaredFields) {
  TempDir dir;
  OpenStores stores(sqlite(dir.path() + "/x.db"));
  auto store = stores.registry().entities("t");
  store->create("c", "e1", json(R"({"v":"a\u0000b"})"));
  store->create("c", "e2", json(R"({"v":"a"})"));
  const auto total = [&](EntityFilter::Op op, const std::string& value) {
    EntityQuery q;
    q.filters.push_back(filter("v", op, value));
    return store->list("c", q).total;
  };
  EXPECT_EQ(total(EntityFilter::Op::Gt, "a"), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Ge, std::string("a\0", 2)), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Eq, std::string("a\0b", 3)), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Eq, "a"), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Lt, std::string("a\0c", 3)), 2u);
  // Declared, the same answers from the index.
  store->declareIndex("c", "v");
  EXPECT_EQ(total(EntityFilter::Op::Gt, "a"), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Eq, std::string("a\0b", 3)), 1u);
  EXPECT_EQ(total(EntityFilter::Op::Lt, std::string("a\0c", 3)), 2u);
}

std::string joined(const std::vector<std::string>& rows) {
  std::string out;
  for (const auto& r : rows) out += r + "\n";
  return out;
}

std::vector<std::string> targetsOf(AnnotationStore& store, std::vector<AnnotationClause> clauses) {
  AnnotationSearch search;
  search.clauses = std::move(clauses);
  return store.search(search).targets;
}

ConfigValues withAnnotations(ConfigValues values, const std::string& file) {
  values["stores.annotations.t.backend"] = "sql";
  values["stores.annotations.t.connection"] = file;
  return values;
}

TEST(SqlBackend, AnnotationsOfSchemaVersion1AreIndexedByTheMigration) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  const ConfigValues values = withAnnotations(sqlite(file), file);
  {
    OpenStores stores(values);
    auto store = stores.registry().annotations("t");
    store->replaceAll(
        "t1", {strings("s", {"a", std::string("b\0c", 3)}), longs("n", {5, 70}), booleans("f", {true})});
    store->replaceAll("t2", {strings("s", {"c"}), doubles("n", {2.5}), blobs("b", {"x"})});
  }
  // What version 1 had: no value rows.
  sqliteRows(file,
             "DROP TABLE strata_annotation_values; "
             "UPDATE strata_schema SET version = 1 WHERE component = 'annotations'");
  OpenStores stores(values);
  auto store = stores.registry().annotations("t");
  EXPECT_EQ(sqliteRows(file, "SELECT version FROM strata_schema WHERE component = 'annotations'"),
            std::vector<std::string>{"2"});
  // t1: two strings, two numbers, a boolean; t2: a string, a number (the blob has none).
  EXPECT_EQ(sqliteRows(file, "SELECT COUNT(*) FROM strata_annotation_values"), std::vector<std::string>{"7"});
  EXPECT_EQ(targetsOf(*store, {{"s", AnnotationOp::Eq, std::string("b\0c", 3)}}),
            std::vector<std::string>{"t1"});
  EXPECT_EQ(targetsOf(*store, {{"s", AnnotationOp::Ge, std::string("b")}}),
            (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(targetsOf(*store, {{"n", AnnotationOp::Lt, int64_t{5}}}), std::vector<std::string>{"t2"});
  EXPECT_EQ(targetsOf(*store, {{"n", AnnotationOp::Gt, 69.5}, {"f", AnnotationOp::Eq, true}}),
            std::vector<std::string>{"t1"});
  // Writes after the migration keep the rows.
  store->remove("t1", "s");
  store->set("t2", strings("s", {"b\0c"}));
  EXPECT_EQ(targetsOf(*store, {{"s", AnnotationOp::Eq, std::string("b\0c", 3)}}), std::vector<std::string>{});
  EXPECT_EQ(targetsOf(*store, {{"s", AnnotationOp::Eq, std::string("b\0c")}}),
            std::vector<std::string>{"t2"});
  store->removeAll("t2");
  EXPECT_EQ(sqliteRows(file, "SELECT COUNT(*) FROM strata_annotation_values"), std::vector<std::string>{"3"});
}

TEST(SqlBackend, EntitiesOfSchemaVersion1LoseTheirExpressionIndexesAndAreIndexedWhenDeclared) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  {
    OpenStores stores(sqlite(file));
    auto store = stores.registry().entities("t");
    store->create("c", "e1", json(R"({"v":"a"})"));
    store->create("c", "e2", json(R"({"v":"b"})"));
  }
  // What version 1 had: an expression index per declared field, no side table.
  sqliteRows(file,
             "DROP TABLE strata_entity_values; DROP TABLE strata_entity_indexes; "
             "CREATE INDEX strata_entities_0123456789abcdef ON strata_entities (collection, "
             "json_extract(body, '$.\"v\"')); "
             "UPDATE strata_schema SET version = 1 WHERE component = 'entities'");
  OpenStores stores(sqlite(file));
  auto store = stores.registry().entities("t");
  EXPECT_EQ(sqliteRows(file, "SELECT version FROM strata_schema WHERE component = 'entities'"),
            std::vector<std::string>{"2"});
  EXPECT_TRUE(sqliteRows(file, "SELECT name FROM sqlite_master WHERE name LIKE 'strata_entities_%'").empty());
  store->declareIndex("c", "v");
  EXPECT_EQ(
      sqliteRows(file,
                 "SELECT CAST(id AS TEXT), kind, CAST(str AS TEXT) FROM strata_entity_values ORDER BY id"),
      (std::vector<std::string>{"e1|0|sa", "e2|0|sb"}));
  EntityQuery q;
  q.filters.push_back(filter("v", EntityFilter::Op::Eq, std::string("b")));
  const EntityPage page = store->list("c", q);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, "e2");
}

// The statements list() and search() run, answered by indexes: SQLite's plans.
TEST(SqlBackend, ClausesAndDeclaredFieldsAreIndexLookupsOnSqlite) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  {
    OpenStores stores(withAnnotations(sqlite(file), file));
    stores.registry().entities("t")->declareIndex("c", "v");
    stores.registry().annotations("t")->set("t", strings("k", {"a"}));
  }
  const auto plan = [&](const std::string& sql) {
    return joined(sqliteRows(file, "EXPLAIN QUERY PLAN " + sql));
  };
  const std::string strings = plan(
      "SELECT target, key, type, vals FROM strata_annotations WHERE key IN (?) AND target IN "
      "(SELECT target FROM strata_annotation_values WHERE key = ? AND str = ?)");
  EXPECT_NE(strings.find("INDEX strata_annotation_values_str (key=? AND str=?)"), std::string::npos)
      << strings;
  EXPECT_NE(strings.find("strata_annotations USING PRIMARY KEY"), std::string::npos) << strings;
  EXPECT_EQ(strings.find("SCAN"), std::string::npos) << strings;
  const std::string numbers = plan(
      "SELECT target, key, type, vals FROM strata_annotations WHERE key IN (?) AND target IN "
      "(SELECT target FROM strata_annotation_values WHERE key = ? AND kind = ? AND num <= ? "
      "AND target >= ? AND target < ?)");
  EXPECT_NE(numbers.find("INDEX strata_annotation_values_num (key=? AND kind=? AND num<?)"),
            std::string::npos)
      << numbers;
  EXPECT_EQ(numbers.find("SCAN"), std::string::npos) << numbers;
  const std::string entities =
      plan(
          "SELECT COUNT(*) FROM strata_entities WHERE collection = ? AND (id IN (SELECT id FROM "
          "strata_entity_values WHERE collection = ? AND field = ? AND (str = ?)))") +
      plan(
          "SELECT id, etag, version, created, modified, body FROM strata_entities WHERE "
          "collection = ? AND (id IN (SELECT id FROM strata_entity_values WHERE "
          "collection = ? AND field = ? AND ((kind = 1 AND num <= ?)))) ORDER BY id "
          "LIMIT ? OFFSET ?");
  EXPECT_NE(entities.find("INDEX strata_entity_values_str (collection=? AND field=? AND str=?)"),
            std::string::npos)
      << entities;
  EXPECT_NE(entities.find("INDEX strata_entity_values_num (collection=? AND field=? AND kind=? AND num<?)"),
            std::string::npos)
      << entities;
  EXPECT_NE(entities.find("strata_entities USING PRIMARY KEY (collection=? AND id=?)"), std::string::npos)
      << entities;
  EXPECT_EQ(entities.find("SCAN"), std::string::npos) << entities;
}

// On PostgreSQL: declared fields' values live in strata_entity_values, kept by every write;
// list() and search() select through the value tables' indexes.
TEST(SqlBackend, ClausesAndDeclaredFieldsAreIndexLookupsOnPostgresql) {
  const BackendParam pg = sqlPostgresBackend();
  if (const std::string why = pg.unavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  ConfigValues values = storeConfig("entities", pg, dir.path());
  for (const auto& [key, value] : storeConfig("annotations", pg, dir.path())) values[key] = value;
  const std::string connection = pg.keys(dir.path()).at("connection");
  OpenStores stores(values);
  auto entities = stores.registry().entities("t");
  auto annotations = stores.registry().annotations("t");
  entities->create("c", "e1", json(R"({"v":"a","w":1})"));
  entities->create("c", "e2", json(R"({"v":"b\u0000"})"));
  entities->create("c", "e3", json(R"({"v":3})"));
  entities->declareIndex("c", "v");
  entities->declareIndex("c", "o.n'x");  // any name: bound, never SQL text
  entities->create("c", "e4", json(R"({"v":"a","o":{"n'x":"q"}})"));
  entities->update("c", "e3", json(R"({"v":"a"})"), "");
  entities->remove("c", "e1", "");
  const auto ids = [&](const std::string& field, Poco::Dynamic::Var value) {
    EntityQuery q;
    q.filters.push_back(filter(field, EntityFilter::Op::Eq, std::move(value)));
    std::vector<std::string> out;
    for (const auto& e : entities->list("c", q).items) out.push_back(e.id);
    return out;
  };
  EXPECT_EQ(ids("v", "a"), (std::vector<std::string>{"e3", "e4"}));
  EXPECT_EQ(ids("v", std::string("b\0", 2)), std::vector<std::string>{"e2"});
  EXPECT_EQ(ids("v", 3), std::vector<std::string>{});
  EXPECT_EQ(ids("o.n'x", "q"), std::vector<std::string>{"e4"});
  // Numbers reach the index as doubles, every digit kept.
  entities->create("c", "e5", json(R"({"v":1234567.891})"));
  entities->create("c", "e6", json(R"({"v":1234567.892})"));
  EXPECT_EQ(ids("v", 1234567.891), std::vector<std::string>{"e5"});
  EXPECT_EQ(psql(dir, connection, "SELECT num FROM strata_entity_values WHERE num IS NOT NULL ORDER BY num"),
            "1234567.891\n1234567.892\n");
  entities->remove("c", "e5", "");
  entities->remove("c", "e6", "");
  // e2, e3, e4 under v, e4 under o.n'x.
  EXPECT_EQ(
      psql(dir, connection,
           "SELECT encode(field, 'escape'), encode(id, 'escape') FROM strata_entity_values ORDER BY 1, 2"),
      "o.n'x|e4\nv|e2\nv|e3\nv|e4\n");
  annotations->set("t1", strings("k", {"a"}));
  annotations->set("t2", longs("n", {4}));
  const std::string plans =
      psql(dir, connection,
           "SET enable_seqscan = off;\n"
           "EXPLAIN SELECT target, key, type, vals FROM strata_annotations WHERE key IN "
           "('\\x6b') AND target IN (SELECT target FROM strata_annotation_values WHERE "
           "key = '\\x6b' AND str = '\\x7361');\n"
           "EXPLAIN SELECT target, key, type, vals FROM strata_annotations WHERE key IN "
           "('\\x6e') AND target IN (SELECT target FROM strata_annotation_values WHERE "
           "key = '\\x6e' AND kind = 1 AND num <= 5);\n"
           "EXPLAIN SELECT id, etag, version, created, modified, body FROM strata_entities "
           "WHERE collection = '\\x63' AND (id IN (SELECT id FROM strata_entity_values "
           "WHERE collection = '\\x63' AND field = '\\x76' AND (str = '\\x7361'))) "
           "ORDER BY id LIMIT 100 OFFSET 0;\n");
  EXPECT_NE(plans.find("strata_annotation_values_str"), std::string::npos) << plans;
  EXPECT_NE(plans.find("strata_annotation_values_num"), std::string::npos) << plans;
  EXPECT_NE(plans.find("strata_entity_values_str"), std::string::npos) << plans;
  EXPECT_EQ(plans.find("Seq Scan"), std::string::npos) << plans;
  EXPECT_EQ(targetsOf(*annotations, {{"k", AnnotationOp::Eq, std::string("a")}}),
            std::vector<std::string>{"t1"});
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Le, 4.0}}), std::vector<std::string>{"t2"});
  // Infinities and the largest integers are values like others; NaN matches nothing.
  const double inf = std::numeric_limits<double>::infinity();
  annotations->set("t3", doubles("n", {inf, -inf, std::nan("")}));
  annotations->set("t4", longs("n", {std::numeric_limits<int64_t>::max()}));
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Gt, 1e300}}), std::vector<std::string>{"t3"});
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Lt, int64_t{-5}}}), std::vector<std::string>{"t3"});
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Eq, std::numeric_limits<int64_t>::max()}}),
            std::vector<std::string>{"t4"});
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Eq, std::numeric_limits<int64_t>::max() - 1}}),
            std::vector<std::string>{});
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Ge, 9.2e18}}),
            (std::vector<std::string>{"t3", "t4"}));
  EXPECT_EQ(targetsOf(*annotations, {{"n", AnnotationOp::Ne, std::nan("")}}), std::vector<std::string>{});
}

}  // namespace
}  // namespace strata::test
