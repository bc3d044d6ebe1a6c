// The ufdl plugin's accounts routes over HTTP (§1.7-§1.9 of the reference): teams and
// memberships, projects, users, licences, JWT login; every permission level, UFDL's error
// texts, name clashes, soft delete cascades, restart persistence.
#include "ufdl_test_support.h"

#include <algorithm>
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
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"name":"x","team":"abc"})", kAlice), "team"),
            "Incorrect type. Expected pk value, received str.");
  // The permission comes before the other fields' errors once the team is known.
  EXPECT_EQ(
      detail(req("POST", "/v1/projects/create", R"({"team":)" + std::to_string(team) + "}", kCarol), 403),
      kForbidden);

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

TEST_P(UfdlAccounts, TeamUpdateDeleteHardReinstate) {
  const int64_t team = newTeam("lab");
  addMember(team, "alice", "A");
  addMember(team, "bob", "W");
  const int64_t project = newProject("p1", team);

  // Update: A on the team (W is not enough); PUT needs the name, PATCH any subset.
  EXPECT_EQ(detail(req("PATCH", teamPath(team), R"({"name":"x"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", teamPath(team), R"({"name":"x"})", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("PATCH", teamPath(999), R"({"name":"x"})", kBob), 404), kNotFound);
  EXPECT_EQ(fieldError(req("PUT", teamPath(team), "{}", kAlice), "name"), "This field is required.");
  EXPECT_EQ(okObject(req("PATCH", teamPath(team), R"({"other":1})", kAlice))->getValue<std::string>("name"),
            "lab");
  EXPECT_EQ(okObject(req("PUT", teamPath(team), R"({"name":"lab2"})", kAlice))->getValue<std::string>("name"),
            "lab2");
  // The old name is free again, the new one taken.
  const int64_t second = newTeam("lab");
  EXPECT_EQ(fieldError(req("PATCH", teamPath(second), R"({"name":"lab2"})", kRoot), "name"),
            "team with this name already exists.");

  // List: own teams (any level) for users, all for staff.
  auto list = parseArray(req("POST", "/v1/teams/list", "", kBob));
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->getObject(0)->getValue<int64_t>("pk"), team);
  EXPECT_EQ(parseArray(req("POST", "/v1/teams/list", "{}", kCarol))->size(), 0u);
  EXPECT_EQ(parseArray(req("POST", "/v1/teams/list", "", kRoot))->size(), 2u);
  EXPECT_EQ(detail(req("POST", "/v1/teams/list", "", kAnonymous), 401), kNotAuthenticated);

  // Delete: A; soft; memberships go with it; the name is freed; a second delete by staff is a no-op.
  EXPECT_EQ(detail(req("DELETE", teamPath(team), "", kBob), 403), kForbidden);
  EXPECT_EQ(req("DELETE", teamPath(team), "", kAlice).status, 204);
  EXPECT_EQ(detail(req("GET", teamPath(team), "", kAlice), 403), kForbidden);
  auto gone = okObject(req("GET", teamPath(team), "", kRoot));
  EXPECT_FALSE(gone->isNull("deletion_time"));
  EXPECT_EQ(gone->getArray("members")->size(), 0u);
  EXPECT_EQ(req("DELETE", teamPath(team), "", kRoot).status, 204);
  EXPECT_EQ(parseArray(req("POST", "/v1/teams/list", "", kAlice))->size(), 0u);
  const int64_t clash = newTeam("lab2");

  // Reinstate: staff only; a clash with an active team's name is 400, not 500.
  EXPECT_EQ(detail(req("DELETE", teamPath(team, "/reinstate"), "", kAlice), 403), kForbidden);
  EXPECT_EQ(detail(req("DELETE", teamPath(999, "/reinstate"), "", kRoot), 404), kNotFound);
  EXPECT_EQ(fieldError(req("DELETE", teamPath(team, "/reinstate"), "", kRoot), "name"),
            "team with this name already exists.");
  EXPECT_EQ(req("DELETE", teamPath(clash), "", kRoot).status, 204);
  auto back = okObject(req("DELETE", teamPath(team, "/reinstate"), "", kRoot));
  EXPECT_TRUE(back->isNull("deletion_time"));
  // The memberships the delete took are back.
  EXPECT_EQ(back->getArray("members")->size(), 2u);
  EXPECT_EQ(req("GET", teamPath(team), "", kBob).status, 200);

  // Hard delete: staff only; refused while the team has projects; 200 with the team as it was.
  EXPECT_EQ(detail(req("DELETE", teamPath(team, "/hard"), "", kAlice), 403), kForbidden);
  EXPECT_EQ(
      detail(req("DELETE", teamPath(team, "/hard"), "", kRoot), 400).find("projects") != std::string::npos,
      true);
  ASSERT_EQ(req("DELETE", projectPath(project, "/hard"), "", kRoot).status, 200);
  auto hard = okObject(req("DELETE", teamPath(team, "/hard"), "", kRoot));
  EXPECT_EQ(hard->getValue<int64_t>("pk"), team);
  EXPECT_EQ(hard->getValue<std::string>("name"), "lab2");
  EXPECT_EQ(hard->getArray("members")->size(), 2u);
  EXPECT_FALSE(hard->isNull("deletion_time"));
  EXPECT_EQ(detail(req("GET", teamPath(team), "", kRoot), 404), kNotFound);
  // Its name is free.
  EXPECT_GT(newTeam("lab2"), 0);
}

TEST_P(UfdlAccounts, ProjectUpdateDeleteHardReinstate) {
  const int64_t team = newTeam("lab");
  addMember(team, "alice", "W");
  addMember(team, "bob", "R");
  const int64_t other = newTeam("other");
  addMember(other, "alice", "R");
  const int64_t project = newProject("p1", team);
  const int64_t p2 = newProject("p2", team);
  newProject("q", other);

  // List: projects of own teams; staff all.
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kBob))->size(), 2u);
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kAlice))->size(), 3u);
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kCarol))->size(), 0u);
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kRoot))->size(), 3u);
  EXPECT_EQ(detail(req("POST", "/v1/projects/list", "", kAnonymous), 401), kNotAuthenticated);

  // Update: W; PUT needs name and team; moving needs W on the target team too.
  EXPECT_EQ(detail(req("PATCH", projectPath(project), R"({"name":"x"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", projectPath(999), R"({"name":"x"})", kBob), 404), kNotFound);
  EXPECT_EQ(fieldError(req("PUT", projectPath(project), R"({"name":"x"})", kAlice), "team"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("PATCH", projectPath(project), R"({"name":"p2"})", kAlice), "non_field_errors"),
            "The fields name, team must make a unique set.");
  EXPECT_EQ(
      detail(req("PATCH", projectPath(project), R"({"team":)" + std::to_string(other) + "}", kAlice), 403),
      kForbidden);
  auto renamed = okObject(req("PATCH", projectPath(project), R"({"name":"renamed"})", kAlice));
  EXPECT_EQ(renamed->getValue<std::string>("name"), "renamed");
  EXPECT_EQ(renamed->getValue<int64_t>("team"), team);
  addMember(other, "bob", "W");
  EXPECT_EQ(membership(team, R"({"username":"bob","method":"add","permissions":"W"})").status,
            400);  // a member
  okObject(membership(team, R"({"username":"bob","method":"update","permissions":"W"})"));
  auto moved = okObject(
      req("PUT", projectPath(project), R"({"name":"p1","team":)" + std::to_string(other) + "}", kBob));
  EXPECT_EQ(moved->getValue<int64_t>("team"), other);
  // The name is free in the old team again.
  EXPECT_EQ(
      req("POST", "/v1/projects/create", R"({"name":"renamed","team":)" + std::to_string(team) + "}", kBob)
          .status,
      201);

  // Delete: W; soft; a second delete is a no-op.
  EXPECT_EQ(detail(req("DELETE", projectPath(p2), "", kCarol), 403), kForbidden);
  EXPECT_EQ(req("DELETE", projectPath(p2), "", kAlice).status, 204);
  EXPECT_EQ(req("DELETE", projectPath(p2), "", kAlice).status, 204);
  EXPECT_FALSE(okObject(req("GET", projectPath(p2), "", kBob))->isNull("deletion_time"));
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kBob))->size(), 3u);  // p1 moved, renamed, q
  const int64_t again = newProject("p2", team);

  // Reinstate: staff; clash 400; then fine once the clash is gone.
  EXPECT_EQ(detail(req("DELETE", projectPath(p2, "/reinstate"), "", kAlice), 403), kForbidden);
  EXPECT_EQ(fieldError(req("DELETE", projectPath(p2, "/reinstate"), "", kRoot), "non_field_errors"),
            "The fields name, team must make a unique set.");
  EXPECT_EQ(req("DELETE", projectPath(again), "", kRoot).status, 204);
  EXPECT_TRUE(okObject(req("DELETE", projectPath(p2, "/reinstate"), "", kRoot))->isNull("deletion_time"));

  // Hard delete: staff; 200 with the project as it was; then 404.
  EXPECT_EQ(detail(req("DELETE", projectPath(p2, "/hard"), "", kAlice), 403), kForbidden);
  auto hard = okObject(req("DELETE", projectPath(p2, "/hard"), "", kRoot));
  EXPECT_EQ(hard->getValue<int64_t>("pk"), p2);
  EXPECT_EQ(hard->getValue<std::string>("name"), "p2");
  EXPECT_EQ(detail(req("GET", projectPath(p2), "", kRoot), 404), kNotFound);
  EXPECT_EQ(req("POST", "/v1/projects/create", R"({"name":"p2","team":)" + std::to_string(team) + "}", kAlice)
                .status,
            201);
}

TEST_P(UfdlAccounts, ProjectDeleteCascadesToDatasets) {
  const auto [team, project] = labWithProject();
  const int64_t other = newProject("p2", team);
  const int64_t d1 = newDataset("d1", project)->getValue<int64_t>("pk");
  const int64_t d2 = newDataset("d2", project)->getValue<int64_t>("pk");
  const int64_t kept = newDataset("d1", other)->getValue<int64_t>("pk");
  ASSERT_EQ(req("DELETE", "/v1/datasets/" + std::to_string(d2)).status, 204);  // deleted before

  EXPECT_EQ(req("DELETE", projectPath(project)).status, 204);
  for (int64_t d : {d1, d2})
    EXPECT_FALSE(
        okObject(req("GET", "/v1/datasets/" + std::to_string(d), "", kRoot))->isNull("deletion_time"));
  EXPECT_TRUE(okObject(req("GET", "/v1/datasets/" + std::to_string(kept)))->isNull("deletion_time"));
  auto listed = parseArray(req("POST", "/v1/datasets/list", ""));
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->getObject(0)->getValue<int64_t>("pk"), kept);

  // A project with datasets is not hard-deleted (they would be left without a project).
  EXPECT_EQ(detail(req("DELETE", projectPath(project, "/hard"), "", kRoot), 400).find("datasets") !=
                std::string::npos,
            true);
  // Reinstated, the project is empty of active datasets: d1's name is free in it.
  EXPECT_TRUE(
      okObject(req("DELETE", projectPath(project, "/reinstate"), "", kRoot))->isNull("deletion_time"));
  EXPECT_FALSE(
      okObject(req("GET", "/v1/datasets/" + std::to_string(d1), "", kRoot))->isNull("deletion_time"));
  EXPECT_NE(newDataset("d1", project)->getValue<int64_t>("pk"), d1);
  // A licence in use is not deleted.
  EXPECT_EQ(detail(req("DELETE", "/v1/licences/1", "", kRoot), 400).find("datasets") != std::string::npos,
            true);
}

TEST_P(UfdlAccounts, Tokens) {
  // Missing fields, wrong password (exact text), unknown user.
  EXPECT_EQ(fieldError(req("POST", "/v1/auth/obtain", R"({"password":"x"})", kAnonymous), "username"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("POST", "/v1/auth/obtain", R"({"username":"alice"})", kAnonymous), "password"),
            "This field is required.");
  EXPECT_EQ(
      detail(req("POST", "/v1/auth/obtain", R"({"username":"alice","password":"nope"})", kAnonymous), 401),
      "No active account found with the given credentials");
  EXPECT_EQ(
      detail(req("POST", "/v1/auth/obtain", R"({"username":"zed","password":"nope"})", kAnonymous), 401),
      "No active account found with the given credentials");

  auto pair =
      okObject(req("POST", "/v1/auth/obtain/", R"({"username":"alice","password":"wonder"})", kAnonymous));
  const std::string access = pair->getValue<std::string>("access");
  const std::string refresh = pair->getValue<std::string>("refresh");
  ASSERT_FALSE(access.empty());
  ASSERT_FALSE(refresh.empty());
  // The access token works as Bearer; obtain stamped last_login.
  auto me = okObject(req("GET", "/v1/users/alice", "", bearer(access)));
  EXPECT_EQ(me->getValue<std::string>("username"), "alice");
  EXPECT_FALSE(me->isNull("last_login"));
  EXPECT_FALSE(me->has("password"));
  // A refresh token is no access token.
  EXPECT_EQ(req("GET", "/v1/users/alice", "", bearer(refresh)).status, 401);
  // Refresh gives a new access token; an access token is of the wrong type there.
  auto renewed = okObject(req("POST", "/v1/auth/refresh", R"({"refresh":")" + refresh + R"("})", kAnonymous));
  ASSERT_TRUE(renewed->has("access"));
  EXPECT_FALSE(renewed->has("refresh"));
  EXPECT_EQ(req("GET", "/v1/users/alice", "", bearer(renewed->getValue<std::string>("access"))).status, 200);
  auto wrong = req("POST", "/v1/auth/refresh", R"({"refresh":")" + access + R"("})", kAnonymous);
  EXPECT_EQ(detail(wrong, 401), "Token has wrong type");
  EXPECT_EQ(parse(wrong)->getValue<std::string>("code"), "token_not_valid");
  EXPECT_EQ(fieldError(req("POST", "/v1/auth/refresh", "{}", kAnonymous), "refresh"),
            "This field is required.");
  // Verify: good tokens of either type; tampered ones 401 with the code.
  EXPECT_EQ(req("POST", "/v1/auth/verify", R"({"token":")" + access + R"("})", kAnonymous).body, "{}");
  EXPECT_EQ(req("POST", "/v1/auth/verify", R"({"token":")" + refresh + R"("})", kAnonymous).status, 200);
  std::string tampered = access;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  auto bad = req("POST", "/v1/auth/verify", R"({"token":")" + tampered + R"("})", kAnonymous);
  EXPECT_EQ(detail(bad, 401), "Token is invalid or expired");
  EXPECT_EQ(parse(bad)->getValue<std::string>("code"), "token_not_valid");
  EXPECT_EQ(detail(req("POST", "/v1/auth/verify", R"({"token":"garbage"})", kAnonymous), 401),
            "Token is invalid or expired");
  EXPECT_EQ(req("GET", "/v1/users/alice", "", bearer(tampered)).status, 401);
  EXPECT_EQ(detail(req("POST", "/v1/auth/refresh", R"({"refresh":"x.y.z"})", kAnonymous), 401),
            "Token is invalid or expired");

  // A user made through the API logs in with Basic and obtain; deactivated, their tokens stop.
  auto made =
      okObject(req("POST", "/v1/users/create", R"({"username":"dave","password":"s3cret!"})", kRoot), 201);
  const Headers dave{{"Authorization", basicAuth("dave", "s3cret!")}};
  EXPECT_EQ(req("GET", "/v1/users/dave", "", dave).status, 200);
  auto davePair =
      okObject(req("POST", "/v1/auth/obtain", R"({"username":"dave","password":"s3cret!"})", kAnonymous));
  const std::string daveAccess = davePair->getValue<std::string>("access");
  EXPECT_EQ(req("GET", "/v1/users/dave", "", bearer(daveAccess)).status, 200);
  EXPECT_EQ(req("DELETE", "/v1/users/" + std::to_string(made->getValue<int64_t>("pk")), "", kRoot).status,
            204);
  EXPECT_EQ(req("GET", "/v1/users/dave", "", bearer(daveAccess)).status, 401);
  EXPECT_EQ(req("GET", "/v1/users/dave", "", dave).status, 401);
  EXPECT_EQ(
      detail(req("POST", "/v1/auth/obtain", R"({"username":"dave","password":"s3cret!"})", kAnonymous), 401),
      "No active account found with the given credentials");
  EXPECT_EQ(req("POST", "/v1/auth/refresh",
                R"({"refresh":")" + davePair->getValue<std::string>("refresh") + R"("})", kAnonymous)
                .status,
            401);
}

TEST_P(UfdlAccounts, ExpiredTokens) {
  startServer({{"plugins.ufdl.accessTokenLifetime", "1"}});
  auto pair =
      okObject(req("POST", "/v1/auth/obtain", R"({"username":"bob","password":"builder"})", kAnonymous));
  const std::string access = pair->getValue<std::string>("access");
  EXPECT_EQ(req("GET", "/v1/users/bob", "", bearer(access)).status, 200);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(req("GET", "/v1/users/bob", "", bearer(access)).status, 401);
  auto expired = req("POST", "/v1/auth/verify", R"({"token":")" + access + R"("})", kAnonymous);
  EXPECT_EQ(detail(expired, 401), "Token is invalid or expired");
  EXPECT_EQ(parse(expired)->getValue<std::string>("code"), "token_not_valid");
  // The refresh token (8 h) still gives a fresh access token.
  auto renewed =
      okObject(req("POST", "/v1/auth/refresh",
                   R"({"refresh":")" + pair->getValue<std::string>("refresh") + R"("})", kAnonymous));
  EXPECT_EQ(req("GET", "/v1/users/bob", "", bearer(renewed->getValue<std::string>("access"))).status, 200);
}

TEST_P(UfdlAccounts, Users) {
  const std::string create = "/v1/users/create";
  EXPECT_EQ(detail(req("POST", create, R"({"username":"eve","password":"pw"})", kAnonymous), 401),
            kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", create, R"({"username":"eve","password":"pw"})", kAlice), 403), kForbidden);
  auto errors = parse(req("POST", create, R"({"first_name":5,"is_staff":"maybe","email":"nope"})", kRoot));
  EXPECT_EQ(errors->getArray("username")->getElement<std::string>(0), "This field is required.");
  EXPECT_EQ(errors->getArray("password")->getElement<std::string>(0), "This field is required.");
  EXPECT_EQ(errors->getArray("is_staff")->getElement<std::string>(0), "Must be a valid boolean.");
  EXPECT_EQ(errors->getArray("email")->getElement<std::string>(0), "Enter a valid email address.");
  EXPECT_FALSE(errors->has("first_name"));  // numbers are strings to DRF
  EXPECT_EQ(
      fieldError(req("POST", create, R"({"username":"a b","password":"pw"})", kRoot), "username"),
      "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.");
  EXPECT_EQ(fieldError(req("POST", create, R"({"username":"alice","password":"pw"})", kRoot), "username"),
            "A user with that username already exists.");

  auto eve =
      okObject(req("POST", create,
                   R"({"username":"eve","password":"pw1","first_name":"Eve","email":"eve@example.org",)"
                   R"("unknown":1})",
                   kRoot),
               201);
  const int64_t evePk = eve->getValue<int64_t>("pk");
  EXPECT_EQ(eve->getValue<std::string>("username"), "eve");
  EXPECT_EQ(eve->getValue<std::string>("first_name"), "Eve");
  EXPECT_EQ(eve->getValue<std::string>("email"), "eve@example.org");
  EXPECT_TRUE(eve->getValue<bool>("is_active"));
  EXPECT_FALSE(eve->getValue<bool>("is_staff"));
  EXPECT_TRUE(eve->isNull("last_login"));
  EXPECT_FALSE(eve->has("password"));
  EXPECT_EQ(fieldError(req("POST", create, R"({"username":"eve","password":"pw"})", kRoot), "username"),
            "A user with that username already exists.");
  const Headers eveAuth{{"Authorization", basicAuth("eve", "pw1")}};
  const std::string evePath = "/v1/users/" + std::to_string(evePk);

  // Retrieve: self (by pk or username) or staff; 404 first.
  EXPECT_EQ(okObject(req("GET", evePath, "", eveAuth))->getValue<std::string>("username"), "eve");
  EXPECT_EQ(okObject(req("GET", "/v1/users/eve", "", eveAuth))->getValue<int64_t>("pk"), evePk);
  EXPECT_EQ(detail(req("GET", evePath, "", kAlice), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", "/v1/users/eve", "", kAlice), 403), kForbidden);
  EXPECT_EQ(req("GET", "/v1/users/eve", "", kRoot).status, 200);
  EXPECT_EQ(detail(req("GET", "/v1/users/99999", "", kAlice), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", "/v1/users/nobody", "", kRoot), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", evePath, "", kAnonymous), 401), kNotAuthenticated);
  // A users-file user who never called is found by name.
  EXPECT_EQ(okObject(req("GET", "/v1/users/carol", "", kRoot))->getValue<std::string>("username"), "carol");

  // List: staff only.
  EXPECT_EQ(detail(req("POST", "/v1/users/list", "", kAlice), 403), kForbidden);
  auto users = parseArray(req("POST", "/v1/users/list", "", kRoot));
  bool sawEve = false;
  for (std::size_t i = 0; i < users->size(); ++i) {
    EXPECT_FALSE(users->getObject(i)->has("password"));
    sawEve |= users->getObject(i)->getValue<std::string>("username") == "eve";
  }
  EXPECT_TRUE(sawEve);

  // Update: staff only; PUT needs username and password; a new password replaces the old one.
  EXPECT_EQ(detail(req("PATCH", evePath, R"({"first_name":"X"})", eveAuth), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", "/v1/users/99999", R"({"first_name":"X"})", kRoot), 404), kNotFound);
  EXPECT_EQ(fieldError(req("PUT", evePath, R"({"username":"eve"})", kRoot), "password"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("PATCH", evePath, R"({"is_active":null})", kRoot), "is_active"),
            "This field may not be null.");
  auto patched =
      okObject(req("PATCH", evePath, R"({"password":"pw2","last_name":"Smith","is_staff":true})", kRoot));
  EXPECT_EQ(patched->getValue<std::string>("last_name"), "Smith");
  EXPECT_TRUE(patched->getValue<bool>("is_staff"));
  EXPECT_EQ(req("GET", evePath, "", eveAuth).status, 401);
  const Headers eve2{{"Authorization", basicAuth("eve", "pw2")}};
  EXPECT_EQ(req("GET", evePath, "", eve2).status, 200);
  // eve is staff now: she may list users.
  EXPECT_EQ(req("POST", "/v1/users/list", "", eve2).status, 200);
  // Renaming: the old name is free, the new one logs in.
  EXPECT_EQ(fieldError(req("PATCH", evePath, R"({"username":"bob"})", kRoot), "username"),
            "A user with that username already exists.");
  EXPECT_EQ(
      okObject(req("PATCH", evePath, R"({"username":"eva"})", kRoot))->getValue<std::string>("username"),
      "eva");
  EXPECT_EQ(req("GET", evePath, "", {{"Authorization", basicAuth("eva", "pw2")}}).status, 200);
  EXPECT_EQ(detail(req("GET", "/v1/users/eve", "", kRoot), 404), kNotFound);
  // A users-file user's name and password stay the users file's.
  const int64_t carolPk = okObject(req("GET", "/v1/users/carol", "", kRoot))->getValue<int64_t>("pk");
  EXPECT_EQ(fieldError(req("PATCH", "/v1/users/" + std::to_string(carolPk), R"({"password":"x"})", kRoot),
                       "password"),
            "This user is managed by the server's users file.");
  EXPECT_EQ(okObject(req("PATCH", "/v1/users/" + std::to_string(carolPk), R"({"first_name":"Carol"})", kRoot))
                ->getValue<std::string>("first_name"),
            "Carol");

  // Delete: staff; deactivates (204); the record stays, inactive.
  EXPECT_EQ(detail(req("DELETE", evePath, "", kAlice), 403), kForbidden);
  EXPECT_EQ(req("DELETE", evePath, "", kRoot).status, 204);
  EXPECT_FALSE(okObject(req("GET", evePath, "", kRoot))->getValue<bool>("is_active"));
  EXPECT_EQ(req("GET", evePath, "", {{"Authorization", basicAuth("eva", "pw2")}}).status, 401);
  // An inactive user cannot be added to a team.
  const int64_t team = newTeam("lab");
  EXPECT_EQ(detail(membership(team, R"({"username":"eva","method":"add"})"), 400),
            "Bad name 'eva': This user is no longer active");
}

TEST_P(UfdlAccounts, Licences) {
  // The 14 seeded licences, in UFDL's order, under both spellings.
  auto list = parseArray(req("POST", "/v1/licences/list", "", kBob));
  ASSERT_EQ(list->size(), 14u);
  const std::vector<std::string> names{
      "AGPL3",         "Apache 2.0", "BSD 2-clause", "BSD 3-clause", "CC0", "CC-BY-4.0",
      "CC-BY-SA-4.0",  "GPL2",       "GPL3",         "LGPL3",        "MIT", "Mozilla Public License 2.0",
      "The Unlicense", "Proprietary"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(list->getObject(i)->getValue<int64_t>("pk"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(list->getObject(i)->getValue<std::string>("name"), names[i]);
  }
  EXPECT_EQ(parseArray(req("POST", "/v1/licenses/list", "", kBob))->size(), 14u);
  EXPECT_EQ(detail(req("POST", "/v1/licences/list", "", kAnonymous), 401), kNotAuthenticated);
  auto mit = okObject(req("GET", "/v1/licenses/11", "", kBob));
  EXPECT_EQ(mit->getValue<std::string>("name"), "MIT");
  EXPECT_EQ(mit->getValue<std::string>("url"), "https://opensource.org/licenses/MIT");
  EXPECT_EQ(mit->getArray("conditions")->getElement<std::string>(0), "License and copyright notice");
  EXPECT_EQ(mit->getArray("domains")->size(), 0u);
  EXPECT_EQ(detail(req("GET", "/v1/licences/99", "", kBob), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", "/v1/licences/1", "", kAnonymous), 401), kNotAuthenticated);

  // Create: staff; pk 15 after the seeds; unique name; valid URL.
  const std::string body = R"({"name":"Custom","url":"https://example.org/licence"})";
  EXPECT_EQ(detail(req("POST", "/v1/licences/create", body, kAlice), 403), kForbidden);
  EXPECT_EQ(fieldError(req("POST", "/v1/licences/create", R"({"name":"X","url":"not a url"})", kRoot), "url"),
            "Enter a valid URL.");
  EXPECT_EQ(fieldError(req("POST", "/v1/licences/create", R"({"url":"https://x.org"})", kRoot), "name"),
            "This field is required.");
  auto custom = okObject(req("POST", "/v1/licenses/create", body, kRoot), 201);
  EXPECT_EQ(custom->getValue<int64_t>("pk"), 15);
  EXPECT_EQ(fieldError(req("POST", "/v1/licences/create", body, kRoot), "name"),
            "licence with this name already exists.");

  // Update: staff; PUT needs both fields.
  EXPECT_EQ(detail(req("PATCH", "/v1/licences/15", R"({"name":"Y"})", kAlice), 403), kForbidden);
  EXPECT_EQ(fieldError(req("PUT", "/v1/licences/15", R"({"name":"Y"})", kRoot), "url"),
            "This field is required.");
  EXPECT_EQ(fieldError(req("PATCH", "/v1/licences/15", R"({"name":"MIT"})", kRoot), "name"),
            "licence with this name already exists.");
  EXPECT_EQ(okObject(req("PATCH", "/v1/licences/15", R"({"name":"Custom 2"})", kRoot))
                ->getValue<std::string>("name"),
            "Custom 2");

  // Subdescriptors: staff; by name or pk; kept in catalogue order; unknown names are BadName.
  const std::string sub = "/v1/licences/15/subdescriptors";
  EXPECT_EQ(
      detail(req("PATCH", sub, R"({"type":"permissions","method":"add","names":["Distribution"]})", kBob),
             403),
      kForbidden);
  auto l = okObject(req("PATCH", sub,
                        R"({"type":"permissions","method":"add","names":["Distribution","Commercial use"]})",
                        kRoot));
  auto perms = l->getArray("permissions");
  ASSERT_EQ(perms->size(), 2u);
  EXPECT_EQ(perms->getElement<std::string>(0), "Commercial use");
  EXPECT_EQ(perms->getElement<std::string>(1), "Distribution");
  l = okObject(req("PATCH", sub, R"({"type":"permissions","method":"remove","names":[1]})", kRoot));
  EXPECT_EQ(l->getArray("permissions")->size(), 1u);
  l = okObject(req("PATCH", "/v1/licenses/15/subdescriptors",
                   R"({"type":"domains","method":"add","names":["ic"]})", kRoot));
  EXPECT_EQ(l->getArray("domains")->getElement<std::string>(0), "ic");
  EXPECT_EQ(detail(req("PATCH", sub, R"({"type":"conditions","method":"add","names":["Nope"]})", kRoot), 400),
            "Bad name 'Nope': No such condition");
  EXPECT_EQ(detail(req("PATCH", sub, R"({"type":"colours","method":"add","names":[]})", kRoot), 400)
                .rfind("Unable to parse JSON", 0),
            0u);
  EXPECT_EQ(detail(req("PATCH", sub, R"({"type":"conditions","method":"add","names":[true]})", kRoot), 400)
                .rfind("Unable to parse JSON", 0),
            0u);

  // Delete: staff; 204; then 404.
  EXPECT_EQ(detail(req("DELETE", "/v1/licences/15", "", kAlice), 403), kForbidden);
  EXPECT_EQ(req("DELETE", "/v1/licences/15", "", kRoot).status, 204);
  EXPECT_EQ(detail(req("GET", "/v1/licences/15", "", kRoot), 404), kNotFound);
  EXPECT_EQ(req("POST", "/v1/licences/create", body, kRoot).status, 201);  // the name is free
}

TEST_P(UfdlAccounts, ConcurrentNameClaimsAndBadInput) {
  // Eight concurrent creates of one team name, project name and username: exactly one wins
  // each, the others get the field error.
  const int64_t team = newTeam("base");
  std::vector<int> teams(8), projects(8), users(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      teams[i] = req("POST", "/v1/teams/create", R"({"name":"same"})", kRoot).status;
      projects[i] =
          req("POST", "/v1/projects/create", R"({"name":"same","team":)" + std::to_string(team) + "}", kRoot)
              .status;
      users[i] = req("POST", "/v1/users/create", R"({"username":"same","password":"pw"})", kRoot).status;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto* statuses : {&teams, &projects, &users}) {
    EXPECT_EQ(std::count(statuses->begin(), statuses->end(), 201), 1);
    EXPECT_EQ(std::count(statuses->begin(), statuses->end(), 400), 7);
  }
  EXPECT_EQ(parseArray(req("POST", "/v1/teams/list", "", kRoot))->size(), 2u);
  EXPECT_EQ(parseArray(req("POST", "/v1/projects/list", "", kRoot))->size(), 1u);

  // Bad bodies: malformed JSON, non-objects, over-long names, huge or odd pks.
  for (const std::string path : {"/v1/teams/create", "/v1/projects/create", "/v1/users/create",
                                 "/v1/licences/create", "/v1/auth/obtain"}) {
    EXPECT_EQ(detail(req("POST", path, "{\"name\":", kRoot), 400).rfind("JSON parse error", 0), 0u) << path;
    EXPECT_EQ(detail(req("POST", path, "[1,2]", kRoot), 400).rfind("JSON parse error", 0), 0u) << path;
  }
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":")" + std::string(201, 'x') + "\"}", kRoot),
                       "name"),
            "Ensure this field has no more than 200 characters.");
  // Lengths count characters, not bytes (200 two-byte characters fit); NUL is refused.
  std::string twoByte;
  for (int i = 0; i < 200; ++i) twoByte += "\xc3\xa9";
  EXPECT_EQ(req("POST", "/v1/teams/create", R"({"name":")" + twoByte + "\"}", kRoot).status, 201);
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":"a\u0000b"})", kRoot), "name"),
            "Null characters are not allowed.");
  EXPECT_EQ(req("POST", "/v1/projects/create", R"({"name":"x","team":99999999999999999999})", kRoot).status,
            400);
  EXPECT_EQ(fieldError(req("POST", "/v1/projects/create", R"({"name":"x","team":999999999999999999})", kRoot),
                       "team"),
            "Invalid pk \"999999999999999999\" - object does not exist.");
  // Between 2^63 and 2^64 the parser gives an unsigned integer: no such record, not a 500.
  EXPECT_EQ(
      fieldError(req("POST", "/v1/projects/create", R"({"name":"x","team":10000000000000000000})", kRoot),
                 "team"),
      "Invalid pk \"10000000000000000000\" - object does not exist.");
  EXPECT_EQ(detail(req("GET", "/v1/teams/99999999999999999999", "", kRoot), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", "/v1/projects/-1", "", kRoot), 404), kNotFound);
  EXPECT_EQ(
      detail(req("PATCH", teamPath(team, "/memberships"), "[]", kRoot), 400).rfind("JSON parse error", 0),
      0u);
  EXPECT_EQ(detail(req("PATCH", teamPath(team, "/memberships"), R"({"username":"bob","method":"add","x":1})",
                       kRoot),
                   400)
                .rfind("Unable to parse JSON", 0),
            0u);
  // Nothing of this was stored (but the team of 200 two-byte characters).
  EXPECT_EQ(parseArray(req("POST", "/v1/teams/list", "", kRoot))->size(), 3u);
  EXPECT_EQ(okObject(req("GET", teamPath(team), "", kRoot))->getArray("members")->size(), 0u);
}

TEST_P(UfdlAccounts, ListsTakeFilterSpecs) {
  const int64_t lab = newTeam("lab");
  const int64_t zoo = newTeam("zoo");
  addMember(lab, "alice", "W");
  addMember(zoo, "alice", "R");
  newProject("p-lab", lab);
  newProject("p-zoo", zoo);
  ASSERT_EQ(req("DELETE", teamPath(zoo), "", kRoot).status, 204);

  // Teams: deleted ones only with include_inactive (staff sees them; alice's membership went).
  auto teams = parseArray(req("POST", "/v1/teams/list", R"({"include_inactive":true})", kRoot));
  EXPECT_EQ(teams->size(), 2u);
  teams = parseArray(req("POST", "/v1/teams/list", R"({"include_inactive":true})", kAlice));
  ASSERT_EQ(teams->size(), 1u);
  EXPECT_EQ(teams->getObject(0)->getValue<std::string>("name"), "lab");
  // Projects by their team's name, across records.
  auto projects = parseArray(
      req("POST", "/v1/projects/list",
          R"({"expressions":[{"type":"exact","field":"team.name","value":"zoo"}],"include_inactive":true})",
          kRoot));
  ASSERT_EQ(projects->size(), 1u);
  EXPECT_EQ(projects->getObject(0)->getValue<std::string>("name"), "p-zoo");
  // Users: by name, never by password; sorted.
  auto users = parseArray(
      req("POST", "/v1/users/list",
          R"({"expressions":[{"type":"contains","field":"username","sub_string":"ali"}]})", kRoot));
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(users->getObject(0)->getValue<std::string>("username"), "alice");
  EXPECT_EQ(req("POST", "/v1/users/list",
                R"({"expressions":[{"type":"contains","field":"password","sub_string":"pbkdf2"}]})", kRoot)
                .status,
            400);
  // Licences: an element of a descriptor list; descending order.
  auto licences = parseArray(req(
      "POST", "/v1/licenses/list",
      R"({"expressions":[{"type":"contains","field":"conditions","sub_string":"Network use is distribution"}]})",
      kBob));
  ASSERT_EQ(licences->size(), 1u);
  EXPECT_EQ(licences->getObject(0)->getValue<std::string>("name"), "AGPL3");
  licences = parseArray(
      req("POST", "/v1/licences/list", R"({"order_by":[{"field":"pk","ascending":false}]})", kBob));
  ASSERT_EQ(licences->size(), 14u);
  EXPECT_EQ(licences->getObject(0)->getValue<std::string>("name"), "Proprietary");
  // A bad spec is 400.
  EXPECT_EQ(
      detail(req("POST", "/v1/teams/list", R"({"bogus":1})", kRoot), 400).rfind("Unable to parse JSON", 0),
      0u);
}

TEST_P(UfdlAccounts, EveryRouteRefusesAnonymousCallersAndOutsiders) {
  const int64_t team = newTeam("lab");
  addMember(team, "alice", "A");
  addMember(team, "bob", "X");
  const int64_t project = newProject("p1", team);
  const int64_t alicePk = okObject(req("GET", "/v1/users/alice"))->getValue<int64_t>("pk");
  const std::string t = teamPath(team), p = projectPath(project), u = "/v1/users/" + std::to_string(alicePk);
  const std::string member = R"({"username":"bob","method":"update","permissions":"W"})";
  const std::string teamBody = R"({"name":"p9","team":)" + std::to_string(team) + "}";
  struct Call {
    std::string method, path, body;
  };
  // Carol is no member and no staff: 403 everywhere (the pk exists, so no 404 first).
  const std::vector<Call> guarded{
      {"POST", "/v1/teams/create", R"({"name":"x"})"},
      {"GET", t, ""},
      {"PUT", t, R"({"name":"x"})"},
      {"PATCH", t, R"({"name":"x"})"},
      {"DELETE", t, ""},
      {"PATCH", t + "/memberships", member},
      {"GET", t + "/permissions/bob", ""},
      {"DELETE", t + "/hard", ""},
      {"DELETE", t + "/reinstate", ""},
      {"POST", "/v1/projects/create", teamBody},
      {"GET", p, ""},
      {"PUT", p, teamBody},
      {"PATCH", p, R"({"name":"x"})"},
      {"DELETE", p, ""},
      {"DELETE", p + "/hard", ""},
      {"DELETE", p + "/reinstate", ""},
      {"POST", "/v1/users/list", ""},
      {"POST", "/v1/users/create", R"({"username":"x","password":"y"})"},
      {"GET", u, ""},
      {"GET", "/v1/users/alice", ""},
      {"PUT", u, R"({"username":"alice","password":"y"})"},
      {"PATCH", u, R"({"first_name":"x"})"},
      {"DELETE", u, ""},
      {"POST", "/v1/licences/create", R"({"name":"x","url":"https://x.org"})"},
      {"PUT", "/v1/licences/1", R"({"name":"x","url":"https://x.org"})"},
      {"PATCH", "/v1/licenses/1", R"({"name":"x"})"},
      {"DELETE", "/v1/licences/1", ""},
      {"PATCH", "/v1/licences/1/subdescriptors", R"({"type":"domains","method":"add","names":["ic"]})"},
  };
  for (const auto& c : guarded) {
    EXPECT_EQ(detail(req(c.method, c.path, c.body, kCarol), 403), kForbidden) << c.method << " " << c.path;
    EXPECT_EQ(detail(req(c.method, c.path, c.body, kAnonymous), 401), kNotAuthenticated)
        << c.method << " " << c.path;
  }
  for (const std::string list :
       {"/v1/teams/list", "/v1/projects/list", "/v1/licences/list", "/v1/licenses/list"})
    EXPECT_EQ(detail(req("POST", list, "", kAnonymous), 401), kNotAuthenticated) << list;
  EXPECT_EQ(detail(req("GET", "/v1/licences/1", "", kAnonymous), 401), kNotAuthenticated);
  // Level boundaries: X reads but does not write a project; W does not administer the team.
  EXPECT_EQ(req("GET", p, "", kBob).status, 200);
  EXPECT_EQ(detail(req("PATCH", p, R"({"name":"x"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("DELETE", p, "", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("POST", "/v1/projects/create", teamBody, kBob), 403), kForbidden);
  okObject(membership(team, member, kAlice));
  EXPECT_EQ(okObject(req("PATCH", p, R"({"name":"p2"})", kBob))->getValue<std::string>("name"), "p2");
  EXPECT_EQ(detail(req("PATCH", t, R"({"name":"x"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("PATCH", t + "/memberships", member, kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", t + "/permissions/bob", "", kBob), 403), kForbidden);
  // Team admins (A) are not staff: hard delete and reinstate stay staff-only.
  EXPECT_EQ(detail(req("DELETE", p + "/hard", "", kAlice), 403), kForbidden);
  EXPECT_EQ(detail(req("DELETE", t + "/reinstate", "", kAlice), 403), kForbidden);
  // Nothing changed on the way.
  auto got = okObject(req("GET", t, "", kRoot));
  EXPECT_EQ(got->getValue<std::string>("name"), "lab");
  EXPECT_TRUE(got->isNull("deletion_time"));
  EXPECT_EQ(okObject(req("GET", "/v1/licences/1", "", kRoot))->getValue<std::string>("name"), "AGPL3");
  EXPECT_TRUE(okObject(req("GET", "/v1/users/alice", "", kRoot))->getValue<bool>("is_active"));
}

// Restarts need a store that outlives the server: rocksdb only.
class UfdlAccountsRestart : public UfdlAccounts {};

TEST_P(UfdlAccountsRestart, RecordsSurviveAndLicencesAreSeededOnce) {
  const int64_t team = newTeam("lab");
  addMember(team, "alice", "W");
  const int64_t project = newProject("p1", team);
  ASSERT_EQ(req("POST", "/v1/users/create", R"({"username":"dave","password":"pw"})", kRoot).status, 201);
  ASSERT_EQ(
      req("POST", "/v1/licences/create", R"({"name":"Custom","url":"https://example.org/l"})", kRoot).status,
      201);
  startServer();
  startServer();
  auto licences = parseArray(req("POST", "/v1/licences/list", "", kAlice));
  ASSERT_EQ(licences->size(), 15u);
  EXPECT_EQ(licences->getObject(14)->getValue<std::string>("name"), "Custom");
  EXPECT_EQ(
      okObject(req("POST", "/v1/licences/create", R"({"name":"Other","url":"https://example.org/o"})", kRoot),
               201)
          ->getValue<int64_t>("pk"),
      16);
  auto t = okObject(req("GET", teamPath(team), "", kAlice));
  EXPECT_EQ(t->getValue<std::string>("name"), "lab");
  EXPECT_EQ(t->getArray("members")->size(), 1u);
  EXPECT_EQ(okObject(req("GET", projectPath(project), "", kAlice))->getValue<std::string>("name"), "p1");
  EXPECT_EQ(req("GET", "/v1/users/dave", "", {{"Authorization", basicAuth("dave", "pw")}}).status, 200);
  EXPECT_EQ(fieldError(req("POST", "/v1/teams/create", R"({"name":"lab"})", kRoot), "name"),
            "team with this name already exists.");
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlAccounts, ::testing::Values("memory", "rocksdb", "postgresql"),
                         backendName);
INSTANTIATE_TEST_SUITE_P(Backends, UfdlAccountsRestart, ::testing::Values("rocksdb"), backendName);

}  // namespace
}  // namespace strata::test::ufdl
