// strata_entity_bench: entity store rates for bench/rocksdb_bench.sh. No HTTP route reaches
// the entities role as such (the hdf plugin keeps its ACLs there, one find and one write per
// ACL change), so this program opens an entity store the way the server does, from
// configuration values through the core's StoreRegistry and the backend's plugin module, and
// calls it directly, in one thread.
//
//   strata_entity_bench PLUGIN-DIR BACKEND DIR N          prints "create get update" rates (ops/s)
//   strata_entity_bench PLUGIN-DIR BACKEND DIR N check    the same operations, each answer
//                                                         checked; prints "ok" or fails
//
// BACKEND is memory or rocksdb (stores.entities.bench.backend; for rocksdb, path = DIR, which
// must not hold a database yet, and every other setting at its default: sync = false, lz4,
// a 64 MiB cache). The phases, each timed on its own:
//   create  N entities "entity-000000"... in the collection "bench" (create(), new ids)
//   get     N find() of ids drawn at random (a fixed xorshift sequence)
//   update  N conditional update() of ids drawn at random, each with the etag the entity has
//           (If-Match semantics: ifMatch non-empty), with a new body
// The bodies (about 100 bytes of JSON) are built before the clock starts. The ids, bodies and
// random order are the same as strata_rocksdb_direct's `entities` (bench/rocksdb_direct.cpp),
// the direct RocksDB baseline of the same operations.
#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench_common.h"
#include "plugin_loader.h"
#include "store_registry.h"

namespace {

using Poco::JSON::Object;
using strata::bench::Clock;
using strata::bench::entityId;
using strata::bench::seconds;
using strata::bench::XorShift;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_entity_bench: %s\n", message.c_str());
  std::exit(1);
}

Object::Ptr entityBody(uint64_t i, uint64_t rev) {
  return Poco::JSON::Parser().parse(strata::bench::entityBody(i, rev)).extract<Object::Ptr>();
}

std::string text(const Object::Ptr& o) {
  std::ostringstream os;
  o->stringify(os);
  return os.str();
}

void expect(bool condition, const std::string& what) {
  if (!condition) die("check failed: " + what);
}

int bench(strata::EntityStore& store, uint64_t n, bool check) {
  const std::string collection = "bench";
  std::vector<std::string> etags(n);
  std::vector<int64_t> versions(n, 1);
  std::vector<Object::Ptr> bodies(n);
  for (uint64_t i = 0; i < n; ++i) bodies[i] = entityBody(i, 1);

  auto t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const strata::Entity e = store.create(collection, entityId(i), bodies[i]);
    etags[i] = e.etag;
    if (check) expect(e.id == entityId(i) && e.version == 1 && !e.etag.empty(), "create " + entityId(i));
  }
  const double createRate = static_cast<double>(n) / seconds(t0, Clock::now());

  XorShift random;
  t0 = Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = random.next(n);
    const auto e = store.find(collection, entityId(i));
    if (!e) die("entity " + entityId(i) + " is missing");
    if (check)
      expect(e->etag == etags[i] && e->version == 1 && text(e->body) == text(bodies[i]),
             "get " + entityId(i) + " returns what was created");
  }
  const double getRate = static_cast<double>(n) / seconds(t0, Clock::now());

  std::vector<uint64_t> order(n);
  for (auto& i : order) i = random.next(n);
  for (uint64_t k = 0; k < n; ++k) bodies[k] = entityBody(order[k], 2);
  t0 = Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = order[k];
    const strata::Entity e = store.update(collection, entityId(i), bodies[k], etags[i]);
    if (check)
      expect(e.version == versions[i] + 1 && e.etag != etags[i], "update " + entityId(i) + " with its etag");
    etags[i] = e.etag;
    ++versions[i];
  }
  const double updateRate = static_cast<double>(n) / seconds(t0, Clock::now());

  if (!check) {
    std::printf("%.0f %.0f %.0f\n", createRate, getRate, updateRate);
    return 0;
  }
  // After the phases: every entity as last written; stale etags and existing ids refused.
  for (uint64_t i = 0; i < n; ++i) {
    const auto e = store.find(collection, entityId(i));
    expect(e && e->etag == etags[i] && e->version == versions[i],
           "entity " + entityId(i) + " after the updates");
  }
  const uint64_t i = order[n - 1];
  try {
    store.update(collection, entityId(i), entityBody(i, 3), "not-" + etags[i]);
    die("check failed: an update with a stale etag succeeded");
  } catch (const strata::PreconditionFailed& e) {
    expect(e.code() == "etag_mismatch", "a stale etag gives etag_mismatch, not " + e.code());
  }
  try {
    store.create(collection, entityId(0), entityBody(0, 1));
    die("check failed: creating an existing id succeeded");
  } catch (const strata::Conflict&) {
  }
  expect(text(store.get(collection, entityId(i)).body) == text(entityBody(i, 2)),
         "the body of the last update");
  std::printf("ok\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 6 && std::string(argv[5]) == "check"))
    die("usage: strata_entity_bench PLUGIN-DIR memory|rocksdb DIR N [check]");
  const std::string backend = argv[2], dir = argv[3];
  const uint64_t n = std::strtoull(argv[4], nullptr, 10);
  if (n == 0) die("N must be a positive number");
  Poco::Logger::root().setLevel("warning");
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString("stores.entities.bench.backend", backend);
  if (backend == "rocksdb") config->setString("stores.entities.bench.path", dir);
  try {
    strata::PluginLoader loader({argv[1]});
    strata::StoreRegistry registry(*config, loader, Poco::Logger::get("entity_bench"));
    registry.createAll();
    const int rc = bench(*registry.entities("bench"), n, argc == 6);
    registry.close();
    return rc;
  } catch (const std::exception& e) {
    die(e.what());
  }
}
