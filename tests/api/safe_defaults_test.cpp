// The doors of a default installation, tried over HTTP as an anonymous client, a user and an
// operator (admin group): writes need a user unless the operator opts into anonymous writes,
// a new domain belongs to its creator, unowned files are read-only to ordinary users, the
// operator can always repair ACLs, CORS is off unless origins are listed, and declared sizes
// are bounded before anything is allocated or decoded.
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

namespace strata::test {
namespace {

using Headers = std::map<std::string, std::string>;

Poco::JSON::Object::Ptr parse(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

const Headers kAlice{{"Authorization", basicAuth("alice", "wonder")}};
const Headers kBob{{"Authorization", basicAuth("bob", "builder")}};
const Headers kRoot{{"Authorization", basicAuth("root", "rootpw")}};

Headers with(Headers h, const std::string& key, const std::string& value) {
  h[key] = value;
  return h;
}

// The default configuration's doors (auth.anonymous = true, nothing else opened), with the
// hdf plugin on memory stores unless `extra` says otherwise, and three users.
std::unique_ptr<ServerProcess> startServer(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> cfg = {{"plugins.load", "admin, hdf"},
                                            {"auth.anonymous", "true"},
                                            {"auth.usersFile", "users"},
                                            {"stores.arrays.default.backend", "memory"},
                                            {"stores.entities.default.backend", "memory"},
                                            {"stores.blobs.default.backend", "fs"},
                                            {"stores.blobs.default.path", "blobs"}};
  for (auto& [k, v] : extra) cfg[k] = v;
  auto s = std::make_unique<ServerProcess>(cfg, false);
  writeFile(s->dir() + "/users", ServerProcess::usersLine("alice", "wonder") + "\n" +
                                     ServerProcess::usersLine("bob", "builder") + "\n" +
                                     ServerProcess::usersLine("root", "rootpw", "admin") + "\n");
  if (!s->start()) throw std::runtime_error("strata-server did not start:\n" + s->log());
  return s;
}

std::string domainQuery(const std::string& path) { return "?domain=" + path; }

// ------------------------------------------------------------------ writes need a user

TEST(SafeDefaults, AnonymousBlobUploadNeedsAUser) {
  auto s = startServer();
  auto r = s->request("POST", "/strata/blobs", "anonymous bytes");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(parse(r)->getObject("error")->getValue<std::string>("message"), "authentication required");
  EXPECT_FALSE(r.header("WWW-Authenticate").empty());
  EXPECT_EQ(s->get("/strata/blobs").body, "[]");  // nothing was stored

  r = s->request("POST", "/strata/blobs", "alice's bytes", kAlice);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(s->get("/strata/blobs/" + parse(r)->getValue<std::string>("id")).body, "alice's bytes");
}

TEST(SafeDefaults, AnonymousWritesAreAnOptIn) {
  auto s = startServer({{"auth.anonymousWrites", "true"}});
  EXPECT_EQ(s->request("POST", "/strata/blobs", "anonymous bytes").status, 201);
  EXPECT_EQ(s->request("PUT", "/" + domainQuery("/shared/open.h5")).status, 201);

  auto [rc, out] = runServerExpectingExit({{"plugins.load", "admin"},
                                           {"plugins.admin.blobs", "false"},
                                           {"auth.anonymous", "false"},
                                           {"auth.anonymousWrites", "true"}});
  EXPECT_EQ(rc, 78) << out;
  EXPECT_NE(out.find("auth.anonymousWrites = true needs auth.anonymous = true"), std::string::npos) << out;
}

TEST(SafeDefaults, AnonymousClientsReadButCannotCreateDomains) {
  auto s = startServer();
  const std::string q = domainQuery("/home/alice/data.h5");
  auto r = s->request("PUT", "/" + q);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(s->get("/" + q).status, 404);  // nothing was created
  ASSERT_EQ(s->request("PUT", "/" + q, "", kAlice).status, 201);
  EXPECT_EQ(s->get("/" + q).status, 200);  // reads stay anonymous
  const std::string root = parse(s->get("/" + q))->getValue<std::string>("root");
  EXPECT_EQ(s->request("POST", "/groups" + q, "{}", {{"Content-Type", "application/json"}}).status, 401);
  // A point selection is a read even though it is a POST.
  r = s->request("POST", "/datasets" + q, R"({"type": "H5T_STD_I32LE", "shape": [4]})",
                 with(kAlice, "Content-Type", "application/json"));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string ds = parse(r)->getValue<std::string>("id");
  r = s->request("POST", "/datasets/" + ds + "/value" + q, R"({"points": [1, 3]})",
                 {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(root.empty());
}

// ------------------------------------------------------------------ domain ownership

TEST(SafeDefaults, NewDomainBelongsToItsCreator) {
  auto s = startServer();
  const std::string q = domainQuery("/home/alice/mine.h5");
  ASSERT_EQ(s->request("PUT", "/" + q, "", kAlice).status, 201);

  auto r = s->get("/acls" + q, kAlice);
  ASSERT_EQ(r.status, 200) << r.body;
  auto acls = parse(r)->getArray("acls");
  ASSERT_EQ(acls->size(), 1u);
  auto owner = acls->getObject(0);
  EXPECT_EQ(owner->getValue<std::string>("userName"), "alice");
  for (const char* p : {"create", "read", "update", "delete", "readACL", "updateACL"})
    EXPECT_TRUE(owner->getValue<bool>(p)) << p;

  // Another user reads (no entry applies: the unowned default) but may not write, delete or
  // take the ACLs over; bodies are not even looked at, but for an ACL body, which h5serv checks
  // before the credentials (a malformed one is 400 for anyone; docs/hdf.md).
  EXPECT_EQ(s->get("/" + q, kBob).status, 200);
  const auto json = with(kBob, "Content-Type", "application/json");
  EXPECT_EQ(s->request("POST", "/groups" + q, "{}", json).status, 403);
  EXPECT_EQ(s->request("POST", "/groups" + q, "{not json", json).status, 403);
  EXPECT_EQ(s->request("PUT", "/acls/bob" + q, R"({"updateACL": true})", json).status, 403);
  EXPECT_EQ(s->request("PUT", "/acls/bob" + q, "{not json", json).status, 400);
  EXPECT_EQ(s->request("DELETE", "/" + q, "", kBob).status, 403);

  // The owner shares: bob gets create.
  EXPECT_EQ(s->request("PUT", "/acls/bob" + q, R"({"read": true, "create": true})",
                       with(kAlice, "Content-Type", "application/json"))
                .status,
            201);
  EXPECT_EQ(s->request("POST", "/groups" + q, "{}", json).status, 201);
  EXPECT_EQ(s->request("DELETE", "/" + q, "", kBob).status, 403);
  EXPECT_EQ(s->request("DELETE", "/" + q, "", kAlice).status, 200);
}

TEST(SafeDefaults, UsersCreateDomainsInTheirHomeFolderOnly) {
  auto s = startServer();
  EXPECT_EQ(s->request("PUT", "/" + domainQuery("/home/bob/x.h5"), "", kAlice).status, 403);
  EXPECT_EQ(s->request("PUT", "/" + domainQuery("/shared/x.h5"), "", kAlice).status, 403);
  EXPECT_EQ(s->request("PUT", "/?host=x.alice.home.hdfgroup.org", "", kAlice).status, 201);
  // The operator creates anywhere.
  EXPECT_EQ(s->request("PUT", "/" + domainQuery("/shared/x.h5"), "", kRoot).status, 201);

  // plugins.hdf.unownedWriters opens the rest to named users or groups.
  auto open = startServer({{"plugins.hdf.unownedWriters", "alice"}});
  EXPECT_EQ(open->request("PUT", "/" + domainQuery("/shared/x.h5"), "", kAlice).status, 201);
  EXPECT_EQ(open->request("PUT", "/" + domainQuery("/shared/y.h5"), "", kBob).status, 403);
}

TEST(SafeDefaults, OperatorRepairsAcls) {
  // Outside her home folder (which is hers whatever its ACLs say), alice may lock herself out.
  auto s = startServer({{"plugins.hdf.unownedWriters", "alice"}});
  const std::string q = domainQuery("/shared/locked.h5");
  ASSERT_EQ(s->request("PUT", "/" + q, "", kAlice).status, 201);
  const auto aliceJson = with(kAlice, "Content-Type", "application/json");
  // The owner locks everyone out, herself included.
  ASSERT_EQ(s->request("PUT", "/acls/alice" + q,
                       R"({"create": false, "read": false, "update": false, "delete": false,
                           "readACL": false, "updateACL": false})",
                       aliceJson)
                .status,
            201);
  ASSERT_EQ(s->request("PUT", "/acls/default" + q, R"({"read": false})",
                       with(kRoot, "Content-Type", "application/json"))
                .status,
            201);
  EXPECT_EQ(s->get("/" + q, kAlice).status, 403);
  EXPECT_EQ(s->get("/" + q).status, 401);
  EXPECT_EQ(s->get("/acls" + q, kAlice).status, 403);
  // The admin group passes every ACL check and gives alice her rights back.
  EXPECT_EQ(s->get("/" + q, kRoot).status, 200);
  EXPECT_EQ(s->request("PUT", "/acls/alice" + q, R"({"read": true, "readACL": true, "updateACL": true})",
                       with(kRoot, "Content-Type", "application/json"))
                .status,
            201);
  EXPECT_EQ(s->get("/" + q, kAlice).status, 200);
}

TEST(SafeDefaults, UnownedFilesAreReadOnlyToOrdinaryUsers) {
  // A domain with no ACL entries, as an .h5 file copied under the data directory: made by a
  // first server, served by a second one whose ACL store starts empty.
  TempDir data;
  {
    auto first = startServer({{"auth.anonymousWrites", "true"},
                              {"stores.arrays.default.backend", "hdf5"},
                              {"stores.arrays.default.path", data.path()}});
    ASSERT_EQ(first->request("PUT", "/" + domainQuery("/public/found.h5")).status, 201);
    ASSERT_EQ(first->stop(), 0);
  }
  auto s =
      startServer({{"stores.arrays.default.backend", "hdf5"}, {"stores.arrays.default.path", data.path()}});
  const std::string q = domainQuery("/public/found.h5");
  EXPECT_EQ(s->get("/" + q).status, 200);
  EXPECT_EQ(s->get("/acls" + q).status, 200);
  const auto bobJson = with(kBob, "Content-Type", "application/json");
  // Nobody but the operator may write it, delete it or claim it by setting the first ACL.
  EXPECT_EQ(s->request("DELETE", "/" + q).status, 401);
  EXPECT_EQ(s->request("DELETE", "/" + q, "", kBob).status, 403);
  EXPECT_EQ(s->request("PUT", "/acls/bob" + q, R"({"updateACL": true})", bobJson).status, 403);
  EXPECT_EQ(s->request("PUT", "/acls/default" + q, R"({"read": false})", bobJson).status, 403);
  EXPECT_EQ(s->request("POST", "/groups" + q, "{}", bobJson).status, 403);
  auto acl = s->get("/acls/bob" + q, kBob);
  ASSERT_EQ(acl.status, 200) << acl.body;
  EXPECT_TRUE(parse(acl)->getObject("acl")->getValue<bool>("read"));
  EXPECT_FALSE(parse(acl)->getObject("acl")->getValue<bool>("delete"));
  EXPECT_EQ(s->get("/" + q, kBob).status, 200);
  EXPECT_EQ(s->request("DELETE", "/" + q, "", kRoot).status, 200);
  EXPECT_EQ(s->get("/" + q).status, 410);
}

// ------------------------------------------------------------------ CORS

TEST(SafeDefaults, CorsIsOffUnlessOriginsAreListed) {
  auto s = startServer();
  const Headers evil{{"Origin", "https://evil.example"}};
  auto r = s->get("/strata/health", evil);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
  r = s->request("OPTIONS", "/strata/blobs", "",
                 {{"Origin", "https://evil.example"},
                  {"Access-Control-Request-Method", "POST"},
                  {"Access-Control-Request-Headers", "X-Anything"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "");

  auto listed = startServer({{"server.cors", "https://app.example.org"}});
  r = listed->get("/strata/health", {{"Origin", "https://app.example.org"}});
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example.org");
  EXPECT_EQ(r.header("Vary"), "Origin");
  EXPECT_EQ(listed->get("/strata/health", evil).header("Access-Control-Allow-Origin"), "");
  r = listed->request("OPTIONS", "/strata/blobs", "",
                      {{"Origin", "https://app.example.org"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "X-Anything"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example.org");
  // A fixed list, never the requested headers echoed.
  EXPECT_EQ(r.header("Access-Control-Allow-Headers"),
            "Authorization, Content-Type, Accept, If-Match, If-None-Match, Range");

  auto [rc, out] = runServerExpectingExit({{"plugins.load", "admin"},
                                           {"plugins.admin.blobs", "false"},
                                           {"server.cors", "https://app.example.org/path"}});
  EXPECT_EQ(rc, 78) << out;
  EXPECT_NE(out.find("server.cors holds 'https://app.example.org/path'"), std::string::npos) << out;
}

// ------------------------------------------------------------------ declared sizes

TEST(SafeDefaults, DeclaredSizesAreBoundedBeforeAllocation) {
  auto s = startServer({{"plugins.hdf.maxChunkBytes", "1M"}});
  const std::string q = domainQuery("/home/alice/sizes.h5");
  ASSERT_EQ(s->request("PUT", "/" + q, "", kAlice).status, 201);
  const std::string root = parse(s->get("/" + q))->getValue<std::string>("root");
  const auto json = with(kAlice, "Content-Type", "application/json");

  // A fixed-length string of almost 4 GiB in a tiny attribute body.
  auto r = s->request("PUT", "/groups/" + root + "/attributes/huge" + q,
                      R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII",
                                   "strPad": "H5T_STR_NULLPAD", "length": 4294967295},
                          "value": "x"})",
                      json);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(parse(r)->getValue<std::string>("message").find("attribute 'huge' would take"), std::string::npos)
      << r.body;
  EXPECT_EQ(s->get("/groups/" + root + "/attributes/huge" + q, kAlice).status, 404);

  // A dataset shape the memory store would have to allocate whole: refused before allocation
  // with the store's own answer (InsufficientStorage, its contract).
  r = s->request("POST", "/datasets" + q, R"({"type": "H5T_STD_I64LE", "shape": [1099511627776]})", json);
  EXPECT_EQ(r.status, 507) << r.body;
  EXPECT_NE(r.body.find("the memory store holds at most"), std::string::npos) << r.body;

  // Chunks: above plugins.hdf.maxChunkBytes, and above HDF5's 4 GiB whatever the setting.
  r = s->request("POST", "/datasets" + q,
                 R"({"type": "H5T_STD_I64LE", "shape": [10], "maxdims": [0],
                     "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [262144]}}})",
                 json);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("larger than the limit of 1048576 bytes"), std::string::npos) << r.body;
  r = s->request("POST", "/datasets" + q,
                 R"({"type": "H5T_STD_I64LE", "shape": [10], "maxdims": [0],
                     "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [131072]}}})",
                 json);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(s->get("/strata/health").status, 200);
}

// ------------------------------------------------------------------ the binary

TEST(SafeDefaults, HelpNamesOnlyInstalledPlugins) {
  auto [rc, out] = runCommand(std::string("'") + STRATA_SERVER_BIN + "' --help");
  EXPECT_EQ(rc, 0) << out;
  // The plugins built are named; nothing else is. The help wraps its lines (where depends on
  // the length of the plugin directory's path): compare with runs of white space as one.
  std::string flat;
  for (char c : out) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (!(space && !flat.empty() && flat.back() == ' ')) flat.push_back(space ? ' ' : c);
  }
  EXPECT_NE(flat.find("admin, hdf, slycat, synapse, ufdl"), std::string::npos) << out;
  for (const char* absent : {"sql", "fixture"})
    EXPECT_EQ(out.find(absent), std::string::npos) << absent << " in\n" << out;
}

}  // namespace
}  // namespace strata::test
