// What only the memory arrays backend promises, beyond the arrays role contract.

#include "contract/array_store_contract_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- memory backend only

class MemoryArrayStoreTest : public testing::Test {
 protected:
  std::shared_ptr<ArrayStore> store_ = makeMemoryArrayStore();
  const std::string c_ = "m";
  std::string root_ = store_->createContainer(c_).rootId;
  ArrayOps ops_{*store_, c_};
};

TEST_F(MemoryArrayStoreTest, ListsObjectsInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(store_->createGroup(c_).id);
    store_->createDataset(c_, spec(arrays::intType(1, false), {1}));  // interleaved other kind
  }
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Group, {}), ids);
  // A deleted marker still pages on from where it was.
  store_->deleteObject(c_, ids[2]);
  Page page;
  page.marker = ids[2];
  page.limit = 2;
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Group, page), (Names{ids[3], ids[4]}));
  // A marker that never existed gives an empty page.
  page.marker = newUuid();
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Group, page).empty());
}

TEST_F(MemoryArrayStoreTest, LinksOutliveTheirTargets) {
  const std::string d = ops_.create(spec(arrays::intType(4, true), {2}));
  store_->createLink(c_, root_, hardLink("d", d));
  store_->deleteObject(c_, d);
  const Link l = store_->link(c_, root_, "d");
  EXPECT_EQ(l.id, d);
  EXPECT_EQ(l.kind, ObjectKind::Dataset);
  EXPECT_THROW(store_->object(c_, l.id), Gone);
  EXPECT_EQ(store_->listLinks(c_, root_, {}).size(), 1u);
}

TEST_F(MemoryArrayStoreTest, ReadsInBlocksOfAtMostFourMiB) {
  const uint64_t n = 5 << 20;  // 10 MiB of int16
  const std::string d = ops_.create(spec(arrays::intType(2, true), {n}));
  const std::string bytes = randomBytes(n * 2, 3);
  ops_.write(d, Selection::all({n}), bytes, 1 << 20);
  std::vector<std::size_t> blocks;
  std::string got;
  store_->read(c_, d, Selection::all({n}), [&](const char* data, std::size_t k) {
    blocks.push_back(k);
    got.append(data, k);
  });
  EXPECT_TRUE(got == bytes);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0], std::size_t{4} << 20);
  // A strided read gathers many small runs into full blocks too.
  blocks.clear();
  store_->read(c_, d, slab({0}, {n / 2}, {2}), [&](const char*, std::size_t k) { blocks.push_back(k); });
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0], std::size_t{4} << 20);
  EXPECT_EQ(blocks[1], std::size_t{1} << 20);
}

TEST_F(MemoryArrayStoreTest, RefusesDatasetsItCannotHold) {
  EXPECT_THROW(store_->createDataset(c_, spec(arrays::intType(8, true), {uint64_t{1} << 40})),
               InsufficientStorage);
  EXPECT_THROW(
      store_->createDataset(c_, spec(arrays::intType(8, true), {uint64_t{1} << 40, uint64_t{1} << 40})),
      BadRequest);
  const std::string d = ops_.create(spec(arrays::intType(8, true), {1}, {kUnlimited}, {1024}));
  EXPECT_THROW(store_->resize(c_, d, {uint64_t{1} << 40}), InsufficientStorage);
  EXPECT_EQ(store_->dataset(c_, d).shape.dims, Dims{1});
}

}  // namespace
}  // namespace strata::test
