// The entities contract's query rules in the core (stores/entity_store.h): the functions every
// backend calls to filter and sort.
#include "support/entity_filter.h"
#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <cmath>

namespace strata {
namespace {

using Poco::Dynamic::Var;
using Op = EntityFilter::Op;

Entity entity(const std::string& id, const std::string& body) {
  Entity e;
  e.id = id;
  e.version = 3;
  e.body = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  return e;
}

using test::filter;

TEST(EntityQuery, PathsGoIntoNestedObjectsAndOwnFieldsComeFirst) {
  const Entity e = entity("x", R"({"a":{"b":{"c":7}},"version":"body","s":"str","n":null})");
  EXPECT_EQ(entityField(e, "a.b.c").convert<int>(), 7);
  EXPECT_TRUE(entityField(e, "a.b.d").isEmpty());
  EXPECT_TRUE(entityField(e, "s.length").isEmpty());
  EXPECT_TRUE(entityField(e, "missing.x").isEmpty());
  EXPECT_TRUE(entityField(e, "n").isEmpty());
  EXPECT_EQ(entityField(e, "version").convert<int>(), 3);
}

TEST(EntityQuery, CaseInsensitiveComparisonsLowerCaseUnicode) {
  EXPECT_TRUE(entityFilterHolds(Var(std::string("ÉCOLE")), filter("f", Op::Eq, "école", true)));
  EXPECT_FALSE(entityFilterHolds(Var(std::string("ÉCOLE")), filter("f", Op::Eq, "école")));
  EXPECT_TRUE(entityFilterHolds(Var(std::string("Grande ÉCOLE")), filter("f", Op::Contains, "éc", true)));
  EXPECT_TRUE(entityFilterHolds(Var(std::string("b")), filter("f", Op::Gt, "A", true)));
  // Only strings are lower-cased; other kinds compare as without the flag.
  EXPECT_TRUE(entityFilterHolds(Var(2), filter("f", Op::Eq, 2.0, true)));
}

TEST(EntityQuery, InIsNullAndContainsOnTheirOwn) {
  const std::vector<Var> candidates{Var(1), Var("two"), Var()};
  EXPECT_TRUE(entityFilterHolds(Var(1.0), filter("f", Op::In, candidates)));
  EXPECT_TRUE(entityFilterHolds(Var("two"), filter("f", Op::In, candidates)));
  // A null candidate never selects a missing field: In is a list of values.
  EXPECT_FALSE(entityFilterHolds(Var(), filter("f", Op::In, candidates)));
  EXPECT_FALSE(entityFilterHolds(Var(1), filter("f", Op::In, Var(1))));
  EXPECT_TRUE(entityFilterHolds(Var(), filter("f", Op::IsNull)));
  EXPECT_FALSE(entityFilterHolds(Var(0), filter("f", Op::IsNull)));
  // The three-argument form knows the new operators too.
  EXPECT_TRUE(entityFilterHolds(Var(), Op::IsNull, Var()));
  EXPECT_FALSE(entityFilterHolds(Var(5), Op::Contains, Var(5)));
}

TEST(EntityQuery, ValidateRefusesMalformedQueries) {
  EntityQuery q;
  EXPECT_NO_THROW(validate(q));
  q.filters.push_back(filter("f", Op::In, Var(3)));
  EXPECT_THROW(validate(q), BadRequest);
  q.filters = {filter("f", Op::Contains, Var())};
  EXPECT_THROW(validate(q), BadRequest);
  q.filters = {};
  EntityCondition c;
  c.kind = EntityCondition::Kind::Or;
  c.operands.resize(1);  // an operand filter without a field
  q.conditions = {c};
  EXPECT_THROW(validate(q), BadRequest);
  q.conditions = {};
  q.sortBy = "";
  EXPECT_THROW(validate(q), BadRequest);
}

TEST(EntityQuery, OrderAppliesDirectionsAndNullsPerKey) {
  EntityOrder a;
  a.field = "a";
  a.nulls = EntityOrder::Nulls::Last;
  EntityOrder b;
  b.field = "b";
  b.descending = true;
  const std::vector<EntityOrder> order{a, b};
  const auto keys = [&](const std::string& body) { return entitySortKeys(entity("x", body), order); };
  EXPECT_LT(compareEntityOrder(keys(R"({"a":1,"b":1})"), keys(R"({"b":9})"), order), 0);
  EXPECT_LT(compareEntityOrder(keys(R"({"a":1,"b":2})"), keys(R"({"a":1,"b":1})"), order), 0);
  EXPECT_EQ(compareEntityOrder(keys(R"({"a":1,"b":1})"), keys(R"({"a":1.0,"b":1})"), order), 0);
  EXPECT_TRUE(entityOrderIsById(entityOrder(EntityQuery{})));
}

}  // namespace
}  // namespace strata
