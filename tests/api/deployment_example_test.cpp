// The deployment example of docs/configuration.md ("each role in the store that suits it"),
// run as written: the properties block is read from the document, its /srv/strata paths moved
// into the test's directory. Checks that each role is served by the backend the example names,
// that the data lands where it says, and that it survives a restart.
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace strata::test {
namespace {

namespace fs = std::filesystem;

// The key = value lines of the first ```properties block after `heading`.
std::map<std::string, std::string> exampleBlock(const std::string& heading) {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/docs/configuration.md");
  std::string line;
  bool inSection = false, inBlock = false;
  std::map<std::string, std::string> out;
  while (std::getline(in, line)) {
    if (!inSection) {
      inSection = line == heading;
      continue;
    }
    if (!inBlock) {
      inBlock = line == "```properties";
      continue;
    }
    if (line == "```") break;
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(' '));
      s.erase(s.find_last_not_of(' ') + 1);
      return s;
    };
    std::string value = trim(line.substr(eq + 1));
    const std::string prefix = "/srv/strata/";
    if (value.rfind(prefix, 0) == 0) value = "srv/" + value.substr(prefix.size());
    out[trim(line.substr(0, eq))] = value;
  }
  return out;
}

Poco::Dynamic::Var parse(const HttpResult& r) { return Poco::JSON::Parser().parse(r.body); }

TEST(DeploymentExample, EachRoleLandsInItsStoreAndSurvivesARestart) {
  auto cfg = exampleBlock("## Example deployment: each role in the store that suits it");
  ASSERT_EQ(cfg["stores.arrays.default.backend"], "hdf5") << "the example block was not found";
  ASSERT_EQ(cfg["stores.annotations.default.path"], "srv/rocksdb/annotations");
  // The example's writes below are anonymous.
  cfg["auth.anonymousWrites"] = "true";
  ServerProcess server(cfg);
  ASSERT_TRUE(server.running()) << server.log();

  // Each role by the backend the example names.
  auto stores = parse(server.get("/strata/stores")).extract<Poco::JSON::Array::Ptr>();
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (std::size_t i = 0; i < stores->size(); ++i) {
    auto s = stores->getObject(static_cast<unsigned>(i));
    seen.emplace(s->getValue<std::string>("role"), s->getValue<std::string>("instance"),
                 s->getValue<std::string>("backend"));
  }
  const std::set<std::tuple<std::string, std::string, std::string>> expected = {
      {"arrays", "default", "hdf5"},
      {"arrays", "archive", "rocksdb"},
      {"entities", "default", "rocksdb"},
      {"blobs", "default", "rocksdb"},
      {"annotations", "default", "rocksdb"}};
  EXPECT_EQ(seen, expected);

  // A domain with a dataset (arrays: an .h5 file) and an ACL (entities: RocksDB).
  const std::string q = "?host=deploy.test.hdfgroup.org";
  ASSERT_EQ(server.request("PUT", "/" + q).status, 201);
  const std::string root =
      parse(server.get("/" + q)).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("root");
  const auto created = server.request(
      "POST", "/datasets" + q,
      R"({"type": "H5T_STD_I32LE", "shape": [4], "link": {"id": ")" + root + R"(", "name": "d"}})",
      {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = parse(created).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
  ASSERT_EQ(server
                .request("PUT", "/datasets/" + id + "/value" + q, R"({"value": [1, 2, 3, 4]})",
                         {{"Content-Type", "application/json"}})
                .status,
            200);
  ASSERT_EQ(server
                .request("PUT", "/acls/default" + q, R"({"read": true, "readACL": true, "update": false})",
                         {{"Content-Type", "application/json"}})
                .status,
            201);

  const fs::path dir = server.dir();
  EXPECT_GT(fs::file_size(dir / "srv/h5/test/deploy.h5"), 0u);
  EXPECT_TRUE(fs::exists(dir / "srv/rocksdb/main/CURRENT"));
  EXPECT_TRUE(fs::exists(dir / "srv/rocksdb/annotations/CURRENT"));
  EXPECT_FALSE(fs::exists(dir / "srv/h5/CURRENT")) << "no RocksDB in the HDF5 directory";

  // After a restart: the values from the file, the ACL from RocksDB (it still denies updates).
  ASSERT_EQ(server.stop(), 0) << server.log();
  ASSERT_TRUE(server.start()) << server.log();
  const auto value = server.get("/datasets/" + id + "/value" + q);
  ASSERT_EQ(value.status, 200) << value.body;
  auto values = parse(value).extract<Poco::JSON::Object::Ptr>()->getArray("value");
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 4u);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(values->getElement<int>(i), static_cast<int>(i + 1));
  const auto acl = server.get("/acls/default" + q);
  ASSERT_EQ(acl.status, 200) << acl.body;
  EXPECT_FALSE(parse(acl).extract<Poco::JSON::Object::Ptr>()->getObject("acl")->getValue<bool>("update"));
  EXPECT_EQ(server
                .request("PUT", "/datasets/" + id + "/value" + q, R"({"value": [0, 0, 0, 0]})",
                         {{"Content-Type", "application/json"}})
                .status,
            401);
}

// app/strata.properties, the configuration of the README's first command: it starts, loads
// the admin and hdf plugins, and keeps a domain as an .h5 file under var/hdf.
TEST(DefaultConfiguration, ServesHdfDomainsFromFilesUnderVar) {
  std::map<std::string, std::string> cfg;
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/app/strata.properties");
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    key.erase(key.find_last_not_of(' ') + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (key.rfind("server.", 0) == 0) continue;  // the test picks address and port
    cfg[key] = value;
  }
  ASSERT_EQ(cfg["plugins.load"], "admin, hdf, slycat, synapse, ufdl");
  // Writes need a user on this configuration: one in a users file.
  cfg["auth.usersFile"] = "users";
  ServerProcess server(cfg, false);
  writeFile(server.dir() + "/users", ServerProcess::usersLine("alice", "wonder", "admin") + "\n");
  ASSERT_TRUE(server.start()) << server.log();
  EXPECT_EQ(server.get("/strata/health").status, 200);
  EXPECT_EQ(server.request("PUT", "/?host=tall.test.hdfgroup.org").status, 401);
  EXPECT_EQ(server
                .request("PUT", "/?host=tall.test.hdfgroup.org", "",
                         {{"Authorization", basicAuth("alice", "wonder")}})
                .status,
            201);
  EXPECT_EQ(server.get("/?domain=/test/tall.h5").status, 200);
  EXPECT_GT(fs::file_size(fs::path(server.dir()) / "var/hdf/test/tall.h5"), 0u);
  EXPECT_TRUE(fs::exists(fs::path(server.dir()) / "var/db/CURRENT"));

  // Slycat: nothing without a user; a user's arrayset is an .h5 file under var/hdf/slycat.
  EXPECT_EQ(server.request("POST", "/api/projects", R"({"name": "p"})").status, 401);
  const std::map<std::string, std::string> alice{{"Authorization", basicAuth("alice", "wonder")}};
  auto r = server.request("POST", "/api/projects", R"({"name": "p"})", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string pid = r.body.substr(7, 32);
  r = server.request("POST", "/api/projects/" + pid + "/models",
                     R"({"model-type": "generic", "name": "m", "marking": ""})", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string mid = r.body.substr(7, 32);
  EXPECT_EQ(server.request("PUT", "/api/models/" + mid + "/arraysets/a", R"({"input": true})", alice).status,
            200);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(server.dir()) / "var/hdf/slycat"))
    files += e.path().extension() == ".h5" ? 1 : 0;
  EXPECT_EQ(files, 1u);

  // Synapse: anonymous reads, no anonymous writes; a user's dataset reads back.
  EXPECT_EQ(server.request("POST", "/repo/v1/dataset", R"({"name": "d"})").status, 401);
  r = server.request("POST", "/repo/v1/dataset", R"({"name": "d"})", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(server.get(r.header("location")).status, 200);

  // UFDL: anonymous lists see public datasets only and may not create; the users file's admin
  // is UFDL staff; dataset files are blobs under var/ufdl-files, apart from /strata/blobs.
  r = server.request("POST", "/v1/datasets/list");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(server.request("POST", "/v1/teams/create", R"({"name": "t"})").status, 401);
  r = server.request("POST", "/v1/teams/create", R"({"name": "t"})", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string team = std::to_string(
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<int64_t>("pk"));
  r = server.request("POST", "/v1/projects/create", R"({"name": "p", "team": )" + team + "}", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string project = std::to_string(
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<int64_t>("pk"));
  r = server.request("POST", "/v1/datasets/create",
                     R"({"name": "d", "project": )" + project + R"(, "licence": 1, "tags": ""})", alice);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string dataset = std::to_string(
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<int64_t>("pk"));
  auto withFile = alice;
  withFile["Content-Disposition"] = "attachment; filename=a.txt";
  withFile["Content-Type"] = "application/octet-stream";
  r = server.request("POST", "/v1/datasets/" + dataset + "/files/a.txt", "hello", withFile);
  ASSERT_EQ(r.status, 200) << r.body;
  std::size_t blobFiles = 0;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(server.dir()) / "var/ufdl-files"))
    blobFiles += e.is_regular_file() && e.file_size() == 5 ? 1 : 0;
  EXPECT_EQ(blobFiles, 1u);
  EXPECT_EQ(server.get("/strata/blobs", alice).body.find(r.body.substr(r.body.find("handle") + 9, 64)),
            std::string::npos);
}

}  // namespace
}  // namespace strata::test
