// The HSDS dialect of the hdf endpoint plugin, once per arrays backend: the requests h5pyd
// 0.24 makes (File open and create, create_group, create_dataset, slices, attributes), ids
// with their kind, folders, /about, /domains and the batch link and attribute requests.
// h5pyd itself cannot be installed here, so these are HTTP tests written from HSDS's API
// and h5pyd's source.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

bool isHsdsId(const std::string& id, char kind) { return id.size() == 38 && id[0] == kind && id[1] == '-'; }

// The path-style domain of this test under test_user1's home.
std::string pathDomain(const std::string& suffix = "") {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  name = name.substr(0, name.find('/'));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "/home/test_user1/" + name + suffix;
}

TEST_P(HdfApi, HsdsIdsCarryTheirKind) {
  // h5pyd's first calls: server info, then the domain (404), then PUT / to create it.
  auto r = server().get("/about");
  ASSERT_EQ(r.status, 200) << r.body;
  auto about = parse(r.body);
  EXPECT_EQ(about->getValue<std::string>("state"), "READY");
  EXPECT_FALSE(about->getValue<std::string>("hsds_version").empty());
  EXPECT_EQ(about->getValue<int>("node_count"), 1);
  EXPECT_GT(about->getValue<int64_t>("start_time"), 0);

  const Hsds hs(server(), pathDomain(".h5"));
  EXPECT_EQ(hs("GET", "/").status, 404);
  r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  auto dom = parse(r.body);
  const std::string root = dom->getValue<std::string>("root");
  EXPECT_TRUE(isHsdsId(root, 'g')) << root;
  EXPECT_EQ(dom->getValue<std::string>("class"), "domain");
  EXPECT_EQ(dom->getValue<std::string>("owner"), "test_user1");
  EXPECT_GT(dom->getObject("limits")->getValue<int64_t>("max_request_size"), 0);
  r = hs("GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), root);

  // create_group and create_dataset as h5pyd sends them.
  r = hs("POST", "/groups", R"({"link": {"id": ")" + root + R"(", "name": "g1"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string g1 = parse(r.body)->getValue<std::string>("id");
  EXPECT_TRUE(isHsdsId(g1, 'g')) << g1;
  EXPECT_NE(href(parse(r.body), "self").find("/groups/" + g1 + "?domain=" + hs.domain()), std::string::npos);
  r = hs("POST", "/datasets",
         R"({"type": {"class": "H5T_FLOAT", "base": "H5T_IEEE_F32LE"}, "shape": [4, 6], "maxdims": [0, 6],
             "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [2, 6]}, "fillValue": 0},
             "link": {"id": ")" +
             g1 + R"(", "name": "dset"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string d = parse(r.body)->getValue<std::string>("id");
  EXPECT_TRUE(isHsdsId(d, 'd')) << d;
  r = hs("GET", "/datasets/" + d + "?verbose=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("id"), d);
  r = hs("POST", "/datatypes", R"({"type": "H5T_STD_I16LE"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(isHsdsId(parse(r.body)->getValue<std::string>("id"), 't')) << r.body;

  // Links carry the kind too; f['/g1/dset'] walks them.
  r = hs("GET", "/groups/" + root + "/links");
  ASSERT_EQ(r.status, 200);
  auto link = parse(r.body)->getArray("links")->getObject(0);
  EXPECT_EQ(link->getValue<std::string>("id"), g1);
  EXPECT_EQ(link->getValue<std::string>("collection"), "groups");
  r = hs("GET", "/groups/" + g1 + "/links/dset");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getObject("link")->getValue<std::string>("id"), d);

  // Old clients: the bare uuid resolves in either dialect; the h5serv dialect answers bare.
  const std::string bareRoot = root.substr(2);
  r = hs("GET", "/groups/" + bareRoot);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("id"), root);
  const std::string dns = "hsdsidscarrytheirkind.test_user1.home.hdfgroup.org";
  r = call("GET", "/", "", {}, dns);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("root"), bareRoot);
  EXPECT_FALSE(parse(r.body)->has("class"));
  r = call("GET", "/groups/" + g1, "", {}, dns);  // a prefixed id in the h5serv dialect
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("id"), g1.substr(2));
  r = call("GET", "/groups/" + g1.substr(2) + "/links/dset", "", {}, dns);
  EXPECT_EQ(parse(r.body)->getObject("link")->getValue<std::string>("id"), d.substr(2));

  // A prefix of another kind than the route's, or a malformed id, is 400 (HSDS's isValidUuid);
  // a well-formed id of the route's kind that leads to another kind of object is 404.
  EXPECT_EQ(hs("GET", "/groups/d-" + g1.substr(2)).status, 400);
  EXPECT_EQ(hs("GET", "/datasets/g-" + d.substr(2)).status, 400);
  EXPECT_EQ(hs("GET", "/datasets/" + g1).status, 400);
  EXPECT_EQ(hs("GET", "/groups/g-nothing").status, 400);
  EXPECT_EQ(hs("GET", "/datasets/d-" + g1.substr(2)).status, 404);
  // The root group stays, whichever form names it.
  EXPECT_EQ(hs("DELETE", "/groups/" + bareRoot).status, 403);
  EXPECT_EQ(call("DELETE", "/groups/" + root, "", {}, dns).status, 403);
  // A link made from a prefixed id is the same link in both dialects.
  EXPECT_EQ(hs("PUT", "/groups/" + root + "/links/again", R"({"id": ")" + d + R"("})").status, 201);
  r = call("GET", "/groups/" + bareRoot + "/links/again", "", {}, dns);
  EXPECT_EQ(parse(r.body)->getObject("link")->getValue<std::string>("id"), d.substr(2));
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links/again").status, 200);
  EXPECT_EQ(call("GET", "/groups/" + bareRoot + "/links/again", "", {}, dns).status, 410);
}

TEST_P(HdfApi, HsdsValuesAndBatchAttributes) {
  const Hsds hs(server(), pathDomain(".h5"));
  auto r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  r = hs("POST", "/datasets",
         R"({"type": "H5T_STD_I32LE", "shape": [4, 6], "link": {"id": ")" + root + R"(", "name": "d"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string d = parse(r.body)->getValue<std::string>("id");

  // ds[1:3, :] = arr: h5pyd's binary body with the selection in the URL.
  std::string bytes;
  for (int32_t i = 0; i < 12; ++i) bytes.append(reinterpret_cast<const char*>(&i), 4);
  r = hs("PUT", "/datasets/" + d + "/value?select=[1:3:1,0:6:1]", bytes,
         {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 200) << r.body;
  r = hs("GET", "/datasets/" + d + "/value?nonstrict=1&select=[1:3:1,0:6:1]", "",
         {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.body, bytes);
  r = hs("GET", "/datasets/" + d + "/value?select=[2,0:6:2]");
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[6,8,10]]");
  // HSDS's coordinate lists: the listed indices of a dimension, with slices in the others.
  r = hs("GET", "/datasets/" + d + "/value?select=[[2,1],[0,5]]");
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[6,11],[0,5]]");
  r = hs("GET", "/datasets/" + d + "/value?select=[1:3,[5,0]]", "", {{"Accept", "application/octet-stream"}});
  std::string picked;
  for (int32_t v : {5, 0, 11, 6}) picked.append(reinterpret_cast<const char*>(&v), 4);
  EXPECT_EQ(r.body, picked);
  // The same sent as a POST body (h5pyd does for long selections).
  r = hs("POST", "/datasets/" + d + "/value", R"({"select": "[1:3,[5,0]]"})",
         {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, picked);
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/value", R"({"select": 5})").status, 400);
  for (const char* bad : {"[[1,9],0:6]", "[[1,x],0:6]", "[[1,2],0:6", "[[1],[2],[3]]", "[[-1],0:6]"})
    EXPECT_EQ(hs("GET", std::string("/datasets/") + d + "/value?select=" + bad).status, 400) << bad;

  // attrs['a'] = ... one at a time, then several in one PUT; read back in one POST.
  EXPECT_EQ(hs("PUT", "/groups/" + root + "/attributes/a",
               R"({"type": "H5T_STD_I32LE", "shape": [2], "value": [1, 2]})")
                .status,
            201);
  r = hs("PUT", "/datasets/" + d + "/attributes",
         R"({"attributes": {"x": {"type": "H5T_IEEE_F64LE", "value": 1.5},
                           "y": {"type": "H5T_STD_I8LE", "shape": [3], "value": [1, 2, 3]}}})");
  EXPECT_EQ(r.status, 201) << r.body;
  r = hs("POST", "/datasets/" + d + "/attributes?IncludeData=1", R"({"attr_names": ["y", "x"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto attrs = parse(r.body)->getArray("attributes");
  ASSERT_EQ(attrs->size(), 2u);
  EXPECT_EQ(attrs->getObject(0)->getValue<std::string>("name"), "y");
  EXPECT_EQ(compact(attrs->getObject(0)->get("value")), "[1,2,3]");
  EXPECT_EQ(attrs->getObject(1)->getValue<double>("value"), 1.5);
  r = hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": ["x"]})");
  EXPECT_FALSE(parse(r.body)->getArray("attributes")->getObject(0)->has("value"));  // no IncludeData
  r = hs("POST", "/groups/" + root + "/attributes?IncludeData=1", R"({"attr_names": ["a"]})");
  EXPECT_EQ(compact(parse(r.body)->getArray("attributes")->getObject(0)->get("value")), "[1,2]");

  // Bad batches: duplicate or missing names, malformed bodies; nothing half done.
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": ["x", "x"]})").status, 400);
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": ["x", "nope"]})").status, 404);
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": []})").status, 400);
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": "x"})").status, 400);
  EXPECT_EQ(hs("POST", "/datasets/" + d + "/attributes", R"({"attr_names": [1]})").status, 400);
  r = hs(
      "PUT", "/datasets/" + d + "/attributes",
      R"({"attributes": {"new": {"type": "H5T_STD_I32LE", "value": 7}, "x": {"type": "H5T_STD_I32LE", "value": 1}}})");
  EXPECT_EQ(r.status, 409) << r.body;
  r = hs(
      "PUT", "/datasets/" + d + "/attributes",
      R"({"attributes": {"new2": {"type": "H5T_STD_I32LE", "value": 7}, "bad": {"type": "H5T_NOPE", "value": 1}}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/attributes", R"({"attributes": {}})").status, 400);
  EXPECT_EQ(hs("GET", "/datasets/" + d + "/attributes/new").status, 404);
  EXPECT_EQ(hs("GET", "/datasets/" + d + "/attributes/new2").status, 404);
  r = hs("GET", "/datasets/" + d + "/attributes");
  EXPECT_EQ(parse(r.body)->getArray("attributes")->size(), 2u);
  // With ?replace=1 an existing one is overwritten.
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/attributes?replace=1",
               R"({"attributes": {"x": {"type": "H5T_STD_I32LE", "value": 9}}})")
                .status,
            201);
  r = hs("GET", "/datasets/" + d + "/attributes/x");
  EXPECT_EQ(parse(r.body)->getValue<int>("value"), 9);
  EXPECT_EQ(
      hs("PUT", "/groups/" + root + "/attributes",
         R"({"attributes": {"b": {"type": "H5T_STD_I8LE", "value": 1}, "c": {"type": "H5T_STD_I8LE", "value": 2}}})")
          .status,
      201);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/attributes?attr_names=b/zz").status, 404);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/attributes/b").status, 200);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/attributes?attr_names=b/c").status, 200);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/attributes/b").status, 404);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/attributes/c").status, 404);

  // Objects with their links and attributes in one GET, in HSDS's {name: item} form.
  r = hs("GET", "/groups/" + root + "?include_links=1&include_attrs=1");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = parse(r.body);
  EXPECT_EQ(g->getObject("links")->getObject("d")->getValue<std::string>("id"), d);
  EXPECT_EQ(compact(g->getObject("attributes")->getObject("a")->get("value")), "[1,2]");
  r = hs("GET", "/datasets/" + d + "?include_attrs=1");
  EXPECT_EQ(compact(parse(r.body)->getObject("attributes")->getObject("y")->get("value")), "[1,2,3]");
  r = call("GET", "/groups/" + root.substr(2) + "?include_links=1", "", {},
           "hsdsvaluesandbatchattributes.test_user1.home.hdfgroup.org");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(parse(r.body)->getArray("links"));  // h5serv's list in the h5serv dialect

  // Compound elements as packed binary, both ways.
  r = hs("POST", "/datasets",
         R"({"type": {"class": "H5T_COMPOUND", "fields": [{"name": "a", "type": "H5T_STD_I32LE"},
                                                         {"name": "b", "type": "H5T_IEEE_F64LE"}]},
             "shape": [3]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string c = parse(r.body)->getValue<std::string>("id");
  std::string packed;
  for (int32_t i = 1; i <= 2; ++i) {
    const double b = i + 0.5;
    packed.append(reinterpret_cast<const char*>(&i), 4);
    packed.append(reinterpret_cast<const char*>(&b), 8);
  }
  r = hs("PUT", "/datasets/" + c + "/value?select=[1:3]", packed,
         {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(r.status, 200) << r.body;
  r = hs("GET", "/datasets/" + c + "/value?select=[1:3]", "", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, packed);
  r = hs("GET", "/datasets/" + c.substr(2) + "/value");  // JSON, by the bare id
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[0,0],[1,1.5],[2,2.5]]");
  EXPECT_EQ(hs("PUT", "/datasets/" + c + "/value?select=[0:3]", packed,
               {{"Content-Type", "application/octet-stream"}})
                .status,
            400);  // 24 bytes for 3 elements of 12
}

TEST_P(HdfApi, HsdsFoldersAndBatchLinks) {
  const std::string folder = pathDomain("_dir/");
  const Hsds dir(server(), folder);
  auto r = dir("PUT", "/", R"({"folder": true})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("class"), "folder");
  r = dir("GET", "/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("class"), "folder");
  EXPECT_FALSE(parse(r.body)->has("root"));  // h5pyd: "Location is a folder, not a file"
  r = dir("GET", "/domains");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getArray("domains")->size(), 0u);

  const Hsds hs(server(), folder + "f.h5");
  r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  EXPECT_EQ(Hsds(server(), folder + "sub/g.h5")("PUT", "/").status, 201);
  r = dir("GET", "/domains");
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = parse(r.body)->getArray("domains");
  ASSERT_EQ(items->size(), 2u) << r.body;
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("name"), folder + "sub");
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("class"), "folder");
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("name"), folder + "f.h5");
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("class"), "domain");
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("root"), root);
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("owner"), "test_user1");
  // The parent lists the folder; a folder path without its '/' means the same.
  r = Hsds(server(), "/home/test_user1")("GET", "/domains");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"" + folder.substr(0, folder.size() - 1) + "\""), std::string::npos) << r.body;
  // Bad folder requests.
  EXPECT_EQ(Hsds(server(), "/home/test_user1/../x/")("GET", "/domains").status, 400);
  EXPECT_EQ(Hsds(server(), "/home/../../etc/")("PUT", "/", R"({"folder": true})").status, 400);
  EXPECT_EQ(call("GET", "/domains?domain=x.test.hdfgroup.org", "", {}, "localhost").status, 400);
  EXPECT_EQ(call("PUT", "/", R"({"folder": true})").status, 400);  // h5serv dialect: no folders
  EXPECT_EQ(dir("DELETE", "/").status, 409);                       // not empty

  // Batch links: several made in one PUT, read back in one POST.
  r = hs("POST", "/groups", "{}");
  const std::string g = parse(r.body)->getValue<std::string>("id");
  r = hs("PUT", "/groups/" + root + "/links",
         R"({"links": {"hard": {"id": ")" + g + R"("}, "soft": {"h5path": "/hard"},
                      "ext": {"h5path": "/x", "h5domain": "/home/test_user1/other.h5"}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = hs("POST", "/groups/" + root + "/links", R"({"titles": ["soft", "hard"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto links = parse(r.body)->getArray("links");
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ(links->getObject(0)->getValue<std::string>("h5path"), "/hard");
  EXPECT_EQ(links->getObject(1)->getValue<std::string>("id"), g);
  r = hs("GET", "/groups/" + root + "/links?titles=hard/soft");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getArray("links")->getObject(0)->getValue<std::string>("id"), g);
  EXPECT_EQ(parse(r.body)->getArray("links")->size(), 2u);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links?titles=hard/nope").status, 404);
  EXPECT_EQ(hs("POST", "/groups/" + root + "/links", R"({"titles": ["hard", "hard"]})").status, 400);
  EXPECT_EQ(hs("POST", "/groups/" + root + "/links", R"({"titles": ["hard", "nope"]})").status, 404);
  EXPECT_EQ(hs("POST", "/groups/" + root + "/links", R"({"nothing": 1})").status, 400);
  // One existing name, a bad name or a missing target: none of the batch is made.
  EXPECT_EQ(hs("PUT", "/groups/" + root + "/links",
               R"({"links": {"n1": {"h5path": "/a"}, "hard": {"h5path": "/b"}}})")
                .status,
            409);
  EXPECT_EQ(hs("PUT", "/groups/" + root + "/links",
               R"({"links": {"n2": {"h5path": "/a"}, "a/b": {"h5path": "/b"}}})")
                .status,
            400);
  EXPECT_EQ(
      hs("PUT", "/groups/" + root + "/links",
         R"({"links": {"n3": {"h5path": "/a"}, "n4": {"id": "g-00000000-0000-0000-0000-000000000000"}}})")
          .status,
      404);
  for (const char* n : {"n1", "n2", "n3", "n4"})
    EXPECT_EQ(hs("GET", "/groups/" + root + "/links/" + n).status, 404) << n;
  // Batch delete (del g['a'], del g[['a', 'b']]): all or none.
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links?titles=soft/nope").status, 404);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links?titles=soft/soft").status, 400);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links").status, 400);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links/soft").status, 200);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links?titles=soft|ext&separator=|").status, 200);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links/soft").status, 410);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links/ext").status, 410);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links/hard").status, 200);

  // Deleting: the domain, then the emptied folders.
  EXPECT_EQ(hs("DELETE", "/").status, 200);
  EXPECT_EQ(hs("GET", "/").status, 410);
  EXPECT_EQ(Hsds(server(), folder + "sub/g.h5")("DELETE", "/").status, 200);
  EXPECT_EQ(dir("DELETE", "/").status, 200);
  EXPECT_EQ(Hsds(server(), "/")("DELETE", "/").status, 403);
}

}  // namespace
}  // namespace strata::test
