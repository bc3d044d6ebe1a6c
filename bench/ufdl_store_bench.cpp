// strata_ufdl_store_bench: the in-process side of bench/ufdl_bench.sh. It opens a store the way
// the server does (configuration values through the core's StoreRegistry and the backend's
// plugin module) and calls it directly, in one thread:
//
//   strata_ufdl_store_bench PLUGIN-DIR BACKEND PATH fill N PROJECTS
//       writes the records of the ufdl plugin (ufdl_common.h's layout, its indexes declared):
//       team 1 "bench", projects 1..PROJECTS "project-<p>" in it, and N datasets "ds-<i>"
//       (i from 0), dataset i in project (i % PROJECTS) + 1, version 1, licence 1, public if
//       i is even, with their (name, version, project) keys and the pk sequences advanced;
//       prints "datasets/s"
//   strata_ufdl_store_bench PLUGIN-DIR BACKEND PATH list SECONDS SPEC-JSON
//       the datasets a `list` filter spec selects (the plugin's parseFilterSpec, listQuery and
//       listAll, as a staff caller's list: no visibility condition), in a loop; prints
//       "lists/s count" (count: the datasets of the last list)
//   strata_ufdl_store_bench PLUGIN-DIR BACKEND PATH read
//       every blob of the blobs store (BlobStore::list) read through BlobStore::open in 1 MiB
//       blocks; prints "MB/s bytes blobs"
//   strata_ufdl_store_bench PLUGIN-DIR BACKEND PATH put DIR
//       every file of DIR (name order) stored with BlobStore::put; prints "MB/s bytes files"
//
// BACKEND: fill and list open an entities store (rocksdb: stores.entities.bench.path = PATH, or
// memory); read and put a blobs store (fs or rocksdb at PATH, or memory). Every other setting
// is at its default. MB/s is 10^6 bytes per second.
#include <Poco/AutoPtr.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/errors.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_common.h"
#include "filter_spec.h"
#include "plugin_loader.h"
#include "store_registry.h"
#include "ufdl_common.h"

namespace {

using Poco::JSON::Object;
using strata::bench::Clock;
using strata::bench::seconds;
namespace ufdl = strata::ufdl;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_ufdl_store_bench: %s\n", message.c_str());
  std::exit(1);
}

const char* kTime = "2026-01-01T00:00:00.000000+00:00";

void fill(strata::EntityStore& store, int64_t n, int64_t projects) {
  ufdl::Context ctx;
  ctx.entities = std::shared_ptr<strata::EntityStore>(&store, [](strata::EntityStore*) {});
  ufdl::declareIndexes(ctx);
  const auto t0 = Clock::now();
  strata::EntityBatch batch;
  const int64_t team = store.nextSequence(ufdl::kTeams);
  Object::Ptr t = new Object;
  t->set("pk", team);
  t->set("name", "bench");
  t->set("creator", 1);
  t->set("creation_time", kTime);
  t->set("deletion_time", Poco::Dynamic::Var());
  batch.create(ufdl::kTeams, ufdl::pkId(team), t);
  Object::Ptr tk = new Object;
  tk->set("pk", team);
  batch.create(ufdl::kTeamNames, "bench", tk);
  std::vector<int64_t> projectPks;
  for (int64_t p = 1; p <= projects; ++p) {
    const int64_t pk = store.nextSequence(ufdl::kProjects);
    projectPks.push_back(pk);
    Object::Ptr body = new Object;
    body->set("pk", pk);
    body->set("name", "project-" + std::to_string(p));
    body->set("team", team);
    body->set("creator", 1);
    body->set("creation_time", kTime);
    body->set("deletion_time", Poco::Dynamic::Var());
    batch.create(ufdl::kProjects, ufdl::pkId(pk), body);
    Object::Ptr key = new Object;
    key->set("pk", pk);
    batch.create(ufdl::kProjectNames,
                 ufdl::uniqueKey({std::to_string(team), body->getValue<std::string>("name")}), key);
  }
  store.apply(batch);
  batch.operations.clear();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pk = store.nextSequence(ufdl::kDatasets);
    const int64_t project = projectPks[static_cast<std::size_t>(i % projects)];
    const std::string name = "ds-" + std::to_string(i);
    Object::Ptr body = new Object;
    body->set("pk", pk);
    body->set("name", name);
    body->set("dataset_version", 1);
    body->set("previous_version", -1);
    body->set("description", "dataset " + std::to_string(i));
    body->set("project", project);
    body->set("licence", 1);
    body->set("is_public", i % 2 == 0);
    body->set("domain", Poco::Dynamic::Var());
    body->set("tags", "");
    body->set("creator", 1);
    body->set("creation_time", kTime);
    body->set("deletion_time", Poco::Dynamic::Var());
    batch.create(ufdl::kDatasets, ufdl::pkId(pk), body);
    Object::Ptr key = new Object;
    key->set("pk", pk);
    batch.create(ufdl::kDatasetKeys, ufdl::uniqueKey({name, "1", std::to_string(project)}), key);
    if (batch.operations.size() >= 2000 || i + 1 == n) {
      store.apply(batch);
      batch.operations.clear();
    }
  }
  std::printf("%.1f\n", static_cast<double>(n) / seconds(t0, Clock::now()));
}

void list(strata::EntityStore& store, double limit, const std::string& spec) {
  ufdl::Context ctx;
  ctx.entities = std::shared_ptr<strata::EntityStore>(&store, [](strata::EntityStore*) {});
  const Poco::Dynamic::Var body = Poco::JSON::Parser().parse(spec);
  uint64_t n = 0;
  std::size_t count = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < limit) {
    const ufdl::ListSpec s = ufdl::parseFilterSpec(ctx, body, ufdl::datasetSchema());
    count = ufdl::listAll(ctx, ufdl::kDatasets, ufdl::listQuery(s, ufdl::datasetSchema())).size();
    ++n;
    elapsed = seconds(t0, Clock::now());
  }
  std::printf("%.1f %zu\n", static_cast<double>(n) / elapsed, count);
}

void read(strata::BlobStore& store) {
  std::vector<char> buffer(1 << 20);
  uint64_t bytes = 0, blobs = 0;
  const auto t0 = Clock::now();
  for (const auto& info : store.list()) {
    const auto reader = store.open(info.id);
    uint64_t offset = 0;
    for (;;) {
      const std::size_t got = reader->read(offset, buffer.data(), buffer.size());
      if (got == 0) break;
      offset += got;
    }
    if (offset != info.size) die("blob " + info.id + ": read " + std::to_string(offset) + " bytes");
    bytes += offset;
    ++blobs;
  }
  const double s = seconds(t0, Clock::now());
  std::printf("%.1f %llu %llu\n", static_cast<double>(bytes) / s / 1e6,
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(blobs));
}

void put(strata::BlobStore& store, const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  uint64_t bytes = 0;
  const auto t0 = Clock::now();
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) die("cannot open " + file);
    const auto size = static_cast<int64_t>(std::filesystem::file_size(file));
    bytes += store.put(in, size, UINT64_MAX).size;
  }
  const double s = seconds(t0, Clock::now());
  std::printf("%.1f %llu %zu\n", static_cast<double>(bytes) / s / 1e6, static_cast<unsigned long long>(bytes),
              files.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5)
    die("usage: PLUGIN-DIR BACKEND PATH fill N PROJECTS | list SECONDS SPEC-JSON | read | put DIR");
  const std::string backend = argv[2], path = argv[3], mode = argv[4];
  const bool entities = mode == "fill" || mode == "list";
  const std::string prefix = std::string("stores.") + (entities ? "entities" : "blobs") + ".bench.";
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString(prefix + "backend", backend);
  if (backend != "memory") config->setString(prefix + "path", path);
  try {
    strata::PluginLoader loader({argv[1]});
    strata::StoreRegistry registry(*config, loader, Poco::Logger::get("ufdl_store_bench"));
    registry.createAll();
    if (mode == "fill" && argc == 7) {
      fill(*registry.entities("bench"), std::atoll(argv[5]), std::max(1LL, std::atoll(argv[6])));
    } else if (mode == "list" && argc == 7) {
      list(*registry.entities("bench"), std::atof(argv[5]), argv[6]);
    } else if (mode == "read" && argc == 5) {
      read(*registry.blobs("bench"));
    } else if (mode == "put" && argc == 6) {
      put(*registry.blobs("bench"), argv[5]);
    } else {
      die("unknown mode or wrong arguments: " + mode);
    }
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
