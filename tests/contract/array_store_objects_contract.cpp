// The arrays role contract for containers, groups, links, committed datatypes and attributes.
// Also the one instantiation of the ArrayStoreContract suite, for every backend, which runs the
// ArrayStoreContract tests of every array_store_*_contract.cpp file.

#include "contract/array_store_contract_fixture.h"

namespace strata::test {
namespace {

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

TEST_P(ArrayStoreContract, CommittedDatatypeReferences) {
  const auto type = pointType();
  const ObjectInfo t = store_->createDatatype(c_, type);
  auto committed = std::make_shared<Datatype>(*type);
  committed->committedId = t.id;
  const std::string value = pointValue(5, 1, 2, 3, "c");

  // Attributes keep the reference too, listed and read alone.
  store_->createAttribute(c_, root_, attr("a", committed, ShapeClass::Scalar), value, false);
  EXPECT_EQ(store_->attribute(c_, root_, "a").type->committedId, t.id);
  EXPECT_EQ(store_->listAttributes(c_, root_, {}).at(0).type->committedId, t.id);
  const std::string d = create(spec(committed, {1}));
  write(d, Selection::all({1}), value);

  // A reference must name a live committed datatype of the container: NotFound otherwise
  // (an unknown id, or the id of a group), and nothing is created.
  auto bad = [&](const std::string& id) {
    auto b = std::make_shared<Datatype>(*type);
    b->committedId = id;
    return b;
  };
  EXPECT_THROW(store_->createDataset(c_, spec(bad("nosuch"), {1})), NotFound);
  EXPECT_THROW(store_->createDataset(c_, spec(bad(root_), {1})), NotFound);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("b", bad("nosuch"), ShapeClass::Scalar), value, false),
               NotFound);
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Dataset, {}), Names{d});
  EXPECT_EQ(store_->object(c_, root_).attributeCount, 1u);

  // Deleted while in use: HDF5 keeps the type alive through the objects that use it, and so
  // does every store. They keep its structure and values but no longer name it; new
  // references to it are Gone.
  store_->deleteObject(c_, t.id);
  EXPECT_THROW(store_->datatype(c_, t.id), Gone);
  const DatasetInfo info = store_->dataset(c_, d);
  EXPECT_TRUE(*info.type == *type);
  EXPECT_EQ(info.type->committedId, "");
  EXPECT_EQ(readAll(d), value);
  write(d, Selection::all({1}), pointValue(6, 4, 5, 6, "e"));
  EXPECT_EQ(readAll(d), pointValue(6, 4, 5, 6, "e"));
  const AttributeInfo a = store_->attribute(c_, root_, "a");
  EXPECT_TRUE(*a.type == *type);
  EXPECT_EQ(a.type->committedId, "");
  EXPECT_EQ(store_->listAttributes(c_, root_, {}).at(0).type->committedId, "");
  EXPECT_EQ(store_->attributeValue(c_, root_, "a"), value);
  EXPECT_THROW(store_->createDataset(c_, spec(committed, {1})), Gone);
  EXPECT_THROW(store_->createAttribute(c_, root_, attr("b", committed, ShapeClass::Scalar), value, false),
               Gone);
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

}  // namespace
}  // namespace strata::test
