// The ufdl plugin's accounts routes over HTTP (§1.7-§1.9 of the reference): teams and
// memberships, projects, users, licences, JWT login; every permission level, UFDL's error
// texts, name clashes, soft delete cascades, restart persistence.
#include "ufdl_test_support.h"

#include <chrono>
#include <thread>

namespace strata::test::ufdl {
namespace {

class UfdlAccounts : public UfdlServer {
 protected:
  void SetUp() override { startServer(); }
  std::string teamPath(int64_t pk, const std::string& rest = "") {
    return "/v1/teams/" + std::to_string(pk) + rest;
  }
  std::string projectPath(int64_t pk, const std::string& rest = "") {
    return "/v1/projects/" + std::to_string(pk) + rest;
  }
  HttpResult membership(int64_t team, const std::string& body, const Headers& h = kRoot) {
    return req("PATCH", teamPath(team, "/memberships"), body, h);
  }
};

TEST_P(UfdlAccounts, TeamCreateAndMemberships) {
  // Only staff creates teams; anonymous callers are told to authenticate.
  EXPECT_EQ(detail(req("POST", "/v1/teams/create", R"({"name":"lab"})", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", "/v1/teams/create", R"({"name":"lab"})", kAlice), 403), kForbidden);
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", "{}", kRoot), "name"), "This field is required.");
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":"  "})", kRoot), "name"),
            "This field may not be blank.");
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":true})", kRoot), "name"),
            "Not a valid string.");
  EXPECT_EQ(detail(req("POST", "/v1/teams/create", R"({"name":)", kRoot), 400).rfind("JSON parse error", 0),
            0u);

  auto created = okObject(req("POST", "/v1/teams/create", R"({"name":"lab"})", kRoot), 201);
  const int64_t team = created->getValue<int64_t>("pk");
  EXPECT_EQ(created->getValue<std::string>("name"), "lab");
  EXPECT_EQ(created->getArray("members")->size(), 0u);
  EXPECT_TRUE(created->isNull("deletion_time"));
  EXPECT_FALSE(created->getValue<std::string>("creation_time").empty());
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":"lab"})", kRoot), "name"),
            "team with this name already exists.");

  // Memberships: A on the team or staff; alice is added before she ever called.
  auto m = okObject(membership(team, R"({"username":"alice","method":"add","permissions":"A"})"));
  EXPECT_EQ(m->getValue<int64_t>("team"), team);
  EXPECT_EQ(m->getValue<std::string>("permissions"), "A");
  EXPECT_TRUE(m->isNull("deletion_time"));
  const int64_t alicePk = m->getValue<int64_t>("user");
  EXPECT_EQ(detail(membership(team, R"({"username":"bob","method":"add"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(membership(team, R"({"username":"bob","method":"add"})", kAnonymous), 401),
            kNotAuthenticated);
  m = okObject(membership(team, R"({"username":"bob","method":"add"})", kAlice));
  EXPECT_EQ(m->getValue<std::string>("permissions"), "R");
  EXPECT_EQ(detail(membership(team, R"({"username":"bob","method":"add"})", kAlice), 400),
            "Bad name 'bob': This user is already a member of team lab");
  EXPECT_EQ(detail(membership(team, R"({"username":"nobody","method":"add"})"), 400),
            "Bad name 'nobody': No user with this username exists");
  EXPECT_EQ(detail(membership(team, R"({"username":"carol","method":"update","permissions":"W"})"), 400),
            "Bad name 'carol': This user is not a member of team lab");
  EXPECT_EQ(detail(membership(team, R"({"username":"carol","method":"remove"})"), 400),
            "Bad name 'carol': This user is not a member of team lab");
  EXPECT_EQ(detail(membership(team, R"({"username":"bob","method":"grant"})"), 400)
                .rfind("Unable to parse JSON", 0),
            0u);
  EXPECT_EQ(detail(membership(team, R"({"username":"bob","method":"update","permissions":"Z"})"), 400)
                .rfind("Unable to parse JSON", 0),
            0u);
  EXPECT_EQ(detail(membership(team, R"({"method":"add"})"), 400).rfind("Unable to parse JSON", 0), 0u);
  EXPECT_EQ(detail(membership(999, R"({"username":"bob","method":"add"})"), 404), kNotFound);
  EXPECT_EQ(okObject(membership(team, R"({"username":"bob","method":"update","permissions":"W"})"))
                ->getValue<std::string>("permissions"),
            "W");

  // The team: members in user order; M may read it, others not; 404 before permission.
  auto got = okObject(req("GET", teamPath(team), "", kBob));
  auto members = got->getArray("members");
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ(members->getObject(0)->getValue<std::string>("username"), "alice");
  EXPECT_EQ(members->getObject(0)->getValue<int64_t>("pk"), alicePk);
  EXPECT_EQ(members->getObject(1)->getValue<std::string>("username"), "bob");
  EXPECT_EQ(detail(req("GET", teamPath(team), "", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", teamPath(team), "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("GET", teamPath(999), "", kCarol), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", "/v1/teams/abc", "", kRoot), 404), kNotFound);

  // Permissions of a member: A needed; a JSON string.
  auto perm = req("GET", teamPath(team, "/permissions/bob"), "", kAlice);
  EXPECT_EQ(perm.status, 200);
  EXPECT_EQ(perm.body, "\"W\"");
  EXPECT_EQ(detail(req("GET", teamPath(team, "/permissions/alice"), "", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", teamPath(team, "/permissions/carol"), "", kRoot), 400),
            "Bad name 'carol': This user is not a member of team lab");

  // Removing bob: his membership is soft-deleted, he can no longer read the team.
  m = okObject(membership(team, R"({"username":"bob","method":"remove"})", kAlice));
  EXPECT_FALSE(m->isNull("deletion_time"));
  EXPECT_EQ(detail(req("GET", teamPath(team), "", kBob), 403), kForbidden);
  EXPECT_EQ(okObject(req("GET", teamPath(team), "", kAlice))->getArray("members")->size(), 1u);
  // Re-adding revives it.
  EXPECT_EQ(okObject(membership(team, R"({"username":"bob","method":"add","permissions":"X"})"))
                ->getValue<std::string>("permissions"),
            "X");
  EXPECT_EQ(req("GET", teamPath(team), "", kBob).status, 200);
}

TEST_P(UfdlAccounts, ProjectCreateAndRead) {
  const int64_t team = newTeam("lab");
  addMember(team, "alice", "W");
  addMember(team, "bob", "R");
  const int64_t other = newTeam("other");

  EXPECT_EQ(detail(req("POST", "/v1/projects/create", R"({"name":"p","team":1})", kAnonymous), 401),
            kNotAuthenticated);
  const std::string body = R"({"name":"p1","team":)" + std::to_string(team) + "}";
  EXPECT_EQ(detail(req("POST", "/v1/projects/create", body, kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("POST", "/v1/projects/create", body, kCarol), 403), kForbidden);
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"team":1})", kAlice), "name"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"name":"x"})", kAlice), "team"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"name":"x","team":999})", kAlice), "team"),
            "Invalid pk \"999\" - object does not exist.");
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"name":"x","team":true})", kAlice), "team"),
            "Incorrect type. Expected pk value, received bool.");

  auto p = okObject(req("POST", "/v1/projects/create", body, kAlice), 201);
  const int64_t project = p->getValue<int64_t>("pk");
  EXPECT_EQ(p->getValue<std::string>("name"), "p1");
  EXPECT_EQ(p->getValue<int64_t>("team"), team);
  EXPECT_TRUE(p->isNull("deletion_time"));
  EXPECT_FALSE(p->isNull("creator"));
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", body, kAlice), "non_field_errors"),
            "The fields name, team must make a unique set.");
  // The same name in another team is fine.
  EXPECT_EQ(req("POST", "/v1/projects/create", R"({"name":"p1","team":)" + std::to_string(other) + "}", kRoot)
                .status,
            201);

  EXPECT_EQ(okObject(req("GET", projectPath(project), "", kBob))->getValue<std::string>("name"), "p1");
  EXPECT_EQ(detail(req("GET", projectPath(project), "", kCarol), 403), kForbidden);
  EXPECT_EQ(req("GET", projectPath(project), "", kRoot).status, 200);
  EXPECT_EQ(detail(req("GET", projectPath(999), "", kCarol), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", projectPath(project), "", kAnonymous), 401), kNotAuthenticated);
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlAccounts, ::testing::Values("memory", "rocksdb"), backendName);

}  // namespace
}  // namespace strata::test::ufdl
