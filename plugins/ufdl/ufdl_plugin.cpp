// The ufdl endpoint plugin: UFDL's core dataset API under /v1 (users, teams, memberships,
// projects, licences, datasets of files with per-file metadata, versions by copy, merge,
// archives, JWT login) over the entities and blobs store roles. See docs/ufdl.md.
#include <strata/endpoint_plugin.h>
#include <strata/errors.h>

#include <Poco/Path.h>

#include <memory>

#include "ufdl_common.h"

namespace strata::ufdl {

namespace {

class UfdlPlugin : public EndpointPlugin {
 public:
  void configure(PluginContext& pc) override {
    const ConfigSection& cfg = pc.config();
    ctx_.entities = pc.entities();
    ctx_.blobs = pc.blobs();
    ctx_.auth = &pc.authenticator();
    ctx_.logger = &pc.logger();
    ctx_.maxJsonBytes = cfg.getSize("maxJsonBytes", ctx_.maxJsonBytes);
    ctx_.maxFileBytes = cfg.getSize("maxFileBytes", ctx_.maxFileBytes);
    ctx_.maxArchiveBytes = cfg.getSize("maxArchiveBytes", ctx_.maxArchiveBytes);
    ctx_.maxExpandedBytes = cfg.getSize("maxExpandedBytes", ctx_.maxExpandedBytes);
    ctx_.accessTokenSeconds = cfg.getInt("accessTokenLifetime", ctx_.accessTokenSeconds);
    ctx_.refreshTokenSeconds = cfg.getInt("refreshTokenLifetime", ctx_.refreshTokenSeconds);
    ctx_.passwordIterations = static_cast<int>(cfg.getInt("passwordIterations", ctx_.passwordIterations));
    ctx_.spoolDirectory = cfg.getString("spoolDirectory", Poco::Path::temp());
    if (ctx_.accessTokenSeconds <= 0 || ctx_.refreshTokenSeconds <= 0)
      throw StartupError("plugins." + pc.name() + ": token lifetimes must be positive");
    if (ctx_.passwordIterations < 1000)
      throw StartupError("plugins." + pc.name() + ".passwordIterations must be at least 1000");
    declareIndexes(ctx_);
    seedLicences(ctx_);
    pc.addUserDirectory(makeUserDirectory(ctx_));
  }

  void registerRoutes(RouteRegistry& routes) override {
    routes.setErrorRenderer(ufdlErrors());
    addAuthRoutes(routes, ctx_);
    addUserRoutes(routes, ctx_);
    addTeamRoutes(routes, ctx_);
    addProjectRoutes(routes, ctx_);
    addLicenceRoutes(routes, ctx_);
    addDatasetRoutes(routes, ctx_);
    addFileRoutes(routes, ctx_);
  }

 private:
  Context ctx_;
};

}  // namespace

}  // namespace strata::ufdl

STRATA_ENDPOINT_PLUGIN(strata::ufdl::UfdlPlugin, "ufdl", "0.1.0")
