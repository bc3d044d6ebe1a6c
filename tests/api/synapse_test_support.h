#pragma once
// What the synapse plugin's HTTP tests share: a server with the plugin, its entities and
// annotations stores on the test's backend (memory, rocksdb or postgresql), a users file (alice, bob, carol;
// root in the admin group), the plugin's error format {"reason"} and helpers that create datasets and layers.
#include "support/server_process.h"
#include "support/plugin_test_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <string>

namespace strata::test::synapse {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline const std::string kNotFound = "The resource you are attempting to access cannot be found";
inline const std::string kForbidden =
    "You are not authorized to access the requested resource and/or perform the requested activity";
inline std::string conflictText(const std::string& id) {
  return "entity with id " + id +
         " was updated since you last fetched it, retrieve it again and reapply the update";
}

inline Object::Ptr parse(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
}

// An error in the plugin's format ({"reason": ...}, nothing else) with `status`; returns the reason.
inline std::string reason(const HttpResult& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << r.header("Content-Type");
  Object::Ptr o;
  try {
    o = parse(r);
  } catch (...) {
    ADD_FAILURE() << "not a JSON object: " << r.body;
    return "";
  }
  EXPECT_EQ(o->size(), 1u) << r.body;
  return o->has("reason") ? o->getValue<std::string>("reason") : "";
}

// Headers plus `ETag: <etag>` (as 2011 clients send it).
inline Headers withEtag(const Headers& h, const std::string& etag) {
  Headers out = h;
  out["ETag"] = etag;
  return out;
}

// A test parameterized by a backend name ("memory", "rocksdb", or "postgresql": the sql
// backend on the test PostgreSQL server) for both the entities and the annotations roles,
// with a synapse server it (re)starts.
class SynapseServer : public PluginServerTest {
 protected:
  // Starts (or restarts, keeping its stores) the server; rocksdb stores live under the test's
  // directory. `extra` adds or overrides configuration keys.
  void startServer(const std::map<std::string, std::string>& extra = {}) {
    const std::string backend = GetParam();
    std::map<std::string, std::string> cfg = {{"plugins.load", "synapse"},
                                              {"stores.entities.default.backend", backend},
                                              {"stores.annotations.default.backend", backend}};
    if (postgres()) {
      for (const auto& [k, v] : postgresStores({"entities", "annotations"})) cfg[k] = v;
    } else if (backend != "memory") {
      cfg["stores.entities.default.path"] = state_.file("entities");
      cfg["stores.annotations.default.path"] = state_.file("annotations");
    }
    runServer(cfg, extra);
  }

  // POSTs a dataset (a JSON object's text) and returns what the server answered (201 expected).
  Object::Ptr createDataset(const std::string& body, const Headers& h = kAlice) {
    const auto r = req("POST", "/repo/v1/dataset", body, h);
    EXPECT_EQ(r.status, 201) << r.body;
    return parse(r);
  }
  // A dataset named `name`; returns its id.
  std::string newDataset(const std::string& name = "DeLiver", const Headers& h = kAlice) {
    return createDataset(R"({"name":")" + name + R"("})", h)->getValue<std::string>("id");
  }

  // POSTs a layer of dataset `did` and returns the answer (201 expected).
  Object::Ptr createLayer(const std::string& did, const std::string& body, const Headers& h = kAlice) {
    const auto r = req("POST", "/repo/v1/dataset/" + did + "/layer", body, h);
    EXPECT_EQ(r.status, 201) << r.body;
    return parse(r);
  }
  // A layer of dataset `did` named `name` of type `type`; returns its id.
  std::string newLayer(const std::string& did, const std::string& name = "DeLiver expression data",
                       const std::string& type = "E", const Headers& h = kAlice) {
    return createLayer(did, R"({"name":")" + name + R"(","type":")" + type + R"("})", h)
        ->getValue<std::string>("id");
  }

  // GETs `path` (200 expected) and returns the object.
  Object::Ptr getObject(const std::string& path, const Headers& h = kAlice) {
    const auto r = req("GET", path, "", h);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return parse(r);
  }
};

}  // namespace strata::test::synapse
