// What the rocksdb backend promises beyond the role contracts: one database shared by the
// roles on a path, data that survives closing and reopening, key encodings that keep odd
// names apart, the exact long/double comparisons of its annotation index, entity listings
// identical to the memory store's, and configuration errors at start-up.
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Parser.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>

namespace strata::test {
namespace {

using ConfigValues = std::map<std::string, std::string>;
using Poco::JSON::Object;
using Op = AnnotationQuery::Op;

ConfigValues allRoles(const std::string& path, ConfigValues extra = {}) {
  ConfigValues values;
  for (const char* role : {"entities", "annotations", "blobs"}) {
    values[std::string("stores.") + role + ".t.backend"] = "rocksdb";
    values[std::string("stores.") + role + ".t.path"] = path;
  }
  for (auto& [k, v] : extra) values[k] = v;
  return values;
}

Object::Ptr json(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

std::string sha256(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

BlobInfo putString(BlobStore& store, const std::string& content) {
  std::istringstream in(content);
  return store.put(in, static_cast<int64_t>(content.size()), std::numeric_limits<uint64_t>::max());
}

std::string readAll(BlobReader& reader) {
  std::string out(reader.size(), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t n = reader.read(done, out.data() + done, out.size() - done);
    if (n == 0) break;
    done += n;
  }
  out.resize(done);
  return out;
}

AnnotationQuery query(const std::string& key, Op op, AnnotationValue value) {
  AnnotationQuery q;
  q.key = key;
  q.op = op;
  q.value = std::move(value);
  return q;
}

TEST(RocksDbBackend, RolesShareOneDatabaseAndSurviveReopening) {
  TempDir dir;
  const std::string path = dir.file("db");
  const std::string content = randomBytes(2 * (1 << 20) + 17, 41);
  Entity created;
  {
    OpenStores stores(allRoles(path));
    created = stores.registry().entities("t")->create("c", "x", json(R"({"a":1})"));
    stores.registry().entities("t")->update("c", "x", json(R"({"a":2})"), created.etag);
    stores.registry().annotations("t")->set(
        "x", Annotation{"size", AnnotationType::Long, {int64_t{42}, int64_t{7}}});
    auto blobs = stores.registry().blobs("t");
    putString(*blobs, content);
    putString(*blobs, content);
  }
  OpenStores stores(allRoles(path));
  const Entity e = stores.registry().entities("t")->get("c", "x");
  EXPECT_EQ(e.version, 2);
  EXPECT_EQ(e.created, created.created);
  EXPECT_EQ(e.body->getValue<int>("a"), 2);
  auto annotations = stores.registry().annotations("t");
  EXPECT_EQ(annotations->query(query("size", Op::Eq, int64_t{7})), std::vector<std::string>{"x"});
  EXPECT_EQ(annotations->find("x", "size")->values.size(), 2u);
  auto blobs = stores.registry().blobs("t");
  const auto stat = blobs->stat(sha256(content));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->refs, 2u);
  EXPECT_TRUE(readAll(*blobs->open(stat->id)) == content);
}

TEST(RocksDbBackend, AReaderOutlivesItsStoreAndTheDatabaseThenCloses) {
  TempDir dir;
  const std::string path = dir.file("db");
  const std::string content = randomBytes(3 * (1 << 20) + 5, 43);
  std::unique_ptr<BlobReader> reader;
  {
    OpenStores stores(allRoles(path));
    auto blobs = stores.registry().blobs("t");
    const BlobInfo info = putString(*blobs, content);
    reader = blobs->open(info.id);
    EXPECT_EQ(blobs->release(info.id), 0u);
  }
  // The stores are gone; the reader still holds the database and its snapshot.
  EXPECT_TRUE(readAll(*reader) == content);
  reader.reset();
  // The database closed with the reader: it opens again, and the blob is gone.
  OpenStores stores(allRoles(path));
  EXPECT_TRUE(stores.registry().blobs("t")->list().empty());
}

TEST(RocksDbBackend, OneStorePerRolePerPath) {
  TempDir dir;
  try {
    OpenStores stores(ConfigValues{{"stores.blobs.a.backend", "rocksdb"},
                                   {"stores.blobs.a.path", dir.file("db")},
                                   {"stores.blobs.b.backend", "rocksdb"},
                                   {"stores.blobs.b.path", dir.file("db") + "/."}});
    ADD_FAILURE() << "two blob stores shared one database";
  } catch (const StartupError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("stores.blobs.a"), std::string::npos) << message;
    EXPECT_NE(message.find("stores.blobs.b"), std::string::npos) << message;
  }
  // After the failed start the database is closed again, and other layouts work.
  OpenStores ok(ConfigValues{{"stores.blobs.a.backend", "rocksdb"},
                             {"stores.blobs.a.path", dir.file("db")},
                             {"stores.blobs.b.backend", "rocksdb"},
                             {"stores.blobs.b.path", dir.file("other")}});
  EXPECT_EQ(putString(*ok.registry().blobs("a"), "abc").refs, 1u);
  EXPECT_FALSE(ok.registry().blobs("b")->stat(sha256("abc")).has_value());
}

TEST(RocksDbBackend, SettingsAreReadAndChecked) {
  TempDir dir;
  const auto one = [&](ConfigValues extra) {
    ConfigValues values{{"stores.entities.t.backend", "rocksdb"}, {"stores.entities.t.path", dir.file("db")}};
    for (auto& [k, v] : extra) values["stores.entities.t." + k] = v;
    return values;
  };
  EXPECT_NO_THROW(OpenStores(one({{"sync", "true"}, {"compression", "zstd"}, {"cacheSize", "8M"}})));
  EXPECT_NO_THROW(OpenStores(one({{"compression", "none"}})));
  EXPECT_NO_THROW(OpenStores(one({{"compression", "snappy"}})));
  EXPECT_THROW(OpenStores(ConfigValues{{"stores.entities.t.backend", "rocksdb"}}), StartupError);
  EXPECT_THROW(OpenStores(one({{"path", ""}})), StartupError);
  EXPECT_THROW(OpenStores(one({{"sync", "sometimes"}})), StartupError);
  EXPECT_THROW(OpenStores(one({{"cacheSize", "lots"}})), StartupError);
  EXPECT_THROW(OpenStores(one({{"fsync", "true"}})), StartupError);
  try {
    OpenStores stores(one({{"compression", "brotli"}}));
    ADD_FAILURE() << "an unknown compression was accepted";
  } catch (const StartupError& e) {
    EXPECT_NE(std::string(e.what()).find("stores.entities.t.compression"), std::string::npos) << e.what();
  }
  // Stores on one path that disagree: the first one's settings apply, and both work.
  OpenStores mixed(ConfigValues{{"stores.annotations.t.backend", "rocksdb"},
                                {"stores.annotations.t.path", dir.file("db")},
                                {"stores.annotations.t.compression", "none"},
                                {"stores.entities.t.backend", "rocksdb"},
                                {"stores.entities.t.path", dir.file("db")},
                                {"stores.entities.t.compression", "zstd"},
                                {"stores.entities.t.sync", "true"}});
  EXPECT_EQ(mixed.registry().entities("t")->create("c", "x", json("{}")).version, 1);
  mixed.registry().annotations("t")->set("x", Annotation{"k", AnnotationType::Boolean, {true}});
}

TEST(RocksDbBackend, APathBelowARegularFileFailsAtStartUp) {
  TempDir dir;
  writeFile(dir.file("plain"), "x");
  try {
    OpenStores stores(allRoles(dir.file("plain") + "/db"));
    ADD_FAILURE() << "a path below a regular file was accepted";
  } catch (const StartupError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot create the RocksDB directory"), std::string::npos) << message;
    EXPECT_NE(message.find(".t.path"), std::string::npos) << message;
  }
}

// A database directory that RocksDB cannot open (corrupt MANIFEST, a lost table file or MANIFEST) stops
// start-up with an error that names the store's key and the path, and the backend writes
// nothing into it (no repair, no fresh database over the old one): the files are as they were.
TEST(RocksDbBackend, ACorruptOrDamagedDatabaseFailsAtStartUpAndIsLeftAlone) {
  namespace fs = std::filesystem;
  const auto expectRefused = [](const std::string& path, const std::string& why) {
    std::map<std::string, std::string> before;
    // RocksDB's informational LOG files aside: the open attempt is logged there.
    const auto isLog = [](const fs::path& f) { return f.filename().string().rfind("LOG", 0) == 0; };
    for (const auto& f : fs::directory_iterator(path))
      if (!isLog(f.path())) before[f.path().filename()] = readFile(f.path());
    try {
      OpenStores stores(allRoles(path));
      ADD_FAILURE() << why << ": the database was opened";
    } catch (const StartupError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find(".t.path"), std::string::npos) << message;
    }
    std::map<std::string, std::string> after;
    for (const auto& f : fs::directory_iterator(path))
      if (!isLog(f.path())) after[f.path().filename()] = readFile(f.path());
    for (const auto& [name, bytes] : after) {
      auto it = before.find(name);
      EXPECT_TRUE(it != before.end() && it->second == bytes) << why << ": " << name << " was written";
    }
    for (const auto& [name, bytes] : before)
      EXPECT_TRUE(after.count(name)) << why << ": " << name << " was removed";
  };
  const auto makeDatabase = [](const std::string& path) {
    OpenStores stores(allRoles(path));
    auto entities = stores.registry().entities("t");
    for (int i = 0; i < 100; ++i) entities->create("c", "e" + std::to_string(i), json(R"({"a":1})"));
  };
  const auto first = [](const std::string& path, const std::string& prefix, const std::string& suffix) {
    for (const auto& f : fs::directory_iterator(path)) {
      const std::string name = f.path().filename();
      if (name.rfind(prefix, 0) == 0 && name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return f.path().string();
    }
    return std::string();
  };

  TempDir dir;
  // Garbage in place of the MANIFEST.
  const std::string corrupt = dir.file("corrupt");
  makeDatabase(corrupt);
  const std::string manifest = first(corrupt, "MANIFEST-", "");
  ASSERT_FALSE(manifest.empty());
  writeFile(manifest, randomBytes(static_cast<std::size_t>(fs::file_size(manifest)), 5));
  expectRefused(corrupt, "a corrupt MANIFEST");

  // A table file gone (a clean close flushes the memtables into table files).
  const std::string damaged = dir.file("damaged");
  makeDatabase(damaged);
  const std::string table = first(damaged, "", ".sst");
  ASSERT_FALSE(table.empty()) << "no table file after a clean close";
  fs::remove(table);
  expectRefused(damaged, "a missing table file");

  // CURRENT names a MANIFEST that is not there.
  const std::string orphan = dir.file("orphan");
  makeDatabase(orphan);
  fs::remove(first(orphan, "MANIFEST-", ""));
  expectRefused(orphan, "a missing MANIFEST");
}

TEST(RocksDbBackend, NamesWithNulBytesAndSharedPrefixesStayApart) {
  TempDir dir;
  OpenStores stores(allRoles(dir.file("db")));
  auto entities = stores.registry().entities("t");
  const std::vector<std::string> collections{"a",  std::string("a\0", 2),   std::string("a\0b", 3),
                                             "ab", std::string("a\x01", 2), std::string("\xff")};
  for (const auto& c : collections) {
    entities->create(c, "x", json("{}"));
    entities->create(c, std::string("y\0z", 3), json("{}"));
  }
  auto names = entities->collections();
  std::sort(names.begin(), names.end());
  auto expected = collections;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  for (const auto& c : collections) {
    const EntityPage page = entities->list(c, EntityQuery{});
    EXPECT_EQ(page.total, 2u);
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, "x");
    EXPECT_EQ(page.items[1].id, std::string("y\0z", 3));
  }

  auto annotations = stores.registry().annotations("t");
  const std::string nulTarget("t\0u", 3);
  annotations->set("t", Annotation{"k", AnnotationType::String, {std::string("v\0w", 3)}});
  annotations->set(nulTarget, Annotation{"k", AnnotationType::String, {std::string("v")}});
  annotations->set("tu", Annotation{std::string("k\0", 2), AnnotationType::String, {std::string("v")}});
  EXPECT_EQ(annotations->list("t").size(), 1u);
  EXPECT_EQ(annotations->list(nulTarget).size(), 1u);
  EXPECT_EQ(annotations->query(query("k", Op::Eq, std::string("v"))), std::vector<std::string>{nulTarget});
  EXPECT_EQ(annotations->query(query("k", Op::Eq, std::string("v\0w", 3))), std::vector<std::string>{"t"});
  EXPECT_EQ(annotations->query(query("k", Op::Ge, std::string("v"))),
            (std::vector<std::string>{"t", nulTarget}));
  EXPECT_EQ(annotations->query(query(std::string("k\0", 2), Op::Eq, std::string("v"))),
            std::vector<std::string>{"tu"});
  annotations->removeAll("t");
  EXPECT_EQ(annotations->list(nulTarget).size(), 1u);
}

// Checked against the memory store too, which compares values one by one.
TEST(RocksDbBackend, AnnotationIndexComparesNumbersExactly) {
  TempDir dir;
  OpenStores stores(ConfigValues{{"stores.annotations.m.backend", "memory"},
                                 {"stores.annotations.r.backend", "rocksdb"},
                                 {"stores.annotations.r.path", dir.file("db")}});
  for (const char* instance : {"m", "r"}) {
    SCOPED_TRACE(instance);
    auto a = stores.registry().annotations(instance);
    constexpr int64_t k253 = int64_t{1} << 53;
    a->set("p53", Annotation{"n", AnnotationType::Long, {k253}});
    a->set("p53+1", Annotation{"n", AnnotationType::Long, {k253 + 1}});
    a->set("negzero", Annotation{"n", AnnotationType::Double, {-0.0}});
    a->set("nan", Annotation{"n", AnnotationType::Double, {std::nan("")}});
    a->set("inf", Annotation{"n", AnnotationType::Double, {std::numeric_limits<double>::infinity()}});
    a->set("min", Annotation{"n", AnnotationType::Long, {std::numeric_limits<int64_t>::min()}});
    a->set("half", Annotation{"n", AnnotationType::Double, {0.5}});
    using T = std::vector<std::string>;
    EXPECT_EQ(a->query(query("n", Op::Eq, static_cast<double>(k253))), T{"p53"});
    EXPECT_EQ(a->query(query("n", Op::Gt, static_cast<double>(k253))), (T{"inf", "p53+1"}));
    EXPECT_EQ(a->query(query("n", Op::Lt, k253 + 1)), (T{"half", "min", "negzero", "p53"}));
    EXPECT_EQ(a->query(query("n", Op::Le, k253)), (T{"half", "min", "negzero", "p53"}));
    EXPECT_EQ(a->query(query("n", Op::Eq, int64_t{0})), T{"negzero"});
    EXPECT_EQ(a->query(query("n", Op::Eq, 0.0)), T{"negzero"});
    EXPECT_EQ(a->query(query("n", Op::Gt, 0.0)), (T{"half", "inf", "p53", "p53+1"}));
    EXPECT_EQ(a->query(query("n", Op::Lt, int64_t{1})), (T{"half", "min", "negzero"}));
    EXPECT_EQ(a->query(query("n", Op::Ne, 0.5)), (T{"inf", "min", "negzero", "p53", "p53+1"}));
    EXPECT_TRUE(a->query(query("n", Op::Eq, std::nan(""))).empty());
    EXPECT_TRUE(a->query(query("n", Op::Ne, std::nan(""))).empty());
    EXPECT_EQ(a->query(query("n", Op::Le, std::numeric_limits<int64_t>::min())), T{"min"});
    // Updating a key drops its old index entries.
    a->set("p53", Annotation{"n", AnnotationType::Long, {int64_t{3}}});
    EXPECT_TRUE(a->query(query("n", Op::Eq, k253)).empty());
    EXPECT_EQ(a->query(query("n", Op::Eq, int64_t{3})), T{"p53"});
  }
}

TEST(RocksDbBackend, AnnotationTargetsAreListedOnceInOrder) {
  TempDir dir;
  OpenStores stores(ConfigValues{{"stores.annotations.m.backend", "memory"},
                                 {"stores.annotations.r.backend", "rocksdb"},
                                 {"stores.annotations.r.path", dir.file("db")}});
  using T = std::vector<std::string>;
  const std::string aNul("a\0", 2);
  for (const char* instance : {"m", "r"}) {
    SCOPED_TRACE(instance);
    auto a = stores.registry().annotations(instance);
    for (const std::string& target : T{"b", "ab", aNul, "a", "c"})
      for (const char* key : {"k1", "k2", "k3"})
        a->set(target, Annotation{key, AnnotationType::Long, {int64_t{1}}});
    EXPECT_EQ(a->targets("", 0), (T{"a", aNul, "ab", "b", "c"}));
    EXPECT_EQ(a->targets("", 1), T{"a"});
    EXPECT_EQ(a->targets("a", 2), (T{aNul, "ab"}));
    EXPECT_EQ(a->targets("aa", 0), (T{"ab", "b", "c"}));
    EXPECT_TRUE(a->targets("c", 0).empty());
    a->removeAll("ab");
    EXPECT_EQ(a->targets("a", 0), (T{aNul, "b", "c"}));
  }
}

// The same entities in a memory store and a rocksdb store list the same way.
TEST(RocksDbBackend, EntityListingsMatchTheMemoryStore) {
  TempDir dir;
  OpenStores stores(ConfigValues{{"stores.entities.m.backend", "memory"},
                                 {"stores.entities.r.backend", "rocksdb"},
                                 {"stores.entities.r.path", dir.file("db")}});
  auto memory = stores.registry().entities("m");
  auto rocks = stores.registry().entities("r");
  std::mt19937 rng(5);
  const std::vector<std::string> values{R"(1)",
                                        R"(2.5)",
                                        R"(-3)",
                                        R"("a")",
                                        R"("B")",
                                        R"(true)",
                                        R"(null)",
                                        R"({"o":1})",
                                        R"([1,2])",
                                        R"(1e300)",
                                        R"(9007199254740993)"};
  for (int i = 0; i < 300; ++i) {
    std::string body = "{";
    if (rng() % 4) body += "\"f\":" + values[rng() % values.size()] + ",";
    body += "\"g\":" + std::to_string(rng() % 7) + "}";
    const std::string id = "id" + std::to_string(rng() % 1000) + "-" + std::to_string(i);
    memory->create("c", id, json(body));
    rocks->create("c", id, json(body));
  }
  const auto ids = [](const EntityPage& p) {
    std::vector<std::string> out;
    for (const auto& e : p.items) out.push_back(e.id);
    return out;
  };
  for (const std::string sortBy : {"id", "f", "g", "version", "missing"}) {
    for (bool descending : {false, true}) {
      for (const auto& [offset, limit] : std::vector<std::pair<uint64_t, uint64_t>>{
               {0, 100}, {0, 1000}, {37, 20}, {290, 50}, {0, 0}, {5, 1}}) {
        for (int filtered = 0; filtered < 3; ++filtered) {
          EntityQuery q;
          q.sortBy = sortBy;
          q.descending = descending;
          q.offset = offset;
          q.limit = limit;
          if (filtered == 1) q.filters.push_back(EntityFilter{"g", EntityFilter::Op::Ge, 3});
          if (filtered == 2)
            q.filters.push_back(EntityFilter{"f", EntityFilter::Op::Ne, Poco::Dynamic::Var()});
          const EntityPage m = memory->list("c", q), r = rocks->list("c", q);
          SCOPED_TRACE(sortBy + (descending ? " desc " : " asc ") + std::to_string(offset) + "/" +
                       std::to_string(limit) + " filter " + std::to_string(filtered));
          EXPECT_EQ(r.total, m.total);
          EXPECT_EQ(ids(r), ids(m));
        }
      }
    }
  }
}

}  // namespace
}  // namespace strata::test
