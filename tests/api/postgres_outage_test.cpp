// The database goes away: a PostgreSQL server of the test's own (password authentication)
// stopped while strata-server serves the synapse, ufdl and hdf plugins on it. Requests that
// need the database answer 503 in each plugin's error format (no 500, no hang, no dropped
// connection); when PostgreSQL is back the same server process recovers, and every write
// acknowledged before the outage is there. Also: the database down at start-up and wrong
// credentials (a clear error, a non-zero exit, no password in the output).
#include "support/plugin_test_server.h"
#include "support/postgres_server.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Poco::JSON::Object;

const std::string kPassword = "Pg-Secret-7f3a9c";
const std::string kWrongPassword = "Not-The-Secret-51e2";

Object::Ptr parseObject(const HttpResult& r) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.status << " " << r.body;
    return new Object;
  }
}

class PostgresOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<PostgresServer>(PostgresServer::Options{kPassword});
    if (!pg_->unavailable().empty()) GTEST_SKIP() << pg_->unavailable();
    connection_ = pg_->connection("outage");
    writeFile(dir_.file("users"), testUsersFile());
  }

  std::map<std::string, std::string> config(const std::string& connection) {
    std::map<std::string, std::string> c = {{"plugins.load", "synapse, ufdl, hdf"},
                                            {"auth.anonymous", "true"},
                                            {"auth.anonymousWrites", "true"},
                                            {"auth.usersFile", dir_.file("users")},
                                            {"auth.jwtSecret", "ufdl-test-secret-0123456789abcdef"},
                                            {"plugins.ufdl.passwordIterations", "1000"},
                                            {"stores.blobs.default.backend", "fs"},
                                            {"stores.blobs.default.path", dir_.file("blobs")},
                                            {"stores.arrays.default.backend", "memory"}};
    for (const char* role : {"entities", "annotations"}) {
      c[std::string("stores.") + role + ".default.backend"] = "sql";
      c[std::string("stores.") + role + ".default.connector"] = "postgresql";
      c[std::string("stores.") + role + ".default.connection"] = connection;
    }
    return c;
  }

  HttpResult req(ServerProcess& s, const std::string& method, const std::string& path,
                 const std::string& body = "", Headers h = kAlice) {
    if (!body.empty() && !h.count("Content-Type")) h["Content-Type"] = "application/json";
    return s.request(method, path, body, h);
  }

  std::unique_ptr<PostgresServer> pg_;
  TempDir dir_;
  std::string connection_;
};

// Expects a 503 whose JSON body says the database is unavailable: `field` holds the message.
void expectUnavailable(const HttpResult& r, const std::string& field, const std::string& what) {
  EXPECT_EQ(r.status, 503) << what << ": " << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << what;
  const auto o = parseObject(r);
  ASSERT_TRUE(o->has(field)) << what << ": " << r.body;
  EXPECT_NE(o->getValue<std::string>(field).find("unavailable"), std::string::npos) << what << ": " << r.body;
}

TEST_F(PostgresOutage, RequestsAnswer503AndTheServerRecovers) {
  ServerProcess server(config(connection_), false);
  ASSERT_TRUE(server.start()) << server.log();

  // Acknowledged writes, one per plugin.
  auto d = req(server, "POST", "/repo/v1/dataset", R"({"name":"before"})");
  ASSERT_EQ(d.status, 201) << d.body;
  const std::string dataset = "/repo/v1/dataset/" + parseObject(d)->getValue<std::string>("id");
  Headers etag0 = kAlice;
  etag0["ETag"] = "0";
  auto a = req(server, "PUT", dataset + "/annotations", R"({"longAnnotations":{"n":[7]}})", etag0);
  ASSERT_EQ(a.status, 200) << a.body;
  auto team = req(server, "POST", "/v1/teams/create", R"({"name":"lab"})", kRoot);
  ASSERT_EQ(team.status, 201) << team.body;
  const std::string teamPath = "/v1/teams/" + std::to_string(parseObject(team)->getValue<int64_t>("pk"));
  const Headers host = {{"Host", "outage.test.hdfgroup.org"}};
  ASSERT_EQ(req(server, "PUT", "/", "", host).status, 201);
  ASSERT_EQ(req(server, "DELETE", "/", "", host).status, 200);  // a tombstone in the store
  ASSERT_EQ(req(server, "GET", "/", "", host).status, 410);
  const Headers acls = {{"Host", "acl.test.hdfgroup.org"}};
  ASSERT_EQ(req(server, "PUT", "/", "", acls).status, 201);

  ASSERT_EQ(pg_->stop(), "");
  // Twice each: the first request meets the pooled sessions of before, the second connects.
  for (int round = 0; round < 2; ++round) {
    expectUnavailable(req(server, "GET", dataset), "reason", "synapse GET");
    expectUnavailable(req(server, "POST", "/repo/v1/dataset", R"({"name":"during"})"), "reason",
                      "synapse POST");
    expectUnavailable(req(server, "GET", dataset + "/annotations"), "reason", "synapse annotations");
    expectUnavailable(req(server, "GET", teamPath, "", kRoot), "detail", "ufdl GET");
    expectUnavailable(req(server, "POST", "/v1/teams/create", R"({"name":"during"})", kRoot), "detail",
                      "ufdl POST");
    // hdf: the ACL check of a domain reads the entities store.
    expectUnavailable(req(server, "GET", "/", "", acls), "message", "hdf GET");
    expectUnavailable(req(server, "PUT", "/acls/bob", R"({"read":true})", acls), "message", "hdf PUT acl");
  }
  EXPECT_TRUE(server.running());

  ASSERT_EQ(pg_->start(), "");
  // The same process serves again, with everything acknowledged before the outage.
  auto got = req(server, "GET", dataset);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(parseObject(got)->getValue<std::string>("name"), "before");
  got = req(server, "GET", dataset + "/annotations");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(parseObject(got)->getObject("longAnnotations")->getArray("n")->getElement<int64_t>(0), 7);
  EXPECT_EQ(req(server, "GET", teamPath, "", kRoot).status, 200);
  EXPECT_EQ(req(server, "GET", "/", "", host).status, 410);
  EXPECT_EQ(req(server, "GET", "/", "", acls).status, 200);
  // Writes work again, and nothing refused during the outage was written.
  EXPECT_EQ(req(server, "POST", "/repo/v1/dataset", R"({"name":"after"})").status, 201);
  EXPECT_EQ(req(server, "POST", "/v1/teams/create", R"({"name":"during"})", kRoot).status, 201);
  auto list = req(server, "GET", "/repo/v1/dataset?limit=100");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find("\"during\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"after\""), std::string::npos) << list.body;

  EXPECT_EQ(server.stop(), 0);
  const std::string log = server.log();
  // The outage is in the log, naming the database by its configuration, not its credentials.
  EXPECT_NE(log.find("the postgresql database of stores."), std::string::npos) << log;
  EXPECT_NE(log.find("connection to the server was lost"), std::string::npos) << log;
  EXPECT_EQ(log.find(kPassword), std::string::npos) << log;
}

// Writers keep creating datasets while the database stops and starts again under them: every
// answer is 201 or 503 (never a 500 or a dropped connection), and every dataset acknowledged
// with 201 is there afterwards.
TEST_F(PostgresOutage, WritesDuringAnOutageAreAcknowledgedOnlyWhenKept) {
  ServerProcess server(config(connection_), false);
  ASSERT_TRUE(server.start()) << server.log();
  std::atomic<bool> stop{false};
  std::atomic<int> unavailable{0};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::string> unexpected;
  auto writer = [&](int w) {
    for (int i = 0; !stop; ++i) {
      HttpResult r;
      try {
        r = req(server, "POST", "/repo/v1/dataset",
                R"({"name":"w)" + std::to_string(w) + "-" + std::to_string(i) + R"("})");
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        unexpected.push_back(std::string("request failed: ") + e.what());
        return;
      }
      std::lock_guard lock(mutex);
      if (r.status == 201)
        acknowledged.push_back(parseObject(r)->getValue<std::string>("id"));
      else if (r.status == 503)
        ++unavailable;
      else
        unexpected.push_back(std::to_string(r.status) + " " + r.body);
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) threads.emplace_back(writer, w);
  auto count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  // Waits for `done`; gives up (the writers stopped answering) after a minute.
  auto waitFor = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 6000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  };
  std::string problem;
  if (!waitFor([&] { return count() >= 20; })) problem = "no writes before the outage";
  if (problem.empty()) problem = pg_->stop();
  if (problem.empty() && !waitFor([&] { return unavailable >= 8; })) problem = "no 503 during the outage";
  if (problem.empty()) problem = pg_->start();
  const std::size_t before = count();
  if (problem.empty() && !waitFor([&] { return count() >= before + 20; }))
    problem = "no writes after the outage";
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_EQ(problem, "") << server.log();

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, the first: " << unexpected[0];
  EXPECT_GE(unavailable.load(), 8);
  for (const auto& id : acknowledged)
    EXPECT_EQ(req(server, "GET", "/repo/v1/dataset/" + id).status, 200) << id;
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(PostgresOutage, DatabaseDownAtStartUpIsAClearError) {
  ASSERT_EQ(pg_->stop(), "");
  const auto [code, output] = runServerExpectingExit(config(connection_));
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find("cannot open the postgresql database of stores."), std::string::npos) << output;
  EXPECT_EQ(output.find(kPassword), std::string::npos) << output;
}

TEST_F(PostgresOutage, WrongCredentialsAreAClearErrorWithoutThePassword) {
  const auto [code, output] = runServerExpectingExit(config(pg_->connection("outage", &kWrongPassword)));
  EXPECT_NE(code, 0) << output;
  EXPECT_NE(output.find("cannot open the postgresql database of stores."), std::string::npos) << output;
  EXPECT_NE(output.find("password authentication failed"), std::string::npos) << output;
  EXPECT_EQ(output.find(kWrongPassword), std::string::npos) << output;
  EXPECT_EQ(output.find(kPassword), std::string::npos) << output;
}

}  // namespace
}  // namespace strata::test
