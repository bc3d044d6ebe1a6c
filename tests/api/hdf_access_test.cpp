// The hdf endpoint plugin's access control lists, ETags and conditional GETs, and unknown
// routes and methods, once per arrays backend.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------------------------- ACLs

TEST_P(HdfApi, Acls) {
  const std::string root = createDomain();
  const auto user1 = basicAuth("test_user1", "test");
  const auto user2 = basicAuth("test_user2", "test");
  auto r = post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "g1"}})");
  const std::string g1 = parse(r.body)->getValue<std::string>("id");

  // The default ACL allows everything, even anonymous ACL changes (as h5serv).
  r = get("/acls");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(put("/acls/test_user2", R"({"create": true, "read": true, "update": true, "delete": true,
                                        "readACL": true, "updateACL": true})")
                .status,
            201);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": true, "create": false, "update": false, "delete": false,
                                        "readACL": false, "updateACL": false})")
                .status,
            201);
  EXPECT_EQ(put("/acls/default", R"({"read": false, "create": false, "update": false, "delete": false,
                                     "readACL": false, "updateACL": false})")
                .status,
            201);
  r = put("/acls/default", R"({"read": false})");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.header("WWW-Authenticate").find("Basic"), std::string::npos);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": "yes"})", {{"Authorization", user2}}).status, 400);
  EXPECT_EQ(put("/acls/test_user1", R"({"other": true})", {{"Authorization", user2}}).status, 400);

  // Reads: anonymous 401, test_user1 200.
  EXPECT_EQ(get("/").status, 401);
  EXPECT_EQ(get("/groups/" + g1).status, 401);
  EXPECT_EQ(get("/groups/" + g1, {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(get("/", {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(call("GET", "/", "", {{"Authorization", basicAuth("test_user1", "wrong")}}).status, 401);
  // Writes: anonymous 401, test_user1 403, test_user2 201.
  const std::string attr = R"({"type": "H5T_STD_I32LE", "value": 42})";
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr).status, 401);
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr, {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/groups/" + root + "/attributes/a1", attr, {{"Authorization", user2}}).status, 201);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I32LE"})").status, 401);
  EXPECT_EQ(post("/datasets", R"({"type": "H5T_STD_I32LE"})", {{"Authorization", user1}}).status, 403);
  r = post("/datasets", R"({"type": "H5T_STD_I32LE", "shape": [2]})", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 201);
  const std::string d = parse(r.body)->getValue<std::string>("id");
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value": [1, 2]})", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/datasets/" + d + "/value", R"({"value": [1, 2]})", {{"Authorization", user2}}).status, 200);
  EXPECT_EQ(get("/datasets/" + d + "/value").status, 401);
  EXPECT_EQ(get("/datasets/" + d + "/value", {{"Authorization", user1}}).status, 200);
  EXPECT_EQ(del("/groups/" + root + "/attributes/a1", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(del("/groups/" + root + "/attributes/a1", {{"Authorization", user2}}).status, 200);
  EXPECT_EQ(del("/", {{"Authorization", user1}}).status, 403);

  // Reading ACLs needs readACL.
  EXPECT_EQ(get("/acls").status, 401);
  EXPECT_EQ(get("/acls", {{"Authorization", user1}}).status, 403);
  r = get("/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  auto acls = parse(r.body)->getArray("acls");
  ASSERT_EQ(acls->size(), 3u);
  EXPECT_EQ(acls->getObject(0)->getValue<std::string>("userName"), "test_user2");
  r = get("/acls/test_user1", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  auto acl = parse(r.body)->getObject("acl");
  EXPECT_EQ(acl->size(), 7u);
  EXPECT_EQ(acl->getValue<std::string>("userName"), "test_user1");
  EXPECT_TRUE(acl->getValue<bool>("read"));
  EXPECT_FALSE(acl->getValue<bool>("update"));
  EXPECT_FALSE(
      parse(get("/acls/default", {{"Authorization", user2}}).body)->getObject("acl")->getValue<bool>("read"));

  // Object ACLs: an object's own entries come first.
  r = get("/datasets/" + d + "/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(get("/datasets/" + d + "/acls", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/groups/" + g1 + "/acls/default", R"({"read": true})", {{"Authorization", user2}}).status,
            201);
  EXPECT_EQ(get("/groups/" + g1).status, 200);    // anonymous may now read g1
  EXPECT_EQ(get("/groups/" + root).status, 401);  // but not the root
  EXPECT_EQ(
      put("/groups/" + g1 + "/acls/test_user1", R"({"create": true})", {{"Authorization", user2}}).status,
      201);
  EXPECT_EQ(put("/groups/" + g1 + "/links/x", R"({"h5path": "/"})", {{"Authorization", user1}}).status, 201);
  r = get("/groups/" + g1 + "/acls", {{"Authorization", user2}});
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 2u);
  EXPECT_EQ(get("/datatypes/" + d + "/acls", {{"Authorization", user2}}).status, 404);

  // Deleting the domain drops its ACLs: a new domain of the same name is open again.
  EXPECT_EQ(del("/", {{"Authorization", user2}}).status, 200);
  createDomain();
  EXPECT_EQ(get("/").status, 200);
}

TEST_P(HdfApi, AclUserNamesMustBeKnown) {
  const std::string root = createDomain();
  const std::string d = createDataset(R"({"type": "H5T_STD_I32LE", "shape": [2]})");
  const auto user1 = basicAuth("test_user1", "test");
  const auto user2 = basicAuth("test_user2", "test");
  auto messageOf = [](const HttpResult& r) { return parse(r.body)->optValue<std::string>("message", ""); };

  // PUT for a name that is neither "default" nor a user of the server: 400 (h5serv's
  // "username not found"), naming the user, and nothing is stored.
  for (const std::string& path :
       {std::string("/acls/nobody"), "/groups/" + root + "/acls/nobody", "/datasets/" + d + "/acls/nobody"}) {
    auto r = put(path, R"({"read": true})");
    EXPECT_EQ(r.status, 400) << path << " " << r.reason;
    EXPECT_NE(r.reason.find("nobody"), std::string::npos) << r.reason;
    EXPECT_NE(messageOf(r).find("'nobody' not found"), std::string::npos) << r.body;
  }
  // User names are exact: no case folding, no trimming.
  EXPECT_EQ(put("/acls/Test_User1", R"({"read": true})").status, 400);
  EXPECT_EQ(put("/acls/test_user1%20", R"({"read": true})").status, 400);
  EXPECT_EQ(put("/acls/Default", R"({"read": true})").status, 400);
  auto r = get("/acls");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(parse(get("/groups/" + root + "/acls").body)->getArray("acls")->size(), 0u);
  EXPECT_EQ(parse(get("/datasets/" + d + "/acls").body)->getArray("acls")->size(), 0u);

  // GET of an unknown user's ACL: 404 (h5serv's "username does not exist"), naming the user.
  r = get("/acls/nobody");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(messageOf(r).find("'nobody'"), std::string::npos) << r.body;
  EXPECT_EQ(get("/datasets/" + d + "/acls/nobody").status, 404);

  // Users of the server and "default" are accepted.
  EXPECT_EQ(put("/datasets/" + d + "/acls/test_user1", R"({"read": true})").status, 201);
  EXPECT_EQ(get("/datasets/" + d + "/acls/test_user1").status, 200);
  EXPECT_EQ(put("/acls/test_user2", R"({"read": true, "readACL": true, "updateACL": true})").status, 201);
  EXPECT_EQ(put("/acls/test_user1", R"({"read": true})").status, 201);
  EXPECT_EQ(put("/acls/default", R"({"read": false, "create": false, "update": false, "delete": false,
                                     "readACL": false, "updateACL": false})")
                .status,
            201);
  r = get("/acls", {{"Authorization", user2}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body)->getArray("acls")->size(), 3u);

  // The permission is checked first: who may not change (or read) the ACLs does not learn
  // which users exist.
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})").status, 401);
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(put("/acls/nobody", R"({"read": true})", {{"Authorization", user2}}).status, 400);
  EXPECT_EQ(get("/acls/nobody").status, 401);
  EXPECT_EQ(get("/acls/nobody", {{"Authorization", user1}}).status, 403);
  EXPECT_EQ(get("/acls/nobody", {{"Authorization", user2}}).status, 404);
}

// ---------------------------------------------------------------------------------- protocol

TEST_P(HdfApi, EtagsAndConditionalGets) {
  const std::string root = createDomain();
  auto a = get("/groups/" + root);
  auto b = get("/groups/" + root);
  ASSERT_FALSE(a.header("Etag").empty());
  EXPECT_EQ(a.header("Etag"), b.header("Etag"));
  auto c = get("/groups/" + root, {{"If-None-Match", a.header("Etag")}});
  EXPECT_EQ(c.status, 304);
  ASSERT_EQ(put("/groups/" + root + "/attributes/x", R"({"type": "H5T_STD_I8LE", "value": 1})").status, 201);
  auto d = get("/groups/" + root, {{"If-None-Match", a.header("Etag")}});
  EXPECT_EQ(d.status, 200);
  EXPECT_NE(d.header("Etag"), a.header("Etag"));
  const std::string ds = createDataset(R"({"type": "H5T_STD_I8LE", "shape": [3]})");
  EXPECT_FALSE(get("/datasets/" + ds + "/value").header("Etag").empty());
  // CORS comes from the core.
  EXPECT_EQ(a.header("Access-Control-Allow-Origin"), "*");
}

TEST_P(HdfApi, UnknownRoutesAndMethods) {
  createDomain();
  EXPECT_EQ(get("/groups/x/y/z").status, 404);
  EXPECT_EQ(call("PATCH", "/groups", "{}").status, 405);
  EXPECT_EQ(del("/datasets").status, 405);
}

}  // namespace
}  // namespace strata::test
