#pragma once
// The plugin ABI gate. Each plugin module exports exactly two extern "C" symbols:
//
//   const strata_plugin_info* strata_plugin_info();   read and checked first
//   strata::Plugin*            strata_plugin_create(); called only if the info matches
//
// No C++ object crosses the boundary before the loader has compared abi_version and
// build_signature with its own; on a mismatch it refuses the plugin with a message that names
// both values. Bump STRATA_ABI_VERSION on any change under core/include/strata/.
#include <Poco/Version.h>
#include <cstdint>

#define STRATA_ABI_VERSION 8u

#define STRATA_STR_(x) #x
#define STRATA_STR(x) STRATA_STR_(x)

// Compiler, libstdc++ dual-ABI setting and Poco version: the three things that must agree for
// C++ objects (std::string, std::shared_ptr, Poco types) to be passed between binaries.
#define STRATA_BUILD_SIGNATURE                                                                     \
  "gcc-" STRATA_STR(__GNUC__) "|cxx11abi=" STRATA_STR(_GLIBCXX_USE_CXX11_ABI) "|poco=" STRATA_STR( \
      POCO_VERSION)

extern "C" {
struct strata_plugin_info_v1 {
  uint32_t struct_size;         // sizeof(strata_plugin_info_v1) as the plugin saw it
  uint32_t abi_version;         // STRATA_ABI_VERSION at the plugin's build time
  const char* build_signature;  // STRATA_BUILD_SIGNATURE at the plugin's build time
  const char* kind;             // "endpoint" or "backend"
  const char* name;             // unique per process: "hdf", "rocksdb", ...
  const char* version;          // the plugin's own version, shown by GET /strata/plugins
};
typedef const strata_plugin_info_v1* (*strata_plugin_info_fn)();
}

namespace strata {
class Plugin;
using PluginCreateFn = Plugin* (*)();
inline constexpr const char* kPluginInfoSymbol = "strata_plugin_info";
inline constexpr const char* kPluginCreateSymbol = "strata_plugin_create";
}  // namespace strata
