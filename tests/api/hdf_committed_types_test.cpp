// The hdf endpoint plugin's committed datatypes used by reference, once per arrays backend:
// datasets and attributes created with "type": "datatypes/<id>" or the bare id, shown with the
// type "datatypes/<id>" as h5serv does, bad references, and a committed type deleted while in
// use; with the hdf5 backend, the round trip through h5py.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

const char* const kPointType =
    R"({"class": "H5T_COMPOUND", "fields": [{"name": "temp", "type": "H5T_STD_I32LE"},
                                            {"name": "pressure", "type": "H5T_IEEE_F32LE"}]})";
// kPointType as the server writes it.
const char* const kPointJson =
    R"({"class":"H5T_COMPOUND","fields":[{"name":"temp","type":{"base":"H5T_STD_I32LE","class":"H5T_INTEGER"}},)"
    R"({"name":"pressure","type":{"base":"H5T_IEEE_F32LE","class":"H5T_FLOAT"}}]})";

std::string idOf(const HttpResult& r) {
  EXPECT_EQ(r.status, 201) << r.reason << " " << r.body;
  return parse(r.body)->optValue<std::string>("id", "");
}

// The type of a response, compact: a string for a committed type, else the type object.
std::string typeOf(const HttpResult& r) {
  EXPECT_EQ(r.status, 200) << r.reason << " " << r.body;
  auto o = parse(r.body);
  return o->has("type") ? compact(o->get("type")) : "";
}

TEST_P(HdfApi, CommittedTypesByReference) {
  const std::string root = createDomain();
  const std::string t =
      idOf(post("/datatypes", std::string(R"({"type": )") + kPointType + R"(, "link": {"id": ")" + root +
                                  R"(", "name": "point"}})"));
  const std::string ref = "\"datatypes/" + t + "\"";

  // Both forms h5serv takes: "datatypes/<id>" and the bare id (its own tests send that one).
  const std::string d = idOf(post("/datasets", R"({"type": "datatypes/)" + t + R"(", "shape": [2]})"));
  const std::string bare = idOf(post("/datasets", R"({"type": ")" + t + R"(", "shape": 3})"));
  EXPECT_EQ(typeOf(get("/datasets/" + d)), ref);
  EXPECT_EQ(typeOf(get("/datasets/" + bare)), ref);
  EXPECT_EQ(typeOf(get("/datasets/" + d + "/type")), ref);
  // The committed type itself still shows its structure.
  EXPECT_EQ(typeOf(get("/datatypes/" + t)), kPointJson);

  // Values have the committed type's structure.
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": [[1, 2.5], [3, 4.5]]})").status, 200);
  EXPECT_EQ(value(d), "[[1,2.5],[3,4.5]]");
  EXPECT_EQ(value(bare), "[[0,0],[0,0],[0,0]]");
  auto r = get("/datasets/" + d + "/value", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, std::string("\1\0\0\0\0\0\x20\x40\3\0\0\0\0\0\x90\x40", 16));

  // Attributes, on a group and on the committed type itself.
  EXPECT_EQ(put("/groups/" + root + "/attributes/a",
                R"({"type": "datatypes/)" + t + R"(", "shape": [1], "value": [[7, 0.5]]})")
                .status,
            201);
  EXPECT_EQ(put("/datatypes/" + t + "/attributes/b", R"({"type": ")" + t + R"(", "value": [8, 1.5]})").status,
            201);
  r = get("/groups/" + root + "/attributes/a");
  EXPECT_EQ(typeOf(r), ref);
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[[7,0.5]]");
  r = get("/datatypes/" + t + "/attributes/b");
  EXPECT_EQ(typeOf(r), ref);
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[8,1.5]");
  auto listed = parse(get("/groups/" + root + "/attributes").body)->getArray("attributes");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(compact(listed->getObject(0)->get("type")), ref);

  // A committed type made from another is a copy of its structure, not a reference to it.
  const std::string copy = idOf(post("/datatypes", R"({"type": "datatypes/)" + t + R"("})"));
  EXPECT_NE(copy, t);
  EXPECT_EQ(typeOf(get("/datatypes/" + copy)), kPointJson);

  // Bad references. An explicit "datatypes/<id>" that names no committed type of this domain
  // is 404 (as any object); a bare string that is neither a type name nor an object of this
  // domain is a bad type (400), and so is the id of another kind of object.
  const std::string group = idOf(post("/groups", "{}"));
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/nosuch", "shape": [1]})").status, 404);
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/)" + group + R"(", "shape": [1]})").status, 404);
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/", "shape": [1]})").status, 400);
  EXPECT_EQ(post("/datasets", R"({"type": "nosuch", "shape": [1]})").status, 400);
  r = post("/datasets", R"({"type": ")" + group + R"(", "shape": [1]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("committed datatype of this domain"), std::string::npos) << r.body;
  EXPECT_EQ(put("/groups/" + root + "/attributes/c", R"({"type": "datatypes/nosuch", "value": 1})").status,
            404);
  EXPECT_EQ(put("/groups/" + root + "/attributes/c", R"({"type": "nosuch", "value": 1})").status, 400);
  // A committed type of another domain is not one of this domain.
  const std::string other = domain("2");
  EXPECT_EQ(call("PUT", "/", "", {}, other).status, 201);
  const std::string foreign = idOf(call("POST", "/datatypes", R"({"type": "H5T_STD_I8LE"})", {}, other));
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/)" + foreign + R"(", "shape": [1]})").status, 404);
  EXPECT_EQ(post("/datasets", R"({"type": ")" + foreign + R"(", "shape": [1]})").status, 400);
  EXPECT_EQ(
      put("/groups/" + root + "/attributes/c", R"({"type": "datatypes/)" + foreign + R"(", "value": 1})")
          .status,
      404);
  // Nothing was created by the refused requests.
  EXPECT_EQ(parse(get("/datasets").body)->getArray("datasets")->size(), 2u);
  EXPECT_EQ(parse(get("/groups/" + root + "/attributes").body)->getArray("attributes")->size(), 1u);
}

TEST_P(HdfApi, CommittedTypeDeletedWhileInUse) {
  const std::string root = createDomain();
  const std::string t =
      idOf(post("/datatypes", std::string(R"({"type": )") + kPointType + R"(, "link": {"id": ")" + root +
                                  R"(", "name": "point"}})"));
  const std::string d = idOf(post("/datasets", R"({"type": "datatypes/)" + t + R"(", "shape": [2],
      "link": {"id": ")" + root + R"(", "name": "d"}})"));
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": [[1, 2.5], [3, 4.5]]})").status, 200);
  ASSERT_EQ(
      put("/datasets/" + d + "/attributes/a", R"({"type": "datatypes/)" + t + R"(", "value": [5, 6.5]})")
          .status,
      201);

  // Deleting the type removes it as an object (410 from then on); HDF5 keeps the type alive
  // through the dataset that uses it, and so does every backend: the dataset and the attribute
  // keep its structure, shown inline since there is no committed type left to name.
  ASSERT_EQ(del("/datatypes/" + t).status, 200);
  EXPECT_EQ(get("/datatypes/" + t).status, 410);
  EXPECT_EQ(typeOf(get("/datasets/" + d)), kPointJson);
  EXPECT_EQ(typeOf(get("/datasets/" + d + "/type")), kPointJson);
  EXPECT_EQ(value(d), "[[1,2.5],[3,4.5]]");
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"start": [1], "stop": [2], "value": [[9, 9.5]]})").status,
            200);
  EXPECT_EQ(value(d), "[[1,2.5],[9,9.5]]");
  auto r = get("/datasets/" + d + "/attributes/a");
  EXPECT_EQ(typeOf(r), kPointJson);
  EXPECT_EQ(compact(parse(r.body)->get("value")), "[5,6.5]");
  EXPECT_EQ(compact(parse(get("/datasets/" + d + "/attributes").body)
                        ->getArray("attributes")
                        ->getObject(0)
                        ->get("type")),
            kPointJson);

  // New uses of the deleted type are refused as for any deleted object.
  EXPECT_EQ(post("/datasets", R"({"type": "datatypes/)" + t + R"(", "shape": [1]})").status, 410);
  EXPECT_EQ(post("/datasets", R"({"type": ")" + t + R"(", "shape": [1]})").status, 410);
  EXPECT_EQ(put("/groups/" + root + "/attributes/b", R"({"type": "datatypes/)" + t + R"(", "value": [1, 1]})")
                .status,
            410);
  EXPECT_EQ(parse(get("/datasets").body)->getArray("datasets")->size(), 1u);
}

TEST_P(HdfApi, CommittedTypesRoundTripThroughH5py) {
  if (!hdf5()) GTEST_SKIP() << "only the hdf5 backend writes .h5 files";
  // Written through the API: the dataset and its attribute use the committed type object.
  const std::string root = createDomain();
  const std::string t =
      idOf(post("/datatypes", std::string(R"({"type": )") + kPointType + R"(, "link": {"id": ")" + root +
                                  R"(", "name": "point"}})"));
  const std::string d = idOf(post("/datasets", R"({"type": ")" + t + R"(", "shape": [2],
      "link": {"id": ")" + root + R"(", "name": "d"}})"));
  ASSERT_EQ(put("/datasets/" + d + "/value", R"({"value": [[1, 2.5], [3, 4.5]]})").status, 200);
  ASSERT_EQ(
      put("/datasets/" + d + "/attributes/a", R"({"type": "datatypes/)" + t + R"(", "value": [5, 6.5]})")
          .status,
      201);
  const std::string leaf = domain().substr(0, domain().find('.'));
  const std::string live = server().dir() + "/data/test/" + leaf + ".h5";
  const std::string written = server().dir() + "/data/test/" + leaf + "_h5py.h5";
  auto [rc, out] = runPython(server().dir(), R"PY(
import os
os.environ['HDF5_USE_FILE_LOCKING'] = 'FALSE'
import h5py, numpy as np
point = np.dtype([('temp', '<i4'), ('pressure', '<f4')])
with h5py.File(')PY" + live + R"PY(', 'r') as f:
    t = f['point']
    assert isinstance(t, h5py.Datatype), type(t)
    assert t.dtype == point, t.dtype
    d = f['d']
    assert d.dtype == t.dtype, d.dtype
    tid = d.id.get_type()
    assert tid.committed()
    assert h5py.h5o.get_info(tid).addr == h5py.h5o.get_info(t.id).addr
    assert d[...].tobytes() == np.array([(1, 2.5), (3, 4.5)], dtype=point).tobytes(), d[...]
    aid = d.attrs.get_id('a')
    assert aid.get_type().committed()
    assert aid.dtype == point, aid.dtype
    assert d.attrs['a'].tobytes() == np.array((5, 6.5), dtype=point).tobytes()
# A file h5py writes with a committed type, read back through the API below.
with h5py.File(')PY" + written + R"PY(', 'w') as f:
    f['kelvin'] = np.dtype('<f8')
    ds = f.create_dataset('temps', data=np.array([270.5, 300.25]), dtype=f['kelvin'])
    ds.attrs.create('offset', 273.15, dtype=f['kelvin'])
    assert ds.id.get_type().committed()
print('ok')
)PY");
  ASSERT_EQ(rc, 0) << out;
  ASSERT_NE(out.find("ok"), std::string::npos) << out;

  const std::string host = leaf + "_h5py.test.hdfgroup.org";
  auto g = [&](const std::string& path) { return server().request("GET", path, "", {{"Host", host}}); };
  auto r = g("/");
  ASSERT_EQ(r.status, 200) << r.reason << " " << r.body;
  const std::string froot = parse(r.body)->getValue<std::string>("root");
  auto link = [&](const std::string& name) {
    return parse(g("/groups/" + froot + "/links/" + name).body)
        ->getObject("link")
        ->getValue<std::string>("id");
  };
  const std::string kelvin = link("kelvin");
  const std::string temps = link("temps");
  EXPECT_EQ(typeOf(g("/datatypes/" + kelvin)), R"({"base":"H5T_IEEE_F64LE","class":"H5T_FLOAT"})");
  EXPECT_EQ(typeOf(g("/datasets/" + temps)), "\"datatypes/" + kelvin + "\"");
  EXPECT_EQ(compact(parse(g("/datasets/" + temps + "/value").body)->get("value")), "[270.5,300.25]");
  r = g("/datasets/" + temps + "/attributes/offset");
  EXPECT_EQ(typeOf(r), "\"datatypes/" + kelvin + "\"");
  EXPECT_EQ(compact(parse(r.body)->get("value")), "273.15");
}

}  // namespace
}  // namespace strata::test
