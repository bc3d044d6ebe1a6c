// The annotations role contract (core/include/strata/stores/annotation_store.h), run against
// every backend that serves the role.
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/annotation_store.h>

#include <atomic>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using Op = AnnotationQuery::Op;

AnnotationQuery query(const std::string& key, Op op, AnnotationValue value, uint64_t offset = 0,
                      uint64_t limit = 100) {
  AnnotationQuery q;
  q.key = key;
  q.op = op;
  q.value = std::move(value);
  q.offset = offset;
  q.limit = limit;
  return q;
}

std::vector<std::string> keys(const std::vector<Annotation>& all) {
  std::vector<std::string> out;
  for (const auto& a : all) out.push_back(a.key);
  return out;
}

using Targets = std::vector<std::string>;

class AnnotationStoreContract : public AnnotationStoreFixture {
 protected:
  // t1..t6 with a LONG "size", a STRING "tag" list, a DOUBLE "score" and a BOOLEAN "ok".
  void createTargets() {
    for (int i = 1; i <= 6; ++i) {
      const std::string target = "t" + std::to_string(i);
      store_->set(target, longs("size", {i * 10}));
      store_->set(target, strings("tag", {i % 2 ? "odd" : "even", "all"}));
      store_->set(target, doubles("score", {i + 0.5}));
      store_->set(target, booleans("ok", {i <= 2}));
    }
  }
};

TEST_P(AnnotationStoreContract, EveryTypeRoundTrips) {
  store_->set("x", strings("s", {"a", "b", ""}));
  store_->set("x", doubles("d", {1.5, -0.25, 1e300}));
  store_->set("x", longs("l", {INT64_MIN, 0, INT64_MAX}));
  store_->set("x", longs("t", {1767225600000}, AnnotationType::Date));
  store_->set("x", booleans("b", {true, false}));

  const auto s = store_->find("x", "s");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->type, AnnotationType::String);
  EXPECT_EQ(s->values, (std::vector<AnnotationValue>{std::string("a"), std::string("b"), std::string("")}));
  const auto d = store_->find("x", "d");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, AnnotationType::Double);
  EXPECT_EQ(d->values, (std::vector<AnnotationValue>{1.5, -0.25, 1e300}));
  const auto l = store_->find("x", "l");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->type, AnnotationType::Long);
  EXPECT_EQ(l->values, (std::vector<AnnotationValue>{int64_t{INT64_MIN}, int64_t{0}, int64_t{INT64_MAX}}));
  const auto t = store_->find("x", "t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, AnnotationType::Date);
  EXPECT_EQ(t->values, (std::vector<AnnotationValue>{int64_t{1767225600000}}));
  const auto b = store_->find("x", "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->type, AnnotationType::Boolean);
  EXPECT_EQ(b->values, (std::vector<AnnotationValue>{true, false}));
}

TEST_P(AnnotationStoreContract, ListIsSortedByKey) {
  store_->set("x", strings("zeta", {"1"}));
  store_->set("x", strings("alpha", {"1"}));
  store_->set("x", longs("mid", {1}));
  store_->set("y", strings("other", {"1"}));
  EXPECT_EQ(keys(store_->list("x")), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_TRUE(store_->list("nobody").empty());
  EXPECT_FALSE(store_->find("nobody", "alpha").has_value());
  EXPECT_FALSE(store_->find("x", "nothing").has_value());
}

TEST_P(AnnotationStoreContract, SetReplacesTheKeysListAndType) {
  store_->set("x", strings("k", {"a", "b"}));
  store_->set("x", longs("k", {7}));
  const auto k = store_->find("x", "k");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->type, AnnotationType::Long);
  EXPECT_EQ(k->values, (std::vector<AnnotationValue>{int64_t{7}}));
  EXPECT_EQ(store_->list("x").size(), 1u);
}

TEST_P(AnnotationStoreContract, InvalidAnnotationsAreBadRequestAndStoreNothing) {
  store_->set("x", strings("keep", {"v"}));
  EXPECT_THROW(store_->set("", strings("k", {"v"})), BadRequest);
  EXPECT_THROW(store_->set("x", strings("", {"v"})), BadRequest);
  EXPECT_THROW(store_->set("x", strings("k", {})), BadRequest);
  // Values of another type than the annotation's.
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Long, {std::string("1")}}), BadRequest);
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Double, {int64_t{1}}}), BadRequest);
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Date, {1.5}}), BadRequest);
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Boolean, {std::string("true")}}), BadRequest);
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::String, {true}}), BadRequest);
  // One bad value among good ones.
  EXPECT_THROW(store_->set("x", Annotation{"k", AnnotationType::Long, {int64_t{1}, 2.0, int64_t{3}}}),
               BadRequest);
  EXPECT_EQ(keys(store_->list("x")), (std::vector<std::string>{"keep"}));
  EXPECT_THROW(store_->list(""), BadRequest);
  EXPECT_THROW(store_->find("x", ""), BadRequest);
  EXPECT_THROW(store_->query(query("", Op::Eq, std::string("v"))), BadRequest);
}

TEST_P(AnnotationStoreContract, ReplaceAllReplacesEverything) {
  store_->set("x", strings("a", {"1"}));
  store_->set("x", strings("b", {"1"}));
  store_->replaceAll("x", {longs("b", {2}), doubles("c", {3.0})});
  const auto all = store_->list("x");
  EXPECT_EQ(keys(all), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(all[0].type, AnnotationType::Long);
  EXPECT_EQ(all[0].values, (std::vector<AnnotationValue>{int64_t{2}}));
  // The old key is not found by queries either.
  EXPECT_TRUE(store_->query(query("a", Op::Eq, std::string("1"))).empty());

  store_->replaceAll("x", {});
  EXPECT_TRUE(store_->list("x").empty());
}

TEST_P(AnnotationStoreContract, ReplaceAllWithAnInvalidAnnotationChangesNothing) {
  store_->set("x", strings("a", {"1"}));
  EXPECT_THROW(store_->replaceAll("x", {strings("b", {"2"}), strings("c", {})}), BadRequest);
  EXPECT_THROW(store_->replaceAll("", {strings("b", {"2"})}), BadRequest);
  EXPECT_EQ(keys(store_->list("x")), (std::vector<std::string>{"a"}));
}

TEST_P(AnnotationStoreContract, RemoveAndRemoveAll) {
  store_->set("x", strings("a", {"1"}));
  store_->set("x", strings("b", {"1"}));
  store_->set("y", strings("a", {"1"}));
  store_->remove("x", "a");
  EXPECT_EQ(keys(store_->list("x")), (std::vector<std::string>{"b"}));
  // Removing what is not there is a no-op.
  EXPECT_NO_THROW(store_->remove("x", "a"));
  EXPECT_NO_THROW(store_->remove("nobody", "a"));
  EXPECT_NO_THROW(store_->removeAll("nobody"));
  store_->removeAll("x");
  EXPECT_TRUE(store_->list("x").empty());
  EXPECT_EQ(keys(store_->list("y")), (std::vector<std::string>{"a"}));
  EXPECT_EQ(store_->query(query("a", Op::Eq, std::string("1"))), (Targets{"y"}));
}

TEST_P(AnnotationStoreContract, QueryComparesLongs) {
  createTargets();
  EXPECT_EQ(store_->query(query("size", Op::Eq, int64_t{30})), (Targets{"t3"}));
  EXPECT_EQ(store_->query(query("size", Op::Ne, int64_t{30})), (Targets{"t1", "t2", "t4", "t5", "t6"}));
  EXPECT_EQ(store_->query(query("size", Op::Lt, int64_t{30})), (Targets{"t1", "t2"}));
  EXPECT_EQ(store_->query(query("size", Op::Le, int64_t{30})), (Targets{"t1", "t2", "t3"}));
  EXPECT_EQ(store_->query(query("size", Op::Gt, int64_t{40})), (Targets{"t5", "t6"}));
  EXPECT_EQ(store_->query(query("size", Op::Ge, int64_t{40})), (Targets{"t4", "t5", "t6"}));
  // Longs and doubles compare numerically.
  EXPECT_EQ(store_->query(query("size", Op::Eq, 30.0)), (Targets{"t3"}));
  EXPECT_EQ(store_->query(query("size", Op::Gt, 49.5)), (Targets{"t5", "t6"}));
  EXPECT_EQ(store_->query(query("score", Op::Lt, int64_t{3})), (Targets{"t1", "t2"}));
  // Other kinds never compare.
  EXPECT_TRUE(store_->query(query("size", Op::Eq, std::string("30"))).empty());
  EXPECT_TRUE(store_->query(query("size", Op::Ne, std::string("30"))).empty());
}

TEST_P(AnnotationStoreContract, QueryComparesStringsAndBooleans) {
  createTargets();
  EXPECT_EQ(store_->query(query("tag", Op::Eq, std::string("odd"))), (Targets{"t1", "t3", "t5"}));
  EXPECT_EQ(store_->query(query("tag", Op::Eq, std::string("all"))).size(), 6u);
  EXPECT_TRUE(store_->query(query("tag", Op::Eq, std::string("ODD"))).empty());
  // Any value of the list may match: every target has "all", which is < "b".
  EXPECT_EQ(store_->query(query("tag", Op::Lt, std::string("b"))).size(), 6u);
  EXPECT_EQ(store_->query(query("tag", Op::Gt, std::string("f"))), (Targets{"t1", "t3", "t5"}));
  EXPECT_EQ(store_->query(query("ok", Op::Eq, true)), (Targets{"t1", "t2"}));
  EXPECT_EQ(store_->query(query("ok", Op::Ne, true)), (Targets{"t3", "t4", "t5", "t6"}));
  EXPECT_TRUE(store_->query(query("nothing", Op::Eq, true)).empty());
}

TEST_P(AnnotationStoreContract, QueryComparesDates) {
  store_->set("old", longs("at", {1000}, AnnotationType::Date));
  store_->set("new", longs("at", {5000}, AnnotationType::Date));
  EXPECT_EQ(store_->query(query("at", Op::Ge, int64_t{2000})), (Targets{"new"}));
  EXPECT_EQ(store_->query(query("at", Op::Lt, int64_t{2000})), (Targets{"old"}));
}

TEST_P(AnnotationStoreContract, QueryReturnsSortedUniqueTargetsInPages) {
  // Targets set out of order, each with several matching values.
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i)
    expected.push_back("target-" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  for (int i = 24; i >= 0; --i) store_->set(expected[i], longs("n", {1, 2, 3, i}));
  store_->set("unrelated", longs("m", {1}));

  EXPECT_EQ(store_->query(query("n", Op::Ge, int64_t{1})), expected);
  EXPECT_EQ(store_->query(query("n", Op::Ge, int64_t{1}, 0, 10)),
            Targets(expected.begin(), expected.begin() + 10));
  EXPECT_EQ(store_->query(query("n", Op::Ge, int64_t{1}, 10, 10)),
            Targets(expected.begin() + 10, expected.begin() + 20));
  EXPECT_EQ(store_->query(query("n", Op::Ge, int64_t{1}, 20, 10)),
            Targets(expected.begin() + 20, expected.end()));
  EXPECT_TRUE(store_->query(query("n", Op::Ge, int64_t{1}, 25, 10)).empty());
  EXPECT_TRUE(store_->query(query("n", Op::Ge, int64_t{1}, 0, 0)).empty());
  // Paging applies after filtering.
  EXPECT_EQ(store_->query(query("n", Op::Gt, int64_t{20}, 1, 2)), (Targets{"target-22", "target-23"}));
}

TEST_P(AnnotationStoreContract, ConcurrentWritersAndQueries) {
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kEach; ++i) {
          const std::string target = "w" + std::to_string(t) + "-" + std::to_string(i);
          store_->set(target, longs("n", {i}));
          store_->query(query("n", Op::Ge, int64_t{0}));
        }
      } catch (...) {
        failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(store_->query(query("n", Op::Ge, int64_t{0}, 0, 1000)).size(),
            static_cast<std::size_t>(kThreads * kEach));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, AnnotationStoreContract,
    testing::Values(memoryBackend(),
                    BackendParam{"rocksdb",
                                 [](const std::string& dir) {
                                   return std::map<std::string, std::string>{{"path", dir + "/db"}};
                                 }},
                    sqlBackend(), sqlPostgresBackend()),
    backendName);

}  // namespace
}  // namespace strata::test
