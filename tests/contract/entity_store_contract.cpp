// The entities role contract (core/include/strata/stores/entity_store.h), run against every
// backend that serves the role.
#include "support/entity_filter.h"
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/entity_store.h>
#include <strata/util.h>

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Poco::JSON::Object;

Object::Ptr json(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

std::vector<std::string> ids(const EntityPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.items) out.push_back(e.id);
  return out;
}

template <typename E>
void expectCode(const std::function<void()>& action, const std::string& code) {
  try {
    action();
    ADD_FAILURE() << "expected an exception with code " << code;
  } catch (const E& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

class EntityStoreContract : public EntityStoreFixture {
 protected:
  // Twelve entities e00..e11 in "things": n is a permutation of 0..10 that differs from the id
  // order (e11 has no n), group is "g<i % 3>".
  void createThings() {
    for (int i = 0; i < 12; ++i) {
      Object::Ptr body = new Object;
      if (i < 11) body->set("n", (i * 7) % 11);
      body->set("group", "g" + std::to_string(i % 3));
      store_->create("things", (i < 10 ? "e0" : "e") + std::to_string(i), body);
    }
  }

  EntityPage things(std::vector<EntityFilter> filters, const std::string& sortBy = "id",
                    bool descending = false, uint64_t offset = 0, uint64_t limit = 100) {
    EntityQuery q;
    q.filters = std::move(filters);
    q.sortBy = sortBy;
    q.descending = descending;
    q.offset = offset;
    q.limit = limit;
    return store_->list("things", q);
  }
};

TEST_P(EntityStoreContract, CreateThenGetReturnsTheEntity) {
  const int64_t before = nowMillis();
  const Entity created = store_->create("users", "alice", json(R"({"name":"Alice","age":30})"));
  const int64_t after = nowMillis();
  EXPECT_EQ(created.collection, "users");
  EXPECT_EQ(created.id, "alice");
  EXPECT_EQ(created.version, 1);
  EXPECT_FALSE(created.etag.empty());
  EXPECT_GE(created.created, before);
  EXPECT_LE(created.created, after);
  EXPECT_EQ(created.modified, created.created);
  ASSERT_TRUE(created.body);
  EXPECT_EQ(created.body->getValue<std::string>("name"), "Alice");

  const Entity got = store_->get("users", "alice");
  EXPECT_EQ(got.etag, created.etag);
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.created, created.created);
  EXPECT_EQ(got.modified, created.modified);
  ASSERT_TRUE(got.body);
  EXPECT_EQ(got.body->getValue<std::string>("name"), "Alice");
  EXPECT_EQ(got.body->getValue<int>("age"), 30);
}

TEST_P(EntityStoreContract, NestedBodiesRoundTrip) {
  store_->create("docs", "d", json(R"({"a":{"b":[1,2.5,"x",true,null]},"s":"é"})"));
  const Entity got = store_->get("docs", "d");
  auto a = got.body->getObject("a");
  ASSERT_TRUE(a);
  auto b = a->getArray("b");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 5u);
  EXPECT_EQ(b->getElement<int>(0), 1);
  EXPECT_DOUBLE_EQ(b->getElement<double>(1), 2.5);
  EXPECT_EQ(b->getElement<std::string>(2), "x");
  EXPECT_TRUE(b->getElement<bool>(3));
  EXPECT_TRUE(b->isNull(4));
  EXPECT_EQ(got.body->getValue<std::string>("s"), "é");
}

TEST_P(EntityStoreContract, EmptyIdGeneratesAUniqueOne) {
  const Entity a = store_->create("c", "", json("{}"));
  const Entity b = store_->create("c", "", json("{}"));
  EXPECT_FALSE(a.id.empty());
  EXPECT_NE(a.id, b.id);
  EXPECT_TRUE(store_->find("c", a.id).has_value());
}

TEST_P(EntityStoreContract, DuplicateIdIsConflict) {
  store_->create("c", "x", json(R"({"v":1})"));
  expectCode<Conflict>([&] { store_->create("c", "x", json(R"({"v":2})")); }, "exists");
  EXPECT_EQ(store_->get("c", "x").body->getValue<int>("v"), 1);
  // Ids are unique per collection only.
  EXPECT_NO_THROW(store_->create("other", "x", json("{}")));
}

TEST_P(EntityStoreContract, MissingEntitiesAreNotFound) {
  EXPECT_FALSE(store_->find("c", "nope").has_value());
  EXPECT_THROW(store_->get("c", "nope"), NotFound);
  EXPECT_THROW(store_->update("c", "nope", json("{}"), ""), NotFound);
  EXPECT_THROW(store_->remove("c", "nope", ""), NotFound);
  store_->create("c", "x", json("{}"));
  EXPECT_FALSE(store_->find("c", "nope").has_value());
  EXPECT_FALSE(store_->find("d", "x").has_value());
}

TEST_P(EntityStoreContract, EmptyCollectionOrIdIsBadRequest) {
  EXPECT_THROW(store_->create("", "x", json("{}")), BadRequest);
  EXPECT_THROW(store_->find("", "x"), BadRequest);
  EXPECT_THROW(store_->find("c", ""), BadRequest);
  EXPECT_THROW(store_->update("c", "", json("{}"), ""), BadRequest);
  EXPECT_THROW(store_->remove("c", "", ""), BadRequest);
  EXPECT_THROW(store_->list("", EntityQuery{}), BadRequest);
}

TEST_P(EntityStoreContract, ReturnedAndPassedBodiesAreCopies) {
  Object::Ptr body = json(R"({"v":1,"inner":{"w":1}})");
  Entity created = store_->create("c", "x", body);
  body->set("v", 2);
  body->getObject("inner")->set("w", 2);
  created.body->set("v", 3);
  created.body->getObject("inner")->set("w", 3);
  Entity got = store_->get("c", "x");
  EXPECT_EQ(got.body->getValue<int>("v"), 1);
  EXPECT_EQ(got.body->getObject("inner")->getValue<int>("w"), 1);
  got.body->set("v", 4);
  EXPECT_EQ(store_->get("c", "x").body->getValue<int>("v"), 1);
}

TEST_P(EntityStoreContract, UpdateReplacesBodyAndBumpsEtagAndVersion) {
  const Entity v1 = store_->create("c", "x", json(R"({"a":1,"b":1})"));
  const Entity v2 = store_->update("c", "x", json(R"({"a":2})"), "");
  EXPECT_EQ(v2.version, 2);
  EXPECT_NE(v2.etag, v1.etag);
  EXPECT_EQ(v2.created, v1.created);
  EXPECT_GE(v2.modified, v1.modified);
  EXPECT_EQ(v2.body->getValue<int>("a"), 2);
  EXPECT_FALSE(v2.body->has("b"));

  // The etag changes even when the body does not.
  const Entity v3 = store_->update("c", "x", json(R"({"a":2})"), v2.etag);
  EXPECT_EQ(v3.version, 3);
  EXPECT_NE(v3.etag, v2.etag);
  EXPECT_NE(v3.etag, v1.etag);

  const Entity got = store_->get("c", "x");
  EXPECT_EQ(got.etag, v3.etag);
  EXPECT_EQ(got.version, 3);
  EXPECT_EQ(got.body->getValue<int>("a"), 2);
}

TEST_P(EntityStoreContract, ConditionalUpdateWithAStaleEtagFails) {
  const Entity v1 = store_->create("c", "x", json(R"({"a":1})"));
  store_->update("c", "x", json(R"({"a":2})"), v1.etag);
  expectCode<PreconditionFailed>([&] { store_->update("c", "x", json(R"({"a":3})"), v1.etag); },
                                 "etag_mismatch");
  expectCode<PreconditionFailed>([&] { store_->update("c", "x", json(R"({"a":3})"), "not-an-etag"); },
                                 "etag_mismatch");
  const Entity got = store_->get("c", "x");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.body->getValue<int>("a"), 2);
}

TEST_P(EntityStoreContract, ConditionalRemove) {
  const Entity v1 = store_->create("c", "x", json("{}"));
  const Entity v2 = store_->update("c", "x", json("{}"), "");
  expectCode<PreconditionFailed>([&] { store_->remove("c", "x", v1.etag); }, "etag_mismatch");
  EXPECT_TRUE(store_->find("c", "x").has_value());
  store_->remove("c", "x", v2.etag);
  EXPECT_FALSE(store_->find("c", "x").has_value());
  EXPECT_THROW(store_->remove("c", "x", ""), NotFound);
  // The id is free again, and a new entity starts over at version 1.
  EXPECT_EQ(store_->create("c", "x", json("{}")).version, 1);
}

TEST_P(EntityStoreContract, ConcurrentConditionalUpdatesHaveExactlyOneWinner) {
  const Entity v1 = store_->create("c", "x", json(R"({"writer":-1})"));
  constexpr int kThreads = 8;
  std::atomic<bool> go{false};
  std::atomic<int> wins{0}, mismatches{0}, others{0};
  std::atomic<int> winner{-1};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Object::Ptr body = new Object;
      body->set("writer", t);
      while (!go.load()) std::this_thread::yield();
      try {
        store_->update("c", "x", body, v1.etag);
        ++wins;
        winner = t;
      } catch (const PreconditionFailed&) {
        ++mismatches;
      } catch (...) {
        ++others;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(mismatches.load(), kThreads - 1);
  EXPECT_EQ(others.load(), 0);
  const Entity got = store_->get("c", "x");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(got.body->getValue<int>("writer"), winner.load());
}

TEST_P(EntityStoreContract, ConcurrentCreatesOfOneIdHaveExactlyOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<bool> go{false};
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      try {
        store_->create("c", "same", json("{}"));
        ++wins;
      } catch (const Conflict&) {
        ++conflicts;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
}

TEST_P(EntityStoreContract, ConcurrentUnconditionalUpdatesEachCountOnce) {
  store_->create("c", "x", json("{}"));
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::thread> threads;
  std::mutex etagsMutex;
  std::set<std::string> etags;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Object::Ptr body = new Object;
        body->set("t", t);
        const Entity e = store_->update("c", "x", body, "");
        std::lock_guard lock(etagsMutex);
        etags.insert(e.etag);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_->get("c", "x").version, 1 + kThreads * kEach);
  EXPECT_EQ(etags.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST_P(EntityStoreContract, ListFilters) {
  createThings();
  using Op = EntityFilter::Op;
  EXPECT_EQ(ids(things({filter("group", Op::Eq, "g1")})),
            (std::vector<std::string>{"e01", "e04", "e07", "e10"}));
  EXPECT_EQ(things({filter("group", Op::Ne, "g0")}).total, 8u);
  EXPECT_EQ(ids(things({filter("n", Op::Lt, 3)})), (std::vector<std::string>{"e00", "e05", "e08"}));
  EXPECT_EQ(ids(things({filter("n", Op::Le, 3)})), (std::vector<std::string>{"e00", "e02", "e05", "e08"}));
  EXPECT_EQ(ids(things({filter("n", Op::Gt, 9)})), (std::vector<std::string>{"e03"}));
  EXPECT_EQ(ids(things({filter("n", Op::Ge, 5)})),
            (std::vector<std::string>{"e01", "e03", "e04", "e06", "e07", "e09"}));
  EXPECT_EQ(ids(things({filter("n", Op::Eq, 10)})), (std::vector<std::string>{"e03"}));
  // A filter on a missing field does not hold, not even Ne.
  EXPECT_EQ(things({filter("n", Op::Ne, 3)}).total, 10u);
  // Numbers compare numerically whatever their C++ type.
  EXPECT_EQ(ids(things({filter("n", Op::Eq, 10.0)})), (std::vector<std::string>{"e03"}));
  EXPECT_EQ(ids(things({filter("n", Op::Gt, 9.5)})), (std::vector<std::string>{"e03"}));
  // All filters must hold.
  EXPECT_EQ(ids(things({filter("group", Op::Eq, "g1"), filter("n", Op::Ge, 5)})),
            (std::vector<std::string>{"e01", "e04", "e07"}));
  // The entity's own fields.
  EXPECT_EQ(ids(things({filter("id", Op::Ge, "e10")})), (std::vector<std::string>{"e10", "e11"}));
  EXPECT_EQ(things({filter("version", Op::Eq, 1)}).total, 12u);
  EXPECT_EQ(things({filter("created", Op::Gt, 0)}).total, 12u);
  EXPECT_EQ(things({filter("no_such_field", Op::Eq, 1)}).total, 0u);
  EXPECT_EQ(store_->list("no_such_collection", EntityQuery{}).total, 0u);
}

TEST_P(EntityStoreContract, ListSortsByBodyFieldsWithMissingFirst) {
  createThings();
  const std::vector<std::string> byN{"e11", "e00", "e08", "e05", "e02", "e10",
                                     "e07", "e04", "e01", "e09", "e06", "e03"};
  EXPECT_EQ(ids(things({}, "n")), byN);
  EXPECT_EQ(ids(things({}, "n", true)), std::vector<std::string>(byN.rbegin(), byN.rend()));
  // Ties break by id.
  EXPECT_EQ(ids(things({}, "group")), (std::vector<std::string>{"e00", "e03", "e06", "e09", "e01", "e04",
                                                                "e07", "e10", "e02", "e05", "e08", "e11"}));
}

TEST_P(EntityStoreContract, ListSortsByEntityFields) {
  createThings();
  std::vector<std::string> byId;
  for (int i = 0; i < 12; ++i) byId.push_back((i < 10 ? "e0" : "e") + std::to_string(i));
  EXPECT_EQ(ids(things({})), byId);
  EXPECT_EQ(ids(things({}, "id", true)), std::vector<std::string>(byId.rbegin(), byId.rend()));

  store_->update("things", "e05", json("{}"), "");
  store_->update("things", "e05", json("{}"), "");
  store_->update("things", "e02", json("{}"), "");
  const auto byVersion = ids(things({}, "version", true));
  ASSERT_EQ(byVersion.size(), 12u);
  EXPECT_EQ(byVersion[0], "e05");
  EXPECT_EQ(byVersion[1], "e02");

  const auto byModified = things({}, "modified");
  for (std::size_t i = 1; i < byModified.items.size(); ++i)
    EXPECT_LE(byModified.items[i - 1].modified, byModified.items[i].modified);
}

TEST_P(EntityStoreContract, ListSortsNumbersNumericallyAndKindsInOrder) {
  const std::vector<std::pair<std::string, std::string>> bodies{
      {"a", R"({"x":10})"},     {"b", R"({"x":2})"},    {"c", R"({"x":2.5})"}, {"d", R"({"x":-1})"},
      {"e", R"({"x":1000.0})"}, {"f", R"({"x":"10"})"}, {"g", R"({"y":1})"},   {"h", R"({"x":"9"})"}};
  for (const auto& [id, body] : bodies) store_->create("k", id, json(body));
  EntityQuery q;
  q.sortBy = "x";
  // Missing first, then numbers by value, then strings by bytes.
  EXPECT_EQ(ids(store_->list("k", q)), (std::vector<std::string>{"g", "d", "b", "c", "a", "e", "f", "h"}));
}

TEST_P(EntityStoreContract, ListPagesAndCountsTheTotal) {
  createThings();
  const EntityPage page = things({}, "n", false, 3, 4);
  EXPECT_EQ(page.total, 12u);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"e05", "e02", "e10", "e07"}));
  const EntityPage last = things({}, "n", false, 10, 5);
  EXPECT_EQ(last.total, 12u);
  EXPECT_EQ(ids(last), (std::vector<std::string>{"e06", "e03"}));
  const EntityPage past = things({}, "n", false, 20, 5);
  EXPECT_EQ(past.total, 12u);
  EXPECT_TRUE(past.items.empty());
  const EntityPage none = things({}, "id", false, 0, 0);
  EXPECT_EQ(none.total, 12u);
  EXPECT_TRUE(none.items.empty());
  // Filters count before paging.
  const EntityPage filtered = things({filter("group", EntityFilter::Op::Eq, "g2")}, "id", false, 1, 2);
  EXPECT_EQ(filtered.total, 4u);
  EXPECT_EQ(ids(filtered), (std::vector<std::string>{"e05", "e08"}));

  // Walking all pages yields every entity once, in order.
  std::vector<std::string> walked;
  for (uint64_t offset = 0;; offset += 5) {
    const EntityPage p = things({}, "n", false, offset, 5);
    if (p.items.empty()) break;
    for (const auto& e : p.items) walked.push_back(e.id);
  }
  EXPECT_EQ(walked, ids(things({}, "n")));
}

TEST_P(EntityStoreContract, ListedEntitiesAreComplete) {
  const Entity created = store_->create("c", "x", json(R"({"a":1})"));
  const EntityPage page = store_->list("c", EntityQuery{});
  ASSERT_EQ(page.items.size(), 1u);
  const Entity& e = page.items[0];
  EXPECT_EQ(e.collection, "c");
  EXPECT_EQ(e.id, "x");
  EXPECT_EQ(e.etag, created.etag);
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.created, created.created);
  ASSERT_TRUE(e.body);
  EXPECT_EQ(e.body->getValue<int>("a"), 1);
}

TEST_P(EntityStoreContract, CollectionsListsNonEmptyCollections) {
  EXPECT_TRUE(store_->collections().empty());
  store_->create("b", "1", json("{}"));
  store_->create("a", "1", json("{}"));
  store_->create("a", "2", json("{}"));
  auto names = store_->collections();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  store_->remove("b", "1", "");
  EXPECT_EQ(store_->collections(), (std::vector<std::string>{"a"}));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, EntityStoreContract,
    testing::Values(memoryBackend(),
                    BackendParam{"rocksdb",
                                 [](const std::string& dir) {
                                   return std::map<std::string, std::string>{{"path", dir + "/db"}};
                                 }},
                    sqlBackend(), sqlPostgresBackend()),
    backendName);

}  // namespace
}  // namespace strata::test
