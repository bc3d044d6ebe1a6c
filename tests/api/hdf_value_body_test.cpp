// plugins/hdf/value_body.cpp and the JSON value writer of plugins/hdf/values.cpp: large JSON
// value bodies (value lists and value_base64) take a fast path that must give exactly what
// the type model gives (same bytes stored, same 400s with the same messages, nothing written
// on a rejected body), and JSON reads must print every numeric type as before.
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "support/server_process.h"

namespace strata::test {
namespace {

using Poco::JSON::Object;

class HdfValueBody : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        std::map<std::string, std::string>{{"plugins.load", "hdf"},
                                           {"stores.entities.default.backend", "memory"},
                                           {"stores.arrays.default.backend", "memory"},
                                           {"auth.anonymous", "true"},
                                           {"auth.anonymousWrites", "true"},
                                           {"plugins.hdf.maxJsonBytes", "1M"}});
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0) << server_->log();
    server_.reset();
  }

  void SetUp() override {
    auto r = call("PUT", "/");
    ASSERT_EQ(r.status, 201) << r.reason;
  }

  std::string host() const {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name + ".body.test.hdfgroup.org";
  }
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) {
    headers["Host"] = host();
    return server_->request(method, path, body, headers);
  }
  std::string dataset(const std::string& type, const std::string& shape) {
    auto r = call("POST", "/datasets", R"({"type": )" + type + R"(, "shape": )" + shape + "}");
    EXPECT_EQ(r.status, 201) << r.reason << " " << r.body;
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>()->getValue<std::string>("id");
  }
  HttpResult putValue(const std::string& id, const std::string& body) {
    return call("PUT", "/datasets/" + id + "/value", body);
  }
  // The "value" member of a JSON read, as the server wrote it.
  std::string valueText(const std::string& id, const std::string& query = "") {
    auto r = call("GET", "/datasets/" + id + "/value" + query);
    EXPECT_EQ(r.status, 200) << r.reason;
    const auto at = r.body.find("\"value\":");
    const auto end = r.body.rfind(",\"hrefs\"");
    if (at == std::string::npos || end == std::string::npos) return r.body;
    return r.body.substr(at + 8, end - at - 8);
  }
  std::string bytes(const std::string& id) {
    auto r = call("GET", "/datasets/" + id + "/value", "", {{"Accept", "application/octet-stream"}});
    EXPECT_EQ(r.status, 200) << r.reason;
    return r.body;
  }

  static std::unique_ptr<ServerProcess> server_;
};

std::unique_ptr<ServerProcess> HdfValueBody::server_;

TEST_F(HdfValueBody, EveryNumericTypeRoundTrips) {
  struct Case {
    const char* type;
    const char* value;
    const char* read;  // as the server writes it back
  };
  const Case cases[] = {
      {"H5T_STD_I8LE", "[-128, 0, 127]", "[-128,0,127]"},
      {"H5T_STD_U8LE", "[0, 1, 255]", "[0,1,255]"},
      {"H5T_STD_I16BE", "[-32768, 2, 32767]", "[-32768,2,32767]"},
      {"H5T_STD_U16LE", "[0, 65535, 7]", "[0,65535,7]"},
      {"H5T_STD_I32LE", "[-2147483648, 3, 2147483647]", "[-2147483648,3,2147483647]"},
      {"H5T_STD_U32BE", "[0, 4294967295, 9]", "[0,4294967295,9]"},
      {"H5T_STD_I64LE", "[-9223372036854775808, 0, 9223372036854775807]",
       "[-9223372036854775808,0,9223372036854775807]"},
      {"H5T_STD_U64BE", "[0, 18446744073709551615, 1]", "[0,18446744073709551615,1]"},
      // Integral doubles are integers too (the type model's path).
      {"H5T_STD_I32LE", "[1.0, -2.0, 3]", "[1,-2,3]"},
      {"H5T_IEEE_F64LE", "[0.1, -0, 1e300]", "[0.1,0.0,1e+300]"},
      {"H5T_IEEE_F64BE", "[1, -2.5, 12345678901234567890]", "[1.0,-2.5,12345678901234567168.0]"},
      {"H5T_IEEE_F32LE", "[0.1, 3, -1.5e38]", "[0.1,3.0,-1.5e+38]"},
      {"H5T_IEEE_F32BE", "[\"NaN\", \"Infinity\", 2]", "[\"NaN\",\"Infinity\",2.0]"},
  };
  for (const Case& c : cases) {
    const std::string id = dataset(std::string("\"") + c.type + "\"", "[3]");
    auto r = putValue(id, std::string(R"({"value": )") + c.value + "}");
    EXPECT_EQ(r.status, 200) << c.type << " " << c.value << ": " << r.reason;
    EXPECT_EQ(valueText(id), c.read) << c.type << " " << c.value;
  }
}

TEST_F(HdfValueBody, ShapesAsTheTypeModelTakesThem) {
  const std::string id = dataset("\"H5T_STD_I16LE\"", "[2, 3]");
  ASSERT_EQ(putValue(id, R"({"value": [[1, 2, 3], [4, 5, 6]]})").status, 200);
  EXPECT_EQ(valueText(id), "[[1,2,3],[4,5,6]]");
  // A 1-extent of the selection may be left out of the value.
  ASSERT_EQ(putValue(id, R"({"start": [1, 0], "stop": [2, 3], "value": [7, 8, 9]})").status, 200);
  EXPECT_EQ(valueText(id), "[[1,2,3],[7,8,9]]");
  ASSERT_EQ(putValue(id, R"({"value": 5, "start": [0, 2], "stop": [1, 3]})").status, 200);
  EXPECT_EQ(valueText(id), "[[1,2,5],[7,8,9]]");
  // Members in any order; "value" first.
  ASSERT_EQ(putValue(id, R"({"value": [[0], [0]], "stop": [2, 1], "start": [0, 0]})").status, 200);
  EXPECT_EQ(valueText(id), "[[0,2,5],[0,8,9]]");

  // Wrong shapes: 400 with the type model's message, and nothing written.
  for (const char* bad : {R"({"value": [[1, 2, 3], [4, 5]]})", R"({"value": [[1, 2, 3], [4, 5, [6]]]})",
                          R"({"value": [1, 2, 3, 4, 5, 6]})", R"({"value": [[1, 2, 3]]})",
                          R"({"value": [[1, 2, 3], 4]})", R"({"value": []})"}) {
    auto r = putValue(id, bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(r.reason.find("value") != std::string::npos || r.reason.find("element") != std::string::npos)
        << bad << ": " << r.reason;
  }
  EXPECT_EQ(valueText(id), "[[0,2,5],[0,8,9]]");
}

TEST_F(HdfValueBody, BadElementsAreRejectedWithTheTypeModelsMessages) {
  const std::string id = dataset("\"H5T_STD_U8LE\"", "[3]");
  ASSERT_EQ(putValue(id, R"({"value": [1, 2, 3]})").status, 200);
  auto r = putValue(id, R"({"value": [1, 256, 3]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("value 256 out of range for H5T_STD_U8LE (element [1])"), std::string::npos)
      << r.reason;
  r = putValue(id, R"({"value": [1, -1, 3]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("value -1 out of range for H5T_STD_U8LE"), std::string::npos) << r.reason;
  r = putValue(id, R"({"value": [1, 2.5, 3]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("expected an integer for H5T_STD_U8LE, got a number"), std::string::npos)
      << r.reason;
  r = putValue(id, R"({"value": [1, "x", 3]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("got a string"), std::string::npos) << r.reason;
  const std::string f = dataset("\"H5T_IEEE_F32LE\"", "[1]");
  r = putValue(f, R"({"value": [1e39]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("out of range for H5T_IEEE_F32LE"), std::string::npos) << r.reason;
  // Truncated or malformed bodies.
  for (const char* bad : {R"({"value": [1, 2, 3])", R"({"value": [1, 2, 3]]})", R"({"value": [1 2 3]})",
                          R"([1, 2, 3])", "   "}) {
    r = putValue(id, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.reason;
  }
  EXPECT_EQ(valueText(id), "[1,2,3]");
}

TEST_F(HdfValueBody, Base64IsDecodedStrictly) {
  const std::string id = dataset("\"H5T_STD_I32LE\"", "[256]");
  std::string raw(1024, '\0');
  for (int i = 0; i < 256; ++i) std::memcpy(&raw[static_cast<std::size_t>(i) * 4], &i, 4);
  ASSERT_EQ(putValue(id, R"({"value_base64": ")" + base64(raw) + "\"}").status, 200);
  EXPECT_EQ(bytes(id), raw);

  // Whitespace, escaped slashes and missing padding are accepted.
  std::string spaced = base64(raw.substr(0, 1020));
  spaced.insert(10, "\\n ");
  std::string escaped;
  for (char c : spaced) escaped += c == '/' ? std::string("\\/") : std::string(1, c);
  auto r = putValue(id, R"({"start": 0, "stop": 255, "value_base64": ")" + escaped + "\"}");
  EXPECT_EQ(r.status, 200) << r.reason;
  std::string unpadded = base64(raw.substr(0, 8));  // "AAAAAAEAAAA="
  unpadded.pop_back();
  r = putValue(id, R"({"start": 0, "stop": 2, "value_base64": ")" + unpadded + "\"}");
  EXPECT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(bytes(id), raw);

  r = putValue(id, R"({"value_base64": "AAAA!AAA"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("value_base64 is not valid base64 (unexpected '!')"), std::string::npos)
      << r.reason;
  r = putValue(id, R"({"value_base64": "AA=A"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("(unexpected '=')"), std::string::npos) << r.reason;
  r = putValue(id, R"({"value_base64": "AAAAA"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("wrong length or padding"), std::string::npos) << r.reason;
  r = putValue(id, R"({"value_base64": "AAAA"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("Expected: 1024 bytes, but got: 3"), std::string::npos) << r.reason;
  r = putValue(id, R"({"value_base64": ["AAAA"]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("value_base64 must be a string"), std::string::npos) << r.reason;
  r = putValue(id, R"({"value_base64": "AAAA", "value": [1]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.reason.find("not both"), std::string::npos) << r.reason;
  EXPECT_EQ(bytes(id), raw);
}

TEST_F(HdfValueBody, BodiesAboveMaxJsonBytesAre413) {
  const std::string id = dataset("\"H5T_STD_U8LE\"", "[1]");
  auto r = putValue(id, R"({"value_base64": ")" + std::string(1100000, 'A') + "\"}");
  EXPECT_EQ(r.status, 413) << r.reason;
}

TEST_F(HdfValueBody, LargeJsonValuesRoundTrip) {
  // 256 x 512 doubles: about 2.5 MB of JSON each way (above maxJsonBytes for the PUT, so the
  // values go in as base64 and come back as JSON and binary).
  const std::string id = dataset("\"H5T_IEEE_F64LE\"", "[256, 512]");
  std::string raw(256u * 512u * 8u, '\0');
  for (std::size_t i = 0; i < 256u * 512u; ++i) {
    const double x = static_cast<double>(i) / 7.0 - 1000.0;
    std::memcpy(&raw[i * 8], &x, 8);
  }
  const std::string half = raw.substr(0, raw.size() / 2);
  ASSERT_EQ(putValue(id, R"({"start": [0, 0], "stop": [128, 512], "value_base64": ")" + base64(half) + "\"}")
                .status,
            200);
  ASSERT_EQ(putValue(id, R"({"start": [128, 0], "stop": [256, 512], "value_base64": ")" +
                             base64(raw.substr(raw.size() / 2)) + "\"}")
                .status,
            200);
  EXPECT_EQ(bytes(id), raw);
  // The JSON read holds every value, exactly (shortest round-trip text).
  const std::string text = valueText(id);
  auto list = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(list->size(), 256u);
  for (std::size_t row : {0u, 127u, 128u, 255u}) {
    auto cols = list->getArray(static_cast<unsigned>(row));
    ASSERT_EQ(cols->size(), 512u);
    for (std::size_t c = 0; c < 512; c += 97) {
      double want;
      std::memcpy(&want, &raw[(row * 512 + c) * 8], 8);
      EXPECT_EQ(cols->getElement<double>(static_cast<unsigned>(c)), want) << row << "," << c;
    }
  }
  // A JSON value list of a block goes back in and stores the same bytes.
  const std::string block = valueText(id, "?select=[10:20,0:512]");
  ASSERT_EQ(putValue(id, R"({"start": [20, 0], "stop": [30, 512], "value": )" + block + "}").status, 200);
  auto r = call("GET", "/datasets/" + id + "/value?select=[20:30,0:512]", "",
                {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, raw.substr(10u * 512u * 8u, 10u * 512u * 8u));
}

// Large numeric reads are formatted in runs of 32768 elements on two threads: the text must be
// exactly the single-threaded text, brackets and commas included, across run boundaries that
// fall inside rows and at their ends, and for a remainder that is not a whole run.
TEST_F(HdfValueBody, LargeReadsKeepTheirNestingAcrossFormattingRuns) {
  const uint64_t rows = 3, cols = 50001;  // 150003 elements: two runs of two, then the rest
  const std::string id = dataset("\"H5T_STD_I32BE\"", "[3, 50001]");
  std::string packed;
  std::string expected = "[";
  for (uint64_t r = 0; r < rows; ++r) {
    expected += r ? ",[" : "[";
    for (uint64_t c = 0; c < cols; ++c) {
      const int32_t v = static_cast<int32_t>(r * cols + c) * (c % 2 ? -1 : 1);
      const uint32_t u = static_cast<uint32_t>(v);
      for (int b = 3; b >= 0; --b) packed.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
      if (c) expected += ',';
      expected += std::to_string(v);
    }
    expected += ']';
  }
  expected += ']';
  auto r = call("PUT", "/datasets/" + id + "/value", packed, {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(valueText(id), expected);
  // A hyperslab whose runs start mid-row.
  std::string slab = "[";
  for (uint64_t row = 1; row < 3; ++row) {
    slab += row > 1 ? ",[" : "[";
    for (uint64_t c = 7; c < 50001; ++c) {
      if (c > 7) slab += ',';
      slab += std::to_string(static_cast<int32_t>(row * cols + c) * (c % 2 ? -1 : 1));
    }
    slab += ']';
  }
  slab += ']';
  EXPECT_EQ(valueText(id, "?select=[1:3,7:50001]"), slab);
}

}  // namespace
}  // namespace strata::test
