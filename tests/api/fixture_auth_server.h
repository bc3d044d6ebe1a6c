#pragma once
// One server per test suite for the auth suites (startup_and_auth_test.cpp's AuthHttp,
// user_directory_test.cpp): the admin and fixture plugins, anonymous access off, a fixed JWT
// secret, and a users file with alice (admin group) and bob.
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::test {

class FixtureAuthServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    writeFile(dir_->file("users"), ServerProcess::usersLine("alice", "wonder", "admin") + "\n" +
                                       ServerProcess::usersLine("bob", "builder") + "\n");
    server_ = new ServerProcess({{"plugins.path", std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR},
                                 {"plugins.load", "admin, fixture"},
                                 {"stores.blobs.default.backend", "memory"},
                                 {"auth.usersFile", dir_->file("users")},
                                 {"auth.anonymous", "false"},
                                 {"auth.jwtSecret", "a-test-secret-that-is-long-enough-1234"}});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

}  // namespace strata::test
