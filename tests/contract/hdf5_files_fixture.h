#pragma once
// What only the hdf5 backend (backends/hdf5) promises, beyond the arrays contract: the fixture
// and helpers that the hdf5_files_*_test.cpp files share (the Hdf5Files suite).
//
// h5py is Debian's python3-h5py, run as /usr/bin/python3 (not the python3 on PATH); tests that
// need it are skipped when it is missing.

#include "contract/packed_values.h"
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

// Helpers of these tests only, apart from other tests' helpers of the same names.
namespace hdf5_files {

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

inline constexpr const char* kPython = "/usr/bin/python3";

// ---- packed bytes, by hand

inline std::string f32le(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return le(bits, 4);
}
inline std::string ref(const std::string& collection, const std::string& id) {
  std::string s = collection + "/" + id;
  s.resize(arrays::kRefBytes, '\0');
  return s;
}

inline std::string sha256(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

inline bool haveH5py() {
  static const bool ok =
      std::system((std::string(kPython) + " -c 'import h5py' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

// Runs `script` with /usr/bin/python3 and the given arguments; returns its exit code and
// leaves stdout+stderr in `output`.
inline int runPython(const std::string& workDir, const std::string& script, const Names& args,
                     std::string& output) {
  auto [rc, out] = strata::test::runPython(workDir, script, args);
  output = std::move(out);
  return rc;
}

// ---------------------------------------------------------------- files written by h5py

inline const char* kH5pyWriter = R"PY(
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

inline void writeCApiFile(const std::string& path) {
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

// ---------------------------------------------------------------- files the store writes

inline DatatypePtr recordType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Compound;
  t->fields = {{"id", arrays::intType(4, true), 0}, {"label", arrays::vlenStringType(), 0}};
  t->size = 0;
  return t;
}

inline DatatypePtr colorType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Enum;
  t->base = arrays::intType(1, false);
  t->size = 1;
  t->isSigned = false;
  t->members = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
  return t;
}

inline DatatypePtr objectRefType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = arrays::RefKind::Object;
  t->size = arrays::kRefBytes;
  return t;
}

inline DatatypePtr regionRefType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = arrays::RefKind::Region;
  t->size = 0;
  return t;
}

}  // namespace hdf5_files
using namespace hdf5_files;

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

}  // namespace strata::test
