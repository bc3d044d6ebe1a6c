// The hdf plugin's domains as h5serv has them: external links that report domain names, the
// TOC's names of files with spaces, files removed from disk (410), user homes over h5serv's
// data layout, and h5serv's status codes for link names, ACL bodies, null references, /info
// and scalar selections. On every arrays backend; what needs files on disk on hdf5 only.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// The "link" object of GET .../links/{name}, and the target href beside it.
std::pair<Object::Ptr, std::string> linkOf(HttpResult r) {
  EXPECT_EQ(r.status, 200) << r.reason << " " << r.body;
  auto o = parse(r.body);
  auto link = o->getObject("link");
  return {link ? link : Object::Ptr(new Object), href(o, "target")};
}

TEST_P(HdfApi, ExternalLinksReportDomainNames) {
  const std::string root = createDomain();
  const std::string links = "/groups/" + root + "/links/";
  // What a link stores (h5serv's clients send domain names, h5py writes file paths) and the
  // h5domain reported: paths absolute from the data root or relative to this domain's folder
  // ("test"), names relative to the folder's domain, with h5serv's '+' for a space.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tall.test.hdfgroup.org", "tall.test.hdfgroup.org"},
      {"other.h5", "other.test.hdfgroup.org"},
      {"/test/sub/x.h5", "x.sub.test.hdfgroup.org"},
      {"sub/y.h5", "y.sub.test.hdfgroup.org"},
      {"../home/test_user1/z.h5", "z.test_user1.home.hdfgroup.org"},
      {"somefile", "somefile.test.hdfgroup.org"},
      {"with space.h5", "with+space.test.hdfgroup.org"},
      {"example.com", "example.com"},                  // another server's: as stored, no target
      {"../../../etc/passwd", "../../../etc/passwd"},  // outside the data root: as stored
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string name = "e" + std::to_string(i);
    auto r = put(links + name, R"({"h5path": "/g", "h5domain": ")" + cases[i].first + R"("})");
    ASSERT_EQ(r.status, 201) << cases[i].first << " " << r.body;
    auto [link, target] = linkOf(get(links + name));
    EXPECT_EQ(link->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
    EXPECT_EQ(link->getValue<std::string>("h5domain"), cases[i].second) << cases[i].first;
    EXPECT_EQ(link->getValue<std::string>("h5path"), "/g");
    if (i < 6) {
      EXPECT_EQ(target, "http://" + cases[i].second + "/#h5path(/g)") << cases[i].first;
    } else if (i > 6) {
      EXPECT_EQ(target, "") << cases[i].first;
    }
  }
  // The links list says the same.
  auto r = get("/groups/" + root + "/links");
  ASSERT_EQ(r.status, 200);
  auto list = parse(r.body)->getArray("links");
  ASSERT_EQ(list->size(), cases.size());
  for (std::size_t i = 0; i < list->size(); ++i)
    EXPECT_EQ(list->getObject(i)->getValue<std::string>("h5domain"), cases[i].second);
  // A client addressing the domain by path gets paths.
  const std::string leaf = domain().substr(0, domain().find('.'));
  r = call("GET", links + "e1?domain=/test/" + leaf + ".h5", "", {}, "localhost");
  EXPECT_EQ(linkOf(r).first->getValue<std::string>("h5domain"), "/test/other.h5");

  // A target with a space resolves: the '+' of the name and of the target href.
  // A label cannot hold a space: %20 in ?host=.
  ASSERT_EQ(call("PUT", "/?host=with%20space.test.hdfgroup.org", "", {}, "localhost").status, 201);
  r = call("GET", "/", "", {}, "with+space.test.hdfgroup.org");
  EXPECT_EQ(r.status, 200) << r.reason;

  if (!hdf5()) return;
  // The external link h5py wrote into h5py_tall.h5 names the file "other.h5".
  r = call("GET", "/", "", {}, "h5py_tall.test.hdfgroup.org");
  ASSERT_EQ(r.status, 200);
  const std::string tallRoot = parse(r.body)->getValue<std::string>("root");
  auto [ext, target] =
      linkOf(call("GET", "/groups/" + tallRoot + "/links/ext", "", {}, "h5py_tall.test.hdfgroup.org"));
  EXPECT_EQ(ext->getValue<std::string>("h5domain"), "other.test.hdfgroup.org");
  EXPECT_EQ(target, "http://other.test.hdfgroup.org/#h5path(/x)");
}

// The TOC's h5domain of a file whose name has spaces, and a domain whose file is removed from
// disk while the server runs (hdf5): 410 within the TOC's refresh period, as h5serv's watcher.
TEST_P(HdfApi, TocNamesWithSpacesAndFilesRemovedFromDisk) {
  const std::string leaf = domain().substr(0, domain().find('.'));
  auto r = call("PUT", "/?domain=/test/" + leaf + "%20b.h5", "", {}, "localhost");
  ASSERT_EQ(r.status, 201) << r.body;
  // Made through a path domain (the HSDS dialect: "g-" + uuid), read below through DNS names
  // (h5serv's: the uuid alone).
  std::string root = parse(r.body)->getValue<std::string>("root");
  ASSERT_EQ(root.rfind("g-", 0), 0u) << root;
  root = root.substr(2);
  r = call("GET", "/", "", {}, "hdfgroup.org");
  const std::string tocRoot = parse(r.body)->getValue<std::string>("root");
  const std::string test = linkOf(call("GET", "/groups/" + tocRoot + "/links/test", "", {}, "hdfgroup.org"))
                               .first->getValue<std::string>("id");
  auto [link, target] =
      linkOf(call("GET", "/groups/" + test + "/links/" + leaf + "%20b", "", {}, "hdfgroup.org"));
  EXPECT_EQ(link->getValue<std::string>("title"), leaf + " b");
  EXPECT_EQ(link->getValue<std::string>("h5domain"), leaf + "+b.test.hdfgroup.org");
  // Both the name and the target href lead to the domain.
  r = call("GET", "/", "", {}, leaf + "+b.test.hdfgroup.org");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);
  const std::string prefix = "http://hdfgroup.org/";
  ASSERT_EQ(target.compare(0, prefix.size(), prefix), 0) << target;
  r = call("GET", "/" + target.substr(prefix.size()), "", {}, "hdfgroup.org");
  ASSERT_EQ(r.status, 200) << target;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);

  if (!hdf5()) return;
  // A file removed behind the server's back: 410 for the domain and its TOC link.
  createDomain();
  ASSERT_TRUE(std::filesystem::remove(server().dir() + "/data/test/" + leaf + ".h5"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  r = get("/");
  EXPECT_EQ(r.status, 410) << r.reason;
  EXPECT_EQ(call("GET", "/groups/" + test + "/links/" + leaf, "", {}, "hdfgroup.org").status, 410);
  EXPECT_EQ(call("GET", "/", "", {}, "never" + leaf + ".test.hdfgroup.org").status, 404);
  // Made again, it is a domain again.
  EXPECT_EQ(put("/", "").status, 201);
  EXPECT_EQ(get("/").status, 200);
}

// h5serv's status codes: link names, ACL bodies before credentials, null references, /info,
// scalar selections, and folder paths with "..".
TEST_P(HdfApi, StatusCodesAsH5serv) {
  const std::string root = createDomain();
  const std::string group = "/groups/" + root;
  // A link PUT without a name or with '/' in it is 400 (h5serv), not 404/405.
  for (const std::string& path :
       {group + "/links", group + "/links/", group + "/links/a/b", group + "/links/a%2Fb"}) {
    auto r = put(path, R"({"h5path": "/x"})");
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_NE(r.body.find("\"message\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(get(group + "/links/a/b").status, 400);
  EXPECT_EQ(del(group + "/links/a/b").status, 400);
  EXPECT_EQ(put(group + "/links/ok", R"({"h5path": "/x"})").status, 201);
  EXPECT_EQ(get(group + "/links/ok").status, 200);

  // Null object references read as "null", which also writes one.
  const std::string refs = createDataset(R"({"type": "H5T_STD_REF_OBJ", "shape": [3]})");
  ASSERT_EQ(
      put("/datasets/" + refs + "/value", R"({"value": ["groups/)" + root + R"(", "", "null"]})").status,
      200);
  EXPECT_EQ(value(refs), R"(["groups/)" + root + R"(","null","null"])");
  EXPECT_EQ(put("/datasets/" + refs + "/value", R"({"value": ["nil", "", ""]})").status, 400);

  // Scalar datasets take the selections h5py users write: nothing, [], [()], [...].
  const std::string scalar = createDataset(R"({"type": "H5T_STD_I32LE"})");
  ASSERT_EQ(put("/datasets/" + scalar + "/value?select=[()]", R"({"value": 42})").status, 200);
  for (const char* sel : {"", "?select=[]", "?select=[()]", "?select=[...]", "?select=()", "?select=..."})
    EXPECT_EQ(value(scalar, sel), "42") << sel;
  for (const char* sel : {"?select=[0]", "?select=[0:1]", "?select=[x]"}) {
    auto r = get("/datasets/" + scalar + "/value" + sel);
    EXPECT_EQ(r.status, 400) << sel;
  }

  // /info: what h5pyd's getServerInfo() callers read.
  auto r = get("/info");
  ASSERT_EQ(r.status, 200);
  auto info = parse(r.body);
  EXPECT_EQ(info->getValue<std::string>("state"), "READY");
  EXPECT_EQ(info->getValue<std::string>("name"), "strata");
  EXPECT_GT(info->getValue<int64_t>("start_time"), 1600000000);
  EXPECT_EQ(info->getValue<int>("node_count"), 1);
  EXPECT_FALSE(info->has("username"));  // h5pyd then reports the name it was given
  info = parse(get("/info", {{"Authorization", basicAuth("test_user1", "test")}}).body);
  EXPECT_EQ(info->optValue<std::string>("username", ""), "test_user1");
  EXPECT_FALSE(info->optValue<bool>("isadmin", true));

  // Folder paths with ".." never leave the data root: 400.
  for (const char* d : {"/test/../", "/../", "/home/../../x.h5", "/test/./x.h5", "/home/test_user1/../"})
    EXPECT_EQ(call("GET", std::string("/?domain=") + d, "", {}, "localhost").status, 400) << d;

  // ACL bodies are checked before credentials (h5serv): lock the domain, then a malformed
  // body from an anonymous client is 400 and a good one 401.
  const std::string none = R"({"create": false, "read": false, "update": false, "delete": false,
                               "readACL": false, "updateACL": false})";
  ASSERT_EQ(put("/acls/default", none).status, 201);
  for (const char* bad : {"{not json", "[1]", R"({"read": "yes"})", R"({"other": true})", ""})
    EXPECT_EQ(put("/acls/default", bad).status, 400) << bad;
  EXPECT_EQ(put("/acls", R"({"read": true})").status, 400);
  r = put("/acls/default", R"({"read": true})");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_EQ(put("/groups/" + root + "/acls/default", "{bad").status, 400);
  EXPECT_EQ(get("/").status, 401);  // the domain stayed locked
}

// User homes over h5serv's data layout (files placed under home/<user>/), on a server whose
// anonymous clients may not write: the user's TOC lists them, the user owns them (may delete
// them), others may not, and ACL PUTs check the body before the core's admission.
TEST(HdfHomes, UserHomesOverH5servLayout) {
  ServerProcess s({{"plugins.load", "hdf"},
                   {"stores.arrays.default.backend", "hdf5"},
                   {"stores.arrays.default.path", "data"},
                   {"stores.entities.default.backend", "memory"},
                   {"auth.anonymous", "true"},
                   {"auth.usersFile", "users"}},
                  false);
  writeFile(s.dir() + "/users", ServerProcess::usersLine("test_user1", "test") + "\n" +
                                    ServerProcess::usersLine("test_user2", "test") + "\n");
  Poco::File(s.dir() + "/data/home/test_user1").createDirectories();
  auto [rc, out] = runPython(s.dir(),
                             "import h5py\n"
                             "for n in ('tall', 'other'):\n"
                             "    h5py.File('" +
                                 s.dir() +
                                 "/data/home/test_user1/' + n + '.h5', 'w')"
                                 ".create_group('g')\n");
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(s.start()) << s.log();
  const auto user1 = basicAuth("test_user1", "test");
  const auto user2 = basicAuth("test_user2", "test");
  auto at = [](const std::string& host, std::map<std::string, std::string> h = {}) {
    h["Host"] = host;
    return h;
  };
  const std::string home = "test_user1.home.hdfgroup.org";

  // The user's TOC lists the files of home/test_user1/ with their home domain names.
  auto r = s.request("GET", "/", "", at(home));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string toc = parse(r.body)->getValue<std::string>("root");
  auto [link, target] = linkOf(s.request("GET", "/groups/" + toc + "/links/tall", "", at(home)));
  EXPECT_EQ(link->getValue<std::string>("h5domain"), "tall." + home);
  EXPECT_EQ(s.request("GET", "/", "", at("tall." + home)).status, 200);
  // A user's TOC: 200 for a user without domains, 404 for a name that is no user.
  EXPECT_EQ(s.request("GET", "/", "", at("test_user2.home.hdfgroup.org")).status, 200);
  EXPECT_EQ(s.request("GET", "/", "", at("nobody.home.hdfgroup.org")).status, 404);
  EXPECT_EQ(s.request("GET", "/?domain=/home/nobody/", "", at("localhost")).status, 404);

  // The user owns the files of their home: others may not delete them, the user may.
  EXPECT_EQ(s.request("DELETE", "/", "", at("tall." + home)).status, 401);
  EXPECT_EQ(s.request("DELETE", "/", "", at("tall." + home, {{"Authorization", user2}})).status, 403);
  r = s.request("DELETE", "/", "", at("tall." + home, {{"Authorization", user1}}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(std::filesystem::exists(s.dir() + "/data/home/test_user1/tall.h5"));
  EXPECT_TRUE(std::filesystem::exists(s.dir() + "/data/home/test_user1/other.h5"));
  EXPECT_EQ(s.request("GET", "/", "", at("tall." + home)).status, 410);
  EXPECT_EQ(s.request("GET", "/groups/" + toc + "/links/tall", "", at(home)).status, 410);
  // A domain the user creates in their home, and deletes.
  EXPECT_EQ(s.request("PUT", "/", "", at("mine." + home, {{"Authorization", user2}})).status, 403);
  EXPECT_EQ(s.request("PUT", "/", "", at("mine." + home, {{"Authorization", user1}})).status, 201);
  EXPECT_EQ(s.request("GET", "/groups/" + toc + "/links/mine", "", at(home)).status, 200);
  EXPECT_EQ(s.request("DELETE", "/", "", at("mine." + home, {{"Authorization", user1}})).status, 200);
  EXPECT_EQ(s.request("GET", "/groups/" + toc + "/links/mine", "", at(home)).status, 410);

  // ACL PUTs: the body is checked first (400), then the admission of anonymous writes (401).
  const std::string other = "other." + home;
  EXPECT_EQ(s.request("PUT", "/acls/default", "{bad", at(other)).status, 400);
  r = s.request("PUT", "/acls/default", R"({"read": false})", at(other));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(
      s.request("PUT", "/acls/default", R"({"read": false})", at(other, {{"Authorization", user2}})).status,
      403);
  EXPECT_EQ(
      s.request("PUT", "/acls/default", R"({"read": false})", at(other, {{"Authorization", user1}})).status,
      201);
  EXPECT_EQ(s.request("GET", "/", "", at(other)).status, 401);
  EXPECT_EQ(s.request("GET", "/", "", at(other, {{"Authorization", user1}})).status, 200);
  EXPECT_EQ(s.stop(), 0) << s.log();
}

}  // namespace
}  // namespace strata::test
