// strata_sql_store_bench: entity and annotation store rates for bench/sql_bench.sh. It opens
// an entities store and an annotations store the way the server does (configuration values
// through the core's StoreRegistry and the backend's plugin module) and calls them directly,
// in one thread:
//
//   strata_sql_store_bench PLUGIN-DIR BACKEND LOCATION N [check]
//
// BACKEND is rocksdb (LOCATION: a directory without a database yet, one per role under it),
// sqlite (the sql backend, connector sqlite, LOCATION: the database file) or postgresql (the
// sql backend, connector postgresql, LOCATION: the libpq connection string of an empty
// database). Every other setting is at its default. Prints one line of rates (operations per
// second): "create get list annotate search", or with `check` checks every answer and prints
// "ok".
//
// The phases, each timed on its own (data built before the clock starts; the same ids, bodies,
// values and random order as strata_sql_direct, the direct baseline, see bench/sql_common.h):
//   create    N entities in the collection "bench" whose field "group" is declared an index
//   get       N find() of ids drawn at random
//   list      N/10 list() of the entities of one group drawn at random (filter group Eq,
//             limit 100; each group holds N/kGroups entities)
//   annotate  N/2 targets "dataset/NNNNNN", each given three annotations in one replaceAll
//             (no etag): species (string, one of kSpecies), size (long), score (double)
//   search    N/10 search() of the targets of one species drawn at random (prefix
//             "dataset/", clause species Eq, limit 10); the total is each search's count
#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/errors.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/entity_store.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "plugin_loader.h"
#include "sql_common.h"
#include "store_registry.h"

namespace {

namespace b = strata::bench;
using Poco::JSON::Object;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_sql_store_bench: %s\n", message.c_str());
  std::exit(1);
}

void expect(bool condition, const std::string& what) {
  if (!condition) die("check failed: " + what);
}

Object::Ptr parse(const std::string& json) { return Poco::JSON::Parser().parse(json).extract<Object::Ptr>(); }

std::vector<strata::Annotation> annotationsOf(uint64_t t) {
  return {{"species", strata::AnnotationType::String, {b::species(t)}},
          {"size", strata::AnnotationType::Long, {b::sizeOf(t)}},
          {"score", strata::AnnotationType::Double, {b::scoreOf(t)}}};
}

int run(strata::EntityStore& entities, strata::AnnotationStore& annotations, uint64_t n, bool check) {
  const std::string collection = "bench";
  entities.declareIndex(collection, "group");
  std::vector<Object::Ptr> bodies(n);
  for (uint64_t i = 0; i < n; ++i) bodies[i] = parse(b::groupedBody(i));

  auto t0 = b::Clock::now();
  for (uint64_t i = 0; i < n; ++i) entities.create(collection, b::entityId(i), bodies[i]);
  const double create = static_cast<double>(n) / b::seconds(t0, b::Clock::now());

  b::XorShift random;
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = random.next(n);
    const auto e = entities.find(collection, b::entityId(i));
    if (!e) die("entity " + b::entityId(i) + " is missing");
    if (check) expect(e->body->getValue<std::string>("group") == b::group(i), "get " + b::entityId(i));
  }
  const double get = static_cast<double>(n) / b::seconds(t0, b::Clock::now());

  const uint64_t queries = std::max<uint64_t>(1, n / 10);
  const uint64_t groups = std::min<uint64_t>(b::kGroups, n);
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < queries; ++k) {
    const uint64_t g = random.next(groups);
    strata::EntityQuery q;
    q.filters.push_back({"group", strata::EntityFilter::Op::Eq, b::groupName(g)});
    q.limit = 100;
    const auto page = entities.list(collection, q);
    if (check) {
      uint64_t expected = 0;
      for (uint64_t i = 0; i < n; ++i) expected += (i % b::kGroups == g);
      expect(page.total == expected && page.items.size() == std::min<uint64_t>(expected, 100),
             "list of group " + b::groupName(g));
      for (const auto& e : page.items)
        expect(e.body->getValue<std::string>("group") == b::groupName(g), "list item " + e.id);
    }
  }
  const double list = static_cast<double>(queries) / b::seconds(t0, b::Clock::now());

  const uint64_t targets = std::max<uint64_t>(1, n / 2);
  std::vector<std::vector<strata::Annotation>> sets(targets);
  for (uint64_t t = 0; t < targets; ++t) sets[t] = annotationsOf(t);
  t0 = b::Clock::now();
  for (uint64_t t = 0; t < targets; ++t) annotations.replaceAll(b::targetId(t), sets[t], "");
  const double annotate = static_cast<double>(targets) / b::seconds(t0, b::Clock::now());

  const uint64_t species = std::min<uint64_t>(b::kSpecies, targets);
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < queries; ++k) {
    const uint64_t s = random.next(species);
    strata::AnnotationSearch search;
    search.targetPrefix = "dataset/";
    search.clauses.push_back({"species", strata::AnnotationOp::Eq, b::speciesName(s)});
    search.limit = 10;
    const auto page = annotations.search(search);
    if (check) {
      uint64_t expected = 0;
      for (uint64_t t = 0; t < targets; ++t) expected += (t % b::kSpecies == s);
      expect(page.total == expected && page.targets.size() == std::min<uint64_t>(expected, 10),
             "search of species " + b::speciesName(s));
      for (const auto& target : page.targets)
        expect(
            annotations.find(target, "species")->values.front() == strata::AnnotationValue(b::speciesName(s)),
            "search result " + target);
    }
  }
  const double search = static_cast<double>(queries) / b::seconds(t0, b::Clock::now());

  if (check)
    std::printf("ok\n");
  else
    std::printf("%.0f %.0f %.1f %.0f %.1f\n", create, get, list, annotate, search);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 6 && std::string(argv[5]) == "check"))
    die("usage: strata_sql_store_bench PLUGIN-DIR rocksdb|sqlite|postgresql LOCATION N [check]");
  const std::string backend = argv[2], location = argv[3];
  const uint64_t n = std::strtoull(argv[4], nullptr, 10);
  if (n == 0) die("N must be a positive number");
  Poco::Logger::root().setLevel("warning");
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  for (const std::string role : {"entities", "annotations"}) {
    const std::string prefix = "stores." + role + ".bench.";
    if (backend == "rocksdb") {
      config->setString(prefix + "backend", "rocksdb");
      config->setString(prefix + "path", location + "/" + role);
    } else if (backend == "sqlite" || backend == "postgresql") {
      config->setString(prefix + "backend", "sql");
      config->setString(prefix + "connector", backend);
      config->setString(prefix + "connection", location);
    } else {
      die("unknown backend " + backend);
    }
  }
  try {
    strata::PluginLoader loader({argv[1]});
    strata::StoreRegistry registry(*config, loader, Poco::Logger::get("sql_store_bench"));
    registry.createAll();
    const int rc = run(*registry.entities("bench"), *registry.annotations("bench"), n, argc == 6);
    registry.close();
    return rc;
  } catch (const std::exception& e) {
    die(e.what());
  }
}
