// The synapse endpoint plugin: the 2011 Synapse repository API under /repo/v1 (datasets, layers,
// typed annotations, ETags, paging, a small query language) and its session login under
// /auth/v1, over the entities and annotations store roles. See docs/synapse.md.
#include <strata/endpoint_plugin.h>
#include <strata/errors.h>

#include <memory>

#include "synapse_common.h"

namespace strata::synapse {

namespace {

class SynapsePlugin : public EndpointPlugin {
 public:
  void configure(PluginContext& ctx) override {
    const ConfigSection& cfg = ctx.config();
    ctx_.entities = ctx.entities();
    ctx_.annotations = ctx.annotations();
    ctx_.auth = &ctx.authenticator();
    ctx_.maxJsonBytes = cfg.getSize("maxJsonBytes", ctx_.maxJsonBytes);
    ctx_.tokenPlaces.headers = {"sessionToken"};
    ctx_.tokenPlaces.queryParameters = {"access_token"};
  }

  void registerRoutes(RouteRegistry& routes) override {
    routes.setErrorRenderer(synapseErrors());
    addDatasetRoutes(routes, ctx_);
    addLayerRoutes(routes, ctx_);
    addSessionRoutes(routes, ctx_);
    addAnnotationRoutes(routes, ctx_);
    addQueryRoutes(routes, ctx_);
  }

 private:
  Context ctx_;
};

}  // namespace

}  // namespace strata::synapse

STRATA_ENDPOINT_PLUGIN(strata::synapse::SynapsePlugin, "synapse", "0.1.0")
