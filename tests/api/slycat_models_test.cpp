// The slycat plugin's projects and models over HTTP, on the memory and rocksdb entities
// backends: every route with and without the /api prefix, the project ACL (administrators and
// writers write, readers read, the admin group may do everything), the plugin's error format
// {"message", "status"}, and (on rocksdb) projects and models surviving a restart.
#include "slycat_test_support.h"
#include "support/server_process.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

namespace strata::test {
namespace {

using namespace slycat;

class SlycatModels : public SlycatServer {
 protected:
  // Entities on the parameter's backend.
  void startServer(const std::map<std::string, std::string>& extra = {}) {
    SlycatServer::startServer(GetParam(), "memory", extra);
  }
};

TEST_P(SlycatModels, ProjectsAreCreatedAndRead) {
  startServer();
  for (const std::string prefix : {"/api", ""}) {
    auto r = req("POST", prefix + "/projects", R"({"name":"Weather","description":"runs"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Content-Type").rfind("application/json", 0), 0u);
    const std::string pid = parse(r)->getValue<std::string>("id");
    EXPECT_TRUE(std::regex_match(pid, std::regex("[0-9a-f]{32}"))) << pid;
    EXPECT_EQ(parse(r)->size(), 1u);

    r = req("GET", prefix + "/projects/" + pid);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto p = parse(r);
    EXPECT_EQ(p->getValue<std::string>("_id"), pid);
    EXPECT_FALSE(p->getValue<std::string>("_rev").empty());
    EXPECT_EQ(p->getValue<std::string>("type"), "project");
    EXPECT_EQ(p->getValue<std::string>("name"), "Weather");
    EXPECT_EQ(p->getValue<std::string>("description"), "runs");
    EXPECT_EQ(p->getValue<std::string>("creator"), "alice");
    EXPECT_TRUE(std::regex_match(p->getValue<std::string>("created"),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    const auto acl = p->getObject("acl");
    ASSERT_TRUE(acl);
    ASSERT_EQ(acl->getArray("administrators")->size(), 1u);
    EXPECT_EQ(acl->getArray("administrators")->getObject(0)->getValue<std::string>("user"), "alice");
    EXPECT_EQ(acl->getArray("writers")->size(), 0u);
    EXPECT_EQ(acl->getArray("readers")->size(), 0u);
  }
  // The description is optional.
  auto r = req("POST", "/api/projects", R"({"name":"bare"})", kBob);
  ASSERT_EQ(r.status, 201) << r.body;
  r = req("GET", "/api/projects/" + parse(r)->getValue<std::string>("id"), "", kBob);
  EXPECT_EQ(parse(r)->getValue<std::string>("description"), "");
}

TEST_P(SlycatModels, ModelsAreCreatedListedReadAndDeleted) {
  startServer();
  const std::string pid = newProject();
  for (const std::string prefix : {"/api", ""}) {
    auto r = req("POST", prefix + "/projects/" + pid + "/models",
                 R"({"model-type":"cca","name":"CCA run","marking":"","description":"first"})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string mid = parse(r)->getValue<std::string>("id");
    EXPECT_TRUE(std::regex_match(mid, std::regex("[0-9a-f]{32}"))) << mid;
    EXPECT_EQ(r.header("Location"), prefix + "/models/" + mid);

    r = req("GET", prefix + "/models/" + mid);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto m = parse(r);
    EXPECT_EQ(m->getValue<std::string>("_id"), mid);
    EXPECT_FALSE(m->getValue<std::string>("_rev").empty());
    EXPECT_EQ(m->getValue<std::string>("type"), "model");
    EXPECT_EQ(m->getValue<std::string>("model-type"), "cca");
    EXPECT_EQ(m->getValue<std::string>("project"), pid);
    EXPECT_EQ(m->getValue<std::string>("name"), "CCA run");
    EXPECT_EQ(m->getValue<std::string>("description"), "first");
    EXPECT_EQ(m->getValue<std::string>("marking"), "");
    EXPECT_EQ(m->getValue<std::string>("creator"), "alice");
    EXPECT_FALSE(m->getValue<std::string>("created").empty());
    EXPECT_EQ(m->getValue<std::string>("bookmark"), "none");
    EXPECT_EQ(m->getValue<std::string>("state"), "waiting");
    for (const char* k : {"result", "started", "finished", "progress", "message"}) {
      EXPECT_TRUE(m->has(k)) << k;
      EXPECT_TRUE(m->isNull(k)) << k;
    }
    EXPECT_EQ(m->getObject("artifact-types")->size(), 0u);
    EXPECT_EQ(m->getArray("input-artifacts")->size(), 0u);

    r = req("GET", prefix + "/projects/" + pid + "/models");
    ASSERT_EQ(r.status, 200) << r.body;
    auto list = parseArray(r);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ(list->getObject(0)->getValue<std::string>("_id"), mid);

    r = req("DELETE", prefix + "/models/" + mid);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(errorMessage(req("GET", prefix + "/models/" + mid), 404), "no model '" + mid + "'");
    errorMessage(req("DELETE", prefix + "/models/" + mid), 404);
    EXPECT_EQ(parseArray(req("GET", prefix + "/projects/" + pid + "/models"))->size(), 0u);
  }
  // Several models are listed; another project's models are not.
  const std::string a = newModel(pid), b = newModel(pid);
  newModel(newProject());
  const auto list = parseArray(req("GET", "/api/projects/" + pid + "/models"));
  ASSERT_EQ(list->size(), 2u);
  std::set<std::string> ids{list->getObject(0)->getValue<std::string>("_id"),
                            list->getObject(1)->getValue<std::string>("_id")};
  EXPECT_EQ(ids, (std::set<std::string>{a, b}));
}

TEST_P(SlycatModels, ModelTypesAndMarkingsComeFromConfig) {
  startServer();
  std::string models = "/api/projects/" + newProject() + "/models";
  for (const char* type : {"cca", "parameter-image", "timeseries", "DAC", "VS", "generic"})
    EXPECT_EQ(req("POST", models, std::string(R"({"model-type":")") + type + R"(","name":"m","marking":""})")
                  .status,
              201)
        << type;
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"bogus","name":"m","marking":""})"), 400),
            "Allowed model types: cca, parameter-image, timeseries, DAC, VS, generic");
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"cca","name":"m","marking":"secret"})"), 400),
            "Allowed markings: \"\"");

  startServer({{"plugins.slycat.modelTypes", "cca, tracer"}, {"plugins.slycat.markings", "\"\" faculty"}});
  models = "/api/projects/" + newProject() + "/models";  // memory stores start empty
  EXPECT_EQ(req("POST", models, R"({"model-type":"tracer","name":"m","marking":"faculty"})").status, 201);
  EXPECT_EQ(req("POST", models, R"({"model-type":"cca","name":"m","marking":""})").status, 201);
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"generic","name":"m","marking":""})"), 400),
            "Allowed model types: cca, tracer");
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"cca","name":"m","marking":"x"})"), 400),
            "Allowed markings: \"\", faculty");
}

TEST_P(SlycatModels, BadBodiesGive400) {
  startServer();
  const std::string pid = newProject();
  const std::string models = "/api/projects/" + pid + "/models";
  EXPECT_EQ(errorMessage(req("POST", "/api/projects", R"({})"), 400), "missing field 'name'");
  EXPECT_EQ(errorMessage(req("POST", "/api/projects", R"({"name":"p","owner":"x"})"), 400),
            "unknown field 'owner'");
  EXPECT_EQ(errorMessage(req("POST", "/api/projects", R"({"name":3})"), 400),
            "field 'name' must be a string");
  errorMessage(req("POST", "/api/projects", "not json"), 400);
  errorMessage(req("POST", "/api/projects", "[1]"), 400);
  errorMessage(req("POST", "/api/projects", ""), 400);
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"cca","marking":""})"), 400),
            "missing field 'name'");
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"cca","name":"m","marking":"","x":1})"), 400),
            "unknown field 'x'");
  EXPECT_EQ(errorMessage(req("POST", models, R"({"model-type":"cca","name":"m","marking":null})"), 400),
            "field 'marking' must be a string");
  errorMessage(
      req("POST", models, R"({"model-type":"cca","name":")" + std::string(70000, 'x') + R"(","marking":""})"),
      413);
  EXPECT_EQ(
      errorMessage(req("PUT", "/api/projects/" + pid, R"({"acl":{"writers":[{"user":"nobody"}]}})"), 400),
      "acl names an unknown user 'nobody'");
  errorMessage(req("PUT", "/api/projects/" + pid, R"({"acl":{"owners":[]}})"), 400);
  errorMessage(req("PUT", "/api/projects/" + pid, R"({"acl":{"writers":["bob"]}})"), 400);
  errorMessage(req("PUT", "/api/projects/" + pid, R"({"acl":[]})"), 400);
  EXPECT_EQ(parseArray(req("GET", models))->size(), 0u);  // nothing was created
}

TEST_P(SlycatModels, UnknownIdsGive404) {
  startServer();
  const std::string none(32, '0');
  EXPECT_EQ(errorMessage(req("GET", "/api/projects/" + none), 404), "no project '" + none + "'");
  errorMessage(req("GET", "/api/projects/" + none + "/models"), 404);
  errorMessage(
      req("POST", "/api/projects/" + none + "/models", R"({"model-type":"cca","name":"m","marking":""})"),
      404);
  errorMessage(req("PUT", "/api/projects/" + none, R"({"name":"x"})"), 404);
  errorMessage(req("GET", "/api/models/" + none), 404);
  errorMessage(req("DELETE", "/api/models/" + none), 404);
  errorMessage(req("GET", "/api/models/" + none + "/nothing/here"), 404);
}

TEST_P(SlycatModels, EveryRouteNeedsAUser) {
  startServer();
  const std::string pid = newProject();
  const std::string mid = newModel(pid);
  const Headers wrong{{"Authorization", basicAuth("alice", "nope")}};
  for (const Headers& h : {Headers{}, wrong}) {
    for (const std::string prefix : {"/api", ""}) {
      for (const auto& [method, path] :
           std::vector<std::pair<std::string, std::string>>{{"POST", "/projects"},
                                                            {"GET", "/projects/" + pid},
                                                            {"PUT", "/projects/" + pid},
                                                            {"POST", "/projects/" + pid + "/models"},
                                                            {"GET", "/projects/" + pid + "/models"},
                                                            {"GET", "/models/" + mid},
                                                            {"DELETE", "/models/" + mid}}) {
        const auto r = req(method, prefix + path, R"({"name":"x"})", h);
        errorMessage(r, 401);
        EXPECT_FALSE(r.header("WWW-Authenticate").empty()) << method << " " << path;
      }
    }
  }
  // The right credentials pass.
  EXPECT_EQ(req("GET", "/api/models/" + mid).status, 200);
}

TEST_P(SlycatModels, ProjectAclGovernsReadsAndWrites) {
  startServer();
  const std::string pid = newProject(true);  // alice administers, bob writes, carol reads
  const std::string mid = newModel(pid, kBob);
  const std::string models = "/api/projects/" + pid + "/models";
  const std::string body = R"({"model-type":"generic","name":"m","marking":""})";
  EXPECT_EQ(parse(req("GET", "/api/models/" + mid))->getValue<std::string>("creator"), "bob");

  // carol reads but does not write.
  EXPECT_EQ(req("GET", "/api/projects/" + pid, "", kCarol).status, 200);
  EXPECT_EQ(req("GET", models, "", kCarol).status, 200);
  EXPECT_EQ(req("GET", "/api/models/" + mid, "", kCarol).status, 200);
  EXPECT_EQ(errorMessage(req("POST", models, body, kCarol), 403),
            "user 'carol' may not write project '" + pid + "'");
  errorMessage(req("DELETE", "/api/models/" + mid, "", kCarol), 403);
  errorMessage(req("PUT", "/api/projects/" + pid, R"({"name":"x"})", kCarol), 403);
  // The ACL is checked before the body is decoded: a bad body still gives 403.
  errorMessage(req("POST", models, "not json", kCarol), 403);

  // bob writes but may not change the ACL.
  EXPECT_EQ(req("PUT", "/api/projects/" + pid, R"({"name":"renamed"})", kBob).status, 204);
  EXPECT_EQ(parse(req("GET", "/api/projects/" + pid))->getValue<std::string>("name"), "renamed");
  EXPECT_EQ(errorMessage(req("PUT", "/api/projects/" + pid, R"({"acl":{}})", kBob), 403),
            "only administrators of project '" + pid + "' may change its acl");

  // A user of the users file who is not in the ACL may do nothing.
  auto r = req("POST", "/api/projects", R"({"name":"mine"})", kCarol);
  const std::string other = parse(r)->getValue<std::string>("id");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/projects/" + other},
                                                        {"GET", "/api/projects/" + other + "/models"},
                                                        {"POST", "/api/projects/" + other + "/models"},
                                                        {"PUT", "/api/projects/" + other}})
    errorMessage(req(method, path, body, kBob), 403);
  const std::string carols = newModel(other, kCarol);
  errorMessage(req("GET", "/api/models/" + carols, "", kBob), 403);
  errorMessage(req("DELETE", "/api/models/" + carols, "", kBob), 403);
  EXPECT_EQ(req("GET", "/api/models/" + carols, "", kCarol).status, 200);  // not deleted

  // The admin group may do everything.
  EXPECT_EQ(req("GET", "/api/projects/" + other, "", kRoot).status, 200);
  EXPECT_EQ(req("PUT", "/api/projects/" + other, R"({"acl":{"readers":[{"user":"bob"}]}})", kRoot).status,
            204);
  EXPECT_EQ(req("GET", "/api/models/" + carols, "", kBob).status, 200);  // bob now reads
  errorMessage(req("DELETE", "/api/models/" + carols, "", kBob), 403);
  EXPECT_EQ(req("POST", "/api/projects/" + other + "/models", body, kRoot).status, 201);
  EXPECT_EQ(req("DELETE", "/api/models/" + carols, "", kRoot).status, 204);

  // A writer deletes; so does an administrator.
  EXPECT_EQ(req("DELETE", "/api/models/" + mid, "", kBob).status, 204);
  EXPECT_EQ(req("DELETE", "/api/models/" + newModel(pid, kBob)).status, 204);
}

TEST_P(SlycatModels, DataSurvivesARestart) {
  if (GetParam() != "rocksdb") GTEST_SKIP() << "memory stores do not outlive the server";
  startServer();
  const std::string pid = newProject(true);
  const std::string mid = newModel(pid);
  const std::string before = req("GET", "/api/models/" + mid).body;
  startServer();
  EXPECT_EQ(req("GET", "/api/models/" + mid).body, before);
  const auto p = parse(req("GET", "/api/projects/" + pid, "", kCarol));
  EXPECT_EQ(p->getObject("acl")->getArray("writers")->getObject(0)->getValue<std::string>("user"), "bob");
  EXPECT_EQ(parseArray(req("GET", "/api/projects/" + pid + "/models"))->size(), 1u);
  EXPECT_EQ(req("DELETE", "/api/models/" + mid, "", kBob).status, 204);
  startServer();
  errorMessage(req("GET", "/api/models/" + mid), 404);
}

INSTANTIATE_TEST_SUITE_P(Entities, SlycatModels, ::testing::Values("memory", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace strata::test
