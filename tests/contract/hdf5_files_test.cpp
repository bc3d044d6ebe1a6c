// What only the hdf5 backend (backends/hdf5) promises, beyond the arrays contract: real .h5
// files written by h5py and by the HDF5 C API are served with all their objects and types,
// values byte for byte; files the store writes open in h5py with the right values; ids are
// stable across restarts; read-only files refuse writes and keep their bytes; a corrupt file
// fails alone; concurrent writers keep one file intact; big reads come in bounded blocks.
//
// h5py is Debian's python3-h5py, run as /usr/bin/python3 (not the python3 on PATH); tests that
// need it are skipped when it is missing.
#include "contract/store_contract_support.h"

#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/stores/array_store.h>
#include <strata/util.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <hdf5.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using arrays::ByteOrder;
using arrays::CharSet;
using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;
using arrays::StrPad;
using arrays::TypeClass;
using Dims = std::vector<uint64_t>;
using Names = std::vector<std::string>;

constexpr const char* kPython = "/usr/bin/python3";

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
std::string f64le(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return le(bits, 8);
}
std::string f64be(double v) {
  std::string s = f64le(v);
  std::reverse(s.begin(), s.end());
  return s;
}
std::string f32le(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return le(bits, 4);
}
std::string vlenStr(const std::string& s) { return le(s.size(), 8) + s; }
std::string ref(const std::string& collection, const std::string& id) {
  std::string s = collection + "/" + id;
  s.resize(arrays::kRefBytes, '\0');
  return s;
}

std::string sha256(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

bool haveH5py() {
  static const bool ok =
      std::system((std::string(kPython) + " -c 'import h5py' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

// Runs `script` with /usr/bin/python3 and the given arguments; returns its exit code and
// leaves stdout+stderr in `output`.
int runPython(const std::string& workDir, const std::string& script, const Names& args, std::string& output) {
  auto [rc, out] = strata::test::runPython(workDir, script, args);
  output = std::move(out);
  return rc;
}

// ---- the store

class Hdf5Files : public testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    fs::create_directories(data_ + "/test");
    work_ = dir_.path() + "/work";
    fs::create_directories(work_);
  }
  void TearDown() override { close(); }

  ArrayStore& open(std::map<std::string, std::string> extra = {}) {
    close();
    std::map<std::string, std::string> values{{"stores.arrays.t.backend", "hdf5"},
                                              {"stores.arrays.t.path", data_}};
    for (auto& [k, v] : extra) values["stores.arrays.t." + k] = v;
    stores_ = std::make_unique<OpenStores>(values);
    store_ = stores_->registry().arrays("t");
    return *store_;
  }
  // Drops the store (closing every file), as a server shutdown does.
  void close() {
    store_.reset();
    stores_.reset();
  }

  std::string readAll(const std::string& c, const std::string& id) {
    const DatasetInfo info = store_->dataset(c, id);
    const Selection sel =
        info.shape.cls == ShapeClass::Simple ? Selection::all(info.shape.dims) : Selection::all({});
    return read(c, id, sel);
  }
  std::string read(const std::string& c, const std::string& id, const Selection& sel) {
    std::string out;
    store_->read(c, id, sel, [&](const char* p, std::size_t n) { out.append(p, n); });
    return out;
  }
  void write(const std::string& c, const std::string& id, const Selection& sel, const std::string& bytes) {
    store_->write(c, id, sel, sourceOf(bytes), bytes.size());
  }
  // The id of the object at `path` ("g1/g1.1/dset"), following hard links from the root.
  std::string idAt(const std::string& c, const std::string& path) {
    std::string id = store_->container(c).rootId;
    std::size_t start = 0;
    while (start < path.size()) {
      const std::size_t slash = path.find('/', start);
      const std::string part =
          path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      id = store_->link(c, id, part).id;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return id;
  }
  // path -> id of every object reachable by hard links.
  std::map<std::string, std::string> tree(const std::string& c) {
    std::map<std::string, std::string> out;
    const std::string root = store_->container(c).rootId;
    out["/"] = root;
    std::vector<std::pair<std::string, std::string>> todo{{"", root}};
    std::set<std::string> seen{root};
    while (!todo.empty()) {
      auto [path, id] = todo.back();
      todo.pop_back();
      for (const Link& l : store_->listLinks(c, id, {})) {
        if (l.cls != LinkClass::Hard) continue;
        out[path + "/" + l.name] = l.id;
        if (l.kind == ObjectKind::Group && seen.insert(l.id).second)
          todo.push_back({path + "/" + l.name, l.id});
      }
    }
    return out;
  }
  std::string python(const std::string& script, const Names& args) {
    std::string output;
    const int rc = runPython(work_, script, args, output);
    EXPECT_EQ(rc, 0) << output;
    return output;
  }

  TempDir dir_;
  std::string data_;
  std::string work_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<ArrayStore> store_;
};

// ---------------------------------------------------------------- files written by h5py

const char* kH5pyWriter = R"PY(
import os, sys
import numpy as np
import h5py

path, exp = sys.argv[1], sys.argv[2]
os.makedirs(exp, exist_ok=True)
def save(name, arr):
    with open(os.path.join(exp, name + '.bin'), 'wb') as out:
        out.write(np.ascontiguousarray(arr).tobytes())

with h5py.File(path, 'w') as f:
    g2 = f.create_group('g1').create_group('g1.1')
    a = np.arange(100, dtype='<i4').reshape(10, 10) * 3 - 7
    d = g2.create_dataset('dset1.1.1', data=a); save('i32', a)
    d.attrs['units'] = np.bytes_(b'metres')
    b = (np.arange(12) * 1000).astype('>u2').reshape(3, 4)
    f.create_dataset('u16be', data=b); save('u16be', b)
    c = np.linspace(-1, 1, 7).astype('>f8')
    f.create_dataset('f64be', data=c); save('f64be', c)
    i8 = np.array([-128, 0, 127], dtype='i1')
    f.create_dataset('i8', data=i8); save('i8', i8)
    f32 = np.array([1.5, -2.25], dtype='<f4')
    f.create_dataset('f32', data=f32); save('f32', f32)
    s = np.array([b'ab', b'hello', b'xyz'], dtype='S5')
    f.create_dataset('fixed', data=s); save('fixed', s)
    f.create_dataset('vstr', data=['first', 'second \u00e9', ''], dtype=h5py.string_dtype())
    cmp = np.dtype([('id', '<i4'), ('xyz', '<f8', (3,)), ('tag', 'S3')])
    cv = np.array([(1, (0.5, -1, 2), b'abc'), (-2, (1e10, 3.25, 0), b'd')], dtype=cmp)
    f.create_dataset('compound', data=cv); save('compound', cv)
    padded = np.dtype({'names': ['a', 'b'], 'formats': ['i1', '<f8'], 'offsets': [0, 8], 'itemsize': 16})
    pv = np.zeros(2, dtype=padded); pv['a'] = [1, 2]; pv['b'] = [0.5, -0.5]
    f.create_dataset('padded', data=pv); save('padded', pv)
    arr = np.arange(12, dtype='<i2').reshape(2, 2, 3)
    ds = f.create_dataset('array', (2,), dtype=np.dtype(('<i2', (2, 3)))); ds[...] = arr; save('array', arr)
    ds = f.create_dataset('vlen', (3,), dtype=h5py.vlen_dtype(np.dtype('<i4')))
    ds[0] = np.array([1, 2, 3], '<i4'); ds[1] = np.array([], '<i4'); ds[2] = np.array([-1], '<i4')
    en = h5py.enum_dtype({'RED': 0, 'GREEN': 1, 'BLUE': 2}, basetype='u1')
    ev = np.array([2, 0, 1], 'u1')
    f.create_dataset('enum', data=ev, dtype=en); save('enum', ev)
    bl = np.array([True, False, True])
    f.create_dataset('bool', data=bl); save('bool', bl.astype('i1'))
    op = np.array([b'\x01\x02\x03\x04\x05\x06\x07', b'abcdefg'], dtype='V7')
    f.create_dataset('opaque', data=op); save('opaque', op)
    refs = f.create_dataset('refs', (3,), dtype=h5py.ref_dtype)
    refs[0] = f['g1'].ref; refs[1] = d.ref
    regs = f.create_dataset('regrefs', (2,), dtype=h5py.regionref_dtype)
    regs[0] = d.regionref[1:3, 2:5]
    ch = f.create_dataset('chunked', (40, 30), dtype='<f4', chunks=(8, 10), compression='gzip',
                          compression_opts=7, shuffle=True, fletcher32=True, fillvalue=-1.0,
                          maxshape=(None, 30))
    cdata = (np.arange(20 * 30, dtype='<f4') / 4).reshape(20, 30)
    ch[0:20, :] = cdata
    full = np.full((40, 30), -1, '<f4'); full[:20] = cdata; save('chunked', full)
    f['soft'] = h5py.SoftLink('/g1/g1.1')
    f['ext'] = h5py.ExternalLink('other.h5', '/some/path')
    f.attrs['title'] = 'h5py file'
    f.attrs['version'] = np.int32(3)
    f.attrs['vector'] = np.array([1.0, 2.0, 3.0], '>f8')
    f.create_dataset('scalar', data=np.float64(2.5))
    f.create_dataset('empty', data=h5py.Empty('<i4'))
)PY";

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

struct CRecord {
  int32_t a;
  const char* name;
  float arr[2];
};

struct CPadded {
  int16_t x;
  double y;
};

void writeCApiFile(const std::string& path) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hsize_t two = 2, three = 3, four = 4, ten = 10;
  const hid_t s2 = H5Screate_simple(1, &two, nullptr);
  const hid_t s3 = H5Screate_simple(1, &three, nullptr);
  const hid_t s4 = H5Screate_simple(1, &four, nullptr);
  const hid_t scalar = H5Screate(H5S_SCALAR);

  // Big-endian int64, written from native values (HDF5 converts).
  hsize_t d23[2] = {2, 3};
  hid_t sp = H5Screate_simple(2, d23, nullptr);
  hid_t ds = H5Dcreate2(f, "i64be", H5T_STD_I64BE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const int64_t i64[6] = {-3, -2, -1, 0, 1, int64_t{1} << 40};
  H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, i64);
  H5Dclose(ds);
  H5Sclose(sp);

  // A compound holding a vlen UTF-8 string and an array.
  const hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, H5T_VARIABLE);
  H5Tset_cset(str, H5T_CSET_UTF8);
  const hid_t farr = H5Tarray_create2(H5T_NATIVE_FLOAT, 1, &two);
  const hid_t rec = H5Tcreate(H5T_COMPOUND, sizeof(CRecord));
  H5Tinsert(rec, "a", HOFFSET(CRecord, a), H5T_NATIVE_INT32);
  H5Tinsert(rec, "name", HOFFSET(CRecord, name), str);
  H5Tinsert(rec, "arr", HOFFSET(CRecord, arr), farr);
  const CRecord recs[2] = {{7, "seven", {1.5f, 2.5f}}, {-1, "minus \xc3\xa9", {0.f, -4.f}}};
  ds = H5Dcreate2(f, "records", rec, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, rec, H5S_ALL, H5S_ALL, H5P_DEFAULT, recs);
  H5Dclose(ds);

  // vlen of float64.
  const hid_t vl = H5Tvlen_create(H5T_NATIVE_DOUBLE);
  double seq[3] = {1, 2, 3};
  hvl_t vals[2] = {{3, seq}, {0, nullptr}};
  ds = H5Dcreate2(f, "vlen_f64", vl, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, vl, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals);
  H5Dclose(ds);

  // A committed big-endian int16 and a dataset of it.
  const hid_t committed = H5Tcopy(H5T_STD_I16BE);
  H5Tcommit2(f, "committed_t", committed, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const int16_t i16[4] = {1, -2, 300, -400};
  ds = H5Dcreate2(f, "uses_committed", committed, s4, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, i16);
  H5Dclose(ds);

  // An enum over big-endian int16 with a negative member.
  const hid_t enumFile = H5Tenum_create(H5T_STD_I16BE);
  const hid_t enumMem = H5Tenum_create(H5T_NATIVE_INT16);
  for (auto [name, v] : std::vector<std::pair<const char*, int16_t>>{{"NEG", -5}, {"POS", 7}}) {
    int16_t nv = v;
    H5Tenum_insert(enumMem, name, &nv);
    int16_t bv =
        static_cast<int16_t>(((static_cast<uint16_t>(v) & 0xff) << 8) | (static_cast<uint16_t>(v) >> 8));
    H5Tenum_insert(enumFile, name, &bv);
  }
  const int16_t ev[3] = {-5, 7, -5};
  ds = H5Dcreate2(f, "enum16", enumFile, s3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, enumMem, H5S_ALL, H5S_ALL, H5P_DEFAULT, ev);
  H5Dclose(ds);

  // Opaque with a tag.
  const hid_t opaque = H5Tcreate(H5T_OPAQUE, 3);
  H5Tset_tag(opaque, "blob");
  ds = H5Dcreate2(f, "opaque", opaque, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, opaque, H5S_ALL, H5S_ALL, H5P_DEFAULT, "\x00\x01\x02xyz");
  H5Dclose(ds);

  // A group with an attribute and a chunked, deflated dataset with a fill value, partly written.
  const hid_t grp = H5Gcreate2(f, "grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t at = H5Acreate2(grp, "count", H5T_STD_I32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const int32_t count = 42;
  H5Awrite(at, H5T_NATIVE_INT32, &count);
  H5Aclose(at);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hsize_t chunk = 4;
  H5Pset_chunk(dcpl, 1, &chunk);
  H5Pset_deflate(dcpl, 4);
  const int32_t fill = 9;
  H5Pset_fill_value(dcpl, H5T_NATIVE_INT32, &fill);
  const hid_t s10 = H5Screate_simple(1, &ten, nullptr);
  ds = H5Dcreate2(grp, "data", H5T_STD_I32LE, s10, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  hsize_t start = 2;
  const hid_t fsp = H5Dget_space(ds);
  H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &start, nullptr, &three, nullptr);
  const int32_t part[3] = {20, 30, 40};
  H5Dwrite(ds, H5T_NATIVE_INT32, s3, fsp, H5P_DEFAULT, part);
  H5Sclose(fsp);
  H5Dclose(ds);
  H5Lcreate_hard(f, "/grp/data", grp, "alias", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_soft("/grp/data", f, "soft", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_external("elsewhere.h5", "/x", f, "ext", H5P_DEFAULT, H5P_DEFAULT);

  // Object references to a group, a dataset and the committed type.
  hobj_ref_t refs[3];
  H5Rcreate(&refs[0], f, "/grp", H5R_OBJECT, -1);
  H5Rcreate(&refs[1], f, "/grp/data", H5R_OBJECT, -1);
  H5Rcreate(&refs[2], f, "/committed_t", H5R_OBJECT, -1);
  ds = H5Dcreate2(f, "refs", H5T_STD_REF_OBJ, s3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs);
  H5Dclose(ds);

  // Region references: two points, and a block.
  hdset_reg_ref_t regions[2];
  const hid_t target = H5Dopen2(f, "/grp/data", H5P_DEFAULT);
  hid_t rsp = H5Dget_space(target);
  const hsize_t pts[2] = {1, 3};
  H5Sselect_elements(rsp, H5S_SELECT_SET, 2, pts);
  H5Rcreate(&regions[0], f, "/grp/data", H5R_DATASET_REGION, rsp);
  hsize_t zero = 0;
  H5Sselect_hyperslab(rsp, H5S_SELECT_SET, &zero, nullptr, &two, nullptr);
  H5Rcreate(&regions[1], f, "/grp/data", H5R_DATASET_REGION, rsp);
  H5Sclose(rsp);
  H5Dclose(target);
  ds = H5Dcreate2(f, "regions", H5T_STD_REF_DSETREG, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_STD_REF_DSETREG, H5S_ALL, H5S_ALL, H5P_DEFAULT, regions);
  H5Dclose(ds);

  // Fixed strings, space-padded UTF-8.
  const hid_t sp4 = H5Tcopy(H5T_C_S1);
  H5Tset_size(sp4, 4);
  H5Tset_strpad(sp4, H5T_STR_SPACEPAD);
  H5Tset_cset(sp4, H5T_CSET_UTF8);
  ds = H5Dcreate2(f, "spacepad", sp4, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, sp4, H5S_ALL, H5S_ALL, H5P_DEFAULT, "ab  wxyz");
  H5Dclose(ds);

  // An attribute of a compound with C alignment padding (native little-endian members).
  const hid_t pad = H5Tcreate(H5T_COMPOUND, sizeof(CPadded));
  H5Tinsert(pad, "x", HOFFSET(CPadded, x), H5T_STD_I16LE);
  H5Tinsert(pad, "y", HOFFSET(CPadded, y), H5T_IEEE_F64LE);
  CPadded pv;
  std::memset(&pv, 0, sizeof pv);
  pv.x = 3;
  pv.y = 0.25;
  at = H5Acreate2(f, "rec", pad, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(at, pad, &pv);
  H5Aclose(at);

  for (hid_t t : {str, farr, rec, vl, committed, enumFile, enumMem, opaque, sp4, pad}) H5Tclose(t);
  for (hid_t s : {s2, s3, s4, s10, scalar}) H5Sclose(s);
  H5Pclose(dcpl);
  H5Gclose(grp);
  ASSERT_GE(H5Fclose(f), 0);
}

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

// ---------------------------------------------------------------- files the store writes

DatatypePtr recordType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Compound;
  t->fields = {{"id", arrays::intType(4, true), 0}, {"label", arrays::vlenStringType(), 0}};
  t->size = 0;
  return t;
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

DatatypePtr objectRefType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = arrays::RefKind::Object;
  t->size = arrays::kRefBytes;
  return t;
}

DatatypePtr regionRefType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = arrays::RefKind::Region;
  t->size = 0;
  return t;
}

DatasetSpec simple(DatatypePtr type, Dims dims, Dims maxdims = {}, Dims chunks = {}, std::string fill = {}) {
  DatasetSpec s;
  s.type = std::move(type);
  s.shape.cls = ShapeClass::Simple;
  s.shape.dims = std::move(dims);
  s.shape.maxdims = std::move(maxdims);
  s.chunks = std::move(chunks);
  s.fillValue = std::move(fill);
  return s;
}

Link hard(const std::string& name, const std::string& id) {
  Link l;
  l.name = name;
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
  store.createLink(c, root, hard("grp", grp));
  store.createAttribute(c, grp, attr("note", arrays::vlenStringType(), ShapeClass::Scalar),
                        vlenStr("hello \xc3\xa9"), false);
  const std::string ints =
      store.createDataset(c, simple(arrays::intType(4, true, ByteOrder::Big), {3, 4})).object.id;
  store.createLink(c, grp, hard("ints", ints));
  std::string intBytes;
  for (int i = 0; i < 12; ++i) intBytes += be(static_cast<uint32_t>(i - 5), 4);
  write(c, ints, Selection::all({3, 4}), intBytes);

  Filter deflate;
  deflate.kind = Filter::Kind::Deflate;
  deflate.level = 5;
  DatasetSpec fs = simple(arrays::floatType(8), {2, 4}, {kUnlimited, 4}, {2, 2}, f64le(-1.5));
  fs.filters = {deflate};
  const std::string floats = store.createDataset(c, fs).object.id;
  store.createLink(c, root, hard("floats", floats));
  write(c, floats, Selection::hyperslab({{1, 0}, {1, 4}, {1, 1}}), f64le(1) + f64le(2) + f64le(3) + f64le(4));
  store.resize(c, floats, {5, 4});

  const std::string names = store.createDataset(c, simple(arrays::vlenStringType(), {3})).object.id;
  store.createLink(c, root, hard("names", names));
  write(c, names, Selection::all({3}), vlenStr("a") + vlenStr("b\xc3\xa9") + vlenStr(""));

  const std::string records = store.createDataset(c, simple(recordType(), {2})).object.id;
  store.createLink(c, root, hard("records", records));
  write(c, records, Selection::all({2}), le32(8) + vlenStr("eight") + le32(-9) + vlenStr("nine"));
  EXPECT_EQ(readAll(c, records), le32(8) + vlenStr("eight") + le32(-9) + vlenStr("nine"));

  const std::string colors = store.createDataset(c, simple(colorType(), {3})).object.id;
  store.createLink(c, root, hard("colors", colors));
  write(c, colors, Selection::all({3}), std::string("\x02\x00\x01", 3));

  const std::string refs = store.createDataset(c, simple(objectRefType(), {3})).object.id;
  store.createLink(c, root, hard("refs", refs));
  const std::string refBytes =
      ref("groups", grp) + ref("datasets", ints) + std::string(arrays::kRefBytes, '\0');
  write(c, refs, Selection::all({3}), refBytes);
  EXPECT_EQ(readAll(c, refs), refBytes);
  EXPECT_THROW(write(c, refs, Selection::hyperslab({{0}, {1}, {1}}), ref("groups", newUuid())), NotFound);

  const std::string regions = store.createDataset(c, simple(regionRefType(), {1})).object.id;
  store.createLink(c, root, hard("regions", regions));
  const std::string region =
      "{\"id\":\"" + ints + "\",\"select_type\":\"H5S_SEL_POINTS\",\"selection\":[[1,1],[1,2]]}";
  write(c, regions, Selection::all({1}), vlenStr(region));
  const std::string back = readAll(c, regions);
  auto item = Poco::JSON::Parser().parse(back.substr(8)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(item->getValue<std::string>("id"), ints);
  EXPECT_EQ(item->getValue<std::string>("select_type"), "H5S_SEL_POINTS");

  const std::string ctype = store.createDatatype(c, arrays::intType(2, true)).id;
  store.createLink(c, root, hard("ctype", ctype));
  auto committed = std::make_shared<Datatype>(*arrays::intType(2, true));
  committed->committedId = ctype;
  const std::string typed = store.createDataset(c, simple(committed, {2})).object.id;
  store.createLink(c, root, hard("typed", typed));
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
  store_->createLink(made, root, hard("g", g));
  const std::string d = store_->createDataset(made, simple(arrays::intType(4, true), {2})).object.id;
  store_->createLink(made, g, hard("d", d));
  const std::string anonymous = store_->createGroup(made).id;
  const std::string unlinked = store_->createDataset(made, simple(arrays::intType(1, true), {1})).object.id;
  store_->createLink(made, root, hard("tmp", unlinked));
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

// ---------------------------------------------------------------- read-only files

void expectEveryWriteForbidden(ArrayStore& store, const std::string& c, const std::string& root,
                               const std::string& dataset, const std::string& group) {
  EXPECT_THROW(store.createGroup(c), Forbidden);
  EXPECT_THROW(store.createDataset(c, simple(arrays::intType(4, true), {2})), Forbidden);
  EXPECT_THROW(store.createDatatype(c, arrays::intType(4, true)), Forbidden);
  EXPECT_THROW(store.createLink(c, root, hard("new", group)), Forbidden);
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
  EXPECT_THROW(store.createDataset(c, simple(arrays::intType(4, true), {2})), Forbidden);
  EXPECT_THROW(store.createLink(c, info.rootId, hard("x", idAt(c, "grp"))), Forbidden);
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

// ---------------------------------------------------------------- concurrency and size

const char* kConcurrentChecker = R"PY(
import sys
import numpy as np
import h5py
with h5py.File(sys.argv[1], 'r') as f:
    d = f['grid'][...]
    rows, cols = d.shape
    expect = (np.arange(rows)[:, None] * 1000 + np.arange(cols)[None, :] + 1).astype('<i4')
    if not (d == expect).all():
        print('FAILED: values differ at', np.argwhere(d != expect)[:5]); sys.exit(1)
    if len(f['marks'].attrs) != 32:
        print('FAILED: attributes', len(f['marks'].attrs)); sys.exit(1)
print('OK')
)PY";

TEST_F(Hdf5Files, ConcurrentWritersToOneFileKeepItIntact) {
  ArrayStore& store = open();
  const std::string c = "busy";
  const std::string root = store.createContainer(c).rootId;
  const uint64_t rows = 256, cols = 300;
  const std::string d =
      store.createDataset(c, simple(arrays::intType(4, true), {rows, cols}, {}, {32, 64})).object.id;
  store.createLink(c, root, hard("grid", d));
  const std::string marks = store.createGroup(c).id;
  store.createLink(c, root, hard("marks", marks));
  const auto value = [&](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 1000 + j + 1); };

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Thread t writes rows t, t+4, ... in blocks of 8 rows, with attribute traffic between.
        for (uint64_t w = 0; w < 8; ++w) {
          const uint64_t first = t + 32 * w;
          std::string bytes;
          for (uint64_t k = 0; k < 8; ++k)
            for (uint64_t j = 0; j < cols; ++j) bytes += le32(value(first + 4 * k, j));
          store.write(c, d, Selection::hyperslab({{first, 0}, {8, cols}, {4, 1}}),
                      sourceOf(bytes, std::size_t{3001}), bytes.size());
          store.createAttribute(c, marks,
                                attr("t" + std::to_string(t) + "w" + std::to_string(w),
                                     arrays::intType(8, true), ShapeClass::Scalar),
                                le(w, 8), false);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "writer " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures, 0);
  if (!haveH5py()) {
    std::string expected;
    for (uint64_t k = 0; k < rows * cols; ++k) expected += le32(value(k / cols, k % cols));
    EXPECT_TRUE(readAll(c, d) == expected);
    return;
  }
  close();
  const std::string out = python(kConcurrentChecker, {data_ + "/busy.h5"});
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
}

TEST_F(Hdf5Files, BigSelectionsStreamInBoundedBlocks) {
  ArrayStore& store = open();
  const std::string c = "big";
  store.createContainer(c);
  const uint64_t rows = 6, cols = 1u << 20;  // 24 MiB of int32
  const std::string d = store.createDataset(c, simple(arrays::intType(4, true), {rows, cols})).object.id;
  const std::string bytes = randomBytes(rows * cols * 4, 9);
  write(c, d, Selection::all({rows, cols}), bytes);
  std::vector<std::size_t> blocks;
  std::string got;
  store.read(c, d, Selection::all({rows, cols}), [&](const char* p, std::size_t n) {
    blocks.push_back(n);
    got.append(p, n);
  });
  EXPECT_TRUE(got == bytes);
  EXPECT_GE(blocks.size(), 2u);
  for (auto n : blocks) EXPECT_LE(n, std::size_t{16} << 20);
  // A one-dimensional dataset bigger than a block splits along its only dimension.
  const std::string flat = store.createDataset(c, simple(arrays::intType(4, true), {rows * cols})).object.id;
  write(c, flat, Selection::all({rows * cols}), bytes);
  blocks.clear();
  got.clear();
  store.read(c, flat, Selection::hyperslab({{1}, {rows * cols / 2}, {2}}), [&](const char* p, std::size_t n) {
    blocks.push_back(n);
    got.append(p, n);
  });
  EXPECT_EQ(got.size(), rows * cols * 2);
  EXPECT_EQ(got.substr(0, 8), bytes.substr(4, 4) + bytes.substr(12, 4));
  for (auto n : blocks) EXPECT_LE(n, std::size_t{16} << 20);
}

// ---------------------------------------------------------------- deletes and export

TEST_F(Hdf5Files, DeletingAnObjectRemovesEveryLinkToIt) {
  ArrayStore& store = open();
  const std::string c = "links";
  const std::string root = store.createContainer(c).rootId;
  const std::string a = store.createGroup(c).id;
  const std::string b = store.createGroup(c).id;
  store.createLink(c, root, hard("a", a));
  store.createLink(c, a, hard("b", b));
  const std::string d = store.createDataset(c, simple(arrays::intType(4, true), {2})).object.id;
  store.createLink(c, root, hard("d", d));
  store.createLink(c, a, hard("d2", d));
  store.createLink(c, b, hard("d3", d));
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
  const std::string d = store.createDataset(c, simple(arrays::floatType(8), {1000})).object.id;
  store.createLink(c, root, hard("x", d));
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
