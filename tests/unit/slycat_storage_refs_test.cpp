// The slycat plugin's reference counts of shared arrayset storage (plugins/slycat/storage_refs.h)
// on real entity stores (memory and rocksdb, opened through their backend plugins) and the
// memory arrays store: counts, the container going exactly with the last reference, storage
// from before the counts, interrupted last releases, and concurrent acquires and releases on
// one storage id losing no count.
#include "contract/store_contract_support.h"
#include "storage_refs.h"

#include <strata/errors.h>
#include <strata/memory_stores.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using slycat::StorageRefs;

class SlycatStorageRefs : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    stores_ = std::make_unique<OpenStores>(storeConfig("entities", GetParam(), dir_.path()));
    entities_ = stores_->registry().entities("t");
    ASSERT_TRUE(entities_);
    arrays_ = makeMemoryArrayStore();
    refs_ = std::make_unique<StorageRefs>(entities_, arrays_);
  }
  void TearDown() override {
    refs_.reset();
    entities_.reset();
    stores_.reset();
  }

  // A new storage as Arraysets::create makes it: the count, then the container.
  void newStorage(const std::string& sid) {
    refs_->add(sid);
    arrays_->createContainer(StorageRefs::container(sid));
  }
  bool exists(const std::string& sid) {
    return arrays_->findContainer(StorageRefs::container(sid)).has_value();
  }

  TempDir dir_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<EntityStore> entities_;
  std::shared_ptr<ArrayStore> arrays_;
  std::unique_ptr<StorageRefs> refs_;
};

TEST_P(SlycatStorageRefs, TheContainerGoesWithTheLastReference) {
  newStorage("s1");
  newStorage("s2");
  EXPECT_EQ(refs_->count("s1"), 1);
  refs_->acquire("s1");
  refs_->acquire("s1");
  EXPECT_EQ(refs_->count("s1"), 3);
  refs_->release("s1");
  refs_->release("s1");
  EXPECT_EQ(refs_->count("s1"), 1);
  EXPECT_TRUE(exists("s1"));
  refs_->release("s1");
  EXPECT_FALSE(exists("s1"));
  EXPECT_FALSE(refs_->count("s1").has_value());
  EXPECT_TRUE(exists("s2"));  // the other storage is untouched
  EXPECT_EQ(refs_->count("s2"), 1);

  // Gone storage cannot be acquired; releasing it again changes nothing.
  EXPECT_THROW(refs_->acquire("s1"), NotFound);
  EXPECT_NO_THROW(refs_->release("s1"));
  EXPECT_FALSE(exists("s1"));
  EXPECT_EQ(refs_->count("s2"), 1);
}

TEST_P(SlycatStorageRefs, StorageFromBeforeTheCountsHasOneReference) {
  arrays_->createContainer(StorageRefs::container("old1"));
  arrays_->createContainer(StorageRefs::container("old2"));
  refs_->acquire("old1");
  EXPECT_EQ(refs_->count("old1"), 2);
  refs_->release("old1");
  EXPECT_TRUE(exists("old1"));
  refs_->release("old1");
  EXPECT_FALSE(exists("old1"));
  // Released without ever being shared: its one reference goes.
  refs_->release("old2");
  EXPECT_FALSE(exists("old2"));
  EXPECT_FALSE(refs_->count("old2").has_value());
}

TEST_P(SlycatStorageRefs, AnInterruptedLastReleaseIsCompleted) {
  newStorage("going");
  newStorage("kept");
  // A stop after the count reached 0 but before the container was deleted.
  Poco::JSON::Object::Ptr zero = new Poco::JSON::Object;
  zero->set("references", 0);
  entities_->update("slycat-storage", "going", zero, "");
  EXPECT_THROW(refs_->acquire("going"), NotFound);  // a count of 0 is never shared again
  EXPECT_TRUE(exists("going"));
  EXPECT_EQ(refs_->finishReleases(), 1u);
  EXPECT_FALSE(exists("going"));
  EXPECT_FALSE(refs_->count("going").has_value());
  EXPECT_TRUE(exists("kept"));
  EXPECT_EQ(refs_->count("kept"), 1);
  EXPECT_EQ(refs_->finishReleases(), 0u);
}

TEST_P(SlycatStorageRefs, ConcurrentAcquiresAndReleasesLoseNoCount) {
  newStorage("s");
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> failures{0};
  auto run = [&](auto&& body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&] {
        try {
          for (int i = 0; i < kEach; ++i) body();
        } catch (...) {
          ++failures;
        }
      });
    for (auto& th : threads) th.join();
  };
  run([&] { refs_->acquire("s"); });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(refs_->count("s"), 1 + kThreads * kEach);
  // Acquires and releases at once: every pair nets zero.
  run([&] {
    refs_->acquire("s");
    refs_->release("s");
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(refs_->count("s"), 1 + kThreads * kEach);
  run([&] { refs_->release("s"); });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(refs_->count("s"), 1);
  EXPECT_TRUE(exists("s"));
  refs_->release("s");
  EXPECT_FALSE(exists("s"));
}

TEST_P(SlycatStorageRefs, ConcurrentFirstSharesOfOldStorageLoseNoCount) {
  arrays_->createContainer(StorageRefs::container("old"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) refs_->acquire("old");
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(refs_->count("old"), 61);
}

INSTANTIATE_TEST_SUITE_P(Entities, SlycatStorageRefs, testing::Values(memoryBackend(), rocksdbBackend()),
                         backendName);

}  // namespace
}  // namespace strata::test
