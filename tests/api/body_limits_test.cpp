// Request bodies over a limit are refused before they are read, on every route of every plugin:
// a request that announces a Content-Length over the limit and sends no body gets its 413 at
// once (in its API's error format, without "100 Continue"), and a chunked body is cut at the
// limit (its 413 arrives while the rest of the body has not been sent).
#include "support/plugin_test_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <gtest/gtest.h>

#include <chrono>
#include <regex>

namespace strata::test {
namespace {

using Clock = std::chrono::steady_clock;

struct RouteRef {
  std::string plugin, method, pattern;
  std::string label() const { return plugin + " " + method + " " + pattern; }
};

// Every route the server lists, with its path parameters filled in.
std::vector<RouteRef> listRoutes(ServerProcess& server) {
  const auto r = server.get("/strata/routes", kRoot);
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<RouteRef> out;
  auto list = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Array::Ptr>();
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto o = list->getObject(static_cast<unsigned>(i));
    out.push_back({o->getValue<std::string>("plugin"), o->getValue<std::string>("method"),
                   o->getValue<std::string>("pattern")});
  }
  return out;
}

std::string concretePath(const std::string& pattern) {
  static const std::regex rest(R"(\{[a-z]+\.\.\.\})", std::regex::icase);
  static const std::regex one(R"(\{[a-z]+\})", std::regex::icase);
  return std::regex_replace(std::regex_replace(pattern, rest, "a/b.txt"), one, "1");
}

bool isRead(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

// Sends the headers of `method path` announcing `length` bytes, and no body.
std::pair<std::string, double> announce(ServerProcess& server, const RouteRef& route, uint64_t length,
                                        const std::string& extra = "", int timeoutMs = 5000) {
  const auto start = Clock::now();
  const std::string answer =
      rawExchange(server.port(),
                  route.method + " " + concretePath(route.pattern) +
                      " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(length) + "\r\n" + extra + "\r\n",
                  timeoutMs);
  return {answer, std::chrono::duration<double>(Clock::now() - start).count()};
}

// The 413 in the error format of the route's API.
void expect413(const RouteRef& route, const std::string& answer, double seconds) {
  SCOPED_TRACE(route.label());
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 ", 0), 0u) << answer;
  EXPECT_LT(seconds, 3.0);
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
  EXPECT_NE(Poco::toLower(answer).find("connection: close"), std::string::npos) << answer;
  if (route.method == "HEAD" || answer.rfind("HTTP/1.1 413 ", 0) != 0) return;
  Poco::JSON::Object::Ptr o;
  try {
    o = Poco::JSON::Parser()
            .parse(answer.substr(answer.find("\r\n\r\n") + 4))
            .extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << "not JSON: " << answer;
    return;
  }
  if (route.plugin == "admin") {
    EXPECT_EQ(o->getObject("error")->getValue<int>("status"), 413) << answer;
  } else if (route.plugin == "hdf" || route.plugin == "slycat") {
    EXPECT_EQ(o->getValue<int>("status"), 413) << answer;
    EXPECT_TRUE(o->has("message")) << answer;
  } else if (route.plugin == "synapse") {
    EXPECT_TRUE(o->has("reason")) << answer;
  } else if (route.plugin == "ufdl") {
    EXPECT_TRUE(o->has("detail")) << answer;
  }
}

std::map<std::string, std::string> allPlugins(const TempDir& dir) {
  writeFile(dir.file("users"), testUsersFile());
  return {{"plugins.load", "admin, hdf, slycat, synapse, ufdl"},
          {"stores.blobs.default.backend", "fs"},
          {"stores.blobs.default.path", "blobs"},
          {"stores.entities.default.backend", "memory"},
          {"stores.annotations.default.backend", "memory"},
          {"stores.arrays.default.backend", "memory"},
          {"auth.usersFile", dir.file("users")},
          {"server.maxBodyBytes", "256K"}};
}

// server.maxBodyBytes bounds every route, including those whose own limit is larger (ufdl's
// file uploads: plugins.ufdl.maxFileBytes, 1G by default).
TEST(BodyLimits, EveryRouteRefusesAnAnnouncedBodyOverTheServerLimitUnread) {
  TempDir dir;
  ServerProcess server(allPlugins(dir));
  const auto routes = listRoutes(server);
  ASSERT_GT(routes.size(), 150u);
  for (const auto& route : routes) {
    const auto [answer, seconds] = announce(server, route, (256u << 10) + 1, "Expect: 100-continue\r\n");
    expect413(route, answer, seconds);
  }
  EXPECT_TRUE(server.running());
}

// The plugins' own lower limits: synapse's and ufdl's JSON bodies, ufdl's files and archives,
// slycat's JSON bodies (64K). A route without a limit of its own (slycat's PUT .../data, whose
// parts are bounded as they are read) has the server's.
TEST(BodyLimits, WriteRoutesRefuseAnAnnouncedBodyOverTheirOwnLimitUnread) {
  TempDir dir;
  auto cfg = allPlugins(dir);
  cfg["plugins.synapse.maxJsonBytes"] = "1K";
  cfg["plugins.ufdl.maxJsonBytes"] = "1K";
  cfg["plugins.ufdl.maxFileBytes"] = "2K";
  cfg["plugins.ufdl.maxArchiveBytes"] = "3K";
  ServerProcess server(cfg);
  const auto limitOf = [](const RouteRef& r) -> uint64_t {
    if (r.plugin == "synapse") return r.pattern == "/auth/v1/session" ? 16u << 10 : 1u << 10;
    if (r.plugin == "ufdl") {
      if (r.pattern.find("/files-multi") != std::string::npos) return 3u << 10;
      if (r.method == "POST" && (r.pattern.find("/files/") != std::string::npos ||
                                 r.pattern.size() > 6 && r.pattern.substr(r.pattern.size() - 6) == "/files"))
        return 2u << 10;
      return 1u << 10;
    }
    if (r.plugin == "slycat") return r.pattern.find("/data") != std::string::npos ? 256u << 10 : 64u << 10;
    return 0;
  };
  int checked = 0;
  for (const auto& route : listRoutes(server)) {
    if (isRead(route.method) || !limitOf(route)) continue;
    // Just over the limit is refused; at the limit, the request gets past the check.
    const auto [answer, seconds] = announce(server, route, limitOf(route) + 1, "Expect: 100-continue\r\n");
    expect413(route, answer, seconds);
    // (A public route then waits for the body: no answer within the short wait is fine too.)
    const auto [atLimit, s] = announce(server, route, limitOf(route), "", 300);
    EXPECT_EQ(atLimit.find("HTTP/1.1 413 "), std::string::npos) << route.label() << ": " << atLimit;
    ++checked;
  }
  EXPECT_GT(checked, 60);
}

// hdf checks its JSON limit (plugins.hdf.maxJsonBytes) in the handler, before reading: the
// announced length is enough.
TEST(BodyLimits, HdfJsonBodiesOverMaxJsonBytesAreRefusedUnread) {
  TempDir dir;
  auto cfg = allPlugins(dir);
  cfg["plugins.load"] = "admin, hdf";
  cfg["plugins.hdf.maxJsonBytes"] = "1K";
  ServerProcess server(cfg);
  const std::string q = "?domain=/home/alice/limits.h5";
  ASSERT_EQ(server.request("PUT", "/" + q, "", kAlice).status, 201);
  const auto root = Poco::JSON::Parser()
                        .parse(server.get("/" + q, kAlice).body)
                        .extract<Poco::JSON::Object::Ptr>()
                        ->getValue<std::string>("root");
  auto r =
      server.request("POST", "/datasets" + q, R"({"type": "H5T_STD_U8LE", "shape": [10]})",
                     {{"Authorization", kAlice.at("Authorization")}, {"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const auto dset =
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
  const std::string auth = "Authorization: " + kAlice.at("Authorization") + "\r\n";
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/datasets"},
                                                        {"POST", "/groups"},
                                                        {"POST", "/groups/" + root + "/links"},
                                                        {"PUT", "/groups/" + root + "/links/x"},
                                                        {"PUT", "/groups/" + root + "/attributes/a"},
                                                        {"PUT", "/datasets/" + dset + "/value"},
                                                        {"POST", "/datasets/" + dset + "/value"},
                                                        {"PUT", "/datasets/" + dset + "/shape"},
                                                        {"PUT", "/acls/bob"}}) {
    const RouteRef route{"hdf", method, path + q};
    const auto [answer, seconds] = announce(server, route, 2048, auth);
    expect413(route, answer, seconds);
  }
}

// A chunked body announces no size: it is read up to the limit and refused there. The client
// sends a little more than the limit and then waits; the 413 must come without the rest.
TEST(BodyLimits, ChunkedBodiesAreCutAtTheLimit) {
  TempDir dir;
  auto cfg = allPlugins(dir);
  cfg["plugins.synapse.maxJsonBytes"] = "1K";
  cfg["plugins.ufdl.maxJsonBytes"] = "1K";
  cfg["plugins.hdf.maxJsonBytes"] = "1K";
  ServerProcess server(cfg);
  ASSERT_EQ(server.request("PUT", "/?domain=/home/alice/chunks.h5", "", kAlice).status, 201);
  struct Case {
    RouteRef route;
    std::size_t send;  // bytes of the body sent before waiting
  };
  for (const auto& c :
       std::vector<Case>{{{"admin", "POST", "/strata/blobs"}, (256u << 10) + (1u << 10)},
                         {{"hdf", "POST", "/datasets?domain=/home/alice/chunks.h5"}, 2u << 10},
                         {{"slycat", "POST", "/api/projects"}, (64u << 10) + (1u << 10)},
                         {{"synapse", "POST", "/repo/v1/dataset"}, 2u << 10},
                         {{"ufdl", "POST", "/v1/teams/create"}, 2u << 10}}) {
    const std::string body(c.send, ' ');
    // Creating ufdl teams is for admins.
    const std::string auth =
        "Authorization: " + (c.route.plugin == "ufdl" ? kRoot : kAlice).at("Authorization") + "\r\n";
    char size[32];
    std::snprintf(size, sizeof size, "%zx", body.size());
    const auto start = Clock::now();
    // No last chunk: a server that waited for the end of the body would never answer.
    const std::string answer = rawExchange(server.port(), c.route.method + " " + c.route.pattern +
                                                              " HTTP/1.1\r\nHost: x\r\n" + auth +
                                                              "Content-Type: application/json\r\n"
                                                              "Transfer-Encoding: chunked\r\n\r\n" +
                                                              size + "\r\n" + body + "\r\n");
    expect413(c.route, answer, std::chrono::duration<double>(Clock::now() - start).count());
  }
  EXPECT_TRUE(server.running());
}

}  // namespace
}  // namespace strata::test
