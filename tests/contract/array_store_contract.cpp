// The arrays role contract (core/include/strata/stores/array_store.h), run against every backend
// that serves the role through the StoreRegistry, as the server opens it; then what only the
// memory backend promises.
//
// Expected values are built by hand in the packed form (datatype.h), byte by byte, so a backend
// that swaps, pads, reorders or misplaces anything fails. Only the public interface is used:
// another backend joins by adding one BackendParam to INSTANTIATE_TEST_SUITE_P.
#include "contract/store_contract_support.h"

#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/stores/array_store.h>
#include <strata/util.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace strata::test {
namespace {

using arrays::ByteOrder;
using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;
using arrays::TypeClass;
using Dims = std::vector<uint64_t>;

// ---- packed bytes, by hand

std::string le(uint64_t v, std::size_t bytes) {
  std::string s(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string be(uint64_t v, std::size_t bytes) {
  std::string s = le(v, bytes);
  std::reverse(s.begin(), s.end());
  return s;
}
std::string le32(int32_t v) { return le(static_cast<uint32_t>(v), 4); }
std::string be32(int32_t v) { return be(static_cast<uint32_t>(v), 4); }
std::string f64le(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return le(bits, 8);
}
std::string fixedStr(const std::string& s, std::size_t length) {
  std::string out = s.substr(0, length);
  out.resize(length, '\0');
  return out;
}
std::string vlenStr(const std::string& s) { return le(s.size(), 8) + s; }

template <typename F>
std::string each(uint64_t n, F f) {
  std::string out;
  for (uint64_t i = 0; i < n; ++i) out += f(i);
  return out;
}

// ---- types the helpers of datatype.h do not build

DatatypePtr arrayOf(DatatypePtr base, Dims dims) {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Array;
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  t->size = base->size * n;
  t->base = std::move(base);
  t->dims = std::move(dims);
  return t;
}

// {"id": int32 LE @0, "xyz": float64 LE [3] @4, "tag": string(3) @28}: 31 bytes, packed.
DatatypePtr pointType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Compound;
  t->fields = {{"id", arrays::intType(4, true), 0},
               {"xyz", arrayOf(arrays::floatType(8), {3}), 4},
               {"tag", arrays::fixedStringType(3), 28}};
  t->size = 31;
  return t;
}
std::string pointValue(int32_t id, double x, double y, double z, const std::string& tag) {
  return le32(id) + f64le(x) + f64le(y) + f64le(z) + fixedStr(tag, 3);
}

DatatypePtr colorType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Enum;
  t->base = arrays::intType(1, false);
  t->size = 1;
  t->isSigned = false;
  t->members = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
  return t;
}

// ---- selections

Selection slab(Dims start, Dims count, Dims step = {}) {
  if (step.empty()) step.assign(start.size(), 1);
  return Selection::hyperslab({std::move(start), std::move(count), std::move(step)});
}
Selection points(std::vector<Dims> list) {
  const std::size_t rank = list.empty() ? 0 : list[0].size();
  return Selection::points(std::move(list), rank);
}

DatasetSpec spec(DatatypePtr type, Dims dims, Dims maxdims = {}, Dims chunks = {}, std::string fill = {}) {
  DatasetSpec s;
  s.type = std::move(type);
  s.shape.cls = ShapeClass::Simple;
  s.shape.dims = std::move(dims);
  s.shape.maxdims = std::move(maxdims);
  s.chunks = std::move(chunks);
  s.fillValue = std::move(fill);
  return s;
}

DatasetSpec scalarSpec(DatatypePtr type) {
  DatasetSpec s;
  s.type = std::move(type);
  s.shape.cls = ShapeClass::Scalar;
  return s;
}

Link hardLink(const std::string& name, const std::string& id) {
  Link l;
  l.name = name;
  l.cls = LinkClass::Hard;
  l.id = id;
  return l;
}

AttributeInfo attr(const std::string& name, DatatypePtr type, ShapeClass cls, Dims dims = {}) {
  AttributeInfo a;
  a.name = name;
  a.type = std::move(type);
  a.shape.cls = cls;
  a.shape.dims = std::move(dims);
  return a;
}

std::vector<std::string> linkNames(const std::vector<Link>& links) {
  std::vector<std::string> names;
  for (const auto& l : links) names.push_back(l.name);
  return names;
}

std::vector<std::string> attributeNames(const std::vector<AttributeInfo>& list) {
  std::vector<std::string> names;
  for (const auto& a : list) names.push_back(a.name);
  return names;
}

using Names = std::vector<std::string>;

// Store operations on one container, with sources that hand out odd-sized pieces (a backend
// must not assume a source fills its whole buffer) and sinks that collect every block.
class ArrayOps {
 public:
  ArrayOps(ArrayStore& store, std::string container) : store_(store), c_(std::move(container)) {}

  std::string read(const std::string& id, const Selection& sel) {
    std::string out;
    store_.read(c_, id, sel, [&](const char* data, std::size_t n) { out.append(data, n); });
    return out;
  }
  std::string readAll(const std::string& id) {
    const DatasetInfo info = store_.dataset(c_, id);
    return read(id, Selection::all(info.shape.dims));
  }
  void write(const std::string& id, const Selection& sel, const std::string& bytes, std::size_t piece = 7) {
    writeAnnounced(id, sel, bytes, bytes.size(), piece);
  }
  void writeAnnounced(const std::string& id, const Selection& sel, const std::string& bytes,
                      uint64_t announced, std::size_t piece = 7) {
    store_.write(c_, id, sel, sourceOf(bytes, piece), announced);
  }
  std::string create(const DatasetSpec& s) { return store_.createDataset(c_, s).object.id; }

 private:
  ArrayStore& store_;
  std::string c_;
};

class ArrayStoreContract : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    stores_ = std::make_unique<OpenStores>(storeConfig("arrays", GetParam(), dir_.path()));
    store_ = stores_->registry().arrays("t");
    ASSERT_TRUE(store_);
    root_ = store_->createContainer(c_).rootId;
    ops_ = std::make_unique<ArrayOps>(*store_, c_);
  }
  void TearDown() override {
    ops_.reset();
    store_.reset();
    stores_.reset();
  }

  std::string read(const std::string& id, const Selection& sel) { return ops_->read(id, sel); }
  std::string readAll(const std::string& id) { return ops_->readAll(id); }
  void write(const std::string& id, const Selection& sel, const std::string& bytes) {
    ops_->write(id, sel, bytes);
  }
  std::string create(const DatasetSpec& s) { return ops_->create(s); }

  TempDir dir_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<ArrayStore> store_;
  const std::string c_ = "test/contract";
  std::string root_;
  std::unique_ptr<ArrayOps> ops_;
};

// ---------------------------------------------------------------- containers

TEST_P(ArrayStoreContract, ContainersAreCreatedFoundListedAndDeleted) {
  const ContainerInfo a = store_->createContainer("home/alice/data");
  EXPECT_EQ(a.name, "home/alice/data");
  EXPECT_FALSE(a.rootId.empty());
  EXPECT_GT(a.created, 0);
  EXPECT_GE(a.modified, a.created);
  EXPECT_FALSE(a.readOnly);
  // A name that is a prefix of another is a container of its own.
  const ContainerInfo parent = store_->createContainer("home/alice");
  EXPECT_NE(parent.rootId, a.rootId);

  const auto found = store_->findContainer("home/alice/data");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "home/alice/data");
  EXPECT_EQ(found->rootId, a.rootId);
  EXPECT_EQ(store_->container("home/alice/data").rootId, a.rootId);
  EXPECT_FALSE(store_->findContainer("home/alice/nothing"));
  EXPECT_THROW(store_->container("home/alice/nothing"), NotFound);

  const ObjectInfo root = store_->object("home/alice/data", a.rootId);
  EXPECT_EQ(root.id, a.rootId);
  EXPECT_EQ(root.kind, ObjectKind::Group);
  EXPECT_EQ(root.linkCount, 0u);

  const auto names = store_->listContainers();
  const std::set<std::string> listed(names.begin(), names.end());
  EXPECT_EQ(listed.size(), names.size()) << "a container is listed twice";
  EXPECT_EQ(listed, (std::set<std::string>{c_, "home/alice", "home/alice/data"}));

  EXPECT_THROW(store_->createContainer("home/alice/data"), Conflict);

  store_->deleteContainer("home/alice/data");
  EXPECT_FALSE(store_->findContainer("home/alice/data"));
  EXPECT_TRUE(store_->findContainer("home/alice"));
  EXPECT_THROW(store_->deleteContainer("home/alice/data"), NotFound);
  EXPECT_THROW(store_->object("home/alice/data", a.rootId), NotFound);
  EXPECT_THROW(store_->createGroup("home/alice/data"), NotFound);
  const auto after = store_->listContainers();
  EXPECT_EQ(std::set<std::string>(after.begin(), after.end()), (std::set<std::string>{c_, "home/alice"}));

  // Created again, it starts empty.
  const ContainerInfo again = store_->createContainer("home/alice/data");
  EXPECT_NE(again.rootId, a.rootId);
  EXPECT_TRUE(store_->listLinks("home/alice/data", again.rootId, {}).empty());
}

TEST_P(ArrayStoreContract, RejectsBadContainerNames) {
  for (const std::string bad :
       {"", "/abs", "trailing/", "a//b", ".", "..", "a/./b", "a/../b", "../escape", "a/.."}) {
    EXPECT_THROW(store_->createContainer(bad), BadRequest) << "'" << bad << "'";
    EXPECT_THROW(store_->findContainer(bad), BadRequest) << "'" << bad << "'";
  }
  EXPECT_EQ(store_->listContainers(), Names{c_});
}

TEST_P(ArrayStoreContract, RootGroupCannotBeDeleted) {
  EXPECT_THROW(store_->deleteObject(c_, root_), Forbidden);
  EXPECT_EQ(store_->object(c_, root_).kind, ObjectKind::Group);
  EXPECT_EQ(store_->container(c_).rootId, root_);
}

// ---------------------------------------------------------------- groups and objects

TEST_P(ArrayStoreContract, GroupsAreCreatedListedAndDeleted) {
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const ObjectInfo g = store_->createGroup(c_);
    EXPECT_EQ(g.kind, ObjectKind::Group);
    EXPECT_GT(g.created, 0);
    EXPECT_EQ(g.linkCount, 0u);
    EXPECT_EQ(g.attributeCount, 0u);
    EXPECT_NE(g.id, root_);
    EXPECT_TRUE(ids.insert(g.id).second) << "duplicate id " << g.id;
    const ObjectInfo again = store_->object(c_, g.id);
    EXPECT_EQ(again.id, g.id);
    EXPECT_EQ(again.kind, ObjectKind::Group);
    EXPECT_EQ(again.created, g.created);
  }
  // The root group is not listed; anonymous groups are.
  const auto all = store_->listObjects(c_, ObjectKind::Group, {});
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), ids);
  EXPECT_EQ(all.size(), ids.size());
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Dataset, {}).empty());
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Datatype, {}).empty());

  // Pages concatenate to the whole list.
  std::vector<std::string> paged;
  Page page;
  page.limit = 2;
  for (;;) {
    const auto part = store_->listObjects(c_, ObjectKind::Group, page);
    ASSERT_LE(part.size(), 2u);
    if (part.empty()) break;
    paged.insert(paged.end(), part.begin(), part.end());
    page.marker = part.back();
    ASSERT_LE(paged.size(), all.size()) << "paging does not end";
  }
  EXPECT_EQ(paged, all);

  const std::string victim = all[2];
  store_->deleteObject(c_, victim);
  EXPECT_THROW(store_->object(c_, victim), Gone);
  EXPECT_THROW(store_->deleteObject(c_, victim), Gone);
  const auto left = store_->listObjects(c_, ObjectKind::Group, {});
  EXPECT_EQ(left.size(), 4u);
  EXPECT_EQ(std::count(left.begin(), left.end(), victim), 0);
}

TEST_P(ArrayStoreContract, UnknownIdsAreNotFoundAndDeletedOnesGone) {
  const std::string unknown = newUuid();
  EXPECT_THROW(store_->object(c_, unknown), NotFound);
  EXPECT_THROW(store_->dataset(c_, unknown), NotFound);
  EXPECT_THROW(store_->datatype(c_, unknown), NotFound);
  EXPECT_THROW(store_->listLinks(c_, unknown, {}), NotFound);
  EXPECT_THROW(store_->listAttributes(c_, unknown, {}), NotFound);
  EXPECT_THROW(store_->deleteObject(c_, unknown), NotFound);
  EXPECT_THROW(ops_->read(unknown, Selection::all({4})), NotFound);
  EXPECT_THROW(store_->object("no/such/domain", root_), NotFound);

  const std::string d = create(spec(arrays::intType(4, true), {4}));
  const std::string g = store_->createGroup(c_).id;
  const std::string t = store_->createDatatype(c_, arrays::floatType(8)).id;
  // An id of another kind is not a dataset, group or datatype.
  EXPECT_THROW(store_->dataset(c_, g), NotFound);
  EXPECT_THROW(store_->datatype(c_, d), NotFound);
  EXPECT_THROW(store_->listLinks(c_, t, {}), NotFound);

  for (const auto& id : {d, g, t}) store_->deleteObject(c_, id);
  EXPECT_THROW(store_->object(c_, d), Gone);
  EXPECT_THROW(store_->dataset(c_, d), Gone);
  EXPECT_THROW(ops_->read(d, Selection::all({4})), Gone);
  EXPECT_THROW(ops_->write(d, Selection::all({4}), std::string(16, '\0')), Gone);
  EXPECT_THROW(store_->resize(c_, d, {2}), Gone);
  EXPECT_THROW(store_->listAttributes(c_, d, {}), Gone);
  EXPECT_THROW(
      store_->createAttribute(c_, d, attr("a", arrays::intType(4, true), ShapeClass::Scalar), le32(1), false),
      Gone);
  EXPECT_THROW(store_->object(c_, g), Gone);
  EXPECT_THROW(store_->listLinks(c_, g, {}), Gone);
  EXPECT_THROW(store_->createLink(c_, g, hardLink("x", root_)), Gone);
  EXPECT_THROW(store_->object(c_, t), Gone);
  EXPECT_THROW(store_->datatype(c_, t), Gone);
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Dataset, {}).empty());
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Group, {}).empty());
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Datatype, {}).empty());
  // A hard link to a deleted object cannot be made.
  EXPECT_ANY_THROW(store_->createLink(c_, root_, hardLink("late", d)));
}

// ---------------------------------------------------------------- links

TEST_P(ArrayStoreContract, LinksOfEveryClass) {
  const std::string g = store_->createGroup(c_).id;
  const std::string d = create(spec(arrays::intType(4, true), {3}));
  const std::string t = store_->createDatatype(c_, arrays::intType(2, false)).id;

  // The caller leaves `kind` at its default: the store reports the target's kind.
  store_->createLink(c_, root_, hardLink("grp", g));
  store_->createLink(c_, root_, hardLink("dset", d));
  store_->createLink(c_, root_, hardLink("type", t));
  Link soft;
  soft.name = "soft";
  soft.cls = LinkClass::Soft;
  soft.h5path = "/grp/missing";  // dangling soft links are fine
  store_->createLink(c_, root_, soft);
  Link ext;
  ext.name = "ext";
  ext.cls = LinkClass::External;
  ext.h5path = "/a/b";
  ext.h5domain = "other/file";
  store_->createLink(c_, root_, ext);
  // The same dataset under a second name, in another group.
  store_->createLink(c_, g, hardLink("again", d));

  Link l = store_->link(c_, root_, "grp");
  EXPECT_EQ(l.name, "grp");
  EXPECT_EQ(l.cls, LinkClass::Hard);
  EXPECT_EQ(l.id, g);
  EXPECT_EQ(l.kind, ObjectKind::Group);
  l = store_->link(c_, root_, "dset");
  EXPECT_EQ(l.cls, LinkClass::Hard);
  EXPECT_EQ(l.id, d);
  EXPECT_EQ(l.kind, ObjectKind::Dataset);
  l = store_->link(c_, root_, "type");
  EXPECT_EQ(l.id, t);
  EXPECT_EQ(l.kind, ObjectKind::Datatype);
  l = store_->link(c_, root_, "soft");
  EXPECT_EQ(l.cls, LinkClass::Soft);
  EXPECT_EQ(l.h5path, "/grp/missing");
  l = store_->link(c_, root_, "ext");
  EXPECT_EQ(l.cls, LinkClass::External);
  EXPECT_EQ(l.h5path, "/a/b");
  EXPECT_EQ(l.h5domain, "other/file");
  l = store_->link(c_, g, "again");
  EXPECT_EQ(l.id, d);
  EXPECT_EQ(l.kind, ObjectKind::Dataset);

  EXPECT_EQ(store_->object(c_, root_).linkCount, 5u);
  EXPECT_EQ(store_->object(c_, g).linkCount, 1u);

  const auto all = store_->listLinks(c_, root_, {});
  EXPECT_EQ(linkNames(all), (Names{"dset", "ext", "grp", "soft", "type"}));
  EXPECT_EQ(all[0].id, d);
  EXPECT_EQ(all[0].kind, ObjectKind::Dataset);
  EXPECT_EQ(all[1].h5domain, "other/file");
  EXPECT_EQ(all[3].cls, LinkClass::Soft);
  EXPECT_EQ(linkNames(store_->listLinks(c_, g, {})), Names{"again"});
}

TEST_P(ArrayStoreContract, LinkPagingConflictsAndBadNames) {
  const std::string g = store_->createGroup(c_).id;
  for (const std::string name : {"e", "b", "d", "a", "c"}) store_->createLink(c_, root_, hardLink(name, g));

  Page page;
  page.limit = 2;
  EXPECT_EQ(linkNames(store_->listLinks(c_, root_, page)), (Names{"a", "b"}));
  page.marker = "b";
  EXPECT_EQ(linkNames(store_->listLinks(c_, root_, page)), (Names{"c", "d"}));
  page.marker = "d";
  EXPECT_EQ(linkNames(store_->listLinks(c_, root_, page)), (Names{"e"}));
  page.marker = "e";
  EXPECT_TRUE(store_->listLinks(c_, root_, page).empty());
  page.limit = 0;
  page.marker = "bb";  // a marker need not name a link
  EXPECT_EQ(linkNames(store_->listLinks(c_, root_, page)), (Names{"c", "d", "e"}));

  EXPECT_THROW(store_->createLink(c_, root_, hardLink("c", root_)), Conflict);
  Link soft;
  soft.name = "a";
  soft.cls = LinkClass::Soft;
  soft.h5path = "/x";
  EXPECT_THROW(store_->createLink(c_, root_, soft), Conflict);
  EXPECT_EQ(store_->link(c_, root_, "a").cls, LinkClass::Hard);

  EXPECT_THROW(store_->createLink(c_, root_, hardLink("", g)), BadRequest);
  EXPECT_THROW(store_->createLink(c_, root_, hardLink("x/y", g)), BadRequest);
  EXPECT_THROW(store_->createLink(c_, root_, hardLink("/", g)), BadRequest);
  EXPECT_THROW(store_->createLink(c_, root_, hardLink("target", newUuid())), NotFound);
  EXPECT_THROW(store_->link(c_, root_, "target"), NotFound);
  EXPECT_THROW(store_->link(c_, root_, "zzz"), NotFound);
  EXPECT_EQ(store_->listLinks(c_, root_, {}).size(), 5u);

  store_->deleteLink(c_, root_, "c");
  EXPECT_THROW(store_->link(c_, root_, "c"), NotFound);
  EXPECT_THROW(store_->deleteLink(c_, root_, "c"), NotFound);
  EXPECT_EQ(linkNames(store_->listLinks(c_, root_, {})), (Names{"a", "b", "d", "e"}));
  EXPECT_EQ(store_->object(c_, root_).linkCount, 4u);
  // Unlinking leaves the target alone.
  EXPECT_EQ(store_->object(c_, g).kind, ObjectKind::Group);
  // The name is free again.
  store_->createLink(c_, root_, hardLink("c", root_));
  EXPECT_EQ(store_->link(c_, root_, "c").id, root_);
}

TEST_P(ArrayStoreContract, DeletedTargetOfALinkIsGone) {
  const std::string d = create(spec(arrays::intType(4, true), {2}));
  store_->createLink(c_, root_, hardLink("d", d));
  store_->deleteObject(c_, d);
  EXPECT_THROW(store_->object(c_, d), Gone);
  // Backends may drop the link with its target (an HDF5 file has no dangling hard links) or
  // keep it (memory, HSDS); a kept link still names the deleted id, and following it is Gone.
  try {
    const Link l = store_->link(c_, root_, "d");
    EXPECT_EQ(l.id, d);
    EXPECT_THROW(store_->dataset(c_, l.id), Gone);
  } catch (const NotFound&) {
  }
}

// ---------------------------------------------------------------- datasets: validation

TEST_P(ArrayStoreContract, RejectsInvalidDatasetSpecs) {
  const auto i32 = arrays::intType(4, true);
  EXPECT_THROW(create(spec(nullptr, {3})), BadRequest);
  EXPECT_THROW(create(spec(i32, {})), BadRequest) << "simple shape without dimensions";
  EXPECT_THROW(create(spec(i32, {3}, {2})), BadRequest) << "maxdims below dims";
  EXPECT_THROW(create(spec(i32, {3, 4}, {3, 3})), BadRequest) << "maxdims below dims";
  EXPECT_THROW(create(spec(i32, {3}, {5, 5})), BadRequest) << "maxdims of another rank";
  EXPECT_THROW(create(spec(i32, {3}, {}, {2, 2})), BadRequest) << "chunks of another rank";
  EXPECT_THROW(create(spec(i32, {3, 3}, {}, {0, 1})), BadRequest) << "zero chunk";
  EXPECT_THROW(create(spec(i32, {3}, {}, {5})), BadRequest) << "chunk above a fixed maxdim";
  EXPECT_THROW(create(spec(i32, {3}, {4}, {5})), BadRequest) << "chunk above a fixed maxdim";
  EXPECT_THROW(create(spec(i32, {3}, {}, {}, "abc")), BadRequest) << "fill value of 3 bytes";
  EXPECT_THROW(create(spec(i32, {3}, {}, {}, "abcde")), BadRequest) << "fill value of 5 bytes";
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Dataset, {}).empty());

  // Valid edge cases: a chunk larger than an unlimited dimension's extent, an empty extent.
  const std::string a = create(spec(i32, {3}, {kUnlimited}, {5}));
  const std::string b = create(spec(i32, {0, 4}, {kUnlimited, 4}, {2, 4}));
  EXPECT_EQ(readAll(a), std::string(12, '\0'));
  EXPECT_EQ(readAll(b), "");
  EXPECT_EQ(store_->dataset(c_, b).shape.dims, (Dims{0, 4}));
}

TEST_P(ArrayStoreContract, ReportsHowADatasetWasCreated) {
  const auto i32 = arrays::intType(4, true);
  DatasetSpec s = spec(i32, {10, 20}, {kUnlimited, 40}, {5, 10}, le32(42));
  Filter deflate;
  deflate.kind = Filter::Kind::Deflate;
  deflate.id = 1;
  deflate.level = 9;
  s.filters = {deflate};
  Poco::JSON::Object::Ptr props = new Poco::JSON::Object;
  Poco::JSON::Object::Ptr layout = new Poco::JSON::Object;
  layout->set("class", "H5D_CHUNKED");
  Poco::JSON::Array::Ptr dims = new Poco::JSON::Array;
  dims->add(5);
  dims->add(10);
  layout->set("dims", dims);
  props->set("layout", layout);
  props->set("fillValue", 42);
  s.creationProperties = props;
  const DatasetInfo created = store_->createDataset(c_, s);
  EXPECT_EQ(created.object.kind, ObjectKind::Dataset);

  const DatasetInfo info = store_->dataset(c_, created.object.id);
  EXPECT_EQ(info.object.id, created.object.id);
  EXPECT_EQ(info.object.kind, ObjectKind::Dataset);
  EXPECT_GT(info.object.created, 0);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *i32);
  EXPECT_EQ(info.shape.cls, ShapeClass::Simple);
  EXPECT_EQ(info.shape.dims, (Dims{10, 20}));
  EXPECT_EQ(info.shape.maxdims, (Dims{kUnlimited, 40}));
  EXPECT_EQ(info.chunks, (Dims{5, 10}));
  EXPECT_EQ(info.layout, Layout::Chunked);
  EXPECT_EQ(info.fillValue, le32(42));
  ASSERT_EQ(info.filters.size(), 1u);
  EXPECT_EQ(info.filters[0].kind, Filter::Kind::Deflate);
  EXPECT_EQ(info.filters[0].level, 9);
  ASSERT_TRUE(info.creationProperties);
  std::ostringstream sent, got;
  Poco::JSON::Stringifier::stringify(props, sent);
  Poco::JSON::Stringifier::stringify(info.creationProperties, got);
  EXPECT_EQ(got.str(), sent.str());

  // maxdims left empty reads back as the dims; no chunks and no fill value read back empty.
  const DatasetInfo plain = store_->dataset(c_, create(spec(i32, {3, 4})));
  EXPECT_EQ(plain.shape.maxdims, (Dims{3, 4}));
  EXPECT_TRUE(plain.chunks.empty());
  EXPECT_EQ(plain.layout, Layout::Contiguous);
  EXPECT_TRUE(plain.fillValue.empty());
  // Creation properties the client did not send are not made up by the store: the typed
  // fields say what the dataset is.
  EXPECT_FALSE(plain.creationProperties);

  const auto listed = store_->listObjects(c_, ObjectKind::Dataset, {});
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            (std::set<std::string>{created.object.id, plain.object.id}));
}

// ---------------------------------------------------------------- datasets: values

TEST_P(ArrayStoreContract, Int32LittleEndianByHyperslabAndPoints) {
  const std::string d = create(spec(arrays::intType(4, true, ByteOrder::Little), {4, 6}));
  const auto v = [](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 10 + j) - 7; };
  const std::string all = each(24, [&](uint64_t k) { return le32(v(k / 6, k % 6)); });
  EXPECT_EQ(readAll(d), std::string(96, '\0')) << "unwritten values without a fill value are 0";
  write(d, Selection::all({4, 6}), all);
  EXPECT_EQ(readAll(d), all);

  // Rows 0 and 2, columns 1, 3, 5: in C order over the selection.
  EXPECT_EQ(read(d, slab({0, 1}, {2, 3}, {2, 2})),
            le32(v(0, 1)) + le32(v(0, 3)) + le32(v(0, 5)) + le32(v(2, 1)) + le32(v(2, 3)) + le32(v(2, 5)));
  // One column.
  EXPECT_EQ(read(d, slab({0, 4}, {4, 1})), le32(v(0, 4)) + le32(v(1, 4)) + le32(v(2, 4)) + le32(v(3, 4)));
  // Points come back in request order, repeats included.
  EXPECT_EQ(read(d, points({{3, 5}, {0, 0}, {2, 3}, {3, 5}})),
            le32(v(3, 5)) + le32(v(0, 0)) + le32(v(2, 3)) + le32(v(3, 5)));
  // An empty selection reads nothing.
  EXPECT_EQ(read(d, slab({1, 1}, {0, 3})), "");

  // Write rows 1 and 3 at columns 0, 2, 4.
  write(d, slab({1, 0}, {2, 3}, {2, 2}),
        le32(100) + le32(101) + le32(102) + le32(103) + le32(104) + le32(105));
  std::string expected = all;
  const auto put = [&](uint64_t i, uint64_t j, int32_t x) { expected.replace((i * 6 + j) * 4, 4, le32(x)); };
  put(1, 0, 100);
  put(1, 2, 101);
  put(1, 4, 102);
  put(3, 0, 103);
  put(3, 2, 104);
  put(3, 4, 105);
  EXPECT_EQ(readAll(d), expected);

  write(d, points({{0, 5}, {2, 1}}), le32(-1) + le32(-2));
  put(0, 5, -1);
  put(2, 1, -2);
  EXPECT_EQ(readAll(d), expected);
  EXPECT_EQ(read(d, points({{2, 1}})), le32(-2));
}

TEST_P(ArrayStoreContract, Int32BigEndianKeepsItsByteOrder) {
  const auto type = arrays::intType(4, true, ByteOrder::Big);
  const std::string d = create(spec(type, {5}, {}, {}, be32(7)));
  EXPECT_TRUE(*store_->dataset(c_, d).type == *type);
  EXPECT_EQ(readAll(d), each(5, [](uint64_t) { return be32(7); }));
  write(d, slab({1}, {2}, {2}), be32(0x01020304) + be32(-2));
  EXPECT_EQ(readAll(d), be32(7) + be32(0x01020304) + be32(7) + be32(-2) + be32(7));
  EXPECT_EQ(read(d, points({{1}})), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(read(d, points({{3}})), std::string("\xff\xff\xff\xfe", 4));
}

TEST_P(ArrayStoreContract, Float64ThreeDimensionalChunked) {
  const std::string d = create(spec(arrays::floatType(8), {2, 3, 4}, {}, {1, 2, 3}));
  const auto v = [](uint64_t i, uint64_t j, uint64_t k) { return (i * 12 + j * 4 + k) * 0.5 - 1.25; };
  write(d, Selection::all({2, 3, 4}),
        each(24, [&](uint64_t n) { return f64le(v(n / 12, n / 4 % 3, n % 4)); }));
  EXPECT_EQ(read(d, slab({1, 0, 1}, {1, 3, 2}, {1, 1, 2})), f64le(v(1, 0, 1)) + f64le(v(1, 0, 3)) +
                                                                f64le(v(1, 1, 1)) + f64le(v(1, 1, 3)) +
                                                                f64le(v(1, 2, 1)) + f64le(v(1, 2, 3)));
  EXPECT_EQ(read(d, points({{1, 2, 3}, {0, 0, 0}})), f64le(v(1, 2, 3)) + f64le(v(0, 0, 0)));
}

TEST_P(ArrayStoreContract, FixedLengthStrings) {
  const auto type = arrays::fixedStringType(5);
  const std::string d = create(spec(type, {3}));
  write(d, Selection::all({3}), fixedStr("ab", 5) + "hello" + fixedStr("xyz", 5));
  EXPECT_EQ(readAll(d), fixedStr("ab", 5) + "hello" + fixedStr("xyz", 5));
  EXPECT_EQ(read(d, points({{2}, {0}})), fixedStr("xyz", 5) + fixedStr("ab", 5));
  write(d, points({{1}}), "world");
  EXPECT_EQ(read(d, slab({1}, {1})), "world");
}

TEST_P(ArrayStoreContract, VariableLengthStrings) {
  const std::string d = create(spec(arrays::vlenStringType(), {4}));
  // Never-written elements are empty strings.
  EXPECT_EQ(readAll(d), each(4, [](uint64_t) { return vlenStr(""); }));

  write(d, points({{2}, {0}}), vlenStr("second") + vlenStr("first \xc3\xa9"));
  EXPECT_EQ(readAll(d), vlenStr("first \xc3\xa9") + vlenStr("") + vlenStr("second") + vlenStr(""));

  const std::string longer(10000, 'L');
  write(d, slab({1}, {2}, {2}), vlenStr("one") + vlenStr(longer));
  EXPECT_EQ(readAll(d), vlenStr("first \xc3\xa9") + vlenStr("one") + vlenStr("second") + vlenStr(longer));
  EXPECT_EQ(read(d, slab({0}, {2}, {2})), vlenStr("first \xc3\xa9") + vlenStr("second"));
  EXPECT_EQ(read(d, points({{3}, {1}})), vlenStr(longer) + vlenStr("one"));

  // Overwritten with an empty string, it reads back empty.
  write(d, points({{3}}), vlenStr(""));
  EXPECT_EQ(read(d, slab({2}, {2})), vlenStr("second") + vlenStr(""));

  // Too few or too many elements for the selection. A rejected write changes nothing: the
  // element count is known before anything needs writing.
  EXPECT_THROW(write(d, slab({0}, {2}), vlenStr("only one")), BadRequest);
  EXPECT_THROW(write(d, slab({0}, {1}), vlenStr("one") + vlenStr("two")), BadRequest);
  EXPECT_EQ(read(d, slab({0}, {2})), vlenStr("first \xc3\xa9") + vlenStr("one"));
}

TEST_P(ArrayStoreContract, CompoundWithAnArrayField) {
  const auto type = pointType();
  const std::string d = create(spec(type, {2, 2}));
  const std::string p00 = pointValue(1, 0.5, -1, 2, "abc");
  const std::string p01 = pointValue(-2, 1e10, 3.25, -0.0, "d");
  const std::string p10 = pointValue(3, 7, 8, 9, "");
  const std::string p11 = pointValue(0x7fffffff, -1e-3, 0, 1, "xyz");
  ASSERT_EQ(p00.size(), 31u);
  write(d, Selection::all({2, 2}), p00 + p01 + p10 + p11);
  EXPECT_EQ(readAll(d), p00 + p01 + p10 + p11);
  EXPECT_EQ(read(d, points({{1, 0}})), p10);

  const std::string q01 = pointValue(10, 11, 12, 13, "q01");
  const std::string q11 = pointValue(20, 21, 22, 23, "q11");
  write(d, slab({0, 1}, {2, 1}), q01 + q11);
  EXPECT_EQ(readAll(d), p00 + q01 + p10 + q11);
  const DatasetInfo info = store_->dataset(c_, d);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *type);
}

TEST_P(ArrayStoreContract, EnumWithAFillValue) {
  const auto type = colorType();
  const std::string d = create(spec(type, {6}, {}, {}, "\x02"));
  EXPECT_EQ(readAll(d), std::string(6, '\x02'));
  write(d, points({{1}, {4}}), std::string("\x00\x01", 2));
  EXPECT_EQ(readAll(d), std::string("\x02\x00\x02\x02\x01\x02", 6));
  EXPECT_TRUE(*store_->dataset(c_, d).type == *type);
}

TEST_P(ArrayStoreContract, FillValuesFillWhatWasNeverWritten) {
  const std::string i = create(spec(arrays::intType(4, true), {5}, {}, {}, le32(42)));
  write(i, slab({1}, {2}), le32(1) + le32(2));
  EXPECT_EQ(readAll(i), le32(42) + le32(1) + le32(2) + le32(42) + le32(42));
  EXPECT_EQ(store_->dataset(c_, i).fillValue, le32(42));

  const std::string f = create(spec(arrays::floatType(8), {2, 2}, {}, {1, 2}, f64le(-1.5)));
  write(f, points({{1, 0}}), f64le(3));
  EXPECT_EQ(readAll(f), f64le(-1.5) + f64le(-1.5) + f64le(3) + f64le(-1.5));

  const std::string c = create(spec(pointType(), {2}, {}, {}, pointValue(999, 9, 9, 9, "N")));
  EXPECT_EQ(readAll(c), pointValue(999, 9, 9, 9, "N") + pointValue(999, 9, 9, 9, "N"));
}

TEST_P(ArrayStoreContract, VariableLengthFillValue) {
  const std::string d = create(spec(arrays::vlenStringType(), {3}, {}, {}, vlenStr("n/a")));
  write(d, points({{1}}), vlenStr("set"));
  EXPECT_EQ(readAll(d), vlenStr("n/a") + vlenStr("set") + vlenStr("n/a"));
}

TEST_P(ArrayStoreContract, ScalarAndNullShapes) {
  const std::string s = create(scalarSpec(arrays::floatType(8)));
  const DatasetInfo info = store_->dataset(c_, s);
  EXPECT_EQ(info.shape.cls, ShapeClass::Scalar);
  EXPECT_TRUE(info.shape.dims.empty());
  EXPECT_EQ(read(s, Selection::all({})), f64le(0));
  write(s, Selection::all({}), f64le(2.5));
  EXPECT_EQ(read(s, Selection::all({})), f64le(2.5));
  EXPECT_THROW(write(s, Selection::all({}), f64le(1) + f64le(2)), BadRequest);
  EXPECT_THROW(read(s, Selection::all({1})), BadRequest);
  EXPECT_THROW(store_->resize(c_, s, {2}), BadRequest);

  const std::string vs = create(scalarSpec(arrays::vlenStringType()));
  write(vs, Selection::all({}), vlenStr("scalar string"));
  EXPECT_EQ(read(vs, Selection::all({})), vlenStr("scalar string"));

  DatasetSpec null;
  null.type = arrays::intType(4, true);
  null.shape.cls = ShapeClass::Null;
  const std::string n = create(null);
  EXPECT_EQ(store_->dataset(c_, n).shape.cls, ShapeClass::Null);
  EXPECT_THROW(read(n, Selection::all({})), BadRequest);
  EXPECT_THROW(write(n, Selection::all({}), le32(1)), BadRequest);
  EXPECT_THROW(write(n, Selection::all({}), ""), BadRequest);
}

TEST_P(ArrayStoreContract, ChunkedAndContiguousGiveIdenticalResults) {
  const auto i32 = arrays::intType(4, true);
  const Dims dims{7, 9};
  const std::string contiguous = create(spec(i32, dims));
  const std::string chunked = create(spec(i32, dims, {}, {3, 4}));
  EXPECT_EQ(store_->dataset(c_, chunked).chunks, (Dims{3, 4}));
  std::vector<int32_t> model(63, 0);
  const auto modelBytes = [&](const std::vector<uint64_t>& indices) {
    std::string s;
    for (auto k : indices) s += le32(model[k]);
    return s;
  };

  int32_t next = 1;
  const auto writeSlab = [&](Dims start, Dims count, Dims step) {
    std::string bytes;
    for (uint64_t a = 0; a < count[0]; ++a)
      for (uint64_t b = 0; b < count[1]; ++b) {
        model[(start[0] + a * step[0]) * 9 + start[1] + b * step[1]] = next;
        bytes += le32(next++);
      }
    for (const auto& id : {contiguous, chunked}) write(id, slab(start, count, step), bytes);
  };
  writeSlab({0, 0}, {7, 9}, {1, 1});
  writeSlab({1, 2}, {3, 3}, {2, 3});  // crosses chunk borders in both dimensions
  writeSlab({5, 0}, {2, 9}, {1, 1});
  writeSlab({0, 8}, {7, 1}, {1, 1});
  std::string pointBytes;
  std::vector<Dims> pts{{6, 8}, {0, 0}, {3, 4}, {2, 7}};
  for (const auto& p : pts) {
    model[p[0] * 9 + p[1]] = next;
    pointBytes += le32(next++);
  }
  for (const auto& id : {contiguous, chunked}) write(id, points(pts), pointBytes);

  std::vector<uint64_t> everything(63);
  for (uint64_t k = 0; k < 63; ++k) everything[k] = k;
  for (const auto& id : {contiguous, chunked}) {
    SCOPED_TRACE(id == chunked ? "chunked" : "contiguous");
    EXPECT_EQ(readAll(id), modelBytes(everything));
    // Rows 1 and 4, columns 1, 3, 5, 7.
    EXPECT_EQ(read(id, slab({1, 1}, {2, 4}, {3, 2})), modelBytes({10, 12, 14, 16, 37, 39, 41, 43}));
    EXPECT_EQ(read(id, points({{6, 8}, {3, 5}, {0, 1}})), modelBytes({62, 32, 1}));
  }
  EXPECT_EQ(read(chunked, slab({2, 3}, {5, 6})), read(contiguous, slab({2, 3}, {5, 6})));
}

TEST_P(ArrayStoreContract, ResizeKeepsValuesAtTheirCoordinates) {
  const std::string d = create(spec(arrays::intType(4, true), {3, 4}, {kUnlimited, 6}, {2, 2}, le32(-1)));
  const auto v = [](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 10 + j); };
  write(d, Selection::all({3, 4}), each(12, [&](uint64_t k) { return le32(v(k / 4, k % 4)); }));

  store_->resize(c_, d, {5, 6});
  DatasetInfo info = store_->dataset(c_, d);
  EXPECT_EQ(info.shape.dims, (Dims{5, 6}));
  EXPECT_EQ(info.shape.maxdims, (Dims{kUnlimited, 6}));
  // Growing the last dimension moves every row: values keep coordinates, not linear indices.
  EXPECT_EQ(readAll(d), each(30, [&](uint64_t k) {
              const uint64_t i = k / 6, j = k % 6;
              return le32(i < 3 && j < 4 ? v(i, j) : -1);
            }));

  EXPECT_THROW(store_->resize(c_, d, {5, 7}), BadRequest) << "past maxdims";
  EXPECT_THROW(store_->resize(c_, d, {5}), BadRequest) << "wrong rank";
  EXPECT_THROW(store_->resize(c_, d, {5, 6, 1}), BadRequest) << "wrong rank";
  EXPECT_EQ(store_->dataset(c_, d).shape.dims, (Dims{5, 6}));

  // Unlimited grows as far as asked; then shrinking drops what falls outside.
  store_->resize(c_, d, {100, 6});
  EXPECT_EQ(read(d, slab({99, 0}, {1, 6})), each(6, [](uint64_t) { return le32(-1); }));
  EXPECT_EQ(read(d, slab({2, 0}, {1, 6})),
            le32(v(2, 0)) + le32(v(2, 1)) + le32(v(2, 2)) + le32(v(2, 3)) + le32(-1) + le32(-1));
  store_->resize(c_, d, {2, 3});
  EXPECT_EQ(readAll(d),
            le32(v(0, 0)) + le32(v(0, 1)) + le32(v(0, 2)) + le32(v(1, 0)) + le32(v(1, 1)) + le32(v(1, 2)));
  EXPECT_THROW(read(d, slab({2, 0}, {1, 1})), BadRequest) << "outside the new extent";
  store_->resize(c_, d, {3, 4});
  EXPECT_EQ(readAll(d), each(12, [&](uint64_t k) {
              const uint64_t i = k / 4, j = k % 4;
              return le32(i < 2 && j < 3 ? v(i, j) : -1);
            }));

  // Without maxdims the creation extent is the limit.
  const std::string fixed = create(spec(arrays::intType(4, true), {4}));
  EXPECT_THROW(store_->resize(c_, fixed, {5}), BadRequest);
}

TEST_P(ArrayStoreContract, ResizeVariableLength) {
  const std::string d = create(spec(arrays::vlenStringType(), {2, 2}, {4, 4}, {1, 2}));
  write(d, Selection::all({2, 2}), vlenStr("a") + vlenStr("b") + vlenStr("c") + vlenStr("d"));
  store_->resize(c_, d, {3, 3});
  EXPECT_EQ(readAll(d), vlenStr("a") + vlenStr("b") + vlenStr("") + vlenStr("c") + vlenStr("d") +
                            vlenStr("") + vlenStr("") + vlenStr("") + vlenStr(""));
}

TEST_P(ArrayStoreContract, WrongValueSizesAreBadRequests) {
  const std::string d = create(spec(arrays::intType(4, true), {4}));
  const std::string ok = le32(1) + le32(2) + le32(3) + le32(4);
  EXPECT_THROW(write(d, Selection::all({4}), ok.substr(0, 12)), BadRequest);
  EXPECT_THROW(write(d, Selection::all({4}), ok + le32(5)), BadRequest);
  EXPECT_THROW(write(d, slab({0}, {2}, {2}), ok), BadRequest);
  EXPECT_THROW(write(d, points({{1}}), ""), BadRequest);
  EXPECT_EQ(readAll(d), std::string(16, '\0')) << "a rejected write changes nothing";
  try {
    write(d, Selection::all({4}), ok.substr(0, 8));
    ADD_FAILURE() << "no BadRequest";
  } catch (const BadRequest& e) {
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  // The source ends before the announced size.
  EXPECT_THROW(ops_->writeAnnounced(d, Selection::all({4}), ok.substr(0, 10), 16), BadRequest);
  write(d, Selection::all({4}), ok);
  EXPECT_EQ(readAll(d), ok);
}

TEST_P(ArrayStoreContract, OutOfRangeSelectionsAreBadRequests) {
  const std::string d = create(spec(arrays::intType(4, true), {4, 6}));
  const std::vector<Selection> bad{
      slab({3, 0}, {2, 1}),          // past the end of dimension 0
      slab({0, 0}, {1, 3}, {1, 3}),  // 0, 3, 6: the step overshoots dimension 1
      slab({0, 6}, {1, 1}),
      slab({0}, {1}),  // wrong rank
      points({{4, 0}}),
      points({{0, 0}, {1, 6}}),
      points({{1}}),  // wrong rank
      Selection::all({5, 6}),
      Selection::all({4, 6, 1}),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THROW(read(d, bad[i]), BadRequest) << "selection " << i;
    const uint64_t n = bad[i].size();
    EXPECT_THROW(write(d, bad[i], std::string(n * 4, '\x01')), BadRequest) << "selection " << i;
  }
  EXPECT_EQ(readAll(d), std::string(96, '\0'));
}

TEST_P(ArrayStoreContract, LargeValuesStreamInAndOut) {
  const uint64_t n = 1500000;  // 6 MB of int32: more than one block each way
  const std::string d = create(spec(arrays::intType(4, true), {n}));
  const std::string bytes = randomBytes(n * 4, 21);
  ops_->write(d, Selection::all({n}), bytes, 1 << 20);
  std::string got;
  uint64_t calls = 0;
  store_->read(c_, d, Selection::all({n}), [&](const char* data, std::size_t k) {
    ++calls;
    got.append(data, k);
  });
  EXPECT_TRUE(got == bytes);
  EXPECT_GE(calls, 1u);
  std::string strided;
  for (uint64_t k = 1; k < n; k += 3) strided += bytes.substr(k * 4, 4);
  EXPECT_TRUE(read(d, slab({1}, {(n - 1 + 2) / 3}, {3})) == strided);
}

TEST_P(ArrayStoreContract, WritesUpdateModified) {
  const DatasetInfo created = store_->createDataset(c_, spec(arrays::intType(4, true), {2}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write(created.object.id, Selection::all({2}), le32(1) + le32(2));
  const DatasetInfo after = store_->dataset(c_, created.object.id);
  EXPECT_EQ(after.object.created, created.object.created);
  EXPECT_GT(after.object.modified, created.object.modified);
}

// Metadata read between changes reflects every change (a backend may keep metadata answers,
// as the hdf5 backend does; none may serve a stale one).
TEST_P(ArrayStoreContract, MetadataReadBetweenChangesIsNeverStale) {
  const std::string d = create(spec(arrays::intType(4, true), {2}, {kUnlimited}, {2}));
  const DatasetInfo first = store_->dataset(c_, d);
  EXPECT_EQ(store_->object(c_, root_).linkCount, 0u);
  EXPECT_EQ(store_->object(c_, d).attributeCount, 0u);
  const int64_t containerModified = store_->container(c_).modified;

  store_->createLink(c_, root_, hardLink("d", d));
  EXPECT_EQ(store_->object(c_, root_).linkCount, 1u);
  store_->createAttribute(c_, d, attr("a", arrays::intType(4, true), ShapeClass::Scalar), le32(1), false);
  EXPECT_EQ(store_->object(c_, d).attributeCount, 1u);
  EXPECT_EQ(store_->dataset(c_, d).object.attributeCount, 1u);
  store_->resize(c_, d, {7});
  EXPECT_EQ(store_->dataset(c_, d).shape.dims, (Dims{7}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write(d, slab({0}, {1}), le32(9));
  const DatasetInfo written = store_->dataset(c_, d);
  EXPECT_GT(written.object.modified, first.object.modified);
  EXPECT_GE(store_->container(c_).modified, containerModified);
  store_->deleteAttribute(c_, d, "a");
  EXPECT_EQ(store_->object(c_, d).attributeCount, 0u);
  store_->deleteLink(c_, root_, "d");
  EXPECT_EQ(store_->object(c_, root_).linkCount, 0u);
  store_->deleteObject(c_, d);
  EXPECT_THROW(store_->dataset(c_, d), Gone);
  EXPECT_THROW(store_->object(c_, d), Gone);

  // A container deleted and created again is a new container with a new root.
  store_->deleteContainer(c_);
  EXPECT_FALSE(store_->findContainer(c_));
  const std::string newRoot = store_->createContainer(c_).rootId;
  EXPECT_EQ(store_->container(c_).rootId, newRoot);
  EXPECT_NE(newRoot, root_);
  EXPECT_THROW(store_->object(c_, root_), Error);
}

// ---------------------------------------------------------------- committed datatypes

TEST_P(ArrayStoreContract, CommittedDatatypes) {
  const auto type = pointType();
  const ObjectInfo t = store_->createDatatype(c_, type);
  EXPECT_EQ(t.kind, ObjectKind::Datatype);
  EXPECT_EQ(store_->object(c_, t.id).kind, ObjectKind::Datatype);
  const DatatypePtr got = store_->datatype(c_, t.id);
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got == *type);
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Datatype, {}), Names{t.id});
  EXPECT_THROW(store_->createDatatype(c_, nullptr), BadRequest);

  // A dataset of the committed type keeps the reference to it.
  auto committed = std::make_shared<Datatype>(*type);
  committed->committedId = t.id;
  const std::string d = create(spec(committed, {1}));
  const DatasetInfo info = store_->dataset(c_, d);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *type);
  EXPECT_EQ(info.type->committedId, t.id);
  write(d, Selection::all({1}), pointValue(5, 1, 2, 3, "c"));
  EXPECT_EQ(readAll(d), pointValue(5, 1, 2, 3, "c"));

  const ObjectInfo other = store_->createDatatype(c_, arrays::vlenStringType());
  EXPECT_EQ(store_->datatype(c_, other.id)->cls, TypeClass::String);
  EXPECT_TRUE(store_->datatype(c_, other.id)->variable);
  const auto listed = store_->listObjects(c_, ObjectKind::Datatype, {});
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), (std::set<std::string>{t.id, other.id}));
}

// ---------------------------------------------------------------- attributes

TEST_P(ArrayStoreContract, AttributesCreateListReplaceDelete) {
  const auto i32 = arrays::intType(4, true);
  const auto f64 = arrays::floatType(8);
  store_->createAttribute(c_, root_, attr("b", i32, ShapeClass::Scalar), le32(5), false);
  store_->createAttribute(c_, root_, attr("a", f64, ShapeClass::Simple, {3}), f64le(1) + f64le(2) + f64le(3),
                          false);
  store_->createAttribute(c_, root_, attr("c", arrays::vlenStringType(), ShapeClass::Simple, {2}),
                          vlenStr("x") + vlenStr("longer"), false);
  store_->createAttribute(c_, root_, attr("e", i32, ShapeClass::Null), "", false);
  store_->createAttribute(c_, root_, attr("d", pointType(), ShapeClass::Scalar), pointValue(1, 2, 3, 4, "p"),
                          false);

  EXPECT_EQ(store_->object(c_, root_).attributeCount, 5u);
  AttributeInfo a = store_->attribute(c_, root_, "a");
  EXPECT_EQ(a.name, "a");
  ASSERT_TRUE(a.type);
  EXPECT_TRUE(*a.type == *f64);
  EXPECT_EQ(a.shape.cls, ShapeClass::Simple);
  EXPECT_EQ(a.shape.dims, (Dims{3}));
  EXPECT_GT(a.created, 0);
  EXPECT_EQ(store_->attribute(c_, root_, "b").shape.cls, ShapeClass::Scalar);
  EXPECT_EQ(store_->attribute(c_, root_, "e").shape.cls, ShapeClass::Null);

  EXPECT_EQ(store_->attributeValue(c_, root_, "a"), f64le(1) + f64le(2) + f64le(3));
  EXPECT_EQ(store_->attributeValue(c_, root_, "b"), le32(5));
  EXPECT_EQ(store_->attributeValue(c_, root_, "c"), vlenStr("x") + vlenStr("longer"));
  EXPECT_EQ(store_->attributeValue(c_, root_, "d"), pointValue(1, 2, 3, 4, "p"));
  EXPECT_EQ(store_->attributeValue(c_, root_, "e"), "");

  const auto all = store_->listAttributes(c_, root_, {});
  EXPECT_EQ(attributeNames(all), (Names{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(all[0].shape.dims, (Dims{3}));
  Page page;
  page.limit = 2;
  EXPECT_EQ(attributeNames(store_->listAttributes(c_, root_, page)), (Names{"a", "b"}));
  page.marker = "b";
  EXPECT_EQ(attributeNames(store_->listAttributes(c_, root_, page)), (Names{"c", "d"}));
  page.marker = "d";
  EXPECT_EQ(attributeNames(store_->listAttributes(c_, root_, page)), (Names{"e"}));
  page.marker = "e";
  EXPECT_TRUE(store_->listAttributes(c_, root_, page).empty());

  // Conflict unless replacing; a replacement may change type and shape.
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("a", i32, ShapeClass::Scalar), le32(1), false),
               Conflict);
  EXPECT_EQ(store_->attributeValue(c_, root_, "a"), f64le(1) + f64le(2) + f64le(3));
  store_->createAttribute(c_, root_, attr("a", i32, ShapeClass::Simple, {2}), le32(8) + le32(9), true);
  a = store_->attribute(c_, root_, "a");
  EXPECT_TRUE(*a.type == *i32);
  EXPECT_EQ(a.shape.dims, (Dims{2}));
  EXPECT_EQ(store_->attributeValue(c_, root_, "a"), le32(8) + le32(9));
  EXPECT_EQ(store_->object(c_, root_).attributeCount, 5u);
  // replace also creates.
  store_->createAttribute(c_, root_, attr("f", i32, ShapeClass::Scalar), le32(6), true);
  EXPECT_EQ(store_->attributeValue(c_, root_, "f"), le32(6));

  store_->deleteAttribute(c_, root_, "b");
  EXPECT_THROW(store_->attribute(c_, root_, "b"), NotFound);
  EXPECT_THROW(store_->attributeValue(c_, root_, "b"), NotFound);
  EXPECT_THROW(store_->deleteAttribute(c_, root_, "b"), NotFound);
  EXPECT_EQ(attributeNames(store_->listAttributes(c_, root_, {})), (Names{"a", "c", "d", "e", "f"}));
  EXPECT_EQ(store_->object(c_, root_).attributeCount, 5u);
}

TEST_P(ArrayStoreContract, AttributesOnEveryKindOfObject) {
  const auto i32 = arrays::intType(4, true);
  const std::string g = store_->createGroup(c_).id;
  const std::string d = create(spec(i32, {2}));
  const std::string t = store_->createDatatype(c_, i32).id;
  for (const auto& id : {g, d, t}) {
    store_->createAttribute(c_, id, attr("units", arrays::fixedStringType(6), ShapeClass::Scalar), "metres",
                            false);
    store_->createAttribute(c_, id, attr("id", i32, ShapeClass::Scalar), le32(7), false);
    EXPECT_EQ(attributeNames(store_->listAttributes(c_, id, {})), (Names{"id", "units"}));
    EXPECT_EQ(store_->attributeValue(c_, id, "units"), "metres");
    EXPECT_EQ(store_->object(c_, id).attributeCount, 2u);
  }
  EXPECT_EQ(store_->dataset(c_, d).object.attributeCount, 2u);
  // Each object has its own.
  store_->deleteAttribute(c_, d, "id");
  EXPECT_EQ(store_->attributeValue(c_, g, "id"), le32(7));
  EXPECT_TRUE(store_->listAttributes(c_, root_, {}).empty());
}

TEST_P(ArrayStoreContract, RejectsBadAttributes) {
  const auto i32 = arrays::intType(4, true);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("a", i32, ShapeClass::Simple, {2}), le32(1), false),
               BadRequest);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("a", i32, ShapeClass::Scalar), le32(1) + "x", false),
               BadRequest);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("a", nullptr, ShapeClass::Scalar), le32(1), false),
               BadRequest);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("", i32, ShapeClass::Scalar), le32(1), false),
               BadRequest);
  EXPECT_THROW(
      store_->createAttribute(c_, root_, attr("a", arrays::vlenStringType(), ShapeClass::Simple, {2}),
                              vlenStr("one"), false),
      BadRequest);
  EXPECT_THROW(store_->createAttribute(c_, newUuid(), attr("a", i32, ShapeClass::Scalar), le32(1), false),
               NotFound);
  EXPECT_THROW(store_->attribute(c_, root_, "a"), NotFound);
  EXPECT_EQ(store_->object(c_, root_).attributeCount, 0u);
}

// ---------------------------------------------------------------- concurrency

TEST_P(ArrayStoreContract, ConcurrentWritersToDisjointHyperslabs) {
  const uint64_t rows = 400, cols = 256;
  const std::string d = create(spec(arrays::intType(4, true), {rows, cols}, {}, {50, 64}));
  const auto value = [&](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 1000 + j + 1); };
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  std::string error;
  const auto fail = [&](const std::string& what) {
    std::lock_guard lock(errorMutex);
    error += what + "\n";
    failed = true;
  };

  std::vector<std::thread> threads;
  std::atomic<int> writersLeft{4};
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        ArrayOps ops(*store_, c_);
        // Thread t owns rows t, t+4, t+8, ...: interleaved, so every chunk has four writers.
        for (uint64_t w = 0; w < 10; ++w) {
          const uint64_t first = t + 40 * w;
          std::string bytes;
          for (uint64_t k = 0; k < 10; ++k)
            for (uint64_t j = 0; j < cols; ++j) bytes += le32(value(first + 4 * k, j));
          ops.write(d, slab({first, 0}, {10, cols}, {4, 1}), bytes, 4093);
          // Metadata traffic on the same container at the same time.
          const std::string g = store_->createGroup(c_).id;
          store_->createLink(c_, root_, hardLink("t" + std::to_string(t) + "-" + std::to_string(w), g));
        }
      } catch (const std::exception& e) {
        fail(std::string("writer: ") + e.what());
      }
      --writersLeft;
    });
  }
  // A reader meanwhile sees every element either unwritten or final, never torn.
  threads.emplace_back([&] {
    try {
      ArrayOps ops(*store_, c_);
      do {
        const std::string got = ops.read(d, Selection::all({rows, cols}));
        if (got.size() != rows * cols * 4) return fail("reader: wrong size");
        for (uint64_t k = 0; k < rows * cols; ++k) {
          int32_t x;
          std::memcpy(&x, got.data() + 4 * k, 4);  // little-endian host, as the packed form
          if (x != 0 && x != value(k / cols, k % cols))
            return fail("reader: torn value at " + std::to_string(k));
        }
      } while (writersLeft > 0);
    } catch (const std::exception& e) {
      fail(std::string("reader: ") + e.what());
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed) << error;

  EXPECT_TRUE(readAll(d) == each(rows * cols, [&](uint64_t k) { return le32(value(k / cols, k % cols)); }));
  EXPECT_EQ(store_->listLinks(c_, root_, {}).size(), 40u);
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Group, {}).size(), 40u);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ArrayStoreContract,
    testing::Values(memoryBackend(),
                    BackendParam{"hdf5",
                                 [](const std::string& dir) {
                                   return std::map<std::string, std::string>{{"path", dir + "/arrays"}};
                                 }},
                    BackendParam{"rocksdb",
                                 [](const std::string& dir) {
                                   return std::map<std::string, std::string>{{"path", dir + "/db"}};
                                 }}),
    backendName);

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
