// The synapse plugin's annotations resources (docs/synapse.md "Annotations"): typed maps of
// every type, dates in both forms, blobs, floatAnnotations, the ETag flow, 403 before 412, bad
// input that leaves the stored annotations alone, layer annotations; on memory and rocksdb.
#include "api/synapse_test_support.h"

#include <map>
#include <sstream>
#include <string>

namespace strata::test::synapse {
namespace {

class SynapseAnnotations : public SynapseServer {
 protected:
  void SetUp() override { startServer(); }

  std::string annotationsPath(const std::string& did) { return "/repo/v1/dataset/" + did + "/annotations"; }

  // GET, then the etag of the answer (header and body agree).
  std::string etagOf(const std::string& path) {
    const auto r = req("GET", path);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string etag = parse(r)->getValue<std::string>("etag");
    EXPECT_EQ(r.header("ETag"), etag);
    return etag;
  }

  HttpResult put(const std::string& path, const std::string& body, const std::string& etag,
                 const Headers& h = kAlice) {
    return req("PUT", path, body, withEtag(h, etag));
  }
};

constexpr const char* kEveryType = R"({
  "stringAnnotations": {"tissues": ["liver", "brain"], "summary": ["this is a summary"]},
  "doubleAnnotations": {"pValues": [0.987, 0.0]},
  "longAnnotations": {"numSamples": [3000], "big": [9007199254740993]},
  "dateAnnotations": {"Publication Date": ["2011-01-15"], "curationEvents": [1301000000000, "2010-10-01T00:00:00Z"]},
  "blobAnnotations": {"raw": ["aGVsbG8=", "AAEC/w=="]}
})";

void expectEveryType(const Object::Ptr& a) {
  auto strings = a->getObject("stringAnnotations");
  ASSERT_TRUE(strings);
  EXPECT_EQ(strings->getArray("tissues")->size(), 2u);
  EXPECT_EQ(strings->getArray("tissues")->getElement<std::string>(0), "liver");
  EXPECT_EQ(strings->getArray("tissues")->getElement<std::string>(1), "brain");
  EXPECT_EQ(strings->getArray("summary")->getElement<std::string>(0), "this is a summary");
  auto doubles = a->getObject("doubleAnnotations");
  EXPECT_DOUBLE_EQ(doubles->getArray("pValues")->getElement<double>(0), 0.987);
  EXPECT_DOUBLE_EQ(doubles->getArray("pValues")->getElement<double>(1), 0.0);
  auto floats = a->getObject("floatAnnotations");  // doubles appear as floats too
  EXPECT_DOUBLE_EQ(floats->getArray("pValues")->getElement<double>(0), 0.987);
  EXPECT_EQ(floats->size(), 1u);
  auto longs = a->getObject("longAnnotations");
  EXPECT_EQ(longs->getArray("numSamples")->getElement<int64_t>(0), 3000);
  EXPECT_EQ(longs->getArray("big")->getElement<int64_t>(0), 9007199254740993LL);
  auto dates = a->getObject("dateAnnotations");
  EXPECT_EQ(dates->getArray("Publication Date")->getElement<int64_t>(0), 1295049600000LL);
  EXPECT_EQ(dates->getArray("curationEvents")->getElement<int64_t>(0), 1301000000000LL);
  EXPECT_EQ(dates->getArray("curationEvents")->getElement<int64_t>(1), 1285891200000LL);
  auto blobs = a->getObject("blobAnnotations");
  EXPECT_EQ(blobs->getArray("raw")->getElement<std::string>(0), "aGVsbG8=");
  EXPECT_EQ(blobs->getArray("raw")->getElement<std::string>(1), "AAEC/w==");
}

TEST_P(SynapseAnnotations, EmptyAnnotationsOfANewDataset) {
  const auto ds = createDataset(R"({"name":"DeLiver"})");
  const std::string did = ds->getValue<std::string>("id");
  const auto r = req("GET", annotationsPath(did), "", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto a = parse(r);
  EXPECT_EQ(a->getValue<std::string>("id"), did);
  EXPECT_EQ(a->getValue<std::string>("uri"), "/repo/v1/dataset/" + did + "/annotations");
  EXPECT_EQ(a->getValue<std::string>("etag"), "0");
  EXPECT_EQ(r.header("ETag"), "0");
  EXPECT_EQ(a->getValue<int64_t>("creationDate"), ds->getValue<int64_t>("creationDate"));
  for (const char* map : {"stringAnnotations", "doubleAnnotations", "longAnnotations", "dateAnnotations",
                          "blobAnnotations", "floatAnnotations"}) {
    ASSERT_TRUE(a->getObject(map)) << map;
    EXPECT_EQ(a->getObject(map)->size(), 0u) << map;
  }
}

TEST_P(SynapseAnnotations, EveryTypeRoundTripsAndSurvivesARestart) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  const auto r = put(path, kEveryType, etagOf(path));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto written = parse(r);
  expectEveryType(written);
  const std::string etag = written->getValue<std::string>("etag");
  EXPECT_NE(etag, "0");
  EXPECT_EQ(r.header("ETag"), etag);
  expectEveryType(getObject(path));
  EXPECT_EQ(etagOf(path), etag);

  startServer();  // rocksdb keeps everything; memory starts empty
  if (GetParam() != "memory") {
    expectEveryType(getObject(path));
    EXPECT_EQ(etagOf(path), etag);
  }
}

TEST_P(SynapseAnnotations, FloatAnnotationsAreDoubles) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  auto r = put(path, R"({"floatAnnotations": {"weight": [1.5, 2]}})", etagOf(path));
  ASSERT_EQ(r.status, 200) << r.body;
  auto a = parse(r);
  EXPECT_DOUBLE_EQ(a->getObject("doubleAnnotations")->getArray("weight")->getElement<double>(1), 2.0);
  EXPECT_DOUBLE_EQ(a->getObject("floatAnnotations")->getArray("weight")->getElement<double>(0), 1.5);
  // both maps with the same key: equal lists are fine ...
  r = put(path, R"({"floatAnnotations": {"w": [1.5]}, "doubleAnnotations": {"w": [1.5]}})", etagOf(path));
  ASSERT_EQ(r.status, 200) << r.body;
  a = parse(r);
  EXPECT_EQ(a->getObject("doubleAnnotations")->getArray("w")->size(), 1u);
  EXPECT_FALSE(a->getObject("doubleAnnotations")->has("weight"));  // the PUT replaced everything
  // ... different lists are not
  const std::string etag = etagOf(path);
  r = put(path, R"({"floatAnnotations": {"w": [1.5]}, "doubleAnnotations": {"w": [2.5]}})", etag);
  EXPECT_NE(reason(r, 400).find("both floatAnnotations and doubleAnnotations"), std::string::npos);
  EXPECT_EQ(etagOf(path), etag);
}

TEST_P(SynapseAnnotations, ReadOnlyFieldsAreIgnoredAndTheGetCanBeSentBack) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  auto r = put(path, kEveryType, etagOf(path));
  ASSERT_EQ(r.status, 200) << r.body;
  // the whole object as read, with a change
  auto a = parse(r);
  a->getObject("longAnnotations")->set("numSamples", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  a->getObject("longAnnotations")->getArray("numSamples")->add(3001);
  a->set("id", "something else");
  a->set("creationDate", 5);
  std::ostringstream body;
  a->stringify(body);
  r = put(path, body.str(), a->getValue<std::string>("etag"));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = parse(r);
  EXPECT_EQ(b->getValue<std::string>("id"), did);
  EXPECT_NE(b->getValue<int64_t>("creationDate"), 5);
  EXPECT_EQ(b->getObject("longAnnotations")->getArray("numSamples")->getElement<int64_t>(0), 3001);
  EXPECT_EQ(b->getObject("stringAnnotations")->getArray("tissues")->size(), 2u);
}

TEST_P(SynapseAnnotations, EtagFlow) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  const std::string e0 = etagOf(path);
  auto r = put(path, R"({"stringAnnotations": {"a": ["1"]}})", e0);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string e1 = r.header("ETag");
  EXPECT_NE(e1, e0);
  // the stale etag: 412 with the 2011 text, nothing changes
  r = put(path, R"({"stringAnnotations": {"a": ["2"]}})", e0);
  EXPECT_EQ(reason(r, 412), conflictText(did));
  EXPECT_EQ(getObject(path)->getObject("stringAnnotations")->getArray("a")->getElement<std::string>(0), "1");
  // the dataset's etag is another resource's: 412
  const std::string datasetEtag = getObject("/repo/v1/dataset/" + did)->getValue<std::string>("etag");
  r = put(path, R"({"stringAnnotations": {"a": ["2"]}})", datasetEtag);
  EXPECT_EQ(reason(r, 412), conflictText(did));
  // no etag: 400
  r = req("PUT", path, R"({"stringAnnotations": {"a": ["2"]}})");
  EXPECT_NE(reason(r, 400).find("Missing header 'ETag'"), std::string::npos);
  // an empty etag counts as none (it would make the write unconditional)
  EXPECT_NE(
      reason(put(path, R"({"stringAnnotations": {"a": ["2"]}})", ""), 400).find("Missing header 'ETag'"),
      std::string::npos);
  EXPECT_NE(
      reason(put(path, R"({"stringAnnotations": {"a": ["2"]}})", "\"\""), 400).find("Missing header 'ETag'"),
      std::string::npos);
  // If-Match, quoted or not
  Headers h = kAlice;
  h["If-Match"] = "\"" + e1 + "\"";
  r = req("PUT", path, R"({"stringAnnotations": {"a": ["2"]}})", h);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string e2 = r.header("ETag");
  EXPECT_NE(e2, e1);
  h["If-Match"] = e2;
  r = req("PUT", path, R"({"stringAnnotations": {"a": ["3"]}})", h);
  ASSERT_EQ(r.status, 200) << r.body;
  // annotations have their own etag: the dataset's did not change
  EXPECT_EQ(getObject("/repo/v1/dataset/" + did)->getValue<std::string>("etag"), datasetEtag);
  // emptying them gives the etag of no annotations
  r = put(path, R"({})", r.header("ETag"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("ETag"), "0");
}

TEST_P(SynapseAnnotations, AccessIsTheDatasetsAnd403ComesBefore412) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  const std::string etag = etagOf(path);
  // bob is not the creator: 403 with a stale etag, a missing etag and a bad body alike
  EXPECT_EQ(reason(put(path, R"({})", "stale", kBob), 403), kForbidden);
  EXPECT_EQ(reason(req("PUT", path, R"({})", kBob), 403), kForbidden);
  EXPECT_EQ(reason(put(path, R"({"bogus": 1})", etag, kBob), 403), kForbidden);
  EXPECT_EQ(reason(put(path, "", etag, kBob), 403), kForbidden);
  // anonymous: 401
  EXPECT_EQ(put(path, R"({})", etag, kAnonymous).status, 401);
  // anonymous reads
  EXPECT_EQ(req("GET", path, "", kAnonymous).status, 200);
  // root is an admin
  auto r = put(path, R"({"longAnnotations": {"n": [1]}})", etag, kRoot);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(etagOf(path), r.header("ETag"));
}

TEST_P(SynapseAnnotations, UnknownDatasetsAndLayersAre404) {
  EXPECT_EQ(reason(req("GET", annotationsPath("nope")), 404), kNotFound);
  EXPECT_EQ(reason(put(annotationsPath("nope"), R"({})", "0"), 404), kNotFound);
  const std::string did = newDataset();
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset/" + did + "/layer/nope/annotations"), 404), kNotFound);
  EXPECT_EQ(reason(put("/repo/v1/dataset/" + did + "/layer/nope/annotations", "{}", "0"), 404), kNotFound);
  const std::string lid = newLayer(did);
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset/nope/layer/" + lid + "/annotations"), 404), kNotFound);
}

TEST_P(SynapseAnnotations, BadInputIs400AndChangesNothing) {
  const std::string did = newDataset();
  const std::string path = annotationsPath(did);
  ASSERT_EQ(put(path, kEveryType, etagOf(path)).status, 200);
  const std::string etag = etagOf(path);
  const struct {
    const char* body;
    const char* fragment;
  } cases[] = {
      {"", "No content to map"},
      {"{", ""},
      {"[1]", ""},
      {R"({"bogus": {}})", "Unrecognized field \"bogus\""},
      {R"({"longAnnotations": {"n": ["x"]}})", "must hold integers"},
      {R"({"longAnnotations": {"n": [1.5]}})", "must hold integers"},
      {R"({"longAnnotations": {"n": [true]}})", "must hold integers"},
      {R"({"longAnnotations": {"n": 3}})", "must be a list"},
      {R"({"stringAnnotations": {"s": "x"}})", "must be a list"},
      {R"({"stringAnnotations": {"s": [1]}})", "must hold strings"},
      {R"({"stringAnnotations": ["x"]})", "must be an object"},
      {R"({"doubleAnnotations": {"d": ["1.5"]}})", "must hold numbers"},
      {R"({"dateAnnotations": {"d": ["yesterday"]}})", "must be a date"},
      {R"({"dateAnnotations": {"d": ["2011-13-45"]}})", "must be a date"},
      {R"({"dateAnnotations": {"d": [1.5]}})", "must be a date"},
      {R"({"blobAnnotations": {"b": ["not base64!"]}})", "base64"},
      {R"({"blobAnnotations": {"b": ["aGVsbG8"]}})", "base64"},
      {R"({"blobAnnotations": {"b": [12]}})", "base64"},
      {R"({"stringAnnotations": {"k": ["x"]}, "longAnnotations": {"k": [1]}})", "a key has one type"},
      {R"({"stringAnnotations": {"ok": ["x"]}, "longAnnotations": {"n": ["x"]}})", "must hold integers"},
  };
  for (const auto& c : cases) {
    const auto r = put(path, c.body, etag);
    EXPECT_NE(reason(r, 400).find(c.fragment), std::string::npos) << c.body << " -> " << r.body;
  }
  // also with a stale etag, the body is judged first
  EXPECT_EQ(put(path, R"({"bogus": 1})", "stale").status, 400);
  EXPECT_EQ(etagOf(path), etag);
  expectEveryType(getObject(path));
}

// Deleting a dataset deletes its annotations and its layers' annotations: a query by them
// finds nothing afterwards (the annotation search counts what the annotations role holds).
TEST_P(SynapseAnnotations, DeletingADatasetDeletesItsAnnotations) {
  const std::string did = newDataset();
  ASSERT_EQ(put(annotationsPath(did), R"({"stringAnnotations": {"Species": ["Human"]}})",
                etagOf(annotationsPath(did)))
                .status,
            200);
  const std::string lid = createLayer(did, R"({"name": "l", "type": "E"})")->getValue<std::string>("id");
  const std::string layerPath = "/repo/v1/dataset/" + did + "/layer/" + lid + "/annotations";
  ASSERT_EQ(put(layerPath, R"({"stringAnnotations": {"Species": ["Human"]}})", etagOf(layerPath)).status,
            200);
  auto count = [&](const std::string& q) {
    const auto r = req("GET", "/repo/v1/query?query=" + q);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r)->getValue<uint64_t>("totalNumberOfResults");
  };
  EXPECT_EQ(count("select%20*%20from%20dataset%20where%20Species%20==%20%22Human%22"), 1u);
  EXPECT_EQ(count("select%20*%20from%20layer%20where%20dataset.id%20==%20%22" + did +
                  "%22%20and%20Species%20==%20%22Human%22"),
            1u);
  ASSERT_EQ(req("DELETE", "/repo/v1/dataset/" + did).status, 204);
  EXPECT_EQ(count("select%20*%20from%20dataset%20where%20Species%20==%20%22Human%22"), 0u);
  EXPECT_EQ(count("select%20*%20from%20layer%20where%20dataset.id%20==%20%22" + did +
                  "%22%20and%20Species%20==%20%22Human%22"),
            0u);
}

TEST_P(SynapseAnnotations, LayerAnnotations) {
  const std::string did = newDataset();
  const std::string lid = newLayer(did);
  const std::string path = "/repo/v1/dataset/" + did + "/layer/" + lid + "/annotations";
  const auto a = getObject(path);
  EXPECT_EQ(a->getValue<std::string>("id"), lid);
  EXPECT_EQ(a->getValue<std::string>("uri"), path);
  auto r = put(path, kEveryType, a->getValue<std::string>("etag"));
  ASSERT_EQ(r.status, 200) << r.body;
  expectEveryType(getObject(path));
  // the dataset's annotations are another resource
  EXPECT_EQ(getObject(annotationsPath(did))->getObject("stringAnnotations")->size(), 0u);
  // layers follow their dataset: bob may not write, 403 before 412
  EXPECT_EQ(reason(put(path, "{}", "stale", kBob), 403), kForbidden);
  EXPECT_EQ(reason(put(path, "{}", "stale"), 412), conflictText(lid));
  // deleting the layer takes its annotations
  const std::string layerEtag =
      getObject("/repo/v1/dataset/" + did + "/layer/" + lid)->getValue<std::string>("etag");
  r = req("DELETE", "/repo/v1/dataset/" + did + "/layer/" + lid, "", withEtag(kAlice, layerEtag));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(req("GET", path).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, SynapseAnnotations, ::testing::Values("memory", "rocksdb", "postgresql"));

}  // namespace
}  // namespace strata::test::synapse
