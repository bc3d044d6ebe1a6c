// strata-admin, run as the real binary on a configuration file: an HDF domain written by h5py
// goes from an hdf5 store into a rocksdb store and back, and arrives whole (h5py compares the
// two files; a strata-server serves the rocksdb copy over HTTP); `list`; and bad usage, which
// must fail with a message on stderr and leave the destination untouched.
#include "support/server_process.h"

#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Process.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace strata::test {
namespace {

struct AdminRun {
  int code = -1;
  std::string out, err;
};

// Runs strata-admin in `dir` with `args`; stdout and stderr are kept apart.
AdminRun admin(const TempDir& dir, const std::vector<std::string>& args) {
  const std::string out = dir.file("admin.out"), err = dir.file("admin.err");
  Poco::Process::Args shellArgs = {"-c", "exec \"$0\" \"$@\" >'" + out + "' 2>'" + err + "'",
                                   STRATA_ADMIN_BIN};
  shellArgs.insert(shellArgs.end(), args.begin(), args.end());
  Poco::ProcessHandle handle = Poco::Process::launch("/bin/sh", shellArgs, dir.path());
  AdminRun r;
  r.code = handle.wait();
  r.out = readFile(out);
  r.err = readFile(err);
  expectNoSanitizerReport(r.err, "strata-admin");
  return r;
}

std::string describe(const AdminRun& r) {
  return "exit " + std::to_string(r.code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

// Two domains, as a user's tools write them: test/tall.h5 and other/two.h5 under argv[1].
const char* const kWriteFiles = R"PY(
import h5py, numpy as np, os, sys
data = sys.argv[1]
os.makedirs(data + '/test', exist_ok=True)
os.makedirs(data + '/other', exist_ok=True)
with h5py.File(data + '/test/tall.h5', 'w') as f:
    f.attrs['attr1'] = np.array([ord(c) for c in 'hello'], dtype='i1')
    f.attrs['title'] = 'a title'
    g = f.create_group('g1')
    g11 = g.create_group('g1.1')
    d = g11.create_dataset('dset1.1.1', data=np.arange(100, dtype='>i4').reshape(10, 10))
    d.attrs['units'] = 'meters'
    d.attrs['scale'] = np.array([0.5, -2.25], dtype='>f8')
    f.create_dataset('floats', data=np.linspace(0, 1, 5, dtype='<f8'))
    f['soft'] = h5py.SoftLink('/g1')
    f['ext'] = h5py.ExternalLink('other.h5', '/x')
    ct = np.dtype([('date', '<i4'), ('wind', 'S4'), ('temp', '<f4')])
    rows = np.array([(21, b'W 5', 1.5), (22, b'N 3', 2.5), (23, b'W 5', 3.5)], dtype=ct)
    f.create_dataset('weather', data=rows)
    c = f.create_dataset('chunked', shape=(1000,), dtype='<i8', chunks=(100,), compression='gzip',
                         maxshape=(None,), fillvalue=-7)
    c[0:450] = np.arange(450, dtype='<i8') * 3
    f.create_dataset('strings', data=np.array([b'ab', b'cde'], dtype='S3'))
    f.create_dataset('names', data=['a', '\u00e9t\u00e9', ''], dtype=h5py.string_dtype())
    f['pi'] = np.float64(3.14159)
    f['mytype'] = np.dtype('>u2')
    f.create_dataset('typed', data=np.array([1, 2, 65535], dtype='>u2'), dtype=f['mytype'])
with h5py.File(data + '/other/two.h5', 'w') as f:
    f.create_dataset('x', data=np.arange(6, dtype='<i2').reshape(2, 3))
)PY";

// Compares two files object by object (argv[1], argv[2]): links, kinds, attributes, types,
// shapes, chunking, filters, fill values and every value, as bytes where the type is fixed.
const char* const kCompareFiles = R"PY(
import h5py, numpy as np, sys
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
problems = []
def same(what, x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        x, y = np.asarray(x), np.asarray(y)
        ok = x.dtype == y.dtype and x.shape == y.shape and (
            x.tobytes() == y.tobytes() if x.dtype.kind != 'O' else x.tolist() == y.tolist())
    else:
        ok = x == y
    if not ok:
        if isinstance(x, np.ndarray) and x.shape == y.shape and x.size:
            pairs = enumerate(zip(x.ravel().tolist(), y.ravel().tolist()))
            at = next((i for i, (u, v) in pairs if u != v or x.dtype != y.dtype), 0)
            x, y = '%s %s, element %d: %r' % (x.dtype, x.shape, at, x.ravel()[at]), '%s %s, element %d: %r' % (y.dtype, y.shape, at, y.ravel()[at])
        problems.append('%s: %s != %s' % (what, x, y))
def attrs(path, x, y):
    same(path + ' attribute names', sorted(x.attrs.keys()), sorted(y.attrs.keys()))
    for k in x.attrs.keys():
        if k in y.attrs:
            same(path + '@' + k + ' type', x.attrs.get_id(k).dtype, y.attrs.get_id(k).dtype)
            same(path + '@' + k, np.asarray(x.attrs[k]), np.asarray(y.attrs[k]))
def walk(path, x, y):
    attrs(path, x, y)
    if isinstance(x, h5py.Dataset):
        for p in ('dtype', 'shape', 'maxshape', 'chunks', 'compression', 'compression_opts'):
            same(path + ' ' + p, getattr(x, p), getattr(y, p))
        if x.dtype.kind != 'O':  # h5py crashes reading the fill value of a variable-length type
            same(path + ' fillvalue', x.fillvalue, y.fillvalue)
        same(path + ' committed type', x.id.get_type().committed(), y.id.get_type().committed())
        same(path + ' values', x[()], y[()])
        return
    same(path + ' links', sorted(x.keys()), sorted(y.keys()))
    for name in x.keys():
        if name not in y:
            continue
        lx, ly = x.get(name, getlink=True), y.get(name, getlink=True)
        same(path + '/' + name + ' link class', type(lx).__name__, type(ly).__name__)
        if isinstance(lx, h5py.SoftLink):
            same(path + '/' + name + ' target', lx.path, ly.path)
        elif isinstance(lx, h5py.ExternalLink):
            same(path + '/' + name + ' target', (lx.filename, lx.path), (ly.filename, ly.path))
        else:
            ox, oy = x[name], y[name]
            same(path + '/' + name + ' kind', type(ox).__name__, type(oy).__name__)
            if isinstance(ox, h5py.Datatype):
                same(path + '/' + name + ' type', ox.dtype, oy.dtype)
                attrs(path + '/' + name, ox, oy)
            else:
                walk(path + '/' + name, ox, oy)
walk('', a, b)
print('\n'.join(problems) if problems else 'same')
sys.exit(1 if problems else 0)
)PY";

class StrataAdmin : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto [rc, out] = runPython(dir_.path(), kWriteFiles, {dir_.file("files")});
    ASSERT_EQ(rc, 0) << out;
    // A server's configuration: strata-admin opens only the stores a command names.
    writeFile(config(),
              "server.port = 0\n"
              "plugins.load = hdf\n"
              "plugins.path = " STRATA_PLUGIN_DIR
              "\n"
              "stores.entities.default.backend = memory\n"
              "stores.arrays.files.backend = hdf5\n"
              "stores.arrays.files.path = " +
                  dir_.file("files") +
                  "\n"
                  "stores.arrays.db.backend = rocksdb\n"
                  "stores.arrays.db.path = " +
                  dir_.file("db") +
                  "\n"
                  "stores.arrays.back.backend = hdf5\n"
                  "stores.arrays.back.path = " +
                  dir_.file("back") + "\n");
  }

  std::string config() const { return dir_.file("strata.properties"); }

  AdminRun copy(const std::string& from, const std::string& to, std::vector<std::string> containers = {},
                const std::string& role = "arrays") {
    std::vector<std::string> args = {"copy",   "--config", config(), "--role", role,
                                     "--from", from,       "--to",   to};
    for (const auto& c : containers) {
      args.push_back("--container");
      args.push_back(c);
    }
    return admin(dir_, args);
  }

  AdminRun list(const std::string& instance) {
    return admin(dir_, {"list", "--config", config(), "--role", "arrays", "--instance", instance});
  }

  bool exists(const std::string& name) const { return Poco::File(dir_.file(name)).exists(); }

  TempDir dir_;
};

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string compact(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

TEST_F(StrataAdmin, CopiesADomainFromHdf5ToRocksDbAndBackWhole) {
  auto r = copy("files", "db");
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.err.find("container test/tall: "), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("container other/two: "), std::string::npos) << describe(r);
  EXPECT_EQ(r.out.rfind("copied ", 0), 0u) << describe(r);

  r = list("db");
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "other/two\ntest/tall\n");
  EXPECT_EQ(r.err, "");

  // Back into .h5 files, one container only.
  r = copy("db", "back", {"test/tall"});
  ASSERT_EQ(r.code, 0) << describe(r);
  r = list("back");
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_EQ(r.out, "test/tall\n");
  EXPECT_FALSE(exists("back/other/two.h5"));

  const auto [rc, out] = runPython(dir_.path(), kCompareFiles,
                                   {dir_.file("files/test/tall.h5"), dir_.file("back/test/tall.h5")});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "same\n");

  // The rocksdb copy is what a server serves.
  ServerProcess server({{"plugins.load", "hdf"},
                        {"stores.entities.default.backend", "memory"},
                        {"stores.arrays.default.backend", "rocksdb"},
                        {"stores.arrays.default.path", dir_.file("db")}});
  const std::map<std::string, std::string> host{{"Host", "tall.test.hdfgroup.org"}};
  auto g = [&](const std::string& path) {
    auto res = server.get(path, host);
    EXPECT_EQ(res.status, 200) << path << " " << res.reason << " " << res.body;
    return res;
  };
  const std::string root = parse(g("/").body)->getValue<std::string>("root");
  auto id = [&](const std::string& group, const std::string& name) {
    return parse(g("/groups/" + group + "/links/" + name).body)
        ->getObject("link")
        ->getValue<std::string>("id");
  };
  const std::string dset = id(id(id(root, "g1"), "g1.1"), "dset1.1.1");
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/value?select=[0:4:2,1:3]").body)->get("value")),
            "[[1,2],[21,22]]");
  EXPECT_EQ(compact(parse(g("/datasets/" + dset + "/attributes/units").body)->get("value")), R"("meters")");
  const std::string chunked = id(root, "chunked");
  EXPECT_EQ(compact(parse(g("/datasets/" + chunked + "/value?select=[448:452]").body)->get("value")),
            "[1344,1347,-7,-7]");
  EXPECT_EQ(compact(parse(g("/datasets/" + id(root, "names") + "/value").body)->get("value")),
            "[\"a\",\"\xc3\xa9t\xc3\xa9\",\"\"]");
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// The configuration formats strata-server reads, chosen by extension: the same stores as an
// .ini and a .json file.
TEST_F(StrataAdmin, ReadsIniAndJsonConfigurations) {
  writeFile(dir_.file("strata.ini"), "[plugins]\npath = " STRATA_PLUGIN_DIR
                                     "\n[stores.arrays.files]\nbackend = hdf5\npath = " +
                                         dir_.file("files") + "\n");
  writeFile(dir_.file("strata.json"), R"({"plugins": {"path": ")" STRATA_PLUGIN_DIR
                                      R"("}, "stores": {"arrays": {"files": {"backend": "hdf5", "path": ")" +
                                          dir_.file("files") + R"("}}}})");
  for (const char* file : {"strata.ini", "strata.json"}) {
    const auto r =
        admin(dir_, {"list", "--config", dir_.file(file), "--role", "arrays", "--instance", "files"});
    EXPECT_EQ(r.code, 0) << file << "\n" << describe(r);
    EXPECT_EQ(r.out, "other/two\ntest/tall\n") << file << "\n" << describe(r);
  }
}

TEST_F(StrataAdmin, BadUsageFailsOnStderrAndWritesNothing) {
  const auto fails = [](const AdminRun& r, int code, const std::string& message) {
    EXPECT_EQ(r.code, code) << describe(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << "expected '" << message << "'\n" << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
  };
  fails(copy("files", "db", {}, "nosuch"), 64, "unknown role 'nosuch'");
  fails(copy("files", "nosuch"), 64,
        "configures no store stores.arrays.nosuch (its arrays stores: back, db, files)");
  fails(copy("nosuch", "db"), 64, "configures no store stores.arrays.nosuch");
  fails(copy("files", "files"), 64, "--from and --to name the same store");
  fails(admin(dir_, {"copy", "--config", config(), "--role", "arrays", "--from", "files"}), 64,
        "copy needs --from and --to");
  fails(copy("files", "db", {"test/tall", "no/such"}), 1, "stores.arrays.files has no container 'no/such'");
  fails(admin(dir_, {"copy", "--config", dir_.file("missing.properties"), "--role", "arrays", "--from",
                     "files", "--to", "db"}),
        78, "cannot read the configuration");
  fails(list("nosuch"), 64, "configures no store stores.arrays.nosuch");
  // None of these opened the destination: its directory was never made.
  EXPECT_FALSE(exists("db"));

  // Onto an existing container: refused before anything is written, also for the containers
  // of the same command that do not exist there yet.
  ASSERT_EQ(copy("files", "back", {"test/tall"}).code, 0);
  const std::string before = readFile(dir_.file("back/test/tall.h5"));
  fails(copy("files", "back", {"other/two", "test/tall"}), 1,
        "stores.arrays.back already has a container 'test/tall': nothing was copied");
  EXPECT_FALSE(exists("back/other/two.h5"));
  EXPECT_TRUE(readFile(dir_.file("back/test/tall.h5")) == before);
  auto r = list("back");
  EXPECT_EQ(r.out, "test/tall\n") << describe(r);

  // The same into rocksdb: the second copy changes nothing that the first one made.
  ASSERT_EQ(copy("files", "db", {"test/tall"}).code, 0);
  fails(copy("back", "db"), 1, "stores.arrays.db already has a container 'test/tall'");
  r = list("db");
  EXPECT_EQ(r.out, "test/tall\n") << describe(r);
}

}  // namespace
}  // namespace strata::test
