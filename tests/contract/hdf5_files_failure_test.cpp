// Read-only files refuse writes and keep their bytes; a corrupt file fails only its own
// container; what a crash in the middle of creating a domain leaves is no domain.

#include "contract/hdf5_files_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- read-only files

void expectEveryWriteForbidden(ArrayStore& store, const std::string& c, const std::string& root,
                               const std::string& dataset, const std::string& group) {
  EXPECT_THROW(store.createGroup(c), Forbidden);
  EXPECT_THROW(store.createDataset(c, spec(arrays::intType(4, true), {2})), Forbidden);
  EXPECT_THROW(store.createDatatype(c, arrays::intType(4, true)), Forbidden);
  EXPECT_THROW(store.createLink(c, root, hardLink("new", group)), Forbidden);
  EXPECT_THROW(store.deleteLink(c, root, "g1"), Forbidden);
  EXPECT_THROW(store.deleteObject(c, dataset), Forbidden);
  EXPECT_THROW(store.resize(c, dataset, {2}), Forbidden);
  const std::string bytes(4, '\0');
  EXPECT_THROW(store.write(c, dataset, Selection::points({{0, 0}}, 2), sourceOf(bytes), 4), Forbidden);
  EXPECT_THROW(
      store.createAttribute(c, root, attr("x", arrays::intType(4, true), ShapeClass::Scalar), le32(1), false),
      Forbidden);
  EXPECT_THROW(store.createAttribute(c, root, attr("title", arrays::intType(4, true), ShapeClass::Scalar),
                                     le32(1), true),
               Forbidden);
  EXPECT_THROW(store.deleteAttribute(c, root, "title"), Forbidden);
  EXPECT_THROW(store.deleteContainer(c), Forbidden);
}

TEST_F(Hdf5Files, ReadOnlyFilesRefuseWritesAndKeepTheirBytes) {
  if (!haveH5py()) GTEST_SKIP() << "no h5py for /usr/bin/python3";
  python(kH5pyWriter, {data_ + "/test/locked.h5", work_ + "/expected"});
  const std::string path = data_ + "/test/locked.h5";
  ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
  const std::string before = sha256(readFile(path));
  {
    ArrayStore& store = open();
    const std::string c = "test/locked";
    const ContainerInfo info = store.container(c);
    EXPECT_TRUE(info.readOnly);
    const std::string dset = idAt(c, "g1/g1.1/dset1.1.1");
    EXPECT_EQ(readAll(c, dset), readFile(work_ + "/expected/i32.bin"));
    EXPECT_EQ(store.attributeValue(c, info.rootId, "version"), le32(3));
    expectEveryWriteForbidden(store, c, info.rootId, dset, idAt(c, "g1"));
    // Everything still reads.
    EXPECT_EQ(tree(c).size(), 22u);
    std::string exported;
    store.exportHdf5(c, [&](const char* p, std::size_t n) { exported.append(p, n); });
    EXPECT_EQ(sha256(exported), before);
  }
  close();
  EXPECT_EQ(sha256(readFile(path)), before);
  EXPECT_FALSE(fs::exists(data_ + "/test/.locked.h5.strata"));
}

TEST_F(Hdf5Files, ReadOnlyConfigurationServesEveryFileReadOnly) {
  writeCApiFile(data_ + "/test/capi.h5");
  const std::string path = data_ + "/test/capi.h5";
  const std::string before = sha256(readFile(path));
  ArrayStore& store = open({{"readOnly", "true"}});
  const std::string c = "test/capi";
  const ContainerInfo info = store.container(c);
  EXPECT_TRUE(info.readOnly);
  EXPECT_EQ(store.attributeValue(c, idAt(c, "grp"), "count"), le32(42));
  EXPECT_THROW(store.createGroup(c), Forbidden);
  EXPECT_THROW(store.createDataset(c, spec(arrays::intType(4, true), {2})), Forbidden);
  EXPECT_THROW(store.createLink(c, info.rootId, hardLink("x", idAt(c, "grp"))), Forbidden);
  EXPECT_THROW(store.deleteLink(c, info.rootId, "grp"), Forbidden);
  EXPECT_THROW(store.deleteObject(c, idAt(c, "grp/data")), Forbidden);
  EXPECT_THROW(store.createAttribute(c, info.rootId, attr("x", arrays::intType(4, true), ShapeClass::Scalar),
                                     le32(1), false),
               Forbidden);
  EXPECT_THROW(store.deleteAttribute(c, info.rootId, "rec"), Forbidden);
  EXPECT_THROW(store.createContainer("new"), Forbidden);
  EXPECT_THROW(store.deleteContainer(c), Forbidden);
  EXPECT_EQ(readAll(c, idAt(c, "grp/data")).size(), 40u);
  close();
  EXPECT_EQ(sha256(readFile(path)), before);
  EXPECT_FALSE(fs::exists(data_ + "/new.h5"));
}

// ---------------------------------------------------------------- corrupt files

TEST_F(Hdf5Files, ACorruptFileFailsOnlyItsOwnContainer) {
  writeCApiFile(data_ + "/test/capi.h5");
  const std::string good = readFile(data_ + "/test/capi.h5");
  writeFile(data_ + "/test/truncated.h5", good.substr(0, good.size() / 2));
  writeFile(data_ + "/test/garbage.h5", randomBytes(20000, 5));
  writeFile(data_ + "/test/empty.h5", "");
  ArrayStore& store = open();
  EXPECT_EQ(store.listContainers(), (Names{"test/capi", "test/empty", "test/garbage", "test/truncated"}));
  for (const std::string c : {"test/truncated", "test/garbage", "test/empty"}) {
    SCOPED_TRACE(c);
    EXPECT_THROW(store.findContainer(c), InternalError);
    EXPECT_THROW(store.container(c), InternalError);
    EXPECT_THROW(store.createGroup(c), InternalError);
    EXPECT_THROW(store.listObjects(c, ObjectKind::Dataset, {}), InternalError);
    try {
      store.findContainer(c);
    } catch (const InternalError& e) {
      EXPECT_NE(std::string(e.what()).find(c), std::string::npos) << e.what();
    }
    // The good file is served all the while.
    EXPECT_EQ(store.attributeValue("test/capi", idAt("test/capi", "grp"), "count"), le32(42));
  }
  // An operator can still remove a corrupt file through the store.
  store.deleteContainer("test/garbage");
  EXPECT_FALSE(store.findContainer("test/garbage"));
  EXPECT_EQ(store.listContainers(), (Names{"test/capi", "test/empty", "test/truncated"}));
}

// ---------------------------------------------------------------- crash while creating

// A domain's file is built under a hidden name and linked into place whole. The server killed
// while it builds leaves only that hidden file (here: empty, as H5Fcreate leaves it before
// the first flush): no domain is listed or found, the name can be created, and the leftover is
// replaced. Before, the file was created under the domain's own name, so such a crash left an
// empty <name>.h5 that answered 500 on every request and that h5py could not open.
TEST_F(Hdf5Files, ACrashWhileCreatingADomainLeavesNoDomain) {
  writeFile(data_ + "/test/.interrupted.h5.creating", "");
  writeFile(data_ + "/test/.interrupted.h5.strata",
            "salt 000001\ngone 00000000-0000-4000-8001-000000000060\n");
  ArrayStore& store = open();
  EXPECT_EQ(store.listContainers(), Names{});
  EXPECT_FALSE(store.findContainer("test/interrupted"));
  const ContainerInfo info = store.createContainer("test/interrupted");
  EXPECT_EQ(store.listContainers(), Names{"test/interrupted"});
  EXPECT_FALSE(fs::exists(data_ + "/test/.interrupted.h5.creating"));
  // The new file has a salt of its own, not the one the old sidecar named.
  const std::string sidecar = readFile(data_ + "/test/.interrupted.h5.strata");
  EXPECT_EQ(sidecar.rfind("salt ", 0), 0u) << sidecar;
  EXPECT_EQ(sidecar.find("000001"), std::string::npos) << sidecar;
  EXPECT_EQ(sidecar.find("gone"), std::string::npos) << sidecar;
  const std::string g = store.createGroup("test/interrupted").id;
  store.createLink("test/interrupted", info.rootId, hardLink("g", g));
  EXPECT_THROW(store.createContainer("test/interrupted"), Conflict);
  close();
  // A whole HDF5 file: h5py (when there is one) opens it and finds the group.
  if (haveH5py())
    python(
        "import h5py, sys\nwith h5py.File(sys.argv[1], 'r') as f:\n    assert isinstance(f['g'], "
        "h5py.Group)\n",
        {data_ + "/test/interrupted.h5"});
}

}  // namespace
}  // namespace strata::test
