// The entities role contract, second part: the query extension (In, id prefixes, Contains,
// IsNull, case-insensitive comparisons, dotted paths, and/or/not conditions, several sort keys
// with nulls first or last). Run against every backend that serves the role.
#include "support/entity_filter.h"
#include "contract/rocksdb_perf.h"
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <vector>

namespace strata::test {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;
using Op = EntityFilter::Op;
using Ids = std::vector<std::string>;

Object::Ptr json(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

Ids ids(const EntityPage& page) {
  Ids out;
  for (const auto& e : page.items) out.push_back(e.id);
  return out;
}

EntityCondition leaf(EntityFilter f, bool negate = false) {
  EntityCondition c;
  c.filter = std::move(f);
  c.negate = negate;
  return c;
}

EntityCondition group(EntityCondition::Kind kind, std::vector<EntityCondition> operands,
                      bool negate = false) {
  EntityCondition c;
  c.kind = kind;
  c.operands = std::move(operands);
  c.negate = negate;
  return c;
}

Var list(std::vector<Var> values) { return Var(values); }

class EntityQueryContract : public EntityStoreFixture {
 protected:
  // Datasets much as UFDL keeps them: a name, a release (UFDL's "version": that name is the
  // entity's own version here), a nested project and team, tags, and a deletion time on the
  // soft-deleted ones.
  void createDatasets() {
    store_->create(
        "ds", "1",
        json(R"({"name":"Birds","release":1,"project":{"id":1,"team":{"name":"Red"}},"tags":["a","b"]})"));
    store_->create(
        "ds", "2",
        json(R"({"name":"birds","release":2,"project":{"id":1,"team":{"name":"Red"}},"tags":["b"]})"));
    store_->create(
        "ds", "3",
        json(R"({"name":"Fish","release":1,"project":{"id":2,"team":{"name":"Blue"}},"deletion_time":5})"));
    store_->create(
        "ds", "4",
        json(R"({"name":"Trees","release":3,"project":{"id":2,"team":{"name":"blue"}},"tags":[]})"));
    store_->create("ds", "5", json(R"({"name":"Bird song","project":{"id":3},"deletion_time":null})"));
  }

  EntityPage ds(EntityQuery q) { return store_->list("ds", q); }
};

TEST_P(EntityQueryContract, InOnIdsListsTheNamedEntities) {
  for (int i = 0; i < 10; ++i)
    store_->create("c", "e" + std::to_string(i), json(R"({"n":)" + std::to_string(9 - i) + "}"));
  EntityQuery q;
  q.filters.push_back(filter("id", Op::In, list({"e7", "e2", "missing", "e5", "e2"})));
  auto page = store_->list("c", q);
  EXPECT_EQ(ids(page), (Ids{"e2", "e5", "e7"}));
  EXPECT_EQ(page.total, 3u);
  // With another filter, another order and a page.
  q.filters.push_back(filter("n", Op::Le, 4));
  q.sortBy = "n";
  page = store_->list("c", q);
  EXPECT_EQ(ids(page), (Ids{"e7", "e5"}));
  q.offset = 1;
  q.limit = 1;
  page = store_->list("c", q);
  EXPECT_EQ(ids(page), (Ids{"e5"}));
  EXPECT_EQ(page.total, 2u);
  // A JSON array works as the list too; an empty list selects nothing.
  EntityQuery a;
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  arr->add("e1");
  arr->add("e0");
  a.filters.push_back(filter("id", Op::In, arr));
  a.descending = true;
  EXPECT_EQ(ids(store_->list("c", a)), (Ids{"e1", "e0"}));
  EntityQuery none;
  none.filters.push_back(filter("id", Op::In, list({})));
  EXPECT_EQ(store_->list("c", none).total, 0u);
  // Not a list: BadRequest.
  EntityQuery bad;
  bad.filters.push_back(filter("id", Op::In, "e1"));
  EXPECT_THROW(store_->list("c", bad), BadRequest);
}

TEST_P(EntityQueryContract, InOnFieldsAndCaseInsensitiveComparisons) {
  createDatasets();
  EntityQuery q;
  q.filters.push_back(filter("name", Op::In, list({"birds", "Fish"})));
  EXPECT_EQ(ids(ds(q)), (Ids{"2", "3"}));
  q.filters[0].caseInsensitive = true;
  EXPECT_EQ(ids(ds(q)), (Ids{"1", "2", "3"}));
  // Numbers in a list compare as numbers.
  EntityQuery v;
  v.filters.push_back(filter("release", Op::In, list({2, 3.0})));
  EXPECT_EQ(ids(ds(v)), (Ids{"2", "4"}));
  // Eq and Ne, case-insensitive.
  EntityQuery eq;
  eq.filters.push_back(filter("name", Op::Eq, "BIRDS", true));
  EXPECT_EQ(ids(ds(eq)), (Ids{"1", "2"}));
  eq.filters[0].op = Op::Ne;
  EXPECT_EQ(ids(ds(eq)), (Ids{"3", "4", "5"}));
}

TEST_P(EntityQueryContract, ListingByIdPrefixIsTheRangeOfThatPrefix) {
  // A dataset's layers: "<dataset>/<layer>"; "d1/" must not take "d10/"'s.
  for (const char* id : {"d1", "d1/l1", "d1/l2", "d1/l3", "d10/l1", "d2/l1", "d0/l9", "e"})
    store_->create("layers", id, json(std::string(R"({"name":")") + id + R"("})"));
  EntityQuery q;
  q.idPrefix = "d1/";
  auto page = store_->list("layers", q);
  EXPECT_EQ(ids(page), (Ids{"d1/l1", "d1/l2", "d1/l3"}));
  EXPECT_EQ(page.total, 3u);
  q.descending = true;
  q.limit = 2;
  page = store_->list("layers", q);
  EXPECT_EQ(ids(page), (Ids{"d1/l3", "d1/l2"}));
  EXPECT_EQ(page.total, 3u);
  // With a filter and another sort key.
  EntityQuery f;
  f.idPrefix = "d1";
  f.filters.push_back(filter("name", Op::Ne, "d1/l2"));
  f.sortBy = "name";
  f.descending = true;
  EXPECT_EQ(ids(store_->list("layers", f)), (Ids{"d10/l1", "d1/l3", "d1/l1", "d1"}));
  // A prefix nothing has.
  EntityQuery none;
  none.idPrefix = "x";
  EXPECT_EQ(store_->list("layers", none).total, 0u);
  // With In: both must hold.
  EntityQuery in;
  in.idPrefix = "d1/";
  in.filters.push_back(filter("id", Op::In, list({"d1/l1", "d2/l1"})));
  EXPECT_EQ(ids(store_->list("layers", in)), (Ids{"d1/l1"}));
}

TEST_P(EntityQueryContract, ContainsIsNullAndDottedPaths) {
  createDatasets();
  EntityQuery c;
  c.filters.push_back(filter("name", Op::Contains, "ird"));
  EXPECT_EQ(ids(ds(c)), (Ids{"1", "2", "5"}));
  c.filters[0].value = "BIRD";
  EXPECT_TRUE(ids(ds(c)).empty());
  c.filters[0].caseInsensitive = true;
  EXPECT_EQ(ids(ds(c)), (Ids{"1", "2", "5"}));
  // On an array: an element equal to the value.
  EntityQuery tags;
  tags.filters.push_back(filter("tags", Op::Contains, "b"));
  EXPECT_EQ(ids(ds(tags)), (Ids{"1", "2"}));
  // IsNull: missing or null.
  EntityQuery live;
  live.filters.push_back(filter("deletion_time", Op::IsNull));
  EXPECT_EQ(ids(ds(live)), (Ids{"1", "2", "4", "5"}));
  // Paths into nested objects; a path through a missing member is missing.
  EntityQuery team;
  team.filters.push_back(filter("project.team.name", Op::Eq, "blue", true));
  EXPECT_EQ(ids(ds(team)), (Ids{"3", "4"}));
  EntityQuery noTeam;
  noTeam.filters.push_back(filter("project.team.name", Op::IsNull));
  EXPECT_EQ(ids(ds(noTeam)), (Ids{"5"}));
  EntityQuery deep;
  deep.filters.push_back(filter("project.id", Op::Ge, 2));
  deep.filters.push_back(filter("name.length", Op::IsNull));  // through a string: missing
  EXPECT_EQ(ids(ds(deep)), (Ids{"3", "4", "5"}));
  // Contains needs a non-empty value.
  EntityQuery bad;
  bad.filters.push_back(filter("name", Op::Contains, ""));
  EXPECT_THROW(ds(bad), BadRequest);
  EntityQuery noField;
  noField.filters.push_back(filter("", Op::IsNull));
  EXPECT_THROW(ds(noField), BadRequest);
}

TEST_P(EntityQueryContract, ConditionsCombineWithAndOrNot) {
  createDatasets();
  using Kind = EntityCondition::Kind;
  // (team Red and version 2) or name contains "tree" (case-insensitive), not deleted.
  EntityQuery q;
  q.conditions.push_back(group(Kind::Or, {group(Kind::And, {leaf(filter("project.team.name", Op::Eq, "Red")),
                                                            leaf(filter("release", Op::Eq, 2))}),
                                          leaf(filter("name", Op::Contains, "tree", true))}));
  q.conditions.push_back(leaf(filter("deletion_time", Op::IsNull)));
  auto page = ds(q);
  EXPECT_EQ(ids(page), (Ids{"2", "4"}));
  EXPECT_EQ(page.total, 2u);
  // Negation of a leaf and of a group.
  EntityQuery n;
  n.conditions.push_back(leaf(filter("name", Op::Contains, "bird", true), true));
  EXPECT_EQ(ids(ds(n)), (Ids{"3", "4"}));
  EntityQuery ng;
  ng.conditions.push_back(
      group(Kind::Or, {leaf(filter("release", Op::Eq, 1)), leaf(filter("release", Op::IsNull))}, true));
  EXPECT_EQ(ids(ds(ng)), (Ids{"2", "4"}));
  // Filters and conditions both apply.
  ng.filters.push_back(filter("release", Op::Gt, 2));
  EXPECT_EQ(ids(ds(ng)), (Ids{"4"}));
}

TEST_P(EntityQueryContract, SeveralSortKeysWithNullsFirstOrLast) {
  createDatasets();
  EntityQuery q;
  EntityOrder byVersion;
  byVersion.field = "release";
  EntityOrder byName;
  byName.field = "name";
  byName.descending = true;
  q.orderBy = {byVersion, byName};
  // Default: a missing release is the smallest.
  EXPECT_EQ(ids(ds(q)), (Ids{"5", "3", "1", "2", "4"}));
  q.orderBy[0].nulls = EntityOrder::Nulls::Last;
  EXPECT_EQ(ids(ds(q)), (Ids{"3", "1", "2", "4", "5"}));
  q.orderBy[0].descending = true;
  EXPECT_EQ(ids(ds(q)), (Ids{"4", "2", "3", "1", "5"}));
  q.orderBy[0].nulls = EntityOrder::Nulls::First;
  EXPECT_EQ(ids(ds(q)), (Ids{"5", "4", "2", "3", "1"}));
  // Paged, with the total; orderBy overrides sortBy.
  q.sortBy = "name";
  q.offset = 1;
  q.limit = 2;
  const auto page = ds(q);
  EXPECT_EQ(ids(page), (Ids{"4", "2"}));
  EXPECT_EQ(page.total, 5u);
  // A nested sort key, then the id (ties of the first key by id anyway).
  EntityQuery t;
  EntityOrder team;
  team.field = "project.team.name";
  team.nulls = EntityOrder::Nulls::Last;
  t.orderBy = {team};
  EXPECT_EQ(ids(ds(t)), (Ids{"3", "1", "2", "4", "5"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, EntityQueryContract,
                         testing::Values(memoryBackend(), rocksdbBackend(), sqlBackend(),
                                         sqlPostgresBackend()),
                         backendName);

TEST(RocksDbEntities, PrefixListingsSurviveARestart) {
  TempDir dir;
  const auto config = storeConfig("entities", rocksdbBackend(), dir.path());
  {
    OpenStores stores(config);
    auto store = stores.registry().entities("t");
    for (const char* id : {"a/1", "a/2", "ab/1", "b/1"}) store->create("c", id, json(R"({"x":1})"));
  }
  OpenStores stores(config);
  auto store = stores.registry().entities("t");
  EntityQuery q;
  q.idPrefix = "a/";
  q.filters.push_back(filter("id", Op::In, list({"a/2", "ab/1"})));
  EXPECT_EQ(ids(store->list("c", q)), (Ids{"a/2"}));
}

TEST(RocksDbEntities, AnIdPrefixOrAnIdListReadsOnlyItsEntities) {
  TempDir dir;
  const auto config = storeConfig("entities", rocksdbBackend(), dir.path());
  {
    OpenStores stores(config);
    auto store = stores.registry().entities("t");
    // 200 datasets of 10 layers each, with bodies of about 100 bytes.
    for (int d = 0; d < 200; ++d)
      for (int l = 0; l < 10; ++l)
        store->create("layers", "d" + std::to_string(d) + "/l" + std::to_string(l),
                      json(R"({"name":"a layer with a name long enough to fill a block or two","n":)" +
                           std::to_string(l) + "}"));
  }
  OpenStores stores(config);
  auto store = stores.registry().entities("t");
  RocksDbPerf perf;
  ASSERT_TRUE(perf.found()) << "RocksDB's get_perf_context/SetPerfLevel not found";
  EntityPage page;
  EntityQuery prefix;
  prefix.idPrefix = "d42/";
  prefix.filters.push_back(filter("n", Op::Ge, 5));
  auto counts = perf.count([&] { page = store->list("layers", prefix); });
  EXPECT_EQ(ids(page), (Ids{"d42/l5", "d42/l6", "d42/l7", "d42/l8", "d42/l9"}));
  // The blocks of d42's ten layers, not the hundred or so of the whole collection.
  EXPECT_LT(counts.blocks, 10u);

  EntityQuery in;
  in.filters.push_back(filter("id", Op::In, list({"d7/l1", "d150/l9", "d9/l99"})));
  counts = perf.count([&] { page = store->list("layers", in); });
  EXPECT_EQ(ids(page), (Ids{"d150/l9", "d7/l1"}));
  // Two records found by point lookups.
  EXPECT_LT(counts.valueBytes, 1024u);
  EXPECT_LT(counts.blocks, 10u);
}

}  // namespace
}  // namespace strata::test
