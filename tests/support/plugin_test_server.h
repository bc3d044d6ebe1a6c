#pragma once
// What every plugin's HTTP tests share: the users alice, bob and carol, and root in the admin
// group, as request headers (HTTP Basic) and as a users file; and a test parameterized by a
// backend name that (re)starts a strata-server with that users file.
#include "support/postgres_server.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::test {

using Headers = std::map<std::string, std::string>;

inline const Headers kAlice{{"Authorization", basicAuth("alice", "wonder")}};
inline const Headers kBob{{"Authorization", basicAuth("bob", "builder")}};
inline const Headers kCarol{{"Authorization", basicAuth("carol", "singer")}};
inline const Headers kRoot{{"Authorization", basicAuth("root", "rootpw")}};
inline const Headers kAnonymous{};

// A users file with the four users above.
inline std::string testUsersFile() {
  return ServerProcess::usersLine("alice", "wonder") + "\n" + ServerProcess::usersLine("bob", "builder") +
         "\n" + ServerProcess::usersLine("carol", "singer") + "\n" +
         ServerProcess::usersLine("root", "rootpw", "admin") + "\n";
}

// A test parameterized by a backend name, with a server it (re)starts. The backend name
// "postgresql" means the sql backend on the shared test PostgreSQL server
// (support/postgres_server.h), the test's own schema; where no server can be started those
// tests are skipped, saying why.
class PluginServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (postgres() && !PostgresServer::shared().unavailable().empty())
      GTEST_SKIP() << PostgresServer::shared().unavailable();
  }

  bool postgres() const { return GetParam() == "postgresql"; }

  // Configuration keys that put `roles` ("entities", "annotations", "blobs") on PostgreSQL, in this
  // test's own schema (kept across restarts of the server); none when no server runs.
  std::map<std::string, std::string> postgresStores(const std::vector<std::string>& roles) {
    std::map<std::string, std::string> cfg;
    if (!PostgresServer::shared().unavailable().empty()) return cfg;
    const std::string connection = PostgresServer::shared().connection(state_.path());
    for (const auto& role : roles) {
      cfg["stores." + role + ".default.backend"] = "sql";
      cfg["stores." + role + ".default.connector"] = "postgresql";
      cfg["stores." + role + ".default.connection"] = connection;
    }
    return cfg;
  }

  // Starts the server on `config` (or restarts it, keeping its stores), with auth.anonymous on
  // and the users file above; `extra` adds or overrides keys.
  void runServer(std::map<std::string, std::string> config, const std::map<std::string, std::string>& extra) {
    if (postgres() && !PostgresServer::shared().unavailable().empty())
      GTEST_SKIP() << PostgresServer::shared().unavailable();
    config.emplace("auth.anonymous", "true");
    config["auth.usersFile"] = state_.file("users");
    for (const auto& [k, v] : extra) config[k] = v;
    if (server_) {
      EXPECT_EQ(server_->stop(), 0) << server_->log();
    }
    server_ = std::make_unique<ServerProcess>(config, false);
    writeFile(state_.file("users"), testUsersFile());
    ASSERT_TRUE(server_->start()) << server_->log();
  }

  // A request as `h` (alice by default); a non-empty body without Content-Type is sent as JSON.
  HttpResult req(const std::string& method, const std::string& path, const std::string& body = "",
                 const Headers& h = kAlice) {
    Headers headers = h;
    if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    return server_->request(method, path, body, headers);
  }

  TempDir state_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace strata::test
