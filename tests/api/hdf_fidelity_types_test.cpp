// The hdf plugin keeps types and creation properties as the file has them, on every arrays
// backend: string padding and character set (and the stored bytes of fixed-length strings),
// 8-bit integers as little-endian, and dataset filters (applied by the hdf5 backend, checked
// with h5py; kept and reported by the others).

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// The live .h5 file of this test's domain (hdf5 backend).
std::string liveFile(ServerProcess& server, const std::string& domain) {
  return server.dir() + "/data/test/" + domain.substr(0, domain.find('.')) + ".h5";
}

// Runs an h5py check against `path` (bound to the name `path` in the script); "ok" on success.
void expectH5py(ServerProcess& server, const std::string& path, const std::string& body) {
  auto [rc, out] = runPython(server.dir(),
                             "import os\nos.environ['HDF5_USE_FILE_LOCKING'] = 'FALSE'\n"
                             "import h5py, numpy as np\npath = '" +
                                 path + "'\n" + body + "\nprint('ok')\n");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

std::string message(const HttpResult& r) { return parse(r.body)->optValue<std::string>("message", ""); }

// ------------------------------------------------------------------------------- strings

TEST_P(HdfApi, StringsKeepTheirPaddingCharacterSetAndBytes) {
  const std::string root = createDomain();
  struct Case {
    const char* name;
    const char* pad;
    const char* cset;
    std::string bytes;  // what ["ab", "wxyz"] is stored as in a 4-byte string
  };
  const Case cases[] = {{"nullterm", "H5T_STR_NULLTERM", "H5T_CSET_ASCII", std::string("ab\0\0wxyz", 8)},
                        {"nullpad", "H5T_STR_NULLPAD", "H5T_CSET_UTF8", std::string("ab\0\0wxyz", 8)},
                        {"spacepad", "H5T_STR_SPACEPAD", "H5T_CSET_ASCII", "ab  wxyz"}};
  for (const Case& c : cases) {
    const std::string type = std::string(R"({"class": "H5T_STRING", "charSet": ")") + c.cset +
                             R"(", "strPad": ")" + c.pad + R"(", "length": 4})";
    const std::string d = createDataset(R"({"type": )" + type + R"(, "shape": [2], "link": {"id": ")" + root +
                                        R"(", "name": ")" + c.name + R"("}})");
    ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": ["ab", "wxyz"]})").status, 200) << c.name;
    auto t = parse(get("/datasets/" + d).body)->getObject("type");
    EXPECT_EQ(t->getValue<std::string>("strPad"), c.pad);
    EXPECT_EQ(t->getValue<std::string>("charSet"), c.cset);
    EXPECT_EQ(t->getValue<int>("length"), 4);
    auto r = get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}});
    EXPECT_EQ(r.body, c.bytes) << c.name;
    r = post("/datasets/" + d + "/value", R"({"points": [1, 0]})", {{"Accept", "application/octet-stream"}});
    EXPECT_EQ(r.body, c.bytes.substr(4) + c.bytes.substr(0, 4)) << c.name;
    EXPECT_EQ(value(d), R"(["ab","wxyz"])") << c.name;
    // The stored bytes written back as they are read the same.
    ASSERT_EQ(
        put("/datasets/" + d + "/value", c.bytes, {{"Content-Type", "application/octet-stream"}}).status,
        200);
    EXPECT_EQ(get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}}).body, c.bytes);
  }
  // Variable-length strings keep theirs too; so do attributes.
  const std::string vlen = createDataset(R"({"type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII",
      "strPad": "H5T_STR_NULLPAD", "length": "H5T_VARIABLE"}, "shape": [1],
      "link": {"id": ")" + root + R"(", "name": "vlen"}})");
  auto t = parse(get("/datasets/" + vlen).body)->getObject("type");
  EXPECT_EQ(compact(t), R"({"charSet":"H5T_CSET_ASCII","class":"H5T_STRING","length":"H5T_VARIABLE",)"
                        R"("strPad":"H5T_STR_NULLPAD"})");
  ASSERT_EQ(put("/groups/" + root + "/attributes/a", R"({"type": {"class": "H5T_STRING",
      "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_SPACEPAD", "length": 3}, "value": "é"})")
                .status,
            201);
  auto a = parse(get("/groups/" + root + "/attributes/a").body);
  EXPECT_EQ(a->getObject("type")->getValue<std::string>("strPad"), "H5T_STR_SPACEPAD");
  EXPECT_EQ(a->getObject("type")->getValue<std::string>("charSet"), "H5T_CSET_UTF8");
  EXPECT_EQ(compact(a->get("value")), "\"é\"");

  // Unknown padding or character set: 400 naming the key, nothing created.
  for (const char* bad : {R"("strPad": "H5T_STR_BOGUS", "charSet": "H5T_CSET_ASCII")",
                          R"("strPad": 1, "charSet": "H5T_CSET_ASCII")",
                          R"("strPad": "H5T_STR_NULLPAD", "charSet": "H5T_CSET_LATIN1")"}) {
    auto r = post("/datasets", std::string(R"({"type": {"class": "H5T_STRING", "length": 4, )") + bad +
                                   R"(}, "shape": [2], "link": {"id": ")" + root + R"(", "name": "bad"}})");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(message(r).find(std::string(bad).find("LATIN1") != std::string::npos ? "charSet" : "strPad"),
              std::string::npos)
        << r.body;
    EXPECT_EQ(put("/groups/" + root + "/attributes/bad", std::string(R"({"type": {"class": "H5T_STRING",
        "length": 4, )") + bad + R"(}, "value": "x"})")
                  .status,
              400);
  }
  EXPECT_EQ(get("/groups/" + root + "/links/bad").status, 404);

  if (!hdf5()) return;
  expectH5py(server(), liveFile(server(), domain()), R"PY(
with h5py.File(path, 'r') as f:
    want = {'nullterm': (h5py.h5t.STR_NULLTERM, h5py.h5t.CSET_ASCII, b'ab\0\0wxyz'),
            'nullpad': (h5py.h5t.STR_NULLPAD, h5py.h5t.CSET_UTF8, b'ab\0\0wxyz'),
            'spacepad': (h5py.h5t.STR_SPACEPAD, h5py.h5t.CSET_ASCII, b'ab  wxyz')}
    for name, (pad, cset, raw) in want.items():
        d = f[name]
        t = d.id.get_type()
        assert t.get_strpad() == pad, (name, t.get_strpad())
        assert t.get_cset() == cset, (name, t.get_cset())
        buf = np.zeros(d.shape, dtype='S4')
        d.id.read(h5py.h5s.ALL, h5py.h5s.ALL, buf, mtype=t)
        assert buf.tobytes() == raw, (name, buf.tobytes())
    t = f['vlen'].id.get_type()
    assert t.is_variable_str() and t.get_strpad() == h5py.h5t.STR_NULLPAD and t.get_cset() == h5py.h5t.CSET_ASCII
    t = f.attrs.get_id('a').get_type()
    assert t.get_strpad() == h5py.h5t.STR_SPACEPAD and t.get_cset() == h5py.h5t.CSET_UTF8
)PY");
}

// Strings (and an 8-bit big-endian integer) that h5py wrote with each padding read back as
// stored. The file is written while the server runs; its domain is opened on first use.
TEST_P(HdfApi, StringsWrittenByH5pyReadAsStored) {
  if (!hdf5()) GTEST_SKIP() << "h5py files need the hdf5 backend";
  expectH5py(server(), liveFile(server(), domain()), R"PY(
def fixed(f, name, pad, cset, raw):
    t = h5py.h5t.C_S1.copy()
    t.set_size(4)
    t.set_strpad(pad)
    t.set_cset(cset)
    d = h5py.h5d.create(f.id, name.encode(), t, h5py.h5s.create_simple((2,)))
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.frombuffer(raw, dtype='S4'), mtype=t)
with h5py.File(path, 'w') as f:
    fixed(f, 'nullterm', h5py.h5t.STR_NULLTERM, h5py.h5t.CSET_ASCII, b'ab\0\0wxyz')
    fixed(f, 'nullpad', h5py.h5t.STR_NULLPAD, h5py.h5t.CSET_UTF8, b'ab\0\0wxyz')
    fixed(f, 'spacepad', h5py.h5t.STR_SPACEPAD, h5py.h5t.CSET_ASCII, b'ab  wxyz')
    f.create_dataset('utf8', data=['ab', 'é'], dtype=h5py.string_dtype('utf-8'))
    f.create_dataset('ascii', data=[b'ab', b'c'], dtype=h5py.string_dtype('ascii'))
    d = h5py.h5d.create(f.id, b'i8be', h5py.h5t.STD_I8BE, h5py.h5s.create_simple((2,)))
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([-1, 2], dtype='i1'))
    f.create_dataset('gzip', data=np.arange(100, dtype='<i4'), chunks=(10,), compression='gzip',
                     compression_opts=4, shuffle=True, fletcher32=True)
    f.create_dataset('rows', data=np.array([(1, b'ab'), (2, b'wxyz')], dtype=[('n', '<i2'), ('s', 'S4')]))
    f.create_dataset('szip', data=np.arange(100, dtype='<i4'), chunks=(20,), compression='szip',
                     compression_opts=('ec', 16))
)PY");
  ASSERT_EQ(get("/").status, 200);
  const std::string root = parse(get("/").body)->getValue<std::string>("root");
  const std::pair<const char*, const char*> pads[] = {
      {"nullterm", "H5T_STR_NULLTERM"}, {"nullpad", "H5T_STR_NULLPAD"}, {"spacepad", "H5T_STR_SPACEPAD"}};
  for (const auto& [name, pad] : pads) {
    const std::string d = linked(root, name);
    auto t = parse(get("/datasets/" + d).body)->getObject("type");
    EXPECT_EQ(t->getValue<std::string>("strPad"), pad);
    EXPECT_EQ(t->getValue<std::string>("charSet"),
              std::string(name) == "nullpad" ? "H5T_CSET_UTF8" : "H5T_CSET_ASCII");
    auto r = get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}});
    EXPECT_EQ(r.body, std::string(name) == "spacepad" ? "ab  wxyz" : std::string("ab\0\0wxyz", 8)) << name;
    EXPECT_EQ(value(d), R"(["ab","wxyz"])") << name;
  }
  auto t = parse(get("/datasets/" + linked(root, "utf8")).body)->getObject("type");
  EXPECT_EQ(compact(t), R"({"charSet":"H5T_CSET_UTF8","class":"H5T_STRING","length":"H5T_VARIABLE",)"
                        R"("strPad":"H5T_STR_NULLTERM"})");
  EXPECT_EQ(value(linked(root, "utf8")), R"(["ab","é"])");
  t = parse(get("/datasets/" + linked(root, "ascii")).body)->getObject("type");
  EXPECT_EQ(t->getValue<std::string>("charSet"), "H5T_CSET_ASCII");
  const std::string i8 = linked(root, "i8be");
  EXPECT_EQ(compact(parse(get("/datasets/" + i8).body)->get("type")),
            R"({"base":"H5T_STD_I8LE","class":"H5T_INTEGER"})");
  EXPECT_EQ(value(i8), "[-1,2]");
  // A compound's string field as stored, too.
  const std::string rows = linked(root, "rows");
  EXPECT_EQ(get("/datasets/" + rows + "/value", {{"Accept", "application/octet-stream"}}).body,
            std::string("\x01\0ab\0\0\x02\0wxyz", 12));
  EXPECT_EQ(value(rows), R"([[1,"ab"],[2,"wxyz"]])");
  // Filters of a file h5py wrote, in hdf5-json's form.
  auto props = parse(get("/datasets/" + linked(root, "gzip")).body)->getObject("creationProperties");
  EXPECT_EQ(compact(props->get("filters")),
            R"([{"class":"H5Z_FILTER_SHUFFLE","id":2,"name":"shuffle"},)"
            R"({"class":"H5Z_FILTER_DEFLATE","id":1,"level":4,"name":"deflate"},)"
            R"({"class":"H5Z_FILTER_FLETCHER32","id":3,"name":"fletcher32"}])");
  auto szip = parse(get("/datasets/" + linked(root, "szip")).body)
                  ->getObject("creationProperties")
                  ->getArray("filters")
                  ->getObject(0);
  EXPECT_EQ(szip->getValue<std::string>("class"), "H5Z_FILTER_SZIP");
  EXPECT_EQ(szip->getValue<std::string>("coding"), "H5_SZIP_EC_OPTION_MASK");
  EXPECT_EQ(szip->getValue<int>("pixelsPerBlock"), 16);
  EXPECT_EQ(szip->getValue<int>("bitsPerPixel"), 32);
  EXPECT_EQ(value(linked(root, "szip"), "?select=[97:100]"), "[97,98,99]");
}

// ------------------------------------------------------------------------- 8-bit integers

TEST_P(HdfApi, EightBitIntegersAreLittleEndian) {
  const std::string root = createDomain();
  const std::pair<const char*, const char*> cases[] = {
      {R"("H5T_STD_I8BE")", R"({"base":"H5T_STD_I8LE","class":"H5T_INTEGER"})"},
      {R"({"class": "H5T_INTEGER", "base": "H5T_STD_U8BE"})",
       R"({"base":"H5T_STD_U8LE","class":"H5T_INTEGER"})"},
      {R"("H5T_NATIVE_INT8")", R"({"base":"H5T_STD_I8LE","class":"H5T_INTEGER"})"},
      {R"({"class": "H5T_ENUM", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I8BE"},
          "mapping": {"FALSE": 0, "TRUE": 1}})",
       R"({"base":{"base":"H5T_STD_I8LE","class":"H5T_INTEGER"},"class":"H5T_ENUM","mapping":{"FALSE":0,"TRUE":1}})"},
      {R"({"class": "H5T_COMPOUND", "fields": [{"name": "b", "type": "H5T_STD_U8BE"},
          {"name": "s", "type": "H5T_STD_I16BE"}]})",
       R"({"class":"H5T_COMPOUND","fields":[{"name":"b","type":{"base":"H5T_STD_U8LE","class":"H5T_INTEGER"}},)"
       R"({"name":"s","type":{"base":"H5T_STD_I16BE","class":"H5T_INTEGER"}}]})"}};
  int n = 0;
  for (const auto& [in, out] : cases) {
    const std::string name = "t" + std::to_string(n++);
    const std::string d = createDataset(R"({"type": )" + std::string(in) + R"(, "shape": [2],
        "link": {"id": ")" + root + R"(", "name": ")" +
                                        name + R"("}})");
    EXPECT_EQ(compact(parse(get("/datasets/" + d).body)->get("type")), out) << in;
    EXPECT_EQ(compact(parse(get("/datasets/" + d + "/type").body)->get("type")), out) << in;
    ASSERT_EQ(
        put("/groups/" + root + "/attributes/" + name, R"({"type": )" + std::string(in) + R"(, "shape": [1],
        "value": [)" + (n == 5 ? "[1, 2]" : "1") + "]}")
            .status,
        201)
        << in;
    EXPECT_EQ(compact(parse(get("/groups/" + root + "/attributes/" + name).body)->get("type")), out) << in;
  }
  const std::string d = linked(root, "t0");
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": [-2, 3]})").status, 200);
  EXPECT_EQ(get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}}).body, "\xfe\x03");
  if (!hdf5()) return;
  expectH5py(server(), liveFile(server(), domain()), R"PY(
with h5py.File(path, 'r') as f:
    assert f['t0'].dtype == np.dtype('i1') and list(f['t0'][...]) == [-2, 3]
    assert f['t1'].id.get_type().get_order() == h5py.h5t.ORDER_LE
    assert f['t2'].id.get_type().get_order() == h5py.h5t.ORDER_LE
)PY");
  // The h5py fixture's 'i1' attribute too.
  auto r = call("GET", "/", "", {}, "h5py_tall.test.hdfgroup.org");
  const std::string tall = parse(r.body)->getValue<std::string>("root");
  r = call("GET", "/groups/" + tall + "/attributes/attr1", "", {}, "h5py_tall.test.hdfgroup.org");
  EXPECT_EQ(compact(parse(r.body)->get("type")), R"({"base":"H5T_STD_I8LE","class":"H5T_INTEGER"})");
}

// -------------------------------------------------------------------------------- filters

TEST_P(HdfApi, FiltersAreAppliedAndReportedAsGiven) {
  const std::string root = createDomain();
  auto create = [&](const std::string& name, const std::string& filters, const char* type = "H5T_STD_I32LE") {
    return post("/datasets", std::string(R"({"type": ")") + type + R"(", "shape": [100], "maxdims": [0],
        "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [10]}, "filters": )" +
                                 filters + R"(}, "link": {"id": ")" + root + R"(", "name": ")" + name +
                                 R"("}})");
  };
  const std::pair<const char*, std::string> given[] = {
      {"gzip", R"([{"class":"H5Z_FILTER_SHUFFLE","id":2},{"class":"H5Z_FILTER_DEFLATE","id":1,"level":6},)"
               R"({"class":"H5Z_FILTER_FLETCHER32","id":3}])"},
      {"scaleoffset",
       R"([{"class":"H5Z_FILTER_SCALEOFFSET","id":6,"scaleOffset":0,"scaleType":"H5Z_SO_INT"}])"},
      {"szip",
       R"([{"class":"H5Z_FILTER_SZIP","coding":"H5_SZIP_NN_OPTION_MASK","id":4,"pixelsPerBlock":8}])"},
      {"nbit", R"([{"class":"H5Z_FILTER_NBIT","id":5}])"},
      {"names", R"(["gzip",{"class":"H5Z_FILTER_SHUFFLE","id":2,"name":"shuffle"}])"},
      // As h5pyd sends them: fletcher32 under another class name, SZIP's pixels per block as
      // bitsPerPixel.
      {"h5pyd",
       R"([{"class":"H5Z_FLETCHER_DEFLATE","id":3},{"class":"H5Z_FILTER_DEFLATE","id":1,"level":4}])"},
      {"h5pyd_szip",
       R"([{"bitsPerPixel":10,"class":"H5Z_FILTER_SZIP","coding":"H5_SZIP_EC_OPTION_MASK","id":4}])"}};
  std::string values = "[";
  for (int i = 0; i < 100; ++i) values += (i ? "," : "") + std::to_string(i * 3);
  values += "]";
  for (const auto& [name, filters] : given) {
    auto r = create(name, filters);
    ASSERT_EQ(r.status, 201) << name << " " << r.body;
    const std::string d = parse(r.body)->getValue<std::string>("id");
    auto props = parse(get("/datasets/" + d).body)->getObject("creationProperties");
    EXPECT_EQ(compact(props->get("filters")), filters) << name;
    ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": )" + values + "}").status, 200) << name;
    EXPECT_EQ(value(d, "?select=[97:100]"), "[291,294,297]") << name;
  }
  // A chunked gzip dataset grows (PUT shape) and keeps its values and filters.
  const std::string gz = linked(root, "gzip");
  ASSERT_EQ(put("/datasets/" + gz + "/shape", R"({"shape": [150]})").status, 201);
  ASSERT_EQ(put("/datasets/" + gz + "/value", R"({"start": [148], "stop": [150], "value": [7, 8]})").status,
            200);
  EXPECT_EQ(value(gz, "?select=[98:102]"), "[294,297,0,0]");
  EXPECT_EQ(value(gz, "?select=[147:150]"), "[0,7,8]");
  ASSERT_EQ(put("/datasets/" + gz + "/shape", R"({"extend": 10, "extend_dim": 0})").status, 201);
  ASSERT_EQ(put("/datasets/" + gz + "/value?select=[159:160]", R"({"value": [9]})").status, 200);
  EXPECT_EQ(value(gz, "?select=[148:160:11]"), "[7,9]");
  EXPECT_EQ(compact(parse(get("/datasets/" + gz + "/shape").body)->getObject("shape")->get("dims")), "[160]");

  // Bad filters: 400 naming what is wrong, nothing created.
  const std::pair<const char*, const char*> bad[] = {
      {R"([{"class":"H5Z_FILTER_BOGUS","id":1}])", "H5Z_FILTER_BOGUS"},
      {R"(["bogus"])", "bogus"},
      {R"([{"class":"H5Z_FILTER_DEFLATE","id":1,"level":12}])", "level"},
      {R"([{"class":"H5Z_FILTER_DEFLATE","id":1,"level":"high"}])", "level"},
      {R"([{"class":"H5Z_FILTER_DEFLATE","id":1,"lvl":5}])", "lvl"},
      {R"([{"class":"H5Z_FILTER_DEFLATE","id":2}])", "id"},
      {R"([{"class":"H5Z_FILTER_SZIP","id":4,"pixelsPerBlock":7}])", "pixelsPerBlock"},
      {R"([{"class":"H5Z_FILTER_SZIP","id":4,"coding":"H5_SZIP_XX"}])", "coding"},
      {R"([{"class":"H5Z_FILTER_SCALEOFFSET","id":6,"scaleType":"H5Z_SO_BOGUS"}])", "scaleType"},
      {R"([{"class":"H5Z_FILTER_USER","parameters":[1]}])", "id"},
      {R"([{"class":"H5Z_FILTER_SHUFFLE","id":2,"parameters":[4]}])", "parameters"},
      {R"([{"class":"H5Z_FILTER_USER","name":"zstd","level":3}])", "zstd"},
      {R"([true])", "filter"},
      {R"({"class":"H5Z_FILTER_DEFLATE"})", "list"}};
  for (const auto& [filters, named] : bad) {
    auto r = create("bad", filters);
    EXPECT_EQ(r.status, 400) << filters << " " << r.body;
    EXPECT_NE(message(r).find(named), std::string::npos) << filters << " " << r.body;
  }
  EXPECT_EQ(get("/groups/" + root + "/links/bad").status, 404);
  if (hdf5()) {
    // What HDF5's SZIP cannot encode: strings, chunks smaller than a block.
    const std::string szip = R"([{"class":"H5Z_FILTER_SZIP","id":4,"pixelsPerBlock":16}])";
    auto r = post("/datasets", R"({"type": {"class": "H5T_STRING", "length": 4}, "shape": [100],
        "creationProperties": {"filters": )" +
                                   szip + "}}");
    EXPECT_EQ(r.status, 400) << r.body;
    r = post("/datasets", R"({"type": "H5T_STD_I32LE", "shape": [100],
        "creationProperties": {"layout": {"class": "H5D_CHUNKED", "dims": [8]}, "filters": )" +
                              szip + "}}");
    EXPECT_EQ(r.status, 400) << r.body;
  }

  // LZF (h5py's filter 32000): applied where its HDF5 plugin is, else refused by name;
  // stores that do not compress keep it.
  const std::string lzfGiven = R"([{"class":"H5Z_FILTER_LZF","id":32000}])";
  auto r = create("lzf", lzfGiven);
  const bool lzf = r.status == 201;
  if (!lzf) {
    EXPECT_TRUE(hdf5()) << r.body;
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(message(r).find("H5Z_FILTER_LZF"), std::string::npos) << r.body;
    EXPECT_EQ(get("/groups/" + root + "/links/lzf").status, 404);
  } else {
    EXPECT_EQ(compact(parse(get("/datasets/" + linked(root, "lzf")).body)
                          ->getObject("creationProperties")
                          ->get("filters")),
              lzfGiven);
  }

  if (!hdf5()) return;
  expectH5py(server(), liveFile(server(), domain()),
             std::string(R"PY(
def ids(d):
    p = d.id.get_create_plist()
    return [p.get_filter(i)[0] for i in range(p.get_nfilters())]
with h5py.File(path, 'r') as f:
    g = f['gzip']
    assert ids(g) == [2, 1, 3], ids(g)
    assert g.compression == 'gzip' and g.compression_opts == 6 and g.shuffle and g.fletcher32
    assert g.shape == (160,) and g.maxshape == (None,) and g.chunks == (10,)
    assert list(g[97:100]) == [291, 294, 297] and list(g[148:150]) == [7, 8] and g[159] == 9
    s = f['scaleoffset']
    assert ids(s) == [6] and s.scaleoffset == 0, s.scaleoffset
    z = f['szip']
    assert ids(z) == [4] and z.compression == 'szip' and z.compression_opts == ('nn', 8), z.compression_opts
    assert (z[...] == np.arange(100) * 3).all() and (s[...] == np.arange(100) * 3).all()
    assert ids(f['names']) == [1, 2], ids(f['names'])
    assert ids(f['nbit']) == [5] and (f['nbit'][...] == np.arange(100) * 3).all()
    assert ids(f['h5pyd']) == [3, 1] and f['h5pyd'].compression_opts == 4
    assert f['h5pyd_szip'].compression_opts == ('ec', 10), f['h5pyd_szip'].compression_opts
    assert ('lzf' in f) == )PY") +
                 (lzf ? "True" : "False") +
                 R"PY(
    if 'lzf' in f: assert ids(f['lzf']) == [32000]
)PY");
}

}  // namespace
}  // namespace strata::test
