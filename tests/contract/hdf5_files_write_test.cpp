// Files the hdf5 backend writes open in h5py with the right values; ids are stable across
// restarts; deleting an object removes every link to it, and its space, reused, shows none of its
// values; export is the file itself.

#include "contract/hdf5_files_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- files the store writes

const char* kH5pyChecker = R"PY(
import sys
import numpy as np
import h5py

def check(cond, what):
    if not cond:
        print('FAILED:', what); sys.exit(1)

with h5py.File(sys.argv[1], 'r') as f:
    check(sorted(f.keys()) == ['colors', 'ctype', 'el', 'floats', 'grp', 'names', 'records', 'refs',
                               'regions', 'sl', 'typed'], sorted(f.keys()))
    ints = f['grp/ints']
    check(ints.dtype == np.dtype('>i4'), ints.dtype)
    check((ints[...] == np.arange(12).reshape(3, 4) - 5).all(), ints[...])
    check(f['grp'].attrs['note'] == 'hello \u00e9', f['grp'].attrs['note'])
    fl = f['floats']
    check(fl.chunks == (2, 2) and fl.compression == 'gzip' and fl.fillvalue == -1.5, (fl.chunks, fl.compression))
    check(fl.maxshape == (None, 4) and fl.shape == (5, 4), (fl.maxshape, fl.shape))
    expect = np.full((5, 4), -1.5); expect[1, :] = [1, 2, 3, 4]
    check((fl[...] == expect).all(), fl[...])
    names = [x.decode() if isinstance(x, bytes) else x for x in f['names'][...]]
    check(names == ['a', 'b\u00e9', ''], names)
    rec = f['records'][...]
    check(rec.dtype.names == ('id', 'label'), rec.dtype)
    check(int(rec[1]['id']) == -9, rec)
    label = rec[1]['label']
    check((label.decode() if isinstance(label, bytes) else label) == 'nine', rec)
    check(h5py.check_enum_dtype(f['colors'].dtype) == {'RED': 0, 'GREEN': 1, 'BLUE': 2}, f['colors'].dtype)
    check(list(f['colors'][...]) == [2, 0, 1], f['colors'][...])
    refs = f['refs'][...]
    check(f[refs[0]].name == '/grp' and f[refs[1]].name == '/grp/ints' and not refs[2], refs)
    reg = f['regions'][0]
    check(list(f['grp/ints'][reg].ravel()) == [0, 1], f['grp/ints'][reg])
    check(f['typed'].id.get_type().committed(), 'typed does not use the committed type')
    check(list(f['typed'][...]) == [7, -7], f['typed'][...])
    check(f.get('sl', getlink=True).path == '/grp', 'soft link')
    check(f.get('el', getlink=True).filename == 'other.h5', 'external link')
    check(list(f.attrs['vector']) == [1.0, 2.0], f.attrs['vector'])
    check(int(f.attrs['answer']) == 42, f.attrs['answer'])
    # The anonymous group the store keeps is not visible; the file is otherwise clean.
    seen = []
    f.visit(seen.append)
    check(sorted(seen) == ['colors', 'ctype', 'floats', 'grp', 'grp/ints', 'names', 'records', 'refs',
                           'regions', 'typed'], sorted(seen))
print('OK')
)PY";

TEST_F(Hdf5Files, FilesTheStoreWritesOpenInH5py) {
  if (!haveH5py()) GTEST_SKIP() << "no h5py for /usr/bin/python3";
  ArrayStore& store = open();
  const std::string c = "made";
  const std::string root = store.createContainer(c).rootId;

  const std::string grp = store.createGroup(c).id;
  store.createLink(c, root, hardLink("grp", grp));
  store.createAttribute(c, grp, attr("note", arrays::vlenStringType(), ShapeClass::Scalar),
                        vlenStr("hello \xc3\xa9"), false);
  const std::string ints =
      store.createDataset(c, spec(arrays::intType(4, true, ByteOrder::Big), {3, 4})).object.id;
  store.createLink(c, grp, hardLink("ints", ints));
  std::string intBytes;
  for (int i = 0; i < 12; ++i) intBytes += be(static_cast<uint32_t>(i - 5), 4);
  write(c, ints, Selection::all({3, 4}), intBytes);

  Filter deflate;
  deflate.kind = Filter::Kind::Deflate;
  deflate.level = 5;
  DatasetSpec fs = spec(arrays::floatType(8), {2, 4}, {kUnlimited, 4}, {2, 2}, f64le(-1.5));
  fs.filters = {deflate};
  const std::string floats = store.createDataset(c, fs).object.id;
  store.createLink(c, root, hardLink("floats", floats));
  write(c, floats, Selection::hyperslab({{1, 0}, {1, 4}, {1, 1}}), f64le(1) + f64le(2) + f64le(3) + f64le(4));
  store.resize(c, floats, {5, 4});

  const std::string names = store.createDataset(c, spec(arrays::vlenStringType(), {3})).object.id;
  store.createLink(c, root, hardLink("names", names));
  write(c, names, Selection::all({3}), vlenStr("a") + vlenStr("b\xc3\xa9") + vlenStr(""));

  const std::string records = store.createDataset(c, spec(recordType(), {2})).object.id;
  store.createLink(c, root, hardLink("records", records));
  write(c, records, Selection::all({2}), le32(8) + vlenStr("eight") + le32(-9) + vlenStr("nine"));
  EXPECT_EQ(readAll(c, records), le32(8) + vlenStr("eight") + le32(-9) + vlenStr("nine"));

  const std::string colors = store.createDataset(c, spec(colorType(), {3})).object.id;
  store.createLink(c, root, hardLink("colors", colors));
  write(c, colors, Selection::all({3}), std::string("\x02\x00\x01", 3));

  const std::string refs = store.createDataset(c, spec(objectRefType(), {3})).object.id;
  store.createLink(c, root, hardLink("refs", refs));
  const std::string refBytes =
      ref("groups", grp) + ref("datasets", ints) + std::string(arrays::kRefBytes, '\0');
  write(c, refs, Selection::all({3}), refBytes);
  EXPECT_EQ(readAll(c, refs), refBytes);
  EXPECT_THROW(write(c, refs, Selection::hyperslab({{0}, {1}, {1}}), ref("groups", newUuid())), NotFound);

  const std::string regions = store.createDataset(c, spec(regionRefType(), {1})).object.id;
  store.createLink(c, root, hardLink("regions", regions));
  const std::string region =
      "{\"id\":\"" + ints + "\",\"select_type\":\"H5S_SEL_POINTS\",\"selection\":[[1,1],[1,2]]}";
  write(c, regions, Selection::all({1}), vlenStr(region));
  const std::string back = readAll(c, regions);
  auto item = Poco::JSON::Parser().parse(back.substr(8)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(item->getValue<std::string>("id"), ints);
  EXPECT_EQ(item->getValue<std::string>("select_type"), "H5S_SEL_POINTS");

  const std::string ctype = store.createDatatype(c, arrays::intType(2, true)).id;
  store.createLink(c, root, hardLink("ctype", ctype));
  auto committed = std::make_shared<Datatype>(*arrays::intType(2, true));
  committed->committedId = ctype;
  const std::string typed = store.createDataset(c, spec(committed, {2})).object.id;
  store.createLink(c, root, hardLink("typed", typed));
  write(c, typed, Selection::all({2}), le(7, 2) + le(static_cast<uint16_t>(-7), 2));

  Link soft;
  soft.name = "sl";
  soft.cls = LinkClass::Soft;
  soft.h5path = "/grp";
  store.createLink(c, root, soft);
  Link ext;
  ext.name = "el";
  ext.cls = LinkClass::External;
  ext.h5domain = "other.h5";
  ext.h5path = "/x";
  store.createLink(c, root, ext);
  store.createAttribute(c, root, attr("vector", arrays::floatType(8), ShapeClass::Simple, {2}),
                        f64le(1) + f64le(2), false);
  store.createAttribute(c, root, attr("answer", arrays::intType(8, true), ShapeClass::Scalar), le(42, 8),
                        false);
  // An anonymous group: kept by the store, invisible to h5py.
  const std::string anonymous = store.createGroup(c).id;

  close();
  const std::string out = python(kH5pyChecker, {data_ + "/made.h5"});
  EXPECT_NE(out.find("OK"), std::string::npos) << out;

  // And the store finds everything again, the anonymous group included.
  ArrayStore& again = open();
  EXPECT_EQ(again.object(c, anonymous).kind, ObjectKind::Group);
  EXPECT_EQ(readAll(c, records), le32(8) + vlenStr("eight") + le32(-9) + vlenStr("nine"));
}

// ---------------------------------------------------------------- ids

TEST_F(Hdf5Files, IdsAreStableAcrossRestarts) {
  writeCApiFile(data_ + "/test/capi.h5");
  open();
  const std::string made = "made";
  const std::string root = store_->createContainer(made).rootId;
  const std::string g = store_->createGroup(made).id;
  store_->createLink(made, root, hardLink("g", g));
  const std::string d = store_->createDataset(made, spec(arrays::intType(4, true), {2})).object.id;
  store_->createLink(made, g, hardLink("d", d));
  const std::string anonymous = store_->createGroup(made).id;
  const std::string unlinked = store_->createDataset(made, spec(arrays::intType(1, true), {1})).object.id;
  store_->createLink(made, root, hardLink("tmp", unlinked));
  store_->deleteLink(made, root, "tmp");  // the dataset outlives its last link
  const std::string deleted = store_->createGroup(made).id;
  store_->deleteObject(made, deleted);

  const auto capiTree = tree("test/capi");
  const auto madeTree = tree(made);
  const auto capiDatasets = store_->listObjects("test/capi", ObjectKind::Dataset, {});
  EXPECT_EQ(capiTree.size(), 14u);

  // A new registry on the same directory: the next server start.
  open();
  EXPECT_EQ(tree("test/capi"), capiTree);
  EXPECT_EQ(tree(made), madeTree);
  EXPECT_EQ(store_->listObjects("test/capi", ObjectKind::Dataset, {}), capiDatasets);
  EXPECT_EQ(store_->container(made).rootId, root);
  EXPECT_EQ(store_->object(made, anonymous).kind, ObjectKind::Group);
  EXPECT_EQ(store_->object(made, unlinked).kind, ObjectKind::Dataset);
  EXPECT_THROW(store_->object(made, deleted), Gone);
  const auto groups = store_->listObjects(made, ObjectKind::Group, {});
  EXPECT_EQ(std::set<std::string>(groups.begin(), groups.end()), (std::set<std::string>{g, anonymous}));

  // HDF5 reuses a deleted object's space; its id still answers Gone and the new object gets
  // an id of its own.
  std::set<std::string> ids{g, anonymous, d, unlinked, deleted};
  for (int i = 0; i < 5; ++i) {
    const std::string x = store_->createGroup(made).id;
    EXPECT_TRUE(ids.insert(x).second) << "id " << x << " handed out twice";
    store_->deleteObject(made, x);
    EXPECT_THROW(store_->object(made, x), Gone);
  }
  EXPECT_THROW(store_->object(made, deleted), Gone);
}

// ---------------------------------------------------------------- deletes and export

TEST_F(Hdf5Files, DeletingAnObjectRemovesEveryLinkToIt) {
  ArrayStore& store = open();
  const std::string c = "links";
  const std::string root = store.createContainer(c).rootId;
  const std::string a = store.createGroup(c).id;
  const std::string b = store.createGroup(c).id;
  store.createLink(c, root, hardLink("a", a));
  store.createLink(c, a, hardLink("b", b));
  const std::string d = store.createDataset(c, spec(arrays::intType(4, true), {2})).object.id;
  store.createLink(c, root, hardLink("d", d));
  store.createLink(c, a, hardLink("d2", d));
  store.createLink(c, b, hardLink("d3", d));
  store.deleteObject(c, d);
  EXPECT_THROW(store.link(c, root, "d"), NotFound);
  EXPECT_THROW(store.link(c, a, "d2"), NotFound);
  EXPECT_THROW(store.link(c, b, "d3"), NotFound);
  EXPECT_EQ(store.object(c, a).linkCount, 1u);

  // Deleting a group keeps the objects only it linked to (they live on, unlinked).
  store.deleteObject(c, a);
  EXPECT_THROW(store.object(c, a), Gone);
  EXPECT_EQ(store.object(c, b).kind, ObjectKind::Group);
  EXPECT_TRUE(store.listLinks(c, root, {}).empty());
  const auto groups = store.listObjects(c, ObjectKind::Group, {});
  EXPECT_EQ(groups, Names{b});
  close();
  open();
  EXPECT_EQ(store_->object(c, b).kind, ObjectKind::Group);
  EXPECT_THROW(store_->object(c, a), Gone);
  EXPECT_THROW(store_->object(c, d), Gone);
}

// A dataset's storage is filled (zeros or its fill value) when HDF5 allocates it. Before, a
// contiguous dataset made while another existed, and first written after that one was deleted,
// got the freed space with the deleted values still in it: they read back wherever nothing had
// been written yet.
TEST_F(Hdf5Files, ANewDatasetNeverShowsTheValuesOfADeletedOne) {
  ArrayStore& store = open();
  const std::string c = "reuse";
  store.createContainer(c);
  for (const uint64_t n : {512u, 4096u}) {
    SCOPED_TRACE(n);
    const std::string fresh = store.createDataset(c, spec(arrays::intType(4, true), {n})).object.id;
    const std::string old = store.createDataset(c, spec(arrays::intType(4, true), {n})).object.id;
    write(c, old, Selection::all({n}), std::string(n * 4, '\x07'));
    store.deleteObject(c, old);
    write(c, fresh, Selection::hyperslab({{0}, {1}, {1}}), std::string(4, '\x01'));
    std::string expected(n * 4, '\0');
    expected.replace(0, 4, std::string(4, '\x01'));
    EXPECT_TRUE(readAll(c, fresh) == expected) << "values of the deleted dataset show through";
    EXPECT_EQ(store.dataset(c, fresh).fillTime, FillTime::Alloc);
  }
}

TEST_F(Hdf5Files, ObjectListsPageByIdAfterDeletedMarkers) {
  ArrayStore& store = open();
  const std::string c = "paging";
  store.createContainer(c);
  for (int i = 0; i < 6; ++i) store.createGroup(c);
  const auto all = store.listObjects(c, ObjectKind::Group, {});
  ASSERT_EQ(all.size(), 6u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  store.deleteObject(c, all[2]);
  Page page;
  page.marker = all[2];
  page.limit = 2;
  EXPECT_EQ(store.listObjects(c, ObjectKind::Group, page), (Names{all[3], all[4]}));
  page.marker = newUuid();
  EXPECT_TRUE(store.listObjects(c, ObjectKind::Group, page).empty());
}

TEST_F(Hdf5Files, ExportIsTheFileItself) {
  ArrayStore& store = open();
  const std::string c = "exported";
  const std::string root = store.createContainer(c).rootId;
  const std::string d = store.createDataset(c, spec(arrays::floatType(8), {1000})).object.id;
  store.createLink(c, root, hardLink("x", d));
  std::string values;
  for (int i = 0; i < 1000; ++i) values += f64le(i * 0.5);
  write(c, d, Selection::all({1000}), values);
  std::string exported;
  std::size_t calls = 0;
  store.exportHdf5(c, [&](const char* p, std::size_t n) {
    ++calls;
    EXPECT_LE(n, std::size_t{1} << 20);
    exported.append(p, n);
  });
  EXPECT_EQ(exported, readFile(data_ + "/exported.h5"));
  EXPECT_EQ(exported.substr(0, 8), std::string("\x89HDF\r\n\x1a\n", 8));
  if (!haveH5py()) return;
  close();
  writeFile(work_ + "/copy.h5", exported);
  const std::string out = python(
      "import sys, h5py, numpy as np\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "assert (f['x'][...] == np.arange(1000) * 0.5).all()\n"
      "print('OK')\n",
      {work_ + "/copy.h5"});
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
}

}  // namespace
}  // namespace strata::test
