// The hdf5 backend serves real .h5 files written by h5py and by the HDF5 C API with all their
// objects and types, values byte for byte.

#include "contract/hdf5_files_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- files written by h5py

TEST_F(Hdf5Files, H5pyFilesAreServedWithEveryObjectAndType) {
  if (!haveH5py()) GTEST_SKIP() << "no h5py for /usr/bin/python3";
  const std::string exp = work_ + "/expected";
  python(kH5pyWriter, {data_ + "/test/h5py_types.h5", exp});
  const auto expected = [&](const std::string& name) { return readFile(exp + "/" + name + ".bin"); };
  ArrayStore& store = open();
  const std::string c = "test/h5py_types";

  ASSERT_EQ(store.listContainers(), Names{c});
  const ContainerInfo info = store.container(c);
  EXPECT_FALSE(info.readOnly);
  EXPECT_EQ(info.rootId.size(), 36u);
  EXPECT_GT(info.created, 0);

  Names names;
  for (const Link& l : store.listLinks(c, info.rootId, {})) names.push_back(l.name);
  EXPECT_EQ(names, (Names{"array", "bool",    "chunked", "compound", "empty", "enum",   "ext",
                          "f32",   "f64be",   "fixed",   "g1",       "i8",    "opaque", "padded",
                          "refs",  "regrefs", "scalar",  "soft",     "u16be", "vlen",   "vstr"}));

  // Numbers of every size and byte order, read as stored.
  const std::string dset = idAt(c, "g1/g1.1/dset1.1.1");
  EXPECT_TRUE(*store.dataset(c, dset).type == *arrays::intType(4, true));
  EXPECT_EQ(readAll(c, dset), expected("i32"));
  EXPECT_EQ(read(c, dset, Selection::hyperslab({{1, 2}, {2, 3}, {1, 1}})),
            le32(10 * 3 - 7 + 6) + le32(11 * 3 - 7 + 6) + le32(12 * 3 - 7 + 6) + le32(20 * 3 - 7 + 6) +
                le32(21 * 3 - 7 + 6) + le32(22 * 3 - 7 + 6));
  const DatasetInfo u16 = store.dataset(c, idAt(c, "u16be"));
  EXPECT_TRUE(*u16.type == *arrays::intType(2, false, ByteOrder::Big));
  EXPECT_EQ(u16.shape.dims, (Dims{3, 4}));
  EXPECT_EQ(readAll(c, idAt(c, "u16be")), expected("u16be"));
  EXPECT_TRUE(*store.dataset(c, idAt(c, "f64be")).type == *arrays::floatType(8, ByteOrder::Big));
  EXPECT_EQ(readAll(c, idAt(c, "f64be")), expected("f64be"));
  EXPECT_EQ(readAll(c, idAt(c, "i8")), expected("i8"));
  EXPECT_EQ(readAll(c, idAt(c, "f32")), expected("f32"));

  // Strings: fixed (NULLPAD as h5py writes them) and variable-length UTF-8.
  const DatasetInfo fixed = store.dataset(c, idAt(c, "fixed"));
  EXPECT_TRUE(*fixed.type == *arrays::fixedStringType(5, CharSet::Ascii, StrPad::NullPad));
  EXPECT_EQ(readAll(c, idAt(c, "fixed")), expected("fixed"));
  const DatasetInfo vstr = store.dataset(c, idAt(c, "vstr"));
  EXPECT_EQ(vstr.type->cls, TypeClass::String);
  EXPECT_TRUE(vstr.type->variable);
  EXPECT_EQ(vstr.type->charSet, CharSet::Utf8);
  EXPECT_EQ(readAll(c, idAt(c, "vstr")), vlenStr("first") + vlenStr("second \xc3\xa9") + vlenStr(""));

  // Compounds: packed, and with the padding numpy's aligned layout leaves (kept byte for byte).
  const DatasetInfo cmp = store.dataset(c, idAt(c, "compound"));
  ASSERT_EQ(cmp.type->cls, TypeClass::Compound);
  ASSERT_EQ(cmp.type->fields.size(), 3u);
  EXPECT_EQ(cmp.type->fields[1].name, "xyz");
  EXPECT_EQ(cmp.type->fields[1].type->cls, TypeClass::Array);
  EXPECT_EQ(cmp.type->fields[2].offset, 28u);
  EXPECT_EQ(cmp.type->size, 31u);
  EXPECT_EQ(readAll(c, idAt(c, "compound")), expected("compound"));
  const DatasetInfo padded = store.dataset(c, idAt(c, "padded"));
  EXPECT_EQ(padded.type->size, 16u);
  EXPECT_EQ(padded.type->fields[1].offset, 8u);
  EXPECT_EQ(readAll(c, idAt(c, "padded")), expected("padded"));

  // Arrays, vlen sequences, enums (h5py's bool is one), opaque.
  const DatasetInfo array = store.dataset(c, idAt(c, "array"));
  EXPECT_EQ(array.type->cls, TypeClass::Array);
  EXPECT_EQ(array.type->dims, (Dims{2, 3}));
  EXPECT_EQ(readAll(c, idAt(c, "array")), expected("array"));
  const DatasetInfo vlen = store.dataset(c, idAt(c, "vlen"));
  EXPECT_EQ(vlen.type->cls, TypeClass::Vlen);
  EXPECT_TRUE(*vlen.type->base == *arrays::intType(4, true));
  EXPECT_EQ(readAll(c, idAt(c, "vlen")),
            le(3, 8) + le32(1) + le32(2) + le32(3) + le(0, 8) + le(1, 8) + le32(-1));
  const DatasetInfo en = store.dataset(c, idAt(c, "enum"));
  EXPECT_EQ(en.type->cls, TypeClass::Enum);
  std::set<std::pair<std::string, int64_t>> members(en.type->members.begin(), en.type->members.end());
  EXPECT_EQ(members, (std::set<std::pair<std::string, int64_t>>{{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}}));
  EXPECT_EQ(readAll(c, idAt(c, "enum")), expected("enum"));
  const DatasetInfo bl = store.dataset(c, idAt(c, "bool"));
  EXPECT_EQ(bl.type->cls, TypeClass::Enum);
  EXPECT_EQ(readAll(c, idAt(c, "bool")), expected("bool"));
  const DatasetInfo op = store.dataset(c, idAt(c, "opaque"));
  EXPECT_EQ(op.type->cls, TypeClass::Opaque);
  EXPECT_EQ(op.type->size, 7u);
  EXPECT_EQ(readAll(c, idAt(c, "opaque")), expected("opaque"));

  // Object references name the objects by their ids; region references are h5serv's JSON.
  EXPECT_EQ(readAll(c, idAt(c, "refs")),
            ref("groups", idAt(c, "g1")) + ref("datasets", dset) + std::string(arrays::kRefBytes, '\0'));
  const std::string regions = readAll(c, idAt(c, "regrefs"));
  std::size_t pos = 0;
  const uint64_t len = static_cast<unsigned char>(regions[0]) |
                       static_cast<uint64_t>(static_cast<unsigned char>(regions[1])) << 8;
  pos = 8;
  const auto region = Poco::JSON::Parser().parse(regions.substr(pos, len)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(region->getValue<std::string>("id"), dset);
  EXPECT_EQ(region->getValue<std::string>("select_type"), "H5S_SEL_HYPERSLABS");
  std::ostringstream sel;
  region->getArray("selection")->stringify(sel);
  EXPECT_EQ(sel.str(), "[[[1,2],[3,5]]]");
  EXPECT_EQ(regions.substr(8 + len), le(0, 8)) << "the unset region reference is null";

  // Chunked, compressed, extendable, with a fill value: values and how it was made.
  const std::string chunkedId = idAt(c, "chunked");
  const DatasetInfo ch = store.dataset(c, chunkedId);
  EXPECT_EQ(ch.shape.dims, (Dims{40, 30}));
  EXPECT_EQ(ch.shape.maxdims, (Dims{kUnlimited, 30}));
  EXPECT_EQ(ch.chunks, (Dims{8, 10}));
  EXPECT_EQ(ch.fillValue, f32le(-1));
  std::set<Filter::Kind> kinds;
  for (const auto& flt : ch.filters) kinds.insert(flt.kind);
  EXPECT_EQ(kinds,
            (std::set<Filter::Kind>{Filter::Kind::Deflate, Filter::Kind::Shuffle, Filter::Kind::Fletcher32}));
  for (const auto& flt : ch.filters) {
    if (flt.kind == Filter::Kind::Deflate) {
      EXPECT_EQ(flt.level, 7);
    }
  }
  // Creation properties come typed from the file; there is no client JSON for them.
  EXPECT_EQ(ch.layout, Layout::Chunked);
  EXPECT_EQ(ch.filters.size(), 3u);
  ASSERT_TRUE(ch.allocTime);
  EXPECT_EQ(*ch.allocTime, AllocTime::Incremental);  // HDF5's default for chunked datasets
  ASSERT_TRUE(ch.fillTime);
  EXPECT_EQ(*ch.fillTime, FillTime::Alloc);  // h5py sets it with a fill value
  EXPECT_FALSE(ch.creationProperties);
  EXPECT_EQ(readAll(c, chunkedId), expected("chunked"));

  // Scalar and null shapes.
  const DatasetInfo scalar = store.dataset(c, idAt(c, "scalar"));
  EXPECT_EQ(scalar.shape.cls, ShapeClass::Scalar);
  EXPECT_EQ(read(c, scalar.object.id, Selection::all({})), f64le(2.5));
  EXPECT_EQ(store.dataset(c, idAt(c, "empty")).shape.cls, ShapeClass::Null);

  // Soft and external links as stored.
  const Link soft = store.link(c, info.rootId, "soft");
  EXPECT_EQ(soft.cls, LinkClass::Soft);
  EXPECT_EQ(soft.h5path, "/g1/g1.1");
  const Link ext = store.link(c, info.rootId, "ext");
  EXPECT_EQ(ext.cls, LinkClass::External);
  EXPECT_EQ(ext.h5domain, "other.h5");
  EXPECT_EQ(ext.h5path, "/some/path");

  // Attributes: h5py's str attribute is a vlen UTF-8 string.
  Names attrs;
  for (const auto& a : store.listAttributes(c, info.rootId, {})) attrs.push_back(a.name);
  EXPECT_EQ(attrs, (Names{"title", "vector", "version"}));
  EXPECT_EQ(store.attributeValue(c, info.rootId, "title"), vlenStr("h5py file"));
  EXPECT_EQ(store.attributeValue(c, info.rootId, "version"), le32(3));
  EXPECT_EQ(store.attributeValue(c, info.rootId, "vector"), f64be(1) + f64be(2) + f64be(3));
  EXPECT_TRUE(*store.attribute(c, info.rootId, "vector").type == *arrays::floatType(8, ByteOrder::Big));
  EXPECT_EQ(store.attributeValue(c, dset, "units"), "metres");
  EXPECT_EQ(store.object(c, dset).attributeCount, 1u);

  // Every object is listed by kind.
  EXPECT_EQ(store.listObjects(c, ObjectKind::Group, {}).size(), 2u);
  EXPECT_EQ(store.listObjects(c, ObjectKind::Dataset, {}).size(), 19u);
  EXPECT_TRUE(store.listObjects(c, ObjectKind::Datatype, {}).empty());
  EXPECT_FALSE(fs::exists(data_ + "/test/.h5py_types.h5.strata")) << "reading writes no sidecar";
}

// ---------------------------------------------------------------- files written with the C API

TEST_F(Hdf5Files, CApiFilesAreServedWithEveryObjectAndType) {
  writeCApiFile(data_ + "/test/capi.h5");
  ArrayStore& store = open();
  const std::string c = "test/capi";
  const std::string root = store.container(c).rootId;

  EXPECT_TRUE(*store.dataset(c, idAt(c, "i64be")).type == *arrays::intType(8, true, ByteOrder::Big));
  EXPECT_EQ(readAll(c, idAt(c, "i64be")),
            be(static_cast<uint64_t>(-3), 8) + be(static_cast<uint64_t>(-2), 8) +
                be(static_cast<uint64_t>(-1), 8) + be(0, 8) + be(1, 8) + be(uint64_t{1} << 40, 8));

  const DatasetInfo records = store.dataset(c, idAt(c, "records"));
  ASSERT_EQ(records.type->cls, TypeClass::Compound);
  EXPECT_FALSE(records.type->fixedSize());
  EXPECT_EQ(readAll(c, idAt(c, "records")), le32(7) + vlenStr("seven") + f32le(1.5f) + f32le(2.5f) +
                                                le32(-1) + vlenStr("minus \xc3\xa9") + f32le(0) + f32le(-4));
  // Partial reads of a compound with a vlen member, by points.
  EXPECT_EQ(read(c, idAt(c, "records"), Selection::points({{1}}, 1)),
            le32(-1) + vlenStr("minus \xc3\xa9") + f32le(0) + f32le(-4));

  EXPECT_EQ(readAll(c, idAt(c, "vlen_f64")), le(3, 8) + f64le(1) + f64le(2) + f64le(3) + le(0, 8));

  // A dataset of a committed type names it.
  const std::string committed = idAt(c, "committed_t");
  EXPECT_EQ(store.object(c, committed).kind, ObjectKind::Datatype);
  EXPECT_TRUE(*store.datatype(c, committed) == *arrays::intType(2, true, ByteOrder::Big));
  const DatasetInfo uses = store.dataset(c, idAt(c, "uses_committed"));
  EXPECT_EQ(uses.type->committedId, committed);
  EXPECT_EQ(readAll(c, uses.object.id),
            be(1, 2) + be(static_cast<uint16_t>(-2), 2) + be(300, 2) + be(static_cast<uint16_t>(-400), 2));
  EXPECT_EQ(store.listObjects(c, ObjectKind::Datatype, {}), Names{committed});

  const DatasetInfo en = store.dataset(c, idAt(c, "enum16"));
  ASSERT_EQ(en.type->cls, TypeClass::Enum);
  EXPECT_TRUE(*en.type->base == *arrays::intType(2, true, ByteOrder::Big));
  std::set<std::pair<std::string, int64_t>> members(en.type->members.begin(), en.type->members.end());
  EXPECT_EQ(members, (std::set<std::pair<std::string, int64_t>>{{"NEG", -5}, {"POS", 7}}));
  EXPECT_EQ(readAll(c, en.object.id),
            be(static_cast<uint16_t>(-5), 2) + be(7, 2) + be(static_cast<uint16_t>(-5), 2));

  const DatasetInfo opaque = store.dataset(c, idAt(c, "opaque"));
  EXPECT_EQ(opaque.type->cls, TypeClass::Opaque);
  EXPECT_EQ(opaque.type->tag, "blob");
  EXPECT_EQ(readAll(c, opaque.object.id), std::string("\x00\x01\x02xyz", 6));

  // Chunked with deflate and a fill value; two hard links to it.
  const std::string data = idAt(c, "grp/data");
  EXPECT_EQ(idAt(c, "grp/alias"), data);
  const DatasetInfo di = store.dataset(c, data);
  EXPECT_EQ(di.chunks, Dims{4});
  EXPECT_EQ(di.fillValue, le32(9));
  ASSERT_EQ(di.filters.size(), 1u);
  EXPECT_EQ(di.filters[0].kind, Filter::Kind::Deflate);
  EXPECT_EQ(di.filters[0].level, 4);
  std::string expectedData;
  for (int32_t v : {9, 9, 20, 30, 40, 9, 9, 9, 9, 9}) expectedData += le32(v);
  EXPECT_EQ(readAll(c, data), expectedData);
  EXPECT_EQ(store.attributeValue(c, idAt(c, "grp"), "count"), le32(42));
  EXPECT_EQ(store.link(c, root, "soft").h5path, "/grp/data");
  EXPECT_EQ(store.link(c, root, "ext").h5domain, "elsewhere.h5");

  EXPECT_EQ(readAll(c, idAt(c, "refs")),
            ref("groups", idAt(c, "grp")) + ref("datasets", data) + ref("datatypes", committed));

  const std::string regions = readAll(c, idAt(c, "regions"));
  std::size_t pos = 0;
  std::vector<Poco::JSON::Object::Ptr> items;
  while (pos < regions.size()) {
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t{static_cast<unsigned char>(regions[pos + i])} << (8 * i);
    items.push_back(
        Poco::JSON::Parser().parse(regions.substr(pos + 8, n)).extract<Poco::JSON::Object::Ptr>());
    pos += 8 + n;
  }
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]->getValue<std::string>("id"), data);
  EXPECT_EQ(items[0]->getValue<std::string>("select_type"), "H5S_SEL_POINTS");
  std::ostringstream points, block;
  items[0]->getArray("selection")->stringify(points);
  items[1]->getArray("selection")->stringify(block);
  EXPECT_EQ(points.str(), "[[1],[3]]");
  EXPECT_EQ(items[1]->getValue<std::string>("select_type"), "H5S_SEL_HYPERSLABS");
  EXPECT_EQ(block.str(), "[[[0],[2]]]");

  EXPECT_TRUE(*store.dataset(c, idAt(c, "spacepad")).type ==
              *arrays::fixedStringType(4, CharSet::Utf8, StrPad::SpacePad));
  EXPECT_EQ(readAll(c, idAt(c, "spacepad")), "ab  wxyz");

  const AttributeInfo rec = store.attribute(c, root, "rec");
  EXPECT_EQ(rec.type->size, 16u);
  EXPECT_EQ(store.attributeValue(c, root, "rec"), le(3, 2) + std::string(6, '\0') + f64le(0.25));
}

}  // namespace
}  // namespace strata::test
