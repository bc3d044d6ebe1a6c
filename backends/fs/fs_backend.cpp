// The `fs` backend: blobs as files in a directory.
//
//   stores.blobs.<instance>.backend = fs
//   stores.blobs.<instance>.path    = ./var/blobs   (required; created if missing)
//   stores.blobs.<instance>.fsync   = true          (default; false trades durability on power
//                                                     loss for speed)
#include "fs_blob_store.h"

#include <strata/backend_plugin.h>
#include <strata/errors.h>

namespace strata::fs {

class FsBackend final : public BackendPlugin {
 public:
  std::vector<StoreRole> roles() const override { return {StoreRole::Blobs}; }

  std::shared_ptr<BlobStore> createBlobStore(const StoreConfig& config) override {
    const std::string path = config.section.getString("path");
    const std::string key = config.section.prefix() + ".path";
    if (path.empty()) throw StartupError("configuration key " + key + " must not be empty");
    const bool fsync = config.section.getBool("fsync", true);
    return std::make_shared<FsBlobStore>(path, fsync, key, config.logger);
  }
};

}  // namespace strata::fs

STRATA_BACKEND_PLUGIN(strata::fs::FsBackend, "fs", "0.1.0")
