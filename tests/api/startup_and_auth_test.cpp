// Start-up errors (bad configuration and plugins) and authentication over HTTP.
#include "api/fixture_auth_server.h"
#include "support/server_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace strata::test {
namespace {

const std::string kPaths = std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR;

void expectStartupFailure(std::map<std::string, std::string> cfg, const std::string& message) {
  cfg.emplace("plugins.path", kPaths);
  auto [code, log] = runServerExpectingExit(cfg);
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find(message), std::string::npos) << "expected '" << message << "' in:\n" << log;
}

TEST(StartupErrors, UnknownTopLevelKey) {
  expectStartupFailure({{"sever.port", "80"}}, "unknown configuration key 'sever'");
}

TEST(StartupErrors, UnknownServerKey) {
  expectStartupFailure({{"server.treads", "8"}}, "unknown configuration key server.treads");
}

TEST(StartupErrors, UnknownBackend) {
  expectStartupFailure({{"stores.blobs.default.backend", "nosuch"}}, "no file strata-backend-nosuch.so");
}

TEST(StartupErrors, UnknownRole) {
  expectStartupFailure({{"stores.widgets.default.backend", "memory"}}, "unknown store role 'stores.widgets'");
}

TEST(StartupErrors, BackendThatDoesNotServeTheRole) {
  expectStartupFailure({{"stores.entities.default.backend", "fs"}, {"stores.entities.default.path", "x"}},
                       "does not serve the role 'entities'");
}

TEST(StartupErrors, UnknownBackendKey) {
  expectStartupFailure({{"stores.blobs.default.backend", "fs"},
                        {"stores.blobs.default.path", "b"},
                        {"stores.blobs.default.compression", "zstd"}},
                       "unknown configuration key stores.blobs.default.compression");
}

TEST(StartupErrors, UnknownPluginKey) {
  expectStartupFailure({{"plugins.load", "fixture"}, {"plugins.fixture.greting", "hi"}},
                       "unknown configuration key plugins.fixture.greting");
}

TEST(StartupErrors, SectionOfAPluginThatIsNotLoaded) {
  expectStartupFailure({{"plugins.load", "fixture"}, {"plugins.hdf.dataDir", "x"}},
                       "configuration section plugins.hdf belongs to no loaded plugin");
}

TEST(StartupErrors, MissingPlugin) {
  expectStartupFailure({{"plugins.load", "nosuch"}}, "no file strata-endpoint-nosuch.so");
}

TEST(StartupErrors, WrongAbiPlugin) {
  expectStartupFailure({{"plugins.load", "wrong-abi"}}, "server has ABI version");
}

TEST(StartupErrors, ExceptionInConfigure) {
  expectStartupFailure({{"plugins.load", "throws-in-configure"}},
                       "plugin 'throws-in-configure' failed in configure: fixture refuses to configure");
}

TEST(StartupErrors, DuplicateRouteNamesBothPlugins) {
  expectStartupFailure({{"plugins.load", "admin, duplicate-route"}, {"plugins.admin.blobs", "false"}},
                       "registered by plugin 'admin'");
}

TEST(StartupErrors, DuplicatePluginName) {
  expectStartupFailure({{"plugins.load", "fixture, fixture-twin"}}, "duplicate plugin name 'fixture'");
}

TEST(StartupErrors, StoreTheAdminPluginNeedsIsMissing) {
  expectStartupFailure({{"plugins.load", "admin"}}, "no store instance stores.blobs.default");
}

TEST(StartupErrors, PortInUse) {
  ServerProcess first({{"plugins.load", "fixture"}, {"plugins.path", kPaths}});
  expectStartupFailure({{"server.port", std::to_string(first.port())}}, "cannot listen on");
}

TEST(StartupErrors, MalformedUsersFile) {
  TempDir dir;
  writeFile(dir.file("users"), "alice:pbkdf2-sha256$1000$notbase64!$x\n");
  expectStartupFailure({{"auth.usersFile", dir.file("users")}}, "malformed password hash for user 'alice'");
}

TEST(StartupErrors, OutOfRangeServerValues) {
  expectStartupFailure({{"server.timeout", "0"}}, "server.timeout must be at least 1");
}

TEST(StartupErrors, MissingConfigFile) {
  // The server is started with a config file that does not exist.
  const std::string cmd = std::string(STRATA_SERVER_BIN) + " --config /nonexistent/strata.properties 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("/nonexistent/strata.properties"), std::string::npos) << out;
}

class AuthHttp : public FixtureAuthServer {};

TEST_F(AuthHttp, MissingCredentialsGive401WithChallenge) {
  auto r = server_->get("/fixture/hello");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("www-authenticate").find("Basic realm=\"Strata\""), std::string::npos);
  // Public routes stay open.
  EXPECT_EQ(server_->get("/strata/health").status, 200);
}

TEST_F(AuthHttp, WrongCredentialsGive401) {
  EXPECT_EQ(server_->get("/fixture/hello", {{"Authorization", basicAuth("alice", "nope")}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/hello", {{"Authorization", basicAuth("eve", "wonder")}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/hello", {{"Authorization", "Bearer garbage"}}).status, 401);
  // Wrong credentials are refused even on public routes.
  EXPECT_EQ(server_->get("/strata/health", {{"Authorization", basicAuth("alice", "nope")}}).status, 401);
}

TEST_F(AuthHttp, GoodCredentialsAndTokens) {
  auto r = server_->get("/fixture/private", {{"Authorization", basicAuth("bob", "builder")}});
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"user\":\"bob\""), std::string::npos);

  auto t = server_->request("POST", "/strata/token", "", {{"Authorization", basicAuth("bob", "builder")}});
  ASSERT_EQ(t.status, 200) << t.body;
  auto token =
      Poco::JSON::Parser().parse(t.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("token");
  auto b = server_->get("/fixture/private", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(b.status, 200);
  EXPECT_NE(b.body.find("\"user\":\"bob\""), std::string::npos);
  // A token cannot renew itself.
  EXPECT_EQ(server_->request("POST", "/strata/token", "", {{"Authorization", "Bearer " + token}}).status,
            403);
  // Tampered: change one character of the payload.
  std::string bad = token;
  const auto dot = bad.find('.');
  bad[dot + 5] = bad[dot + 5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", "Bearer " + bad}}).status, 401);
}

TEST_F(AuthHttp, AdminRoutesNeedTheAdminGroup) {
  EXPECT_EQ(server_->get("/fixture/admin", {{"Authorization", basicAuth("bob", "builder")}}).status, 403);
  EXPECT_EQ(server_->get("/fixture/admin", {{"Authorization", basicAuth("alice", "wonder")}}).status, 204);
  EXPECT_EQ(server_->get("/fixture/admin").status, 401);
}

TEST_F(AuthHttp, RoutesMayTakeTheTokenFromAHeaderOrAQueryParameter) {
  auto t = server_->request("POST", "/strata/token", "", {{"Authorization", basicAuth("bob", "builder")}});
  ASSERT_EQ(t.status, 200) << t.body;
  const auto token =
      Poco::JSON::Parser().parse(t.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("token");

  // /fixture/session declares the header sessionToken and the query parameter access_token.
  auto h = server_->get("/fixture/session", {{"sessionToken", token}});
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_NE(h.body.find("\"user\":\"bob\""), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("\"via\":\"bearer\""), std::string::npos) << h.body;
  auto q = server_->get("/fixture/session?access_token=" + token);
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_NE(q.body.find("\"user\":\"bob\""), std::string::npos) << q.body;
  // The access log does not show the token (its line follows the response: wait for it).
  for (int i = 0; i < 100 && server_->log().find("/fixture/session?access_token=") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(server_->log().find("/fixture/session?access_token=REDACTED"), std::string::npos)
      << server_->log();
  EXPECT_EQ(server_->log().find(token), std::string::npos);

  // No token anywhere: the route still needs a user. A bad token is a bad Bearer token.
  EXPECT_EQ(server_->get("/fixture/session").status, 401);
  EXPECT_EQ(server_->get("/fixture/session", {{"sessionToken", "garbage"}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/session?access_token=garbage").status, 401);
  const std::string refused = "access_token=REDACTED HTTP/1.1\" 401";
  for (int i = 0; i < 100 && server_->log().find(refused) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(server_->log().find(refused), std::string::npos) << server_->log();
  EXPECT_EQ(server_->log().find("access_token=garbage"), std::string::npos) << server_->log();
  // The Authorization header comes first: a good one wins over a bad token elsewhere.
  auto both = server_->get("/fixture/session?access_token=garbage",
                           {{"Authorization", basicAuth("alice", "wonder")}, {"sessionToken", "garbage"}});
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_NE(both.body.find("\"user\":\"alice\""), std::string::npos);
  // A route that declares no other place ignores them.
  EXPECT_EQ(server_->get("/fixture/private", {{"sessionToken", token}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/private?access_token=" + token).status, 401);
}

TEST(AnonymousAccess, AllowedByConfigButUserRoutesStillAsk) {
  ServerProcess s({{"plugins.path", kPaths}, {"plugins.load", "fixture"}, {"auth.anonymous", "true"}});
  EXPECT_EQ(s.get("/fixture/hello").status, 200);
  EXPECT_EQ(s.get("/fixture/private").status, 401);
}

}  // namespace
}  // namespace strata::test
