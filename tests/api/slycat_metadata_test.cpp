// The query forms of the slycat metadata route over HTTP (arrays=, statistics=, unique=), on
// the memory, hdf5 and rocksdb arrays backends: values seeded and changed through the hdf plugin
// on the same arrays store, the statistics cache (kept, and invalidated by writes through the
// hdf plugin), the errors in the plugin's format, and access.
#include "slycat_test_support.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::test {
namespace {

using namespace slycat;

class SlycatMetadata : public SlycatServer {
 protected:
  void SetUp() override {
    startServer("memory", GetParam(), {{"plugins.load", "slycat,hdf"}});
    pid_ = newProject(true);
    mid_ = newModel(pid_);
    base_ = "/api/models/" + mid_ + "/arraysets/data";
    ASSERT_EQ(req("PUT", base_, R"({"input": true})").status, 200);
    auto r = req(
        "PUT", base_ + "/arrays/0",
        R"({"dimensions": [{"name": "row", "end": 10}], "attributes": [{"name": "i", "type": "int64"},)"
        R"( {"name": "f", "type": "float64"}, {"name": "s", "type": "string"}, {"name": "g", "type": "float32"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    r = req("PUT", base_ + "/arrays/1",
            R"({"dimensions": [{"name": "x", "end": 2}, {"name": "y", "end": 3}],)"
            R"( "attributes": [{"name": "t", "type": "string"}, {"name": "u", "type": "uint8"}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    sid_ = storageId(mid_, "data");
    hdfWrite(sid_, 0, 0, "[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]");
    hdfWrite(sid_, 0, 1, R"([0.5, "NaN", 1.5, 0.5, 2.5, "NaN", 1e300, -0.25, 1.5, 0.5])");
    hdfWrite(sid_, 0, 2, R"(["red", "green", "red", "blue", "gr\u00fcn", "red", "a", "b", "c", "d"])");
    hdfWrite(sid_, 1, 0, R"([["b", "a", "c"], ["a", "z", "b"]])");
  }

  HttpResult query(const std::string& q, const Headers& h = kAlice) {
    return req("GET", base_ + "/metadata?" + q, "", h);
  }

  std::string pid_, mid_, base_, sid_;
};

TEST_P(SlycatMetadata, ArraysQueryListsTheArraysAsked) {
  auto r = query("arrays=1%3b0");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u);
  auto o = parse(r);
  ASSERT_EQ(o->size(), 1u);
  auto arrays = o->getArray("arrays");
  ASSERT_EQ(arrays->size(), 2u);
  EXPECT_EQ(arrays->getObject(0)->getValue<int>("index"), 1);
  EXPECT_FALSE(arrays->getObject(0)->has("array"));
  EXPECT_EQ(arrays->getObject(0)->getArray("shape")->getElement<int>(1), 3);
  EXPECT_EQ(arrays->getObject(1)->getValue<int>("index"), 0);
  EXPECT_EQ(arrays->getObject(1)->getArray("attributes")->getObject(2)->getValue<std::string>("type"),
            "string");

  // Out of range selects nothing, negative counts from the end, only the arrays part counts.
  EXPECT_EQ(query("arrays=5").body, R"({"arrays": []})");
  o = parse(query("arrays=-1/0/0:2"));
  ASSERT_EQ(o->getArray("arrays")->size(), 1u);
  EXPECT_EQ(o->getArray("arrays")->getObject(0)->getValue<int>("index"), 1);
}

TEST_P(SlycatMetadata, StatisticsLeaveNanOutAndCoverStringsAndComputedValues) {
  auto r = query("statistics=0/0|1|2|3%3b1/0/0:1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"statistics": [{"array": 0, "attribute": 0, "min": 1, "max": 9, "unique": 7}, )"
                    R"({"array": 0, "attribute": 1, "min": -0.25, "max": 1e+300, "unique": 5}, )"
                    R"({"array": 0, "attribute": 2, "min": "a", "max": "red", "unique": 8}, )"
                    R"({"array": 0, "attribute": 3, "min": 0.0, "max": 0.0, "unique": 1}, )"
                    R"({"array": 1, "attribute": 0, "min": "a", "max": "z", "unique": 4}]})");
  // Asked again: the same answer (from the cache).
  EXPECT_EQ(query("statistics=0/0|1|2|3%3b1/0/0:1").body, r.body);

  // Computed values: no "attribute"; booleans are statistics too.
  r = query("statistics=0/a0%20%3E%203|index(0)");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"statistics": [{"array": 0, "min": false, "max": true, "unique": 2}, )"
                    R"({"array": 0, "min": 0, "max": 9, "unique": 10}]})");
  // Array-only hyperchunks select no attribute.
  EXPECT_EQ(query("statistics=0").body, R"({"statistics": []})");
}

TEST_P(SlycatMetadata, AllNanAndEmptyAttributesHaveNullStatistics) {
  hdfWrite(sid_, 0, 1, R"(["NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"])");
  ASSERT_EQ(
      req("PUT", base_ + "/arrays/2",
          R"({"dimensions": [{"name": "row", "end": 0}], "attributes": [{"name": "e", "type": "int32"}]})")
          .status,
      200);
  EXPECT_EQ(query("statistics=0/1%3b2/0").body,
            R"({"statistics": [{"array": 0, "attribute": 1, "min": null, "max": null, "unique": null}, )"
            R"({"array": 2, "attribute": 0, "min": null, "max": null, "unique": null}]})");
}

TEST_P(SlycatMetadata, UniqueValuesAreSortedAndCutByTheHyperslice) {
  auto r = query("unique=0/0/:3|-2:");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"unique": [{"array": 0, "attribute": 0, "values": [[1, 2, 3], [6, 9]]}]})");
  // Without a hyperslice, all of them; an integer index gives one value; strings sort bytewise.
  EXPECT_EQ(query("unique=0/1").body,
            R"({"unique": [{"array": 0, "attribute": 1, "values": [[-0.25, 0.5, 1.5, 2.5, 1e+300]]}]})");
  EXPECT_EQ(query("unique=0/0/0|::3").body,
            R"({"unique": [{"array": 0, "attribute": 0, "values": [1, [1, 4, 9]]}]})");
  EXPECT_EQ(query("unique=1/0/1:3").body,
            R"({"unique": [{"array": 1, "attribute": 0, "values": [["b", "c"]]}]})");
  // Several queries at once: one object with each key.
  r = query("arrays=1&statistics=1/1&unique=1/1/...");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = parse(r);
  EXPECT_EQ(o->size(), 3u);
  EXPECT_EQ(o->getArray("statistics")->getObject(0)->getValue<int>("unique"), 1);
  EXPECT_EQ(o->getArray("unique")->getObject(0)->getArray("values")->getArray(0)->size(), 1u);
}

TEST_P(SlycatMetadata, WritesThroughTheHdfPluginInvalidateTheCache) {
  const std::string before = query("statistics=0/0&unique=0/0").body;
  EXPECT_EQ(before, R"({"statistics": [{"array": 0, "attribute": 0, "min": 1, "max": 9, "unique": 7}], )"
                    R"("unique": [{"array": 0, "attribute": 0, "values": [[1, 2, 3, 4, 5, 6, 9]]}]})");
  hdfWrite(sid_, 0, 0, "[-7, 1, 4, 1, 5, 9, 2, 6, 5, 30]");
  EXPECT_EQ(query("statistics=0/0&unique=0/0").body,
            R"({"statistics": [{"array": 0, "attribute": 0, "min": -7, "max": 30, "unique": 8}], )"
            R"("unique": [{"array": 0, "attribute": 0, "values": [[-7, 1, 2, 4, 5, 6, 9, 30]]}]})")
      << "a stale cache";
}

TEST_P(SlycatMetadata, TheCacheSurvivesARestartAndIsSlycatsLayout) {
  const std::string first = query("unique=0/2/...").body;
  // The cache is a dataset of the arrayset's own layout, readable through the hdf plugin.
  const std::string id = hdfObjectId(sid_, "/array/0/unique/2");
  auto r = req("GET", "/datasets/" + id + "/value?host=" + sid_ + ".slycat.hdfgroup.org", "", kRoot);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getArray("value")->size(), 8u);
  if (GetParam() == "memory") return;
  startServer("memory", GetParam(), {{"plugins.load", "slycat,hdf"}});
  // Entities were in memory: the model is gone, so read the cache's dataset through hdf.
  r = req("GET", "/datasets/" + id + "/value?host=" + sid_ + ".slycat.hdfgroup.org", "", kRoot);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getArray("value")->getElement<std::string>(0), "a");
  EXPECT_NE(first.find("\"gr\\u00fcn\""), std::string::npos) << first;
}

TEST_P(SlycatMetadata, BadQueriesAndAccess) {
  EXPECT_NE(errorMessage(query("statistics=0/"), 400).find("hyperchunks"), std::string::npos);
  errorMessage(query("unique=0/0/0:3:0"), 400);      // step 0
  errorMessage(query("unique=0/0/99"), 400);         // index past the distinct values
  errorMessage(query("unique=0/0/0,0"), 400);        // two dimensions for a list
  errorMessage(query("statistics=0/a9"), 400);       // aN out of range
  errorMessage(query("statistics=0/foo(a0)"), 400);  // unknown function
  errorMessage(req("GET", "/api/models/" + mid_ + "/arraysets/nope/metadata?arrays=0"), 404);
  errorMessage(req("GET", base_ + "/metadata?arrays=0", "", {}), 401);
  const Headers dave{{"Authorization", basicAuth("root", "wrong")}};
  errorMessage(req("GET", base_ + "/metadata?arrays=0", "", dave), 401);
  // carol reads; a project of alice's alone is not bob's to read.
  EXPECT_EQ(query("statistics=0/0", kCarol).status, 200);
  const std::string other = newModel(newProject());
  ASSERT_EQ(req("PUT", "/api/models/" + other + "/arraysets/x", R"({"input": false})").status, 200);
  errorMessage(req("GET", "/api/models/" + other + "/arraysets/x/metadata?arrays=0", "", kBob), 403);
}

INSTANTIATE_TEST_SUITE_P(Arrays, SlycatMetadata, ::testing::Values("memory", "hdf5", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace strata::test
