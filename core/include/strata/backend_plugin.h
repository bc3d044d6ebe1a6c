#pragma once
// Backend plugins: factories of stores. Given a role and a config section, a backend creates
// a store instance; it never sees HTTP, routes or authentication. Export one with
// STRATA_BACKEND_PLUGIN (one per module).
#include <strata/config_section.h>
#include <strata/plugin.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/array_store.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>

#include <memory>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace strata {

// What a backend gets to create one store.
struct STRATA_API StoreConfig {
  StoreRole role;
  std::string instance;          // "default", "archive", ...
  const ConfigSection& section;  // "stores.<role>.<instance>"
  Poco::Logger& logger;
};

class STRATA_API BackendPlugin : public Plugin {
 public:
  ~BackendPlugin() override;
  virtual std::vector<StoreRole> roles() const = 0;
  // Each defaults to throwing StartupError ("backend X does not serve role Y").
  virtual std::shared_ptr<EntityStore> createEntityStore(const StoreConfig& config);
  virtual std::shared_ptr<AnnotationStore> createAnnotationStore(const StoreConfig& config);
  virtual std::shared_ptr<BlobStore> createBlobStore(const StoreConfig& config);
  virtual std::shared_ptr<ArrayStore> createArrayStore(const StoreConfig& config);
  // Called once, after every store it created has been released; must not throw.
  virtual void shutdown() noexcept;

 protected:
  [[noreturn]] void unsupported(const StoreConfig& config) const;
};

}  // namespace strata

// Defines the two exported symbols of a backend plugin module.
#define STRATA_BACKEND_PLUGIN(Class, Name, Version) STRATA_PLUGIN_EXPORT_(Class, "backend", Name, Version)
