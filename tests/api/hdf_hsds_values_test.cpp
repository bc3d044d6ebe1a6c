// The HSDS dialect of the hdf endpoint plugin, once per arrays backend: HSDS's timestamps,
// its 400 for malformed ids, point and coordinate writes, the value extras (fields=,
// reduce_dim, element_count, append), /domains paging and patterns, and HSDS's form of
// committed types. Written from HSDS's handlers (chunk_sn.py, domain_sn.py, dset_sn.py,
// util/idUtil.py) and h5pyd's requests; h5pyd itself cannot be installed here.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// The path-style domain of this test under test_user1's home.
std::string pathDomain(const std::string& suffix = "") {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  name = name.substr(0, name.find('/'));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "/home/test_user1/" + name + suffix;
}

// The DNS-style (h5serv) name of pathDomain(".h5").
std::string dnsDomain() {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  name = name.substr(0, name.find('/'));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name + ".test_user1.home.hdfgroup.org";
}

std::string int32s(std::initializer_list<int32_t> values) {
  std::string out;
  for (int32_t v : values) out.append(reinterpret_cast<const char*>(&v), 4);
  return out;
}

const std::map<std::string, std::string> kBinary = {{"Content-Type", "application/octet-stream"}};
const std::map<std::string, std::string> kAcceptBinary = {{"Accept", "application/octet-stream"}};

// A new domain with one int32 dataset "d" of `shape` (and `extra` JSON members); its id.
std::string makeDataset(const Hsds& hs, const std::string& shape, const std::string& extra = "",
                        const std::string& type = R"("H5T_STD_I32LE")") {
  auto r = hs("PUT", "/");
  EXPECT_EQ(r.status, 201) << r.body;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  r = hs("POST", "/datasets",
         R"({"type": )" + type + R"(, "shape": )" + shape + extra + R"(, "link": {"id": ")" + root +
             R"(", "name": "d"}})");
  EXPECT_EQ(r.status, 201) << r.body;
  return parse(r.body)->optValue<std::string>("id", "");
}

std::string valueOf(const Hsds& hs, const std::string& d, const std::string& query = "") {
  auto r = hs("GET", "/datasets/" + d + "/value" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return compact(parse(r.body)->get("value"));
}

TEST_P(HdfApi, HsdsTimestampsAreEpochSeconds) {
  const Hsds hs(server(), pathDomain(".h5"));
  auto r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  // HSDS's time.time(): a number of seconds since the epoch (a float).
  const auto isEpoch = [](const Poco::Dynamic::Var& v) {
    return v.isNumeric() && !v.isString() && v.convert<double>() > 1.6e9;
  };
  for (const auto& path : std::vector<std::string>{"/", "/groups/" + root}) {
    r = hs("GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(isEpoch(parse(r.body)->get("created"))) << path << " " << r.body;
    EXPECT_TRUE(isEpoch(parse(r.body)->get("lastModified"))) << path << " " << r.body;
  }
  r = hs("POST", "/datasets", R"({"type": "H5T_STD_I8LE", "shape": [2]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(isEpoch(parse(r.body)->get("created"))) << r.body;
  const std::string d = parse(r.body)->getValue<std::string>("id");
  for (const auto& path : {"/datasets/" + d, "/datasets/" + d + "/shape"}) {
    r = hs("GET", path);
    EXPECT_TRUE(isEpoch(parse(r.body)->get("lastModified"))) << path << " " << r.body;
  }
  ASSERT_EQ(hs("PUT", "/datasets/" + d + "/attributes/a", R"({"type": "H5T_STD_I8LE", "value": 1})").status,
            201);
  r = hs("GET", "/datasets/" + d + "/attributes/a");
  EXPECT_TRUE(isEpoch(parse(r.body)->get("created"))) << r.body;
  r = hs("GET", "/datasets/" + d + "/attributes");
  EXPECT_TRUE(isEpoch(parse(r.body)->getArray("attributes")->getObject(0)->get("created"))) << r.body;
  ASSERT_EQ(hs("PUT", "/groups/" + root + "/links/l", R"({"id": ")" + d + R"("})").status, 201);
  r = hs("GET", "/groups/" + root + "/links/l");
  EXPECT_TRUE(isEpoch(parse(r.body)->get("created"))) << r.body;
  r = hs("POST", "/datatypes", R"({"type": "H5T_STD_I16LE"})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = hs("GET", "/datatypes/" + parse(r.body)->getValue<std::string>("id"));
  EXPECT_TRUE(isEpoch(parse(r.body)->get("created"))) << r.body;
  // Listings of folders.
  r = Hsds(server(), "/home/test_user1/")("GET", "/domains");
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = parse(r.body)->getArray("domains");
  ASSERT_GT(items->size(), 0u);
  for (std::size_t i = 0; i < items->size(); ++i) EXPECT_TRUE(isEpoch(items->getObject(i)->get("created")));
  r = Hsds(server(), "/home/test_user1/")("GET", "/");
  EXPECT_TRUE(isEpoch(parse(r.body)->get("lastModified"))) << r.body;

  // The same domain in the h5serv dialect keeps h5serv's strings, and both name one time.
  r = call("GET", "/", "", {}, dnsDomain());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto created = parse(r.body)->get("created");
  ASSERT_TRUE(created.isString()) << r.body;
  EXPECT_EQ(created.convert<std::string>().size(), 20u) << created.convert<std::string>();  // ...T..:..:..Z
  r = call("GET", "/datasets/" + d.substr(2), "", {}, dnsDomain());
  EXPECT_TRUE(parse(r.body)->get("lastModified").isString()) << r.body;
  r = call("GET", "/datasets/" + d.substr(2) + "/attributes/a", "", {}, dnsDomain());
  EXPECT_TRUE(parse(r.body)->get("created").isString()) << r.body;
}

TEST_P(HdfApi, HsdsMalformedIdsAre400) {
  const Hsds hs(server(), pathDomain(".h5"));
  const std::string d = makeDataset(hs, "[3]");
  ASSERT_FALSE(d.empty());
  const std::string uuid = d.substr(2);
  // What HSDS's isValidUuid refuses: 400 on every route that takes an id.
  for (const std::string& bad : {std::string("nope"), std::string("d-nope"), "x-" + uuid, "d-" + uuid + "0",
                                 "d-" + uuid.substr(0, 35) + "!", uuid.substr(1)}) {
    EXPECT_EQ(hs("GET", "/datasets/" + bad).status, 400) << bad;
    EXPECT_EQ(hs("GET", "/datasets/" + bad + "/value").status, 400) << bad;
    EXPECT_EQ(hs("PUT", "/datasets/" + bad + "/value", R"({"value": [1, 2, 3]})").status, 400) << bad;
    EXPECT_EQ(hs("GET", "/datasets/" + bad + "/attributes").status, 400) << bad;
    EXPECT_EQ(hs("GET", "/groups/" + bad + "/links").status, 400) << bad;
    EXPECT_EQ(hs("GET", "/datatypes/" + bad).status, 400) << bad;
    EXPECT_EQ(hs("DELETE", "/datasets/" + bad).status, 400) << bad;
  }
  // An id of another kind than the route's: 400 (HSDS's isValidUuid(id, "Group")).
  EXPECT_EQ(hs("GET", "/groups/" + d).status, 400);
  EXPECT_EQ(hs("GET", "/datatypes/" + d + "/attributes").status, 400);
  // A link to a malformed id is refused the same way.
  auto r = hs("GET", "/");
  const std::string root = parse(r.body)->getValue<std::string>("root");
  EXPECT_EQ(hs("POST", "/groups", R"({"link": {"id": "g-bad", "name": "x"}})").status, 400);
  // Well-formed ids that name nothing are 404, in both forms; a deleted dataset is 410.
  const std::string unknown = "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz";
  EXPECT_EQ(hs("GET", "/datasets/d-" + unknown).status, 404);
  EXPECT_EQ(hs("GET", "/datasets/" + unknown).status, 404);
  EXPECT_EQ(hs("GET", "/datasets/" + uuid).status, 200);  // the store's own form is well formed
  ASSERT_EQ(hs("DELETE", "/datasets/" + d).status, 200);
  EXPECT_EQ(hs("GET", "/datasets/" + d).status, 410);
  // The h5serv dialect keeps its 404 for any id it does not know.
  EXPECT_EQ(call("GET", "/datasets/nope", "", {}, dnsDomain()).status, 404);
  EXPECT_EQ(call("GET", "/groups/" + root.substr(2), "", {}, dnsDomain()).status, 200);
}

TEST_P(HdfApi, HsdsPointAndCoordinateWrites) {
  const Hsds hs(server(), pathDomain(".h5"));
  const std::string d = makeDataset(hs, "[4, 5]");
  ASSERT_FALSE(d.empty());
  const std::string zeros = "[[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0],[0,0,0,0,0]]";
  // ds[[0, 3], [1, 4]] style points: {"points": [[r, c], ...], "value": [...]}.
  auto r =
      hs("PUT", "/datasets/" + d + "/value", R"({"points": [[0, 1], [3, 4], [2, 0]], "value": [7, 9, 5]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[0,7,0,0,0],[0,0,0,0,0],[5,0,0,0,0],[0,0,0,0,9]]");
  // The values may come as base64 of their packed bytes.
  r = hs("PUT", "/datasets/" + d + "/value",
         R"({"points": [[1, 3], [1, 2]], "value_base64": ")" + base64(int32s({13, 12})) + R"("})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d, "?select=[1,0:5]"), "[[0,0,12,13,0]]");
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value",
               R"({"points": [[1, 3]], "value_base64": ")" + base64(int32s({1, 2})) + R"("})")
                .status,
            400);
  // Bad points write nothing: out of range, wrong rank, negative, a value count that differs.
  const std::string before = valueOf(hs, d);
  for (const char* bad :
       {R"({"points": [[0, 0], [4, 0]], "value": [1, 2]})", R"({"points": [[0, 0], [1]], "value": [1, 2]})",
        R"({"points": [[0, -1]], "value": [1]})", R"({"points": [1, 2], "value": [1, 2]})",
        R"({"points": [[0, 0], [1, 1]], "value": [1]})",
        R"({"points": [[0, 0]], "value": [1], "start": [0, 0]})"}) {
    EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value", bad).status, 400) << bad;
  }
  EXPECT_EQ(valueOf(hs, d), before);

  // HSDS's coordinate form in select: binary body (h5pyd's ds[[1, 3], 1:3] = arr) ...
  r = hs("PUT", "/datasets/" + d + "/value?select=[[3,1],1:3]", int32s({31, 32, 11, 12}), kBinary);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[0,7,0,0,0],[0,11,12,13,0],[5,0,0,0,0],[0,31,32,0,9]]");
  // ... and JSON, with the selection in the body or the URL.
  r = hs("PUT", "/datasets/" + d + "/value", R"({"select": "[0,[4,2]]", "value": [[40, 20]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = hs("PUT", "/datasets/" + d + "/value?select=[[2],[3]]", R"({"value": [[23]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[0,7,20,0,40],[0,11,12,13,0],[5,0,0,23,0],[0,31,32,0,9]]");
  // Bad coordinates or sizes write nothing.
  const std::string after = valueOf(hs, d);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?select=[[4],0:2]", int32s({1, 2}), kBinary).status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?select=[[0,1]]", int32s({1, 2}), kBinary).status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?select=[[0,1],0:2]", int32s({1, 2}), kBinary).status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value", R"({"select": "[[0,9],1]", "value": [[1], [2]]})").status,
            400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value", R"({"select": "[[0,1],1]", "value": [1, 2, 3]})").status,
            400);
  EXPECT_EQ(valueOf(hs, d), after);
  EXPECT_NE(after, zeros);
}

TEST_P(HdfApi, HsdsFieldsAndReduceDim) {
  const Hsds hs(server(), pathDomain(".h5"));
  const std::string type =
      R"({"class": "H5T_COMPOUND", "fields": [{"name": "a", "type": "H5T_STD_I32LE"},
           {"name": "b", "type": "H5T_IEEE_F32LE"}, {"name": "c", "type": "H5T_STD_I16LE"}]})";
  const std::string d = makeDataset(hs, "[3]", "", type);
  ASSERT_FALSE(d.empty());
  ASSERT_EQ(hs("PUT", "/datasets/" + d + "/value", R"({"value": [[1, 1.5, 10], [2, 2.5, 20], [3, 3.5, 30]]})")
                .status,
            200);
  // h5pyd's ds.fields(['c', 'a'])[...]: fields=c:a, in that order.
  EXPECT_EQ(valueOf(hs, d, "?fields=c:a"), "[[10,1],[20,2],[30,3]]");
  EXPECT_EQ(valueOf(hs, d, "?fields=b&select=[1:3]"), "[[2.5],[3.5]]");
  auto r = hs("GET", "/datasets/" + d + "/value?fields=c:a&select=[0:2]", "", kAcceptBinary);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string expect;
  for (auto [c, a] : {std::pair<int16_t, int32_t>{10, 1}, {20, 2}}) {
    expect.append(reinterpret_cast<const char*>(&c), 2);
    expect.append(reinterpret_cast<const char*>(&a), 4);
  }
  EXPECT_EQ(r.body, expect);
  // Coordinate lists and h5pyd's POST form (its parameters as the body).
  EXPECT_EQ(valueOf(hs, d, "?fields=a&select=[[2,0]]"), "[[3],[1]]");
  r = hs("POST", "/datasets/" + d + "/value", R"({"select": "[[2,1]]", "fields": "c"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[30],[20]]");
  r = hs("POST", "/datasets/" + d + "/value", R"({"points": [1], "fields": "a"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[2]]");
  // Unknown, repeated or empty names, and fields of a type that is no compound: 400.
  for (const char* bad : {"nope", "a:a", "a:", ""})
    EXPECT_EQ(hs("GET", "/datasets/" + d + "/value?fields=" + bad).status, 400) << bad;
  EXPECT_EQ(hs("GET", "/datasets/" + d + "/value?fields=a&query=a%20%3E%201").status, 400);

  // reduce_dim: JSON without the 1-extent dimensions (HSDS's squeezeArray).
  const Hsds hs2(server(), pathDomain("_2.h5"));
  const std::string m = makeDataset(hs2, "[3, 4]");
  ASSERT_EQ(
      hs2("PUT", "/datasets/" + m + "/value", R"({"value": [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]})")
          .status,
      200);
  EXPECT_EQ(valueOf(hs2, m, "?select=[1:2,0:4]"), "[[4,5,6,7]]");
  EXPECT_EQ(valueOf(hs2, m, "?select=[1:2,0:4]&reduce_dim=1"), "[4,5,6,7]");
  EXPECT_EQ(valueOf(hs2, m, "?select=[0:3,2]&reduce_dim=1"), "[2,6,10]");
  EXPECT_EQ(valueOf(hs2, m, "?select=[2,3]&reduce_dim=1"), "11");
  EXPECT_EQ(valueOf(hs2, m, "?select=[0:2,0:2]&reduce_dim=1"), "[[0,1],[4,5]]");
  EXPECT_EQ(valueOf(hs2, m, "?select=[1:2,0:4]&reduce_dim=0"), "[[4,5,6,7]]");
  // Binary answers are the same bytes either way.
  r = hs2("GET", "/datasets/" + m + "/value?select=[1:2,0:2]&reduce_dim=1", "", kAcceptBinary);
  EXPECT_EQ(r.body, int32s({4, 5}));
}

TEST_P(HdfApi, HsdsElementCountAndAppend) {
  const Hsds hs(server(), pathDomain(".h5"));
  const std::string d = makeDataset(hs, "[3, 4]");
  ASSERT_FALSE(d.empty());
  // element_count: a few elements repeated over the selection (numpy broadcasting).
  auto r = hs("PUT", "/datasets/" + d + "/value?element_count=1", R"({"value": 5})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[5,5,5,5],[5,5,5,5],[5,5,5,5]]");
  r = hs("PUT", "/datasets/" + d + "/value?element_count=4&select=[0:2,0:4]", R"({"value": [1, 2, 3, 4]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = hs("PUT", "/datasets/" + d + "/value?element_count=2&select=[2:3,0:4:2]", int32s({8, 9}), kBinary);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[1,2,3,4],[1,2,3,4],[8,5,9,5]]");
  r = hs("PUT", "/datasets/" + d + "/value?element_count=1&select=[0:3,1]",
         R"({"value_base64": ")" + base64(int32s({-1})) + R"("})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs, d), "[[1,-1,3,4],[1,-1,3,4],[8,-1,9,5]]");
  // A count that does not broadcast, or a value of another size: 400, nothing written.
  const std::string before = valueOf(hs, d);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?element_count=3", R"({"value": [1, 2, 3]})").status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?element_count=4", R"({"value": [1, 2, 3]})").status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?element_count=0", R"({"value": 1})").status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?element_count=x", R"({"value": 1})").status, 400);
  EXPECT_EQ(hs("PUT", "/datasets/" + d + "/value?element_count=4", int32s({1, 2}), kBinary).status, 400);
  EXPECT_EQ(valueOf(hs, d), before);

  // append: the dataset grows along append_dim and the value fills the new part.
  const Hsds hs2(server(), pathDomain("_2.h5"));
  const std::string a = makeDataset(hs2, "[2]", R"(, "maxdims": [0])");
  ASSERT_FALSE(a.empty());
  r = hs2("PUT", "/datasets/" + a + "/value?append=3", R"({"value": [7, 8, 9]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs2, a), "[0,0,7,8,9]");
  r = hs2("PUT", "/datasets/" + a + "/value", R"({"append": 1, "value": [10]})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = hs2("PUT", "/datasets/" + a + "/value?append=2", int32s({11, 12}), kBinary);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs2, a), "[0,0,7,8,9,10,11,12]");
  r = hs2("GET", "/datasets/" + a + "/shape");
  EXPECT_EQ(compact(parse(r.body)->getObject("shape")->get("dims")), "[8]");
  // Refused appends change neither shape nor values.
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=2", R"({"value": [1]})").status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=2", int32s({1}), kBinary).status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=1&select=[0:1]", R"({"value": [1]})").status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=1", R"({"value": [1], "start": 0})").status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=1", R"({"value": [1], "points": [0]})").status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=1&append_dim=1", R"({"value": [1]})").status, 400);
  EXPECT_EQ(hs2("PUT", "/datasets/" + a + "/value?append=x", R"({"value": [1]})").status, 400);
  EXPECT_EQ(valueOf(hs2, a), "[0,0,7,8,9,10,11,12]");
  // Past maxdims: 409; a dataset that cannot grow: 400.
  const Hsds hs3(server(), pathDomain("_3.h5"));
  const std::string b = makeDataset(hs3, "[2, 2]", R"(, "maxdims": [3, 3])");
  ASSERT_FALSE(b.empty());
  r = hs3("PUT", "/datasets/" + b + "/value?append=1&append_dim=1", R"({"value": [[5], [6]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs3, b), "[[0,0,5],[0,0,6]]");
  EXPECT_EQ(hs3("PUT", "/datasets/" + b + "/value?append=1&append_dim=1", R"({"value": [[1], [2]]})").status,
            409);
  EXPECT_EQ(hs3("PUT", "/datasets/" + b + "/value?append=2", R"({"value": [[1, 2, 3], [4, 5, 6]]})").status,
            409);
  EXPECT_EQ(valueOf(hs3, b), "[[0,0,5],[0,0,6]]");
  r = hs3("PUT", "/datasets/" + b + "/value?append=1&append_dim=0", R"({"value": [[1, 2, 3]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(valueOf(hs3, b), "[[0,0,5],[0,0,6],[1,2,3]]");
  // Now at its maxdims everywhere: it cannot grow (400, as HSDS's isExtensible).
  EXPECT_EQ(hs3("PUT", "/datasets/" + b + "/value?append=1", R"({"value": [[1, 2, 3]]})").status, 400);
  const Hsds hs4(server(), pathDomain("_4.h5"));
  const std::string fixed = makeDataset(hs4, "[2]");
  EXPECT_EQ(hs4("PUT", "/datasets/" + fixed + "/value?append=1", R"({"value": [1]})").status, 400);
  EXPECT_EQ(valueOf(hs4, fixed), "[0,0]");
}

TEST_P(HdfApi, HsdsDomainsPagingAndPattern) {
  const std::string folder = pathDomain("_dir/");
  for (const char* leaf : {"a.h5", "b.h5", "c.h5", "sub/x.h5"})
    ASSERT_EQ(Hsds(server(), folder + leaf)("PUT", "/").status, 201) << leaf;
  const Hsds dir(server(), folder);
  const auto names = [&](const std::string& query) {
    auto r = dir("GET", "/domains" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string out;
    auto items = parse(r.body)->getArray("domains");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
      const std::string name = items->getObject(i)->getValue<std::string>("name");
      out += (out.empty() ? "" : " ") + name.substr(folder.size());
    }
    return out;
  };
  EXPECT_EQ(names(""), "sub a.h5 b.h5 c.h5");
  // Limit and Marker (a name from the last page): h5pyd's Folder pages so.
  EXPECT_EQ(names("?Limit=2"), "sub a.h5");
  EXPECT_EQ(names("?Limit=2&Marker=" + folder + "a.h5"), "b.h5 c.h5");
  EXPECT_EQ(names("?Marker=" + folder + "sub"), "a.h5 b.h5 c.h5");
  EXPECT_EQ(names("?Marker=" + folder + "c.h5"), "");
  EXPECT_EQ(names("?Limit=0"), "sub a.h5 b.h5 c.h5");
  EXPECT_EQ(dir("GET", "/domains?Limit=x").status, 400);
  // pattern: HSDS's glob on the last part of the name (one '*', '?', '[c]', '[a-z]').
  EXPECT_EQ(names("?pattern=*.h5"), "a.h5 b.h5 c.h5");
  EXPECT_EQ(names("?pattern=*"), "sub a.h5 b.h5 c.h5");
  EXPECT_EQ(names("?pattern=[a-b]*"), "a.h5 b.h5");
  EXPECT_EQ(names("?pattern=[b-z]*"), "sub b.h5 c.h5");
  EXPECT_EQ(names("?pattern=[c].h5"), "c.h5");
  EXPECT_EQ(names("?pattern=?.h5&Limit=1&Marker=" + folder + "a.h5"), "b.h5");
  EXPECT_EQ(names("?pattern=s?b"), "sub");
  EXPECT_EQ(names("?pattern=su"), "");
  EXPECT_EQ(names("?pattern=a*5"), "a.h5");
  EXPECT_EQ(names("?pattern=zzz"), "");
  for (const char* bad : {"*a*", "[ab]", "a]", "[b-a]", "[a", "[a-]"})
    EXPECT_EQ(dir("GET", std::string("/domains?pattern=") + bad).status, 400) << bad;
  // verbose: HSDS's object counts on domains.
  const Hsds a(server(), folder + "a.h5");
  auto r = a("POST", "/datasets", R"({"type": "H5T_STD_I8LE", "shape": [1]})");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(a("POST", "/groups", "").status, 201);
  r = dir("GET", "/domains?verbose=1&pattern=a.h5");
  ASSERT_EQ(r.status, 200) << r.body;
  auto item = parse(r.body)->getArray("domains")->getObject(0);
  EXPECT_EQ(item->getValue<int>("num_groups"), 2) << r.body;
  EXPECT_EQ(item->getValue<int>("num_datasets"), 1);
  EXPECT_EQ(item->getValue<int>("num_datatypes"), 0);
  EXPECT_EQ(item->getValue<int>("num_objects"), 3);
  r = dir("GET", "/domains");
  EXPECT_FALSE(parse(r.body)->getArray("domains")->getObject(1)->has("num_groups")) << r.body;
}

TEST_P(HdfApi, HsdsCommittedTypeForm) {
  const Hsds hs(server(), pathDomain(".h5"));
  auto r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  r = hs("POST", "/datatypes", R"({"type": {"class": "H5T_COMPOUND", "fields": [
        {"name": "x", "type": "H5T_STD_I16LE"}, {"name": "y", "type": "H5T_IEEE_F64LE"}]}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string t = parse(r.body)->getValue<std::string>("id");
  // h5pyd's create_dataset(dtype=f['named']) and attrs.create(dtype=...) send the bare id.
  r = hs("POST", "/datasets", R"({"type": ")" + t + R"(", "shape": [2]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string d = parse(r.body)->getValue<std::string>("id");
  ASSERT_EQ(
      hs("PUT", "/datasets/" + d + "/attributes/a", R"({"type": ")" + t + R"(", "value": [1, 2.5]})").status,
      201);
  // HSDS shows the type as the type's JSON with the committed type's id in "id".
  const auto checkType = [&](const Poco::Dynamic::Var& type, const std::string& where) {
    ASSERT_EQ(type.type(), typeid(Object::Ptr)) << where << " " << compact(type);
    const auto o = type.extract<Object::Ptr>();
    EXPECT_EQ(o->optValue<std::string>("id", ""), t) << where;
    EXPECT_EQ(o->optValue<std::string>("class", ""), "H5T_COMPOUND") << where;
    EXPECT_EQ(o->getArray("fields")->size(), 2u) << where;
  };
  checkType(parse(hs("GET", "/datasets/" + d).body)->get("type"), "dataset");
  checkType(parse(hs("GET", "/datasets/" + d + "/type").body)->get("type"), "dataset type");
  checkType(parse(hs("GET", "/datasets/" + d + "/attributes/a").body)->get("type"), "attribute");
  checkType(parse(hs("GET", "/datasets/" + d + "/attributes").body)
                ->getArray("attributes")
                ->getObject(0)
                ->get("type"),
            "attribute list");
  // That form (what GET showed) creates with the committed type too.
  const auto shown = parse(hs("GET", "/datasets/" + d).body)->get("type");
  r = hs("POST", "/datasets", R"({"type": )" + compact(shown) + R"(, "shape": [1]})");
  ASSERT_EQ(r.status, 201) << r.body;
  checkType(parse(hs("GET", "/datasets/" + parse(r.body)->getValue<std::string>("id")).body)->get("type"),
            "copy");
  r = hs("PUT", "/datasets/" + d + "/attributes/b",
         R"({"type": {"class": "H5T_COMPOUND", "id": ")" + t + R"("}, "value": [3, 4.5]})");
  ASSERT_EQ(r.status, 201) << r.body;
  checkType(parse(hs("GET", "/datasets/" + d + "/attributes/b").body)->get("type"), "attribute b");
  // An id in that form that names no committed type: 404 (well formed) or 400 (malformed).
  const std::string missing = "t-zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz";
  EXPECT_EQ(
      hs("POST", "/datasets", R"({"type": {"class": "H5T_COMPOUND", "id": ")" + missing + R"("}})").status,
      404);
  EXPECT_EQ(hs("POST", "/datasets", R"({"type": {"class": "H5T_COMPOUND", "id": "t-bad"}})").status, 400);
  // The h5serv dialect keeps "datatypes/<id>".
  r = call("GET", "/datasets/" + d.substr(2), "", {}, dnsDomain());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body)->getValue<std::string>("type"), "datatypes/" + t.substr(2));
}

TEST_P(HdfApi, HsdsBatchAndFolderBadInput) {
  const Hsds hs(server(), pathDomain(".h5"));
  auto r = hs("PUT", "/");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  ASSERT_EQ(
      hs("PUT", "/groups/" + root + "/attributes",
         R"({"attributes": {"b": {"type": "H5T_STD_I8LE", "value": 1}, "c": {"type": "H5T_STD_I8LE", "value": 2}}})")
          .status,
      201);
  ASSERT_EQ(hs("PUT", "/groups/" + root + "/links", R"({"links": {"s": {"h5path": "/x"}}})").status, 201);
  // Names given twice, none, or missing: 400 or 404, and nothing is deleted.
  for (const char* q : {"attr_names=b/b", "attr_names=", "x=1"})
    EXPECT_EQ(hs("DELETE", std::string("/groups/") + root + "/attributes?" + q).status, 400) << q;
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/attributes?attr_names=c;b;c&separator=;").status, 400);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/attributes?attr_names=c/nope").status, 404);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/attributes?attr_names=b/c&separator=;").status, 404);  // "b/c"
  EXPECT_EQ(hs("POST", "/groups/" + root + "/attributes", R"({"attr_names": ["b", "c", "b"]})").status, 400);
  EXPECT_EQ(hs("POST", "/groups/" + root + "/attributes", R"({"attr_names": ["c", "nope"]})").status, 404);
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links?titles=s/s").status, 400);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links?titles=s/s").status, 400);
  EXPECT_EQ(hs("DELETE", "/groups/" + root + "/links?titles=s/nope").status, 404);
  EXPECT_EQ(hs("POST", "/groups/" + root + "/links", R"({"titles": []})").status, 400);
  r = hs("GET", "/groups/" + root + "/attributes");
  EXPECT_EQ(parse(r.body)->getArray("attributes")->size(), 2u) << r.body;
  EXPECT_EQ(hs("GET", "/groups/" + root + "/links/s").status, 200);
  // Folder paths with '.' or '..' are 400 on every folder request.
  for (const char* bad :
       {"/home/test_user1/../test_user2/", "/home/test_user1/./x/", "/home/test_user1/a/../"}) {
    const Hsds folder(server(), bad);
    EXPECT_EQ(folder("GET", "/").status, 400) << bad;
    EXPECT_EQ(folder("GET", "/domains").status, 400) << bad;
    EXPECT_EQ(folder("PUT", "/", R"({"folder": true})").status, 400) << bad;
    EXPECT_EQ(folder("DELETE", "/").status, 400) << bad;
  }
  EXPECT_EQ(Hsds(server(), "/home/test_user1/../x.h5")("PUT", "/").status, 400);
}

}  // namespace
}  // namespace strata::test
