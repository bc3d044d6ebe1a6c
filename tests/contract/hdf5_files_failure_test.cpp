// Read-only files refuse writes and keep their bytes; a corrupt file fails only its own
// container; what a crash in the middle of creating a domain leaves is no domain; a flush torn
// by a crash is completed from its journal.

#include "contract/hdf5_files_fixture.h"

#include <cstring>

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

// ---------------------------------------------------------------- torn flushes

// The journal the driver writes (backends/hdf5/journal_driver.cpp): "SJ01", then per record
// the address, the length and the bytes, then the record count, the journal's length and
// "SJOK". Here: every run of bytes in which `after` differs from `before`.
std::string journalOf(const std::string& before, const std::string& after, std::size_t* records) {
  auto put64 = [](std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  std::string text = "SJ01";
  *records = 0;
  for (std::size_t i = 0; i < after.size();) {
    if (i < before.size() && before[i] == after[i]) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < after.size() && !(j < before.size() && before[j] == after[j])) ++j;
    put64(text, i);
    put64(text, j - i);
    text += after.substr(i, j - i);
    ++*records;
    i = j;
  }
  put64(text, *records);
  put64(text, text.size() + 12);
  return text + "SJOK";
}

// HDF5 writes a flush as several writes, the superblock last; a process killed between them
// left a file whose newest objects HDF5 could not read ("addr overflow": an object header
// naming a chunk index past the end the superblock recorded; CrashConsistency found it, about
// one kill in 500). Writable files now go through a driver that writes each flush to a journal
// first. Here the state a kill in the middle leaves is built by hand: the file as before a
// change with only part of the change's bytes in it, and the complete journal. Opening it
// applies the journal: the change is whole. A journal without its end marker is from a kill
// before the file was touched: it is dropped, and the file is as before.
TEST_F(Hdf5Files, ATornFlushIsCompletedFromItsJournal) {
  const std::string c = "test/journal";
  const std::string path = data_ + "/test/journal.h5", journal = data_ + "/test/.journal.h5.journal",
                    sidecar = data_ + "/test/.journal.h5.strata";
  std::string root;
  {
    ArrayStore& store = open();
    root = store.createContainer(c).rootId;
  }
  close();
  EXPECT_FALSE(fs::exists(journal));  // emptied and removed at close
  const std::string before = readFile(path), sidecarBefore = readFile(sidecar);
  std::string d;
  {
    ArrayStore& store = open();
    d = store.createDataset(c, spec(arrays::intType(4, true), {4}, {}, {2})).object.id;
    store.createLink(c, root, hardLink("d", d));
    write(c, d, Selection::all({4}), le32(1) + le32(2) + le32(3) + le32(4));
  }
  close();
  const std::string after = readFile(path);
  std::size_t records = 0;
  const std::string text = journalOf(before, after, &records);
  ASSERT_GT(records, 1u);

  // Torn: the first record's bytes reached the file, the others did not.
  std::string torn = before;
  torn.resize(std::max(before.size(), after.size()), '\0');
  // (memcpy: the fields are not 8-byte aligned in the journal's bytes)
  uint64_t addr = 0, len = 0;
  std::memcpy(&addr, text.data() + 4, sizeof addr);
  std::memcpy(&len, text.data() + 12, sizeof len);
  torn.replace(addr, len, after.substr(addr, len));
  writeFile(path, torn);
  writeFile(journal, text);
  {
    ArrayStore& store = open();
    EXPECT_EQ(store.link(c, root, "d").id, d);
    EXPECT_EQ(readAll(c, d), le32(1) + le32(2) + le32(3) + le32(4));
  }
  close();
  EXPECT_EQ(readFile(path), after);
  EXPECT_FALSE(fs::exists(journal));
  if (haveH5py())
    python(
        "import h5py, sys\nwith h5py.File(sys.argv[1], 'r') as f:\n    assert list(f['d'][()]) == [1, 2, 3, "
        "4]\n",
        {path});

  // Incomplete: the file as before, the journal cut before its end marker.
  writeFile(path, before);
  writeFile(sidecar, sidecarBefore);
  writeFile(journal, text.substr(0, text.size() - 1));
  {
    ArrayStore& store = open();
    EXPECT_THROW(store.link(c, root, "d"), NotFound);
    EXPECT_TRUE(store.listObjects(c, ObjectKind::Dataset, {}).empty());
  }
  close();
  EXPECT_EQ(readFile(path), before);
}

}  // namespace
}  // namespace strata::test
