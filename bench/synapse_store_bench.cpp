// strata_synapse_store_bench: the in-process baselines of bench/synapse_bench.sh. It opens an
// annotations store the way the server does (configuration values through the core's
// StoreRegistry and the backend's plugin module) and calls it directly, in one thread:
//
//   strata_synapse_store_bench PLUGIN-DIR BACKEND PATH search PREFIX SECONDS CLAUSE...
//       AnnotationStore::search with the clauses (AND), the target prefix, limit 10, in a loop;
//       prints "searches/s total" (total: the matches of the last search)
//   strata_synapse_store_bench PLUGIN-DIR BACKEND PATH replace TARGET SECONDS
//       conditional replaceAll of TARGET's annotations (10 keys, the last one a counter), each
//       with the etag the previous one returned; prints "replaces/s"
//
// A CLAUSE is KEY:OP:TYPE:VALUE with OP one of == != < <= > >= and TYPE string, long or double
// ("a3:==:string:v7", "n5:>:long:500"). BACKEND is rocksdb (stores.annotations.bench.path =
// PATH, every other setting at its default) or memory (PATH ignored).
#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/errors.h>
#include <strata/stores/annotation_store.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "bench_common.h"
#include "plugin_loader.h"
#include "store_registry.h"

namespace {

using strata::bench::Clock;
using strata::bench::seconds;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_synapse_store_bench: %s\n", message.c_str());
  std::exit(1);
}

strata::AnnotationClause clause(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t colon = text.find(':', start);
    if (colon == std::string::npos) die("bad clause " + text);
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  strata::AnnotationClause c;
  c.key = parts[0];
  const std::string& op = parts[1];
  using Op = strata::AnnotationOp;
  c.op = op == "=="   ? Op::Eq
         : op == "!=" ? Op::Ne
         : op == "<"  ? Op::Lt
         : op == "<=" ? Op::Le
         : op == ">"  ? Op::Gt
                      : Op::Ge;
  if (parts[2] == "string")
    c.value = parts[3];
  else if (parts[2] == "long")
    c.value = static_cast<int64_t>(std::stoll(parts[3]));
  else
    c.value = std::stod(parts[3]);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7)
    die("usage: PLUGIN-DIR BACKEND PATH search PREFIX SECONDS CLAUSE... | replace TARGET SECONDS");
  const std::string backend = argv[2], path = argv[3], mode = argv[4];
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString("stores.annotations.bench.backend", backend);
  if (backend != "memory") config->setString("stores.annotations.bench.path", path);
  try {
    strata::PluginLoader loader({argv[1]});
    strata::StoreRegistry registry(*config, loader, Poco::Logger::get("synapse_store_bench"));
    registry.createAll();
    strata::AnnotationStore& store = *registry.annotations("bench");
    const double limit = std::atof(argv[6]);
    if (mode == "search") {
      strata::AnnotationSearch s;
      s.targetPrefix = argv[5];
      s.limit = 10;
      for (int i = 7; i < argc; ++i) s.clauses.push_back(clause(argv[i]));
      uint64_t n = 0, total = 0;
      const auto t0 = Clock::now();
      double elapsed = 0;
      while (elapsed < limit) {
        total = store.search(s).total;
        ++n;
        elapsed = seconds(t0, Clock::now());
      }
      std::printf("%.1f %llu\n", static_cast<double>(n) / elapsed, static_cast<unsigned long long>(total));
    } else if (mode == "replace") {
      const std::string target = argv[5];
      std::string etag = store.read(target).etag;
      uint64_t n = 0;
      const auto t0 = Clock::now();
      double elapsed = 0;
      while (elapsed < limit) {
        std::vector<strata::Annotation> all;
        for (int k = 0; k < 9; ++k)
          all.push_back({"key" + std::to_string(k), strata::AnnotationType::String, {std::string("value")}});
        all.push_back({"counter", strata::AnnotationType::Long, {static_cast<int64_t>(n)}});
        etag = store.replaceAll(target, all, etag);
        ++n;
        elapsed = seconds(t0, Clock::now());
      }
      std::printf("%.1f\n", static_cast<double>(n) / elapsed);
    } else {
      die("unknown mode " + mode);
    }
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
