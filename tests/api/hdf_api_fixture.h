#pragma once
// The hdf endpoint plugin (the h5serv REST API) against a real strata-server, once per arrays
// backend (memory, hdf5, rocksdb; postgresql: rocksdb arrays, entities on PostgreSQL): the fixture and
// helpers that the hdf_*_test.cpp files share. The HdfApi suite is instantiated once, in hdf_domain_test.cpp;
// its tests are in every hdf_*_test.cpp file.

#include <Poco/Base64Encoder.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <atomic>
#include <filesystem>
#include <thread>
#include <tuple>

#include "support/postgres_server.h"
#include "support/server_process.h"

namespace strata::test {

// Helpers of these tests only, apart from other tests' helpers of the same names.
namespace hdf_api {

using Poco::JSON::Array;
using Poco::JSON::Object;

inline Object::Ptr parse(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a JSON object: " << body.substr(0, 400);
    return new Object;
  }
}

// The href with the given rel, or "".
inline std::string href(const Object::Ptr& o, const std::string& rel) {
  auto hrefs = o->getArray("hrefs");
  if (!hrefs) return "";
  for (std::size_t i = 0; i < hrefs->size(); ++i) {
    auto h = hrefs->getObject(i);
    if (h->getValue<std::string>("rel") == rel) return h->getValue<std::string>("href");
  }
  return "";
}

inline std::string compact(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

// Files h5py writes into the hdf5 backend's data directory before the server starts.
inline const char* const kH5pyFixtures = R"PY(
import h5py, numpy as np, os, sys
data = sys.argv[1] if len(sys.argv) > 1 else os.environ['DATA']
os.makedirs(data + '/test', exist_ok=True)
with h5py.File(data + '/test/h5py_tall.h5', 'w') as f:
    f.attrs['attr1'] = np.array([ord(c) for c in 'hello'], dtype='i1')
    g = f.create_group('g1')
    g11 = g.create_group('g1.1')
    d = g11.create_dataset('dset1.1.1', data=np.arange(100, dtype='>i4').reshape(10, 10))
    d.attrs['units'] = 'meters'
    f.create_dataset('floats', data=np.linspace(0, 1, 5, dtype='<f8'))
    f['soft'] = h5py.SoftLink('/g1')
    f['ext'] = h5py.ExternalLink('other.h5', '/x')
    ct = np.dtype([('date', '<i4'), ('wind', 'S4'), ('temp', '<f4')])
    rows = np.array([(21, b'W 5', 1.5), (22, b'N 3', 2.5), (23, b'W 5', 3.5), (24, b'E 1', 4.5), (25, b'W 5', 5.5)], dtype=ct)
    f.create_dataset('weather', data=rows)
    f.create_dataset('chunked', data=np.arange(1000, dtype='<i8'), chunks=(100,), compression='gzip', maxshape=(None,))
    f.create_dataset('strings', data=np.array([b'ab', b'cde'], dtype='S3'))
with h5py.File(data + '/test/readonly.h5', 'w') as f:
    f.create_dataset('x', data=np.arange(3))
os.chmod(data + '/test/readonly.h5', 0o444)
)PY";
struct Backend {
  std::unique_ptr<ServerProcess> server;
};

}  // namespace hdf_api
using namespace hdf_api;

class HdfApi : public ::testing::TestWithParam<std::string> {
 public:
  static void TearDownTestSuite() {
    for (auto& [name, b] : servers()) {
      if (b.server) {
        EXPECT_EQ(b.server->stop(), 0) << b.server->log();
        b.server.reset();
      }
    }
  }

 protected:
  static std::map<std::string, Backend>& servers() {
    static std::map<std::string, Backend> s;
    return s;
  }

  // "postgresql": arrays in rocksdb, the plugin's entities (ACLs, tombstones) in the sql
  // backend on the test PostgreSQL server. To keep test time down it runs the ACL, domain and
  // object tests (hdf_access_test.cpp, hdf_domain_test.cpp, hdf_objects_test.cpp: the ones
  // that write and read ACLs and tombstones), not the value and type tests, which never touch
  // the entities store.
  void SetUp() override {
    if (GetParam() != "postgresql") return;
    if (!PostgresServer::shared().unavailable().empty())
      GTEST_SKIP() << PostgresServer::shared().unavailable();
    const std::string file = ::testing::UnitTest::GetInstance()->current_test_info()->file();
    bool subset = false;
    for (const char* f : {"hdf_access_test.cpp", "hdf_domain_test.cpp", "hdf_objects_test.cpp"})
      subset = subset || file.size() >= std::strlen(f) &&
                             file.compare(file.size() - std::strlen(f), std::string::npos, f) == 0;
    if (!subset) GTEST_SKIP() << "the postgresql variant runs the ACL, domain and object tests only";
  }

  bool hdf5() const { return GetParam() == "hdf5"; }

  ServerProcess& server() {
    auto& b = servers()[GetParam()];
    if (!b.server) {
      std::map<std::string, std::string> cfg = {{"plugins.load", "hdf"},
                                                {"stores.entities.default.backend", "memory"},
                                                {"auth.anonymous", "true"},
                                                // h5serv's open defaults: the tests write anonymously.
                                                {"auth.anonymousWrites", "true"},
                                                {"server.cors", "*"},
                                                {"auth.usersFile", "users"},
                                                {"server.maxBodyBytes", "64M"}};
      if (hdf5()) {
        cfg["stores.arrays.default.backend"] = "hdf5";
        cfg["stores.arrays.default.path"] = "data";
      } else if (GetParam() == "postgresql") {
        cfg["stores.arrays.default.backend"] = "rocksdb";
        cfg["stores.arrays.default.path"] = "db";
        cfg["stores.entities.default.backend"] = "sql";
        cfg["stores.entities.default.connector"] = "postgresql";
        cfg["stores.entities.default.connection"] = PostgresServer::shared().connection("hdf");
      } else if (GetParam() == "rocksdb") {
        // Relative to the server's own temporary directory.
        cfg["stores.arrays.default.backend"] = "rocksdb";
        cfg["stores.arrays.default.path"] = "db";
      } else {
        cfg["stores.arrays.default.backend"] = "memory";
      }
      b.server = std::make_unique<ServerProcess>(cfg, false);
      const std::string dir = b.server->dir();
      writeFile(dir + "/users", ServerProcess::usersLine("test_user1", "test") + "\n" +
                                    ServerProcess::usersLine("test_user2", "test") + "\n");
      if (hdf5()) {
        Poco::File(dir + "/data").createDirectories();
        auto [rc, out] = runPython(
            dir, std::string("import os\nos.environ['DATA'] = '") + dir + "/data'\n" + kH5pyFixtures);
        EXPECT_EQ(rc, 0) << out;
      }
      if (!b.server->start()) throw std::runtime_error("strata-server did not start:\n" + b.server->log());
    }
    return *b.server;
  }

  // A domain name of its own for each test (and backend: they are separate servers).
  std::string domain(const std::string& suffix = "") const {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    name = name.substr(0, name.find('/'));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name + suffix + ".test.hdfgroup.org";
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}, const std::string& host = "") {
    if (!headers.count("Host")) headers["Host"] = host.empty() ? domain() : host;
    return server().request(method, path, body, headers);
  }
  HttpResult get(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return call("GET", path, "", std::move(headers));
  }
  HttpResult put(const std::string& path, const std::string& body,
                 std::map<std::string, std::string> headers = {}) {
    return call("PUT", path, body, std::move(headers));
  }
  HttpResult post(const std::string& path, const std::string& body,
                  std::map<std::string, std::string> headers = {}) {
    return call("POST", path, body, std::move(headers));
  }
  HttpResult del(const std::string& path, std::map<std::string, std::string> headers = {}) {
    return call("DELETE", path, "", std::move(headers));
  }

  // Creates this test's domain; returns its root group id.
  std::string createDomain(const std::string& host = "") {
    auto r = call("PUT", "/", "", {}, host);
    EXPECT_EQ(r.status, 201) << r.reason << " " << r.body;
    return parse(r.body)->getValue<std::string>("root");
  }

  std::string createDataset(const std::string& body) {
    auto r = post("/datasets", body);
    EXPECT_EQ(r.status, 201) << r.reason << " " << r.body;
    return parse(r.body)->optValue<std::string>("id", "");
  }

  // The id that a link of the root group (or `group`) points at.
  std::string linked(const std::string& group, const std::string& name) {
    auto r = get("/groups/" + group + "/links/" + name);
    EXPECT_EQ(r.status, 200) << r.reason;
    return parse(r.body)->getObject("link")->optValue<std::string>("id", "");
  }

  std::string value(const std::string& dset, const std::string& query = "") {
    auto r = get("/datasets/" + dset + "/value" + query);
    EXPECT_EQ(r.status, 200) << r.reason << " " << r.body;
    return compact(parse(r.body)->get("value"));
  }
};

// A request in the HSDS dialect: the domain is a path, given as ?domain= as h5pyd sends it.
class Hsds {
 public:
  Hsds(ServerProcess& server, std::string domain) : server_(server), domain_(std::move(domain)) {}
  HttpResult operator()(const std::string& method, const std::string& path, const std::string& body = "",
                        std::map<std::string, std::string> headers = {}) const {
    const std::string sep = path.find('?') == std::string::npos ? "?" : "&";
    headers.emplace("Host", "localhost");
    return server_.request(method, path + sep + "domain=" + domain_, body, headers);
  }
  const std::string& domain() const { return domain_; }

 private:
  ServerProcess& server_;
  std::string domain_;
};

}  // namespace strata::test
