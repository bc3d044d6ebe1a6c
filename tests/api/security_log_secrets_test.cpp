// No secrets in the logs: a server with every plugin and every logger at its most verbose
// level (trace, access log on) serves logins and authenticated requests of every kind — right
// and wrong passwords by Basic and by each login route's body, Bearer tokens in the
// Authorization header, in synapse's sessionToken header and in access_token query parameters,
// ufdl's refresh and verify bodies, tampered and expired tokens — and afterwards neither its log
// file nor its console output holds a password, a token, the JWT secret, a password hash or a
// Basic credential.
#include "support/plugin_test_server.h"
#include "support/server_process.h"

#include <strata/auth.h>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace strata::test {
namespace {

using Poco::JSON::Object;

const std::string kSecret = "log-test-jwt-secret-SECRET-0123456789abcdef";

std::string field(const HttpResult& r, const std::string& name) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->optValue<std::string>(name, "");
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return "";
  }
}

TEST(LogSecrets, NoPasswordTokenSecretOrHashReachesTheLogs) {
  TempDir dir;
  const std::string aliceHash = hashPassword("alice-PASSWORD-1", 1000);
  const std::string bobHash = hashPassword("bob-PASSWORD-2", 1000);
  writeFile(dir.file("users"), "alice:" + aliceHash + ":admin\nbob:" + bobHash + "\n");
  const std::string logFile = dir.file("strata.log");
  ServerProcess server({{"plugins.load", "admin, hdf, slycat, synapse, ufdl"},
                        {"stores.entities.default.backend", "memory"},
                        {"stores.annotations.default.backend", "memory"},
                        {"stores.blobs.default.backend", "memory"},
                        {"stores.arrays.default.backend", "memory"},
                        {"plugins.ufdl.passwordIterations", "1000"},
                        {"auth.usersFile", dir.file("users")},
                        {"auth.jwtSecret", kSecret},
                        {"server.accessLog", "true"},
                        {"logging.formatters.f.class", "PatternFormatter"},
                        {"logging.formatters.f.pattern", "%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"},
                        {"logging.channels.file.class", "FileChannel"},
                        {"logging.channels.file.path", logFile},
                        {"logging.channels.file.formatter", "f"},
                        {"logging.loggers.root.channel", "file"},
                        {"logging.loggers.root.level", "trace"}});
  // Every secret the server sees; each must be absent from the logs.
  std::set<std::string> secrets = {kSecret,
                                   aliceHash,
                                   bobHash,
                                   "alice-PASSWORD-1",
                                   "bob-PASSWORD-2",
                                   "wrong-PASSWORD-3",
                                   "carol-PASSWORD-4",
                                   "carol-PASSWORD-5"};
  const auto basic = [&](const std::string& user, const std::string& password) {
    secrets.insert(base64(user + ":" + password));
    return Headers{{"Authorization", basicAuth(user, password)}};
  };
  const Headers json = {{"Content-Type", "application/json"}};

  // The core: Basic, right and wrong; a token; the token as Bearer and in a query parameter.
  auto r = server.request("POST", "/strata/token", "", basic("alice", "alice-PASSWORD-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string coreToken = field(r, "token");
  secrets.insert(coreToken);
  EXPECT_EQ(server.request("POST", "/strata/token", "", basic("alice", "wrong-PASSWORD-3")).status, 401);
  EXPECT_EQ(server.get("/strata/plugins", {{"Authorization", "Bearer " + coreToken}}).status, 200);
  // A tampered token and an expired one (signed with the secret, two hours old).
  EXPECT_EQ(server.get("/strata/plugins", {{"Authorization", "Bearer " + coreToken + "x"}}).status, 401);
  secrets.insert(coreToken + "x");
  {
    Poco::JWT::Token token;
    token.setSubject("alice");
    token.setIssuedAt(Poco::Timestamp() - 7200 * Poco::Timestamp::resolution());
    token.setExpiration(Poco::Timestamp() - 3600 * Poco::Timestamp::resolution());
    const std::string expired = Poco::JWT::Signer(kSecret).sign(token, Poco::JWT::Signer::ALGO_HS256);
    secrets.insert(expired);
    EXPECT_EQ(server.get("/strata/plugins", {{"Authorization", "Bearer " + expired}}).status, 401);
  }

  // hdf and slycat: Basic and Bearer, and tokens in query parameters of any name.
  EXPECT_EQ(server.request("PUT", "/?domain=/home/bob/log.h5", "", basic("bob", "bob-PASSWORD-2")).status,
            201);
  EXPECT_EQ(server.get("/?domain=/home/bob/log.h5", basic("bob", "wrong-PASSWORD-3")).status, 401);
  EXPECT_EQ(server.get("/?domain=/home/bob/log.h5&access_token=" + coreToken).status, 200);
  EXPECT_EQ(server.get("/api/projects/none", {{"Authorization", "Bearer " + coreToken}}).status, 404);

  // synapse: its login body, then the session token in its header and its query parameter.
  r = server.request("POST", "/auth/v1/session", R"({"email":"bob","password":"bob-PASSWORD-2"})", json);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string session = field(r, "sessionToken");
  secrets.insert(session);
  EXPECT_EQ(
      server.request("POST", "/auth/v1/session", R"({"email":"bob","password":"wrong-PASSWORD-3"})", json)
          .status,
      401);
  EXPECT_EQ(server.get("/repo/v1/dataset", {{"sessionToken", session}}).status, 200);
  EXPECT_EQ(server.get("/repo/v1/dataset?access_token=" + session).status, 200);
  EXPECT_EQ(server.get("/repo/v1/dataset?access_token=" + session + "x").status, 401);
  secrets.insert(session + "x");

  // ufdl: obtain, refresh, verify; a user made with a password, who logs in, and whose
  // password is changed.
  r = server.request("POST", "/v1/auth/obtain", R"({"username":"alice","password":"alice-PASSWORD-1"})",
                     json);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string access = field(r, "access"), refresh = field(r, "refresh");
  secrets.insert(access);
  secrets.insert(refresh);
  EXPECT_EQ(
      server.request("POST", "/v1/auth/obtain", R"({"username":"alice","password":"wrong-PASSWORD-3"})", json)
          .status,
      401);
  r = server.request("POST", "/v1/auth/refresh", R"({"refresh":")" + refresh + R"("})", json);
  EXPECT_EQ(r.status, 200) << r.body;
  secrets.insert(field(r, "access"));
  EXPECT_EQ(server.request("POST", "/v1/auth/verify", R"({"token":")" + access + R"("})", json).status, 200);
  EXPECT_EQ(server.request("POST", "/v1/auth/verify", R"({"token":")" + access + R"(x"})", json).status, 401);
  Headers staff = json;
  staff["Authorization"] = "Bearer " + access;
  r = server.request("POST", "/v1/users/create", R"({"username":"carol","password":"carol-PASSWORD-4"})",
                     staff);
  ASSERT_EQ(r.status, 201) << r.body;
  r = server.request("POST", "/v1/auth/obtain", R"({"username":"carol","password":"carol-PASSWORD-4"})",
                     json);
  EXPECT_EQ(r.status, 200) << r.body;
  secrets.insert(field(r, "access"));
  secrets.insert(field(r, "refresh"));
  EXPECT_EQ(server.request("PATCH", "/v1/users/carol", R"({"password":"carol-PASSWORD-5"})", staff).status,
            200);
  EXPECT_EQ(server.get("/v1/users/carol", basic("carol", "carol-PASSWORD-5")).status, 200);
  // A refresh token where an access token is expected.
  EXPECT_EQ(server.get("/v1/users/alice", {{"Authorization", "Bearer " + refresh}}).status, 401);

  // Past the failed-login limit (10 by default): the warning names the address, nothing else.
  int status = 0;
  for (int i = 0; i < 12 && status != 429; ++i) {
    const std::string password = "limit-PASSWORD-" + std::to_string(i);
    secrets.insert(password);
    status = server.request("POST", "/strata/token", "", basic("bob", password)).status;
  }
  EXPECT_EQ(status, 429);

  server.stop();
  const std::string log = readFile(logFile) + server.log();
  EXPECT_NE(log.find("Warning strata.auth: client 127.0.0.1 reached auth.maxFailedLogins"), std::string::npos)
      << log;
  // The log is really at its most verbose: the access lines are there.
  ASSERT_NE(log.find("\"POST /strata/token HTTP/1.1\" 200"), std::string::npos) << log;
  ASSERT_NE(log.find("\"POST /v1/auth/obtain HTTP/1.1\" 401"), std::string::npos) << log;
  for (const auto& secret : secrets) {
    ASSERT_GE(secret.size(), 12u);
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds a secret: " << secret << "\n" << log;
    // Parts of a token (its signature) count too.
    const auto dot = secret.rfind('.');
    if (dot != std::string::npos && secret.size() - dot > 20)
      EXPECT_EQ(log.find(secret.substr(dot + 1)), std::string::npos) << "a token's signature in the log\n"
                                                                     << log;
  }
}

}  // namespace
}  // namespace strata::test
