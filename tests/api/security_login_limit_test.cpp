// The failed-login limit (auth.maxFailedLogins within auth.failedLoginWindow): past it, every
// login from the client address (Basic authentication on any route, POST /strata/token, ufdl's
// POST /v1/auth/obtain, synapse's POST /auth/v1/session) is answered 429 with Retry-After in
// the API's own error format, before any password is checked, the right one included, until
// the window has passed. Bearer tokens are not password checks and keep working.
#include "support/plugin_test_server.h"
#include "support/server_process.h"

#include <strata/auth.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Poco::JSON::Object;

Object::Ptr json(const HttpResult& r) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return new Object;
  }
}

// A 429 with a Retry-After of 1..window seconds.
int64_t expectThrottled(const HttpResult& r, int64_t window) {
  EXPECT_EQ(r.status, 429) << r.body;
  int64_t seconds = 0;
  EXPECT_TRUE(Poco::NumberParser::tryParse64(r.header("Retry-After"), seconds)) << r.header("Retry-After");
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, window);
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << r.header("Content-Type");
  return seconds;
}

class LoginLimit : public ::testing::Test {
 protected:
  // admin, hdf, slycat, synapse and ufdl; bob/builder in the users file.
  void start(const std::string& maxFailures, const std::string& window, int iterations = 1000,
             const std::map<std::string, std::string>& extra = {}) {
    writeFile(dir_.file("users"), "bob:" + hashPassword("builder", iterations) + "\n");
    std::map<std::string, std::string> config{{"plugins.load", "admin, hdf, slycat, synapse, ufdl"},
                                              {"stores.entities.default.backend", "memory"},
                                              {"stores.annotations.default.backend", "memory"},
                                              {"stores.blobs.default.backend", "memory"},
                                              {"stores.arrays.default.backend", "memory"},
                                              {"plugins.ufdl.passwordIterations", "1000"},
                                              {"auth.usersFile", dir_.file("users")},
                                              {"auth.jwtSecret", "login-limit-test-secret-0123456789abcdef"},
                                              {"auth.maxFailedLogins", maxFailures},
                                              {"auth.failedLoginWindow", window}};
    for (const auto& [k, v] : extra) config[k] = v;
    server_ = std::make_unique<ServerProcess>(config);
  }
  HttpResult basicToken(const std::string& password, const std::string& forwardedFor = "") {
    Headers h{{"Authorization", basicAuth("bob", password)}};
    if (!forwardedFor.empty()) h["X-Forwarded-For"] = forwardedFor;
    return server_->request("POST", "/strata/token", "", h);
  }
  HttpResult ufdlObtain(const std::string& password) {
    return server_->request("POST", "/v1/auth/obtain",
                            R"({"username":"bob","password":")" + password + R"("})",
                            {{"Content-Type", "application/json"}});
  }
  HttpResult synapseLogin(const std::string& password) {
    return server_->request("POST", "/auth/v1/session", R"({"email":"bob","password":")" + password + R"("})",
                            {{"Content-Type", "application/json"}});
  }
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LoginLimit, PastTheLimitEveryLoginRouteAnswers429InItsOwnFormat) {
  start("3", "60");
  const auto ok = basicToken("builder");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string token = json(ok)->getValue<std::string>("token");

  // Three failures, on three different login routes: they add up per client address.
  EXPECT_EQ(basicToken("wrong-1").status, 401);
  EXPECT_EQ(ufdlObtain("wrong-2").status, 401);
  EXPECT_EQ(synapseLogin("wrong-3").status, 401);

  // The core's format.
  auto r = basicToken("builder");
  expectThrottled(r, 60);
  auto error = json(r)->getObject("error");
  ASSERT_TRUE(error) << r.body;
  EXPECT_EQ(error->getValue<int>("status"), 429);
  EXPECT_EQ(error->getValue<std::string>("code"), "too_many_failed_logins");

  // ufdl (DRF): {"detail"}.
  r = ufdlObtain("builder");
  expectThrottled(r, 60);
  EXPECT_NE(json(r)->optValue<std::string>("detail", "").find("too many failed logins"), std::string::npos)
      << r.body;

  // synapse: {"reason"}, nothing else.
  r = synapseLogin("builder");
  expectThrottled(r, 60);
  EXPECT_EQ(json(r)->size(), 1u) << r.body;
  EXPECT_NE(json(r)->optValue<std::string>("reason", "").find("too many failed logins"), std::string::npos);

  // hdf (h5serv): {"status", "message"}, the message also the reason phrase; Basic on a read.
  r = server_->get("/?domain=/home/bob/x.h5", {{"Authorization", basicAuth("bob", "builder")}});
  expectThrottled(r, 60);
  EXPECT_EQ(json(r)->getValue<int>("status"), 429) << r.body;
  EXPECT_NE(r.reason.find("too many failed logins"), std::string::npos) << r.reason;

  // slycat: {"message", "status"}.
  r = server_->get("/api/projects/none", {{"Authorization", basicAuth("bob", "builder")}});
  expectThrottled(r, 60);
  EXPECT_EQ(json(r)->getValue<int>("status"), 429) << r.body;
  EXPECT_TRUE(json(r)->has("message")) << r.body;

  // A token is not a password check: it still works from the same address.
  r = server_->get("/api/projects/none", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(LoginLimit, TheLimitLiftsWhenTheWindowHasPassed) {
  start("2", "2");
  EXPECT_EQ(basicToken("wrong-1").status, 401);
  EXPECT_EQ(basicToken("wrong-2").status, 401);
  const int64_t wait = expectThrottled(basicToken("builder"), 2);
  // Still refused a moment later, the right password too.
  expectThrottled(ufdlObtain("builder"), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(wait * 1000 + 300));
  auto r = basicToken("builder");
  EXPECT_EQ(r.status, 200) << r.body;
  r = ufdlObtain("builder");
  EXPECT_EQ(r.status, 200) << r.body;
  // A new failure after the window counts from one again.
  EXPECT_EQ(basicToken("wrong-3").status, 401);
  EXPECT_EQ(basicToken("builder").status, 200);
}

// Behind a proxy of server.trustedProxies, the client is the address the proxy names: one
// client past the limit leaves the others alone. (Addresses from the documentation range
// 192.0.2.0/24, only ever written in a header.)
TEST_F(LoginLimit, BehindATrustedProxyEachForwardedClientHasItsOwnLimit) {
  start("2", "60", 1000, {{"server.trustedProxies", "127.0.0.1"}, {"server.accessLog", "true"}});
  EXPECT_EQ(basicToken("wrong-1", "192.0.2.1").status, 401);
  // The client's own X-Forwarded-For entries, left of what the proxy appended, are not believed.
  EXPECT_EQ(basicToken("wrong-2", "192.0.2.77, 192.0.2.1").status, 401);
  expectThrottled(basicToken("builder", "192.0.2.1"), 60);
  expectThrottled(basicToken("builder", "192.0.2.99, 192.0.2.1"), 60);
  // Another client of the proxy logs in.
  EXPECT_EQ(basicToken("builder", "192.0.2.2").status, 200);
  EXPECT_EQ(basicToken("builder", "192.0.2.1, 127.0.0.1").status, 429);  // a chain of trusted proxies
  // The access log names the forwarded client.
  server_->stop();
  EXPECT_NE(server_->log().find("192.0.2.2 bob \"POST /strata/token"), std::string::npos) << server_->log();
}

TEST_F(LoginLimit, WithoutTrustedProxiesForwardedForIsIgnored) {
  start("2", "60");
  EXPECT_EQ(basicToken("wrong-1", "192.0.2.1").status, 401);
  EXPECT_EQ(basicToken("wrong-2", "192.0.2.2").status, 401);
  expectThrottled(basicToken("builder", "192.0.2.3"), 60);
}

TEST_F(LoginLimit, RefusedLoginsCostNoPasswordCheck) {
  // A hash that costs a noticeable time to check.
  start("1", "60", 400000);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(basicToken("wrong-1").status, 401);
  const auto checkCost = std::chrono::steady_clock::now() - t0;
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) expectThrottled(basicToken("guess-" + std::to_string(i)), 60);
  const auto refusedCost = std::chrono::steady_clock::now() - t1;
  EXPECT_LT(refusedCost, checkCost)
      << "five refused logins took "
      << std::chrono::duration_cast<std::chrono::milliseconds>(refusedCost).count()
      << " ms, one password check "
      << std::chrono::duration_cast<std::chrono::milliseconds>(checkCost).count() << " ms";
}

// A client's parallel first requests with the same right credentials are checked once: they
// are not refused as if each were a failure in progress.
TEST_F(LoginLimit, ParallelRequestsWithTheSameCredentialsAreCheckedOnce) {
  start("3", "60", 400000);
  std::vector<int> statuses(12, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < statuses.size(); ++i)
    threads.emplace_back([&, i] {
      statuses[i] =
          server_->get("/api/projects/none", {{"Authorization", basicAuth("bob", "builder")}}).status;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(statuses, std::vector<int>(statuses.size(), 404));
  // The same for a wrong password: one failure, not twelve.
  statuses.assign(12, 0);
  threads.clear();
  for (std::size_t i = 0; i < statuses.size(); ++i)
    threads.emplace_back([&, i] {
      statuses[i] = server_->get("/api/projects/none", {{"Authorization", basicAuth("bob", "wrong")}}).status;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(statuses, std::vector<int>(statuses.size(), 401));
  EXPECT_EQ(basicToken("builder").status, 200);
}

TEST_F(LoginLimit, TheSameWrongPasswordAgainDoesNotCountAgain) {
  // A misconfigured client retrying the same credentials guesses nothing: it must not lock out
  // the other users behind its address.
  start("3", "60");
  for (int i = 0; i < 8; ++i) EXPECT_EQ(basicToken("stale-password").status, 401);
  EXPECT_EQ(basicToken("builder").status, 200);
}

TEST_F(LoginLimit, ZeroMeansNoLimit) {
  start("0", "60");
  for (int i = 0; i < 15; ++i) EXPECT_EQ(basicToken("wrong-" + std::to_string(i)).status, 401);
  EXPECT_EQ(basicToken("builder").status, 200);
}

TEST(LoginLimitConfig, BadValuesAreStartUpErrors) {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"auth.maxFailedLogins", "-1"},
                                                        {"auth.failedLoginWindow", "0"},
                                                        {"server.trustedProxies", "proxy.local"}}) {
    const auto [code, out] = runServerExpectingExit({{"plugins.load", ""}, {key, value}});
    EXPECT_NE(code, 0) << key;
    EXPECT_NE(out.find(key), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace strata::test
