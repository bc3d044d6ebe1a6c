// A plugin's user directory over HTTP (the fixture plugin keeps one, with a login that issues
// access and refresh tokens as UFDL's does): directory users log in with Basic and Bearer,
// a deactivated user is refused, a refresh token is no Bearer credential, users-file users
// keep working.
#include "api/fixture_auth_server.h"
#include "support/server_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

namespace strata::test {
namespace {

Poco::JSON::Object::Ptr json(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

class UserDirectoryHttp : public FixtureAuthServer {
 protected:
  // Creates or changes a directory user (as the admin alice).
  static void putUser(const std::string& name, const std::string& body) {
    auto r = server_->request(
        "PUT", "/fixture/users/" + name, body,
        {{"Authorization", basicAuth("alice", "wonder")}, {"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 204) << r.body;
  }
  static HttpResult post(const std::string& path, const std::string& body) {
    return server_->request("POST", path, body, {{"Content-Type", "application/json"}});
  }
  static HttpResult asBearer(const std::string& token) {
    return server_->get("/fixture/private", {{"Authorization", "Bearer " + token}});
  }
  static std::pair<std::string, std::string> login(const std::string& user, const std::string& password) {
    auto r = post("/fixture/login", R"({"username":")" + user + R"(","password":")" + password + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    auto o = json(r);
    return {o->getValue<std::string>("access"), o->getValue<std::string>("refresh")};
  }
};

TEST_F(UserDirectoryHttp, DirectoryUserLogsInWithBasicAndBearer) {
  putUser("carol", R"({"password":"c4rol"})");
  auto basic = server_->get("/fixture/private", {{"Authorization", basicAuth("carol", "c4rol")}});
  ASSERT_EQ(basic.status, 200) << basic.body;
  EXPECT_EQ(json(basic)->getValue<std::string>("user"), "carol");
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("carol", "nope")}}).status, 401);

  auto [access, refresh] = login("carol", "c4rol");
  ASSERT_FALSE(access.empty());
  auto bearer = asBearer(access);
  ASSERT_EQ(bearer.status, 200) << bearer.body;
  EXPECT_EQ(json(bearer)->getValue<std::string>("user"), "carol");

  // The claims as the plugin set them: type, lifetime, extra claims.
  auto v = post("/fixture/verify", R"({"token":")" + access + R"("})");
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(json(v)->getValue<std::string>("type"), "access");
  EXPECT_EQ(json(v)->getValue<std::string>("subject"), "carol");
  EXPECT_EQ(json(v)->getValue<int>("lifetime"), 300);
  EXPECT_EQ(json(v)->getValue<int>("upk"), 5);
  EXPECT_EQ(json(v)->getValue<std::string>("who"), "carol");
  auto vr = post("/fixture/verify", R"({"token":")" + refresh + R"("})");
  ASSERT_EQ(vr.status, 200) << vr.body;
  EXPECT_EQ(json(vr)->getValue<std::string>("type"), "refresh");
  EXPECT_EQ(json(vr)->getValue<int>("lifetime"), 8 * 3600);

  // Refresh gives a new access token with the same extra claims.
  auto r = post("/fixture/refresh", R"({"refresh":")" + refresh + R"("})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto renewed = json(r)->getValue<std::string>("access");
  EXPECT_EQ(asBearer(renewed).status, 200);
  EXPECT_EQ(json(post("/fixture/verify", R"({"token":")" + renewed + R"("})"))->getValue<int>("upk"), 5);
  // An access token is not a refresh token.
  EXPECT_EQ(post("/fixture/refresh", R"({"refresh":")" + access + R"("})").status, 401);

  // The core's own untyped tokens work for directory users too.
  auto t = server_->request("POST", "/strata/token", "", {{"Authorization", basicAuth("carol", "c4rol")}});
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(asBearer(json(t)->getValue<std::string>("token")).status, 200);
}

TEST_F(UserDirectoryHttp, RefreshTokenIsNoBearerCredential) {
  putUser("dana", R"({"password":"d4na"})");
  auto [access, refresh] = login("dana", "d4na");
  ASSERT_FALSE(refresh.empty());
  auto r = asBearer(refresh);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("token_not_valid"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("wrong type"), std::string::npos) << r.body;
  EXPECT_NE(r.header("www-authenticate").find("Bearer"), std::string::npos);
  EXPECT_EQ(asBearer(access).status, 200);
  // Nor in a route's other token places.
  EXPECT_EQ(server_->get("/fixture/session", {{"sessionToken", refresh}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/session?access_token=" + refresh).status, 401);
  auto s = server_->get("/fixture/session", {{"sessionToken", access}});
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(json(s)->getValue<std::string>("user"), "dana");
}

TEST_F(UserDirectoryHttp, DeactivatedUserIsRefused) {
  putUser("erin", R"({"password":"3rin"})");
  auto [access, refresh] = login("erin", "3rin");
  ASSERT_EQ(asBearer(access).status, 200);

  putUser("erin", R"({"active":false})");
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("erin", "3rin")}}).status, 401);
  auto b = asBearer(access);
  EXPECT_EQ(b.status, 401);
  EXPECT_NE(b.body.find("inactive"), std::string::npos) << b.body;
  EXPECT_EQ(post("/fixture/refresh", R"({"refresh":")" + refresh + R"("})").status, 401);
  EXPECT_EQ(post("/fixture/verify", R"({"token":")" + access + R"("})").status, 401);
  auto l = post("/fixture/login", R"({"username":"erin","password":"3rin"})");
  EXPECT_EQ(l.status, 401);
  EXPECT_NE(l.body.find("No active account found with the given credentials"), std::string::npos) << l.body;

  putUser("erin", R"({"active":true})");
  EXPECT_EQ(asBearer(access).status, 200);
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("erin", "3rin")}}).status, 200);
}

TEST_F(UserDirectoryHttp, UsersFileUsersKeepWorkingAndComeFirst) {
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("bob", "builder")}}).status, 200);
  auto [access, refresh] = login("bob", "builder");
  EXPECT_EQ(asBearer(access).status, 200);
  EXPECT_EQ(asBearer(refresh).status, 401);
  // A directory user with a users-file name is never seen.
  putUser("bob", R"({"password":"other"})");
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("bob", "other")}}).status, 401);
  EXPECT_EQ(server_->get("/fixture/private", {{"Authorization", basicAuth("bob", "builder")}}).status, 200);
  // Only admins manage the fixture's directory.
  EXPECT_EQ(server_
                ->request("PUT", "/fixture/users/zed", R"({"password":"z"})",
                          {{"Authorization", basicAuth("bob", "builder")}})
                .status,
            403);
  // Tampered and garbage tokens in a body: 401.
  std::string bad = access;
  const auto dot = bad.find('.');
  bad[dot + 5] = bad[dot + 5] == 'a' ? 'b' : 'a';
  EXPECT_EQ(post("/fixture/verify", R"({"token":")" + bad + R"("})").status, 401);
  EXPECT_EQ(post("/fixture/verify", R"({"token":"garbage"})").status, 401);
}

}  // namespace
}  // namespace strata::test
