// The hdf endpoint plugin with the hdf5 backend and h5py: files written by h5py before the
// server starts are served, and a domain written through the API opens in h5py.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------------------------- h5py

TEST_P(HdfApi, ReadsFilesWrittenByH5py) {
  if (!hdf5()) GTEST_SKIP() << "h5py files need the hdf5 backend";
  const std::string host = "h5py_tall.test.hdfgroup.org";
  auto r = call("GET", "/", "", {}, host);
  ASSERT_EQ(r.status, 200) << r.reason;
  const std::string root = parse(r.body)->getValue<std::string>("root");
  auto g = [&](const std::string& path, std::map<std::string, std::string> h = {}) {
    h["Host"] = host;
    return server().request("GET", path, "", h);
  };
  auto id = [&](const std::string& group, const std::string& name) {
    return parse(g("/groups/" + group + "/links/" + name).body)
        ->getObject("link")
        ->getValue<std::string>("id");
  };
  const std::string g1 = id(root, "g1");
  const std::string g11 = id(g1, "g1.1");
  const std::string dset = id(g11, "dset1.1.1");

  r = g("/datasets/" + dset);
  ASSERT_EQ(r.status, 200);
  auto o = parse(r.body);
  EXPECT_EQ(compact(o->get("type")), R"({"base":"H5T_STD_I32BE","class":"H5T_INTEGER"})");
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[10,10]})");
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/value?select=[0:4:2,1:3]").body)->get("value")),
            "[[1,2],[21,22]]");
  r = g("/datasets/" + dset + "/value?select=[0:1,0:2]", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, std::string("\0\0\0\0\0\0\0\1", 8));
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/attributes/units").body)->get("value")), R"("meters")");
  EXPECT_EQ(compact(parse(g("/groups/" + root + "/attributes/attr1").body)->get("value")),
            "[104,101,108,108,111]");

  auto soft = parse(g("/groups/" + root + "/links/soft").body)->getObject("link");
  EXPECT_EQ(soft->getValue<std::string>("class"), "H5L_TYPE_SOFT");
  EXPECT_EQ(soft->getValue<std::string>("h5path"), "/g1");
  auto ext = parse(g("/groups/" + root + "/links/ext").body)->getObject("link");
  EXPECT_EQ(ext->getValue<std::string>("class"), "H5L_TYPE_EXTERNAL");
  EXPECT_EQ(ext->getValue<std::string>("h5path"), "/x");

  const std::string floats = id(root, "floats");
  EXPECT_EQ(g("/datasets/" + floats + "/value").body.rfind(R"({"value":[0.0,0.25,0.5,0.75,1.0],)", 0), 0u);
  const std::string weather = id(root, "weather");
  r = g("/datasets/" + weather + "/value?query=wind%20==%20b'W%205'%20%26%20(temp%20>%202)");
  ASSERT_EQ(r.status, 200) << r.reason;
  EXPECT_EQ(compact(parse(r.body)->get("index")), "[2,4]");
  const std::string chunked = id(root, "chunked");
  o = parse(g("/datasets/" + chunked).body);
  EXPECT_EQ(compact(o->get("shape")), R"({"class":"H5S_SIMPLE","dims":[1000],"maxdims":[0]})");
  EXPECT_EQ(compact(o->getObject("creationProperties")->get("layout")),
            R"({"class":"H5D_CHUNKED","dims":[100]})");
  EXPECT_EQ(compact(parse(g("/datasets/" + chunked + "/value?select=[998:1000]").body)->get("value")),
            "[998,999]");
  const std::string strings = id(root, "strings");
  EXPECT_EQ(compact(parse(g("/datasets/" + strings + "/value").body)->get("value")), R"(["ab","cde"])");
}

TEST_P(HdfApi, DomainWrittenThroughTheApiOpensInH5py) {
  if (!hdf5()) GTEST_SKIP() << "only the hdf5 backend writes .h5 files";
  const std::string root = createDomain();
  auto r = post("/groups", R"({"link": {"id": ")" + root + R"(", "name": "grp"}})");
  const std::string grp = parse(r.body)->getValue<std::string>("id");
  const std::string d = createDataset(R"({"type": "H5T_IEEE_F32BE", "shape": [3, 4], "maxdims": [0, 4],
      "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [2, 4]}, "fillValue": -1,
      "filters": [{"class": "H5Z_FILTER_DEFLATE", "id": 1, "level": 5}]},
      "link": {"id": ")" + grp + R"(", "name": "data"}})");
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"start": [0, 0], "stop": [2, 4],
      "value": [[1, 2, 3, 4], [5, 6, 7, 8]]})")
                .status,
            200);
  ASSERT_EQ(put("/datasets/" + d + "/attributes/units", R"({"type": {"class": "H5T_STRING",
      "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}, "value": "K"})")
                .status,
            201);
  ASSERT_EQ(put("/groups/" + root + "/links/alias", R"({"h5path": "/grp/data"})").status, 201);
  ASSERT_EQ(put("/datasets/" + d + "/shape", R"({"shape": [4, 4]})").status, 201);

  // The live file (the server keeps it open: HDF5's file lock must be off for a second
  // reader) and the copy that GET / with Accept: application/x-hdf5 downloads.
  const std::string leaf = domain().substr(0, domain().find('.'));
  const std::string live = server().dir() + "/data/test/" + leaf + ".h5";
  const std::string copy = server().dir() + "/download.h5";
  auto file = get("/", {{"Accept", "application/x-hdf5"}});
  ASSERT_EQ(file.status, 200) << file.reason;
  writeFile(copy, file.body);
  for (const std::string& path : {live, copy}) {
    auto [rc, out] = runPython(server().dir(), R"PY(
import os
os.environ['HDF5_USE_FILE_LOCKING'] = 'FALSE'
import h5py, numpy as np
with h5py.File(')PY" + path + R"PY(', 'r') as f:
    d = f['grp/data']
    assert d.dtype == np.dtype('>f4'), d.dtype
    assert d.shape == (4, 4), d.shape
    assert d.maxshape == (None, 4), d.maxshape
    assert d.chunks == (2, 4), d.chunks
    assert d.compression == 'gzip', d.compression
    expect = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [-1] * 4, [-1] * 4], dtype='f4')
    assert (d[...] == expect).all(), d[...]
    u = d.attrs['units']
    assert (u.decode() if isinstance(u, bytes) else u) == 'K', u
    assert isinstance(f.get('alias', getlink=True), h5py.SoftLink)
    assert (f['alias'][0] == expect[0]).all()
print('ok')
)PY");
    EXPECT_EQ(rc, 0) << path << ": " << out;
    EXPECT_NE(out.find("ok"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace strata::test
