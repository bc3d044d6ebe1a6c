// The hdf plugin across a restart of the server: links and domains deleted through the API
// still answer 410 Gone (their tombstones live in the entities store, here rocksdb), names
// created again answer as usual and lose their tombstone for good, only the newest
// plugins.hdf.maxTombstones deleted names are remembered, and without an entities store the
// tombstones live in memory and a restart forgets them. The arrays are in the hdf5 backend,
// whose files outlive the server.
#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <string>

#include "support/server_process.h"

namespace strata::test {
namespace {

using Poco::JSON::Object;

class HdfRestart : public ::testing::Test {
 protected:
  // Arrays on hdf5 under data/, entities (unless `entities` is false) on rocksdb under
  // entities/, both in this test's directory, which outlives the server processes.
  void startServer(bool entities = true, std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> cfg = {{"plugins.load", "hdf"},
                                              {"auth.anonymousWrites", "true"},
                                              {"stores.arrays.default.backend", "hdf5"},
                                              {"stores.arrays.default.path", state_.file("data")}};
    if (entities) {
      cfg["stores.entities.default.backend"] = "rocksdb";
      cfg["stores.entities.default.path"] = state_.file("entities");
    } else {
      cfg["plugins.hdf.acls"] = "false";
    }
    for (auto& [k, v] : extra) cfg[k] = v;
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
    server_ = std::make_unique<ServerProcess>(cfg, false);
    Poco::File(state_.file("data")).createDirectories();
    ASSERT_TRUE(server_->start()) << server_->log();
  }

  void restart() {
    ASSERT_EQ(server_->stop(), 0) << server_->log();
    ASSERT_TRUE(server_->start()) << server_->log();
  }

  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
  }

  HttpResult call(const std::string& method, const std::string& domain, const std::string& path,
                  const std::string& body = "") {
    return server_->request(method, path, body, {{"Host", domain + ".test.hdfgroup.org"}});
  }

  // Creates a domain; returns its root group id.
  std::string createDomain(const std::string& domain) {
    auto r = call("PUT", domain, "/");
    EXPECT_EQ(r.status, 201) << r.reason << " " << r.body;
    return rootOf(domain);
  }

  std::string rootOf(const std::string& domain) {
    auto r = call("GET", domain, "/");
    EXPECT_EQ(r.status, 200) << r.reason << " " << r.body;
    try {
      return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->getValue<std::string>("root");
    } catch (const std::exception&) {
      ADD_FAILURE() << "no root in " << r.body;
      return "";
    }
  }

  int linkStatus(const std::string& domain, const std::string& root, const std::string& name) {
    return call("GET", domain, "/groups/" + root + "/links/" + name).status;
  }

  // A soft link: no object behind it, so h5py can remove it without freeing anything.
  void putLink(const std::string& domain, const std::string& root, const std::string& name) {
    auto r = call("PUT", domain, "/groups/" + root + "/links/" + name, R"({"h5path": "/somewhere"})");
    EXPECT_EQ(r.status, 201) << name << ": " << r.reason << " " << r.body;
  }

  void deleteLink(const std::string& domain, const std::string& root, const std::string& name) {
    auto r = call("DELETE", domain, "/groups/" + root + "/links/" + name);
    EXPECT_EQ(r.status, 200) << name << ": " << r.reason << " " << r.body;
  }

  std::string file(const std::string& domain) const { return state_.file("data/test/" + domain + ".h5"); }

  TempDir state_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HdfRestart, DeletedLinksAndDomainsStayGoneAcrossARestart) {
  startServer();
  const std::string root = createDomain("keep");
  putLink("keep", root, "gone");
  putLink("keep", root, "kept");
  deleteLink("keep", root, "gone");
  EXPECT_EQ(linkStatus("keep", root, "gone"), 410);
  createDomain("dropped");
  EXPECT_EQ(call("DELETE", "dropped", "/").status, 200);
  EXPECT_EQ(call("GET", "dropped", "/").status, 410);

  restart();
  EXPECT_EQ(linkStatus("keep", root, "gone"), 410);
  EXPECT_EQ(call("DELETE", "keep", "/groups/" + root + "/links/gone").status, 410);
  EXPECT_EQ(linkStatus("keep", root, "kept"), 200);
  EXPECT_EQ(linkStatus("keep", root, "never"), 404);
  auto r = call("GET", "dropped", "/");
  EXPECT_EQ(r.status, 410) << r.reason;
  EXPECT_NE(r.reason.find("deleted"), std::string::npos) << r.reason;
  EXPECT_EQ(call("DELETE", "dropped", "/").status, 410);
  EXPECT_EQ(call("GET", "never", "/").status, 404);

  // Created again, both answer as usual.
  putLink("keep", root, "gone");
  EXPECT_EQ(linkStatus("keep", root, "gone"), 200);
  createDomain("dropped");
  EXPECT_EQ(call("GET", "dropped", "/").status, 200);

  // ... and their tombstones are gone from the store: once the names vanish behind the
  // server's back (the file removed, the link removed with h5py), they answer 404, not 410.
  ASSERT_EQ(server_->stop(), 0) << server_->log();
  Poco::File(file("dropped")).remove();
  auto [rc, out] = runPython(state_.path(), "import h5py\nwith h5py.File('" + file("keep") +
                                                "', 'r+') as f:\n    del f['gone']\nprint('ok')\n");
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(server_->start()) << server_->log();
  EXPECT_EQ(linkStatus("keep", root, "gone"), 404);
  EXPECT_EQ(linkStatus("keep", root, "kept"), 200);
  EXPECT_EQ(call("GET", "dropped", "/").status, 404);
}

TEST_F(HdfRestart, OnlyTheNewestTombstonesAreKept) {
  startServer(true, {{"plugins.hdf.maxTombstones", "2"}});
  const std::string root = createDomain("bounded");
  for (const char* name : {"a", "b", "c", "d"}) putLink("bounded", root, name);
  for (const char* name : {"a", "b", "c"}) deleteLink("bounded", root, name);
  // Three deleted, two remembered: the oldest answers 404.
  EXPECT_EQ(linkStatus("bounded", root, "a"), 404);
  EXPECT_EQ(linkStatus("bounded", root, "b"), 410);
  EXPECT_EQ(linkStatus("bounded", root, "c"), 410);

  restart();
  EXPECT_EQ(linkStatus("bounded", root, "a"), 404);
  EXPECT_EQ(linkStatus("bounded", root, "b"), 410);
  EXPECT_EQ(linkStatus("bounded", root, "c"), 410);

  // Re-creating b frees its place; deleting d then keeps c and d.
  putLink("bounded", root, "b");
  deleteLink("bounded", root, "d");
  EXPECT_EQ(linkStatus("bounded", root, "b"), 200);
  EXPECT_EQ(linkStatus("bounded", root, "c"), 410);
  EXPECT_EQ(linkStatus("bounded", root, "d"), 410);
  // Deleting b again pushes out c, the oldest.
  deleteLink("bounded", root, "b");
  restart();
  EXPECT_EQ(linkStatus("bounded", root, "b"), 410);
  EXPECT_EQ(linkStatus("bounded", root, "c"), 404);
  EXPECT_EQ(linkStatus("bounded", root, "d"), 410);
}

TEST_F(HdfRestart, StartingWithALowerBoundDropsTheOldest) {
  startServer();
  const std::string root = createDomain("lowered");
  for (const char* name : {"a", "b", "c"}) {
    putLink("lowered", root, name);
    deleteLink("lowered", root, name);
  }
  // The same stores, with room for one tombstone: the newest stays.
  startServer(true, {{"plugins.hdf.maxTombstones", "1"}});
  EXPECT_EQ(linkStatus("lowered", root, "a"), 404);
  EXPECT_EQ(linkStatus("lowered", root, "b"), 404);
  EXPECT_EQ(linkStatus("lowered", root, "c"), 410);
  // The others were removed from the store, not just skipped: raising the bound again does
  // not bring them back.
  startServer();
  EXPECT_EQ(linkStatus("lowered", root, "a"), 404);
  EXPECT_EQ(linkStatus("lowered", root, "b"), 404);
  EXPECT_EQ(linkStatus("lowered", root, "c"), 410);
}

TEST_F(HdfRestart, WithoutAnEntitiesStoreTombstonesLiveInMemory) {
  startServer(false);
  const std::string root = createDomain("memory");
  putLink("memory", root, "x");
  deleteLink("memory", root, "x");
  EXPECT_EQ(linkStatus("memory", root, "x"), 410);
  createDomain("memorydropped");
  EXPECT_EQ(call("DELETE", "memorydropped", "/").status, 200);
  EXPECT_EQ(call("GET", "memorydropped", "/").status, 410);

  restart();
  EXPECT_EQ(linkStatus("memory", root, "x"), 404);
  EXPECT_EQ(call("GET", "memorydropped", "/").status, 404);
}

// A dataset and an attribute of a committed type still show the type by reference after a
// restart, on the hdf5 backend (the file links them) and on rocksdb (the store keeps the id).
// (The memory backend forgets everything in a restart.)
TEST_F(HdfRestart, CommittedTypeReferencesSurviveARestart) {
  for (const char* name : {"hdf5", "rocksdb"}) {
    const std::string backend = name;
    SCOPED_TRACE(backend);
    server_.reset();
    std::map<std::string, std::string> extra;
    if (backend == "rocksdb") {
      extra["stores.arrays.default.backend"] = "rocksdb";
      extra["stores.arrays.default.path"] = state_.file("arrays");
    }
    startServer(true, extra);
    const std::string domain = "committed" + backend;
    const std::string root = createDomain(domain);
    auto r = call("POST", domain, "/datatypes",
                  R"({"type": "H5T_STD_I16LE", "link": {"id": ")" + root + R"(", "name": "short"}})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string t =
        Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->getValue<std::string>("id");
    r = call("POST", domain, "/datasets", R"({"type": "datatypes/)" + t + R"(", "shape": [2]})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string d =
        Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->getValue<std::string>("id");
    ASSERT_EQ(
        call("PUT", domain, "/groups/" + root + "/attributes/a", R"({"type": ")" + t + R"(", "value": 5})")
            .status,
        201);
    restart();
    const auto typeOf = [&](const std::string& path) {
      auto got = call("GET", domain, path);
      EXPECT_EQ(got.status, 200) << path << ": " << got.body;
      auto o = Poco::JSON::Parser().parse(got.body).extract<Object::Ptr>();
      return o->has("type") && o->get("type").isString() ? o->getValue<std::string>("type") : got.body;
    };
    EXPECT_EQ(typeOf("/datasets/" + d), "datatypes/" + t);
    EXPECT_EQ(typeOf("/groups/" + root + "/attributes/a"), "datatypes/" + t);
    EXPECT_NE(call("GET", domain, "/datasets/" + d + "/value").body.find("[0,0]"), std::string::npos);
  }
}

}  // namespace
}  // namespace strata::test
