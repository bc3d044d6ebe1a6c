// The ufdl plugin's list filter (plugins/ufdl/filter_spec.cpp): UFDL's FilterSpec bodies turned
// into entity-store queries, run on a real store (memory and rocksdb, with the plugin's indexes
// declared) over a small set of users, teams, projects, licences and datasets.
#include "contract/store_contract_support.h"
#include "filter_spec.h"
#include "ufdl_common.h"

#include <strata/errors.h>

#include <Poco/JSON/Parser.h>

#include <string>
#include <vector>

namespace strata::test {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;
using namespace strata::ufdl;

Object::Ptr json(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

class UfdlFilterSpec : public EntityStoreFixture {
 protected:
  void SetUp() override {
    EntityStoreFixture::SetUp();
    ctx_.entities = store_;
    declareIndexes(ctx_);
    add(kUsers, 1, R"({"username":"alice","password":"pbkdf2$secret","is_staff":false,"email":"a@x.org"})");
    add(kUsers, 2, R"({"username":"bob","password":"pbkdf2$other","is_staff":true,"email":null})");
    add(kTeams, 1, R"({"name":"Alpha","creator":1,"deletion_time":null})");
    add(kTeams, 2, R"({"name":"Beta","creator":2,"deletion_time":null})");
    add(kTeams, 3, R"({"name":"Gamma","creator":1,"deletion_time":"2021-02-01T00:00:00+00:00"})");
    add(kProjects, 1, R"({"name":"p-one","team":1,"deletion_time":null})");
    add(kProjects, 2, R"({"name":"p-two","team":2,"deletion_time":null})");
    add(kProjects, 3, R"({"name":"p-three","team":3,"deletion_time":null})");
    add(kProjects, 4, R"({"name":"p-four","team":1,"deletion_time":"2021-03-01T00:00:00+00:00"})");
    add(kLicences, 1, R"({"name":"MIT","permissions":["commercial-use","modification"],"conditions":[]})");
    add(kLicences, 2, R"({"name":"GPL","permissions":["modification"],"conditions":["disclose-source"]})");
    add(kDatasets, 1,
        R"({"name":"cats","dataset_version":1,"project":1,"licence":1,"is_public":true,
            "description":"Cats in Straße","creation_time":"2021-01-01T00:00:00+00:00","deletion_time":null})");
    add(kDatasets, 2,
        R"({"name":"cats","dataset_version":2,"project":1,"licence":2,"is_public":false,
            "description":null,"creation_time":"2021-05-01T00:00:00+00:00","deletion_time":null})");
    add(kDatasets, 3,
        R"({"name":"Dogs","dataset_version":1,"project":2,"licence":1,"is_public":true,
            "description":"ÉCOLE dogs","creation_time":"2021-07-01T00:00:00+00:00","deletion_time":null})");
    add(kDatasets, 4,
        R"({"name":"birds","dataset_version":1,"project":3,"licence":1,"is_public":false,
            "description":"birds","creation_time":"2021-08-01T00:00:00+00:00","deletion_time":null})");
    add(kDatasets, 5,
        R"({"name":"fish","dataset_version":1,"project":4,"licence":2,"is_public":false,
            "description":"x","creation_time":"2021-09-01T00:00:00+00:00","deletion_time":null})");
    add(kDatasets, 6,
        R"({"name":"cows","dataset_version":1,"project":2,"licence":2,"is_public":true,"description":"x",
            "creation_time":"2021-10-01T00:00:00+00:00","deletion_time":"2021-11-01T00:00:00+00:00"})");
    add(kDatasets, 7,
        R"({"name":"null-project","dataset_version":1,"project":null,"licence":null,"is_public":false,
            "description":"x","creation_time":"2021-12-01T00:00:00+00:00","deletion_time":null})");
  }

  void add(const std::string& collection, int64_t pk, const std::string& body) {
    Object::Ptr b = json(body);
    b->set("pk", pk);
    store_->create(collection, pkId(pk), b);
  }

  ListSpec parse(const std::string& text, const ResourceSchema& schema = datasetSchema()) {
    Var body;
    if (!text.empty()) body = Poco::JSON::Parser().parse(text);
    return parseFilterSpec(ctx_, body, schema);
  }

  // The pks a list body selects, in order.
  std::vector<int64_t> pks(const std::string& text, const ResourceSchema& schema = datasetSchema(),
                           const std::vector<EntityCondition>& extra = {}) {
    std::vector<int64_t> out;
    for (const auto& e : listAll(ctx_, schema.collection, listQuery(parse(text, schema), schema, extra)))
      out.push_back(intField(*e.body, "pk"));
    return out;
  }

  // The 400 a list body gets ("" if none).
  std::string error(const std::string& text, const ResourceSchema& schema = datasetSchema()) {
    try {
      pks(text, schema);
    } catch (const BadRequest& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.code(), "ufdl");
      return e.what();
    } catch (const std::exception& e) {
      return std::string("another exception: ") + e.what();
    }
    return "";
  }

  Context ctx_;
};

using V = std::vector<int64_t>;

TEST_P(UfdlFilterSpec, NoFilterListsActiveRecordsByPkAndIncludeInactiveAddsTheOthers) {
  EXPECT_EQ(pks(""), (V{1, 2, 3, 4, 5, 7}));
  EXPECT_EQ(pks("{}"), (V{1, 2, 3, 4, 5, 7}));
  EXPECT_EQ(pks(R"({"expressions":[],"order_by":[]})"), (V{1, 2, 3, 4, 5, 7}));
  EXPECT_EQ(pks(R"({"include_inactive":true})"), (V{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(pks(R"({"include_inactive":false})"), (V{1, 2, 3, 4, 5, 7}));
  EXPECT_EQ(pks("", teamSchema()), (V{1, 2}));
  EXPECT_EQ(pks(R"({"include_inactive":true})", teamSchema()), (V{1, 2, 3}));
  EXPECT_EQ(pks("", projectSchema()), (V{1, 2, 3}));
  // Users and licences have no soft delete.
  EXPECT_EQ(pks("", userSchema()), (V{1, 2}));
  EXPECT_EQ(pks("", licenceSchema()), (V{1, 2}));
}

TEST_P(UfdlFilterSpec, ExactOnStringsNumbersAndBooleans) {
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"name","value":"cats"}]})"), (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"name","value":"CATS"}]})"), V{});
  // Integers and doubles compare numerically with the stored integers.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project","value":1}]})"), (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project","value":1.0}]})"), (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"is_public","value":true}]})"), (V{1, 3}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"is_public","value":false}]})"), (V{2, 4, 5, 7}));
  // `version` is stored as dataset_version.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"version","value":2}]})"), (V{2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"pk","value":3}]})"), (V{3}));
  // Stages: every expression must hold.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"name","value":"cats"},
                                   {"type":"exact","field":"licence","value":2}]})"),
            (V{2}));
  // Plain exacts on local fields are filters (an index answers them), the rest conditions.
  const ListSpec spec = parse(R"({"expressions":[{"type":"exact","field":"version","value":2},
      {"type":"exact","field":"name","value":"x","case_insensitive":true},
      {"type":"exact","field":"name","value":"x","invert":true},
      {"type":"exact","field":"project.name","value":"x"}]})");
  ASSERT_EQ(spec.filters.size(), 2u);
  EXPECT_EQ(spec.filters[0].field, "dataset_version");
  EXPECT_EQ(spec.filters[0].op, EntityFilter::Op::Eq);
  EXPECT_EQ(spec.filters[1].field, "project");  // no project is named "x": In nothing
  EXPECT_EQ(spec.filters[1].op, EntityFilter::Op::In);
  EXPECT_EQ(spec.conditions.size(), 2u);
  // A dotted path naming one record becomes an Eq filter on the foreign key (indexed).
  const ListSpec one = parse(R"({"expressions":[{"type":"exact","field":"project.name","value":"p-two"}]})");
  ASSERT_EQ(one.filters.size(), 1u);
  EXPECT_EQ(one.filters[0].field, "project");
  EXPECT_EQ(one.filters[0].op, EntityFilter::Op::Eq);
  EXPECT_EQ(one.filters[0].value.convert<int64_t>(), 2);
  EXPECT_TRUE(one.conditions.empty());
  // Users: never the password, but the other fields.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"username","value":"bob"}]})", userSchema()),
            V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"is_staff","value":true}]})", userSchema()), V{2});
}

TEST_P(UfdlFilterSpec, InvertAndCaseInsensitiveIncludingNonAscii) {
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"exact","field":"name","value":"CATS","case_insensitive":true}]})"),
      (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"name","value":"cats","invert":true}]})"),
            (V{3, 4, 5, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"name","value":"dogs","case_insensitive":true,
                                    "invert":true}]})"),
            (V{1, 2, 4, 5, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"name","sub_string":"o"}]})"), (V{3, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"name","sub_string":"D"}]})"), (V{3}));
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"contains","field":"name","sub_string":"D","case_insensitive":true}]})"),
      (V{3, 4}));
  // Non-ASCII: lower-cased as Unicode.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"description","sub_string":"STRAßE"}]})"), V{});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"description","sub_string":"STRAßE",
                                    "case_insensitive":true}]})"),
            V{1});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"description","sub_string":"école",
                                    "case_insensitive":true}]})"),
            V{3});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"description","value":"écolE DOGS",
                                    "case_insensitive":true}]})"),
            V{3});
  // Inverted contains holds for a null description (as Django's exclude does).
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"contains","field":"description","sub_string":"x","invert":true}]})"),
      (V{1, 2, 3, 4}));
}

TEST_P(UfdlFilterSpec, IsNullCompareAndArrays) {
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"description"}]})"), V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"licence"}]})"), V{7});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"project","invert":true}]})"),
            (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"deletion_time","invert":true}],
                   "include_inactive":true})"),
            V{6});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"email"}]})", userSchema()), V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"version","operator":">=","value":2}]})"), V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"version","operator":">","value":1.5}]})"),
            V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"pk","operator":"<=","value":3}]})"),
            (V{1, 2, 3}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"pk","operator":"<","value":3}]})"), (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"creation_time","operator":"<",
                                    "value":"2021-06"}]})"),
            (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"creation_time","operator":"<",
                                    "value":"2021-06","invert":true}]})"),
            (V{3, 4, 5, 7}));
  // A string never compares with a number.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"pk","operator":">","value":"1"}]})"), V{});
  // Array fields: contains is element equality, exact the whole array.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"permissions","sub_string":"modification"}]})",
                licenceSchema()),
            (V{1, 2}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"permissions","sub_string":"commercial"}]})",
                licenceSchema()),
            V{});
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"contains","field":"conditions","sub_string":"disclose-source"}]})",
          licenceSchema()),
      V{2});
}

TEST_P(UfdlFilterSpec, AndOrNesting) {
  EXPECT_EQ(pks(R"({"expressions":[{"type":"and","sub_expressions":[
                     {"type":"exact","field":"name","value":"cats"},
                     {"type":"compare","field":"version","operator":">","value":1}]}]})"),
            V{2});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"and","invert":true,"sub_expressions":[
                     {"type":"exact","field":"name","value":"cats"},
                     {"type":"compare","field":"version","operator":">","value":1}]}]})"),
            (V{1, 3, 4, 5, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"or","sub_expressions":[
                     {"type":"exact","field":"name","value":"Dogs"},
                     {"type":"and","sub_expressions":[{"type":"exact","field":"name","value":"cats"},
                                                      {"type":"exact","field":"is_public","value":true}]}]}]})"),
            (V{1, 3}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"or","invert":true,"sub_expressions":[
                     {"type":"isnull","field":"licence"},
                     {"type":"contains","field":"name","sub_string":"a"}]}]})"),
            (V{3, 4, 5}));
}

TEST_P(UfdlFilterSpec, DottedPathsAcrossRecords) {
  // project.team.name: the projects of the teams so named (soft-deleted ones too, as a join
  // would see them), then the datasets in those projects.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"Alpha"}]})"),
            (V{1, 2, 5}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"alpha",
                                    "case_insensitive":true}]})"),
            (V{1, 2, 5}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"project.team.name","sub_string":"amm"}]})"),
            V{4});
  // invert wraps the whole path: a dataset without a project is not in team Alpha.
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"Alpha","invert":true}]})"),
      (V{3, 4, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.name","value":"p-two"}]})"), V{3});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.name","value":"p-two"}],
                   "include_inactive":true})"),
            (V{3, 6}));
  // invert negates the whole path: a dataset without a project is not "in a project whose
  // deletion_time is null" either.
  EXPECT_EQ(pks(R"({"expressions":[{"type":"isnull","field":"project.deletion_time","invert":true}]})"),
            (V{5, 7}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"compare","field":"project.pk","operator":">=","value":3}]})"),
            (V{4, 5}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.team.creator.username","value":"BOB",
                                    "case_insensitive":true}]})"),
            V{3});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"contains","field":"licence.permissions",
                                    "sub_string":"commercial-use"}]})"),
            (V{1, 3, 4}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"project.team.name","value":"Nobody"}]})"), V{});
  EXPECT_EQ(pks(R"({"expressions":[{"type":"or","sub_expressions":[
                     {"type":"exact","field":"project.team.name","value":"Beta"},
                     {"type":"exact","field":"name","value":"birds"}]}]})"),
            (V{3, 4}));
  EXPECT_EQ(pks(R"({"expressions":[{"type":"exact","field":"team.name","value":"Alpha"}]})", projectSchema()),
            V{1});
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"exact","field":"creator.username","value":"alice"}]})", teamSchema()),
      V{1});
}

TEST_P(UfdlFilterSpec, UnknownFields) {
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"nope","value":1}]})"), "Unknown field 'nope'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"password","value":"x"}]})", userSchema()),
            "Unknown field 'password'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"contains","field":"creator.password","sub_string":"p"}]})"),
            "Unknown field 'creator.password'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"name.length","value":1}]})"),
            "Unknown field 'name.length'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"project.nope","value":1}]})"),
            "Unknown field 'project.nope'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"project.team.name.x","value":1}]})"),
            "Unknown field 'project.team.name.x'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"project.","value":1}]})"),
            "Unknown field 'project.'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"isnull","field":"dataset_version"}]})"),
            "Unknown field 'dataset_version'");
  EXPECT_EQ(error(R"({"expressions":[{"type":"or","sub_expressions":[{"type":"isnull","field":"name"},
                     {"type":"and","sub_expressions":[{"type":"isnull","field":"name"},
                                                      {"type":"isnull","field":"files"}]}]}]})"),
            "Unknown field 'files'");
  EXPECT_EQ(error(R"({"order_by":[{"field":"nope"}]})"), "Unknown field 'nope'");
  // Sorting is on local fields only.
  EXPECT_EQ(error(R"({"order_by":[{"field":"project.name"}]})"), "Unknown field 'project.name'");
  // A malformed body is reported before an unknown field.
  EXPECT_EQ(error(R"({"expressions":[{"type":"exact","field":"nope","value":1}],"x":1})"),
            "Unable to parse JSON: unexpected key 'x' in the filter spec");
}

TEST_P(UfdlFilterSpec, MalformedSpecs) {
  const char* bodies[] = {
      R"([])",
      R"({"filter":[]})",
      R"({"expressions":{}})",
      R"({"expressions":null})",
      R"({"expressions":[1]})",
      R"({"expressions":[null]})",
      R"({"expressions":[{}]})",
      R"({"expressions":[{"type":3,"field":"name","value":"a"}]})",
      R"({"expressions":[{"type":"EXACT","field":"name","value":"a"}]})",
      R"({"expressions":[{"type":"is_null","field":"name"}]})",
      R"({"expressions":[{"type":"exact","field":"name"}]})",
      R"({"expressions":[{"type":"exact","value":"a"}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":"a","extra":1}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":null}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":["a"]}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":{"a":1}}]})",
      R"({"expressions":[{"type":"exact","field":3,"value":"a"}]})",
      R"({"expressions":[{"type":"exact","field":"","value":"a"}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":"a","invert":"yes"}]})",
      R"({"expressions":[{"type":"exact","field":"name","value":"a","case_insensitive":1}]})",
      R"({"expressions":[{"type":"contains","field":"name","value":"a"}]})",
      R"({"expressions":[{"type":"contains","field":"name","sub_string":""}]})",
      R"({"expressions":[{"type":"contains","field":"name","sub_string":3}]})",
      R"({"expressions":[{"type":"isnull","field":"name","value":true}]})",
      R"({"expressions":[{"type":"isnull","field":"name","case_insensitive":true}]})",
      R"({"expressions":[{"type":"compare","field":"pk","operator":"=","value":1}]})",
      R"({"expressions":[{"type":"compare","field":"pk","operator":"!=","value":1}]})",
      R"({"expressions":[{"type":"compare","field":"pk","operator":"<","value":true}]})",
      R"({"expressions":[{"type":"compare","field":"pk","operator":"<"}]})",
      R"({"expressions":[{"type":"compare","field":"pk","value":1}]})",
      R"({"expressions":[{"type":"compare","field":"pk","operator":"<","value":1,"case_insensitive":true}]})",
      R"({"expressions":[{"type":"and","sub_expressions":[{"type":"isnull","field":"name"}]}]})",
      R"({"expressions":[{"type":"and","sub_expressions":[]}]})",
      R"({"expressions":[{"type":"and","sub_expressions":{}}]})",
      R"({"expressions":[{"type":"and"}]})",
      R"({"expressions":[{"type":"and","field":"name","sub_expressions":[{"type":"isnull","field":"name"},
                          {"type":"isnull","field":"name"}]}]})",
      R"({"expressions":[{"type":"or","sub_expressions":[{"type":"isnull","field":"name"}]}]})",
      R"({"expressions":[{"type":"and","sub_expressions":[{"type":"isnull","field":"name"},
          {"type":"and","sub_expressions":[{"type":"isnull","field":"name"},{"type":"isnull","field":"pk"}]}]}]})",
      R"({"expressions":[{"type":"and","sub_expressions":[{"type":"isnull","field":"name"},
          {"type":"or","sub_expressions":[{"type":"isnull","field":"name"},{"type":"isnull","field":"pk"}]}]}]})",
      R"({"expressions":[{"type":"or","sub_expressions":[{"type":"isnull","field":"name"},
          {"type":"or","sub_expressions":[{"type":"isnull","field":"name"},{"type":"isnull","field":"pk"}]}]}]})",
      R"({"expressions":[{"type":"or","sub_expressions":[{"type":"isnull","field":"name"},
          {"type":"and","sub_expressions":[{"type":"isnull","field":"name"},
            {"type":"and","sub_expressions":[{"type":"isnull","field":"name"},{"type":"isnull","field":"pk"}]}]}]}]})",
      R"({"expressions":[{"type":"or","sub_expressions":[{"type":"isnull","field":"name"},
          {"type":"exact","field":"name"}]}]})",
      R"({"include_inactive":"yes"})",
      R"({"include_inactive":null})",
      R"({"order_by":{"field":"name"}})",
      R"({"order_by":["name"]})",
      R"({"order_by":[{"ascending":true}]})",
      R"({"order_by":[{"field":"name","descending":true}]})",
      R"({"order_by":[{"field":"name","ascending":"no"}]})",
      R"({"order_by":[{"field":"name","nulls_first":1}]})",
      R"({"order_by":[{"field":""}]})",
  };
  for (const char* body : bodies) {
    const std::string message = error(body);
    EXPECT_EQ(message.rfind("Unable to parse JSON: ", 0), 0u) << body << " -> '" << message << "'";
  }
  // Bodies that are not objects (the routes' JSON reader refuses them first, but the filter
  // takes any value).
  for (const Var& body : {Var(3), Var(std::string("expressions")), Var(true)})
    EXPECT_THROW(parseFilterSpec(ctx_, body, datasetSchema()), BadRequest);
  EXPECT_EQ(
      error(R"({"expressions":[{"type":"and","sub_expressions":[{"type":"isnull","field":"name"}]}]})"),
      "Unable to parse JSON: 'sub_expressions' of 'and' expression must hold at least 2 expressions, not 1");
  EXPECT_EQ(error(R"({"expressions":[{"type":"compare","field":"pk","operator":"=","value":1}]})"),
            "Unable to parse JSON: 'operator' of 'compare' expression must be one of <, >, <=, >=, not '='");
}

TEST_P(UfdlFilterSpec, OrderByWithNulls) {
  // Bytes order: "C" < "b" < "x" < "É"; description is null on 2 only. Without nulls_first,
  // nulls are last ascending and first descending (as on PostgreSQL).
  EXPECT_EQ(pks(R"({"order_by":[{"field":"description"}]})"), (V{1, 4, 5, 7, 3, 2}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"description","ascending":true,"nulls_first":true}]})"),
            (V{2, 1, 4, 5, 7, 3}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"description","nulls_first":null}]})"), (V{1, 4, 5, 7, 3, 2}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"description","ascending":false}]})"), (V{2, 3, 5, 7, 4, 1}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"description","ascending":false,"nulls_first":false}]})"),
            (V{3, 5, 7, 4, 1, 2}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"name"},{"field":"version","ascending":false}]})"),
            (V{3, 4, 2, 1, 5, 7}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"pk","ascending":false}]})"), (V{7, 5, 4, 3, 2, 1}));
  EXPECT_EQ(pks(R"({"order_by":[{"field":"licence","nulls_first":true},{"field":"pk","ascending":false}],
                   "expressions":[{"type":"compare","field":"pk","operator":">","value":1}]})"),
            (V{7, 4, 3, 5, 2}));
  const ListSpec spec = parse(R"({"order_by":[{"field":"version","ascending":false,"nulls_first":false}]})");
  ASSERT_EQ(spec.order.size(), 1u);
  EXPECT_EQ(spec.order[0].field, "dataset_version");
  EXPECT_TRUE(spec.order[0].descending);
  EXPECT_EQ(spec.order[0].nulls, EntityOrder::Nulls::Last);
}

TEST_P(UfdlFilterSpec, ListQueryAddsExtraConditions) {
  // As the visibility of a caller who sees public datasets and those of team Beta would be.
  EntityCondition visible;
  visible.kind = EntityCondition::Kind::Or;
  EntityCondition pub;
  pub.filter.field = "is_public";
  pub.filter.value = true;
  EntityCondition beta;
  beta.filter.field = "project";
  beta.filter.op = EntityFilter::Op::In;
  beta.filter.value = std::vector<Var>{Var(2)};
  visible.operands = {pub, beta};
  EXPECT_EQ(pks("", datasetSchema(), {visible}), (V{1, 3}));
  EXPECT_EQ(pks(R"({"include_inactive":true})", datasetSchema(), {visible}), (V{1, 3, 6}));
  EXPECT_EQ(
      pks(R"({"expressions":[{"type":"exact","field":"name","value":"cats"}]})", datasetSchema(), {visible}),
      V{1});
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlFilterSpec, testing::Values(memoryBackend(), rocksdbBackend()),
                         backendName);

}  // namespace
}  // namespace strata::test
