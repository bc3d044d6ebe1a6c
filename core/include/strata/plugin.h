#pragma once
// The base of every plugin module: the Plugin class, the store roles, and the macro behind the
// two exported ABI-gate symbols.
//
// A module includes the header of its kind, not this one: endpoint_plugin.h (EndpointPlugin,
// PluginContext, STRATA_ENDPOINT_PLUGIN) or backend_plugin.h (BackendPlugin, StoreConfig,
// STRATA_BACKEND_PLUGIN). This header stays small so that a backend never sees routes or
// authentication, and an endpoint plugin never sees the backend factory.
//
// Plugins never load anything themselves, never call each other and never see a backend's
// types; everything they exchange with the core is declared under core/include/strata/.
#include <strata/abi.h>
#include <strata/export.h>

#include <optional>
#include <string>

namespace strata {

enum class StoreRole { Entities, Annotations, Blobs, Arrays };
STRATA_API const char* toString(StoreRole role);
STRATA_API std::optional<StoreRole> storeRoleFromString(const std::string& name);

// What the loader holds for every module, whatever its kind; destroyed before the library's
// code could go away (libraries stay mapped for the life of the process).
class STRATA_API Plugin {
 public:
  virtual ~Plugin();
};

}  // namespace strata

// Defines the two exported symbols of a plugin module (one per module). Use it through
// STRATA_ENDPOINT_PLUGIN or STRATA_BACKEND_PLUGIN.
#define STRATA_PLUGIN_EXPORT_(Class, Kind, Name, Version)                                                \
  extern "C" __attribute__((visibility("default"))) const strata_plugin_info_v1* strata_plugin_info() {  \
    static const strata_plugin_info_v1 info = {                                                          \
        sizeof(strata_plugin_info_v1), STRATA_ABI_VERSION, STRATA_BUILD_SIGNATURE, Kind, Name, Version}; \
    return &info;                                                                                        \
  }                                                                                                      \
  extern "C" __attribute__((visibility("default"))) strata::Plugin* strata_plugin_create() {             \
    return new Class();                                                                                  \
  }
