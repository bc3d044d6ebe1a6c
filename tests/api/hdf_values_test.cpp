// The hdf endpoint plugin's dataset values: JSON and binary values, point selections, scalar,
// null and fill values, large values and queries, once per arrays backend.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------------------------- values

// The 10x10 table of i * j as JSON: the values the value tests write and read back.
std::string timesTable() {
  std::string rows = "[";
  for (int i = 0; i < 10; ++i) {
    rows += i ? ",[" : "[";
    for (int j = 0; j < 10; ++j) rows += (j ? "," : "") + std::to_string(i * j);
    rows += "]";
  }
  return rows + "]";
}

TEST_P(HdfApi, JsonValues) {
  createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [10, 10]})");
  const std::string rows = timesTable();
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
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": )" + timesTable() + "}").status, 200);
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

// A JSON value whose packed form would be far larger than its text (short strings in a
// fixed-length string type of 10 MB per element) is refused with 413 before anything is
// decoded or allocated, and the dataset keeps what it had.
TEST_P(HdfApi, JsonValuesLargerPackedThanMaxValueBytesAre413) {
  createDomain();
  auto created =
      post("/datasets",
           R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD",)"
           R"( "length": 10000000}, "shape": [40]})");
  if (created.status != 201)
    GTEST_SKIP() << "this arrays backend refuses the dataset itself: " << created.body;
  const std::string d = parse(created.body)->getValue<std::string>("id");
  // 40 elements of 10 MB: 400 MB packed, over the default 256 MB.
  std::string forty = "{\"value\": [";
  for (int i = 0; i < 40; ++i) forty += i ? ",\"a\"" : "\"a\"";
  forty += "]}";
  auto r = put("/datasets/" + d + "/value", forty);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("more than the limit"), std::string::npos) << r.body;
  r = put("/datasets/" + d + "/value", R"({"value_base64": "YQ=="})");
  EXPECT_EQ(r.status, 413) << r.body;
  // One element fits: the limit is on what a request writes, not on the type.
  r = put("/datasets/" + d + "/value?select=[1:2]", R"({"value": ["one"]})");
  EXPECT_EQ(r.status, 200) << r.body;
  r = get("/datasets/" + d + "/value?select=[0:2]");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(compact(parse(r.body)->get("value")), R"(["","one"])");
}

}  // namespace
}  // namespace strata::test
