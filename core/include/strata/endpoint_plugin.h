#pragma once
// Endpoint plugins and the context they get.
//
// An endpoint plugin serves one API family: configure() reads its config section and takes
// its stores from the context; registerRoutes() declares its routes; shutdown() stops its
// background work before the stores close. Export one with STRATA_ENDPOINT_PLUGIN (one per
// module).
#include <strata/auth.h>
#include <strata/config_section.h>
#include <strata/plugin.h>
#include <strata/route_registry.h>
#include <strata/server_info.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/array_store.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>
#include <strata/user_directory.h>

#include <memory>
#include <string>

namespace Poco {
class Logger;
}

namespace strata {

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
  // Makes the core authenticate the users of `directory` too (see strata/user_directory.h).
  // Only during configure().
  virtual void addUserDirectory(std::shared_ptr<const UserDirectory> directory) = 0;
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

}  // namespace strata

// Defines the two exported symbols of an endpoint plugin module.
#define STRATA_ENDPOINT_PLUGIN(Class, Name, Version) STRATA_PLUGIN_EXPORT_(Class, "endpoint", Name, Version)
