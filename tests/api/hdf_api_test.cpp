// The hdf endpoint plugin (the h5serv REST API) against a real strata-server, once per arrays
// backend (memory, hdf5, rocksdb). Every route of docs/hdf.md with its status codes and bodies;
// with the hdf5 backend also files written by h5py before the server starts, and a domain
// written through the API read back with h5py.
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

#include "support/server_process.h"

namespace strata::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr parse(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a JSON object: " << body.substr(0, 400);
    return new Object;
  }
}

std::string base64(const std::string& bytes) {
  std::ostringstream os;
  Poco::Base64Encoder enc(os);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return os.str();
}

// The href with the given rel, or "".
std::string href(const Object::Ptr& o, const std::string& rel) {
  auto hrefs = o->getArray("hrefs");
  if (!hrefs) return "";
  for (std::size_t i = 0; i < hrefs->size(); ++i) {
    auto h = hrefs->getObject(i);
    if (h->getValue<std::string>("rel") == rel) return h->getValue<std::string>("href");
  }
  return "";
}

std::string compact(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

// Files h5py writes into the hdf5 backend's data directory before the server starts.
const char* const kH5pyFixtures = R"PY(
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

// ---------------------------------------------------------------------------------- domains

TEST_P(HdfApi, InfoDescribesTheServer) {
  auto r = get("/info");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto o = parse(r.body);
  for (const char* k : {"h5serv_version", "h5py_version", "hdf5_version", "hdf5-json-version", "name",
                        "greeting", "about", "documentation"})
    EXPECT_TRUE(o->has(k)) << k;
}

TEST_P(HdfApi, PutGetDeleteDomain) {
  auto missing = get("/");
  EXPECT_EQ(missing.status, 404);

  auto r = put("/", "");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  for (const char* k : {"root", "hrefs", "created", "lastModified"}) EXPECT_TRUE(o->has(k)) << k;
  const std::string root = o->getValue<std::string>("root");
  EXPECT_EQ(href(o, "self"), "http://" + domain() + "/");
  EXPECT_EQ(href(o, "root"), "http://" + domain() + "/groups/" + root);
  EXPECT_EQ(href(o, "database"), "http://" + domain() + "/datasets");
  EXPECT_EQ(href(o, "groupbase"), "http://" + domain() + "/groups");
  EXPECT_EQ(href(o, "typebase"), "http://" + domain() + "/datatypes");

  EXPECT_EQ(put("/", "").status, 409);

  auto g = get("/");
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.header("Content-Type"), "application/json");
  EXPECT_FALSE(g.header("Etag").empty());
  EXPECT_EQ(parse(g.body)->getValue<std::string>("root"), root);

  auto d = del("/");
  EXPECT_EQ(d.status, 200) << d.reason;
  EXPECT_EQ(get("/").status, 410);      // deleted here: Gone
  EXPECT_EQ(put("/", "").status, 201);  // and it can be made again
}

TEST_P(HdfApi, DomainFromHostParamDomainParamAndForwardedHost) {
  const std::string root = createDomain();
  const std::string name = domain();
  const std::string container = "/test/" + name.substr(0, name.find('.')) + ".h5";

  // ?host=: hrefs keep the real host and carry ?host=.
  auto r = call("GET", "/?host=" + name, "", {{"Host", "127.0.0.1:5000"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  auto o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("root"), root);
  EXPECT_EQ(href(o, "root"), "http://127.0.0.1:5000/groups/" + root + "?host=" + name);

  // ?domain= in either style, with hrefs that repeat it.
  r = call("GET", "/?domain=" + name, "", {{"Host", "localhost"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);
  r = call("GET", "/?domain=" + container, "", {{"Host", "localhost"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("root"), root);
  EXPECT_EQ(href(o, "self"), "http://localhost/?domain=" + container);
  // HSDS's header.
  r = call("GET", "/", "", {{"Host", "localhost"}, {"X-Hdf-domain", container}});
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);
  // ?host= wins over ?domain=, which wins over the Host header.
  r = call("GET", "/?host=" + name + "&domain=/nope/nope.h5", "", {{"Host", "other.test.hdfgroup.org"}});
  EXPECT_EQ(r.status, 200);

  // Behind a proxy: the domain and the hrefs come from X-Forwarded-Host.
  r = call("GET", "/groups/" + root, "", {{"Host", "127.0.0.1"}, {"X-Forwarded-Host", name}});
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(href(parse(r.body), "self"), "http://" + name + "/groups/" + root);
}

TEST_P(HdfApi, DomainNameErrors) {
  EXPECT_EQ(call("GET", "/", "", {}, "tall.test.example.com").status, 403);
  EXPECT_EQ(call("GET", "/", "", {}, "tall..test.hdfgroup.org").status, 400);
  EXPECT_EQ(call("GET", "/", "", {}, ".tall.test.hdfgroup.org").status, 400);
  EXPECT_EQ(call("GET", "/", "", {}, "talltesthdfgroup.org").status, 400);
  EXPECT_EQ(call("GET", "/?domain=/test//x.h5", "", {}, "localhost").status, 400);
  EXPECT_EQ(call("GET", "/?domain=/test/../x.h5", "", {}, "localhost").status, 400);
  auto r = call("GET", "/", "", {}, "nothere.test.hdfgroup.org");
  EXPECT_EQ(r.status, 404);
  // h5serv puts the message in the reason phrase; the body repeats it as JSON.
  EXPECT_NE(r.reason.find("not found"), std::string::npos) << r.reason;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_TRUE(parse(r.body)->has("message"));
}

TEST_P(HdfApi, DotsInNamesAndUserHomes) {
  // "%2E" in a label is a dot of the file name.
  const std::string dotted = "a%2Eb.test.hdfgroup.org";
  const std::string root = createDomain(dotted);
  auto r = call("GET", "/?domain=/test/a.b.h5", "", {}, "localhost");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);
  // ?host= arrives with %2E decoded: the server tries the dotted reading too (as h5serv).
  r = call("GET", "/?host=a.b.test.hdfgroup.org", "", {}, "localhost");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);

  const std::string home = createDomain("mine.test_user1.home.hdfgroup.org");
  r = call("GET", "/?domain=/home/test_user1/mine.h5", "", {}, "localhost");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), home);
  // The user's home itself is their TOC, listing their domains.
  r = call("GET", "/", "", {}, "test_user1.home.hdfgroup.org");
  ASSERT_EQ(r.status, 200);
  const std::string toc = parse(r.body)->getValue<std::string>("root");
  r = call("GET", "/groups/" + toc + "/links/mine", "", {}, "test_user1.home.hdfgroup.org");
  ASSERT_EQ(r.status, 200) << r.reason;
  auto link = parse(r.body)->getObject("link");
  EXPECT_EQ(link->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
  EXPECT_EQ(link->getValue<std::string>("h5domain"), "mine.test_user1.home.hdfgroup.org");
}

TEST_P(HdfApi, TableOfContents) {
  createDomain();
  const std::string leaf = domain().substr(0, domain().find('.'));
  createDomain("hidden.someone.home.hdfgroup.org");
  for (const std::string host : {"hdfgroup.org", "127.0.0.1:8080", "localhost"}) {
    auto r = call("GET", "/", "", {}, host);
    ASSERT_EQ(r.status, 200) << host;
    const std::string root = parse(r.body)->getValue<std::string>("root");
    r = call("GET", "/groups/" + root + "/links", "", {}, host);
    ASSERT_EQ(r.status, 200);
    auto links = parse(r.body)->getArray("links");
    bool sawTest = false;
    for (std::size_t i = 0; i < links->size(); ++i) {
      const auto title = links->getObject(i)->getValue<std::string>("title");
      EXPECT_NE(title, "home") << "home directories are not in the public TOC";
      sawTest = sawTest || title == "test";
    }
    EXPECT_TRUE(sawTest);
    r = call("GET", "/groups/" + root + "/links/test", "", {}, host);
    ASSERT_EQ(r.status, 200);
    auto test = parse(r.body)->getObject("link");
    EXPECT_EQ(test->getValue<std::string>("class"), "H5L_TYPE_HARD");
    const std::string group = test->getValue<std::string>("id");
    r = call("GET", "/groups/" + group + "/links/" + leaf, "", {}, host);
    ASSERT_EQ(r.status, 200) << r.reason;
    auto o = parse(r.body);
    auto ext = o->getObject("link");
    EXPECT_EQ(ext->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
    EXPECT_EQ(ext->getValue<std::string>("title"), leaf);
    EXPECT_EQ(ext->getValue<std::string>("h5path"), "/");
    EXPECT_EQ(ext->getValue<std::string>("h5domain"), domain());
    EXPECT_EQ(href(o, "target"), "http://" + host + "/?host=" + domain());
    EXPECT_EQ(call("GET", "/groups/" + group, "", {}, host).status, 200);
  }
  // Read-only.
  auto r = call("GET", "/", "", {}, "hdfgroup.org");
  const std::string root = parse(r.body)->getValue<std::string>("root");
  EXPECT_EQ(call("PUT", "/", "", {}, "hdfgroup.org").status, 403);
  EXPECT_EQ(call("DELETE", "/", "", {}, "hdfgroup.org").status, 403);
  EXPECT_EQ(call("DELETE", "/groups/" + root, "", {}, "hdfgroup.org").status, 403);
  EXPECT_EQ(
      call("PUT", "/groups/" + root + "/links/x", R"({"h5path": "somewhere"})", {}, "hdfgroup.org").status,
      403);
  EXPECT_EQ(call("DELETE", "/groups/" + root + "/links/test", "", {}, "hdfgroup.org").status, 403);
  EXPECT_EQ(call("POST", "/groups", "{}", {}, "hdfgroup.org").status, 403);
  EXPECT_EQ(call("GET", "/datasets", "", {}, "hdfgroup.org").status, 200);

  // A domain created or deleted through the API shows at once; a deleted one is Gone.
  r = call("GET", "/groups/" + root + "/links/test", "", {}, "hdfgroup.org");
  const std::string test = parse(r.body)->getObject("link")->getValue<std::string>("id");
  createDomain(domain("2"));
  EXPECT_EQ(call("GET", "/groups/" + test + "/links/" + leaf + "2", "", {}, "hdfgroup.org").status, 200);
  EXPECT_EQ(call("DELETE", "/", "", {}, domain("2")).status, 200);
  EXPECT_EQ(call("GET", "/groups/" + test + "/links/" + leaf + "2", "", {}, "hdfgroup.org").status, 410);
  EXPECT_EQ(call("GET", "/groups/" + test + "/links/never", "", {}, "hdfgroup.org").status, 404);
}

TEST_P(HdfApi, TableOfContentsNoticesNewFilesWithinTwoSeconds) {
  if (!hdf5()) GTEST_SKIP() << "files appear on disk only with the hdf5 backend";
  auto [rc, out] = runPython(server().dir(), "import h5py\nh5py.File('" + server().dir() +
                                                 "/data/test/dropped.h5', 'w').create_group('g')\n");
  ASSERT_EQ(rc, 0) << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  auto r = call("GET", "/", "", {}, "hdfgroup.org");
  const std::string root = parse(r.body)->getValue<std::string>("root");
  r = call("GET", "/groups/" + root + "/links/test", "", {}, "hdfgroup.org");
  const std::string test = parse(r.body)->getObject("link")->getValue<std::string>("id");
  r = call("GET", "/groups/" + test + "/links/dropped", "", {}, "hdfgroup.org");
  EXPECT_EQ(r.status, 200) << r.reason;
}

TEST_P(HdfApi, CorruptFilesFailAloneAndStayUntouched) {
  if (!hdf5()) GTEST_SKIP() << "files on disk exist only with the hdf5 backend";
  const std::string data = server().dir() + "/data/test/";
  const std::string garbage = randomBytes(4096, 11);
  writeFile(data + "corrupt.h5", garbage);
  const std::string good = createDomain("intact.test.hdfgroup.org");
  const std::string whole = readFile(data + "intact.h5");
  writeFile(data + "truncated.h5", whole.substr(0, whole.size() / 2));
  for (const char* name : {"corrupt", "truncated"}) {
    const std::string host = std::string(name) + ".test.hdfgroup.org";
    // 500: the server's data is broken, not the request; PUT / is 409 (the name is taken).
    for (const auto& [method, path, status] : std::vector<std::tuple<std::string, std::string, int>>{
             {"GET", "/", 500}, {"GET", "/groups", 500}, {"PUT", "/", 409}, {"POST", "/groups", 500}}) {
      auto r = call(method, path, method == "POST" ? "{}" : "", {}, host);
      EXPECT_EQ(r.status, status) << name << " " << method << " " << path << " " << r.body;
      EXPECT_NE(r.body.find("\"message\""), std::string::npos) << r.body;  // h5serv's error form
    }
  }
  EXPECT_EQ(readFile(data + "corrupt.h5"), garbage);
  EXPECT_EQ(readFile(data + "truncated.h5"), whole.substr(0, whole.size() / 2));
  // The server and the other domains carry on.
  auto r = call("GET", "/", "", {}, "intact.test.hdfgroup.org");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), good);
  EXPECT_EQ(call("GET", "/", "", {}, "hdfgroup.org").status, 200);  // the TOC lists around them
  std::filesystem::remove(data + "corrupt.h5");
  std::filesystem::remove(data + "truncated.h5");
}

TEST_P(HdfApi, ReadOnlyDomainCannotBeDeleted) {
  if (!hdf5()) GTEST_SKIP() << "read-only files exist only with the hdf5 backend";
  auto r = call("DELETE", "/", "", {}, "readonly.test.hdfgroup.org");
  EXPECT_EQ(r.status, 403) << r.reason;
  r = call("GET", "/", "", {}, "readonly.test.hdfgroup.org");
  ASSERT_EQ(r.status, 200);
  const std::string root = parse(r.body)->getValue<std::string>("root");
  EXPECT_EQ(call("POST", "/groups", "{}", {}, "readonly.test.hdfgroup.org").status, 403);
  EXPECT_EQ(call("PUT", "/groups/" + root + "/attributes/a", R"({"type":"H5T_STD_I8LE","value":1})", {},
                 "readonly.test.hdfgroup.org")
                .status,
            403);
}

TEST_P(HdfApi, DownloadDomainAsHdf5File) {
  const std::string root = createDomain();
  createDataset(R"({"type":"H5T_STD_I32LE","shape":[4],"link":{"id":")" + root + R"(","name":"d"}})");
  auto r = get("/", {{"Accept", "application/x-hdf5"}});
  if (!hdf5()) {
    EXPECT_EQ(r.status, 501) << "only the hdf5 store can export";
    return;
  }
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(r.header("Content-Type"), "application/x-hdf5");
  ASSERT_GE(r.body.size(), 8u);
  EXPECT_EQ(r.body.substr(0, 8), std::string("\x89HDF\r\n\x1a\n", 8));
  EXPECT_EQ(call("GET", "/", "", {{"Accept", "application/x-hdf5"}}, "hdfgroup.org").status, 501);
}

// ---------------------------------------------------------------------------------- groups

TEST_P(HdfApi, Groups) {
  const std::string root = createDomain();
  auto r = post("/groups", "");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  const std::string anon = o->getValue<std::string>("id");
  for (const char* k : {"id", "created", "lastModified", "attributeCount", "linkCount", "hrefs"})
    EXPECT_TRUE(o->has(k)) << k;
  EXPECT_EQ(r.header("Location"), "http://" + domain() + "/groups/" + anon);
  EXPECT_EQ(r.header("Content-Location"), r.header("Location"));
  for (const char* rel : {"self", "links", "root", "home", "attributes"})
    EXPECT_FALSE(href(o, rel).empty()) << rel;

  r = post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "g1"}})");
  ASSERT_EQ(r.status, 201) << r.reason;
  const std::string g1 = parse(r.body)->getValue<std::string>("id");
  EXPECT_EQ(linked(root, "g1"), g1);
  EXPECT_EQ(post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "g1"}})").status, 409);
  EXPECT_EQ(post("/groups", R"({"link": {"id": ")" + root + R"("}})").status, 400);
  EXPECT_EQ(post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "a/b"}})").status, 400);
  EXPECT_EQ(post("/groups", R"({"link": {"id": "nope", "name": "x"}})").status, 404);
  EXPECT_EQ(post("/groups", "{not json").status, 400);
  EXPECT_EQ(post("/groups", "[1]").status, 400);

  // The collection lists anonymous and linked groups but not the root.
  r = get("/groups");
  ASSERT_EQ(r.status, 200);
  auto ids = parse(r.body)->getArray("groups");
  ASSERT_EQ(ids->size(), 2u);
  std::set<std::string> listed{ids->getElement<std::string>(0), ids->getElement<std::string>(1)};
  EXPECT_EQ(listed, (std::set<std::string>{anon, g1}));
  r = get("/groups?Limit=1");
  EXPECT_EQ(parse(r.body)->getArray("groups")->size(), 1u);
  const std::string first = parse(r.body)->getArray("groups")->getElement<std::string>(0);
  r = get("/groups?Limit=1&Marker=" + first);
  ASSERT_EQ(parse(r.body)->getArray("groups")->size(), 1u);
  EXPECT_NE(parse(r.body)->getArray("groups")->getElement<std::string>(0), first);
  EXPECT_EQ(get("/groups?Limit=x").status, 400);

  r = get("/groups/" + root);
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  EXPECT_EQ(o->getValue<int>("linkCount"), 1);
  EXPECT_FALSE(o->has("links"));
  r = get("/groups/" + root + "?include_links=1");
  o = parse(r.body);
  ASSERT_TRUE(o->has("links"));
  EXPECT_EQ(o->getArray("links")->getObject(0)->getValue<std::string>("title"), "g1");

  EXPECT_EQ(post("/groups/" + g1, "{}").status, 405);
  EXPECT_EQ(del("/groups/" + root).status, 403);
  EXPECT_EQ(get("/groups/nosuchgroup").status, 404);
  r = del("/groups/" + anon);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(href(parse(r.body), "self").empty());
  EXPECT_EQ(get("/groups/" + anon).status, 410);
}

TEST_P(HdfApi, Links) {
  const std::string root = createDomain();
  auto r = post("/groups", "{}");
  const std::string g = parse(r.body)->getValue<std::string>("id");
  const std::string base = "/groups/" + root + "/links/";

  r = put(base + "hard", R"({"id": ")" + g + R"("})");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  EXPECT_EQ(href(o, "self"), "http://" + domain() + base + "hard");
  for (const char* rel : {"root", "home", "owner"}) EXPECT_FALSE(href(o, rel).empty()) << rel;
  ASSERT_EQ(put(base + "soft", R"({"h5path": "/hard"})").status, 201);
  ASSERT_EQ(put(base + "ext", R"({"h5path": "/g1", "h5domain": "tall.test.hdfgroup.org"})").status, 201);
  EXPECT_EQ(put(base + "hard", R"({"id": ")" + g + R"("})").status, 409);
  EXPECT_EQ(put(base + "a%2Fb", R"({"h5path": "/x"})").status, 400);
  EXPECT_EQ(put(base + "bad", R"({"nothing": 1})").status, 400);
  EXPECT_EQ(put(base + "bad", R"({"id": ""})").status, 400);
  EXPECT_EQ(put(base + "bad", R"({"id": 7})").status, 400);
  EXPECT_EQ(put(base + "bad", "").status, 400);
  EXPECT_EQ(put(base + "bad", R"({"id": "no-such-object"})").status, 404);
  EXPECT_EQ(put("/groups/nogroup/links/x", R"({"h5path": "/x"})").status, 404);

  r = get(base + "hard");
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  auto link = o->getObject("link");
  EXPECT_EQ(link->getValue<std::string>("class"), "H5L_TYPE_HARD");
  EXPECT_EQ(link->getValue<std::string>("title"), "hard");
  EXPECT_EQ(link->getValue<std::string>("id"), g);
  EXPECT_EQ(link->getValue<std::string>("collection"), "groups");
  EXPECT_TRUE(o->has("created") && o->has("lastModified"));
  EXPECT_EQ(href(o, "target"), "http://" + domain() + "/groups/" + g);

  link = parse(get(base + "soft").body)->getObject("link");
  EXPECT_EQ(link->getValue<std::string>("class"), "H5L_TYPE_SOFT");
  EXPECT_EQ(link->getValue<std::string>("h5path"), "/hard");
  EXPECT_FALSE(link->has("id"));

  r = get(base + "ext");
  o = parse(r.body);
  link = o->getObject("link");
  EXPECT_EQ(link->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
  EXPECT_EQ(link->getValue<std::string>("h5path"), "/g1");
  EXPECT_EQ(link->getValue<std::string>("h5domain"), "tall.test.hdfgroup.org");
  EXPECT_EQ(href(o, "target"), "http://tall.test.hdfgroup.org/#h5path(/g1)");

  // The list, in name order, paged with Limit and Marker.
  r = get("/groups/" + root + "/links");
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  auto links = o->getArray("links");
  ASSERT_EQ(links->size(), 3u);
  EXPECT_EQ(links->getObject(0)->getValue<std::string>("title"), "ext");
  EXPECT_EQ(links->getObject(1)->getValue<std::string>("title"), "hard");
  EXPECT_EQ(links->getObject(1)->getValue<std::string>("target"), "http://" + domain() + "/groups/" + g);
  EXPECT_EQ(links->getObject(1)->getValue<std::string>("href"), "http://" + domain() + base + "hard");
  for (const char* rel : {"self", "root", "home", "owner"}) EXPECT_FALSE(href(o, rel).empty()) << rel;
  links = parse(get("/groups/" + root + "/links?Limit=1").body)->getArray("links");
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ(links->getObject(0)->getValue<std::string>("title"), "ext");
  links = parse(get("/groups/" + root + "/links?Limit=1&Marker=ext").body)->getArray("links");
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ(links->getObject(0)->getValue<std::string>("title"), "hard");

  EXPECT_EQ(get(base + "missing").status, 404);
  r = del(base + "soft");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(href(parse(r.body), "owner").empty());
  EXPECT_EQ(get(base + "soft").status, 410);
  EXPECT_EQ(del(base + "soft").status, 410);
  EXPECT_EQ(del(base + "never").status, 404);
}

// ---------------------------------------------------------------------------------- datasets

// Cycles: soft links naming each other, and a hard link from a group back to the root. Nothing
// in the API follows soft links, and listings visit each object once; the domain stays usable
// and deletable.
TEST_P(HdfApi, LinkCyclesAreStoredAndListedWithoutLooping) {
  const std::string root = createDomain();
  const std::string base = "/groups/" + root + "/links/";
  ASSERT_EQ(put(base + "a", R"({"h5path": "/b"})").status, 201);
  ASSERT_EQ(put(base + "b", R"({"h5path": "/a"})").status, 201);
  ASSERT_EQ(put(base + "self", R"({"h5path": "/self"})").status, 201);
  const std::string g = parse(post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "g"}})").body)
                            ->getValue<std::string>("id");
  ASSERT_EQ(put("/groups/" + g + "/links/up", R"({"id": ")" + root + R"("})").status, 201);
  ASSERT_EQ(put("/groups/" + g + "/links/again", R"({"id": ")" + g + R"("})").status, 201);

  auto a = get(base + "a");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(parse(a.body)->getObject("link")->getValue<std::string>("h5path"), "/b");
  auto links = get(base);
  ASSERT_EQ(links.status, 200);
  EXPECT_EQ(parse(links.body)->getArray("links")->size(), 4u);
  auto up = get("/groups/" + g + "/links/up");
  ASSERT_EQ(up.status, 200);
  EXPECT_EQ(parse(up.body)->getObject("link")->getValue<std::string>("id"), root);
  auto groups = get("/groups");
  ASSERT_EQ(groups.status, 200);
  EXPECT_EQ(parse(groups.body)->getArray("groups")->size(), 1u) << groups.body;  // g, not the root
  EXPECT_EQ(get("/groups/" + g).status, 200);
  EXPECT_EQ(get("/").status, 200);
  EXPECT_EQ(del("/").status, 200);
}

// Concurrent writers to one domain: value writes to disjoint rows, attribute and link creation
// and ACL-free reads from several connections at once. Every write lands and nothing else does.
TEST_P(HdfApi, ConcurrentWritersToOneDomain) {
  const std::string root = createDomain();
  constexpr int kThreads = 4, kRounds = 8, kCols = 16;
  auto r = post("/datasets", R"({"type": "H5T_STD_I32LE", "shape": [)" + std::to_string(kThreads * kRounds) +
                                 ", " + std::to_string(kCols) + R"(], "link": {"id": ")" + root +
                                 R"(", "name": "d"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string d = parse(r.body)->getValue<std::string>("id");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const int row = i * kThreads + t;
        std::string values = "[";
        for (int j = 0; j < kCols; ++j) values += (j ? "," : "") + std::to_string(row * 100 + j);
        values += "]";
        const std::string sel = "?select=[" + std::to_string(row) + ":" + std::to_string(row + 1) + ",0:16]";
        const std::string name = "t" + std::to_string(t) + "i" + std::to_string(i);
        if (put("/datasets/" + d + "/value" + sel, R"({"value": [)" + values + "]}").status != 200)
          ++failures;
        if (put("/datasets/" + d + "/attributes/" + name,
                R"({"type": "H5T_STD_I32LE", "value": )" + std::to_string(row) + "}")
                .status != 201)
          ++failures;
        if (put("/groups/" + root + "/links/" + name, R"({"h5path": "/d"})").status != 201) ++failures;
        if (get("/datasets/" + d).status != 200) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  r = get("/datasets/" + d + "/value");
  ASSERT_EQ(r.status, 200);
  auto rows = parse(r.body)->getArray("value");
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(kThreads * kRounds));
  for (int row = 0; row < kThreads * kRounds; ++row)
    for (int j = 0; j < kCols; ++j)
      ASSERT_EQ(rows->getArray(row)->getElement<int>(j), row * 100 + j) << row << "," << j;
  EXPECT_EQ(parse(get("/datasets/" + d).body)->getValue<int>("attributeCount"), kThreads * kRounds);
  EXPECT_EQ(parse(get("/groups/" + root + "/links").body)->getArray("links")->size(),
            static_cast<std::size_t>(kThreads * kRounds + 1));
}

TEST_P(HdfApi, CreateDatasets) {
  const std::string root = createDomain();
  auto r = post("/datasets", R"({"type": "H5T_IEEE_F32LE", "shape": [10, 11], "link": {"id": ")" + root +
                                 R"(", "name": "dset"}})");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  const std::string id = o->getValue<std::string>("id");
  for (const char* k : {"id", "attributeCount", "hrefs", "created", "lastModified"})
    EXPECT_TRUE(o->has(k)) << k;
  for (const char* rel : {"self", "root", "attributes", "value"}) EXPECT_FALSE(href(o, rel).empty()) << rel;
  EXPECT_EQ(r.header("Location"), "http://" + domain() + "/datasets/" + id);
  EXPECT_EQ(linked(root, "dset"), id);

  r = get("/datasets/" + id);
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  EXPECT_EQ(compact(o->get("type")), R"({"base":"H5T_IEEE_F32LE","class":"H5T_FLOAT"})");
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[10,11]})");
  for (const char* k : {"creationProperties", "created", "lastModified", "attributeCount"})
    EXPECT_TRUE(o->has(k)) << k;
  EXPECT_NE(href(o, "preview").find("select=[0:10,0:10]"), std::string::npos) << href(o, "preview");
  for (const char* rel : {"self", "root", "attributes", "home"}) EXPECT_FALSE(href(o, rel).empty()) << rel;

  // Shapes: int, omitted (scalar), H5S_NULL; maxdims with 0 = unlimited.
  const std::string one = createDataset(R"({"type": "H5T_STD_I8LE", "shape": 5})");
  EXPECT_EQ(compact(parse(get("/datasets/" + one).body)->get("shape")),
            R"({"class":"H5S_SIMPLE","dims":[5]})");
  EXPECT_NE(href(parse(get("/datasets/" + one).body), "data"), "");
  const std::string scalar = createDataset(R"({"type": "H5T_STD_I64BE"})");
  EXPECT_EQ(compact(parse(get("/datasets/" + scalar).body)->get("shape")), R"({"class":"H5S_SCALAR"})");
  const std::string null = createDataset(R"({"type": "H5T_STD_I64BE", "shape": "H5S_NULL"})");
  EXPECT_EQ(compact(parse(get("/datasets/" + null).body)->get("shape")), R"({"class":"H5S_NULL"})");
  const std::string ext = createDataset(
      R"({"type": "H5T_STD_I32LE", "shape": [4, 5], "maxdims": [0, 5],
          "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [2, 5]}, "fillValue": 42,
                                 "filters": [{"class": "H5Z_FILTER_DEFLATE", "id": 1, "level": 9},
                                             {"class": "H5Z_FILTER_SHUFFLE", "id": 2}]}})");
  o = parse(get("/datasets/" + ext).body);
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[4,5],"maxdims":[0,5]})");
  auto cp = o->getObject("creationProperties");
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->size(), 3u) << compact(cp);  // exactly what was sent
  EXPECT_EQ(cp->getValue<int>("fillValue"), 42);
  EXPECT_EQ(compact(cp->get("layout")), R"({"class":"H5D_CHUNKED","dims":[2,5]})");
  EXPECT_EQ(value(ext, "?select=[0:1,0:2]"), "[[42,42]]");

  // Types: object, compound, vlen string, committed.
  const std::string compound = createDataset(
      R"({"type": {"class": "H5T_COMPOUND", "fields": [{"name": "a", "type": "H5T_STD_I32LE"},
                                                       {"name": "b", "type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD", "length": 4}}]},
          "shape": [2]})");
  o = parse(get("/datasets/" + compound).body);
  EXPECT_EQ(o->getObject("type")->getValue<std::string>("class"), "H5T_COMPOUND");
  r = post("/datatypes", R"({"type": "H5T_STD_U16BE"})");
  ASSERT_EQ(r.status, 201);
  const std::string committed = parse(r.body)->getValue<std::string>("id");
  const std::string uses = createDataset(R"({"type": "datatypes/)" + committed + R"(", "shape": [3]})");
  o = parse(get("/datasets/" + uses).body);
  EXPECT_EQ(o->getObject("type")->getValue<std::string>("base"), "H5T_STD_U16BE");

  // Invalid requests.
  EXPECT_EQ(post("/datasets", R"({"shape": [3]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "badtype"})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/nosuch"})").status, 404);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [-1]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": "big"})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [3.5]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10], "maxdims": [5]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10], "maxdims": [20, 20]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": "H5S_NULL", "maxdims": [20]})").status,
            400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10],
      "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [20]}}})")
                .status,
            400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10],
      "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [2, 2]}}})")
                .status,
            400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10],
      "creationProperties": {"fillValue": "x"}})")
                .status,
            400);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I8LE", "shape": [10],
      "creationProperties": {"filters": [{"class": "H5Z_FILTER_NOPE"}]}})")
                .status,
            400);
  EXPECT_EQ(
      post("/datasets", R"({"type": "H5T_STD_I8LE", "link": {"id": ")" + root + R"(", "name": "dset"}})")
          .status,
      409);
  EXPECT_EQ(post("/datasets/" + id, "{}").status, 405);
}

TEST_P(HdfApi, DatasetCollectionTypeShapeAndDelete) {
  createDomain();
  const std::string a = createDataset(R"({"type": "H5T_STD_I32BE", "shape": [4, 6], "maxdims": [8, 0]})");
  const std::string b = createDataset(R"({"type": "H5T_STD_I32BE", "shape": [2]})");
  auto r = get("/datasets");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("datasets")->size(), 2u);
  EXPECT_EQ(parse(get("/datasets?Limit=1").body)->getArray("datasets")->size(), 1u);

  r = get("/datasets/" + a + "/type");
  ASSERT_EQ(r.status, 200);
  auto o = parse(r.body);
  EXPECT_EQ(compact(o->get("type")), R"({"base":"H5T_STD_I32BE","class":"H5T_INTEGER"})");
  for (const char* rel : {"self", "owner", "root"}) EXPECT_FALSE(href(o, rel).empty()) << rel;

  r = get("/datasets/" + a + "/shape");
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[4,6],"maxdims":[8,0]})");
  EXPECT_TRUE(o->has("created") && o->has("lastModified"));

  r = put("/datasets/" + a + "/shape", R"({"shape": [8, 100]})");
  EXPECT_EQ(r.status, 201) << r.reason;
  EXPECT_TRUE(parse(r.body)->has("hrefs"));
  EXPECT_EQ(compact(parse(get("/datasets/" + a + "/shape").body)->getObject("shape")->get("dims")),
            "[8,100]");
  EXPECT_EQ(put("/datasets/" + a + "/shape", R"({"shape": [9, 100]})").status, 400);  // past maxdims
  EXPECT_EQ(put("/datasets/" + a + "/shape", R"({"shape": [8, 50]})").status, 400);   // smaller
  EXPECT_EQ(put("/datasets/" + a + "/shape", R"({"shape": [8]})").status, 400);       // rank
  EXPECT_EQ(put("/datasets/" + a + "/shape", R"({"dims": [8]})").status, 400);
  EXPECT_EQ(put("/datasets/" + a + "/shape", R"({"extend": 5, "extend_dim": 1})").status, 201);
  EXPECT_EQ(compact(parse(get("/datasets/" + a + "/shape").body)->getObject("shape")->get("dims")),
            "[8,105]");
  EXPECT_EQ(put("/datasets/" + b + "/shape", R"({"shape": 3})").status, 400);  // not extendable

  r = del("/datasets/" + b);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(get("/datasets/" + b).status, 410);
  EXPECT_EQ(get("/datasets/nosuch").status, 404);
  // A group id is not a dataset.
  const std::string root = parse(get("/").body)->getValue<std::string>("root");
  EXPECT_EQ(get("/datasets/" + root).status, 404);
  EXPECT_EQ(get("/datatypes/" + a).status, 404);
}

// ---------------------------------------------------------------------------------- values

TEST_P(HdfApi, JsonValues) {
  createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [10, 10]})");
  std::string rows = "[";
  for (int i = 0; i < 10; ++i) {
    rows += i ? ",[" : "[";
    for (int j = 0; j < 10; ++j) rows += (j ? "," : "") + std::to_string(i * j);
    rows += "]";
  }
  rows += "]";
  auto r = put("/datasets/" + d + "/value", R"({"value": )" + rows + "}");
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_TRUE(r.body.empty());

  EXPECT_EQ(value(d), rows);
  EXPECT_EQ(value(d, "?select=[0:4:2,1:3]"), "[[0,0],[2,4]]");
  EXPECT_EQ(value(d, "?select=[0:10:3,::4]"), "[[0,0,0],[0,12,24],[0,24,48],[0,36,72]]");
  EXPECT_EQ(value(d, "?select=[1,0:4]"), "[[0,1,2,3]]");  // a bare index is one row (not h5serv's empty)
  EXPECT_EQ(value(d, "?select=[9:10,9:10]"), "[[81]]");
  r = get("/datasets/" + d + "/value?select=[0:4:2,1:3]");
  EXPECT_NE(href(parse(r.body), "self").find("select=[0:4:2,1:3]"), std::string::npos);
  for (const char* rel : {"root", "owner", "home"}) EXPECT_FALSE(href(parse(r.body), rel).empty()) << rel;

  for (const char* bad :
       {"[0:11,0:4]", "[0:4", "[a:b,0:1]", "[0:4,]", "[0:4]", "[0:4:0,0:1]", "[5:2,0:1]", "[0:1,0:1,0:1]",
        "[0:4:-1,0:1]", "[-1:2,0:1]", "[0:99999999999999999999,0:1]", "[1.5:2,0:1]", "[,]", "[]"})
    EXPECT_EQ(get(std::string("/datasets/") + d + "/value?select=" + bad).status, 400) << bad;

  // Hyperslab writes with start/stop/step in the body.
  r = put("/datasets/" + d + "/value",
          R"({"start": [0, 0], "stop": [2, 3], "value": [[-1,-2,-3],[-4,-5,-6]]})");
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(value(d, "?select=[0:2,0:4]"), "[[-1,-2,-3,0],[-4,-5,-6,3]]");
  r = put("/datasets/" + d + "/value",
          R"({"start": [0, 0], "stop": [10, 10], "step": [5, 5], "value": [[7,7],[7,7]]})");
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(value(d, "?select=[0:10:5,0:10:5]"), "[[7,7],[7,7]]");
  // ?select= on PUT (h5pyd 0.9 / HSDS) and a 1-row selection given as a flat list.
  EXPECT_EQ(put("/datasets/" + d + "/value?select=[3,0:3]", R"({"value": [1,2,3]})").status, 200);
  EXPECT_EQ(value(d, "?select=[3,0:3]"), "[[1,2,3]]");

  // Client mistakes: wrong counts, wrong element types, bad selections, no value.
  EXPECT_EQ(
      put("/datasets/" + d + "/value", R"({"start": [0, 0], "stop": [2, 2], "value": [1, 2, 3]})").status,
      400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value": [[1]]})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"start": [0, 0], "stop": [1, 1], "value": [["x"]]})").status,
            400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"start": [0], "value": 1})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"start": [0, 0], "stop": [11, 1], "value": 1})").status,
            400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"start": "x", "value": 1})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"nothing": 1})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", "not json").status, 400);
  EXPECT_EQ(put("/datasets/nosuch/value", R"({"value": 1})").status, 404);
}

TEST_P(HdfApi, PointSelections) {
  createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [10, 10]})");
  std::string rows = "[";
  for (int i = 0; i < 10; ++i) {
    rows += i ? ",[" : "[";
    for (int j = 0; j < 10; ++j) rows += (j ? "," : "") + std::to_string(i * j);
    rows += "]";
  }
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": )" + rows + "]}").status, 200);
  auto r = post("/datasets/" + d + "/value", R"({"points": [[0,0],[1,1],[9,9]]})");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[0,1,81]");
  r = post("/datasets/" + d + "/value", R"({"points": [[2,3]]})", {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.body, std::string("\x06\x00\x00\x00", 4));
  EXPECT_EQ(post("/datasets/" + d + "/value", R"({"points": [[10,0]]})").status, 400);
  EXPECT_EQ(post("/datasets/" + d + "/value", R"({"points": [1, 2]})").status, 400);
  EXPECT_EQ(post("/datasets/" + d + "/value", R"({"points": [[1, 2, 3]]})").status, 400);
  EXPECT_EQ(post("/datasets/" + d + "/value", R"({"points": "all"})").status, 400);
  EXPECT_EQ(post("/datasets/" + d + "/value", R"({})").status, 400);

  // Writing points.
  r = put("/datasets/" + d + "/value", R"({"points": [[0,9],[9,0]], "value": [100, 200]})");
  EXPECT_EQ(r.status, 200) << r.reason;
  r = post("/datasets/" + d + "/value", R"({"points": [[0,9],[9,0]]})");
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[100,200]");
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"points": [[0,9]], "value": [1, 2]})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"points": [[0,9]], "start": [0,0], "value": [1]})").status,
            400);

  // Rank 1 takes plain ints.
  const std::string v = createDataset(R"({"type": "H5T_IEEE_F64LE", "shape": [5]})");
  ASSERT_EQ(put("/datasets/" + v + "/value", R"({"value": [0.5, 1.5, 2.5, 3.5, 4.5]})").status, 200);
  r = post("/datasets/" + v + "/value", R"({"points": [4, 0]})");
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[4.5,0.5]");
  const std::string s = createDataset(R"({"type": "H5T_STD_I8LE"})");
  EXPECT_EQ(post("/datasets/" + s + "/value", R"({"points": [0]})").status, 400);
}

TEST_P(HdfApi, ScalarNullAndFillValues) {
  createDomain();
  const std::string s = createDataset(R"({"type": "H5T_IEEE_F64LE"})");
  EXPECT_EQ(put("/datasets/" + s + "/value", R"({"value": 3.25})").status, 200);
  EXPECT_EQ(value(s), "3.25");
  EXPECT_EQ(put("/datasets/" + s + "/value", R"({"start": [0], "value": 3.25})").status, 400);
  EXPECT_EQ(get("/datasets/" + s + "/value?select=[0:1]").status, 400);

  const std::string n = createDataset(R"({"type": "H5T_IEEE_F64LE", "shape": "H5S_NULL"})");
  auto r = get("/datasets/" + n + "/value");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(parse(r.body)->get("value").isEmpty());
  EXPECT_EQ(put("/datasets/" + n + "/value", R"({"value": 1})").status, 400);

  const std::string f = createDataset(
      R"({"type": "H5T_IEEE_F32LE", "shape": [3, 4], "creationProperties": {"fillValue": 42}})");
  ASSERT_EQ(put("/datasets/" + f + "/value", R"({"start": [0,0], "stop": [2,3], "value": [[1,2,3],[4,5,6]]})")
                .status,
            200);
  // Floats stay floats in the JSON text ("1.0", as h5serv writes them).
  auto body = get("/datasets/" + f + "/value").body;
  EXPECT_EQ(body.rfind(R"({"value":[[1.0,2.0,3.0,42.0],[4.0,5.0,6.0,42.0],[42.0,42.0,42.0,42.0]],)", 0), 0u)
      << body;

  // NaN and the infinities: valid JSON both ways (strings, as the type model reads them).
  const std::string nan = createDataset(R"({"type": "H5T_IEEE_F64LE", "shape": [4]})");
  ASSERT_EQ(put("/datasets/" + nan + "/value", R"({"value": ["NaN", "Infinity", "-Infinity", 0.5]})").status,
            200);
  body = get("/datasets/" + nan + "/value").body;
  EXPECT_EQ(body.rfind(R"({"value":["NaN","Infinity","-Infinity",0.5],)", 0), 0u) << body;
  ASSERT_EQ(put("/groups/" + parse(get("/").body)->getValue<std::string>("root") + "/attributes/nan",
                R"({"type": {"class": "H5T_COMPOUND", "fields": [{"name": "x", "type": "H5T_IEEE_F32LE"}]},
                    "value": ["NaN"]})")
                .status,
            201);
  body = get("/groups/" + parse(get("/").body)->getValue<std::string>("root") + "/attributes/nan").body;
  EXPECT_NE(body.find(R"("value":["NaN"])"), std::string::npos) << body;

  // Zero-sized selections keep their nesting.
  const std::string z = createDataset(R"({"type": "H5T_STD_I8LE", "shape": [2, 0]})");
  EXPECT_EQ(value(z), "[[],[]]");
}

TEST_P(HdfApi, BinaryValues) {
  createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32BE", "shape": [4]})");
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": [1, 2, 3, 4]})").status, 200);
  auto r = get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  // In the type's byte order.
  EXPECT_EQ(r.body, std::string("\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4", 16));
  r = get("/datasets/" + d + "/value?select=[2:3]", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, std::string("\0\0\0\3", 4));

  // value_base64
  const std::string bytes("\0\0\0\x0a\0\0\0\x0b", 8);
  r = put("/datasets/" + d + "/value",
          R"({"start": [1], "stop": [3], "value_base64": ")" + base64(bytes) + "\"}");
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(value(d), "[1,10,11,4]");
  r = put("/datasets/" + d + "/value", R"({"value_base64": ")" + base64(bytes) + "\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("Expected: 16 bytes, but got: 8"), std::string::npos) << r.reason;
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value_base64": "!!not base64!!"})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value_base64": "AAAAAAA"})").status, 400);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value_base64": 12})").status, 400);

  // A raw binary body with ?select=.
  r = put("/datasets/" + d + "/value?select=[0:2]", std::string("\0\0\0\x63\0\0\0\x64", 8),
          {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(value(d), "[99,100,11,4]");
  r = put("/datasets/" + d + "/value", std::string(15, '\0'), {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 400);
  r = put("/datasets/" + d + "/value", std::string(16, '\0'), {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(value(d), "[0,0,0,0]");

  // Variable-length types travel as JSON only.
  const std::string v = createDataset(
      R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}, "shape": [2]})");
  ASSERT_EQ(put("/datasets/" + v + "/value", R"({"value": ["hello", "wörld"]})").status, 200);
  r = get("/datasets/" + v + "/value", {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(compact(parse(r.body)->get("value")), R"(["hello","wörld"])");
  EXPECT_EQ(put("/datasets/" + v + "/value", R"({"value_base64": "AAAA"})").status, 400);
  EXPECT_EQ(put("/datasets/" + v + "/value", "abcd", {{"Content-Type", "application/octet-stream"}}).status,
            400);
}

TEST_P(HdfApi, LargeValuesStream) {
  createDomain();
  // 2 Mi doubles: 16 MiB binary, about 40 MiB as JSON; both go out streamed.
  const std::string d = createDataset(R"({"type": "H5T_IEEE_F64LE", "shape": [2048, 1024]})");
  std::string raw(2048u * 1024u * 8u, '\0');
  for (std::size_t i = 0; i < 2048u * 1024u; ++i) {
    const double x = static_cast<double>(i) * 0.5;
    std::memcpy(&raw[i * 8], &x, 8);
  }
  auto r = put("/datasets/" + d + "/value", raw, {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  r = get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), std::to_string(raw.size()));
  EXPECT_TRUE(r.body == raw);
  r = get("/datasets/" + d + "/value");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
  auto o = parse(r.body);
  auto rowsArr = o->getArray("value");
  ASSERT_EQ(rowsArr->size(), 2048u);
  EXPECT_EQ(rowsArr->getArray(2047)->getElement<double>(1023), (2048.0 * 1024.0 - 1) * 0.5);
  EXPECT_FALSE(href(o, "self").empty());

  // Variable-length elements that straddle the blocks a store hands out (about 8 MiB packed).
  const std::size_t n = 200000;
  const std::string v = createDataset(R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_UTF8",
      "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}, "shape": [)" +
                                      std::to_string(n) + "]}");
  std::string list = "[";
  for (std::size_t i = 0; i < n; ++i)
    list += (i ? ",\"" : "\"") + std::string(i % 50, 'x') + std::to_string(i) + "\"";
  list += "]";
  r = put("/datasets/" + v + "/value", R"({"value": )" + list + "}");
  ASSERT_EQ(r.status, 200) << r.reason;
  r = get("/datasets/" + v + "/value");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("{\"value\":" + list + ",", 0), 0u);
}

TEST_P(HdfApi, Queries) {
  createDomain();
  const std::string d = createDataset(
      R"({"type": {"class": "H5T_COMPOUND", "fields": [
           {"name": "date", "type": "H5T_STD_I32LE"},
           {"name": "wind", "type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD", "length": 4}},
           {"name": "temp", "type": "H5T_IEEE_F32LE"}]}, "shape": [5]})");
  ASSERT_EQ(
      put("/datasets/" + d + "/value",
          R"({"value": [[21, "W 5", 1.5], [22, "N 3", 2.5], [23, "W 5", 3.5], [24, "E 1", 4.5], [25, "W 5", 5.5]]})")
          .status,
      200);
  auto q = [&](const std::string& query) {
    auto r = get("/datasets/" + d + "/value?query=" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.reason;
    auto o = parse(r.body);
    return compact(o->get("index")) + " " + compact(o->get("value"));
  };
  EXPECT_EQ(q("date%20==%2023"), R"([2] [[23,"W 5",3.5]])");
  EXPECT_EQ(q("(date%20>=22)%20%26%20(date%20<=%2024)"),
            "[1,2,3] " + std::string(R"([[22,"N 3",2.5],[23,"W 5",3.5],[24,"E 1",4.5]])"));
  EXPECT_EQ(q("wind%20==%20b'W%205'"), R"([0,2,4] [[21,"W 5",1.5],[23,"W 5",3.5],[25,"W 5",5.5]])");
  EXPECT_EQ(q("(temp%20<%202)%20|%20(date%20==%2025)"), R"([0,4] [[21,"W 5",1.5],[25,"W 5",5.5]])");
  EXPECT_EQ(q("wind%20==%20'W%205'&Limit=2"), R"([0,2] [[21,"W 5",1.5],[23,"W 5",3.5]])");
  EXPECT_EQ(q("wind%20==%20'W%205'&select=[1:5]"), R"([2,4] [[23,"W 5",3.5],[25,"W 5",5.5]])");
  EXPECT_EQ(q("~(date%20>%2021)"), R"([0] [[21,"W 5",1.5]])");
  EXPECT_EQ(q("date%20>%20100"), "[] []");
  auto r = get("/datasets/" + d + "/value?query=date%20==%2023");
  EXPECT_NE(href(parse(r.body), "self").find("query="), std::string::npos);

  for (const char* bad :
       {"date%20==", "nofield%20==%201", "date%20==%20'x'", "(date%20==%201", "date%20~%201", "date"})
    EXPECT_EQ(get("/datasets/" + d + "/value?query=" + bad).status, 400) << bad;
  EXPECT_EQ(get("/datasets/" + d + "/value?query=date%20==%201&Limit=x").status, 400);
  const std::string plain = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [5]})");
  EXPECT_EQ(get("/datasets/" + plain + "/value?query=date%20==%201").status, 400);
}

// ---------------------------------------------------------------------------------- attributes

TEST_P(HdfApi, Attributes) {
  const std::string root = createDomain();
  const std::string base = "/groups/" + root + "/attributes";
  auto r = put(base + "/a1", R"({"type": "H5T_STD_I32LE", "shape": [3], "value": [1, 2, 3]})");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  EXPECT_EQ(href(o, "self"), "http://" + domain() + base + "/a1");  // with /attributes/ (h5serv drops it)
  EXPECT_FALSE(href(o, "owner").empty());
  ASSERT_EQ(put(base + "/scalar", R"({"type": "H5T_IEEE_F64LE", "value": 42.5})").status, 201);
  ASSERT_EQ(put(base + "/str", R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII",
      "strPad": "H5T_STR_NULLPAD", "length": 5}, "shape": [2], "value": ["ab", "cdefg"]})")
                .status,
            201);
  ASSERT_EQ(put(base + "/nothing", R"({"type": "H5T_STD_I8LE", "shape": "H5S_NULL"})").status, 201);
  ASSERT_EQ(put(base + "/with%20space", R"({"type": "H5T_STD_I8LE", "value": 1})").status, 201);

  EXPECT_EQ(put(base + "/a1", R"({"type": "H5T_STD_I32LE", "value": 7})").status, 409);
  EXPECT_EQ(put(base + "/a1?replace=1", R"({"type": "H5T_STD_I32LE", "value": 7})").status, 201);
  EXPECT_EQ(put(base + "/bad", R"({"value": 7})").status, 400);
  EXPECT_EQ(put(base + "/bad", R"({"type": "H5T_STD_I32LE"})").status, 400);
  EXPECT_EQ(put(base + "/bad", R"({"type": "H5T_STD_I32LE", "shape": [2], "value": [1]})").status, 400);
  EXPECT_EQ(put(base + "/bad", R"({"type": "H5T_STD_I8LE", "value": 300})").status, 400);
  EXPECT_EQ(put(base + "/bad", R"({"type": "nope", "value": 1})").status, 400);

  r = get(base);
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  auto list = o->getArray("attributes");
  ASSERT_EQ(list->size(), 5u);
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto a = list->getObject(i);
    for (const char* k : {"name", "type", "shape", "created", "lastModified", "href"})
      EXPECT_TRUE(a->has(k)) << k;
    EXPECT_FALSE(a->has("value"));
  }
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("name"), "a1");
  for (const char* rel : {"self", "owner", "root", "home"}) EXPECT_FALSE(href(o, rel).empty()) << rel;
  EXPECT_EQ(parse(get(base + "?Limit=2").body)->getArray("attributes")->size(), 2u);
  list = parse(get(base + "?Limit=1&Marker=a1").body)->getArray("attributes");
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("name"), "nothing");

  o = parse(get(base + "/a1").body);
  EXPECT_EQ(o->getValue<std::string>("name"), "a1");
  EXPECT_EQ(o->getValue<int>("value"), 7);
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SCALAR"})");
  EXPECT_EQ(compact(parse(get(base + "/str").body)->get("value")), R"(["ab","cdefg"])");
  EXPECT_EQ(compact(parse(get(base + "/scalar").body)->get("value")), "42.5");
  EXPECT_TRUE(parse(get(base + "/nothing").body)->get("value").isEmpty());
  EXPECT_EQ(get(base + "/with%20space").status, 200);
  EXPECT_EQ(parse(get("/groups/" + root).body)->getValue<int>("attributeCount"), 5);

  r = del(base + "/a1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(get(base + "/a1").status, 404);
  EXPECT_EQ(del(base + "/a1").status, 404);
  EXPECT_EQ(get("/groups/nosuch/attributes").status, 404);

  // On datasets and committed datatypes too; the collection must match the object.
  const std::string d = createDataset(R"({"type": "H5T_STD_I8LE", "shape": [2]})");
  EXPECT_EQ(put("/datasets/" + d + "/attributes/units", R"({"type": {"class": "H5T_STRING",
      "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}, "value": "m/s"})")
                .status,
            201);
  EXPECT_EQ(compact(parse(get("/datasets/" + d + "/attributes/units").body)->get("value")), R"("m/s")");
  EXPECT_EQ(parse(get("/datasets/" + d).body)->getValue<int>("attributeCount"), 1);
  EXPECT_EQ(get("/groups/" + d + "/attributes").status, 404);
  r = post("/datatypes", R"({"type": "H5T_STD_I8LE"})");
  const std::string t = parse(r.body)->getValue<std::string>("id");
  EXPECT_EQ(put("/datatypes/" + t + "/attributes/x", R"({"type": "H5T_STD_I8LE", "value": 5})").status, 201);
  EXPECT_EQ(parse(get("/datatypes/" + t + "/attributes").body)->getArray("attributes")->size(), 1u);
  EXPECT_EQ(del("/datatypes/" + t + "/attributes/x").status, 200);
}

TEST_P(HdfApi, Datatypes) {
  const std::string root = createDomain();
  auto r = post("/datatypes", R"({"type": {"class": "H5T_COMPOUND", "fields": [
      {"name": "temp", "type": "H5T_STD_I32LE"}, {"name": "pressure", "type": "H5T_IEEE_F32LE"}]},
      "link": {"id": ")" + root + R"(", "name": "dtype_compound"}})");
  ASSERT_EQ(r.status, 201) << r.reason;
  auto o = parse(r.body);
  const std::string id = o->getValue<std::string>("id");
  EXPECT_EQ(o->getValue<int>("attributeCount"), 0);
  for (const char* rel : {"self", "root", "attributes"}) EXPECT_FALSE(href(o, rel).empty()) << rel;
  EXPECT_EQ(r.header("Location"), "http://" + domain() + "/datatypes/" + id);
  EXPECT_EQ(linked(root, "dtype_compound"), id);
  auto link = parse(get("/groups/" + root + "/links/dtype_compound").body)->getObject("link");
  EXPECT_EQ(link->getValue<std::string>("collection"), "datatypes");

  r = get("/datatypes/" + id);
  ASSERT_EQ(r.status, 200);
  o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("id"), id);
  auto fields = o->getObject("type")->getArray("fields");
  ASSERT_EQ(fields->size(), 2u);
  EXPECT_EQ(fields->getObject(0)->getValue<std::string>("name"), "temp");
  EXPECT_EQ(fields->getObject(1)->getObject("type")->getValue<std::string>("base"), "H5T_IEEE_F32LE");
  for (const char* k : {"created", "lastModified", "attributeCount"}) EXPECT_TRUE(o->has(k)) << k;

  for (const char* t : {"H5T_STD_I8LE", "H5T_STD_U8LE", "H5T_STD_I64BE", "H5T_IEEE_F64LE"})
    EXPECT_EQ(post("/datatypes", std::string(R"({"type": ")") + t + "\"}").status, 201) << t;
  EXPECT_EQ(parse(get("/datatypes").body)->getArray("datatypes")->size(), 5u);
  EXPECT_EQ(post("/datatypes", R"({"type": "H5T_NOPE"})").status, 400);
  EXPECT_EQ(post("/datatypes", R"({"nothing": 1})").status, 400);
  EXPECT_EQ(post("/datatypes", R"({"type": {"class": "H5T_COMPOUND", "fields": 3}})").status, 400);

  r = del("/datatypes/" + id);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(get("/datatypes/" + id).status, 410);
}

// ---------------------------------------------------------------------------------- ACLs

TEST_P(HdfApi, Acls) {
  const std::string root = createDomain();
  const auto user1 = basicAuth("test_user1", "test");
  const auto user2 = basicAuth("test_user2", "test");
  auto r = post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "g1"}})");
  const std::string g1 = parse(r.body)->getValue<std::string>("id");

  // The default ACL allows everything, even anonymous ACL changes (as h5serv).
  r = get("/acls");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(put("/acls/test_user2", R"({"create": true, "read": true, "update": true, "delete": true,
                                        "readACL": true, "updateACL": true})")
                .status,
            201);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": true, "create": false, "update": false, "delete": false,
                                        "readACL": false, "updateACL": false})")
                .status,
            201);
  EXPECT_EQ(put("/acls/default", R"({"read": false, "create": false, "update": false, "delete": false,
                                     "readACL": false, "updateACL": false})")
                .status,
            201);
  r = put("/acls/default", R"({"read": false})");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": "yes"})", {{"Authorization", user2}}).status, 400);
  EXPECT_EQ(put("/acls/test_user1", R"({"other": true})", {{"Authorization", user2}}).status, 400);

  // Reads: anonymous 401, test_user1 200.
  EXPECT_EQ(get("/").status, 401);
  EXPECT_EQ(get("/groups/" + g1).status, 401);
  EXPECT_EQ(get("/groups/" + g1, {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(get("/", {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(call("GET", "/", "", {{"Authorization", basicAuth("test_user1", "wrong")}}).status, 401);
  // Writes: anonymous 401, test_user1 403, test_user2 201.
  const std::string attr = R"({"type": "H5T_STD_I32LE", "value": 42})";
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr).status, 401);
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr, {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr, {{"Authorization", user2}}).status, 201);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I32LE"})").status, 401);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I32LE"})", {{"Authorization", user1}}).status, 403);
  r = post("/datasets", R"({"type": "H5T_STD_I32LE", "shape": [2]})", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 201);
  const std::string d = parse(r.body)->getValue<std::string>("id");
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value": [1, 2]})", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value": [1, 2]})", {{"Authorization", user2}}).status, 200);
  EXPECT_EQ(get("/datasets/" + d + "/value").status, 401);
  EXPECT_EQ(get("/datasets/" + d + "/value", {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(del("/groups/" + root + "/attributes/a1", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(del("/groups/" + root + "/attributes/a1", {{"Authorization", user2}}).status, 200);
  EXPECT_EQ(del("/", {{"Authorization", user1}}).status, 403);

  // Reading ACLs needs readACL.
  EXPECT_EQ(get("/acls").status, 401);
  EXPECT_EQ(get("/acls", {{"Authorization", user1}}).status, 403);
  r = get("/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  auto acls = parse(r.body)->getArray("acls");
  ASSERT_EQ(acls->size(), 3u);
  EXPECT_EQ(acls->getObject(0)->getValue<std::string>("userName"), "test_user2");
  r = get("/acls/test_user1", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  auto acl = parse(r.body)->getObject("acl");
  EXPECT_EQ(acl->size(), 7u);
  EXPECT_EQ(acl->getValue<std::string>("userName"), "test_user1");
  EXPECT_TRUE(acl->getValue<bool>("read"));
  EXPECT_FALSE(acl->getValue<bool>("update"));
  EXPECT_FALSE(
      parse(get("/acls/default", {{"Authorization", user2}}).body)->getObject("acl")->getValue<bool>("read"));

  // Object ACLs: an object's own entries come first.
  r = get("/datasets/" + d + "/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(get("/datasets/" + d + "/acls", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/groups/" + g1 + "/acls/default", R"({"read": true})", {{"Authorization", user2}}).status,
            201);
  EXPECT_EQ(get("/groups/" + g1).status, 200);    // anonymous may now read g1
  EXPECT_EQ(get("/groups/" + root).status, 401);  // but not the root
  EXPECT_EQ(
      put("/groups/" + g1 + "/acls/test_user1", R"({"create": true})", {{"Authorization", user2}}).status,
      201);
  EXPECT_EQ(put("/groups/" + g1 + "/links/x", R"({"h5path": "/"})", {{"Authorization", user1}}).status, 201);
  r = get("/groups/" + g1 + "/acls", {{"Authorization", user2}});
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 2u);
  EXPECT_EQ(get("/datatypes/" + d + "/acls", {{"Authorization", user2}}).status, 404);

  // Deleting the domain drops its ACLs: a new domain of the same name is open again.
  EXPECT_EQ(del("/", {{"Authorization", user2}}).status, 200);
  createDomain();
  EXPECT_EQ(get("/").status, 200);
}

TEST_P(HdfApi, AclUserNamesMustBeKnown) {
  const std::string root = createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [2]})");
  const auto user1 = basicAuth("test_user1", "test");
  const auto user2 = basicAuth("test_user2", "test");
  auto messageOf = [](const HttpResult& r) { return parse(r.body)->optValue<std::string>("message", ""); };

  // PUT for a name that is neither "default" nor a user of the server: 400 (h5serv's
  // "username not found"), naming the user, and nothing is stored.
  for (const std::string& path :
       {std::string("/acls/nobody"), "/groups/" + root + "/acls/nobody", "/datasets/" + d + "/acls/nobody"}) {
    auto r = put(path, R"({"read": true})");
    EXPECT_EQ(r.status, 400) << path << " " << r.reason;
    EXPECT_NE(r.reason.find("nobody"), std::string::npos) << r.reason;
    EXPECT_NE(messageOf(r).find("'nobody' not found"), std::string::npos) << r.body;
  }
  // User names are exact: no case folding, no trimming.
  EXPECT_EQ(put("/acls/Test_User1", R"({"read": true})").status, 400);
  EXPECT_EQ(put("/acls/test_user1%20", R"({"read": true})").status, 400);
  EXPECT_EQ(put("/acls/Default", R"({"read": true})").status, 400);
  auto r = get("/acls");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(parse(get("/groups/" + root + "/acls").body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(parse(get("/datasets/" + d + "/acls").body)->getArray("acls")->size(), 0u);

  // GET of an unknown user's ACL: 404 (h5serv's "username does not exist"), naming the user.
  r = get("/acls/nobody");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(messageOf(r).find("'nobody'"), std::string::npos) << r.body;
  EXPECT_EQ(get("/datasets/" + d + "/acls/nobody").status, 404);

  // Users of the server and "default" are accepted.
  EXPECT_EQ(put("/datasets/" + d + "/acls/test_user1", R"({"read": true})").status, 201);
  EXPECT_EQ(get("/datasets/" + d + "/acls/test_user1").status, 200);
  EXPECT_EQ(put("/acls/test_user2", R"({"read": true, "readACL": true, "updateACL": true})").status, 201);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": true})").status, 201);
  EXPECT_EQ(put("/acls/default", R"({"read": false, "create": false, "update": false, "delete": false,
                                     "readACL": false, "updateACL": false})")
                .status,
            201);
  r = get("/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 3u);

  // The permission is checked first: who may not change (or read) the ACLs does not learn
  // which users exist.
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})").status, 401);
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})", {{"Authorization", user2}}).status, 400);
  EXPECT_EQ(get("/acls/nobody").status, 401);
  EXPECT_EQ(get("/acls/nobody", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(get("/acls/nobody", {{"Authorization", user2}}).status, 404);
}

// ---------------------------------------------------------------------------------- protocol

TEST_P(HdfApi, EtagsAndConditionalGets) {
  const std::string root = createDomain();
  auto a = get("/groups/" + root);
  auto b = get("/groups/" + root);
  ASSERT_FALSE(a.header("Etag").empty());
  EXPECT_EQ(a.header("Etag"), b.header("Etag"));
  auto c = get("/groups/" + root, {{"If-None-Match", a.header("Etag")}});
  EXPECT_EQ(c.status, 304);
  ASSERT_EQ(put("/groups/" + root + "/attributes/x", R"({"type": "H5T_STD_I8LE", "value": 1})").status, 201);
  auto d = get("/groups/" + root, {{"If-None-Match", a.header("Etag")}});
  EXPECT_EQ(d.status, 200);
  EXPECT_NE(d.header("Etag"), a.header("Etag"));
  const std::string ds = createDataset(R"({"type": "H5T_STD_I8LE", "shape": [3]})");
  EXPECT_FALSE(get("/datasets/" + ds + "/value").header("Etag").empty());
  // CORS comes from the core.
  EXPECT_EQ(a.header("Access-Control-Allow-Origin"), "*");
}

TEST_P(HdfApi, UnknownRoutesAndMethods) {
  createDomain();
  EXPECT_EQ(get("/groups/x/y/z").status, 404);
  EXPECT_EQ(call("PATCH", "/groups", "{}").status, 405);
  EXPECT_EQ(del("/datasets").status, 405);
}

// ---------------------------------------------------------------------------------- h5py

TEST_P(HdfApi, ReadsFilesWrittenByH5py) {
  if (!hdf5()) GTEST_SKIP() << "h5py files need the hdf5 backend";
  const std::string host = "h5py_tall.test.hdfgroup.org";
  auto r = call("GET", "/", "", {}, host);
  ASSERT_EQ(r.status, 200) << r.reason;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  auto g = [&](const std::string& path, std::map<std::string, std::string> h = {}) {
    h["Host"] = host;
    return server().request("GET", path, "", h);
  };
  auto id = [&](const std::string& group, const std::string& name) {
    return parse(g("/groups/" + group + "/links/" + name).body)
        ->getObject("link")
        ->getValue<std::string>("id");
  };
  const std::string g1 = id(root, "g1");
  const std::string g11 = id(g1, "g1.1");
  const std::string dset = id(g11, "dset1.1.1");

  r = g("/datasets/" + dset);
  ASSERT_EQ(r.status, 200);
  auto o = parse(r.body);
  EXPECT_EQ(compact(o->get("type")), R"({"base":"H5T_STD_I32BE","class":"H5T_INTEGER"})");
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[10,10]})");
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/value?select=[0:4:2,1:3]").body)->get("value")),
            "[[1,2],[21,22]]");
  r = g("/datasets/" + dset + "/value?select=[0:1,0:2]", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, std::string("\0\0\0\0\0\0\0\1", 8));
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/attributes/units").body)->get("value")), R"("meters")");
  EXPECT_EQ(compact(parse(g("/groups/" + root + "/attributes/attr1").body)->get("value")),
            "[104,101,108,108,111]");

  auto soft = parse(g("/groups/" + root + "/links/soft").body)->getObject("link");
  EXPECT_EQ(soft->getValue<std::string>("class"), "H5L_TYPE_SOFT");
  EXPECT_EQ(soft->getValue<std::string>("h5path"), "/g1");
  auto ext = parse(g("/groups/" + root + "/links/ext").body)->getObject("link");
  EXPECT_EQ(ext->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
  EXPECT_EQ(ext->getValue<std::string>("h5path"), "/x");

  const std::string floats = id(root, "floats");
  EXPECT_EQ(g("/datasets/" + floats + "/value").body.rfind(R"({"value":[0.0,0.25,0.5,0.75,1.0],)", 0), 0u);
  const std::string weather = id(root, "weather");
  r = g("/datasets/" + weather + "/value?query=wind%20==%20b'W%205'%20%26%20(temp%20>%202)");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(compact(parse(r.body)->get("index")), "[2,4]");
  const std::string chunked = id(root, "chunked");
  o = parse(g("/datasets/" + chunked).body);
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[1000],"maxdims":[0]})");
  EXPECT_EQ(compact(o->getObject("creationProperties")->get("layout")),
            R"({"class":"H5D_CHUNKED","dims":[100]})");
  EXPECT_EQ(compact(parse(g("/datasets/" + chunked + "/value?select=[998:1000]").body)->get("value")),
            "[998,999]");
  const std::string strings = id(root, "strings");
  EXPECT_EQ(compact(parse(g("/datasets/" + strings + "/value").body)->get("value")), R"(["ab","cde"])");
}

TEST_P(HdfApi, DomainWrittenThroughTheApiOpensInH5py) {
  if (!hdf5()) GTEST_SKIP() << "only the hdf5 backend writes .h5 files";
  const std::string root = createDomain();
  auto r = post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "grp"}})");
  const std::string grp = parse(r.body)->getValue<std::string>("id");
  const std::string d = createDataset(R"({"type": "H5T_IEEE_F32BE", "shape": [3, 4], "maxdims": [0, 4],
      "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [2, 4]}, "fillValue": -1,
      "filters": [{"class": "H5Z_FILTER_DEFLATE", "id": 1, "level": 5}]},
      "link": {"id": ")" + grp + R"(", "name": "data"}})");
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"start": [0, 0], "stop": [2, 4],
      "value": [[1, 2, 3, 4], [5, 6, 7, 8]]})")
                .status,
            200);
  ASSERT_EQ(put("/datasets/" + d + "/attributes/units", R"({"type": {"class": "H5T_STRING",
      "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}, "value": "K"})")
                .status,
            201);
  ASSERT_EQ(put("/groups/" + root + "/links/alias", R"({"h5path": "/grp/data"})").status, 201);
  ASSERT_EQ(put("/datasets/" + d + "/shape", R"({"shape": [4, 4]})").status, 201);

  // The live file (the server keeps it open: HDF5's file lock must be off for a second
  // reader) and the copy that GET / with Accept: application/x-hdf5 downloads.
  const std::string leaf = domain().substr(0, domain().find('.'));
  const std::string live = server().dir() + "/data/test/" + leaf + ".h5";
  const std::string copy = server().dir() + "/download.h5";
  auto file = get("/", {{"Accept", "application/x-hdf5"}});
  ASSERT_EQ(file.status, 200) << file.reason;
  writeFile(copy, file.body);
  for (const std::string& path : {live, copy}) {
    auto [rc, out] = runPython(server().dir(), R"PY(
import os
os.environ['HDF5_USE_FILE_LOCKING'] = 'FALSE'
import h5py, numpy as np
with h5py.File(')PY" + path + R"PY(', 'r') as f:
    d = f['grp/data']
    assert d.dtype == np.dtype('>f4'), d.dtype
    assert d.shape == (4, 4), d.shape
    assert d.maxshape == (None, 4), d.maxshape
    assert d.chunks == (2, 4), d.chunks
    assert d.compression == 'gzip', d.compression
    expect = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [-1] * 4, [-1] * 4], dtype='f4')
    assert (d[...] == expect).all(), d[...]
    u = d.attrs['units']
    assert (u.decode() if isinstance(u, bytes) else u) == 'K', u
    assert isinstance(f.get('alias', getlink=True), h5py.SoftLink)
    assert (f['alias'][0] == expect[0]).all()
print('ok')
)PY");
    EXPECT_EQ(rc, 0) << path << ": " << out;
    EXPECT_NE(out.find("ok"), std::string::npos) << out;
  }
}

// Request bodies past the limits: a JSON body over plugins.hdf.maxJsonBytes and a raw binary
// body over server.maxBodyBytes are 413 in h5serv's error form, and the values stay as they were.
TEST(HdfConfig, OversizedBodiesAre413AndChangeNothing) {
  ServerProcess s({{"plugins.load", "hdf"},
                   {"stores.arrays.default.backend", "memory"},
                   {"stores.entities.default.backend", "memory"},
                   {"auth.anonymousWrites", "true"},
                   {"plugins.hdf.maxJsonBytes", "1K"},
                   {"server.maxBodyBytes", "64K"}});
  const std::map<std::string, std::string> host{{"Host", "big.test.hdfgroup.org"},
                                                {"Content-Type", "application/json"}};
  ASSERT_EQ(s.request("PUT", "/", "", host).status, 201);
  auto r = s.request("POST", "/datasets", R"({"type": "H5T_STD_U8LE", "shape": [100000]})", host);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id =
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
  const std::string value = "/datasets/" + id + "/value";
  ASSERT_EQ(s.request("PUT", value + "?select=[0:4]", R"({"value": [1, 2, 3, 4]})", host).status, 200);

  std::string list = "{\"value\": [";
  for (int i = 0; i < 600; ++i) list += i ? ",7" : "7";
  list += "], \"start\": 0, \"stop\": 600}";
  r = s.request("PUT", value, list, host);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"status\":413"), std::string::npos) << r.body;

  auto binary = host;
  binary["Content-Type"] = "application/octet-stream";
  r = s.request("PUT", value + "?select=[0:100000]", std::string(100000, '\x05'), binary);
  EXPECT_EQ(r.status, 413) << r.body;

  r = s.request("GET", value + "?select=[0:6]", "", host);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(compact(Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->get("value")),
            "[1,2,3,4,0,0]");
  EXPECT_TRUE(s.running());
}

TEST(HdfConfig, BadSettingsStopTheServerAtStartUp) {
  const std::map<std::string, std::string> base = {{"plugins.load", "hdf"},
                                                   {"stores.arrays.default.backend", "memory"},
                                                   {"stores.entities.default.backend", "memory"},
                                                   {"auth.anonymousWrites", "true"}};
  auto with = [&](const std::string& key, const std::string& value) {
    auto cfg = base;
    cfg[key] = value;
    return runServerExpectingExit(cfg);
  };
  auto [code, out] = with("plugins.hdf.domain", ".hdfgroup.org");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.domain"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.homeDir", "a/b");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.homeDir"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.maxTombstones", "-1");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.maxTombstones"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.bogus", "1");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.bogus"), std::string::npos) << out;
  // ACLs need an entities store unless they are switched off.
  auto cfg = base;
  cfg.erase("stores.entities.default.backend");
  std::tie(code, out) = runServerExpectingExit(cfg);
  EXPECT_NE(code, 0) << out;
  cfg["plugins.hdf.acls"] = "false";
  ServerProcess s(cfg);
  auto r = s.request("PUT", "/", "", {{"Host", "noacl.test.hdfgroup.org"}});
  EXPECT_EQ(r.status, 201);
  r = s.request("PUT", "/acls/x", R"({"read": false})", {{"Host", "noacl.test.hdfgroup.org"}});
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(s.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, HdfApi, ::testing::Values("memory", "hdf5", "rocksdb"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace strata::test
