// The list filter spec through every `list` route of the ufdl plugin (docs/ufdl-filter.fragment.md):
// fields per kind of record, dotted paths across records, include_inactive, order_by, the
// filter combined with a caller's visibility, and the 400s of malformed specs and unknown fields.
// The filter's own cases are in tests/unit/ufdl_filter_spec_test.cpp.
#include "api/ufdl_test_support.h"

#include <set>

namespace strata::test::ufdl {
namespace {

class UfdlFilter : public UfdlServer {
 protected:
  void SetUp() override { startServer(); }

  // The values of `field` in the array a list answers, in order.
  std::vector<std::string> list(const std::string& kind, const std::string& spec, const Headers& h = kRoot,
                                const std::string& field = "name") {
    const auto r = req("POST", "/v1/" + kind + "/list", spec, h);
    EXPECT_EQ(r.status, 200) << kind << " " << spec << ": " << r.body;
    std::vector<std::string> out;
    if (r.status != 200) return out;
    const auto items = parseArray(r);
    for (std::size_t i = 0; i < items->size(); ++i)
      out.push_back(items->getObject(static_cast<unsigned>(i))->get(field).toString());
    return out;
  }
};

using S = std::vector<std::string>;

TEST_P(UfdlFilter, EveryListRouteTakesTheFilterSpec) {
  const auto [lab, p1] = labWithProject();  // alice W, bob R
  const int64_t zoo = newTeam("zoo");
  const int64_t p2 = newProject("p2", zoo);
  newProject("p3", zoo);

  // Users: any field but the password.
  EXPECT_EQ(list("users", R"({"expressions":[{"type":"exact","field":"username","value":"bob"}]})", kRoot,
                 "username"),
            S{"bob"});
  EXPECT_EQ(
      list("users",
           R"({"expressions":[{"type":"exact","field":"username","value":"BOB","case_insensitive":true}]})",
           kRoot, "username"),
      S{"bob"});
  EXPECT_EQ(
      detail(req("POST", "/v1/users/list",
                 R"({"expressions":[{"type":"contains","field":"password","sub_string":"pbkdf2"}]})", kRoot),
             400),
      "Unknown field 'password'");

  // Datasets: the filter within the caller's visibility.
  const int64_t cats = newDataset("cats", p1)->getValue<int64_t>("pk");
  okObject(req("POST", "/v1/datasets/" + std::to_string(cats) + "/copy", "{}", kAlice));
  newDataset("public-zoo", p2, kRoot, R"(,"is_public":true)");
  newDataset("private-zoo", p2, kRoot);
  const std::string catsSpec = R"({"expressions":[{"type":"exact","field":"name","value":"cats"}],
                                   "order_by":[{"field":"version","ascending":false}]})";
  EXPECT_EQ(list("datasets", catsSpec, kBob, "version"), (S{"2", "1"}));
  EXPECT_EQ(list("datasets", catsSpec, kAnonymous, "version"), S{});
  const std::string zooSpec =
      R"({"expressions":[{"type":"contains","field":"project.team.name","sub_string":"zo"}],
                                  "order_by":[{"field":"name"}]})";
  EXPECT_EQ(list("datasets", zooSpec, kRoot), (S{"private-zoo", "public-zoo"}));
  EXPECT_EQ(list("datasets", zooSpec, kBob), S{"public-zoo"});
  EXPECT_EQ(list("datasets", zooSpec, kAnonymous), S{"public-zoo"});
  EXPECT_EQ(list("datasets", R"({"expressions":[{"type":"or","sub_expressions":[
                                   {"type":"exact","field":"is_public","value":true},
                                   {"type":"compare","field":"version","operator":">","value":1}]}],
                                 "order_by":[{"field":"name"}]})",
                 kRoot),
            (S{"cats", "public-zoo"}));

  // Projects: team.name.
  EXPECT_EQ(list("projects", R"({"expressions":[{"type":"exact","field":"team.name","value":"lab"}]})"),
            S{"p1"});
  EXPECT_EQ(list("projects", R"({"expressions":[{"type":"exact","field":"team.name","value":"zoo"}],
                                 "order_by":[{"field":"name","ascending":false}]})"),
            (S{"p3", "p2"}));

  // Teams: a soft-deleted team only with include_inactive; creator.username across records.
  EXPECT_EQ(req("DELETE", "/v1/teams/" + std::to_string(zoo), "", kRoot).status, 204);
  EXPECT_EQ(list("teams", R"({"order_by":[{"field":"name"}]})"), S{"lab"});
  EXPECT_EQ(list("teams", R"({"order_by":[{"field":"name","ascending":false}],"include_inactive":true})"),
            (S{"zoo", "lab"}));
  EXPECT_EQ(list("teams", R"({"expressions":[{"type":"exact","field":"creator.username","value":"root"}],
                              "include_inactive":true,"order_by":[{"field":"pk"}]})"),
            (S{"lab", "zoo"}));
  EXPECT_EQ(detail(req("POST", "/v1/teams/list",
                       R"({"expressions":[{"type":"exact","field":"creator.password","value":"x"}]})", kRoot),
                   400),
            "Unknown field 'creator.password'");

  // Licences: the seeded ones, by name.
  const auto gpl = list(
      "licences",
      R"({"expressions":[{"type":"contains","field":"name","sub_string":"gpl","case_insensitive":true}]})");
  EXPECT_FALSE(gpl.empty());
  for (const auto& name : gpl) EXPECT_NE(name.find("GPL"), std::string::npos) << name;
  EXPECT_EQ(list("licenses", R"({"expressions":[{"type":"exact","field":"pk","value":1}]})", kRoot, "pk"),
            S{"1"});
  (void)lab;
}

TEST_P(UfdlFilter, MalformedSpecsAndUnknownFieldsAre400) {
  for (const std::string kind : {"users", "teams", "projects", "licences", "datasets"}) {
    const std::string path = "/v1/" + kind + "/list";
    SCOPED_TRACE(path);
    EXPECT_EQ(detail(req("POST", path, R"({"expressions":[],"filter":1})", kRoot), 400),
              "Unable to parse JSON: unexpected key 'filter' in the filter spec");
    EXPECT_EQ(detail(req("POST", path, R"({"expressions":[{"type":"and","sub_expressions":[
                                            {"type":"isnull","field":"name"}]}]})",
                         kRoot),
                     400)
                  .rfind("Unable to parse JSON: ", 0),
              0u);
    EXPECT_EQ(
        detail(req("POST", path,
                   R"({"expressions":[{"type":"compare","field":"pk","operator":"==","value":1}]})", kRoot),
               400)
            .rfind("Unable to parse JSON: ", 0),
        0u);
    EXPECT_EQ(
        detail(req("POST", path, R"({"expressions":[{"type":"exact","field":"nope","value":1}]})", kRoot),
               400),
        "Unknown field 'nope'");
    EXPECT_EQ(detail(req("POST", path, R"({"order_by":[{"field":"pk.x"}]})", kRoot), 400),
              "Unknown field 'pk.x'");
    EXPECT_EQ(detail(req("POST", path, R"({"expressions":)", kRoot), 400).rfind("JSON parse error - ", 0),
              0u);
  }
  // The same for anonymous callers, who may list datasets.
  EXPECT_EQ(detail(req("POST", "/v1/datasets/list", R"({"include_inactive":1})", kAnonymous), 400)
                .rfind("Unable to parse JSON: ", 0),
            0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlFilter, ::testing::Values("memory", "rocksdb", "postgresql"),
                         backendName);

}  // namespace
}  // namespace strata::test::ufdl
