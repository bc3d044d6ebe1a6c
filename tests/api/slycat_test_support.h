#pragma once
// What the slycat plugin's HTTP tests share: a server with the plugin and a users file (alice,
// bob, carol; root in the admin group), the plugin's error format, and the project and model
// every arrayset needs.
#include "support/server_process.h"
#include "support/plugin_test_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>
#include <map>
#include <memory>
#include <string>

namespace strata::test::slycat {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline Object::Ptr parse(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
}
inline Array::Ptr parseArray(const HttpResult& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Array::Ptr>();
}

// An error in the plugin's format with `status`; returns its message.
inline std::string errorMessage(const HttpResult& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u) << r.header("Content-Type");
  const auto o = parse(r);
  EXPECT_EQ(o->getValue<int>("status"), status) << r.body;
  EXPECT_EQ(o->size(), 2u) << r.body;
  return o->getValue<std::string>("message");
}

// The bytes of `values` as `T` in the given byte order.
template <typename T, typename V = T>
inline std::string bytesOf(const std::vector<V>& values, bool big) {
  std::string out;
  for (const V& v : values) {
    const T t = static_cast<T>(v);
    char b[sizeof(T)];
    std::memcpy(b, &t, sizeof(T));
    if (big) std::reverse(b, b + sizeof(T));
    out.append(b, sizeof(T));
  }
  return out;
}

// A test parameterized by a backend name, with a slycat server it (re)starts.
class SlycatServer : public PluginServerTest {
 protected:
  // Starts (or restarts, keeping its stores) the server with entities and arrays on the given
  // backends; rocksdb and hdf5 stores live under the test's directory.
  void startServer(const std::string& entities, const std::string& arrays,
                   const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> cfg = {{"plugins.load", "slycat"},
                                              {"stores.entities.default.backend", entities},
                                              {"stores.arrays.default.backend", arrays}};
    if (entities != "memory") cfg["stores.entities.default.path"] = state_.file("entities");
    if (arrays != "memory") cfg["stores.arrays.default.path"] = state_.file("arrays");
    runServer(cfg, extra);
  }

  // A request with exactly the headers given (no JSON default: Slycat's tests send bodies
  // without a Content-Type on purpose).
  HttpResult req(const std::string& method, const std::string& path, const std::string& body = "",
                 const Headers& h = kAlice) {
    return server_->request(method, path, body, h);
  }

  // A project of alice's, with bob as writer and carol as reader when `shared`.
  std::string newProject(bool shared = false) {
    auto r = req("POST", "/api/projects", R"({"name":"p","description":"d"})");
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string pid = parse(r)->getValue<std::string>("id");
    if (shared) {
      r = req("PUT", "/api/projects/" + pid,
              R"({"acl":{"administrators":[{"user":"alice"}],"writers":[{"user":"bob"}],)"
              R"("readers":[{"user":"carol"}]}})");
      EXPECT_EQ(r.status, 204) << r.body;
    }
    return pid;
  }

  std::string newModel(const std::string& pid, const Headers& h = kAlice) {
    auto r = req("POST", "/api/projects/" + pid + "/models",
                 R"({"model-type":"generic","name":"m","marking":""})", h);
    EXPECT_EQ(r.status, 201) << r.body;
    return parse(r)->getValue<std::string>("id");
  }

  // The storage id of arrayset `aid` of model `mid` (the model document's artifact:<aid>).
  std::string storageId(const std::string& mid, const std::string& aid) {
    const auto r = req("GET", "/api/models/" + mid);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r)->getValue<std::string>("artifact:" + aid);
  }

  // Through the hdf plugin (loaded with slycat): the id of the object at `path` ("/array/0/
  // attribute/1") in the arrayset's domain <storage id>.slycat.hdfgroup.org.
  std::string hdfObjectId(const std::string& sid, const std::string& path) {
    const std::string host = "host=" + sid + ".slycat.hdfgroup.org";
    auto r = req("GET", "/?" + host, "", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string id = parse(r)->getValue<std::string>("root");
    std::size_t pos = 1;
    while (pos < path.size()) {
      const std::size_t end = std::min(path.find('/', pos), path.size());
      r = req("GET", "/groups/" + id + "/links/" + path.substr(pos, end - pos) + "?" + host, "", kRoot);
      EXPECT_EQ(r.status, 200) << path << ": " << r.body;
      id = parse(r)->getObject("link")->getValue<std::string>("id");
      pos = end + 1;
    }
    return id;
  }

  // Writes a JSON value list into /array/<i>/attribute/<j> through the hdf plugin, as root.
  void hdfWrite(const std::string& sid, int array, int attribute, const std::string& jsonValue) {
    const std::string id =
        hdfObjectId(sid, "/array/" + std::to_string(array) + "/attribute/" + std::to_string(attribute));
    const auto r = req("PUT", "/datasets/" + id + "/value?host=" + sid + ".slycat.hdfgroup.org",
                       R"({"value": )" + jsonValue + "}", kRoot);
    EXPECT_EQ(r.status, 200) << r.body;
  }
};

}  // namespace strata::test::slycat
