#include <strata/endpoint_plugin.h>

namespace strata {

PluginContext::~PluginContext() = default;
EndpointPlugin::~EndpointPlugin() = default;
void EndpointPlugin::shutdown() noexcept {}

}  // namespace strata
