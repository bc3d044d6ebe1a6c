// The `hdf5` backend: the arrays role on real .h5 files, one file per container.
//
//   stores.arrays.<instance>.backend  = hdf5
//   stores.arrays.<instance>.path     = ./var/h5     (required: the data directory; created if
//                                                    missing unless readOnly)
//   stores.arrays.<instance>.readOnly = false        (true: serve every file read-only)
//   stores.arrays.<instance>.flush    = true         (H5Fflush after each write before it
//                                                    returns; false trades crash safety
//                                                    for speed)
//
// Container "test/tall" is <path>/test/tall.h5. Existing files (h5py, HDFView, C programs)
// are served as they are; see docs/hdf5-backend.md.
#include "hdf5_array_store.h"

#include <strata/backend_plugin.h>
#include <strata/errors.h>

namespace strata::hdf5 {

class Hdf5Backend final : public BackendPlugin {
 public:
  std::vector<StoreRole> roles() const override { return {StoreRole::Arrays}; }

  std::shared_ptr<ArrayStore> createArrayStore(const StoreConfig& config) override {
    const std::string path = config.section.getString("path");
    const std::string key = config.section.prefix() + ".path";
    if (path.empty()) throw StartupError("configuration key " + key + " must not be empty");
    const bool readOnly = config.section.getBool("readOnly", false);
    const bool flush = config.section.getBool("flush", true);
    return std::make_shared<Hdf5ArrayStore>(path, readOnly, flush, key, config.logger);
  }
};

}  // namespace strata::hdf5

STRATA_BACKEND_PLUGIN(strata::hdf5::Hdf5Backend, "hdf5", "0.1.0")
