// What the sql backend promises beyond the role contracts: SQL-significant characters in every
// name and value stay data (bound parameters, never SQL text), the roles share one file and
// survive a restart, the schema version table refuses a newer schema at start-up, and
// configuration errors fail at start-up.
#include "contract/store_contract_support.h"

#include <strata/errors.h>

#include <Poco/JSON/Parser.h>

#include <sqlite3.h>

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

EntityFilter filter(const std::string& field, EntityFilter::Op op, Poco::Dynamic::Var value) {
  EntityFilter f;
  f.field = field;
  f.op = op;
  f.value = std::move(value);
  return f;
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
  body->set("we'ird", value);  // a name that is not written into SQL: filtered on the rows
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

}  // namespace
}  // namespace strata::test
