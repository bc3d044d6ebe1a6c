// The hdf endpoint plugin: the HDF REST API of h5serv (with HSDS's path domains and binary
// bodies) over the arrays store role. See docs/hdf.md.
#include <Poco/Logger.h>
#include <strata/endpoint_plugin.h>
#include <strata/error_renderer.h>
#include <strata/errors.h>

#include <memory>

#include "routes.h"
#include "service.h"

namespace strata::hdf {

namespace {

constexpr const char* kVersion = "0.1.0";

class HdfPlugin : public EndpointPlugin {
 public:
  void configure(PluginContext& ctx) override {
    const ConfigSection& cfg = ctx.config();
    Settings settings;
    settings.topDomain = cfg.getString("domain", settings.topDomain);
    if (settings.topDomain.empty() || settings.topDomain.front() == '.' || settings.topDomain.back() == '.')
      throw StartupError("plugins.hdf.domain must be a DNS name such as hdfgroup.org, not '" +
                         settings.topDomain + "'");
    settings.homeDir = cfg.getString("homeDir", settings.homeDir);
    if (settings.homeDir.empty() || settings.homeDir.find_first_of("/.") != std::string::npos)
      throw StartupError("plugins.hdf.homeDir must be one path segment, not '" + settings.homeDir + "'");
    settings.maxJsonBytes = cfg.getSize("maxJsonBytes", settings.maxJsonBytes);
    settings.allowShrink = cfg.getBool("allowShrink", settings.allowShrink);
    const int64_t maxTombstones = cfg.getInt("maxTombstones", static_cast<int64_t>(settings.maxTombstones));
    if (maxTombstones < 0)
      throw StartupError("plugins.hdf.maxTombstones must be 0 or more, not " + std::to_string(maxTombstones));
    settings.maxTombstones = static_cast<std::size_t>(maxTombstones);
    const bool acls = cfg.getBool("acls", true);
    // ACLs need the entities store; tombstones use it when there is one and otherwise stay in
    // memory. A store named explicitly (plugins.hdf.stores.entities) must exist either way.
    std::shared_ptr<EntityStore> entities;
    if (acls || cfg.has("stores.entities")) {
      entities = ctx.entities();
    } else {
      try {
        entities = ctx.entities();
      } catch (const StartupError&) {
        ctx.logger().information(
            "hdf: no entities store: tombstones of deleted links and domains are kept in memory only");
      }
    }
    auto tombstones = std::make_unique<Tombstones>(entities, settings.maxTombstones, ctx.logger());
    service_ = std::make_unique<Service>(settings, ctx.arrays(), acls ? entities : nullptr,
                                         std::move(tombstones), ctx.authenticator());
  }

  void registerRoutes(RouteRegistry& routes) override {
    routes.setErrorRenderer(errorRenderer("hdf"));
    addDomainRoutes(*service_, routes, kVersion);
    addGroupRoutes(*service_, routes);
    addDatasetRoutes(*service_, routes);
    addValueRoutes(*service_, routes);
    addAttributeRoutes(*service_, routes);
    addAclRoutes(*service_, routes);
  }

 private:
  std::unique_ptr<Service> service_;
};

}  // namespace

}  // namespace strata::hdf

STRATA_ENDPOINT_PLUGIN(strata::hdf::HdfPlugin, "hdf", "0.1.0")
