// strata_slycat_store_bench: the in-process baseline of bench/slycat_bench.sh. It opens an
// arrays store the way the server does (configuration values through the core's StoreRegistry
// and the backend's plugin module), finds an arrayset's attribute dataset by its path in
// Slycat's layout, and times ArrayStore::read and ArrayStore::write of the whole dataset, the
// same selection the script's HTTP requests move.
//
//   strata_slycat_store_bench PLUGIN-DIR BACKEND PATH CONTAINER DATASET-PATH ROUNDS
//
// PATH is stores.arrays.bench.path; CONTAINER e.g. slycat/<storage id>; DATASET-PATH e.g.
// /array/0/attribute/0. Prints "read S S ..." and "write S S ..." (seconds per round). Reads go
// into one preallocated buffer (the bytes are copied, as a server copies them to a socket);
// writes send those bytes back, so the stored values are unchanged.
#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/stores/array_store.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  std::fprintf(stderr, "strata_slycat_store_bench: %s\n", message.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) die("usage: PLUGIN-DIR BACKEND PATH CONTAINER DATASET-PATH ROUNDS");
  const std::string backend = argv[2], path = argv[3], container = argv[4], datasetPath = argv[5];
  const int rounds = std::atoi(argv[6]);
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString("stores.arrays.bench.backend", backend);
  config->setString("stores.arrays.bench.path", path);
  try {
    strata::PluginLoader loader({argv[1]});
    strata::StoreRegistry registry(*config, loader, Poco::Logger::get("slycat_store_bench"));
    registry.createAll();
    strata::ArrayStore& store = *registry.arrays("bench");
    std::string id = store.container(container).rootId;
    for (std::size_t pos = 1; pos < datasetPath.size();) {
      const std::size_t end = std::min(datasetPath.find('/', pos), datasetPath.size());
      id = store.link(container, id, datasetPath.substr(pos, end - pos)).id;
      pos = end + 1;
    }
    const strata::DatasetInfo info = store.dataset(container, id);
    uint64_t bytes = info.type->size;
    for (uint64_t d : info.shape.dims) bytes *= d;
    const auto all = strata::arrays::Selection::all(info.shape.dims);
    std::vector<char> buffer(bytes);
    std::printf("read");
    for (int r = 0; r < rounds; ++r) {
      uint64_t at = 0;
      const auto t0 = Clock::now();
      store.read(container, id, all, [&](const char* data, std::size_t n) {
        if (at + n > bytes) die("read more bytes than the selection holds");
        std::memcpy(buffer.data() + at, data, n);
        at += n;
      });
      const double s = seconds(t0, Clock::now());
      if (at != bytes) die("read fewer bytes than the selection holds");
      std::printf(" %.6f", s);
    }
    std::printf("\nwrite");
    for (int r = 0; r < rounds; ++r) {
      uint64_t at = 0;
      const auto t0 = Clock::now();
      store.write(
          container, id, all,
          [&](char* out, std::size_t n) {
            const std::size_t k = std::min<uint64_t>(n, bytes - at);
            std::memcpy(out, buffer.data() + at, k);
            at += k;
            return k;
          },
          bytes);
      std::printf(" %.6f", seconds(t0, Clock::now()));
    }
    std::printf("\n");
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
