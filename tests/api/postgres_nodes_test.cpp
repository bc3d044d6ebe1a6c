// Two strata-server processes on one PostgreSQL database (the sql backend for entities and
// annotations, the shared test server of support/postgres_server.h, one schema for both
// nodes): what one writes the other serves, an etag written through one is enforced by the
// other, concurrent etag writers through both lose no update, and the hdf plugin's tombstones
// agree across the nodes.
//
// The ufdl and hdf plugins expose no etags to their clients (no If-Match, no 412): their
// conditional writes are internal (a copy takes the next version of a dataset, a membership
// change rewrites the team record on its etag, retrying on a conflict). Their two-node tests
// check those: concurrent copies through both nodes never share a version, concurrent
// membership changes through both nodes are all kept.
#include "api/synapse_test_support.h"
#include "support/plugin_test_server.h"
#include "support/postgres_server.h"

#include <atomic>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Poco::JSON::Object;

Object::Ptr parseObject(const HttpResult& r) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return new Object;
  }
}

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PostgresServer::shared().unavailable().empty())
      GTEST_SKIP() << PostgresServer::shared().unavailable();
    connection_ = PostgresServer::shared().connection(dir_.path());
    writeFile(dir_.file("users"), testUsersFile());
  }
  void TearDown() override {
    for (auto& n : nodes_)
      if (n) EXPECT_EQ(n->stop(), 0) << n->log();
  }

  // Starts the two nodes with `config` plus entities and annotations on the shared database.
  void startNodes(std::map<std::string, std::string> config) {
    config["auth.anonymous"] = "true";
    config["auth.usersFile"] = dir_.file("users");
    for (const char* role : {"entities", "annotations"}) {
      config[std::string("stores.") + role + ".default.backend"] = "sql";
      config[std::string("stores.") + role + ".default.connector"] = "postgresql";
      config[std::string("stores.") + role + ".default.connection"] = connection_;
    }
    for (int i = 0; i < 2; ++i) {
      // A blobs directory is one process's (the fs store locks it): one per node.
      if (config.count("stores.blobs.default.path"))
        config["stores.blobs.default.path"] = dir_.file("blobs" + std::to_string(i));
      nodes_[i] = std::make_unique<ServerProcess>(config, false);
      ASSERT_TRUE(nodes_[i]->start()) << nodes_[i]->log();
    }
  }

  ServerProcess& node(int i) { return *nodes_[i]; }

  HttpResult req(int n, const std::string& method, const std::string& path, const std::string& body = "",
                 Headers h = kAlice) {
    if (!body.empty() && !h.count("Content-Type")) h["Content-Type"] = "application/json";
    return node(n).request(method, path, body, h);
  }

  TempDir dir_;
  std::string connection_;
  std::unique_ptr<ServerProcess> nodes_[2];
};

std::string stringify(const Object::Ptr& o) {
  std::ostringstream os;
  o->stringify(os);
  return os.str();
}

TEST_F(TwoNodes, SynapseWritesThroughOneAreServedAndEnforcedByTheOther) {
  startNodes({{"plugins.load", "synapse"}});
  auto created = req(0, "POST", "/repo/v1/dataset", R"({"name":"shared","description":"one"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto d0 = parseObject(created);
  const std::string path = "/repo/v1/dataset/" + d0->getValue<std::string>("id");
  const std::string e0 = d0->getValue<std::string>("etag");

  // The other node serves it, with the same etag.
  auto got = req(1, "GET", path);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(parseObject(got)->getValue<std::string>("name"), "shared");
  EXPECT_EQ(parseObject(got)->getValue<std::string>("etag"), e0);

  // An update through node 0 makes e0 stale on node 1 too, and the other way round.
  auto d = parseObject(got);
  d->set("description", "two");
  auto put = req(0, "PUT", path, stringify(d), synapse::withEtag(kAlice, e0));
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string e1 = parseObject(put)->getValue<std::string>("etag");
  EXPECT_NE(e1, e0);
  d->set("description", "stale");
  auto stale = req(1, "PUT", path, stringify(d), synapse::withEtag(kAlice, e0));
  EXPECT_EQ(synapse::reason(stale, 412), synapse::conflictText(d0->getValue<std::string>("id")));
  EXPECT_EQ(parseObject(req(1, "GET", path))->getValue<std::string>("description"), "two");

  d->set("description", "three");
  put = req(1, "PUT", path, stringify(d), synapse::withEtag(kAlice, e1));
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string e2 = parseObject(put)->getValue<std::string>("etag");
  stale = req(0, "PUT", path, stringify(d), synapse::withEtag(kAlice, e1));
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(parseObject(req(0, "GET", path))->getValue<std::string>("etag"), e2);
  EXPECT_EQ(parseObject(req(0, "GET", path))->getValue<std::string>("description"), "three");

  // Annotations: the etag of a target, the same on both nodes.
  const std::string ann = path + "/annotations";
  put = req(1, "PUT", ann, R"({"stringAnnotations":{"k":["v1"]}})", synapse::withEtag(kAlice, "0"));
  ASSERT_EQ(put.status, 200) << put.body;
  const std::string a1 = parseObject(put)->getValue<std::string>("etag");
  got = req(0, "GET", ann);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(parseObject(got)->getValue<std::string>("etag"), a1);
  stale = req(0, "PUT", ann, R"({"stringAnnotations":{"k":["late"]}})", synapse::withEtag(kAlice, "0"));
  EXPECT_EQ(stale.status, 412) << stale.body;
  put = req(0, "PUT", ann, R"({"stringAnnotations":{"k":["v2"]}})", synapse::withEtag(kAlice, a1));
  ASSERT_EQ(put.status, 200) << put.body;
  stale = req(1, "PUT", ann, R"({"stringAnnotations":{"k":["late"]}})", synapse::withEtag(kAlice, a1));
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(parseObject(req(1, "GET", ann))
                ->getObject("stringAnnotations")
                ->getArray("k")
                ->getElement<std::string>(0),
            "v2");
}

TEST_F(TwoNodes, SynapseConcurrentEtagWritersThroughBothLoseNoUpdate) {
  startNodes({{"plugins.load", "synapse"}});
  constexpr int kWriters = 8, kIncrements = 25;  // four writers per node
  auto created = req(0, "POST", "/repo/v1/dataset", R"({"name":"counter","description":"0"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string path = "/repo/v1/dataset/" + parseObject(created)->getValue<std::string>("id");
  const std::string ann = path + "/annotations";
  ASSERT_EQ(req(1, "PUT", ann, R"({"longAnnotations":{"count":[0]}})", synapse::withEtag(kAlice, "0")).status,
            200);

  std::atomic<int> failures{0}, conflicts{0};
  auto fail = [&](const std::string& what, const HttpResult& r) {
    if (failures++ < 5) ADD_FAILURE() << what << ": " << r.status << " " << r.body;
  };
  auto writer = [&](int w) {
    const int n = w % 2;  // alternate nodes
    for (int i = 0; i < kIncrements && failures == 0; ++i) {
      while (failures == 0) {
        const auto got = req(n, "GET", path);
        if (got.status != 200) return fail("GET dataset", got);
        auto d = parseObject(got);
        d->set("description", std::to_string(std::stoll(d->getValue<std::string>("description")) + 1));
        const auto put =
            req(n, "PUT", path, stringify(d), synapse::withEtag(kAlice, d->getValue<std::string>("etag")));
        if (put.status == 200) break;
        if (put.status != 412) return fail("PUT dataset", put);
        ++conflicts;
      }
      while (failures == 0) {
        const auto got = req(1 - n, "GET", ann);
        if (got.status != 200) return fail("GET annotations", got);
        const auto a = parseObject(got);
        const int64_t c = a->getObject("longAnnotations")->getArray("count")->getElement<int64_t>(0);
        const auto put =
            req(1 - n, "PUT", ann, R"({"longAnnotations":{"count":[)" + std::to_string(c + 1) + "]}}",
                synapse::withEtag(kAlice, a->getValue<std::string>("etag")));
        if (put.status == 200) break;
        if (put.status != 412) return fail("PUT annotations", put);
        ++conflicts;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  RecordProperty("conflicts", conflicts.load());
  for (int n = 0; n < 2; ++n) {
    EXPECT_EQ(parseObject(req(n, "GET", path))->getValue<std::string>("description"),
              std::to_string(kWriters * kIncrements));
    EXPECT_EQ(parseObject(req(n, "GET", ann))
                  ->getObject("longAnnotations")
                  ->getArray("count")
                  ->getElement<int64_t>(0),
              kWriters * kIncrements);
  }
}

TEST_F(TwoNodes, UfdlConcurrentCopiesAndMembershipsThroughBoth) {
  startNodes({{"plugins.load", "ufdl"},
              {"auth.jwtSecret", "ufdl-test-secret-0123456789abcdef"},
              {"plugins.ufdl.passwordIterations", "1000"},
              {"stores.blobs.default.backend", "fs"},
              {"stores.blobs.default.path", "per node"}});
  auto team = req(0, "POST", "/v1/teams/create", R"({"name":"lab"})", kRoot);
  ASSERT_EQ(team.status, 201) << team.body;
  const std::string teamPk = std::to_string(parseObject(team)->getValue<int64_t>("pk"));
  // Memberships added through both nodes at once: the team record is rewritten on its etag.
  std::vector<std::thread> threads;
  std::vector<int> status(3);
  const std::vector<std::string> users = {"alice", "bob", "carol"};
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      status[i] = req(i % 2, "PATCH", "/v1/teams/" + teamPk + "/memberships",
                      R"({"username":")" + users[i] + R"(","method":"add","permissions":"W"})", kRoot)
                      .status;
    });
  for (auto& t : threads) t.join();
  threads.clear();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(status[i], 200) << users[i];
  for (int n = 0; n < 2; ++n) {
    const auto got = req(n, "GET", "/v1/teams/" + teamPk, "", kRoot);
    ASSERT_EQ(got.status, 200) << got.body;
    for (const auto& u : users) EXPECT_NE(got.body.find("\"" + u + "\""), std::string::npos) << got.body;
  }

  auto project = req(1, "POST", "/v1/projects/create", R"({"name":"p1","team":)" + teamPk + "}", kRoot);
  ASSERT_EQ(project.status, 201) << project.body;
  const std::string projectPk = std::to_string(parseObject(project)->getValue<int64_t>("pk"));
  auto dataset = req(0, "POST", "/v1/datasets/create",
                     R"({"name":"birds","project":)" + projectPk + R"(,"licence":1,"tags":""})");
  ASSERT_EQ(dataset.status, 201) << dataset.body;
  const std::string src = std::to_string(parseObject(dataset)->getValue<int64_t>("pk"));
  // Served by the other node.
  EXPECT_EQ(req(1, "GET", "/v1/datasets/" + src).status, 200);

  constexpr int kThreads = 8;
  std::vector<int64_t> versions(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const auto r = req(t % 2, "POST", "/v1/datasets/" + src + "/copy", "{}");
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status == 200) versions[t] = parseObject(r)->getValue<int64_t>("version");
    });
  for (auto& t : threads) t.join();
  const std::set<int64_t> distinct(versions.begin(), versions.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(*distinct.begin(), 2);
  EXPECT_EQ(*distinct.rbegin(), kThreads + 1);
}

TEST_F(TwoNodes, HdfTombstonesAgree) {
  // Arrays in memory, one store per node: what the nodes share is the entities store, where
  // the tombstones (and ACLs) live. Node 1 never had the domain: its 410 comes from the store.
  startNodes({{"plugins.load", "hdf"},
              {"auth.anonymousWrites", "true"},
              {"stores.arrays.default.backend", "memory"}});
  const Headers host = {{"Host", "shared.test.hdfgroup.org"}};
  ASSERT_EQ(req(0, "PUT", "/", "", host).status, 201);
  EXPECT_EQ(req(1, "GET", "/", "", host).status, 404);
  ASSERT_EQ(req(0, "DELETE", "/", "", host).status, 200);
  EXPECT_EQ(req(0, "GET", "/", "", host).status, 410);
  const auto gone = req(1, "GET", "/", "", host);
  EXPECT_EQ(gone.status, 410) << gone.body;
  EXPECT_EQ(parseObject(gone)->getValue<int>("status"), 410);

  // Re-created through node 1: the tombstone goes for both.
  ASSERT_EQ(req(1, "PUT", "/", "", host).status, 201);
  EXPECT_EQ(req(1, "GET", "/", "", host).status, 200);
  EXPECT_EQ(req(0, "GET", "/", "", host).status, 404);  // not in node 0's arrays, no tombstone

  // A link deleted through node 1 answers 410 through node 1; the tombstone is in the store.
  const auto root = parseObject(req(1, "GET", "/", "", host))->getValue<std::string>("root");
  auto g = req(1, "POST", "/groups", "", host);
  ASSERT_EQ(g.status, 201) << g.body;
  const std::string gid = parseObject(g)->getValue<std::string>("id");
  ASSERT_EQ(req(1, "PUT", "/groups/" + root + "/links/child", R"({"id":")" + gid + R"("})", host).status,
            201);
  ASSERT_EQ(req(1, "DELETE", "/groups/" + root + "/links/child", "", host).status, 200);
  EXPECT_EQ(req(1, "GET", "/groups/" + root + "/links/child", "", host).status, 410);
  // Deleted again, through node 1: node 0 answers 410.
  ASSERT_EQ(req(1, "DELETE", "/", "", host).status, 200);
  EXPECT_EQ(req(0, "GET", "/", "", host).status, 410);
}

}  // namespace
}  // namespace strata::test
