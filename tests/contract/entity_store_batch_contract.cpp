// The entities role contract, part 4: atomic batches (EntityStore::apply), run against every
// backend that serves the role, with threads for the atomicity claims.
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <functional>
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

// Runs `action`, which must throw E whose message starts with `start`.
template <typename E>
void expectFailure(const std::function<void()>& action, const std::string& start) {
  try {
    action();
    ADD_FAILURE() << "expected an exception starting '" << start << "'";
  } catch (const E& e) {
    EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
  }
}

class EntityBatchContract : public EntityStoreFixture {
 protected:
  std::vector<std::string> idsIn(const std::string& collection) {
    std::vector<std::string> out;
    EntityQuery q;
    q.limit = 100000;
    for (const auto& e : store_->list(collection, q).items) out.push_back(e.id);
    return out;
  }
};

TEST_P(EntityBatchContract, AppliesEveryOperationAndReturnsOneEntityEach) {
  const Entity a = store_->create("c", "a", json(R"({"n":1})"));
  const Entity b = store_->create("c", "b", json(R"({"n":2})"));
  const Entity k = store_->create("k", "x", json(R"({"n":3})"));
  EntityBatch batch;
  batch.create("c", "new", json(R"({"n":4})"))
      .update("c", "a", json(R"({"n":10})"), a.etag)
      .remove("c", "b", b.etag)
      .check("k", "x", k.etag);
  const std::vector<Entity> out = store_->apply(batch);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].id, "new");
  EXPECT_EQ(out[0].version, 1);
  EXPECT_EQ(out[0].body->getValue<int>("n"), 4);
  EXPECT_EQ(out[1].version, 2);
  EXPECT_NE(out[1].etag, a.etag);
  EXPECT_EQ(out[1].created, a.created);
  EXPECT_EQ(out[1].body->getValue<int>("n"), 10);
  EXPECT_EQ(out[2].id, "b");
  EXPECT_EQ(out[2].etag, b.etag);  // as it was
  EXPECT_EQ(out[2].body->getValue<int>("n"), 2);
  EXPECT_EQ(out[3].etag, k.etag);

  EXPECT_EQ(store_->get("c", "new").etag, out[0].etag);
  EXPECT_EQ(store_->get("c", "a").etag, out[1].etag);
  EXPECT_FALSE(store_->find("c", "b"));
  EXPECT_EQ(store_->get("k", "x").version, 1);
  EXPECT_EQ(idsIn("c"), (std::vector<std::string>{"a", "new"}));
}

TEST_P(EntityBatchContract, EmptyBatchAndGeneratedIds) {
  EXPECT_TRUE(store_->apply(EntityBatch{}).empty());
  EntityBatch batch;
  batch.create("c", "", json("{}")).create("c", "", json("{}"));
  const auto out = store_->apply(batch);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id.size(), 36u);
  EXPECT_NE(out[0].id, out[1].id);
  EXPECT_EQ(idsIn("c").size(), 2u);
}

TEST_P(EntityBatchContract, RefusesMalformedOperationsBeforeWriting) {
  EntityBatch batch;
  batch.create("c", "x", json("{}")).create("", "y", json("{}"));
  expectFailure<BadRequest>([&] { store_->apply(batch); }, "batch operation 1 (create 'y' in ''): ");
  EntityBatch noId;
  noId.create("c", "x", json("{}")).update("c", "", json("{}"));
  expectFailure<BadRequest>([&] { store_->apply(noId); }, "batch operation 1 (update '' in 'c'): ");
  EXPECT_TRUE(store_->collections().empty());
}

TEST_P(EntityBatchContract, AFailingOperationLeavesNothingBehind) {
  const Entity a = store_->create("c", "a", json(R"({"n":1})"));
  const Entity b = store_->create("c", "b", json(R"({"n":2})"));
  // The first three operations would succeed; the fourth fails in each way.
  const auto attempt = [&](const std::function<void(EntityBatch&)>& last) {
    EntityBatch batch;
    batch.create("c", "new", json("{}")).update("c", "a", json(R"({"n":9})"), a.etag).remove("c", "b", "");
    last(batch);
    return batch;
  };
  expectFailure<Conflict>(
      [&] { store_->apply(attempt([](EntityBatch& x) { x.create("c", "a", json("{}")); })); },
      "batch operation 3 (create 'a' in 'c'): ");
  expectFailure<NotFound>(
      [&] { store_->apply(attempt([](EntityBatch& x) { x.update("c", "missing", json("{}")); })); },
      "batch operation 3 (update 'missing' in 'c'): ");
  expectFailure<PreconditionFailed>(
      [&] { store_->apply(attempt([&](EntityBatch& x) { x.remove("c", "a", a.etag); })); },
      "batch operation 3 (remove 'a' in 'c'): ");  // a's etag changed in operation 1
  expectFailure<NotFound>([&] { store_->apply(attempt([](EntityBatch& x) { x.check("c", "b"); })); },
                          "batch operation 3 (check 'b' in 'c'): ");  // removed in operation 2
  try {
    store_->apply(attempt([&](EntityBatch& x) { x.check("c", "a", "stale"); }));
    ADD_FAILURE() << "a stale check passed";
  } catch (const PreconditionFailed& e) {
    EXPECT_EQ(e.code(), "etag_mismatch");
  }
  EXPECT_EQ(idsIn("c"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->get("c", "a").etag, a.etag);
  EXPECT_EQ(store_->get("c", "a").version, 1);
  EXPECT_EQ(store_->get("c", "b").etag, b.etag);
  // And the same batch with a passing last operation applies.
  store_->apply(attempt([](EntityBatch& x) { x.check("c", "new"); }));
  EXPECT_EQ(idsIn("c"), (std::vector<std::string>{"a", "new"}));
}

TEST_P(EntityBatchContract, OperationsSeeTheEarlierOnes) {
  EntityBatch batch;
  batch.create("c", "x", json(R"({"n":1})"))
      .update("c", "x", json(R"({"n":2})"))
      .create("c", "gone", json("{}"))
      .remove("c", "gone")
      .create("c", "gone", json(R"({"again":true})"));
  const auto out = store_->apply(batch);
  EXPECT_EQ(out[1].version, 2);
  EXPECT_EQ(out[1].body->getValue<int>("n"), 2);
  EXPECT_EQ(store_->get("c", "x").version, 2);
  EXPECT_EQ(store_->get("c", "x").etag, out[1].etag);
  EXPECT_EQ(store_->get("c", "gone").version, 1);
  EXPECT_TRUE(store_->get("c", "gone").body->getValue<bool>("again"));

  // Created and removed within one batch: nothing is left, not even the collection.
  EntityBatch transient;
  transient.create("t", "y", json("{}")).remove("t", "y");
  store_->apply(transient);
  EXPECT_FALSE(store_->find("t", "y"));
  EXPECT_EQ(store_->collections(), (std::vector<std::string>{"c"}));
}

TEST_P(EntityBatchContract, ConcurrentBatchesOnOneEtagOneWins) {
  const Entity head = store_->create("c", "head", json("{}"));
  constexpr int kThreads = 8;
  std::atomic<int> wins{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      EntityBatch batch;
      batch.update("c", "head", json("{}"), head.etag).create("c", "by" + std::to_string(t), json("{}"));
      try {
        store_->apply(batch);
        ++wins;
      } catch (const PreconditionFailed&) {
        ++refused;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(refused, kThreads - 1);
  EXPECT_EQ(idsIn("c").size(), 2u);  // head and the winner's entity only
  EXPECT_EQ(store_->get("c", "head").version, 2);
}

// Batches that write the same entities in opposite orders all succeed: a backend that locks
// per entity must not let two of them wait for each other (a deadlock its database breaks by
// failing one).
TEST_P(EntityBatchContract, BatchesInOppositeOrdersAllSucceed) {
  for (const char* id : {"a", "b", "c"}) store_->create("c", id, json(R"({"n":0})"));
  constexpr int kThreads = 4, kRounds = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::vector<std::string> order{"a", "b", "c", "new" + std::to_string(t)};
      if (t % 2) std::reverse(order.begin(), order.end());
      for (int round = 0; round < kRounds; ++round) {
        EntityBatch batch;
        for (const auto& id : order) {
          if (id.rfind("new", 0) == 0)
            batch.create("c", id + "_" + std::to_string(round), json("{}"));
          else
            batch.update("c", id, json(R"({"n":1})"));
        }
        try {
          store_->apply(batch);
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          ++failures;
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(store_->get("c", "a").version, 1 + kThreads * kRounds);
}

// UFDL's copy: read the highest version of a dataset, create version max+1. The precondition
// on the shared "head" entity (updated by every copy) makes concurrent copies that read the
// same max retry instead of creating the same version twice.
TEST_P(EntityBatchContract, ConcurrentCopiesNeverShareAVersion) {
  store_->create("heads", "d", json("{}"));
  constexpr int kThreads = 6, kCopies = 15;
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int copy = 0; copy < kCopies;) {
        const Entity head = store_->get("heads", "d");
        EntityQuery q;
        q.filters.push_back(EntityFilter{"name", EntityFilter::Op::Eq, std::string("d"), false});
        q.orderBy.push_back(EntityOrder{"version_no", true, EntityOrder::Nulls::Default});
        q.limit = 1;
        const EntityPage page = store_->list("datasets", q);
        const int64_t max = page.items.empty() ? 0 : page.items[0].body->getValue<int64_t>("version_no");
        Object::Ptr body = new Object;
        body->set("name", "d");
        body->set("version_no", max + 1);
        Object::Ptr headBody = new Object;
        headBody->set("latest", max + 1);
        EntityBatch batch;
        batch.update("heads", "d", headBody, head.etag).create("datasets", "", body);
        try {
          store_->apply(batch);
          ++copy;
        } catch (const PreconditionFailed&) {
          ++retries;
        }
      }
    });
  for (auto& th : threads) th.join();
  EntityQuery all;
  all.limit = 100000;
  std::set<int64_t> versions;
  const EntityPage page = store_->list("datasets", all);
  for (const auto& e : page.items)
    EXPECT_TRUE(versions.insert(e.body->getValue<int64_t>("version_no")).second)
        << "version " << e.body->getValue<int64_t>("version_no") << " twice";
  ASSERT_EQ(page.total, std::size_t(kThreads * kCopies));
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), kThreads * kCopies);
  EXPECT_EQ(store_->get("heads", "d").body->getValue<int64_t>("latest"), kThreads * kCopies);
}

// A unique constraint as an entity keyed by the unique value: of concurrent batches creating
// the same key, one succeeds and the others leave nothing.
TEST_P(EntityBatchContract, UniqueKeysAdmitOneOfConcurrentCreators) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      EntityBatch batch;
      batch.create("datasets", "", json(R"({"name":"d","version":1})"))
          .create("datasets_unique",
                  std::string("d\0"
                              "1",
                              3),
                  json("{}"));
      try {
        store_->apply(batch);
        ++wins;
      } catch (const Conflict& e) {
        EXPECT_EQ(e.code(), "exists");
        ++conflicts;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(conflicts, kThreads - 1);
  EXPECT_EQ(idsIn("datasets").size(), 1u);
  EXPECT_EQ(idsIn("datasets_unique").size(), 1u);
}

// Readers see all of a batch or none of it: batches move a token between two entities, and
// every list sees exactly one holder.
TEST_P(EntityBatchContract, ReadersNeverSeeHalfABatch) {
  store_->create("c", "a", json(R"({"token":true})"));
  store_->create("c", "b", json(R"({"token":false})"));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      EntityQuery q;
      q.filters.push_back(EntityFilter{"token", EntityFilter::Op::Eq, true, false});
      while (!done) {
        if (store_->list("c", q).total != 1) ++torn;
        ++reads;
      }
    });
  for (int i = 0; i < 300; ++i) {
    const bool toA = i % 2 == 1;
    EntityBatch batch;
    batch.update("c", "a", json(toA ? R"({"token":true})" : R"({"token":false})"))
        .update("c", "b", json(toA ? R"({"token":false})" : R"({"token":true})"));
    store_->apply(batch);
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  EXPECT_EQ(store_->get("c", "a").version, 301);
}

TEST_P(EntityBatchContract, AppliedBatchesSurviveARestart) {
  if (GetParam().backend == "memory") GTEST_SKIP() << "the memory backend keeps nothing over a restart";
  const Entity a = store_->create("c", "a", json("{}"));
  EntityBatch batch;
  batch.update("c", "a", json(R"({"n":1})"), a.etag).create("c", "b", json(R"({"n":2})"));
  const auto out = store_->apply(batch);
  close();
  open();
  EXPECT_EQ(store_->get("c", "a").etag, out[0].etag);
  EXPECT_EQ(store_->get("c", "b").body->getValue<int>("n"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, EntityBatchContract,
                         testing::Values(memoryBackend(), rocksdbBackend(), sqlBackend(),
                                         sqlPostgresBackend()),
                         backendName);

}  // namespace
}  // namespace strata::test
