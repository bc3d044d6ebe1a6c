// The entities role contract, part 3: sequences (EntityStore::nextSequence), run against every
// backend that serves the role. Restart survival runs on the persistent backends.
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

class EntitySequenceContract : public EntityStoreFixture {};

TEST_P(EntitySequenceContract, CountsFromOnePerName) {
  EXPECT_EQ(store_->nextSequence("datasets"), 1);
  EXPECT_EQ(store_->nextSequence("datasets"), 2);
  EXPECT_EQ(store_->nextSequence("teams"), 1);
  EXPECT_EQ(store_->nextSequence("datasets"), 3);
  EXPECT_EQ(store_->nextSequence("teams"), 2);
  // Names are compared as bytes: a prefix or a NUL makes another sequence.
  EXPECT_EQ(store_->nextSequence("data"), 1);
  EXPECT_EQ(store_->nextSequence(std::string("datasets\0x", 10)), 1);
}

TEST_P(EntitySequenceContract, EmptyNameIsBadRequest) { EXPECT_THROW(store_->nextSequence(""), BadRequest); }

TEST_P(EntitySequenceContract, SequencesAreNotEntities) {
  store_->nextSequence("things");
  EXPECT_TRUE(store_->collections().empty());
  EXPECT_EQ(store_->list("things", EntityQuery{}).total, 0u);
  // Entities come and go without touching the sequence.
  store_->create("things", "1", new Poco::JSON::Object);
  store_->remove("things", "1", "");
  EXPECT_EQ(store_->nextSequence("things"), 2);
}

TEST_P(EntitySequenceContract, ConcurrentCallersNeverShareAValue) {
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::vector<int64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) got[t].push_back(store_->nextSequence(i % 2 ? "a" : "b"));
    });
  for (auto& th : threads) th.join();
  std::set<int64_t> a, b;
  for (const auto& values : got)
    for (std::size_t i = 0; i < values.size(); ++i) {
      auto& seen = i % 2 ? a : b;
      EXPECT_TRUE(seen.insert(values[i]).second) << "value " << values[i] << " given twice";
    }
  // Exactly 1..n for each, no gaps when nothing fails.
  ASSERT_EQ(a.size(), std::size_t(kThreads * kEach / 2));
  EXPECT_EQ(*a.begin(), 1);
  EXPECT_EQ(*a.rbegin(), kThreads * kEach / 2);
  EXPECT_EQ(*b.rbegin(), kThreads * kEach / 2);
  // Each caller saw its own values rising.
  for (const auto& values : got)
    for (std::size_t i = 2; i < values.size(); ++i) EXPECT_LT(values[i - 2], values[i]);
}

TEST_P(EntitySequenceContract, NoValueIsGivenAgainAfterARestart) {
  if (!persistent()) GTEST_SKIP() << "the memory backend keeps nothing over a restart";
  for (int i = 0; i < 5; ++i) store_->nextSequence("datasets");
  store_->nextSequence("teams");
  close();
  open();
  EXPECT_EQ(store_->nextSequence("datasets"), 6);
  EXPECT_EQ(store_->nextSequence("teams"), 2);
  EXPECT_EQ(store_->nextSequence("users"), 1);
  close();
  open();
  EXPECT_EQ(store_->nextSequence("datasets"), 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, EntitySequenceContract,
                         testing::Values(memoryBackend(), rocksdbBackend(), sqlBackend(),
                                         sqlPostgresBackend()),
                         backendName);

}  // namespace
}  // namespace strata::test
