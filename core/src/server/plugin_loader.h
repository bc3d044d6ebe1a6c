#pragma once
// Loads plugin modules with Boost.DLL and checks the ABI gate before any C++ object crosses.
//
// A plugin named N of kind K is the file strata-K-N.so, looked up in each directory of the
// search path in order. Libraries are opened RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and never
// unloaded while the process runs: the loader keeps every library for its own lifetime and
// the process's (NODELETE), so no object can outlive its code.
//
// Every refusal is a StartupError whose message names the file and, for mismatches, both the
// plugin's value and the server's.
#include <strata/export.h>
#include <strata/plugin.h>
#include <strata/server_info.h>

#include <boost/dll/shared_library.hpp>

#include <memory>
#include <string>
#include <vector>

namespace strata {

struct STRATA_API LoadedPlugin {
  PluginInfo info;
  std::shared_ptr<Plugin> plugin;
  boost::dll::shared_library library;
};

class STRATA_API PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::string> searchPath);
  ~PluginLoader();

  // Finds, opens, checks and instantiates strata-<kind>-<name>.so. A second load of the same
  // kind and name returns the loaded one.
  LoadedPlugin& load(const std::string& kind, const std::string& name);
  // Same for an explicit file; `kind` is what the caller expects ("endpoint" or "backend").
  LoadedPlugin& loadFile(const std::string& path, const std::string& kind);

  // Destroys the plugin objects of one kind, in reverse load order (their libraries stay
  // mapped). Endpoints go first at shutdown so that they release their stores before the
  // backends shut down.
  void destroy(const std::string& kind) noexcept;

  const std::vector<std::unique_ptr<LoadedPlugin>>& loaded() const { return plugins_; }
  const std::vector<std::string>& searchPath() const { return searchPath_; }
  // The file name for a plugin: strata-<kind>-<name>.so
  static std::string fileName(const std::string& kind, const std::string& name);

 private:
  std::vector<std::string> searchPath_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
};

}  // namespace strata
