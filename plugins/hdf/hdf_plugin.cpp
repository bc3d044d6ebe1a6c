// The hdf endpoint plugin: the HDF REST API of h5serv (with HSDS's path domains and binary
// bodies) over the arrays store role. See docs/hdf.md.
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <strata/arrays/validation.h>
#include <strata/endpoint_plugin.h>
#include <strata/error_renderer.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <memory>

#include "routes.h"
#include "service.h"

namespace strata::hdf {

namespace {

constexpr const char* kVersion = "0.1.0";

// h5serv's error format: h5pyd reads the message from the HTTP reason phrase, so it goes there;
// the body carries it as JSON too (h5serv sent a Python traceback there).
class HdfErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    r.setStatus(e.status(), reasonPhrase(e.what()));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", e.status());
    body->set("message", std::string(e.what()));
    r.sendJson(body);
  }
};

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
    settings.maxValueBytes = cfg.getSize("maxValueBytes", settings.maxValueBytes);
    if (settings.maxValueBytes == 0) throw StartupError("plugins.hdf.maxValueBytes must be positive");
    settings.allowShrink = cfg.getBool("allowShrink", settings.allowShrink);
    settings.unownedWriters = cfg.getList("unownedWriters");
    settings.maxAttributeBytes = cfg.getSize("maxAttributeBytes", settings.maxAttributeBytes);
    settings.maxChunkBytes = cfg.getSize("maxChunkBytes", settings.maxChunkBytes);
    if (settings.maxAttributeBytes == 0 || settings.maxChunkBytes == 0 ||
        settings.maxChunkBytes > arrays::kMaxChunkBytes)
      throw StartupError(
          "plugins.hdf.maxAttributeBytes must be positive, and plugins.hdf.maxChunkBytes between 1 and 4G-1");
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
    routes.setErrorRenderer(std::make_shared<HdfErrors>());
    addDomainRoutes(*service_, routes, kVersion);
    addGroupRoutes(*service_, routes);
    addDatasetRoutes(*service_, routes);
    addValueRoutes(*service_, routes);
    addAttributeRoutes(*service_, routes);
    addAclRoutes(*service_, routes);
    addHsdsRoutes(*service_, routes);
  }

 private:
  std::unique_ptr<Service> service_;
};

}  // namespace

}  // namespace strata::hdf

STRATA_ENDPOINT_PLUGIN(strata::hdf::HdfPlugin, "hdf", "0.1.0")
