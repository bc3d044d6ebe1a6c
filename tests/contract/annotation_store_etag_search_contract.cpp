// The annotations role contract, second part: blob values, etags and the conditional
// replaceAll, and search() (clauses, target prefix, sort, paging, totals). Run against every
// backend that serves the role; the last test checks what a RocksDB database keeps across a
// restart.
#include "contract/rocksdb_perf.h"
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/annotation_store.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Op = AnnotationOp;
using Targets = std::vector<std::string>;

AnnotationClause clause(const std::string& key, Op op, AnnotationValue value) {
  return AnnotationClause{key, op, std::move(value)};
}

AnnotationSearch search(std::vector<AnnotationClause> clauses, const std::string& prefix = "",
                        const std::string& sortKey = "", bool descending = false, uint64_t offset = 0,
                        uint64_t limit = 100) {
  AnnotationSearch s;
  s.clauses = std::move(clauses);
  s.targetPrefix = prefix;
  s.sortKey = sortKey;
  s.descending = descending;
  s.offset = offset;
  s.limit = limit;
  return s;
}

int64_t longValue(AnnotationStore& store, const std::string& target, const std::string& key) {
  const auto a = store.find(target, key);
  if (!a || a->values.empty()) return -1;
  return std::get<int64_t>(a->values.front());
}

// Releases every waiting thread at once, so that they race for real.
class StartLine {
 public:
  explicit StartLine(int n) : waiting_(n) {}
  void arriveAndWait() {
    waiting_.fetch_sub(1);
    while (waiting_.load() > 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> waiting_;
};

class AnnotationEtagSearchContract : public AnnotationStoreFixture {
 protected:
  // dataset/d00..d19 and layer/l00..l09. Datasets: "species" Human (even) or Mouse (odd),
  // "samples" = 10 * i, "score" = i / 2.0 except for every fifth, which has none; layers have
  // "species" Human and "samples" 1000, so that only the prefix keeps them out.
  void createCatalogue() {
    for (int i = 0; i < 20; ++i) {
      const std::string t = "dataset/d" + std::string(i < 10 ? "0" : "") + std::to_string(i);
      std::vector<Annotation> all{strings("species", {i % 2 ? "Mouse" : "Human"}),
                                  longs("samples", {10 * i})};
      if (i % 5 != 0) all.push_back(doubles("score", {i / 2.0}));
      store_->replaceAll(t, all);
    }
    for (int i = 0; i < 10; ++i)
      store_->replaceAll("layer/l0" + std::to_string(i),
                         {strings("species", {"Human"}), longs("samples", {1000})});
  }
};

TEST_P(AnnotationEtagSearchContract, BlobsRoundTripAsBytesAndAreNeverQueried) {
  const std::string bytes("\0\x01\xff binary \n\0", 13);
  store_->set("x", blobs("raw", {bytes, "", "second"}));
  const auto raw = store_->find("x", "raw");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->type, AnnotationType::Blob);
  ASSERT_EQ(raw->values.size(), 3u);
  EXPECT_EQ(std::get<AnnotationBlob>(raw->values[0]).bytes, bytes);
  EXPECT_EQ(std::get<AnnotationBlob>(raw->values[1]).bytes, "");
  EXPECT_EQ(std::get<AnnotationBlob>(raw->values[2]).bytes, "second");

  store_->replaceAll("y", {blobs("b", {bytes}), strings("s", {"second"})});
  const auto all = store_->read("y").annotations;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, AnnotationType::Blob);
  EXPECT_EQ(all[0].values, (std::vector<AnnotationValue>{AnnotationBlob{bytes}}));

  // A blob is not a string, and is not indexed: a string clause never finds it.
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Blob, {std::string("s")}}), BadRequest);
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::String, {AnnotationBlob{"s"}}}), BadRequest);
  EXPECT_EQ(store_->search(search({clause("raw", Op::Eq, std::string("second"))})).total, 0u);
  EXPECT_EQ(store_->search(search({clause("s", Op::Eq, std::string("second"))})).targets, (Targets{"y"}));
  EXPECT_THROW(store_->search(search({clause("raw", Op::Eq, AnnotationBlob{"second"})})), BadRequest);
  EXPECT_EQ(toString(AnnotationType::Blob), std::string("BLOB"));
  EXPECT_EQ(annotationTypeFromString("blob"), AnnotationType::Blob);

  // Removing a blob annotation leaves no trace (and no index entries to trip over).
  store_->remove("x", "raw");
  EXPECT_FALSE(store_->find("x", "raw"));
  store_->removeAll("y");
  EXPECT_TRUE(store_->list("y").empty());
}

TEST_P(AnnotationEtagSearchContract, EveryWriteGivesAFreshEtagAndEmptyTargetsHaveTheNoAnnotationsEtag) {
  EXPECT_EQ(store_->etag("x"), kNoAnnotationsEtag);
  EXPECT_EQ(store_->read("x").etag, kNoAnnotationsEtag);
  std::set<std::string> seen{kNoAnnotationsEtag};

  store_->set("x", strings("a", {"1"}));
  const std::string e1 = store_->etag("x");
  EXPECT_TRUE(seen.insert(e1).second);
  store_->set("x", strings("b", {"1"}));
  EXPECT_TRUE(seen.insert(store_->etag("x")).second);
  const std::string e3 = store_->replaceAll("x", {strings("a", {"2"}), longs("c", {3})});
  EXPECT_EQ(store_->etag("x"), e3);
  EXPECT_TRUE(seen.insert(e3).second);
  // The same content again is still a write.
  EXPECT_TRUE(seen.insert(store_->replaceAll("x", {strings("a", {"2"}), longs("c", {3})})).second);
  store_->remove("x", "a");
  EXPECT_TRUE(seen.insert(store_->etag("x")).second);
  // Removing what is not there writes nothing.
  const std::string before = store_->etag("x");
  store_->remove("x", "nothing");
  EXPECT_EQ(store_->etag("x"), before);
  // The last key takes the etag with it.
  store_->remove("x", "c");
  EXPECT_EQ(store_->etag("x"), kNoAnnotationsEtag);

  store_->set("x", strings("a", {"1"}));
  EXPECT_TRUE(seen.insert(store_->etag("x")).second);
  store_->removeAll("x");
  EXPECT_EQ(store_->etag("x"), kNoAnnotationsEtag);
  store_->set("x", strings("a", {"1"}));
  EXPECT_EQ(store_->replaceAll("x", {}), kNoAnnotationsEtag);
  EXPECT_EQ(store_->read("x").etag, kNoAnnotationsEtag);
  EXPECT_TRUE(store_->targets("", 0).empty());

  // Etags are per target.
  store_->set("p", strings("a", {"1"}));
  store_->set("q", strings("a", {"1"}));
  EXPECT_NE(store_->etag("p"), store_->etag("q"));
}

TEST_P(AnnotationEtagSearchContract, ReadReturnsTheAnnotationsWithTheirEtag) {
  const std::string etag = store_->replaceAll("x", {strings("b", {"2"}), longs("a", {1})});
  const AnnotationSet set = store_->read("x");
  EXPECT_EQ(set.etag, etag);
  ASSERT_EQ(set.annotations.size(), 2u);
  EXPECT_EQ(set.annotations[0].key, "a");
  EXPECT_EQ(set.annotations[1].key, "b");
  EXPECT_THROW(store_->read(""), BadRequest);
}

TEST_P(AnnotationEtagSearchContract, ConditionalReplaceAllChecksTheEtag) {
  // kNoAnnotationsEtag means "only if the target has no annotations".
  const std::string e1 = store_->replaceAll("x", {strings("a", {"1"})}, kNoAnnotationsEtag);
  EXPECT_NE(e1, kNoAnnotationsEtag);
  try {
    store_->replaceAll("x", {strings("a", {"other"})}, kNoAnnotationsEtag);
    ADD_FAILURE() << "a stale etag was accepted";
  } catch (const PreconditionFailed& e) {
    EXPECT_EQ(e.code(), "etag_mismatch");
  }
  EXPECT_THROW(store_->replaceAll("x", {}, "not-an-etag"), PreconditionFailed);
  EXPECT_EQ(store_->find("x", "a")->values, (std::vector<AnnotationValue>{std::string("1")}));
  EXPECT_EQ(store_->etag("x"), e1);

  const std::string e2 = store_->replaceAll("x", {strings("a", {"2"})}, e1);
  EXPECT_NE(e2, e1);
  EXPECT_THROW(store_->replaceAll("x", {strings("a", {"3"})}, e1), PreconditionFailed);
  // set() is a write too: it makes e2 stale.
  store_->set("x", strings("b", {"1"}));
  EXPECT_THROW(store_->replaceAll("x", {}, e2), PreconditionFailed);
  // An invalid set with the right etag is BadRequest and changes nothing.
  const std::string e3 = store_->etag("x");
  EXPECT_THROW(store_->replaceAll("x", {strings("a", {})}, e3), BadRequest);
  EXPECT_THROW(store_->replaceAll("x", {strings("a", {"1"}), strings("a", {"2"})}, e3), BadRequest);
  EXPECT_EQ(store_->etag("x"), e3);
  // Emptying with the right etag.
  EXPECT_EQ(store_->replaceAll("x", {}, e3), kNoAnnotationsEtag);
  EXPECT_TRUE(store_->list("x").empty());
  EXPECT_TRUE(store_->search(search({clause("a", Op::Eq, std::string("2"))})).targets.empty());
}

TEST_P(AnnotationEtagSearchContract, OfConcurrentWritersWithOneEtagExactlyOneWins) {
  constexpr int kThreads = 16, kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string etag = store_->replaceAll("race", {longs("round", {round})});
    StartLine start(kThreads);
    std::atomic<int> wins{0}, stale{0}, other{0};
    std::atomic<int> winner{-1};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arriveAndWait();
        try {
          store_->replaceAll("race", {longs("round", {round}), longs("writer", {t})}, etag);
          ++wins;
          winner = t;
        } catch (const PreconditionFailed&) {
          ++stale;
        } catch (...) {
          ++other;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(stale.load(), kThreads - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(longValue(*store_, "race", "writer"), winner.load());
  }
}

TEST_P(AnnotationEtagSearchContract, SixteenWritersRetryingOnStaleEtagsLoseNoIncrement) {
  constexpr int kThreads = 16, kEach = 50;
  store_->replaceAll("counter", {longs("n", {0}), strings("label", {"kept"})});
  std::atomic<int> failures{0}, retries{0};
  StartLine start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arriveAndWait();
      try {
        for (int i = 0; i < kEach; ++i) {
          for (;;) {
            AnnotationSet set = store_->read("counter");
            for (auto& a : set.annotations)
              if (a.key == "n") a.values = {std::get<int64_t>(a.values.front()) + 1};
            try {
              store_->replaceAll("counter", set.annotations, set.etag);
              break;
            } catch (const PreconditionFailed&) {
              ++retries;
            }
          }
        }
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(longValue(*store_, "counter", "n"), kThreads * kEach);
  EXPECT_EQ(store_->find("counter", "label")->values, (std::vector<AnnotationValue>{std::string("kept")}));
  // The index agrees with the records.
  EXPECT_EQ(store_->search(search({clause("n", Op::Eq, int64_t{kThreads * kEach})})).targets,
            (Targets{"counter"}));
  EXPECT_EQ(store_->search(search({clause("n", Op::Lt, int64_t{kThreads * kEach})})).total, 0u);
}

TEST_P(AnnotationEtagSearchContract, ClausesAreJoinedByAndWithinTheTargetPrefix) {
  createCatalogue();
  // Human datasets with at least 100 samples: d10, d12, ..., d18.
  const auto humans = store_->search(
      search({clause("species", Op::Eq, std::string("Human")), clause("samples", Op::Ge, int64_t{100})},
             "dataset/"));
  EXPECT_EQ(humans.targets,
            (Targets{"dataset/d10", "dataset/d12", "dataset/d14", "dataset/d16", "dataset/d18"}));
  EXPECT_EQ(humans.total, 5u);
  // The clause order does not matter.
  EXPECT_EQ(store_
                ->search(search({clause("samples", Op::Ge, int64_t{100}),
                                 clause("species", Op::Eq, std::string("Human"))},
                                "dataset/"))
                .targets,
            humans.targets);
  // Without the prefix the layers match too; with theirs, only they do.
  EXPECT_EQ(store_
                ->search(search({clause("species", Op::Eq, std::string("Human")),
                                 clause("samples", Op::Ge, int64_t{100})}))
                .total,
            15u);
  EXPECT_EQ(store_->search(search({clause("species", Op::Eq, std::string("Human"))}, "layer/")).total, 10u);
  // Three clauses, one on a key some targets lack: score > 4 (d09..d19 but d10, d15) and odd.
  const auto three =
      store_->search(search({clause("species", Op::Ne, std::string("Human")), clause("score", Op::Gt, 4.0),
                             clause("samples", Op::Le, int64_t{170})},
                            "dataset/"));
  EXPECT_EQ(three.targets, (Targets{"dataset/d09", "dataset/d11", "dataset/d13", "dataset/d17"}));
  // A prefix that no target has, a key no target has, an impossible pair.
  EXPECT_EQ(store_->search(search({clause("species", Op::Eq, std::string("Human"))}, "data/")).total, 0u);
  EXPECT_EQ(store_->search(search({clause("nothing", Op::Ge, int64_t{0})}, "dataset/")).total, 0u);
  EXPECT_EQ(
      store_->search(search({clause("samples", Op::Lt, int64_t{50}), clause("samples", Op::Gt, int64_t{50})}))
          .total,
      0u);
  EXPECT_THROW(store_->search(search({clause("", Op::Eq, std::string("x"))})), BadRequest);
}

TEST_P(AnnotationEtagSearchContract, PagesComeWithTheTotal) {
  createCatalogue();
  const auto mice = [&](uint64_t offset, uint64_t limit) {
    return store_->search(
        search({clause("species", Op::Eq, std::string("Mouse"))}, "dataset/", "", false, offset, limit));
  };
  const auto first = mice(0, 4);
  EXPECT_EQ(first.targets, (Targets{"dataset/d01", "dataset/d03", "dataset/d05", "dataset/d07"}));
  EXPECT_EQ(first.total, 10u);
  const auto last = mice(8, 4);
  EXPECT_EQ(last.targets, (Targets{"dataset/d17", "dataset/d19"}));
  EXPECT_EQ(last.total, 10u);
  const auto beyond = mice(10, 4);
  EXPECT_TRUE(beyond.targets.empty());
  EXPECT_EQ(beyond.total, 10u);
  // limit 0: the total only.
  const auto count = mice(0, 0);
  EXPECT_TRUE(count.targets.empty());
  EXPECT_EQ(count.total, 10u);
  // No clauses: every target of the prefix.
  const auto layers = store_->search(search({}, "layer/", "", true, 1, 3));
  EXPECT_EQ(layers.targets, (Targets{"layer/l08", "layer/l07", "layer/l06"}));
  EXPECT_EQ(layers.total, 10u);
  EXPECT_EQ(store_->search(search({})).total, 30u);
}

TEST_P(AnnotationEtagSearchContract, SortsByAKeyWithMissingKeysLast) {
  createCatalogue();
  // By score, ascending: d01 (0.5) ... d19 (9.5), then the datasets without a score
  // (d00, d05, d10, d15) by id.
  const auto up = store_->search(search({}, "dataset/", "score", false, 0, 100));
  ASSERT_EQ(up.targets.size(), 20u);
  EXPECT_EQ(up.targets.front(), "dataset/d01");
  EXPECT_EQ(up.targets[15], "dataset/d19");
  EXPECT_EQ(Targets(up.targets.begin() + 16, up.targets.end()),
            (Targets{"dataset/d00", "dataset/d05", "dataset/d10", "dataset/d15"}));
  // Descending: d19 first, the missing ones still last.
  const auto down = store_->search(search({}, "dataset/", "score", true, 0, 100));
  EXPECT_EQ(down.targets.front(), "dataset/d19");
  EXPECT_EQ(down.targets[15], "dataset/d01");
  EXPECT_EQ(Targets(down.targets.begin() + 16, down.targets.end()),
            (Targets{"dataset/d00", "dataset/d05", "dataset/d10", "dataset/d15"}));
  // Sorted and paged with clauses: mice by samples, descending, second page of 3.
  const auto page = store_->search(
      search({clause("species", Op::Eq, std::string("Mouse"))}, "dataset/", "samples", true, 3, 3));
  EXPECT_EQ(page.targets, (Targets{"dataset/d13", "dataset/d11", "dataset/d09"}));
  EXPECT_EQ(page.total, 10u);
}

TEST_P(AnnotationEtagSearchContract, MultiValuedKeysSortByTheirSmallestOrLargestValue) {
  store_->set("a", longs("v", {5, 50}));
  store_->set("b", longs("v", {10}));
  store_->set("c", longs("v", {1, 20}));
  store_->set("d", strings("v", {"text"}));                            // strings after numbers
  store_->set("e", strings("other", {"x"}));                           // no "v": last
  store_->set("f", longs("v", {10}));                                  // ties with b: by id
  store_->set("g", Annotation{"v", AnnotationType::Boolean, {true}});  // booleans before numbers
  EXPECT_EQ(store_->search(search({}, "", "v")).targets, (Targets{"g", "c", "a", "b", "f", "d", "e"}));
  // Descending: by the largest value; ties still by id, ascending.
  EXPECT_EQ(store_->search(search({}, "", "v", true)).targets, (Targets{"d", "a", "c", "b", "f", "g", "e"}));
  // The clause and the sort may name the same key.
  EXPECT_EQ(store_->search(search({clause("v", Op::Ge, int64_t{10})}, "", "v")).targets,
            (Targets{"c", "a", "b", "f"}));
}

TEST_P(AnnotationEtagSearchContract, TheOneClauseQueryIsASearch) {
  createCatalogue();
  AnnotationQuery q;
  q.key = "samples";
  q.op = AnnotationQuery::Op::Ge;
  q.value = int64_t{180};
  EXPECT_EQ(store_->query(q),
            (Targets{"dataset/d18", "dataset/d19", "layer/l00", "layer/l01", "layer/l02", "layer/l03",
                     "layer/l04", "layer/l05", "layer/l06", "layer/l07", "layer/l08", "layer/l09"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, AnnotationEtagSearchContract,
                         testing::Values(memoryBackend(), rocksdbBackend(), sqlBackend(),
                                         sqlPostgresBackend()),
                         backendName);

TEST(RocksDbAnnotations, EtagsAnnotationsAndTheIndexSurviveARestart) {
  TempDir dir;
  const auto config = storeConfig("annotations", rocksdbBackend(), dir.path());
  const std::string bytes("\0\xfe", 2);
  std::string etag;
  {
    OpenStores stores(config);
    auto store = stores.registry().annotations("t");
    store->replaceAll("dataset/1", {strings("species", {"Human"}), longs("n", {7}), blobs("b", {bytes})});
    store->replaceAll("dataset/2", {strings("species", {"Human"}), longs("n", {3})});
    store->set("layer/1", strings("species", {"Human"}));
    etag = store->etag("dataset/1");
    store->replaceAll("gone", {longs("n", {1})});
    store->removeAll("gone");
  }
  OpenStores stores(config);
  auto store = stores.registry().annotations("t");
  const AnnotationSet set = store->read("dataset/1");
  EXPECT_EQ(set.etag, etag);
  ASSERT_EQ(set.annotations.size(), 3u);
  EXPECT_EQ(set.annotations[0].values, (std::vector<AnnotationValue>{AnnotationBlob{bytes}}));
  EXPECT_EQ(store->etag("gone"), kNoAnnotationsEtag);
  const auto page = store->search(search({clause("species", Op::Eq, std::string("Human"))}, "dataset/", "n"));
  EXPECT_EQ(page.targets, (Targets{"dataset/2", "dataset/1"}));
  EXPECT_EQ(page.total, 2u);
  // The etag read before the restart is still the one to match.
  EXPECT_THROW(store->replaceAll("dataset/1", {}, "stale"), PreconditionFailed);
  EXPECT_NE(store->replaceAll("dataset/1", {longs("n", {8})}, etag), etag);
  EXPECT_EQ(store->targets("", 0), (Targets{"dataset/1", "dataset/2", "layer/1"}));
}

TEST(RocksDbAnnotations, ASearchIsDrivenByItsNarrowestClause) {
  TempDir dir;
  const auto config = storeConfig("annotations", rocksdbBackend(), dir.path());
  constexpr int kTargets = 2000;
  {
    OpenStores stores(config);
    auto store = stores.registry().annotations("t");
    for (int i = 0; i < kTargets; ++i)
      store->replaceAll("dataset/" + std::to_string(i),
                        {strings("species", {"Human"}), longs("samples", {i})});
  }
  // Reopened: the clean close flushed the memtables, so RocksDB estimates ranges from its files.
  OpenStores stores(config);
  auto store = stores.registry().annotations("t");
  RocksDbPerf perf;
  ASSERT_TRUE(perf.found()) << "RocksDB's get_perf_context/SetPerfLevel not found";
  for (bool narrowFirst : {false, true}) {
    std::vector<AnnotationClause> clauses{clause("species", Op::Eq, std::string("Human")),
                                          clause("samples", Op::Eq, int64_t{7})};
    if (narrowFirst) std::swap(clauses[0], clauses[1]);
    AnnotationPage page;
    const auto counts = perf.count([&] { page = store->search(search(clauses, "dataset/")); });
    EXPECT_EQ(page.targets, (Targets{"dataset/7"}));
    EXPECT_EQ(page.total, 1u);
    // One index entry scanned and one lookup of the other clause's record (15 bytes), not
    // 2000 of each (28,000 bytes and 2,000 blocks when the wide clause drives).
    EXPECT_LT(counts.valueBytes, 100u) << "narrow clause first: " << narrowFirst;
    EXPECT_LT(counts.blocks, 20u) << "narrow clause first: " << narrowFirst;
  }
  // A range clause against an Eq that matches every target: the range drives when narrower.
  AnnotationPage page;
  const auto counts = perf.count([&] {
    page = store->search(search(
        {clause("species", Op::Eq, std::string("Human")), clause("samples", Op::Ge, int64_t{kTargets - 3})},
        "dataset/"));
  });
  EXPECT_EQ(page.total, 3u);
  EXPECT_LT(counts.valueBytes, 200u);
  EXPECT_LT(counts.blocks, 40u);
}

}  // namespace
}  // namespace strata::test
