// The `jsonfiles` backend: the entities role on plain JSON files (file_entity_store.h).
//
//   stores.entities.<instance>.backend = jsonfiles
//   stores.entities.<instance>.path    = <directory>   (required; created if missing)
#include "file_entity_store.h"

#include <strata/backend_plugin.h>
#include <strata/errors.h>

#include <Poco/Logger.h>

namespace jsonfiles {

class JsonFilesBackend final : public strata::BackendPlugin {
 public:
  std::vector<strata::StoreRole> roles() const override { return {strata::StoreRole::Entities}; }

  std::shared_ptr<strata::EntityStore> createEntityStore(const strata::StoreConfig& config) override {
    if (!config.section.has("path"))
      throw strata::StartupError("configuration key " + config.section.prefix() + ".path is missing");
    const std::string path = config.section.getString("path");
    config.logger.information("jsonfiles: entities store '%s' in %s", config.instance, path);
    return std::make_shared<FileEntityStore>(path);
  }
};

}  // namespace jsonfiles

STRATA_BACKEND_PLUGIN(jsonfiles::JsonFilesBackend, "jsonfiles", "0.1.0")
