#pragma once
// What the ufdl plugin's HTTP tests share: a server with the plugin, its entities and blobs
// stores on the test's backend, a users file (alice, bob, carol; root in the admin group, so
// UFDL staff), UFDL's error format ({"detail"} or field errors), and helpers that make teams,
// memberships, projects, datasets and files through the API.
//
// Backends (the test parameter): "memory" (entities and blobs in memory), "rocksdb" (both in
// one RocksDB database), "rocksdb-fs" (entities in RocksDB, blobs as files), "postgresql"
// (entities and blobs in the sql backend on the test PostgreSQL server).
#include "support/server_process.h"
#include "support/plugin_test_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::test::ufdl {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

inline const std::string kNotFound = "Not found.";
inline const std::string kForbidden = "You do not have permission to perform this action.";
inline const std::string kNotAuthenticated = "Authentication credentials were not provided.";

inline Poco::Dynamic::Var parseJson(const HttpResult& r) { return Poco::JSON::Parser().parse(r.body); }
inline Object::Ptr parse(const HttpResult& r) { return parseJson(r).extract<Object::Ptr>(); }
inline Array::Ptr parseArray(const HttpResult& r) { return parseJson(r).extract<Array::Ptr>(); }

// An error {"detail": ...} (and perhaps "code") with `status`; returns the detail.
inline std::string detail(const HttpResult& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << r.header("Content-Type");
  Object::Ptr o;
  try {
    o = parse(r);
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return "";
  }
  EXPECT_TRUE(o->has("detail")) << r.body;
  return o->has("detail") ? o->getValue<std::string>("detail") : "";
}

// A 400 with DRF's field errors; returns the first message for `field` ("" if none).
inline std::string fieldError(const HttpResult& r, const std::string& field) {
  EXPECT_EQ(r.status, 400) << r.body;
  Object::Ptr o;
  try {
    o = parse(r);
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return "";
  }
  auto list = o->getArray(field);
  EXPECT_TRUE(list && list->size() > 0) << field << " in " << r.body;
  return list && list->size() > 0 ? list->getElement<std::string>(0) : "";
}

class UfdlServer : public PluginServerTest {
 protected:
  // Starts (or restarts, keeping its stores) the server. `extra` adds or overrides keys.
  void startServer(const std::map<std::string, std::string>& extra = {}) {
    const std::string backend = GetParam();
    std::map<std::string, std::string> cfg = {{"plugins.load", "ufdl"},
                                              {"auth.jwtSecret", "ufdl-test-secret-0123456789abcdef"},
                                              {"plugins.ufdl.passwordIterations", "1000"}};
    if (backend == "memory") {
      cfg["stores.entities.default.backend"] = "memory";
      cfg["stores.blobs.default.backend"] = "memory";
    } else if (postgres()) {
      for (const auto& [k, v] : postgresStores({"entities", "blobs"})) cfg[k] = v;
    } else {
      cfg["stores.entities.default.backend"] = "rocksdb";
      cfg["stores.entities.default.path"] = state_.file("db");
      if (backend == "rocksdb-fs") {
        cfg["stores.blobs.default.backend"] = "fs";
        cfg["stores.blobs.default.path"] = state_.file("blobs");
      } else {
        cfg["stores.blobs.default.backend"] = "rocksdb";
        cfg["stores.blobs.default.path"] = state_.file("db");
      }
    }
    runServer(cfg, extra);
  }

  // Expects `status` and returns the body as an object.
  Object::Ptr okObject(const HttpResult& r, int status = 200) {
    EXPECT_EQ(r.status, status) << r.body;
    try {
      return parse(r);
    } catch (...) {
      ADD_FAILURE() << "not a JSON object: " << r.body;
      return new Object;
    }
  }

  // A team made by root (admin-only in UFDL); returns its pk.
  int64_t newTeam(const std::string& name) {
    return okObject(req("POST", "/v1/teams/create", R"({"name":")" + name + R"("})", kRoot), 201)
        ->getValue<int64_t>("pk");
  }
  // Adds `user` to the team with `permissions` ("R", "X", "W", "A"), as root.
  void addMember(int64_t team, const std::string& user, const std::string& permissions) {
    const auto r =
        req("PATCH", "/v1/teams/" + std::to_string(team) + "/memberships",
            R"({"username":")" + user + R"(","method":"add","permissions":")" + permissions + R"("})", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // A project of the team, made by root; returns its pk.
  int64_t newProject(const std::string& name, int64_t team) {
    return okObject(req("POST", "/v1/projects/create",
                        R"({"name":")" + name + R"(","team":)" + std::to_string(team) + "}", kRoot),
                    201)
        ->getValue<int64_t>("pk");
  }
  // A dataset of the project (licence 1), made by `h`; returns the answer.
  Object::Ptr newDataset(const std::string& name, int64_t project, const Headers& h = kAlice,
                         const std::string& more = "") {
    return okObject(req("POST", "/v1/datasets/create",
                        R"({"name":")" + name + R"(","project":)" + std::to_string(project) +
                            R"(,"licence":1,"tags":"")" + more + "}",
                        h),
                    201);
  }
  // Uploads `content` as `filename` of dataset `pk` (raw body, Content-Disposition as UFDL's
  // client sends it); expects 200 and returns the answer {"filename","handle"}.
  Object::Ptr upload(int64_t pk, const std::string& filename, const std::string& content,
                     const Headers& h = kAlice) {
    Headers headers = h;
    headers["Content-Type"] = "application/octet-stream";
    headers["Content-Disposition"] = "attachment; filename=" + filename;
    return okObject(server_->request("POST", "/v1/datasets/" + std::to_string(pk) + "/files/" + filename,
                                     content, headers));
  }

  // The usual arrangement: team "lab" with alice W and bob R, project "p1"; returns {team, project}.
  std::pair<int64_t, int64_t> labWithProject() {
    const int64_t team = newTeam("lab");
    addMember(team, "alice", "W");
    addMember(team, "bob", "R");
    return {team, newProject("p1", team)};
  }
};

inline std::string backendName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (auto& c : s)
    if (c == '-') c = '_';
  return s;
}

#define UFDL_BACKENDS \
  ::testing::Values("memory", "rocksdb", "rocksdb-fs", "postgresql"), ::strata::test::ufdl::backendName

}  // namespace strata::test::ufdl
