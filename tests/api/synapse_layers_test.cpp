// The synapse plugin's layers over HTTP (porting the 2011 LayerControllerTest and
// LayerLocationsControllerTest), on the memory and rocksdb backends: create, read, page, update
// with ETags, delete, the type rule, previews (as text and as rows), locations by type, schemas,
// and access decided by the layer's dataset.
#include "synapse_test_support.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

namespace strata::test {
namespace {

using namespace synapse;

class SynapseLayers : public SynapseServer {};

TEST_P(SynapseLayers, CreateGetUpdateDelete) {
  startServer();
  const std::string did = newDataset();
  const std::string base = "/repo/v1/dataset/" + did + "/layer";
  auto r =
      req("POST", base,
          R"({"name":"DeLiver expression data","type":"E","description":"foo","releaseNotes":"bar",)"
          R"("publicationDate":"2011-01-31","qcDate":1296432000000,"numSamples":3000,"tissueType":"liver",)"
          R"("platform":"Affymetrix","processingFacility":"Sage","qcBy":"bob","status":"QCed"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto l = parse(r);
  const std::string lid = l->getValue<std::string>("id");
  const std::string uri = base + "/" + lid;
  EXPECT_EQ(l->getValue<std::string>("uri"), uri);
  EXPECT_EQ(r.header("Location"), uri);
  EXPECT_EQ(r.header("ETag"), l->getValue<std::string>("etag"));
  EXPECT_EQ(l->getValue<std::string>("name"), "DeLiver expression data");
  EXPECT_EQ(l->getValue<std::string>("type"), "E");
  EXPECT_EQ(l->getValue<std::string>("description"), "foo");
  EXPECT_EQ(l->getValue<std::string>("releaseNotes"), "bar");
  EXPECT_EQ(l->getValue<int64_t>("publicationDate"), 1296432000000);
  EXPECT_EQ(l->getValue<int64_t>("qcDate"), 1296432000000);
  EXPECT_EQ(l->getValue<int64_t>("numSamples"), 3000);
  EXPECT_EQ(l->getValue<std::string>("tissueType"), "liver");
  EXPECT_EQ(l->getValue<std::string>("platform"), "Affymetrix");
  EXPECT_EQ(l->getValue<std::string>("processingFacility"), "Sage");
  EXPECT_EQ(l->getValue<std::string>("qcBy"), "bob");
  EXPECT_EQ(l->getValue<std::string>("status"), "QCed");
  EXPECT_EQ(l->getValue<std::string>("version"), "0.0.1");
  EXPECT_EQ(l->getValue<std::string>("annotations"), uri + "/annotations");
  EXPECT_EQ(l->getValue<std::string>("preview"), uri + "/preview");
  EXPECT_EQ(l->getArray("locations")->size(), 0u);
  EXPECT_GT(l->getValue<int64_t>("creationDate"), 1600000000000);

  r = req("GET", uri, "", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getValue<std::string>("etag"), l->getValue<std::string>("etag"));
  EXPECT_EQ(r.header("ETag"), l->getValue<std::string>("etag"));

  // Update with the etag; a stale one is 412 with the layer's id.
  l->set("name", "renamed");
  l->set("type", "G");
  std::ostringstream body;
  l->stringify(body);
  r = req("PUT", uri, body.str(), withEtag(kAlice, l->getValue<std::string>("etag")));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto u = parse(r);
  EXPECT_EQ(u->getValue<std::string>("name"), "renamed");
  EXPECT_EQ(u->getValue<std::string>("type"), "G");
  EXPECT_NE(u->getValue<std::string>("etag"), l->getValue<std::string>("etag"));
  EXPECT_EQ(u->getValue<std::string>("id"), lid);
  r = req("PUT", uri, body.str(), withEtag(kAlice, l->getValue<std::string>("etag")));
  EXPECT_EQ(reason(r, 412), conflictText(lid));
  r = req("PUT", uri, body.str());
  EXPECT_NE(reason(r, 400).find("Missing header 'ETag'"), std::string::npos);
  // The dataset's preview of the layer follows.
  const auto layers = getObject("/repo/v1/dataset/" + did)->getArray("layers");
  ASSERT_EQ(layers->size(), 1u);
  EXPECT_EQ(layers->getObject(0)->getValue<std::string>("type"), "G");

  r = req("DELETE", uri);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(reason(req("GET", uri), 404), kNotFound);
  EXPECT_EQ(reason(req("DELETE", uri), 404), kNotFound);
  EXPECT_EQ(reason(req("PUT", uri, body.str(), withEtag(kAlice, u->getValue<std::string>("etag"))), 404),
            kNotFound);
  EXPECT_EQ(getObject("/repo/v1/dataset/" + did)->getArray("layers")->size(), 0u);
  // Unknown datasets and layers.
  EXPECT_EQ(reason(req("GET", base + "/nosuch"), 404), kNotFound);
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset/nosuch/layer/" + lid), 404), kNotFound);
  EXPECT_EQ(reason(req("POST", "/repo/v1/dataset/nosuch/layer", R"({"name":"n","type":"E"})"), 404),
            kNotFound);
}

TEST_P(SynapseLayers, BodiesAreCheckedAndTheTypeIsEGOrC) {
  startServer();
  const std::string did = newDataset();
  const std::string base = "/repo/v1/dataset/" + did + "/layer";
  auto r = req("POST", base, R"({"type":"E"})");
  EXPECT_EQ(reason(r, 400), "'name' is a required property for InputDataLayer");
  for (const std::string bad : {R"({"name":"n","type":"X"})", R"({"name":"n"})", R"({"name":"n","type":1})",
                                R"({"name":"n","type":"e"})"}) {
    r = req("POST", base, bad);
    EXPECT_EQ(reason(r, 400), "'type' must be one of: E G C") << bad;
  }
  r = req("POST", base, R"({"name":"n","type":"E","BOGUS":1})");
  EXPECT_NE(reason(r, 400).find("Unrecognized field \"BOGUS\""), std::string::npos);
  r = req("POST", base, "");
  EXPECT_EQ(reason(r, 400), "No content to map to Object due to end of input");
  for (const std::string bad :
       {R"({"name":"n","type":"E","numSamples":"many"})", R"({"name":"n","type":"E","numSamples":1.5})",
        R"({"name":"n","type":"E","qcDate":"soon"})"}) {
    r = req("POST", base, bad);
    reason(r, 400);
  }
  EXPECT_EQ(getObject(base)->getValue<int>("totalNumberOfResults"), 0);
  // Read-only fields are ignored.
  const auto l =
      createLayer(did, R"({"name":"n","type":"C","id":"mine","uri":"u","etag":"e","creationDate":1,)"
                       R"("annotations":"a","preview":"p","locations":["x"]})");
  EXPECT_NE(l->getValue<std::string>("id"), "mine");
  EXPECT_EQ(l->getArray("locations")->size(), 0u);
}

TEST_P(SynapseLayers, LayersArePagedAndSorted) {
  startServer();
  const std::string did = newDataset();
  const std::string other = newDataset("other");
  newLayer(other, "not mine", "E");
  for (int i = 0; i < 5; ++i) newLayer(did, "l" + std::to_string(i), i % 2 ? "G" : "E");
  const std::string base = "/repo/v1/dataset/" + did + "/layer";
  auto page = getObject(base + "?offset=1&limit=2");
  EXPECT_EQ(page->getValue<int>("totalNumberOfResults"), 5);
  ASSERT_EQ(page->getArray("results")->size(), 2u);
  EXPECT_EQ(page->getArray("results")->getObject(0)->getValue<std::string>("name"), "l0");
  EXPECT_EQ(page->getObject("paging")->getValue<std::string>("next"), base + "?offset=3&limit=2");
  EXPECT_FALSE(page->getObject("paging")->has("previous"));
  page = getObject(base + "?offset=3&limit=2&sort=name&ascending=false");
  ASSERT_EQ(page->getArray("results")->size(), 2u);
  EXPECT_EQ(page->getArray("results")->getObject(0)->getValue<std::string>("name"), "l2");
  EXPECT_EQ(page->getObject("paging")->getValue<std::string>("previous"),
            base + "?offset=1&limit=2&sort=name&ascending=false");
  EXPECT_EQ(reason(req("GET", base + "?limit=0"), 400), "pagination limit must be 1 or greater");
  EXPECT_EQ(reason(req("GET", base + "?offset=0"), 400), "pagination offset must be 1 or greater");
  reason(req("GET", base + "?sort=BOGUS"), 400);
  EXPECT_EQ(getObject(base + "?sort=numSamples")->getValue<int>("totalNumberOfResults"), 5);
}

TEST_P(SynapseLayers, AccessFollowsTheDatasetsCreator) {
  startServer();
  const std::string did = newDataset();
  const std::string base = "/repo/v1/dataset/" + did + "/layer";
  const auto l = createLayer(did, R"({"name":"n","type":"E"})");
  const std::string uri = base + "/" + l->getValue<std::string>("id");
  const std::string etag = l->getValue<std::string>("etag");

  EXPECT_EQ(reason(req("POST", base, R"({"name":"bob's","type":"E"})", kBob), 403), kForbidden);
  EXPECT_EQ(reason(req("PUT", uri, R"({"name":"x","type":"E"})", withEtag(kBob, etag)), 403), kForbidden);
  EXPECT_EQ(reason(req("PUT", uri, R"({"name":"x","type":"E"})", withEtag(kBob, "stale")), 403), kForbidden);
  EXPECT_EQ(reason(req("DELETE", uri, "", kBob), 403), kForbidden);
  EXPECT_EQ(reason(req("PUT", uri + "/preview", R"({"preview":"x"})", kBob), 403), kForbidden);
  EXPECT_EQ(reason(req("PUT", uri + "/locations", R"({"locations":[]})", kBob), 403), kForbidden);
  EXPECT_EQ(req("POST", base, R"({"name":"anon","type":"E"})", kAnonymous).status, 401);
  EXPECT_EQ(req("DELETE", uri, "", kAnonymous).status, 401);
  // Reads are open; root may write.
  EXPECT_EQ(getObject(uri, kBob)->getValue<std::string>("name"), "n");
  auto r = req("PUT", uri, R"({"name":"root's","type":"C"})", withEtag(kRoot, etag));
  EXPECT_EQ(r.status, 200) << r.body;
  r = req("POST", base, R"({"name":"root's too","type":"E"})", kRoot);
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_P(SynapseLayers, PreviewAsTextAndAsRows) {
  startServer();
  const std::string did = newDataset();
  const std::string lid = newLayer(did);
  const std::string uri = "/repo/v1/dataset/" + did + "/layer/" + lid;
  EXPECT_EQ(reason(req("GET", uri + "/preview"), 404), "No preview exists for layer " + lid);
  EXPECT_EQ(reason(req("GET", uri + "/previewAsMap"), 404), "No preview exists for layer " + lid);

  const std::string text = "gene\tsample1\tsample2\r\nTP53\t0.5\t1.5\nBRCA1\t2\n\n";
  Object::Ptr body = new Object;
  body->set("preview", text);
  std::ostringstream out;
  body->stringify(out);
  auto r = req("PUT", uri + "/preview", out.str());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getValue<std::string>("preview"), text);
  EXPECT_EQ(getObject(uri + "/preview", kAnonymous)->getValue<std::string>("preview"), text);

  const auto m = getObject(uri + "/previewAsMap");
  const auto headers = m->getArray("headers");
  ASSERT_EQ(headers->size(), 3u);
  EXPECT_EQ(headers->getElement<std::string>(0), "gene");
  EXPECT_EQ(headers->getElement<std::string>(2), "sample2");
  const auto rows = m->getArray("rows");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("gene"), "TP53");
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("sample2"), "1.5");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("sample1"), "2");
  EXPECT_EQ(rows->getObject(1)->getValue<std::string>("sample2"), "");

  // Replacing it; bad bodies change nothing.
  r = req("PUT", uri + "/preview", R"({"preview":"a\n1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(reason(req("PUT", uri + "/preview", R"({"preview":"b","BOGUS":1})"), 400).find("BOGUS"),
            std::string::npos);
  EXPECT_EQ(reason(req("PUT", uri + "/preview", R"({})"), 400),
            "'preview' is a required property for LayerPreview");
  reason(req("PUT", uri + "/preview", R"({"preview":5})"), 400);
  EXPECT_EQ(reason(req("PUT", uri + "/preview", ""), 400), "No content to map to Object due to end of input");
  EXPECT_EQ(getObject(uri + "/preview")->getValue<std::string>("preview"), "a\n1");
  EXPECT_EQ(
      reason(req("PUT", "/repo/v1/dataset/" + did + "/layer/nosuch/preview", R"({"preview":"x"})"), 404),
      kNotFound);
}

TEST_P(SynapseLayers, LocationsByType) {
  startServer();
  const std::string did = newDataset();
  const std::string lid = newLayer(did);
  const std::string uri = "/repo/v1/dataset/" + did + "/layer/" + lid;
  EXPECT_EQ(getObject(uri + "/locations")->getArray("locations")->size(), 0u);
  EXPECT_EQ(reason(req("GET", uri + "/awsS3Location"), 404), "No AWS S3 location exists for layer " + lid);
  EXPECT_EQ(reason(req("GET", uri + "/awsEBSLocation"), 404), "No AWS EBS location exists for layer " + lid);
  EXPECT_EQ(reason(req("GET", uri + "/sageLocation"), 404), "No Sage location exists for layer " + lid);

  auto r = req("PUT", uri + "/locations",
               R"({"locations":[{"type":"awss3","path":"s3://bucket/liver.zip","md5sum":"b4c5"},)"
               R"({"type":"sage","path":"/sage/liver.zip"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getArray("locations")->size(), 2u);
  auto s3 = getObject(uri + "/awsS3Location", kAnonymous);
  EXPECT_EQ(s3->getValue<std::string>("type"), "awss3");
  EXPECT_EQ(s3->getValue<std::string>("path"), "s3://bucket/liver.zip");  // as stored: no presigning
  EXPECT_EQ(s3->getValue<std::string>("md5sum"), "b4c5");
  const auto sage = getObject(uri + "/sageLocation");
  EXPECT_EQ(sage->getValue<std::string>("path"), "/sage/liver.zip");
  EXPECT_FALSE(sage->has("md5sum"));
  EXPECT_EQ(reason(req("GET", uri + "/awsEBSLocation"), 404), "No AWS EBS location exists for layer " + lid);
  // The layer lists one URI per location type it has.
  const auto locations = getObject(uri)->getArray("locations");
  ASSERT_EQ(locations->size(), 2u);
  EXPECT_EQ(locations->getElement<std::string>(0), uri + "/awsS3Location");
  EXPECT_EQ(locations->getElement<std::string>(1), uri + "/sageLocation");

  // Bad locations change nothing.
  EXPECT_EQ(reason(req("PUT", uri + "/locations", R"({"locations":[{"type":"ftp","path":"x"}]})"), 400),
            "'type' must be one of: awss3 awsebs sage");
  EXPECT_EQ(reason(req("PUT", uri + "/locations", R"({"locations":[{"path":"x"}]})"), 400),
            "'type' must be one of: awss3 awsebs sage");
  reason(req("PUT", uri + "/locations", R"({"locations":[{"type":"sage"}]})"), 400);
  reason(req("PUT", uri + "/locations", R"({"locations":[{"type":"sage","path":"x","BOGUS":1}]})"), 400);
  reason(req("PUT", uri + "/locations", R"({"locations":"everywhere"})"), 400);
  reason(req("PUT", uri + "/locations", R"({"locations":["x"]})"), 400);
  reason(req("PUT", uri + "/locations", R"({})"), 400);
  s3 = getObject(uri + "/awsS3Location");
  EXPECT_EQ(s3->getValue<std::string>("path"), "s3://bucket/liver.zip");

  // Replaced as a whole.
  r = req("PUT", uri + "/locations", R"({"locations":[{"type":"awsebs","path":"snap-1"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(getObject(uri + "/awsEBSLocation")->getValue<std::string>("path"), "snap-1");
  EXPECT_EQ(req("GET", uri + "/awsS3Location").status, 404);
}

TEST_P(SynapseLayers, Schemas) {
  startServer();
  const std::string did = newDataset();
  const std::string lid = newLayer(did);
  const std::string base = "/repo/v1/dataset/" + did + "/layer";
  for (const std::string& path : {base + "/schema", base + "/" + lid + "/schema"}) {
    const auto s = getObject(path);
    const auto props = s->getObject("properties");
    ASSERT_TRUE(props) << path;
    EXPECT_EQ(props->getObject("type")->getArray("enum")->size(), 3u);
    EXPECT_EQ(props->getObject("numSamples")->getValue<std::string>("type"), "integer");
    EXPECT_EQ(props->getObject("locations")->getValue<std::string>("type"), "array");
    std::set<std::string> required;
    for (std::size_t i = 0; i < s->getArray("required")->size(); ++i)
      required.insert(s->getArray("required")->getElement<std::string>(i));
    EXPECT_EQ(required, (std::set<std::string>{"name", "type"}));
  }
  EXPECT_TRUE(
      getObject(base + "/" + lid + "/annotations/schema")->getObject("properties")->has("longAnnotations"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SynapseLayers, ::testing::Values("memory", "rocksdb", "postgresql"));

}  // namespace
}  // namespace strata::test
