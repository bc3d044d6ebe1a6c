// Crash consistency: client threads write through the hdf, slycat, synapse and ufdl plugins
// (dataset and arrayset values by hyperslab, synapse datasets and annotations, ufdl files)
// while the server is
// killed with SIGKILL at a random moment; it is then started again on the same stores, and
// every write that was acknowledged (a 2xx received) must read back exactly, the one write
// each thread had in flight must read as before or after it (or 404), and no read may answer
// 5xx. Files of the hdf5 backend must also open in h5py after each kill. Two configurations:
// arrays on hdf5, everything else on rocksdb; and arrays on rocksdb, synapse on SQLite. Blobs
// are on fs in both. The seed is printed; STRATA_CRASH_SEED replays a run's choices (the kill
// moments follow from it, the exact interleaving does not), STRATA_CRASH_ROUNDS sets the
// rounds per configuration (docs/reliability.md, "Crash consistency").
#include "api/crash_workers.h"

#include <Poco/File.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

namespace strata::test::crash {
namespace {

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    return fallback;
  }
}

uint64_t seedFromEnv() {
  const char* v = std::getenv("STRATA_CRASH_SEED");
  if (v && *v) return std::stoull(v);
  return std::random_device{}() * 4294967296ull + std::random_device{}();
}

// Reads every object of every .h5 file under argv[1] with h5py: attributes, groups, every
// dataset's whole value. Prints one line per bad file and exits 1 if there is any.
const char* const kH5pyVisit = R"PY(
import h5py, os, sys
files = datasets = 0
bad = []
def visit(name, obj):
    global datasets
    for k in obj.attrs:
        obj.attrs[k]
    if isinstance(obj, h5py.Dataset):
        obj[()]
        datasets += 1
for top, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith('.')]
    for n in sorted(names):
        if not n.endswith('.h5') or n.startswith('.'):
            continue
        files += 1
        path = os.path.join(top, n)
        try:
            with h5py.File(path, 'r') as f:
                for k in f.attrs:
                    f.attrs[k]
                f.visititems(visit)
        except Exception as e:
            bad.append(path + ': ' + repr(e))
for b in bad:
    print('BAD', b)
print('files', files, 'datasets', datasets, 'bad', len(bad))
sys.exit(1 if bad else 0)
)PY";

struct Layout {
  std::string name;
  std::map<std::string, std::string> config;  // store paths relative to the server's directory
  bool hdf5 = false;                          // arrays on hdf5 under data/
};

std::map<std::string, std::string> commonConfig() {
  return {{"plugins.load", "hdf, slycat, synapse, ufdl"},
          {"auth.anonymous", "true"},
          {"auth.usersFile", "users"},
          {"auth.jwtSecret", "crash-test-secret-0123456789abcdef"},
          {"plugins.ufdl.passwordIterations", "1000"},
          {"server.accessLog", "false"},
          {"stores.entities.default.backend", "rocksdb"},
          {"stores.entities.default.path", "db"},
          {"stores.annotations.default.backend", "rocksdb"},
          {"stores.annotations.default.path", "db"},
          {"stores.blobs.default.backend", "fs"},
          {"stores.blobs.default.path", "blobs"}};
}

Layout setupFor(const std::string& name) {
  Layout s{name, commonConfig(), false};
  if (name == "Hdf5ArraysRocksDbEntities") {
    s.hdf5 = true;
    s.config["stores.arrays.default.backend"] = "hdf5";
    s.config["stores.arrays.default.path"] = "data";
  } else {
    // Arrays in the same RocksDB database as the entities; synapse on SQLite.
    s.config["stores.arrays.default.backend"] = "rocksdb";
    s.config["stores.arrays.default.path"] = "db";
    s.config["stores.entities.lite.backend"] = "sql";
    s.config["stores.entities.lite.connector"] = "sqlite";
    s.config["stores.entities.lite.connection"] = "lite/strata.db";
    s.config["stores.annotations.lite.backend"] = "sql";
    s.config["stores.annotations.lite.connector"] = "sqlite";
    s.config["stores.annotations.lite.connection"] = "lite/strata.db";
    s.config["plugins.synapse.stores.entities"] = "lite";
    s.config["plugins.synapse.stores.annotations"] = "lite";
  }
  return s;
}

class CrashConsistency : public ::testing::TestWithParam<std::string> {};

TEST_P(CrashConsistency, AcknowledgedWritesSurviveSigkill) {
  const Layout setup = setupFor(GetParam());
  const int rounds = envInt("STRATA_CRASH_ROUNDS", 8);
  const uint64_t seed = seedFromEnv();
  std::cout << "[ crash    ] " << setup.name << ": seed " << seed << ", " << rounds
            << " rounds (replay: STRATA_CRASH_SEED=" << seed << ")" << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with STRATA_CRASH_SEED=" + std::to_string(seed) +
               ")");

  ServerProcess server(setup.config, false);
  writeFile(server.dir() + "/users", testUsersFile());
  if (setup.hdf5) Poco::File(server.dir() + "/data").createDirectories();
  ASSERT_TRUE(server.start()) << server.log();

  Api api{server};
  std::vector<std::unique_ptr<Worker>> workers;
  workers.push_back(makeHdfWorker("a"));
  workers.push_back(makeHdfWorker("b"));
  workers.push_back(makeSynapseWorker());
  workers.push_back(makeUfdlWorker());
  workers.push_back(makeSlycatWorker());
  for (auto& w : workers) {
    w->setUp(api);
    ASSERT_FALSE(HasFailure()) << server.log();
  }

  std::mt19937_64 rng(seed);
  Totals totals;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto delay = std::chrono::milliseconds(100 + rng() % 1400);
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    for (std::size_t i = 0; i < workers.size(); ++i) {
      const uint64_t threadSeed = rng();
      threads.emplace_back([&, i, threadSeed] {
        std::mt19937_64 r(threadSeed);
        while (!stop.load() && workers[i]->step(api, r)) {
        }
      });
    }
    std::this_thread::sleep_for(delay);
    server.kill();
    stop = true;
    for (auto& t : threads) t.join();
    for (auto& w : workers)
      for (const auto& e : w->takeErrors()) ADD_FAILURE() << "while writing: " << e;

    if (setup.hdf5) {
      const auto [rc, out] = runPython(server.dir(), kH5pyVisit, {server.dir() + "/data"});
      EXPECT_EQ(rc, 0) << "h5py cannot read every file after the kill:\n" << out;
    }
    ASSERT_TRUE(server.start()) << "the server did not start again on its stores:\n" << server.log();
    for (auto& w : workers) w->verify(api, rng, totals);
    if ((round + 1) % 25 == 0)
      std::cout << "[ crash    ] " << setup.name << ": " << round + 1 << " rounds: " << totals.summary()
                << std::endl;
    if (HasFailure()) {
      std::cout << server.log().substr(server.log().size() > 20000 ? server.log().size() - 20000 : 0);
      // The stores as the failure left them, for a look with h5py, ldb or sqlite3.
      server.kill();
      const std::string kept = "/tmp/strata-crash-" + setup.name + "-" + std::to_string(seed);
      const auto copied = runCommand("rm -rf '" + kept + "' && cp -a '" + server.dir() + "' '" + kept + "'");
      std::cout << "[ crash    ] the stores are kept in " << kept
                << (copied.first == 0 ? "" : ": " + copied.second) << std::endl;
      break;
    }
  }
  std::cout << "[ crash    ] " << setup.name << ": " << totals.summary() << std::endl;
  EXPECT_GT(totals.acknowledged, 0u);
  if (!HasFailure()) EXPECT_EQ(server.stop(), 0) << server.log();
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashConsistency,
                         ::testing::Values("Hdf5ArraysRocksDbEntities", "RocksDbArraysSqliteSynapse"));

}  // namespace
}  // namespace strata::test::crash
