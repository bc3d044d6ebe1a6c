// The entities role contract, part 5: declared indexes (EntityStore::declareIndex) never
// change what list() returns. Run against every backend that serves the role; on rocksdb the
// Eq filters below are answered from the index.
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Parser.h>

#include <atomic>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

Object::Ptr json(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

EntityFilter eq(const std::string& field, Var value) {
  EntityFilter f;
  f.field = field;
  f.value = std::move(value);
  return f;
}

class EntityIndexContract : public EntityStoreFixture {
 protected:
  // Entities with values of every kind under "v", "o.name" and "flag".
  void fill(const std::string& collection) {
    const char* bodies[] = {R"({"v":"a","o":{"name":"x"},"flag":true})",
                            R"({"v":"b","o":{"name":"y"},"flag":false})",
                            R"({"v":1,"o":{"name":"x"}})",
                            R"({"v":1.0,"o":{"name":1}})",
                            R"({"v":2.5,"o":"not an object"})",
                            R"({"v":null,"flag":true})",
                            R"({"v":[1,2],"o":{}})",
                            R"({"v":{"k":1}})",
                            R"({"v":"a\u0000b","flag":1})",
                            R"({"v":-0.0})",
                            R"({"v":0})",
                            R"({"v":"A"})",
                            R"({})"};
    int i = 0;
    for (const char* body : bodies) store_->create(collection, "e" + std::to_string(10 + i++), json(body));
  }

  std::vector<std::string> ids(const std::string& collection, const EntityQuery& q) {
    std::vector<std::string> out;
    const EntityPage page = store_->list(collection, q);
    for (const auto& e : page.items) out.push_back(e.id);
    out.push_back("total " + std::to_string(page.total));
    return out;
  }

  // Every probe gives the same answer on the indexed collection as on the plain one.
  void expectSameAnswers(const std::string& indexed, const std::string& plain) {
    const std::vector<EntityQuery> probes = [] {
      std::vector<EntityQuery> out;
      const std::vector<std::pair<std::string, Var>> values{{"v", std::string("a")},
                                                            {"v", 1},
                                                            {"v", 1.0},
                                                            {"v", Poco::Int64(0)},
                                                            {"v", -0.0},
                                                            {"v", 2.5},
                                                            {"v", true},
                                                            {"v", std::string("a\0b", 3)},
                                                            {"v", Var()},
                                                            {"o.name", std::string("x")},
                                                            {"o.name", 1},
                                                            {"flag", true},
                                                            {"flag", false},
                                                            {"flag", 1},
                                                            {"v", std::string("missing")}};
      for (const auto& [field, value] : values) {
        EntityQuery q;
        q.filters.push_back(eq(field, value));
        out.push_back(q);
      }
      EntityQuery ci;  // case-insensitive: never from the index, same answer
      ci.filters.push_back(eq("v", std::string("a")));
      ci.filters.back().caseInsensitive = true;
      out.push_back(ci);
      EntityQuery paged;  // with a second filter, another order, a page and an id prefix
      paged.filters.push_back(eq("o.name", std::string("x")));
      paged.filters.push_back(eq("flag", true));
      out.push_back(paged);
      EntityQuery sorted;
      sorted.filters.push_back(eq("v", 1));
      sorted.sortBy = "o.name";  // a body field: the two collections' own times differ
      sorted.descending = true;
      sorted.limit = 1;
      sorted.offset = 1;
      out.push_back(sorted);
      EntityQuery prefixed;
      prefixed.filters.push_back(eq("v", 1));
      prefixed.idPrefix = "e13";
      out.push_back(prefixed);
      // In: from the index when every value is one it holds, else a scan; same answers.
      for (const std::vector<Var>& list :
           std::vector<std::vector<Var>>{{std::string("a"), 1, true},
                                         {std::string("b"), 2.5, std::string("A")},
                                         {Var(), std::string("a")},
                                         {},
                                         {1.0, Poco::Int64(0)}}) {
        EntityQuery in;
        in.filters.push_back(eq("v", list));
        in.filters.back().op = EntityFilter::Op::In;
        out.push_back(in);
      }
      // Conditions: an Or of indexed filters (the union), an And through one operand, an Or
      // with a non-indexed operand, a negated Or, and an Or inside an And.
      const auto cond = [](EntityFilter f) {
        EntityCondition c;
        c.filter = std::move(f);
        return c;
      };
      const auto group = [](EntityCondition::Kind kind, std::vector<EntityCondition> operands, bool negate) {
        EntityCondition c;
        c.kind = kind;
        c.operands = std::move(operands);
        c.negate = negate;
        return c;
      };
      EntityFilter inX = eq("o.name", std::vector<Var>{std::string("x"), std::string("y")});
      inX.op = EntityFilter::Op::In;
      EntityFilter contains = eq("v", std::string("a"));
      contains.op = EntityFilter::Op::Contains;
      for (const auto& c :
           {group(EntityCondition::Kind::Or, {cond(eq("flag", true)), cond(inX)}, false),
            group(EntityCondition::Kind::And, {cond(contains), cond(eq("flag", true))}, false),
            group(EntityCondition::Kind::Or, {cond(eq("flag", true)), cond(contains)}, false),
            group(EntityCondition::Kind::Or, {cond(eq("flag", true)), cond(eq("v", 1))}, true),
            group(EntityCondition::Kind::And,
                  {group(EntityCondition::Kind::Or, {cond(eq("v", std::string("b"))), cond(eq("v", 2.5))},
                         false),
                   cond(eq("flag", false))},
                  false),
            group(EntityCondition::Kind::Or, {}, false)}) {
        EntityQuery q;
        q.conditions.push_back(c);
        out.push_back(q);
        q.idPrefix = "e1";
        q.orderBy = {{"v", true, EntityOrder::Nulls::First}};
        out.push_back(q);
      }
      return out;
    }();
    for (std::size_t i = 0; i < probes.size(); ++i)
      EXPECT_EQ(ids(indexed, probes[i]), ids(plain, probes[i])) << "probe " << i;
  }

  void declare(const std::string& collection) {
    for (const char* field : {"v", "o.name", "flag"}) store_->declareIndex(collection, field);
  }
};

TEST_P(EntityIndexContract, RefusesOwnAndEmptyFields) {
  EXPECT_THROW(store_->declareIndex("c", ""), BadRequest);
  EXPECT_THROW(store_->declareIndex("", "v"), BadRequest);
  for (const char* own : {"id", "created", "modified", "version"})
    EXPECT_THROW(store_->declareIndex("c", own), BadRequest) << own;
}

TEST_P(EntityIndexContract, DeclaredBeforeOrAfterTheDataListsTheSame) {
  declare("before");
  fill("before");
  fill("plain");
  fill("after");
  declare("after");
  declare("after");  // idempotent
  expectSameAnswers("before", "plain");
  expectSameAnswers("after", "plain");
}

TEST_P(EntityIndexContract, UpdatesRemovesAndBatchesKeepTheIndexRight) {
  declare("idx");
  for (const std::string c : {"idx", "plain"}) {
    fill(c);
    store_->update(c, "e10", json(R"({"v":1,"o":{"name":"y"}})"), "");  // "a" -> 1
    store_->update(c, "e12", json(R"({"v":"a"})"), "");                 // 1 -> "a"
    store_->remove(c, "e11", "");
    EntityBatch batch;
    batch.update(c, "e13", json(R"({"v":2.5,"flag":true})"))
        .remove(c, "e14")
        .create(c, "e30", json(R"({"v":"a"})"))
        .update(c, "e30", json(R"({"v":"b","o":{"name":"x"}})"))
        .create(c, "e31", json(R"({"v":1})"))
        .remove(c, "e31");
    store_->apply(batch);
  }
  expectSameAnswers("idx", "plain");
  // A failed batch leaves the index alone too.
  EntityBatch failing;
  failing.update("idx", "e30", json(R"({"v":"zzz"})")).create("idx", "e10", json("{}"));
  EXPECT_THROW(store_->apply(failing), Conflict);
  expectSameAnswers("idx", "plain");
}

TEST_P(EntityIndexContract, IndexesSurviveARestart) {
  if (GetParam().backend == "memory") GTEST_SKIP() << "the memory backend keeps nothing over a restart";
  declare("idx");
  fill("idx");
  fill("plain");
  close();
  open();
  // Not declared again: the store remembers, and keeps the entries up to date.
  store_->update("idx", "e10", json(R"({"v":1})"), "");
  store_->update("plain", "e10", json(R"({"v":1})"), "");
  expectSameAnswers("idx", "plain");
}

TEST_P(EntityIndexContract, DeclaringWhileOthersWriteMissesNothing) {
  for (int i = 0; i < 200; ++i) store_->create("c", "e" + std::to_string(i), json(R"({"v":0})"));
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t)
    writers.emplace_back([&, t] {
      for (int round = 1; !done; ++round)
        for (int i = t; i < 200; i += 3) store_->update("c", "e" + std::to_string(i), json(R"({"v":1})"), "");
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store_->declareIndex("c", "v");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  done = true;
  for (auto& th : writers) th.join();
  for (int value : {0, 1}) {
    EntityQuery q;
    q.filters.push_back(eq("v", value));
    q.limit = 1000;
    const EntityPage page = store_->list("c", q);
    uint64_t expected = 0;
    EntityQuery all;
    all.limit = 1000;
    for (const auto& e : store_->list("c", all).items) expected += e.body->getValue<int>("v") == value;
    EXPECT_EQ(page.total, expected) << "v == " << value;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EntityIndexContract,
                         testing::Values(memoryBackend(), rocksdbBackend(), sqlBackend(),
                                         sqlPostgresBackend()),
                         backendName);

}  // namespace
}  // namespace strata::test
