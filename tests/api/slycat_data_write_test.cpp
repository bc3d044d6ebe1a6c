// PUT /api/models/{mid}/arraysets/{aid}/data over HTTP on the memory, hdf5 and rocksdb arrays
// backends: binary data in both byte orders (several types, 2-D, steps), JSON data (nested,
// flat, scalar, null, non-ASCII strings), multi-chunk hyperchunks, every rejected input (each
// followed by a check that nothing changed), access, a client that goes away mid-upload,
// concurrent writers, and the model's message. What was written is read back through the hdf
// plugin, which serves the same arrays store: the arrayset `slycat/<sid>` is the domain
// `<sid>.slycat.hdfgroup.org`.
#include "slycat_test_support.h"
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using namespace slycat;
using Poco::Dynamic::Var;

const std::string kBoundary = "----strataFormBoundary7MA4YWxk";

// One part of a multipart/form-data body.
struct Part {
  std::string name, value;
  bool file = false;
};

std::string multipart(const std::vector<Part>& parts, const std::string& boundary = kBoundary,
                      bool close = true) {
  std::string b;
  for (const Part& p : parts) {
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (p.file) b += "; filename=\"" + p.name + "\"\r\nContent-Type: application/octet-stream";
    b += "\r\n\r\n" + p.value + "\r\n";
  }
  if (close) b += "--" + boundary + "--\r\n";
  return b;
}

// The form Slycat's Python client sends: fields, then the data file.
std::vector<Part> form(const std::string& hyperchunks, const std::string& data,
                       const std::optional<std::string>& byteorder = std::nullopt) {
  std::vector<Part> parts{{"hyperchunks", hyperchunks}};
  if (byteorder) parts.push_back({"byteorder", *byteorder});
  parts.push_back({"data", data, true});
  return parts;
}

void flatten(const Var& v, std::vector<Var>& out) {
  if (v.type() == typeid(Array::Ptr)) {
    const auto a = v.extract<Array::Ptr>();
    for (std::size_t i = 0; i < a->size(); ++i) flatten(a->get(static_cast<unsigned>(i)), out);
  } else {
    out.push_back(v);
  }
}

class SlycatDataWrite : public SlycatServer {
 protected:
  void SetUp() override { start({}); }

  void start(std::map<std::string, std::string> extra) {
    extra["plugins.load"] = "slycat,hdf";
    startServer("memory", GetParam(), extra);
    pid_ = newProject(true);
    mid_ = newModel(pid_);
    ASSERT_EQ(req("PUT", base(), R"({"input": true})").status, 200);
  }

  std::string base(const std::string& aid = "data") const {
    return "/api/models/" + mid_ + "/arraysets/" + aid;
  }

  void array(int i, const std::string& dims, const std::string& attrs, const std::string& aid = "data") {
    const auto r = req("PUT", base(aid) + "/arrays/" + std::to_string(i),
                       R"({"dimensions": )" + dims + R"(, "attributes": )" + attrs + "}");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  HttpResult putBody(const std::string& body, const Headers& h = kAlice,
                     const std::string& boundary = kBoundary, const std::string& path = "") {
    Headers headers = h;
    headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
    return req("PUT", path.empty() ? base() + "/data" : path, body, headers);
  }
  HttpResult put(const std::string& hyperchunks, const std::string& data,
                 const std::optional<std::string>& byteorder = std::nullopt) {
    return putBody(multipart(form(hyperchunks, data, byteorder)));
  }
  void ok(const std::string& hyperchunks, const std::string& data,
          const std::optional<std::string>& byteorder = std::nullopt) {
    const auto r = put(hyperchunks, data, byteorder);
    EXPECT_EQ(r.status, 200) << hyperchunks << ": " << r.body;
    EXPECT_TRUE(r.body.empty()) << r.body;
  }

  // Reads attribute j of array i through the hdf plugin, as its JSON leaves in C order.
  std::vector<Var> stored(int i, int j, const std::string& aid = "data") {
    const auto m = parse(req("GET", "/api/models/" + mid_));
    const std::string host = "?host=" + m->getValue<std::string>("artifact:" + aid) + ".slycat.hdfgroup.org";
    auto get = [&](const std::string& path) {
      const auto r = req("GET", path + host, "", kRoot);
      EXPECT_EQ(r.status, 200) << path << ": " << r.body;
      return parse(r);
    };
    const std::string id = hdfObjectId(m->getValue<std::string>("artifact:" + aid),
                                       "/array/" + std::to_string(i) + "/attribute/" + std::to_string(j));
    std::vector<Var> out;
    flatten(get("/datasets/" + id + "/value")->get("value"), out);
    return out;
  }
  std::vector<std::string> texts(int i, int j) {
    std::vector<std::string> out;
    for (const Var& v : stored(i, j)) out.push_back(v.toString());
    return out;
  }
  std::vector<double> numbers(int i, int j) {
    std::vector<double> out;
    for (const Var& v : stored(i, j)) {
      if (v.isString()) {
        const std::string s = v.toString();
        out.push_back(s == "NaN" ? std::nan("") : s == "Infinity" ? INFINITY : -INFINITY);
      } else {
        out.push_back(v.convert<double>());
      }
    }
    return out;
  }

  // Writes the first three values little-endian and the last three big-endian.
  template <class T>
  void roundTrip(int attribute, const std::vector<T>& values) {
    const std::vector<T> head(values.begin(), values.begin() + 3), tail(values.begin() + 3, values.end());
    const std::string a = std::to_string(attribute);
    ok("0/" + a + "/0:3", bytesOf<T>(head, false), "little");
    ok("0/" + a + "/3:6", bytesOf<T>(tail, true), "big");
  }

  std::string pid_, mid_;
};

// Equal, NaN included.
void expectNumbers(const std::vector<double>& actual, const std::vector<double>& expected,
                   const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t k = 0; k < actual.size(); ++k) {
    if (std::isnan(expected[k]))
      EXPECT_TRUE(std::isnan(actual[k])) << what << " [" << k << "]";
    else
      EXPECT_EQ(actual[k], expected[k]) << what << " [" << k << "]";
  }
}

const char* kAllTypes =
    R"([{"name": "i8", "type": "int8"}, {"name": "i16", "type": "int16"}, {"name": "i32", "type": "int32"},)"
    R"( {"name": "i64", "type": "int64"}, {"name": "u8", "type": "uint8"}, {"name": "u16", "type": "uint16"},)"
    R"( {"name": "u32", "type": "uint32"}, {"name": "u64", "type": "uint64"}, {"name": "f32", "type": "float32"},)"
    R"( {"name": "f64", "type": "float64"}, {"name": "s", "type": "string"}])";
const char* kRows6 = R"([{"name": "row", "end": 6}])";

TEST_P(SlycatDataWrite, BinaryInBothByteOrders) {
  array(0, kRows6, kAllTypes);
  roundTrip<int8_t>(0, {-128, -1, 0, 1, 100, 127});
  roundTrip<int16_t>(1, {-32768, -2, 0, 258, 1000, 32767});
  roundTrip<int32_t>(2, {INT32_MIN, -70000, 0, 65536, 123456789, INT32_MAX});
  roundTrip<int64_t>(3, {INT64_MIN, -1, 0, 1ll << 40, 1234567890123ll, INT64_MAX});
  roundTrip<uint8_t>(4, {0, 1, 127, 128, 200, 255});
  roundTrip<uint16_t>(5, {0, 1, 256, 4660, 40000, 65535});
  roundTrip<uint32_t>(6, {0, 1, 65536, 305419896, 3000000000u, UINT32_MAX});
  roundTrip<uint64_t>(7, {0, 1, 1ull << 32, 1ull << 63, 18446744073709551000ull, UINT64_MAX});
  roundTrip<float>(8, {1.5f, -2.25f, 0.0f, 16777216.0f, -0.125f, 3.0f});
  roundTrip<double>(9, {0.1, -1e300, 2.5, NAN, INFINITY, -7.0});

  EXPECT_EQ(texts(0, 0), (std::vector<std::string>{"-128", "-1", "0", "1", "100", "127"}));
  EXPECT_EQ(texts(0, 1), (std::vector<std::string>{"-32768", "-2", "0", "258", "1000", "32767"}));
  EXPECT_EQ(texts(0, 2),
            (std::vector<std::string>{"-2147483648", "-70000", "0", "65536", "123456789", "2147483647"}));
  EXPECT_EQ(texts(0, 3), (std::vector<std::string>{"-9223372036854775808", "-1", "0", "1099511627776",
                                                   "1234567890123", "9223372036854775807"}));
  EXPECT_EQ(texts(0, 4), (std::vector<std::string>{"0", "1", "127", "128", "200", "255"}));
  EXPECT_EQ(texts(0, 5), (std::vector<std::string>{"0", "1", "256", "4660", "40000", "65535"}));
  EXPECT_EQ(texts(0, 6),
            (std::vector<std::string>{"0", "1", "65536", "305419896", "3000000000", "4294967295"}));
  EXPECT_EQ(texts(0, 7), (std::vector<std::string>{"0", "1", "4294967296", "9223372036854775808",
                                                   "18446744073709551000", "18446744073709551615"}));
  expectNumbers(numbers(0, 8), {1.5, -2.25, 0.0, 16777216.0, -0.125, 3.0}, "float32");
  expectNumbers(numbers(0, 9), {0.1, -1e300, 2.5, NAN, INFINITY, -7.0}, "float64");
}

TEST_P(SlycatDataWrite, BinaryTwoDimensionalWithSteps) {
  array(0, R"([{"name": "x", "end": 4}, {"name": "y", "end": 6}])",
        R"([{"name": "f", "type": "float64"}, {"name": "i", "type": "int32"}])");
  // Rows 0 and 2, columns 1, 3 and 5, in C order.
  ok("0/0/0:4:2,1:6:2", bytesOf<double>({1, 2, 3, 4, 5, 6}, false), "little");
  // Row 3 (an integer index drops the dimension), every third column; big-endian.
  ok("0/1/3,0:6:3", bytesOf<int32_t>({-7, 9}, true), "big");
  // Fewer slices than dimensions pad with full ranges: row 1 whole.
  ok("0/1/1", bytesOf<int32_t>({1, 2, 3, 4, 5, 6}, false), "little");
  // byteorder may follow the data.
  const auto r = putBody(multipart(
      {{"hyperchunks", "0/0/3,5"}, {"data", bytesOf<double>({9}, true), true}, {"byteorder", "big"}}));
  EXPECT_EQ(r.status, 200) << r.body;
  expectNumbers(numbers(0, 0), {0, 1, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 5, 0, 6, 0, 0, 0, 0, 0, 9}, "f");
  expectNumbers(numbers(0, 1), {0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, -7, 0, 0, 9, 0, 0},
                "i");
}

TEST_P(SlycatDataWrite, JsonNestedFlatScalarNullAndStrings) {
  array(
      0, R"([{"name": "x", "end": 3}, {"name": "y", "end": 4}])",
      R"([{"name": "i", "type": "int64"}, {"name": "f", "type": "float32"}, {"name": "s", "type": "string"}])");
  // Nested lists of the hyperslice's shape, a flat list, and a bare value for a single cell.
  ok("0/0/0:2,0:2|2,1:4|1,3", R"([[[1, 2], [3, 4]], [5, 6, 7], 8.0])");
  // A flat list for a 2-D block; null is NaN; NaN and Infinity tokens.
  ok("0/1/1:3,2:4", R"([[0.5, null, NaN, -Infinity]])");
  ok("0/1/0,0", "[1e3]");
  ok("0/2/0,0|2,1:3", R"(["Grüße, 日本", ["\u00e9t\u00e9", "plain"]])");
  EXPECT_EQ(texts(0, 0),
            (std::vector<std::string>{"1", "2", "0", "0", "3", "4", "0", "8", "0", "5", "6", "7"}));
  expectNumbers(numbers(0, 1), {1000, 0, 0, 0, 0, 0, 0.5, NAN, 0, 0, NAN, -INFINITY}, "float32");
  EXPECT_EQ(texts(0, 2),
            (std::vector<std::string>{"Grüße, 日本", "", "", "", "", "", "", "", "", "été", "plain", ""}));
}

// Data that holds the delimiter's first bytes (CRLF, dashes, most of the boundary) and ends
// with CR LF is data, not a delimiter; an upload larger than the form reader's 1 MiB blocks
// arrives whole.
TEST_P(SlycatDataWrite, DataLikeTheDelimiterAndLargerThanABlockArrivesWhole) {
  const std::string tricky = "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1) + "\r\n--\r\n";
  array(0, "[{\"name\": \"r\", \"end\": " + std::to_string(tricky.size()) + "}]",
        R"([{"name": "a", "type": "uint8"}])");
  ok("0/0/...", tricky, "little");
  const std::vector<double> got = numbers(0, 0);
  ASSERT_EQ(got.size(), tricky.size());
  for (std::size_t k = 0; k < tricky.size(); ++k)
    EXPECT_EQ(got[k], static_cast<unsigned char>(tricky[k])) << k;

  const std::size_t n = 300000;  // 2.4 MB of float64
  array(1, "[{\"name\": \"r\", \"end\": " + std::to_string(n) + "}]",
        R"([{"name": "x", "type": "float64"}])");
  std::vector<double> values(n);
  for (std::size_t k = 0; k < n; ++k) values[k] = static_cast<double>(k) * 0.5 - 7;
  ok("1/0/...", bytesOf<double>(values, false), "little");
  EXPECT_EQ(numbers(1, 0), values);
}

TEST_P(SlycatDataWrite, MultiChunkHyperchunksInOrder) {
  // The documentation's example in small: element 5 of array 0, attribute 1; a range of array 1;
  // a 2x2 block of array 2; two ranges of array 0, attribute 0; as contiguous bytes in order.
  array(0, R"([{"name": "r", "end": 8}])",
        R"([{"name": "a", "type": "int16"}, {"name": "b", "type": "int16"}])");
  array(1, R"([{"name": "r", "end": 8}])", R"([{"name": "a", "type": "int16"}])");
  array(2, R"([{"name": "x", "end": 3}, {"name": "y", "end": 3}])", R"([{"name": "a", "type": "int16"}])");
  ok("0/1/5;1/0/2:5;2/0/0:2,0:2;0/0/0:2|6:8",
     bytesOf<int16_t>({50, 12, 13, 14, 20, 21, 23, 24, 1, 2, 7, 8}, false), "little");
  EXPECT_EQ(texts(0, 1), (std::vector<std::string>{"0", "0", "0", "0", "0", "50", "0", "0"}));
  EXPECT_EQ(texts(1, 0), (std::vector<std::string>{"0", "0", "12", "13", "14", "0", "0", "0"}));
  EXPECT_EQ(texts(2, 0), (std::vector<std::string>{"20", "21", "0", "23", "24", "0", "0", "0", "0"}));
  EXPECT_EQ(texts(0, 0), (std::vector<std::string>{"1", "2", "0", "0", "0", "0", "7", "8"}));
  // aN is a write target too; the same in JSON, without the /api prefix; negative indices.
  const auto r = putBody(multipart(form("0/a1/-1;1/0/0:2", "[-5, [6, 7]]")), kAlice, kBoundary,
                         "/models/" + mid_ + "/arraysets/data/data");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(texts(0, 1), (std::vector<std::string>{"0", "0", "0", "0", "0", "50", "0", "-5"}));
  EXPECT_EQ(texts(1, 0), (std::vector<std::string>{"6", "7", "12", "13", "14", "0", "0", "0"}));
}

TEST_P(SlycatDataWrite, ItemsWithoutAttributesOrHyperslicesWriteNothing) {
  array(0, kRows6, R"([{"name": "a", "type": "int64"}])");
  ok("0/0/...", "[[1, 2, 3, 4, 5, 6]]");
  // No attributes, no hyperslices, an array that does not exist: nothing, with empty data.
  ok("0", "[]");
  ok("0/0", "[]");
  ok("3/0/...", "[]");
  ok("0/0;0", "", "little");
  // They take no data, so data for them is too much.
  EXPECT_EQ(put("0/0", "[[9, 9, 9, 9, 9, 9]]").status, 400);
  EXPECT_EQ(texts(0, 0), (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
  // The model's message.
  EXPECT_EQ(parse(req("GET", "/api/models/" + mid_))->getValue<std::string>("message"),
            "Storing data to array set data.");
}

TEST_P(SlycatDataWrite, RejectedWritesChangeNothing) {
  array(
      0, R"([{"name": "r", "end": 4}])",
      R"([{"name": "i", "type": "int8"}, {"name": "f", "type": "float64"}, {"name": "s", "type": "string"}])");
  array(1, R"([{"name": "x", "end": 2}, {"name": "y", "end": 3}])", R"([{"name": "u", "type": "uint64"}])");
  ok("0/0|1/...;0/2/...;1/0/...",
     R"([[1, 2, 3, 4], [0.5, 1.5, 2.5, 3.5], ["a", "b", "c", "d"], [[1, 2, 3], [4, 5, 6]]])");
  const auto snapshot = [this] {
    std::vector<std::vector<std::string>> all{texts(0, 0), texts(0, 1), texts(0, 2), texts(1, 0)};
    return all;
  };
  const auto before = snapshot();
  ASSERT_EQ(before[0], (std::vector<std::string>{"1", "2", "3", "4"}));

  struct Case {
    std::string what, body, contentType;
    int status;
    std::string message;  // a part of the message
  };
  const std::string ct = "multipart/form-data; boundary=" + kBoundary;
  const std::string good = multipart(form("0/0/0:2;0/0/2:4", "[[9, 9], [9, 9]]"));
  std::vector<Case> cases = {
      {"missing data", multipart({{"hyperchunks", "0/0/..."}}), ct, 400, "Missing parameters: data"},
      {"missing hyperchunks", multipart({{"data", "[[9, 9, 9, 9]]", true}}), ct, 400,
       "Missing parameters: hyperchunks"},
      {"wrong boundary", multipart(form("0/0/...", "[[9, 9, 9, 9]]"), "other"), ct, 400, "multipart"},
      {"truncated part", good.substr(0, good.size() - 20), ct, 400, "multipart"},
      {"no closing delimiter", multipart(form("0/0/...", "[[9, 9, 9, 9]]"), kBoundary, false), ct, 400,
       "multipart"},
      {"not multipart", R"({"hyperchunks": "0/0/...", "data": [[9, 9, 9, 9]]})", "application/json", 400,
       "multipart/form-data"},
      {"no boundary", good, "multipart/form-data", 400, "multipart/form-data"},
      {"byteorder empty", multipart(form("0/0/...", "\t\t\t\t", "")), ct, 400,
       "optional byteorder argument must be big or little."},
      {"byteorder other", multipart(form("0/0/...", "\t\t\t\t", "middle")), ct, 400,
       "optional byteorder argument must be big or little."},
      {"json too few values", multipart(form("0/0/...", "[[9, 9, 9]]")), ct, 400, "hyperslice holds 4"},
      {"json too many values", multipart(form("0/0/...", "[[9, 9, 9, 9, 9]]")), ct, 400, "more values"},
      {"json wrong nesting", multipart(form("0/0/...", "[[[9], [9], [9], [9]]]")), ct, 400, "nested deeper"},
      {"json wrong shape", multipart(form("1/0/...", "[[[1, 2], [3, 4], [5, 6]]]")), ct, 400, "shape (2, 3)"},
      {"json mixed nesting", multipart(form("1/0/...", "[[[1, 2, 3], 4, 5, 6]]")), ct, 400, "needs a list"},
      {"json string into int", multipart(form("0/0/...", R"([[1, 2, "3", 4]])")), ct, 400, "integers only"},
      {"json fraction into int", multipart(form("0/0/...", "[[1, 2, 3.5, 4]]")), ct, 400, "integers only"},
      {"json out of int8 range", multipart(form("0/0/...", "[[1, 2, 300, 4]]")), ct, 400, "int8 range"},
      {"json negative into uint64", multipart(form("1/0/0,0", "[-1]")), ct, 400, "uint64 range"},
      {"json bool into float", multipart(form("0/1/0", "[true]")), ct, 400, "numbers or null"},
      {"json number into string", multipart(form("0/2/0", "[5]")), ct, 400, "strings only"},
      {"json null into int", multipart(form("0/0/0", "[null]")), ct, 400, "integers only"},
      {"json object", multipart(form("0/0/0", R"([{"a": 1}])")), ct, 400, "objects"},
      {"json not a list", multipart(form("0/0/0", "5")), ct, 400, "JSON list"},
      {"json malformed", multipart(form("0/0/0", "[5")), ct, 400, "not valid JSON"},
      {"json extra element", multipart(form("0/0/0", "[5, 6]")), ct, 400, "more elements"},
      {"json missing element", multipart(form("0/0/0;0/0/1", "[5]")), ct, 400, "1 elements"},
      {"json trailing bytes", multipart(form("0/0/0", "[5] [6]")), ct, 400, "not valid JSON"},
      {"json second item bad", multipart(form("0/0/0:2;0/0/2:4", "[[9, 9], [9, 999]]")), ct, 400,
       "int8 range"},
      {"binary short", multipart(form("0/0/...", "\t\t\t", "little")), ct, 400, "hyperchunks select 4 bytes"},
      {"binary long", multipart(form("0/0/...", "\t\t\t\t\t", "little")), ct, 400, "more than the 4 bytes"},
      {"binary long with a later item", multipart(form("0/0/0:2;0/0/2:4", "\t\t\t\t\t", "big")), ct, 400,
       "more than the 4 bytes"},
      {"strings with byteorder", multipart(form("0/2/...", "abcd", "little")), ct, 400, "string attributes"},
      {"computed attribute", multipart(form("0/index(0)/...", "[[9, 9, 9, 9]]")), ct, 400,
       "Cannot assign data to computed attributes."},
      {"comparison attribute", multipart(form("0/a0 > 2/...", "[[9, 9, 9, 9]]")), ct, 400,
       "Cannot assign data to computed attributes."},
      {"index out of range", multipart(form("0/0/99", "[9]")), ct, 400, "out of range"},
      {"aN out of range", multipart(form("0/a7/...", "[[9, 9, 9, 9]]")), ct, 400, "Attribute 7 out of range"},
      {"step 0", multipart(form("0/0/0:4:0", "[[9, 9, 9, 9]]")), ct, 400, "step"},
      {"bad hyperchunks", multipart(form("0/0/1,,2", "[9]")), ct, 400, "hyperchunks"},
      {"duplicate field",
       multipart({{"hyperchunks", "0/0/0"}, {"hyperchunks", "0/0/1"}, {"data", "[9]", true}}), ct, 400,
       "more than once"},
      {"unexpected field", multipart({{"hyperchunks", "0/0/0"}, {"extra", "1"}, {"data", "[9]", true}}), ct,
       400, "Unexpected parameter 'extra'."},
      {"hyperchunks too long", multipart(form(std::string((1 << 20) + 1, '0'), "[9]")), ct, 413,
       "longer than"},
  };
  for (const Case& c : cases) {
    Headers h = kAlice;
    h["Content-Type"] = c.contentType;
    const auto r = req("PUT", base() + "/data", c.body, h);
    const std::string message = errorMessage(r, c.status);
    EXPECT_NE(message.find(c.message), std::string::npos) << c.what << ": " << message;
  }
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(server_->log().find("internal error"), std::string::npos) << server_->log();
  // The data part may come before the fields as well, and data as a plain field.
  const auto r = putBody(multipart({{"data", "[[9, 8, 7, 6]]"}, {"hyperchunks", "0/0/..."}}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(texts(0, 0), (std::vector<std::string>{"9", "8", "7", "6"}));
}

TEST_P(SlycatDataWrite, JsonDataIsBounded) {
  start({{"plugins.slycat.maxJsonDataBytes", "1K"}});
  array(0, R"([{"name": "r", "end": 1000}])", R"([{"name": "f", "type": "float64"}])");
  std::string data = "[[";
  for (int k = 0; k < 1000; ++k) data += (k ? ", " : "") + std::to_string(k);
  data += "]]";
  EXPECT_EQ(errorMessage(put("0/0/...", data), 413), "JSON data may hold at most 1024 bytes");
  EXPECT_EQ(numbers(0, 0), std::vector<double>(1000, 0.0));
  // Binary data is bounded by what the hyperchunks select only.
  std::vector<double> values;
  for (int k = 0; k < 1000; ++k) values.push_back(k * 0.5);
  ok("0/0/...", bytesOf<double>(values, false), "little");
  EXPECT_EQ(numbers(0, 0), values);
}

TEST_P(SlycatDataWrite, AccessIsCheckedBeforeTheBody) {
  array(0, kRows6, R"([{"name": "a", "type": "int64"}])");
  const std::string body = multipart(form("0/0/...", "[[1, 2, 3, 4, 5, 6]]"));
  EXPECT_EQ(putBody(body, {}).status, 401);
  EXPECT_EQ(putBody(body, kCarol).status, 403);  // a reader
  EXPECT_FALSE(errorMessage(putBody(body, kAlice, kBoundary,
                                    "/api/models/" + std::string(32, 'f') + "/arraysets/data/data"),
                            404)
                   .empty());
  EXPECT_FALSE(errorMessage(putBody(body, kAlice, kBoundary, base("nothing") + "/data"), 404).empty());
  EXPECT_EQ(texts(0, 0), std::vector<std::string>(6, "0"));
  // Writers and the admin group may.
  EXPECT_EQ(putBody(body, kBob).status, 200);
  EXPECT_EQ(putBody(multipart(form("0/0/0", "[7]")), kRoot).status, 200);
  EXPECT_EQ(texts(0, 0), (std::vector<std::string>{"7", "2", "3", "4", "5", "6"}));
}

TEST_P(SlycatDataWrite, ClientGoingAwayMidUploadChangesNothing) {
  array(0, R"([{"name": "r", "end": 100000}])", R"([{"name": "f", "type": "float64"}])");
  std::vector<double> values(100000, 1.25);
  ok("0/0/...", bytesOf<double>(values, false), "little");
  std::vector<double> other(100000, -3.0);
  const std::string body = multipart(form("0/0/...", bytesOf<double>(other, false), "little"));
  for (const bool chunked : {false, true}) {
    for (const std::size_t cut : {std::size_t(100), body.size() / 2, body.size() - 3}) {
      Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
      std::string sent = "PUT " + base() +
                         "/data HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + kAlice.at("Authorization") +
                         "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\n" +
                         (chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                                  : "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
      if (chunked) {
        // Two whole chunks that end exactly where the cut is, and no last chunk.
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", cut / 2);
        sent += size + body.substr(0, cut / 2) + "\r\n";
        std::snprintf(size, sizeof size, "%zx\r\n", cut - cut / 2);
        sent += size + body.substr(cut / 2, cut - cut / 2) + "\r\n";
      } else {
        sent += body.substr(0, cut);
      }
      s.sendBytes(sent.data(), static_cast<int>(sent.size()));
      s.close();
    }
  }
  // Each broken upload is answered 400 (to a client that is gone).
  const std::string refused = "/arraysets/data/data HTTP/1.1\" 400";
  auto count = [&] {
    const std::string log = server_->log();
    std::size_t n = 0;
    for (auto at = log.find(refused); at != std::string::npos; at = log.find(refused, at + 1)) ++n;
    return n;
  };
  for (int wait = 0; wait < 200 && count() < 6; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(count(), 6u) << server_->log();
  // The server still answers, and the data is what it was.
  const auto r = req("GET", "/api/models/" + mid_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(numbers(0, 0), values);
  EXPECT_EQ(server_->log().find("internal error"), std::string::npos) << server_->log();
}

TEST_P(SlycatDataWrite, ConcurrentWritersToOneArraysetBothLand) {
  array(0, R"([{"name": "r", "end": 50000}])",
        R"([{"name": "a", "type": "float64"}, {"name": "b", "type": "int32"}])");
  std::vector<double> a(50000);
  std::vector<int32_t> b(50000);
  for (int k = 0; k < 50000; ++k) {
    a[k] = k * 0.25;
    b[k] = -k;
  }
  const std::string bodyA = multipart(form("0/0/...", bytesOf<double>(a, false), "little"));
  const std::string bodyB = multipart(form("0/1/...", bytesOf<int32_t>(b, true), "big"));
  std::vector<int> statusA, statusB;
  std::thread ta([&] {
    for (int k = 0; k < 4; ++k) statusA.push_back(putBody(bodyA).status);
  });
  std::thread tb([&] {
    for (int k = 0; k < 4; ++k) statusB.push_back(putBody(bodyB).status);
  });
  ta.join();
  tb.join();
  EXPECT_EQ(statusA, std::vector<int>(4, 200));
  EXPECT_EQ(statusB, std::vector<int>(4, 200));
  EXPECT_EQ(numbers(0, 0), a);
  const auto nb = numbers(0, 1);
  ASSERT_EQ(nb.size(), b.size());
  for (int k = 0; k < 50000; k += 997) EXPECT_EQ(nb[k], b[k]) << k;
  EXPECT_EQ(parse(req("GET", "/api/models/" + mid_))->getValue<std::string>("message"),
            "Storing data to array set data.");
}

INSTANTIATE_TEST_SUITE_P(Arrays, SlycatDataWrite, ::testing::Values("memory", "hdf5", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace strata::test
