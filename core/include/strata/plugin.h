#pragma once
// Plugin interfaces and the context they get.
//
// An endpoint plugin serves one API family: configure() reads its config section and takes
// its stores from the context; registerRoutes() declares its routes; shutdown() stops its
// background work before the stores close. A backend plugin is a factory of stores: given a
// role and a config section it creates a store instance.
//
// Plugins never load anything themselves, never call each other and never see a backend's
// types; everything they exchange with the core is declared under core/include/strata/.
// Export a plugin with STRATA_ENDPOINT_PLUGIN / STRATA_BACKEND_PLUGIN (one per module).
#include <strata/abi.h>
#include <strata/auth.h>
#include <strata/config_section.h>
#include <strata/export.h>
#include <strata/route_registry.h>
#include <strata/server_info.h>
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

enum class StoreRole { Entities, Annotations, Blobs, Arrays };
STRATA_API const char* toString(StoreRole role);
STRATA_API std::optional<StoreRole> storeRoleFromString(const std::string& name);

class STRATA_API Plugin {
 public:
  virtual ~Plugin();
};

// What an endpoint plugin gets from the core during configure().
class STRATA_API PluginContext {
 public:
  virtual ~PluginContext();
  virtual const std::string& name() const = 0;
  // The section "plugins.<name>".
  virtual const ConfigSection& config() const = 0;
  // The store instance named by "plugins.<name>.stores.<role>" (default "default").
  // Throws StartupError if no such instance is configured.
  virtual std::shared_ptr<EntityStore> entities() = 0;
  virtual std::shared_ptr<AnnotationStore> annotations() = 0;
  virtual std::shared_ptr<BlobStore> blobs() = 0;
  virtual std::shared_ptr<ArrayStore> arrays() = 0;
  virtual const Authenticator& authenticator() const = 0;
  virtual const ServerInfo& server() const = 0;
  virtual Poco::Logger& logger() const = 0;
};

class STRATA_API EndpointPlugin : public Plugin {
 public:
  ~EndpointPlugin() override;
  virtual void configure(PluginContext& context) = 0;
  virtual void registerRoutes(RouteRegistry& routes) = 0;
  // Called once, before the stores close; must not throw.
  virtual void shutdown() noexcept;
};

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

#define STRATA_PLUGIN_EXPORT_(Class, Kind, Name, Version)                                                \
  extern "C" __attribute__((visibility("default"))) const strata_plugin_info_v1* strata_plugin_info() {  \
    static const strata_plugin_info_v1 info = {                                                          \
        sizeof(strata_plugin_info_v1), STRATA_ABI_VERSION, STRATA_BUILD_SIGNATURE, Kind, Name, Version}; \
    return &info;                                                                                        \
  }                                                                                                      \
  extern "C" __attribute__((visibility("default"))) strata::Plugin* strata_plugin_create() {             \
    return new Class();                                                                                  \
  }

// Defines the two exported symbols of an endpoint plugin module.
#define STRATA_ENDPOINT_PLUGIN(Class, Name, Version) STRATA_PLUGIN_EXPORT_(Class, "endpoint", Name, Version)
// Defines the two exported symbols of a backend plugin module.
#define STRATA_BACKEND_PLUGIN(Class, Name, Version) STRATA_PLUGIN_EXPORT_(Class, "backend", Name, Version)
