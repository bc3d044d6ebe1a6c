// The hdf endpoint plugin's objects: groups, links, datasets, attributes and committed
// datatypes, once per arrays backend.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

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
  EXPECT_EQ(o->getValue<std::string>("type"), "datatypes/" + committed);  // more in hdf_committed_types_test

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

}  // namespace
}  // namespace strata::test
