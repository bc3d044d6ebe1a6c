// The ufdl plugin's dataset records over HTTP: create, list (visibility, filters), get,
// update, soft delete, clear, copy (versions, new names, only_files, concurrent copies), merge,
// hard delete (blob references released) and reinstate, with every permission level, and
// their state across a restart.
#include "api/ufdl_test_support.h"

#include <Poco/File.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace strata::test::ufdl {
namespace {

const std::string kNotUnique = "The fields name, version, project must make a unique set.";

std::string path(int64_t pk, const std::string& rest = "") {
  return "/v1/datasets/" + std::to_string(pk) + rest;
}

// The names of a list answer, in order.
std::vector<std::string> names(const Array::Ptr& list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list->size(); ++i)
    out.push_back(list->getObject(i)->getValue<std::string>("name"));
  return out;
}

std::set<std::string> nameSet(const Array::Ptr& list) {
  const auto v = names(list);
  return {v.begin(), v.end()};
}

// The non_field_errors message of a 400 answer.
std::string nonFieldError(const HttpResult& r) { return fieldError(r, "non_field_errors"); }

class UfdlDatasets : public UfdlServer {
 protected:
  void SetUp() override { startServer(); }

  Array::Ptr list(const std::string& body, const Headers& h) {
    const auto r = req("POST", "/v1/datasets/list", body, h);
    EXPECT_EQ(r.status, 200) << r.body;
    try {
      return parseArray(r);
    } catch (...) {
      ADD_FAILURE() << "not a JSON array: " << r.body;
      return new Array;
    }
  }
  int64_t pkOf(const Object::Ptr& o) { return o->getValue<int64_t>("pk"); }
  Object::Ptr get(int64_t pk, const Headers& h = kAlice) { return okObject(req("GET", path(pk), "", h)); }
  Object::Ptr copy(int64_t pk, const std::string& body = "{}", const Headers& h = kAlice) {
    return okObject(req("POST", path(pk, "/copy"), body, h));
  }
  void setMetadata(int64_t pk, const std::string& file, const std::string& metadata) {
    const auto r = req("POST", path(pk, "/metadata/" + file), R"({"metadata":")" + metadata + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  std::string metadata(int64_t pk, const std::string& file) {
    return okObject(req("GET", path(pk, "/metadata/" + file)))->getValue<std::string>("metadata");
  }
};

class UfdlDatasetBlobs : public UfdlDatasets {};
class UfdlDatasetRestart : public UfdlDatasets {};

// ---- create

TEST_P(UfdlDatasets, CreateChecksPermissionsAndFields) {
  const auto [team, project] = labWithProject();
  const std::string p = std::to_string(project);
  const std::string good = R"({"name":"birds","project":)" + p + R"(,"licence":1,"tags":""})";

  EXPECT_EQ(detail(req("POST", "/v1/datasets/create", good, kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", "/v1/datasets/create", good, kBob), 403), kForbidden);    // R member
  EXPECT_EQ(detail(req("POST", "/v1/datasets/create", good, kCarol), 403), kForbidden);  // not a member

  // missing and wrong fields: DRF's field errors
  auto r = req("POST", "/v1/datasets/create", "{}");
  EXPECT_EQ(fieldError(r, "name"), "This field is required.");
  EXPECT_EQ(fieldError(r, "project"), "This field is required.");
  EXPECT_EQ(fieldError(r, "licence"), "This field is required.");
  EXPECT_EQ(fieldError(r, "tags"), "This field is required.");
  r = req("POST", "/v1/datasets/create",
          R"({"name":[],"project":)" + p + R"(,"licence":999,"tags":"","is_public":"maybe"})");
  EXPECT_EQ(fieldError(r, "name"), "Not a valid string.");
  EXPECT_EQ(fieldError(r, "licence"), R"(Invalid pk "999" - object does not exist.)");
  EXPECT_EQ(fieldError(r, "is_public"), "Must be a valid boolean.");
  r = req("POST", "/v1/datasets/create", R"({"name":"","project":9,"licence":"x","tags":3})");
  EXPECT_EQ(fieldError(r, "name"), "This field may not be blank.");
  EXPECT_EQ(fieldError(r, "project"), R"(Invalid pk "9" - object does not exist.)");
  EXPECT_EQ(fieldError(r, "licence"), "Incorrect type. Expected pk value, received str.");
  EXPECT_EQ(detail(req("POST", "/v1/datasets/create", "{not json"), 400).rfind("JSON parse error", 0), 0u);
  EXPECT_EQ(detail(req("POST", "/v1/datasets/create", "[1]"), 400).rfind("JSON parse error", 0), 0u);
  r = req("POST", "/v1/datasets/create",
          R"({"name":"a\u0000b","project":)" + p + R"(,"licence":1,"tags":"  "})");
  EXPECT_EQ(fieldError(r, "name"), "Null characters are not allowed.");
  // names are trimmed as DRF does; blank tags are allowed
  EXPECT_EQ(newDataset("  padded ", project)->getValue<std::string>("name"), "padded");

  const auto d = okObject(req("POST", "/v1/datasets/create", good), 201);
  EXPECT_EQ(d->getValue<std::string>("name"), "birds");
  EXPECT_EQ(d->getValue<int64_t>("version"), 1);
  EXPECT_EQ(d->getValue<int64_t>("previous_version"), -1);
  EXPECT_EQ(d->getValue<int64_t>("project"), project);
  EXPECT_EQ(d->getValue<int64_t>("licence"), 1);
  EXPECT_EQ(d->getValue<std::string>("description"), "");
  EXPECT_FALSE(d->getValue<bool>("is_public"));
  EXPECT_TRUE(d->isNull("domain"));
  EXPECT_TRUE(d->isNull("deletion_time"));
  EXPECT_FALSE(d->getValue<std::string>("creation_time").empty());
  EXPECT_EQ(d->getObject("files")->size(), 0u);
  // the field order of UFDL's serializer
  const auto raw = req("GET", path(pkOf(d)));
  EXPECT_LT(raw.body.find("\"pk\""), raw.body.find("\"name\""));
  EXPECT_LT(raw.body.find("\"previous_version\""), raw.body.find("\"description\""));
  EXPECT_LT(raw.body.find("\"deletion_time\""), raw.body.find("\"files\""));

  // the same (name, version, project) again: DRF's unique-together error
  EXPECT_EQ(nonFieldError(req("POST", "/v1/datasets/create", good)), kNotUnique);
  // staff pass without membership; creator is the caller
  const auto byRoot = newDataset("other", project, kRoot, R"(,"description":"d","is_public":true)");
  EXPECT_EQ(byRoot->getValue<std::string>("description"), "d");
  EXPECT_TRUE(byRoot->getValue<bool>("is_public"));
  EXPECT_NE(byRoot->getValue<int64_t>("creator"), d->getValue<int64_t>("creator"));
  EXPECT_EQ(newDataset("third", project)->getValue<int64_t>("creator"), d->getValue<int64_t>("creator"));
  EXPECT_GT(pkOf(byRoot), pkOf(d));
}

// ---- get, update, delete, clear

TEST_P(UfdlDatasets, GetUpdateDeleteFollowTeamLevels) {
  const auto [team, project] = labWithProject();
  const int64_t d = pkOf(newDataset("birds", project));
  const int64_t pub = pkOf(newDataset("open", project, kAlice, R"(,"is_public":true)"));

  // get: members at any level, staff; public ones by anyone; 404 before permission
  EXPECT_EQ(get(d)->getValue<std::string>("name"), "birds");
  EXPECT_EQ(get(d, kBob)->getValue<std::string>("name"), "birds");
  EXPECT_EQ(get(d, kRoot)->getValue<std::string>("name"), "birds");
  EXPECT_EQ(detail(req("GET", path(d), "", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", path(d), "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(get(pub, kAnonymous)->getValue<std::string>("name"), "open");
  EXPECT_EQ(get(pub, kCarol)->getValue<std::string>("name"), "open");
  EXPECT_EQ(detail(req("GET", path(99999), "", kCarol), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", "/v1/datasets/abc", "", kAlice), 404), kNotFound);

  // patch: W only
  const std::string patch = R"({"description":"songbirds","is_public":true})";
  EXPECT_EQ(detail(req("PATCH", path(d), patch, kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("PATCH", path(d), patch, kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", path(d), patch, kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", path(pub), patch, kCarol), 403), kForbidden);  // public is read-only
  EXPECT_EQ(detail(req("PATCH", path(99999), patch, kAlice), 404), kNotFound);
  auto o = okObject(req("PATCH", path(d), patch));
  EXPECT_EQ(o->getValue<std::string>("description"), "songbirds");
  EXPECT_TRUE(o->getValue<bool>("is_public"));
  EXPECT_EQ(o->getValue<std::string>("name"), "birds");
  EXPECT_EQ(get(d, kCarol)->getValue<std::string>("description"), "songbirds");  // public now
  EXPECT_EQ(fieldError(req("PATCH", path(d), R"({"licence":true})"), "licence"),
            "Incorrect type. Expected pk value, received bool.");

  // put: every required field
  EXPECT_EQ(fieldError(req("PUT", path(d), R"({"name":"b2"})"), "tags"), "This field is required.");
  o = okObject(req("PUT", path(d),
                   R"({"name":"b2","project":)" + std::to_string(project) + R"(,"licence":2,"tags":"t"})"));
  EXPECT_EQ(o->getValue<std::string>("name"), "b2");
  EXPECT_EQ(o->getValue<int64_t>("licence"), 2);
  EXPECT_EQ(o->getValue<std::string>("tags"), "t");
  EXPECT_EQ(o->getValue<std::string>("description"), "songbirds");  // not given: kept
  o = okObject(req("PUT", path(d),
                   R"({"name":"b2","project":)" + std::to_string(project) + R"(,"licence":2,"tags":"t"})",
                   kRoot));  // staff
  EXPECT_EQ(o->getValue<std::string>("name"), "b2");

  // a rename onto an active (name, version, project): 400, not 500; the key follows renames
  EXPECT_EQ(nonFieldError(req("PATCH", path(pub), R"({"name":"b2"})")), kNotUnique);
  EXPECT_EQ(get(pub)->getValue<std::string>("name"), "open");
  okObject(req("PATCH", path(d), R"({"name":"b3"})"));
  EXPECT_EQ(okObject(req("PATCH", path(pub), R"({"name":"b2"})"))->getValue<std::string>("name"), "b2");
  EXPECT_EQ(nonFieldError(
                req("POST", "/v1/datasets/create",
                    R"({"name":"b3","project":)" + std::to_string(project) + R"(,"licence":1,"tags":""})")),
            kNotUnique);

  // moving to another team's project needs W there too
  EXPECT_FALSE(okObject(req("PATCH", path(d), R"({"is_public":"false"})"))->getValue<bool>("is_public"));
  const int64_t zoo = newTeam("zoo");
  addMember(zoo, "alice", "R");
  const int64_t zooProject = newProject("z1", zoo);
  const std::string move = R"({"project":)" + std::to_string(zooProject) + "}";
  EXPECT_EQ(detail(req("PATCH", path(d), move), 403), kForbidden);
  EXPECT_EQ(get(d)->getValue<int64_t>("project"), project);
  const auto r = req("PATCH", "/v1/teams/" + std::to_string(zoo) + "/memberships",
                     R"({"username":"alice","method":"update","permissions":"W"})", kRoot);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(okObject(req("PATCH", path(d), move))->getValue<int64_t>("project"), zooProject);
  EXPECT_EQ(detail(req("GET", path(d), "", kBob), 403), kForbidden);  // bob is in lab only now

  // delete: W; soft; a second delete is a no-op; the name is free again
  EXPECT_EQ(detail(req("DELETE", path(pub), "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("DELETE", path(pub), "", kBob), 403), kForbidden);
  EXPECT_EQ(req("DELETE", path(pub)).status, 204);
  o = get(pub);
  EXPECT_FALSE(o->isNull("deletion_time"));
  EXPECT_EQ(req("DELETE", path(pub)).status, 204);
  EXPECT_EQ(get(pub)->getValue<std::string>("deletion_time"), o->getValue<std::string>("deletion_time"));
  EXPECT_EQ(detail(req("DELETE", path(99999)), 404), kNotFound);
  EXPECT_EQ(newDataset("b2", project)->getValue<int64_t>("version"), 1);

  // clear: W; answers the dataset
  EXPECT_EQ(detail(req("DELETE", path(d, "/clear"), "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("DELETE", path(d, "/clear"), "", kBob), 403), kForbidden);
  EXPECT_EQ(okObject(req("DELETE", path(d, "/clear")))->getValue<int64_t>("pk"), d);
}

// ---- reinstate and hard delete

TEST_P(UfdlDatasets, ReinstateAndHardDeleteAreForStaff) {
  const auto [team, project] = labWithProject();
  const int64_t first = pkOf(newDataset("x", project));
  ASSERT_EQ(req("DELETE", path(first)).status, 204);
  const int64_t second = pkOf(newDataset("x", project));

  EXPECT_EQ(detail(req("DELETE", path(first, "/reinstate")), 403), kForbidden);  // W is not enough
  EXPECT_EQ(detail(req("DELETE", path(first, "/reinstate"), "", kAnonymous), 401), kNotAuthenticated);
  // an active dataset holds (x, 1, p1): 400 as on create (UFDL: 500)
  EXPECT_EQ(nonFieldError(req("DELETE", path(first, "/reinstate"), "", kRoot)), kNotUnique);
  EXPECT_FALSE(get(first)->isNull("deletion_time"));
  ASSERT_EQ(req("DELETE", path(second)).status, 204);
  auto o = okObject(req("DELETE", path(first, "/reinstate"), "", kRoot));
  EXPECT_TRUE(o->isNull("deletion_time"));
  o = okObject(req("DELETE", path(first, "/reinstate"), "", kRoot));  // no-op
  EXPECT_TRUE(o->isNull("deletion_time"));
  EXPECT_EQ(nonFieldError(req("DELETE", path(second, "/reinstate"), "", kRoot)), kNotUnique);
  EXPECT_EQ(detail(req("DELETE", path(99999, "/reinstate"), "", kRoot), 404), kNotFound);

  // hard delete: staff; 200 with the dataset as it was; the key goes too
  EXPECT_EQ(detail(req("DELETE", path(first, "/hard")), 403), kForbidden);
  o = okObject(req("DELETE", path(first, "/hard"), "", kRoot));
  EXPECT_EQ(o->getValue<int64_t>("pk"), first);
  EXPECT_EQ(o->getValue<std::string>("name"), "x");
  EXPECT_EQ(detail(req("GET", path(first), "", kRoot), 404), kNotFound);
  EXPECT_EQ(detail(req("DELETE", path(first, "/hard"), "", kRoot), 404), kNotFound);
  EXPECT_EQ(okObject(req("DELETE", path(second, "/reinstate"), "", kRoot))->getValue<int64_t>("pk"), second);
  EXPECT_TRUE(get(second)->isNull("deletion_time"));
}

// ---- list

TEST_P(UfdlDatasets, ListShowsWhatTheCallerMaySeeAndFilters) {
  const auto [lab, p1] = labWithProject();
  const int64_t zoo = newTeam("zoo");
  addMember(zoo, "carol", "W");
  const int64_t z1 = newProject("z1", zoo);
  newDataset("Alpha", p1);
  const int64_t beta = pkOf(newDataset("beta", p1, kAlice, R"(,"is_public":true,"tags":"x")"));
  newDataset("gamma", z1, kCarol);
  newDataset("Delta", z1, kCarol, R"(,"is_public":true)");

  using S = std::set<std::string>;
  EXPECT_EQ(nameSet(list("", kAnonymous)), (S{"beta", "Delta"}));
  EXPECT_EQ(nameSet(list("{}", kAlice)), (S{"Alpha", "beta", "Delta"}));
  EXPECT_EQ(nameSet(list("{}", kBob)), (S{"Alpha", "beta", "Delta"}));
  EXPECT_EQ(nameSet(list("{}", kCarol)), (S{"beta", "gamma", "Delta"}));
  EXPECT_EQ(nameSet(list("{}", kRoot)), (S{"Alpha", "beta", "gamma", "Delta"}));
  const auto all = list("{}", kRoot);
  EXPECT_EQ(all->getObject(0)->getObject("files")->size(), 0u);

  EXPECT_EQ(names(list(R"({"expressions":[{"type":"exact","field":"name","value":"Alpha"}]})", kRoot)),
            std::vector<std::string>{"Alpha"});
  EXPECT_EQ(names(list(R"({"expressions":[{"type":"exact","field":"name","value":"alpha"}]})", kRoot)).size(),
            0u);
  EXPECT_EQ(
      nameSet(list(
          R"({"expressions":[{"type":"contains","field":"name","sub_string":"LTA","case_insensitive":true}]})",
          kRoot)),
      (S{"Delta"}));
  EXPECT_EQ(
      nameSet(list(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"zoo"}]})", kRoot)),
      (S{"gamma", "Delta"}));
  // visibility still applies under a filter
  EXPECT_EQ(nameSet(list(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"zoo"}]})",
                         kAlice)),
            (S{"Delta"}));
  EXPECT_EQ(names(list(R"({"order_by":[{"field":"name"}]})", kRoot)),
            (std::vector<std::string>{"Alpha", "Delta", "beta", "gamma"}));
  EXPECT_EQ(names(list(R"({"order_by":[{"field":"name","ascending":false}]})", kRoot)),
            (std::vector<std::string>{"gamma", "beta", "Delta", "Alpha"}));

  // soft-deleted ones only with include_inactive; nulls_first places them
  ASSERT_EQ(req("DELETE", path(beta)).status, 204);
  EXPECT_EQ(nameSet(list("{}", kRoot)), (S{"Alpha", "gamma", "Delta"}));
  EXPECT_EQ(nameSet(list(R"({"include_inactive":true})", kRoot)), (S{"Alpha", "beta", "gamma", "Delta"}));
  auto ordered = names(list(
      R"({"include_inactive":true,"order_by":[{"field":"deletion_time","nulls_first":true},{"field":"name"}]})",
      kRoot));
  EXPECT_EQ(ordered, (std::vector<std::string>{"Alpha", "Delta", "gamma", "beta"}));
  ordered = names(list(
      R"({"include_inactive":true,"order_by":[{"field":"deletion_time","nulls_first":false},{"field":"name"}]})",
      kRoot));
  EXPECT_EQ(ordered, (std::vector<std::string>{"beta", "Alpha", "Delta", "gamma"}));

  // bad specs: 400 with a detail
  EXPECT_FALSE(detail(req("POST", "/v1/datasets/list", R"({"bogus":1})", kRoot), 400).empty());
  EXPECT_FALSE(detail(req("POST", "/v1/datasets/list",
                          R"({"expressions":[{"type":"exact","field":"nope","value":1}]})", kRoot),
                      400)
                   .empty());
}

// ---- copy

TEST_P(UfdlDatasets, CopyMakesVersionsAndNamedCopies) {
  const auto [team, project] = labWithProject();
  const auto src = newDataset("birds", project, kAlice, R"(,"description":"d","tags":"t","is_public":true)");
  const int64_t v1 = pkOf(src);

  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), "{}", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), "{}", kBob), 403), kForbidden);  // UFDL lets R copy
  EXPECT_EQ(detail(req("POST", path(99999, "/copy"), "{}"), 404), kNotFound);
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"x":1})"), 422), "Unknown parameters: x=1");
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"new_name":5})"), 400).rfind("Bad name '5': ", 0), 0u);
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"only_files":["nope"]})"), 400),
            "Bad name 'nope': Doesn't exist");
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"only_files":"a"})"), 400).rfind("The type passed", 0),
            0u);

  auto c = copy(v1);
  const int64_t v2 = pkOf(c);
  EXPECT_EQ(c->getValue<std::string>("name"), "birds");
  EXPECT_EQ(c->getValue<int64_t>("version"), 2);
  EXPECT_EQ(c->getValue<int64_t>("previous_version"), 1);
  EXPECT_EQ(c->getValue<std::string>("description"), "d");
  EXPECT_EQ(c->getValue<std::string>("tags"), "t");
  EXPECT_TRUE(c->getValue<bool>("is_public"));
  EXPECT_EQ(c->getValue<int64_t>("project"), project);
  c = copy(v1);
  EXPECT_EQ(c->getValue<int64_t>("version"), 3);
  EXPECT_EQ(c->getValue<int64_t>("previous_version"), 1);
  const int64_t v3 = pkOf(c);
  c = copy(v3, "{}", kRoot);
  EXPECT_EQ(c->getValue<int64_t>("version"), 4);
  EXPECT_EQ(c->getValue<int64_t>("previous_version"), 3);
  EXPECT_NE(c->getValue<int64_t>("creator"), src->getValue<int64_t>("creator"));  // the caller
  // the highest version soft-deleted: its number is given again (as UFDL does)
  ASSERT_EQ(req("DELETE", path(pkOf(c))).status, 204);
  EXPECT_EQ(copy(v2)->getValue<int64_t>("version"), 4);

  c = copy(v2, R"({"new_name":"fish"})");
  EXPECT_EQ(c->getValue<std::string>("name"), "fish");
  EXPECT_EQ(c->getValue<int64_t>("version"), 1);
  EXPECT_EQ(c->getValue<int64_t>("previous_version"), -1);
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"new_name":"fish"})"), 400),
            "Bad name 'fish': New dataset name is already taken");
  EXPECT_EQ(detail(req("POST", path(v1, "/copy"), R"({"new_name":"birds"})"), 400),
            "Bad name 'birds': New dataset name is already taken");
}

TEST_P(UfdlDatasets, ConcurrentCopiesNeverShareAVersion) {
  const auto [team, project] = labWithProject();
  const int64_t src = pkOf(newDataset("birds", project));
  constexpr int kThreads = 8;
  std::vector<int64_t> versions(kThreads, 0);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto r = req("POST", path(src, "/copy"), "{}");
      if (r.status != 200) {
        ++failures;
        return;
      }
      versions[t] = parse(r)->getValue<int64_t>("version");
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  std::set<int64_t> distinct(versions.begin(), versions.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(*distinct.begin(), 2);
  EXPECT_EQ(*distinct.rbegin(), kThreads + 1);
  // the keys agree with the records: the next copy is the next version, and every version
  // once in the list
  EXPECT_EQ(copy(src)->getValue<int64_t>("version"), kThreads + 2);
  const auto all = list(R"({"expressions":[{"type":"exact","field":"name","value":"birds"}]})", kAlice);
  std::set<int64_t> listed;
  for (std::size_t i = 0; i < all->size(); ++i)
    listed.insert(all->getObject(i)->getValue<int64_t>("version"));
  EXPECT_EQ(listed.size(), static_cast<std::size_t>(kThreads + 2));
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads + 2));
}

TEST_P(UfdlDatasets, ConcurrentMergesCopiesAndUploadsOnOneDataset) {
  const auto [team, project] = labWithProject();
  const int64_t target = pkOf(newDataset("target", project));
  constexpr int kSources = 4;
  std::vector<int64_t> sources;
  for (int i = 0; i < kSources; ++i) {
    sources.push_back(pkOf(newDataset("s" + std::to_string(i), project)));
    for (int f = 0; f < 3; ++f)
      upload(sources.back(), "s" + std::to_string(i) + "/" + std::to_string(f),
             "content " + std::to_string(i * 10 + f));
    upload(sources.back(), "shared.txt", "shared " + std::to_string(i));  // a name clash in the target
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kSources; ++i) {
    threads.emplace_back([&, i] {
      const auto r = req("POST", path(target, "/merge/" + std::to_string(sources[i])), R"({"delete":false})");
      if (r.status != 200) ++failures;
    });
    threads.emplace_back([&, i] {
      Headers h = kAlice;
      h["Content-Type"] = "application/octet-stream";
      h["Content-Disposition"] = "attachment; filename=u";
      const auto r = server_->request("POST", path(target, "/files/up" + std::to_string(i)), "up", h);
      if (r.status != 200) ++failures;
    });
    threads.emplace_back([&] {
      const auto r = req("POST", path(target, "/copy"), "{}");
      if (r.status != 200) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  const auto files = get(target)->getObject("files");
  // every source's three files, four uploads, and shared.txt plus three renamed ones
  EXPECT_EQ(files->size(), static_cast<std::size_t>(kSources * 3 + kSources + kSources));
  for (int i = 0; i < kSources; ++i) EXPECT_TRUE(files->has("up" + std::to_string(i)));
  EXPECT_TRUE(files->has("shared.txt"));
  EXPECT_TRUE(files->has("shared-0003.txt"));
  EXPECT_FALSE(files->has("shared-0004.txt"));
  // the copies have distinct versions
  const auto all = list(R"({"expressions":[{"type":"exact","field":"name","value":"target"}]})", kAlice);
  std::set<int64_t> versions;
  for (std::size_t i = 0; i < all->size(); ++i)
    versions.insert(all->getObject(i)->getValue<int64_t>("version"));
  EXPECT_EQ(versions, (std::set<int64_t>{1, 2, 3, 4, 5}));
}

// ---- files: copy with only_files, merge, clear, hard delete (need the files routes)

TEST_P(UfdlDatasetBlobs, CopyMergeAndClearCarryFilesAndMetadata) {
  const auto [team, project] = labWithProject();
  const int64_t t = pkOf(newDataset("target", project));
  const int64_t s = pkOf(newDataset("source", project));
  const std::string ha = upload(t, "a.txt", "alpha")->getValue<std::string>("handle");
  const std::string hb = upload(t, "b.txt", "beta")->getValue<std::string>("handle");
  const std::string hc1 = upload(t, "c-0001.txt", "c one")->getValue<std::string>("handle");
  upload(t, "c.txt", "c zero");
  setMetadata(t, "a.txt", "target-a");
  EXPECT_EQ(upload(s, "a.txt", "alpha")->getValue<std::string>("handle"), ha);  // same content
  const std::string hb2 = upload(s, "b.txt", "beta two")->getValue<std::string>("handle");
  const std::string hc2 = upload(s, "c.txt", "c two")->getValue<std::string>("handle");
  const std::string hd = upload(s, "dir/d.txt", "delta")->getValue<std::string>("handle");
  setMetadata(s, "a.txt", "source-a");
  setMetadata(s, "dir/d.txt", "source-d");

  // copy: only_files, with metadata; the copy's metadata is its own
  auto c = copy(s, R"({"new_name":"part","only_files":["dir/d.txt","a.txt"]})");
  const int64_t part = pkOf(c);
  EXPECT_EQ(c->getObject("files")->size(), 2u);
  EXPECT_EQ(c->getObject("files")->getValue<std::string>("dir/d.txt"), hd);
  EXPECT_EQ(metadata(part, "dir/d.txt"), "source-d");
  EXPECT_EQ(metadata(part, "a.txt"), "source-a");
  setMetadata(part, "a.txt", "changed");
  EXPECT_EQ(metadata(s, "a.txt"), "source-a");
  c = copy(s);
  EXPECT_EQ(c->getObject("files")->size(), 4u);
  EXPECT_EQ(metadata(pkOf(c), "dir/d.txt"), "source-d");

  // merge: permissions and bad input first
  EXPECT_EQ(detail(req("POST", path(t, "/merge/" + std::to_string(s)), R"({"delete":false})", kBob), 403),
            kForbidden);
  EXPECT_EQ(
      detail(req("POST", path(t, "/merge/" + std::to_string(s)), R"({"delete":false})", kAnonymous), 401),
      kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", path(t, "/merge/99999"), R"({"delete":false})"), 404), kNotFound);
  EXPECT_NE(
      detail(req("POST", path(t, "/merge/" + std::to_string(t)), R"({"delete":false})"), 400).find("itself"),
      std::string::npos);
  EXPECT_EQ(
      detail(req("POST", path(t, "/merge/" + std::to_string(s)), "{}"), 400).rfind("Unable to parse JSON", 0),
      0u);
  EXPECT_EQ(
      detail(req("POST", path(t, "/merge/" + std::to_string(s)), R"({"delete":true,"hard":true})"), 403),
      kForbidden);

  auto m = okObject(req("POST", path(t, "/merge/" + std::to_string(s)), R"({"delete":false})"));
  auto files = m->getObject("files");
  EXPECT_EQ(files->size(), 7u) << m->getObject("files");
  EXPECT_EQ(files->getValue<std::string>("a.txt"), ha);  // same name and content: the target's
  EXPECT_EQ(files->getValue<std::string>("b.txt"), hb);
  EXPECT_EQ(files->getValue<std::string>("b-0001.txt"), hb2);  // same name, other content
  EXPECT_EQ(files->getValue<std::string>("c-0001.txt"), hc1);
  EXPECT_EQ(files->getValue<std::string>("c-0002.txt"), hc2);  // the first unused name
  EXPECT_EQ(files->getValue<std::string>("dir/d.txt"), hd);
  EXPECT_EQ(metadata(t, "a.txt"), "target-a");
  EXPECT_EQ(metadata(t, "dir/d.txt"), "source-d");
  EXPECT_TRUE(get(s)->isNull("deletion_time"));  // delete: false

  // clear: every file's metadata goes, files stay
  auto cleared = okObject(req("DELETE", path(t, "/clear")));
  EXPECT_EQ(cleared->getObject("files")->size(), 7u);
  EXPECT_EQ(metadata(t, "a.txt"), "");
  EXPECT_EQ(metadata(t, "dir/d.txt"), "");
  EXPECT_EQ(metadata(s, "dir/d.txt"), "source-d");

  // merge with delete: the source is soft-deleted; with hard (staff) it is gone
  m = okObject(req("POST", path(part, "/merge/" + std::to_string(s)), R"({"delete":true})"));
  EXPECT_EQ(m->getObject("files")->size(), 4u);  // a.txt, dir/d.txt, b.txt, c.txt
  EXPECT_FALSE(get(s)->isNull("deletion_time"));
  m = okObject(
      req("POST", path(t, "/merge/" + std::to_string(part)), R"({"delete":true,"hard":true})", kRoot));
  EXPECT_EQ(detail(req("GET", path(part), "", kRoot), 404), kNotFound);
  EXPECT_EQ(req("GET", path(t, "/file-handles/" + hd)).body, "delta");

  // UFDL's filename rules hold in the target: a file meeting a directory of the target is
  // renamed; a file below a file of the target cannot be placed (400, nothing merged)
  const int64_t u = pkOf(newDataset("u", project));
  const int64_t v = pkOf(newDataset("v", project));
  upload(u, "x/a.txt", "xa");
  upload(u, "p", "file p");
  upload(v, "x", "file x");
  m = okObject(req("POST", path(u, "/merge/" + std::to_string(v)), R"({"delete":false})"));
  EXPECT_TRUE(m->getObject("files")->has("x-0001"));
  EXPECT_FALSE(m->getObject("files")->has("x"));
  upload(v, "p/q", "below p");
  EXPECT_EQ(detail(req("POST", path(u, "/merge/" + std::to_string(v)), R"({"delete":true})"), 400),
            "Bad name 'p/q': Directory prefix is already a filename");
  EXPECT_EQ(get(u)->getObject("files")->size(), 3u);
  EXPECT_TRUE(get(v)->isNull("deletion_time"));
}

// Whether the fs blob store under `root` holds the content of `handle` (objects/ab/cdef...).
bool blobFileExists(const std::string& root, const std::string& handle) {
  return Poco::File(root + "/objects/" + handle.substr(0, 2) + "/" + handle.substr(2)).exists();
}

TEST_P(UfdlDatasetBlobs, HardDeleteReleasesBlobReferences) {
  const auto [team, project] = labWithProject();
  const int64_t a = pkOf(newDataset("a", project));
  const std::string content(100000, 'q');
  const std::string h = upload(a, "big.bin", content)->getValue<std::string>("handle");
  const int64_t b = pkOf(copy(a, R"({"new_name":"b"})"));
  const bool fs = GetParam() == "rocksdb-fs";
  const std::string blobs = state_.file("blobs");
  if (fs) {
    EXPECT_TRUE(blobFileExists(blobs, h));
  }

  // the original goes; the copy still holds the content
  auto o = okObject(req("DELETE", path(a, "/hard"), "", kRoot));
  EXPECT_EQ(o->getObject("files")->getValue<std::string>("big.bin"), h);  // as it was
  auto r = req("GET", path(b, "/file-handles/" + h));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, content);
  if (fs) {
    EXPECT_TRUE(blobFileExists(blobs, h));
  }

  // the last reference goes: so does the content
  okObject(req("DELETE", path(b, "/hard"), "", kRoot));
  EXPECT_EQ(detail(req("GET", path(b, "/file-handles/" + h), "", kRoot), 404), kNotFound);
  if (fs) {
    EXPECT_FALSE(blobFileExists(blobs, h));
  }
  // uploading it again stores it again (not a dangling reference)
  const int64_t c = pkOf(newDataset("c", project));
  EXPECT_EQ(upload(c, "again.bin", content)->getValue<std::string>("handle"), h);
  r = req("GET", path(c, "/file-handles/" + h));
  EXPECT_EQ(r.body, content);
  if (fs) {
    EXPECT_TRUE(blobFileExists(blobs, h));
  }

  // a hard merge moves the references: the source's go, the target's stay until it goes too
  const int64_t d = pkOf(newDataset("d", project));
  const std::string h2 = upload(d, "other.bin", "other content")->getValue<std::string>("handle");
  upload(d, "again.bin", content);  // the same content as c's
  auto m =
      okObject(req("POST", path(c, "/merge/" + std::to_string(d)), R"({"delete":true,"hard":true})", kRoot));
  EXPECT_EQ(m->getObject("files")->size(), 2u);
  EXPECT_EQ(detail(req("GET", path(d), "", kRoot), 404), kNotFound);
  EXPECT_EQ(req("GET", path(c, "/file-handles/" + h2)).body, "other content");
  okObject(req("DELETE", path(c, "/hard"), "", kRoot));
  if (fs) {
    EXPECT_FALSE(blobFileExists(blobs, h));
    EXPECT_FALSE(blobFileExists(blobs, h2));
  }
}

// ---- restart

TEST_P(UfdlDatasetRestart, RecordsAndKeysSurviveARestart) {
  const auto [team, project] = labWithProject();
  const int64_t d = pkOf(newDataset("birds", project));
  const int64_t v2 = pkOf(copy(d));
  const int64_t gone = pkOf(newDataset("gone", project));
  ASSERT_EQ(req("DELETE", path(gone)).status, 204);
  startServer();
  EXPECT_EQ(get(v2)->getValue<int64_t>("version"), 2);
  EXPECT_FALSE(get(gone)->isNull("deletion_time"));
  EXPECT_EQ(nonFieldError(req(
                "POST", "/v1/datasets/create",
                R"({"name":"birds","project":)" + std::to_string(project) + R"(,"licence":1,"tags":""})")),
            kNotUnique);
  EXPECT_EQ(copy(d)->getValue<int64_t>("version"), 3);
  EXPECT_GT(pkOf(newDataset("gone", project)), v2 + 1);  // the sequence went on
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlDatasets, ::testing::Values("memory", "rocksdb", "postgresql"),
                         backendName);
INSTANTIATE_TEST_SUITE_P(Backends, UfdlDatasetBlobs, UFDL_BACKENDS);
INSTANTIATE_TEST_SUITE_P(Backends, UfdlDatasetRestart, ::testing::Values("rocksdb"), backendName);

}  // namespace
}  // namespace strata::test::ufdl
