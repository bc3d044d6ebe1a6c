// The hdf endpoint plugin's domains: server info, creating, finding and deleting domains, the
// table of contents, read-only and corrupt files, downloads. Also the one instantiation of the
// HdfApi suite, for every backend, which runs the HdfApi tests of every hdf_*_test.cpp file.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

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
  // A path domain is the HSDS dialect: ids carry their kind ("g-").
  r = call("GET", "/?domain=" + container, "", {{"Host", "localhost"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("root"), "g-" + root);
  EXPECT_EQ(href(o, "self"), "http://localhost/?domain=" + container);
  // HSDS's header.
  r = call("GET", "/", "", {{"Host", "localhost"}, {"X-Hdf-domain", container}});
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), "g-" + root);
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
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), "g-" + root);
  // ?host= arrives with %2E decoded: the server tries the dotted reading too (as h5serv).
  r = call("GET", "/?host=a.b.test.hdfgroup.org", "", {}, "localhost");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);

  const std::string home = createDomain("mine.test_user1.home.hdfgroup.org");
  r = call("GET", "/?domain=/home/test_user1/mine.h5", "", {}, "localhost");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), "g-" + home);
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

INSTANTIATE_TEST_SUITE_P(Backends, HdfApi, ::testing::Values("memory", "hdf5", "rocksdb", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace strata::test
