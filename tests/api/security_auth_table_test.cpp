// The auth table: every route of every plugin (as GET /strata/routes lists them), with its
// path parameters filled with real objects, called with each kind of bad credentials. For
// every route: a wrong password, an expired token and a token of another kind (ufdl's refresh
// token) are 401. For every route that writes or that the plugin's documentation says needs a
// user: no credentials are 401. For every route that the documentation restricts further (an
// owner, an ACL, staff, the admin group): a valid user without that right is 403. For every
// route documented as open to anonymous callers: no credentials are not refused. Never a 500. The
// expectations come from docs/admin-api.md, hdf.md ("Who may do what"), slycat.md, synapse.md and ufdl.md
// (the access table); a route that appears in none of the rules below fails the test, so that new routes are
// added here.
#include "support/plugin_test_server.h"
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Timestamp.h>

#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <optional>
#include <set>

namespace strata::test {
namespace {

using Poco::JSON::Object;

const std::string kSecret = "auth-table-secret-0123456789abcdef0123";

Object::Ptr json(const HttpResult& r) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
  } catch (...) {
    return new Object;
  }
}

std::string token(const std::string& subject, int64_t expiresIn, const std::string& type = "") {
  Poco::JWT::Token t;
  t.setSubject(subject);
  t.setIssuedAt(Poco::Timestamp());
  t.setExpiration(Poco::Timestamp() + expiresIn * Poco::Timestamp::resolution());
  if (!type.empty()) t.payload().set("jtt", type);
  return Poco::JWT::Signer(kSecret).sign(t, Poco::JWT::Signer::ALGO_HS256);
}

bool isRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

// What a route's documentation promises.
struct Expectation {
  bool needsUser = false;               // anonymous: 401
  std::optional<Headers> withoutRight;  // this user: 403
  std::string body = "{}";              // a body that passes any check made before the access check
};

// The error format of each plugin: true if `r`'s body is in it with r.status.
bool inFormat(const std::string& plugin, const HttpResult& r) {
  const auto o = json(r);
  if (plugin == "admin")
    return o->getObject("error") && o->getObject("error")->getValue<int>("status") == r.status;
  if (plugin == "hdf" || plugin == "slycat")
    return o->optValue<int>("status", 0) == r.status && o->has("message");
  if (plugin == "synapse") return o->has("reason") && o->size() == 1;
  if (plugin == "ufdl") return o->has("detail");
  return false;
}

class AuthTable : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(dir_.file("users"), testUsersFile());
    server_ = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
        {"plugins.load", "admin, hdf, slycat, synapse, ufdl"},
        {"stores.entities.default.backend", "memory"},
        {"stores.annotations.default.backend", "memory"},
        {"stores.blobs.default.backend", "memory"},
        {"stores.arrays.default.backend", "memory"},
        {"plugins.ufdl.passwordIterations", "1000"},
        {"auth.usersFile", dir_.file("users")},
        {"auth.anonymous", "true"},
        {"auth.jwtSecret", kSecret},
        // Hundreds of wrong passwords from one address: the failed-login limit is not tested here.
        {"auth.maxFailedLogins", "0"}});
  }

  HttpResult call(const std::string& method, const std::string& target, const std::string& body,
                  const Headers& who) {
    Headers h = who;
    if (!isRead(method)) h["Content-Type"] = "application/json";
    if (!isRead(method)) h["Content-Disposition"] = "attachment; filename=x";
    return server_->request(method, target, isRead(method) ? "" : body, h);
  }
  // Expects `status` and returns the body.
  Object::Ptr made(const std::string& method, const std::string& target, const std::string& body,
                   const Headers& who, int status) {
    const auto r = call(method, target, body, who);
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    return json(r);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthTable, EveryRouteRefusesBadCredentialsAndUsersWithoutTheRight) {
  // ---- objects to name: alice's, each plugin's way.
  std::map<std::string, std::string> v;
  // admin: a blob.
  v["admin.id"] = made("POST", "/strata/blobs", "blob", kAlice, 201)->getValue<std::string>("id");
  // hdf: a domain in alice's home with a dataset, a datatype, an attribute and a link.
  const std::string domain = "?domain=/home/alice/auth.h5";
  v["hdf.groups"] = made("PUT", "/" + domain, "", kAlice, 201)->getValue<std::string>("root");
  v["hdf.datasets"] =
      made("POST", "/datasets" + domain, R"({"type":"H5T_STD_I32LE","shape":[2]})", kAlice, 201)
          ->getValue<std::string>("id");
  v["hdf.datatypes"] = made("POST", "/datatypes" + domain, R"({"type":"H5T_STD_I32LE"})", kAlice, 201)
                           ->getValue<std::string>("id");
  for (const char* kind : {"groups", "datasets", "datatypes"})
    made("PUT", std::string("/") + kind + "/" + v[std::string("hdf.") + kind] + "/attributes/a1" + domain,
         R"({"type":"H5T_STD_I32LE","shape":[1],"value":[1]})", kAlice, 201);
  made("PUT", "/groups/" + v["hdf.groups"] + "/links/l1" + domain, R"({"id":")" + v["hdf.datasets"] + R"("})",
       kAlice, 201);
  // slycat: a project and a model with an arrayset.
  v["slycat.pid"] = made("POST", "/api/projects", R"({"name":"p","description":"d"})", kAlice, 201)
                        ->getValue<std::string>("id");
  v["slycat.mid"] = made("POST", "/api/projects/" + v["slycat.pid"] + "/models",
                         R"({"model-type":"generic","name":"m","marking":""})", kAlice, 201)
                        ->getValue<std::string>("id");
  made("PUT", "/api/models/" + v["slycat.mid"] + "/arraysets/as1", R"({"input":true})", kAlice, 200);
  // synapse: a dataset with a layer.
  v["synapse.did"] =
      made("POST", "/repo/v1/dataset", R"({"name":"d"})", kAlice, 201)->getValue<std::string>("id");
  v["synapse.lid"] = made("POST", "/repo/v1/dataset/" + v["synapse.did"] + "/layer",
                          R"({"name":"l","type":"C"})", kAlice, 201)
                         ->getValue<std::string>("id");
  // ufdl: team (alice W), project, two private datasets of alice's, a file; alice's refresh token.
  const auto team =
      made("POST", "/v1/teams/create", R"({"name":"lab"})", kRoot, 201)->getValue<int64_t>("pk");
  made("PATCH", "/v1/teams/" + std::to_string(team) + "/memberships",
       R"({"username":"alice","method":"add","permissions":"W"})", kRoot, 200);
  const auto project =
      made("POST", "/v1/projects/create", R"({"name":"p","team":)" + std::to_string(team) + "}", kRoot, 201)
          ->getValue<int64_t>("pk");
  const std::string datasetBody =
      R"({"name":"d","project":)" + std::to_string(project) + R"(,"licence":1,"tags":""})";
  const auto ds = made("POST", "/v1/datasets/create", datasetBody, kAlice, 201)->getValue<int64_t>("pk");
  const auto other =
      made("POST", "/v1/datasets/create",
           R"({"name":"e","project":)" + std::to_string(project) + R"(,"licence":1,"tags":""})", kAlice, 201)
          ->getValue<int64_t>("pk");
  v["ufdl.filename"] = "f.txt";
  v["ufdl.handle"] = made("POST", "/v1/datasets/" + std::to_string(ds) + "/files/f.txt", "bytes", kAlice, 200)
                         ->getValue<std::string>("handle");
  const auto alicePk = made("GET", "/v1/users/alice", "", kAlice, 200)->getValue<int64_t>("pk");
  const auto login = made("POST", "/v1/auth/obtain", R"({"username":"alice","password":"wonder"})", {}, 200);
  const std::string refresh = login->getValue<std::string>("refresh");

  // ---- the fill of each path parameter.
  const auto fill = [&](const std::string& plugin, const std::string& pattern) {
    std::string out;
    std::string collection;  // the literal segment before a parameter
    std::size_t pos = 1;
    while (pos <= pattern.size()) {
      const std::size_t end = std::min(pattern.find('/', pos), pattern.size());
      std::string seg = pattern.substr(pos, end - pos);
      pos = end + 1;
      if (seg.empty()) continue;
      if (seg.front() == '{') {
        std::string name = seg.substr(1, seg.size() - 2);
        if (name.size() > 3 && name.compare(name.size() - 3, 3, "...") == 0) name.resize(name.size() - 3);
        if (plugin == "hdf")
          seg = name == "id"     ? v["hdf." + collection]
                : name == "user" ? "bob"
                : name == "name" ? (collection == "links" ? "l1" : "a1")
                                 : "x";
        else if (plugin == "ufdl")
          seg = name == "pk"         ? (collection == "datasets"   ? std::to_string(ds)
                                        : collection == "teams"    ? std::to_string(team)
                                        : collection == "projects" ? std::to_string(project)
                                        : collection == "users"    ? std::to_string(alicePk)
                                                                   : "1")
                : name == "other"    ? std::to_string(other)
                : name == "username" ? "alice"
                                     : v["ufdl." + name];
        else if (plugin == "slycat")
          seg = name == "aid" ? "as1" : name == "array" ? "0" : v["slycat." + name];
        else if (plugin == "synapse")
          seg = name == "id" ? v["synapse.did"] : v["synapse." + name];
        else
          seg = v[plugin + "." + name];
      } else {
        collection = seg;
      }
      out += "/" + seg;
    }
    return (out.empty() ? "/" : out) + (plugin == "hdf" ? domain : "");
  };

  // ---- the documented access of each route.
  const auto expectation = [&](const std::string& plugin, const std::string& method,
                               const std::string& pattern) -> std::optional<Expectation> {
    Expectation e;
    const std::string route = method + " " + pattern;
    if (plugin == "admin") {
      // admin-api.md: token and blob upload need a user, blob release the admin group.
      e.needsUser = route == "POST /strata/token" || route == "POST /strata/blobs" ||
                    route == "DELETE /strata/blobs/{id}";
      if (route == "DELETE /strata/blobs/{id}") e.withoutRight = kCarol;
      return e;
    }
    if (plugin == "hdf") {
      // hdf.md: reads (GET, and POST of a point selection) are anonymous; writes need a user;
      // bob, who has no entry in alice's domain, may read it but not change it.
      if (route == "GET /about" || route == "GET /info") return e;
      // PUT .../acls without a user is malformed for everyone: 400 before credentials are asked
      // for, as h5serv (hdf.md); bad credentials are still 401.
      if (method == "PUT" && pattern.size() >= 5 && pattern.compare(pattern.size() - 5, 5, "/acls") == 0)
        return e;
      if (pattern.find("/acls") != std::string::npos && method == "PUT") e.body = R"({"read":true})";
      const bool read = isRead(method) || route == "POST /datasets/{id}/value" ||
                        (method == "POST" && (pattern.find("/attributes") != std::string::npos ||
                                              pattern.find("/links") != std::string::npos));
      e.needsUser = !read;
      if (!read) e.withoutRight = kBob;
      return e;
    }
    if (plugin == "slycat") {
      // slycat.md: every route needs a user; carol is no member of alice's project. Any user may
      // create a project.
      e.needsUser = true;
      if (pattern != "/api/projects" && pattern != "/projects") e.withoutRight = kCarol;
      return e;
    }
    if (plugin == "synapse") {
      // synapse.md: reads are anonymous, writes need a user; only the creator (or an admin) may
      // change a dataset and what it holds; any user may create a dataset. Logins are public.
      if (pattern == "/auth/v1/session") return e;
      e.needsUser = !isRead(method);
      if (e.needsUser && route != "POST /repo/v1/dataset") e.withoutRight = kBob;
      return e;
    }
    if (plugin == "ufdl") {
      // ufdl.md's access table: logins are public, the dataset list and a public dataset are
      // anonymous; every other route needs a user. carol is neither staff nor a member of the
      // team: what needs staff or a level on the team is 403 for her; lists and licences are
      // any user's.
      if (pattern.rfind("/v1/auth/", 0) == 0 || route == "POST /v1/datasets/list") return e;
      e.needsUser = true;
      static const std::set<std::string> anyUser = {"POST /v1/teams/list",    "POST /v1/projects/list",
                                                    "POST /v1/licences/list", "POST /v1/licenses/list",
                                                    "GET /v1/licences/{pk}",  "GET /v1/licenses/{pk}"};
      if (!anyUser.count(route)) e.withoutRight = kCarol;
      if (route == "POST /v1/datasets/create") e.body = datasetBody;
      if (route == "POST /v1/projects/create") e.body = R"({"name":"q","team":)" + std::to_string(team) + "}";
      return e;
    }
    return std::nullopt;
  };

  // ---- the table.
  const auto listed = server_->get("/strata/routes");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto routes = Poco::JSON::Parser().parse(listed.body).extract<Poco::JSON::Array::Ptr>();
  ASSERT_GT(routes->size(), 150u);
  const Headers wrongPassword{{"Authorization", basicAuth("alice", "not-her-password")}};
  const Headers expired{{"Authorization", "Bearer " + token("alice", -60)}};
  const Headers refreshKind{{"Authorization", "Bearer " + refresh}};
  const Headers otherKind{{"Authorization", "Bearer " + token("alice", 600, "refresh")}};
  std::set<std::string> plugins;
  int checked = 0;
  for (std::size_t i = 0; i < routes->size(); ++i) {
    const auto r = routes->getObject(i);
    const std::string method = r->getValue<std::string>("method"),
                      pattern = r->getValue<std::string>("pattern"),
                      plugin = r->getValue<std::string>("plugin");
    plugins.insert(plugin);
    const auto e = expectation(plugin, method, pattern);
    if (!e) {
      ADD_FAILURE() << "no rule for " << plugin << " " << method << " " << pattern;
      continue;
    }
    const std::string target = fill(plugin, pattern);
    const auto expect = [&](const Headers& who, const char* what, int status) {
      const auto got = call(method, target, e->body, who);
      EXPECT_EQ(got.status, status) << what << ": " << method << " " << target << " (" << pattern
                                    << "): " << got.body;
      if (got.status == status) EXPECT_TRUE(inFormat(plugin, got)) << plugin << " format: " << got.body;
      ++checked;
    };
    expect(wrongPassword, "wrong password", 401);
    expect(expired, "expired token", 401);
    expect(refreshKind, "ufdl refresh token", 401);
    expect(otherKind, "token of another type", 401);
    if (e->needsUser) {
      expect({}, "anonymous", 401);
    } else {
      // Documented as open to anonymous callers (auth.anonymous = true): no credentials asked.
      const auto got = call(method, target, e->body, {});
      EXPECT_TRUE(got.status != 401 && got.status != 403 && got.status < 500)
          << "anonymous: " << method << " " << target << " (" << pattern << "): " << got.status << " "
          << got.body;
    }
    if (e->withoutRight) expect(*e->withoutRight, "user without the right", 403);
  }
  EXPECT_EQ(plugins, (std::set<std::string>{"admin", "hdf", "slycat", "synapse", "ufdl"}));
  EXPECT_GT(checked, 1000);
  std::cout << "auth table: " << routes->size() << " routes, " << checked << " checks\n";

  // Nothing of alice's was changed by any of these calls.
  made("GET", "/datasets/" + v["hdf.datasets"] + "/attributes/a1" + domain, "", kAlice, 200);
  made("GET", "/api/models/" + v["slycat.mid"], "", kAlice, 200);
  made("GET", "/repo/v1/dataset/" + v["synapse.did"] + "/layer/" + v["synapse.lid"], "", kAlice, 200);
  made("GET", "/v1/datasets/" + std::to_string(ds) + "/files/f.txt", "", kAlice, 200);
  made("GET", "/strata/blobs/" + v["admin.id"], "", kAlice, 200);
}

}  // namespace
}  // namespace strata::test
