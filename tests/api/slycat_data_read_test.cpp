// Reading arrayset data over HTTP (GET and POST .../arraysets/{aid}/data) on the memory, hdf5 and
// rocksdb arrays backends. The arrays are created through the slycat routes and their values
// written through the hdf plugin (the same container, as domain <storage id>.slycat.hdfgroup.org),
// which also checks that both plugins read the same values: JSON and binary output for every
// attribute type, slices, computed expressions, order:, the POST form, and every error status.
#include "slycat_test_support.h"
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace strata::test {
namespace {

using namespace slycat;

// Array 0: six rows, one attribute of each type, with the values below. Array 1: 3x4 int32
// (v = 4i + j) and float64 (v + 0.5). Array 3: four rows of float64; there is no array 2.
const char* kTypes[] = {"int8",   "int16",  "int32",   "int64",   "uint8", "uint16",
                        "uint32", "uint64", "float32", "float64", "string"};
const char* kValues[] = {
    "[-128, -1, 0, 1, 127, 5]",
    "[-32768, -2, 0, 2, 32767, 6]",
    "[-2147483648, -3, 0, 3, 2147483647, 7]",
    "[-9223372036854775808, -4, 0, 4, 9223372036854775807, 8]",
    "[0, 1, 2, 128, 255, 9]",
    "[0, 1, 2, 32768, 65535, 10]",
    "[0, 1, 2, 2147483648, 4294967295, 11]",
    "[0, 1, 2, 9223372036854775808, 18446744073709551615, 12]",
    R"([0.1, 0.5, -1.5, 1e20, "NaN", 3])",
    R"([0.5, 1.0, "NaN", "Infinity", "-Infinity", 1e-05])",
    R"(["red", "gr\u00fcn", "\u65e5\u672c", "a\"b\\c\n", "", "\ud83d\ude00"])",
};
// What the slycat route answers for each, as Python's json.dumps writes it (nan and inf: null).
const char* kJson[] = {
    "[-128, -1, 0, 1, 127, 5]",
    "[-32768, -2, 0, 2, 32767, 6]",
    "[-2147483648, -3, 0, 3, 2147483647, 7]",
    "[-9223372036854775808, -4, 0, 4, 9223372036854775807, 8]",
    "[0, 1, 2, 128, 255, 9]",
    "[0, 1, 2, 32768, 65535, 10]",
    "[0, 1, 2, 2147483648, 4294967295, 11]",
    "[0, 1, 2, 9223372036854775808, 18446744073709551615, 12]",
    "[0.10000000149011612, 0.5, -1.5, 1.0000000200408773e+20, null, 3.0]",
    "[0.5, 1.0, null, null, null, 1e-05]",
    R"(["red", "gr\u00fcn", "\u65e5\u672c", "a\"b\\c\n", "", "\ud83d\ude00"])",
};

class SlycatDataRead : public SlycatServer {
 protected:
  void SetUp() override {
    startServer("memory", GetParam(), {{"plugins.load", "slycat,hdf"}});
    pid_ = newProject(true);
    mid_ = newModel(pid_);
    base_ = "/api/models/" + mid_ + "/arraysets/data";
    ASSERT_EQ(req("PUT", base_, R"({"input": true})").status, 200);
    std::string attrs;
    for (std::size_t j = 0; j < std::size(kTypes); ++j)
      attrs += std::string(j ? "," : "") + R"({"name": "a)" + std::to_string(j) + R"(", "type": ")" +
               kTypes[j] + "\"}";
    put("/arrays/0", R"({"dimensions": [{"name": "row", "end": 6}], "attributes": [)" + attrs + "]}");
    put("/arrays/1", R"({"dimensions": [{"name": "i", "end": 3}, {"name": "j", "end": 4}],)"
                     R"( "attributes": [{"name": "v", "type": "int32"}, {"name": "w", "type": "float64"}]})");
    put("/arrays/3",
        R"({"dimensions": [{"name": "row", "end": 4}], "attributes": [{"name": "x", "type": "float64"}]})");

    host_ = parse(req("GET", "/api/models/" + mid_))->getValue<std::string>("artifact:data") +
            ".slycat.hdfgroup.org";
    for (std::size_t j = 0; j < std::size(kTypes); ++j) writeValue(0, j, kValues[j]);
    writeValue(1, 0, "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]");
    writeValue(1, 1, "[[0.5, 1.5, 2.5, 3.5], [4.5, 5.5, 6.5, 7.5], [8.5, 9.5, 10.5, 11.5]]");
    writeValue(3, 0, "[3.0, 1.0, 2.0, 0.25]");
  }

  void put(const std::string& path, const std::string& body) {
    const auto r = req("PUT", base_ + path, body);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string datasetId(int array, std::size_t attribute) {
    return hdfObjectId(host_.substr(0, host_.find('.')),
                       "/array/" + std::to_string(array) + "/attribute/" + std::to_string(attribute));
  }

  void writeValue(int array, std::size_t attribute, const std::string& value) {
    const auto r = req("PUT", "/datasets/" + datasetId(array, attribute) + "/value?host=" + host_,
                       R"({"value": )" + value + "}", kRoot);
    ASSERT_EQ(r.status, 200) << array << "/" << attribute << ": " << r.body;
  }

  HttpResult get(const std::string& hyperchunks, const std::string& extra = "", const Headers& h = kAlice) {
    return req("GET", base_ + "/data?hyperchunks=" + urlEncode(hyperchunks) + extra, "", h);
  }
  // The JSON body of a successful GET.
  std::string json(const std::string& hyperchunks) {
    const auto r = get(hyperchunks);
    EXPECT_EQ(r.status, 200) << hyperchunks << ": " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << hyperchunks;
    EXPECT_EQ(r.header("Transfer-Encoding"), "chunked") << hyperchunks;
    return r.body;
  }
  std::string binary(const std::string& hyperchunks, const std::string& order) {
    const auto r = get(hyperchunks, "&byteorder=" + order);
    EXPECT_EQ(r.status, 200) << hyperchunks << ": " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/octet-stream") << hyperchunks;
    // The length is known before the body: sent as Content-Length, not chunked.
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size())) << hyperchunks;
    return r.body;
  }
  std::string error(const HttpResult& r, int status) { return errorMessage(r, status); }

  std::string pid_, mid_, base_, host_;
};

TEST_P(SlycatDataRead, EveryTypeReadsAsJsonLikeThroughTheHdfPlugin) {
  for (std::size_t j = 0; j < std::size(kTypes); ++j) {
    SCOPED_TRACE(kTypes[j]);
    const std::string body = json("0/" + std::to_string(j) + "/...");
    EXPECT_EQ(body, std::string("[") + kJson[j] + "]");

    // The hdf plugin's view of the same dataset holds the same values.
    const auto h = req("GET", "/datasets/" + datasetId(0, j) + "/value?host=" + host_, "", kRoot);
    ASSERT_EQ(h.status, 200) << h.body;
    const auto hdf = parse(h)->getArray("value");
    const auto ours = Poco::JSON::Parser().parse(body).extract<Array::Ptr>()->getArray(0);
    ASSERT_EQ(hdf->size(), ours->size());
    for (unsigned i = 0; i < hdf->size(); ++i) {
      const auto a = hdf->get(i), b = ours->get(i);
      if (b.isEmpty()) {  // null: nan or an infinity
        ASSERT_TRUE(a.isString()) << i;
        EXPECT_TRUE(a.toString() == "NaN" || a.toString() == "Infinity" || a.toString() == "-Infinity");
      } else if (b.isString() || b.isInteger()) {
        EXPECT_EQ(a.toString(), b.toString()) << i;
      } else if (std::string(kTypes[j]) == "float32") {
        EXPECT_EQ(static_cast<float>(a.convert<double>()), static_cast<float>(b.convert<double>())) << i;
      } else {
        EXPECT_EQ(a.convert<double>(), b.convert<double>()) << i;
      }
    }
  }
  // All at once, in attribute order; and without the /api prefix.
  std::string all = "[";
  for (std::size_t j = 0; j < std::size(kTypes); ++j) all += std::string(j ? ", " : "") + kJson[j];
  EXPECT_EQ(json("0/.../..."), all + "]");
  const auto r = req("GET", "/models/" + mid_ + "/arraysets/data/data?hyperchunks=0/3/1:3");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[[-4, 0]]");
}

TEST_P(SlycatDataRead, EveryNumericTypeReadsAsRawBytesInEitherOrder) {
  const std::vector<int64_t> i8{-128, -1, 0, 1, 127, 5}, i16{-32768, -2, 0, 2, 32767, 6},
      i32{-2147483648LL, -3, 0, 3, 2147483647, 7}, i64{INT64_MIN, -4, 0, 4, INT64_MAX, 8};
  const std::vector<uint64_t> u8{0, 1, 2, 128, 255, 9}, u16{0, 1, 2, 32768, 65535, 10},
      u32{0, 1, 2, 2147483648u, 4294967295u, 11}, u64{0, 1, 2, 1ull << 63, UINT64_MAX, 12};
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> f32{0.1, 0.5, -1.5, 1e20, nan, 3}, f64{0.5, 1.0, nan, inf, -inf, 1e-05};
  for (const bool big : {false, true}) {
    const std::string order = big ? "big" : "little";
    SCOPED_TRACE(order);
    EXPECT_EQ(binary("0/0/...", order), bytesOf<int8_t>(i8, big));
    EXPECT_EQ(binary("0/1/...", order), bytesOf<int16_t>(i16, big));
    EXPECT_EQ(binary("0/2/...", order), bytesOf<int32_t>(i32, big));
    EXPECT_EQ(binary("0/3/...", order), bytesOf<int64_t>(i64, big));
    EXPECT_EQ(binary("0/4/...", order), bytesOf<uint8_t>(u8, big));
    EXPECT_EQ(binary("0/5/...", order), bytesOf<uint16_t>(u16, big));
    EXPECT_EQ(binary("0/6/...", order), bytesOf<uint32_t>(u32, big));
    EXPECT_EQ(binary("0/7/...", order), bytesOf<uint64_t>(u64, big));
    EXPECT_EQ(binary("0/8/...", order), bytesOf<float>(f32, big));
    EXPECT_EQ(binary("0/9/...", order), bytesOf<double>(f64, big));
    // Items follow each other without separators, in the requested order.
    EXPECT_EQ(binary("0/3/1;0/0/-1|0", order), bytesOf<int64_t>(std::vector<int64_t>{-4}, big) +
                                                   bytesOf<int8_t>(std::vector<int64_t>{5, -128}, big));
    EXPECT_EQ(binary("1/0/0:3:2,1:", order), bytesOf<int32_t>(std::vector<int>{1, 2, 3, 9, 10, 11}, big));
    // Computed values: booleans take a byte, index() and rank() an int64, aN its own type.
    EXPECT_EQ(binary("0/a3 > 0/...", order), std::string("\0\0\0\1\1\1", 6));
    EXPECT_EQ(binary("0/index(0)/1:4", order), bytesOf<int64_t>(std::vector<int>{1, 2, 3}, big));
    EXPECT_EQ(binary("0/a1/0:2", order), bytesOf<int16_t>(std::vector<int>{-32768, -2}, big));
    EXPECT_EQ(binary("0/0/order:rank(a0, \"desc\")/0:3", order),
              bytesOf<int8_t>(std::vector<int>{127, 5, 1}, big));
    EXPECT_EQ(binary("0/0/3:1", order), "");
  }
}

TEST_P(SlycatDataRead, SlicesShapesAndItemsFollowTheHyperchunks) {
  // Steps, negative indices, integer entries dropping their dimension, padding, "...".
  EXPECT_EQ(json("1/0/0:3:2,1:"), "[[[1, 2, 3], [9, 10, 11]]]");
  EXPECT_EQ(json("1/0/-1"), "[[8, 9, 10, 11]]");
  EXPECT_EQ(json("1/0/-2,-1"), "[7]");
  EXPECT_EQ(json("1/0/...,2"), "[[2, 6, 10]]");
  EXPECT_EQ(json("1/0/1:"), "[[[4, 5, 6, 7], [8, 9, 10, 11]]]");
  EXPECT_EQ(json("1/1/::2,-1"), "[[3.5, 11.5]]");
  EXPECT_EQ(json("1/0/0,0|2,3|1,1:3"), "[0, 11, [5, 6]]");
  EXPECT_EQ(json("0/0/5:100"), "[[5]]");
  // Zero elements: empty lists, nested as the shape says.
  EXPECT_EQ(json("0/0/3:1"), "[[]]");
  EXPECT_EQ(json("1/0/0:0"), "[[]]");
  EXPECT_EQ(json("1/0/:,0:0"), "[[[], [], []]]");
  // Several hyperchunks; "..." and ranges of arrays skip the missing array 2.
  EXPECT_EQ(json("0/3/0:2;1/1/0,0"), "[[-9223372036854775808, -4], 0.5]");
  EXPECT_EQ(json(".../0/0"), "[-128, [0, 1, 2, 3], 3.0]");
  EXPECT_EQ(json("0:10/0/-1"), "[5, [8, 9, 10, 11], 0.25]");
  EXPECT_EQ(json("2/0/0"), "[]");
  // Without attributes or hyperslices, a hyperchunk yields nothing (as in Slycat).
  EXPECT_EQ(json("0"), "[]");
  EXPECT_EQ(json("0/0;1/0/0,0"), "[0]");
}

TEST_P(SlycatDataRead, ComputedExpressionsAndOrder) {
  EXPECT_EQ(json("0/a3 > 0/..."), "[[false, false, false, true, true, true]]");
  EXPECT_EQ(json("0/a0 > 0/1:"), "[[false, false, true, true, true]]");
  EXPECT_EQ(json("0/index(0)/..."), "[[0, 1, 2, 3, 4, 5]]");
  EXPECT_EQ(json("1/index(1)/1"), "[[0, 1, 2, 3]]");
  // rank() is an argsort: -inf, 1e-05, 0.5, 1.0, inf, then nan.
  EXPECT_EQ(json("0/rank(a9, \"asc\")/..."), "[[4, 5, 0, 1, 3, 2]]");
  EXPECT_EQ(json("0/a9|a8/0:2"), "[[0.5, 1.0], [0.10000000149011612, 0.5]]");
  // aN goes through the evaluator (doubles); the 64-bit ends still print as the stored values.
  EXPECT_EQ(json("0/a3|a7/..."), std::string("[") + kJson[3] + ", " + kJson[7] + "]");
  EXPECT_EQ(json("0/a10 in [\"red\", \"\"]/..."), "[[true, false, false, false, true, false]]");
  EXPECT_EQ(json("0/(a0 < 0 or a0 > 100) and a4 != 0/..."), "[[false, true, false, false, true, false]]");
  // order: sorts the rows, then the hyperslice applies.
  EXPECT_EQ(json("0/0|10/order:rank(a0,\"asc\")/0:3"),
            R"([[-128, -1, 0], ["red", "gr\u00fcn", "\u65e5\u672c"]])");
  EXPECT_EQ(json("0/0|10/order:rank(a0, \"asc\")/3:6"),
            R"([[1, 5, 127], ["a\"b\\c\n", "\ud83d\ude00", ""]])");
  EXPECT_EQ(json("3/0|index(0)/order:rank(a0, \"desc\")/..."), "[[3.0, 2.0, 1.0, 0.25], [0, 2, 1, 3]]");
  EXPECT_EQ(json("3/0/order:index(0)/1"), "[1.0]");
  // An order that is not a permutation is a 400 before anything is sent.
  EXPECT_NE(error(get("3/0/order:rank(a0, \"asc\");3/0/order:foo(a0)/0"), 400).find("foo"),
            std::string::npos);
}

TEST_P(SlycatDataRead, PostTakesTheParametersInTheBody) {
  const std::string data = base_ + "/data";
  auto r = req("POST", data, R"({"hyperchunks": "0/0/0:2;1/0/1,1", "include_nans": true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, "[[-128, -1], 5]");
  r = req("POST", data, R"({"hyperchunks": "0/2/0:2", "byteorder": "big"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.body, bytesOf<int32_t>(std::vector<int64_t>{-2147483648LL, -3}, true));
  r = req("POST", "/models/" + mid_ + "/arraysets/data/data",
          R"({"hyperchunks": "0/0/1", "byteorder": null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[-1]");

  EXPECT_EQ(error(req("POST", data, R"({"byteorder": "little"})"), 400), "Missing 'hyperchunks' parameter.");
  EXPECT_EQ(error(req("POST", data, R"({"hyperchunks": "0/0/0", "extra": 1})"), 400),
            "Unexpected parameter 'extra'.");
  EXPECT_EQ(error(req("POST", data, R"({"hyperchunks": 5})"), 400),
            "'hyperchunks' parameter must be a string.");
  EXPECT_EQ(error(req("POST", data, R"({"hyperchunks": "0/0/0", "byteorder": "middle"})"), 400),
            "optional byteorder argument must be big or little.");
  error(req("POST", data, "{not json"), 400);
  // 2 MiB of hyperchunks.
  const std::string big = R"({"hyperchunks": "0/a0 in [)" + std::string(1 << 20, '1') + "," +
                          std::string(1 << 20, '2') + R"(]/..."})";
  error(req("POST", data, big), 413);
}

TEST_P(SlycatDataRead, BadRequestsFailBeforeTheBody) {
  EXPECT_EQ(error(req("GET", base_ + "/data"), 400), "Missing 'hyperchunks' parameter.");
  for (const std::string order : {"middle", ""})
    EXPECT_EQ(error(get("0/0/...", "&byteorder=" + order), 400),
              "optional byteorder argument must be big or little.");
  EXPECT_NE(error(get("0/10/...", "&byteorder=little"), 400).find("string"), std::string::npos);
  EXPECT_NE(error(get("0/0/0:2;0/10/1", "&byteorder=big"), 400).find("string"), std::string::npos);
  EXPECT_NE(error(get("0/0/1,,2"), 400).find("position"), std::string::npos);
  EXPECT_NE(error(get("0/0/::0"), 400).find("step"), std::string::npos);
  EXPECT_NE(error(get("0/0/6"), 400).find("out of range"), std::string::npos);
  EXPECT_NE(error(get("1/0/0,4"), 400).find("out of range"), std::string::npos);
  EXPECT_NE(error(get("1/0/0,0,0"), 400).find("entries"), std::string::npos);
  EXPECT_NE(error(get("0/a11/..."), 400).find("a11"), std::string::npos);
  EXPECT_NE(error(get("0/foo(a0)/..."), 400).find("unknown function"), std::string::npos);
  EXPECT_NE(error(get("1/rank(a0, \"asc\")/..."), 400).find("1-dimensional"), std::string::npos);
  EXPECT_NE(error(get("1/0/order:rank(a0, \"asc\")/..."), 400).find("1-dimensional"), std::string::npos);
  EXPECT_NE(error(get("0/a10 > 1/..."), 400).find("strings"), std::string::npos);
  // The failing item comes after good ones: still a 400, never a cut-off 200.
  EXPECT_NE(error(get("0/.../...;1/0/9"), 400).find("out of range"), std::string::npos);
  EXPECT_NE(error(get("0/0/...;0/index(3)/..."), 400).find("index"), std::string::npos);
  // Unknown artifact: 404.
  error(req("GET", "/api/models/" + mid_ + "/arraysets/nope/data?hyperchunks=0/0/0"), 404);
  error(req("GET", "/api/models/0123456789abcdef0123456789abcdef/arraysets/data/data?hyperchunks=0/0/0"),
        404);
}

TEST_P(SlycatDataRead, AccessAndContentNegotiation) {
  // Readers read; others do not, whatever they ask for.
  auto r = get("0/0/0", "", kCarol);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[-128]");
  EXPECT_EQ(req("GET", base_ + "/data?hyperchunks=0/0/0", "", {}).status, 401);
  const std::string other = newModel(newProject(false));
  const std::string otherData = "/api/models/" + other + "/arraysets/data/data";
  error(req("GET", otherData + "?hyperchunks=0/0/0", "", kCarol), 403);
  error(req("GET", otherData + "?hyperchunks=0/0/", "", kCarol), 403);
  error(req("POST", otherData, "{not json", kCarol), 403);
  error(req("POST", otherData, R"({"hyperchunks": "0/0/0"})", {}), 401);
  EXPECT_EQ(get("0/0/0", "", kRoot).body, "[-128]");

  // Accept must allow the type that the byte order chooses.
  const auto accept = [&](const std::string& value, const std::string& extra) {
    Headers h = kAlice;
    h["Accept"] = value;
    return get("0/0/0", extra, h);
  };
  EXPECT_EQ(accept("application/json", "").status, 200);
  EXPECT_EQ(accept("*/*", "&byteorder=little").status, 200);
  EXPECT_EQ(accept("text/html, application/*;q=0.9", "&byteorder=little").status, 200);
  EXPECT_EQ(accept("application/octet-stream", "&byteorder=little").body, std::string("\x80", 1));
  EXPECT_NE(error(accept("application/json", "&byteorder=little"), 406).find("application/octet-stream"),
            std::string::npos);
  EXPECT_NE(error(accept("text/csv", ""), 406).find("application/json"), std::string::npos);
  error(accept("application/json;q=0", ""), 406);
}

TEST_P(SlycatDataRead, FloatsPrintAsPythonRepr) {
  // Python's json.dumps of the same list (the exponent form starts below 1e-4 and at 1e16).
  const std::string values =
      "[1e+16, 9999999999999998.0, 0.0001, 9.999e-05, -0.0, 5e-324, 1.7976931348623157e+308, 123456789.125, "
      "1e+22, 12345.678, -2.5e-05, 1234567.0]";
  const std::string edge = "/api/models/" + mid_ + "/arraysets/edge";
  ASSERT_EQ(req("PUT", edge, R"({"input": false})").status, 200);
  ASSERT_EQ(
      req("PUT", edge + "/arrays/0",
          R"({"dimensions": [{"name": "row", "end": 12}], "attributes": [{"name": "x", "type": "float64"}]})")
          .status,
      200);
  host_ = parse(req("GET", "/api/models/" + mid_))->getValue<std::string>("artifact:edge") +
          ".slycat.hdfgroup.org";
  writeValue(0, 0, values);
  auto r = req("GET", edge + "/data?hyperchunks=0/0/...");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[" + values + "]");
  r = req("GET", edge + "/data?hyperchunks=" + urlEncode("0/a0/4|6;0/0/0:2"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "[-0.0, 1.7976931348623157e+308, [1e+16, 9999999999999998.0]]");
}

TEST_P(SlycatDataRead, LargeSelectionsStreamWhole) {
  // 600,000 rows: the strings take about 9 MiB in the store, more than one of its read blocks,
  // so that values straddle block boundaries.
  const int n = 600000;
  const std::string big = "/api/models/" + mid_ + "/arraysets/big";
  ASSERT_EQ(req("PUT", big, R"({"input": false})").status, 200);
  ASSERT_EQ(req("PUT", big + "/arrays/0",
                R"({"dimensions": [{"name": "row", "end": 600000}],)"
                R"( "attributes": [{"name": "x", "type": "float64"}, {"name": "s", "type": "string"}]})")
                .status,
            200);
  host_ = parse(req("GET", "/api/models/" + mid_))->getValue<std::string>("artifact:big") +
          ".slycat.hdfgroup.org";
  std::vector<double> x(n);
  std::string strings = "[", expectedStrings = "[[", expectedNumbers = "[[";
  for (int i = 0; i < n; ++i) {
    x[i] = i * 0.5;
    const std::string s = "s\u00e9" + std::to_string(i);
    strings += std::string(i ? ", \"" : "\"") + s + "\"";
    expectedStrings += std::string(i ? ", " : "") + "\"s\\u00e9" + std::to_string(i) + "\"";
    expectedNumbers += std::string(i ? ", " : "") + std::to_string(i / 2) + (i % 2 ? ".5" : ".0");
  }
  Headers binaryPut = kRoot;
  binaryPut["Content-Type"] = "application/octet-stream";
  auto r = req("PUT", "/datasets/" + datasetId(0, 0) + "/value?host=" + host_ + "&select=%5B0:600000%5D",
               bytesOf<double>(x, false), binaryPut);
  ASSERT_EQ(r.status, 200) << r.body;
  writeValue(0, 1, strings + "]");

  const auto read = [&](const std::string& hyperchunks, const std::string& extra) {
    r = req("GET", big + "/data?hyperchunks=" + urlEncode(hyperchunks) + extra);
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 200);
    return r.body;
  };
  EXPECT_EQ(read("0/0/...", "&byteorder=little"), bytesOf<double>(x, false));
  EXPECT_EQ(read("0/0/...", "&byteorder=big"), bytesOf<double>(x, true));
  EXPECT_TRUE(read("0/0/...", "") == expectedNumbers + "]]");
  EXPECT_TRUE(read("0/1/...", "") == expectedStrings + "]]");
  EXPECT_TRUE(read("0/1/...;0/0/-1", "") == expectedStrings + "], 299999.5]");
}

INSTANTIATE_TEST_SUITE_P(Arrays, SlycatDataRead, ::testing::Values("memory", "hdf5", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace strata::test
