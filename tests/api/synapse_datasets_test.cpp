// The synapse plugin's datasets over HTTP (porting the 2011 DatasetControllerTest,
// DatasetsControllerTest, ControllerTest and ControllerAuthorizationTest), on the memory and
// rocksdb backends: create, read, update with ETags, delete with its layers, paging, sorting,
// strict bodies, dates, access, the session login and its token places, and (on rocksdb)
// datasets surviving a restart.
#include "synapse_test_support.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <regex>
#include <map>
#include <sstream>
#include <set>
#include <string>
#include <vector>

namespace strata::test {
namespace {

using namespace synapse;

class SynapseDatasets : public SynapseServer {};

TEST_P(SynapseDatasets, CreateAndGet) {
  startServer();
  auto r = req("POST", "/repo/v1/dataset", R"({"name":"DeLiver"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u);
  const auto d = parse(r);
  const std::string id = d->getValue<std::string>("id");
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{32}"))) << id;
  EXPECT_EQ(d->getValue<std::string>("name"), "DeLiver");
  EXPECT_EQ(d->getValue<std::string>("uri"), "/repo/v1/dataset/" + id);
  EXPECT_EQ(d->getValue<std::string>("annotations"), "/repo/v1/dataset/" + id + "/annotations");
  EXPECT_EQ(d->getValue<std::string>("layer"), "/repo/v1/dataset/" + id + "/layer");
  EXPECT_EQ(d->getValue<std::string>("version"), "0.0.1");
  EXPECT_EQ(d->getValue<std::string>("creator"), "alice");
  EXPECT_FALSE(d->getValue<bool>("hasExpressionData"));
  EXPECT_FALSE(d->getValue<bool>("hasGeneticData"));
  EXPECT_FALSE(d->getValue<bool>("hasClinicalData"));
  EXPECT_EQ(d->getArray("layers")->size(), 0u);
  EXPECT_FALSE(d->has("description"));
  EXPECT_FALSE(d->has("releaseDate"));
  const int64_t created = d->getValue<int64_t>("creationDate");
  EXPECT_GT(created, 1600000000000);  // epoch milliseconds
  const std::string etag = d->getValue<std::string>("etag");
  EXPECT_FALSE(etag.empty());
  EXPECT_EQ(r.header("ETag"), etag);  // unquoted, as 2011's
  EXPECT_EQ(r.header("Location"), "/repo/v1/dataset/" + id);

  r = req("GET", "/repo/v1/dataset/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("ETag"), etag);
  const auto g = parse(r);
  EXPECT_EQ(g->getValue<std::string>("id"), id);
  EXPECT_EQ(g->getValue<std::string>("name"), "DeLiver");
  EXPECT_EQ(g->getValue<std::string>("etag"), etag);
  EXPECT_EQ(g->getValue<int64_t>("creationDate"), created);
  EXPECT_EQ(g->getValue<std::string>("creator"), "alice");

  // Anonymous reads (auth.anonymous is on).
  r = req("GET", "/repo/v1/dataset/" + id, "", kAnonymous);
  EXPECT_EQ(r.status, 200) << r.body;
  // An unknown id.
  r = req("GET", "/repo/v1/dataset/nosuchdataset");
  EXPECT_EQ(reason(r, 404), kNotFound);
}

TEST_P(SynapseDatasets, EveryFieldIsStoredAndReturned) {
  startServer();
  const auto d = createDataset(
      R"({"name":"MSKCC Prostate Cancer","description":"a study","status":"Pending","releaseDate":"2011-01-31",)"
      R"("version":"1.0.0","hasExpressionData":true,"hasGeneticData":false,"hasClinicalData":true})");
  const auto g = getObject("/repo/v1/dataset/" + d->getValue<std::string>("id"));
  EXPECT_EQ(g->getValue<std::string>("name"), "MSKCC Prostate Cancer");
  EXPECT_EQ(g->getValue<std::string>("description"), "a study");
  EXPECT_EQ(g->getValue<std::string>("status"), "Pending");
  EXPECT_EQ(g->getValue<int64_t>("releaseDate"), 1296432000000);
  EXPECT_EQ(g->getValue<std::string>("version"), "1.0.0");
  EXPECT_TRUE(g->getValue<bool>("hasExpressionData"));
  EXPECT_FALSE(g->getValue<bool>("hasGeneticData"));
  EXPECT_TRUE(g->getValue<bool>("hasClinicalData"));
}

TEST_P(SynapseDatasets, UpdateNeedsTheEtagAndMakesANewOne) {
  startServer();
  auto d = createDataset(R"({"name":"DeLiver","description":"first"})");
  const std::string id = d->getValue<std::string>("id");
  const std::string etag = d->getValue<std::string>("etag");
  const std::string path = "/repo/v1/dataset/" + id;

  // The whole object comes back, changed, with the ETag header (read-only fields are ignored).
  d->set("description", "second");
  d->set("status", "Released");
  std::ostringstream body;
  d->stringify(body);
  auto r = req("PUT", path, body.str(), withEtag(kAlice, etag));
  ASSERT_EQ(r.status, 200) << r.body;
  auto u = parse(r);
  const std::string etag2 = u->getValue<std::string>("etag");
  EXPECT_NE(etag2, etag);
  EXPECT_EQ(r.header("ETag"), etag2);
  EXPECT_EQ(u->getValue<std::string>("description"), "second");
  EXPECT_EQ(u->getValue<std::string>("status"), "Released");
  EXPECT_EQ(u->getValue<std::string>("creator"), "alice");
  EXPECT_EQ(u->getValue<std::string>("id"), id);
  EXPECT_EQ(u->getValue<int64_t>("creationDate"), d->getValue<int64_t>("creationDate"));

  // The old etag is stale now: 412 with 2011's text, and nothing changes.
  r = req("PUT", path, R"({"name":"stale"})", withEtag(kAlice, etag));
  EXPECT_EQ(reason(r, 412), conflictText(id));
  EXPECT_EQ(getObject(path)->getValue<std::string>("name"), "DeLiver");
  // Another resource's etag is stale too.
  const auto other = createDataset(R"({"name":"other"})");
  r = req("PUT", path, R"({"name":"x"})", withEtag(kAlice, other->getValue<std::string>("etag")));
  EXPECT_EQ(reason(r, 412), conflictText(id));

  // No etag: 400.
  r = req("PUT", path, R"({"name":"x"})");
  EXPECT_NE(reason(r, 400).find("Missing header 'ETag'"), std::string::npos) << r.body;
  // An empty one counts as none (it must not make the write unconditional).
  for (const std::string empty : {"", "\"\""}) {
    r = req("PUT", path, R"({"name":"x"})", withEtag(kAlice, empty));
    EXPECT_NE(reason(r, 400).find("Missing header 'ETag'"), std::string::npos) << r.body;
    r = req("PUT", path, R"({"name":"x"})",
            Headers{{"Authorization", kAlice.at("Authorization")}, {"If-Match", empty}});
    EXPECT_NE(reason(r, 400).find("Missing header 'ETag'"), std::string::npos) << r.body;
  }
  // A stale etag with a bad body: the body is refused first (400), as 2011 decoded it first.
  r = req("PUT", path, R"({"BOGUS":1})", withEtag(kAlice, etag));
  EXPECT_NE(reason(r, 400).find("BOGUS"), std::string::npos);

  // If-Match, quoted or not, works as the ETag header.
  r = req("PUT", path, R"({"name":"quoted"})",
          Headers{{"Authorization", kAlice.at("Authorization")}, {"If-Match", "\"" + etag2 + "\""}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string etag3 = parse(r)->getValue<std::string>("etag");
  r = req("PUT", path, R"({"name":"bare"})",
          Headers{{"Authorization", kAlice.at("Authorization")}, {"If-Match", etag3}});
  ASSERT_EQ(r.status, 200) << r.body;
  u = getObject(path);
  EXPECT_EQ(u->getValue<std::string>("name"), "bare");
  // Fields left out of a PUT are gone, and version is back to its default.
  EXPECT_FALSE(u->has("description"));
  EXPECT_EQ(u->getValue<std::string>("version"), "0.0.1");

  // Unknown ids.
  r = req("PUT", "/repo/v1/dataset/nosuch", R"({"name":"x"})", withEtag(kAlice, etag3));
  EXPECT_EQ(reason(r, 404), kNotFound);
}

// Writers doing GET, change, PUT with the etag and retrying on 412 lose no update.
TEST_P(SynapseDatasets, ConcurrentWritersLoseNoUpdate) {
  startServer();
  const std::string id = newDataset();
  const std::string path = "/repo/v1/dataset/" + id;
  constexpr int kWriters = 4, kIncrements = 10;
  std::atomic<int> conflicts{0}, failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {
          const auto g = req("GET", path);
          if (g.status != 200) {
            ++failures;
            return;
          }
          const auto d = parse(g);
          const int n = d->has("status") ? std::stoi(d->getValue<std::string>("status")) : 0;
          const auto r = req("PUT", path, R"({"name":"counter","status":")" + std::to_string(n + 1) + R"("})",
                             withEtag(kAlice, g.header("ETag")));
          if (r.status == 200) break;
          if (r.status != 412) {
            ++failures;
            return;
          }
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(getObject(path)->getValue<std::string>("status"), std::to_string(kWriters * kIncrements))
      << conflicts.load() << " conflicts";
}

TEST_P(SynapseDatasets, OnlyTheCreatorOrAnAdminChangesAndForbiddenComesBeforePreconditionFailed) {
  startServer();
  const auto d = createDataset(R"({"name":"alice's"})");
  const std::string id = d->getValue<std::string>("id");
  const std::string path = "/repo/v1/dataset/" + id;
  const std::string etag = d->getValue<std::string>("etag");

  // bob with the right etag, a stale one or none: 403, decided before the etag and the body.
  auto r = req("PUT", path, R"({"name":"bob's"})", withEtag(kBob, etag));
  EXPECT_EQ(reason(r, 403), kForbidden);
  r = req("PUT", path, R"({"name":"bob's"})", withEtag(kBob, "stale"));
  EXPECT_EQ(reason(r, 403), kForbidden);
  r = req("PUT", path, "not json", withEtag(kBob, "stale"));
  EXPECT_EQ(reason(r, 403), kForbidden);
  r = req("DELETE", path, "", kBob);
  EXPECT_EQ(reason(r, 403), kForbidden);
  // bob may read it.
  EXPECT_EQ(getObject(path, kBob)->getValue<std::string>("name"), "alice's");
  // alice with a stale etag: 412.
  r = req("PUT", path, R"({"name":"x"})", withEtag(kAlice, "stale"));
  EXPECT_EQ(reason(r, 412), conflictText(id));

  // Anonymous writes: 401.
  r = req("POST", "/repo/v1/dataset", R"({"name":"anon"})", kAnonymous);
  EXPECT_EQ(reason(r, 401).empty(), false);
  r = req("PUT", path, R"({"name":"anon"})", withEtag(kAnonymous, etag));
  EXPECT_EQ(r.status, 401);
  r = req("DELETE", path, "", kAnonymous);
  EXPECT_EQ(r.status, 401);

  // root (admin) may; the creator stays alice.
  r = req("PUT", path, R"({"name":"root's"})", withEtag(kRoot, etag));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)->getValue<std::string>("creator"), "alice");
  r = req("DELETE", path, "", kRoot);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(reason(req("GET", path), 404), kNotFound);
}

TEST_P(SynapseDatasets, BodiesAreStrict) {
  startServer();
  auto r = req("POST", "/repo/v1/dataset", R"({"name":"x","BOGUS":"bogus"})");
  EXPECT_NE(reason(r, 400).find("Unrecognized field \"BOGUS\""), std::string::npos) << r.body;
  r = req("POST", "/repo/v1/dataset", "");
  EXPECT_EQ(reason(r, 400), "No content to map to Object due to end of input");
  r = req("POST", "/repo/v1/dataset", "{\"name\": ");
  reason(r, 400);
  r = req("POST", "/repo/v1/dataset", "[1,2]");
  reason(r, 400);
  r = req("POST", "/repo/v1/dataset", R"({"description":"no name"})");
  EXPECT_EQ(reason(r, 400), "'name' is a required property for Dataset");
  r = req("POST", "/repo/v1/dataset", R"({"name":null})");
  EXPECT_EQ(reason(r, 400), "'name' is a required property for Dataset");
  // Wrong types.
  for (const std::string bad :
       {R"({"name":42})", R"({"name":"x","hasGeneticData":"yes"})",
        R"({"name":"x","releaseDate":"yesterday"})", R"({"name":"x","releaseDate":true})",
        R"({"name":"x","version":1})", R"({"name":"x","description":["a"]})"}) {
    r = req("POST", "/repo/v1/dataset", bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    reason(r, 400);
  }
  // Nothing was stored by these.
  EXPECT_EQ(getObject("/repo/v1/dataset")->getValue<int>("totalNumberOfResults"), 0);

  // Read-only fields are accepted and ignored.
  const auto d = createDataset(
      R"({"name":"x","id":"mine","uri":"/elsewhere","etag":"e","creator":"mallory","creationDate":5,)"
      R"("annotations":"a","layer":"l","layers":[{"id":"1"}]})");
  EXPECT_NE(d->getValue<std::string>("id"), "mine");
  EXPECT_EQ(d->getValue<std::string>("creator"), "alice");
  EXPECT_NE(d->getValue<int64_t>("creationDate"), 5);
  EXPECT_EQ(d->getArray("layers")->size(), 0u);

  // A PUT with a bad body changes nothing.
  const std::string path = "/repo/v1/dataset/" + d->getValue<std::string>("id");
  const std::string etag = d->getValue<std::string>("etag");
  r = req("PUT", path, R"({"name":"y","BOGUS":1})", withEtag(kAlice, etag));
  reason(r, 400);
  r = req("PUT", path, "", withEtag(kAlice, etag));
  EXPECT_EQ(reason(r, 400), "No content to map to Object due to end of input");
  r = req("PUT", path, R"({"description":"no name"})", withEtag(kAlice, etag));
  EXPECT_EQ(reason(r, 400), "'name' is a required property for Dataset");
  const auto g = getObject(path);
  EXPECT_EQ(g->getValue<std::string>("name"), "x");
  EXPECT_EQ(g->getValue<std::string>("etag"), etag);
}

TEST_P(SynapseDatasets, BodiesAreBoundedAndAnonymousReadsFollowTheConfiguration) {
  startServer({{"plugins.synapse.maxJsonBytes", "1K"}, {"auth.anonymous", "false"}});
  const std::string id = newDataset();
  const std::string big = R"({"name":"big","description":")" + std::string(2000, 'x') + R"("})";
  auto r = req("POST", "/repo/v1/dataset", big);
  EXPECT_EQ(r.status, 413) << r.body;
  const auto d = getObject("/repo/v1/dataset/" + id);
  r = req("PUT", "/repo/v1/dataset/" + id, big, withEtag(kAlice, d->getValue<std::string>("etag")));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(getObject("/repo/v1/dataset/" + id)->getValue<std::string>("etag"),
            d->getValue<std::string>("etag"));
  EXPECT_EQ(getObject("/repo/v1/dataset")->getValue<int>("totalNumberOfResults"), 1);
  // Without auth.anonymous, reads need a user too.
  EXPECT_EQ(req("GET", "/repo/v1/dataset/" + id, "", kAnonymous).status, 401);
  EXPECT_EQ(req("GET", "/repo/v1/dataset", "", kAnonymous).status, 401);
  EXPECT_EQ(req("GET", "/repo/v1/dataset/" + id, "", kBob).status, 200);
}

TEST_P(SynapseDatasets, DatesComeInBothFormsAndGoOutAsEpochMilliseconds) {
  startServer();
  const std::vector<std::pair<std::string, int64_t>> cases = {{"\"2011-01-31\"", 1296432000000},
                                                              {"\"2011-01-31T22:00:00\"", 1296511200000},
                                                              {"\"2011-01-31T22:00:00Z\"", 1296511200000},
                                                              {"\"2011-01-31T22:00:00.250\"", 1296511200250},
                                                              {"1296432000000", 1296432000000}};
  for (const auto& [in, out] : cases) {
    const auto d = createDataset(R"({"name":"d","releaseDate":)" + in + "}");
    EXPECT_EQ(d->getValue<int64_t>("releaseDate"), out) << in;
    EXPECT_EQ(
        getObject("/repo/v1/dataset/" + d->getValue<std::string>("id"))->getValue<int64_t>("releaseDate"),
        out);
  }
  for (const std::string bad : {"\"2011-13-45\"", "\"31/01/2011\"", "\"\"", "1.5"}) {
    const auto r = req("POST", "/repo/v1/dataset", R"({"name":"d","releaseDate":)" + bad + "}");
    EXPECT_NE(reason(r, 400).find("releaseDate"), std::string::npos) << bad << ": " << r.body;
  }
}

TEST_P(SynapseDatasets, PagesSortsAndRefusesBadPaging) {
  startServer();
  // 10 datasets "d0".."d9", created in that order.
  for (int i = 0; i < 10; ++i) newDataset("d" + std::to_string(i));

  auto page = getObject("/repo/v1/dataset?offset=1&limit=3");
  EXPECT_EQ(page->getValue<int>("totalNumberOfResults"), 10);
  auto results = page->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("name"), "d0");  // unsorted: in creation order
  auto paging = page->getObject("paging");
  EXPECT_FALSE(paging->has("previous"));
  EXPECT_EQ(paging->getValue<std::string>("next"), "/repo/v1/dataset?offset=4&limit=3");

  page = getObject("/repo/v1/dataset?offset=4&limit=3");
  results = page->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("name"), "d3");
  paging = page->getObject("paging");
  EXPECT_EQ(paging->getValue<std::string>("previous"), "/repo/v1/dataset?offset=1&limit=3");
  EXPECT_EQ(paging->getValue<std::string>("next"), "/repo/v1/dataset?offset=7&limit=3");

  page = getObject("/repo/v1/dataset?offset=10&limit=3");
  EXPECT_EQ(page->getArray("results")->size(), 1u);
  paging = page->getObject("paging");
  EXPECT_EQ(paging->getValue<std::string>("previous"), "/repo/v1/dataset?offset=7&limit=3");
  EXPECT_FALSE(paging->has("next"));

  // Defaults: offset 1, limit 10; one page of 10 still has next (offset + limit <= total).
  page = getObject("/repo/v1/dataset");
  EXPECT_EQ(page->getArray("results")->size(), 10u);
  // A single page: paging is {}.
  page = getObject("/repo/v1/dataset?limit=20");
  EXPECT_EQ(page->getObject("paging")->size(), 0u);

  // Sorted by name, descending, with the sort in the links.
  page = getObject("/repo/v1/dataset?offset=4&limit=3&sort=name&ascending=false");
  results = page->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("name"), "d6");
  EXPECT_EQ(results->getObject(2)->getValue<std::string>("name"), "d4");
  paging = page->getObject("paging");
  EXPECT_EQ(paging->getValue<std::string>("previous"),
            "/repo/v1/dataset?offset=1&limit=3&sort=name&ascending=false");
  EXPECT_EQ(paging->getValue<std::string>("next"),
            "/repo/v1/dataset?offset=7&limit=3&sort=name&ascending=false");
  page = getObject("/repo/v1/dataset?sort=name&ascending=true&limit=2");
  EXPECT_EQ(page->getArray("results")->getObject(0)->getValue<std::string>("name"), "d0");
  page = getObject("/repo/v1/dataset?sort=creationDate&ascending=false&limit=2");
  EXPECT_EQ(page->getArray("results")->getObject(0)->getValue<std::string>("name"), "d9");

  // Bad paging.
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset?offset=0"), 400), "pagination offset must be 1 or greater");
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset?offset=-1"), 400), "pagination offset must be 1 or greater");
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset?offset=one"), 400), "pagination offset must be 1 or greater");
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset?limit=0"), 400), "pagination limit must be 1 or greater");
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset?limit=ten"), 400), "pagination limit must be 1 or greater");
  EXPECT_NE(reason(req("GET", "/repo/v1/dataset?sort=BOGUS"), 400).find("BOGUS"), std::string::npos);
  EXPECT_NE(reason(req("GET", "/repo/v1/dataset?sort=layers"), 400).find("layers"), std::string::npos);
  reason(req("GET", "/repo/v1/dataset?ascending=maybe"), 400);
}

TEST_P(SynapseDatasets, DeleteIsForGoodWithItsLayers) {
  startServer();
  const std::string id = newDataset();
  const std::string path = "/repo/v1/dataset/" + id;
  const std::string l1 = newLayer(id, "expression", "E");
  const std::string l2 = newLayer(id, "clinical", "C");
  const std::string other = newDataset("other");
  const std::string l3 = newLayer(other, "genetic", "G");
  auto r = req("PUT", path + "/layer/" + l1 + "/preview", R"({"preview":"a\tb\n1\t2\n"})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = req("PUT", path + "/layer/" + l1 + "/locations", R"({"locations":[{"type":"sage","path":"/data/x"}]})");
  ASSERT_EQ(r.status, 200) << r.body;

  // The dataset lists its layers.
  auto layers = getObject(path)->getArray("layers");
  ASSERT_EQ(layers->size(), 2u);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const auto p = layers->getObject(i);
    EXPECT_EQ(p->size(), 3u);
    seen.insert(p->getValue<std::string>("id") + ":" + p->getValue<std::string>("type"));
    EXPECT_EQ(p->getValue<std::string>("uri"), path + "/layer/" + p->getValue<std::string>("id"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{l1 + ":E", l2 + ":C"}));

  r = req("DELETE", path);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(reason(req("GET", path), 404), kNotFound);
  EXPECT_EQ(reason(req("PUT", path, R"({"name":"x"})", withEtag(kAlice, "e")), 404), kNotFound);
  EXPECT_EQ(reason(req("DELETE", path), 404), kNotFound);
  for (const std::string& l : {l1, l2}) {
    EXPECT_EQ(reason(req("GET", path + "/layer/" + l), 404), kNotFound);
    EXPECT_EQ(reason(req("GET", path + "/layer/" + l + "/preview"), 404), kNotFound);
    EXPECT_EQ(reason(req("GET", path + "/layer/" + l + "/locations"), 404), kNotFound);
  }
  EXPECT_EQ(reason(req("GET", path + "/layer"), 404), kNotFound);
  EXPECT_EQ(reason(req("POST", path + "/layer", R"({"name":"n","type":"E"})"), 404), kNotFound);
  // The other dataset and its layer are untouched.
  EXPECT_EQ(getObject("/repo/v1/dataset/" + other + "/layer/" + l3)->getValue<std::string>("name"),
            "genetic");
  EXPECT_EQ(getObject("/repo/v1/dataset")->getValue<int>("totalNumberOfResults"), 1);
}

// `version` is the record's version string, stored apart from the entity store's own update
// count: sorting by it follows the strings, however often each dataset was updated.
TEST_P(SynapseDatasets, SortingByVersionFollowsTheRecordsVersion) {
  startServer();
  std::map<std::string, std::string> ids;
  for (const char* v : {"0.0.3", "0.0.1", "0.0.2"})
    ids[v] =
        createDataset(std::string(R"({"name": "v", "version": ")") + v + "\"}")->getValue<std::string>("id");
  // Update 0.0.1 several times: its update count passes the others'.
  for (int i = 0; i < 3; ++i) {
    auto d = getObject("/repo/v1/dataset/" + ids["0.0.1"]);
    d->set("description", "update " + std::to_string(i));
    std::ostringstream body;
    d->stringify(body);
    ASSERT_EQ(req("PUT", "/repo/v1/dataset/" + ids["0.0.1"], body.str(),
                  withEtag(kAlice, d->getValue<std::string>("etag")))
                  .status,
              200);
  }
  auto page = getObject("/repo/v1/dataset?sort=version&ascending=true");
  auto results = page->getArray("results");
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ(results->getObject(0)->getValue<std::string>("version"), "0.0.1");
  EXPECT_EQ(results->getObject(1)->getValue<std::string>("version"), "0.0.2");
  EXPECT_EQ(results->getObject(2)->getValue<std::string>("version"), "0.0.3");
  EXPECT_FALSE(results->getObject(0)->has("versionLabel"));
}

TEST_P(SynapseDatasets, SchemasDescribeTheFields) {
  startServer();
  const std::string id = newDataset();
  for (const std::string& path :
       {std::string("/repo/v1/dataset/schema"), "/repo/v1/dataset/" + id + "/schema"}) {
    const auto s = getObject(path, kAnonymous);
    EXPECT_EQ(s->getValue<std::string>("type"), "object");
    const auto props = s->getObject("properties");
    ASSERT_TRUE(props);
    EXPECT_EQ(props->getObject("name")->getValue<std::string>("type"), "string");
    EXPECT_EQ(props->getObject("releaseDate")->getValue<std::string>("type"), "integer");
    EXPECT_EQ(props->getObject("hasClinicalData")->getValue<std::string>("type"), "boolean");
    EXPECT_EQ(props->getObject("layers")->getValue<std::string>("type"), "array");
    EXPECT_TRUE(props->getObject("id")->getValue<bool>("readonly"));
    EXPECT_EQ(s->getArray("required")->getElement<std::string>(0), "name");
  }
  const auto a = getObject("/repo/v1/dataset/" + id + "/annotations/schema");
  const auto props = a->getObject("properties");
  for (const std::string k : {"stringAnnotations", "doubleAnnotations", "longAnnotations", "dateAnnotations",
                              "blobAnnotations", "etag", "id", "uri", "creationDate"})
    EXPECT_TRUE(props->has(k)) << k;
}

TEST_P(SynapseDatasets, SessionTokensWorkInEveryPlace) {
  startServer();
  auto r = req("POST", "/auth/v1/session", R"({"email":"alice","password":"wonder"})", kAnonymous);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto o = parse(r);
  EXPECT_EQ(o->size(), 1u);
  const std::string token = o->getValue<std::string>("sessionToken");
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;  // a JWT

  // As the sessionToken header, the access_token parameter and Bearer: the dataset's creator is alice.
  r = req("POST", "/repo/v1/dataset", R"({"name":"via header"})", Headers{{"sessionToken", token}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r)->getValue<std::string>("creator"), "alice");
  const std::string id = parse(r)->getValue<std::string>("id");
  const std::string etag = parse(r)->getValue<std::string>("etag");
  r = req("PUT", "/repo/v1/dataset/" + id + "?access_token=" + urlEncode(token),
          R"({"name":"via parameter"})", Headers{{"ETag", etag}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = req("DELETE", "/repo/v1/dataset/" + id, "", Headers{{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 204) << r.body;

  // bob's token cannot change alice's dataset.
  r = req("POST", "/auth/v1/session", R"({"email":"bob","password":"builder"})", kAnonymous);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string bobToken = parse(r)->getValue<std::string>("sessionToken");
  const std::string aliceId = newDataset();
  r = req("DELETE", "/repo/v1/dataset/" + aliceId, "", Headers{{"sessionToken", bobToken}});
  EXPECT_EQ(reason(r, 403), kForbidden);

  // A bad token is 401 wherever it is.
  r = req("POST", "/repo/v1/dataset", R"({"name":"x"})", Headers{{"sessionToken", "not.a.token"}});
  EXPECT_EQ(r.status, 401);
  r = req("GET", "/repo/v1/dataset?access_token=garbage", "", kAnonymous);
  EXPECT_EQ(r.status, 401);

  // Wrong credentials and bad bodies.
  r = req("POST", "/auth/v1/session", R"({"email":"alice","password":"wrong"})", kAnonymous);
  EXPECT_FALSE(reason(r, 401).empty());
  r = req("POST", "/auth/v1/session", R"({"email":"nobody","password":"wonder"})", kAnonymous);
  reason(r, 401);
  r = req("POST", "/auth/v1/session", R"({"email":"alice"})", kAnonymous);
  EXPECT_EQ(reason(r, 400), "'password' is a required property for User");
  r = req("POST", "/auth/v1/session", "", kAnonymous);
  EXPECT_EQ(reason(r, 400), "No content to map to Object due to end of input");

  // Logging out answers 204 (tokens are stateless and stay valid until they expire).
  r = req("DELETE", "/auth/v1/session", "", Headers{{"sessionToken", token}});
  EXPECT_EQ(r.status, 204);
}

TEST_P(SynapseDatasets, DatasetsSurviveARestart) {
  if (GetParam() == "memory") GTEST_SKIP() << "the memory store does not keep data across a restart";
  startServer();
  const auto d = createDataset(R"({"name":"kept","releaseDate":"2011-01-31"})");
  const std::string id = d->getValue<std::string>("id");
  const std::string lid = newLayer(id, "layer kept", "G");
  auto r = req("PUT", "/repo/v1/dataset/" + id + "/layer/" + lid + "/preview", R"({"preview":"h\n1\n"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string gone = newDataset("deleted");
  ASSERT_EQ(req("DELETE", "/repo/v1/dataset/" + gone).status, 204);

  startServer();
  const auto g = getObject("/repo/v1/dataset/" + id);
  EXPECT_EQ(g->getValue<std::string>("name"), "kept");
  EXPECT_EQ(g->getValue<std::string>("etag"), d->getValue<std::string>("etag"));
  EXPECT_EQ(g->getValue<int64_t>("releaseDate"), 1296432000000);
  EXPECT_EQ(g->getValue<int64_t>("creationDate"), d->getValue<int64_t>("creationDate"));
  ASSERT_EQ(g->getArray("layers")->size(), 1u);
  EXPECT_EQ(
      getObject("/repo/v1/dataset/" + id + "/layer/" + lid + "/preview")->getValue<std::string>("preview"),
      "h\n1\n");
  EXPECT_EQ(reason(req("GET", "/repo/v1/dataset/" + gone), 404), kNotFound);
  // The etag still guards updates.
  r = req("PUT", "/repo/v1/dataset/" + id, R"({"name":"changed"})",
          withEtag(kAlice, d->getValue<std::string>("etag")));
  EXPECT_EQ(r.status, 200) << r.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, SynapseDatasets, ::testing::Values("memory", "rocksdb", "postgresql"));

}  // namespace
}  // namespace strata::test
