#include "plugin_loader.h"

#include <strata/errors.h>

#include <Poco/File.h>
#include <Poco/Path.h>
#include <dlfcn.h>

#include <cstring>

namespace strata {

PluginLoader::PluginLoader(std::vector<std::string> searchPath) : searchPath_(std::move(searchPath)) {}

// Plugins are destroyed here, in reverse load order; the libraries themselves stay mapped
// (RTLD_NODELETE), so nothing created by a plugin can outlive its code.
PluginLoader::~PluginLoader() {
  while (!plugins_.empty()) {
    plugins_.back()->plugin.reset();
    plugins_.pop_back();
  }
}

void PluginLoader::destroy(const std::string& kind) noexcept {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it)
    if ((*it)->info.kind == kind) (*it)->plugin.reset();
}

std::string PluginLoader::fileName(const std::string& kind, const std::string& name) {
  return "strata-" + kind + "-" + name + ".so";
}

LoadedPlugin& PluginLoader::load(const std::string& kind, const std::string& name) {
  for (auto& p : plugins_)
    if (p->info.kind == kind && p->info.name == name) return *p;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      throw StartupError("invalid " + kind + " plugin name '" + name + "'");
  const std::string file = fileName(kind, name);
  std::string searched;
  for (const auto& dir : searchPath_) {
    const std::string candidate = Poco::Path(dir).append(file).toString();
    if (Poco::File(candidate).exists()) {
      LoadedPlugin& loaded = loadFile(candidate, kind);
      if (loaded.info.name != name)
        throw StartupError("plugin file " + candidate + " calls itself '" + loaded.info.name +
                           "', but was loaded as '" + name + "'");
      return loaded;
    }
    searched += (searched.empty() ? "" : ", ") + dir;
  }
  throw StartupError("cannot load " + kind + " plugin '" + name + "': no file " + file +
                     " in the plugin search path (" + (searched.empty() ? "empty" : searched) + ")");
}

LoadedPlugin& PluginLoader::loadFile(const std::string& path, const std::string& kind) {
  auto loaded = std::make_unique<LoadedPlugin>();
  boost::dll::fs::error_code ec;
  const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local |
                    static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
  loaded->library.load(boost::dll::fs::path(path), mode, ec);
  if (ec) {
    // Boost.DLL reports every dlopen failure as one generic code; dlopen's own message says
    // what is wrong (missing file, missing dependency, undefined symbol).
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    const char* why = handle ? nullptr : dlerror();
    throw StartupError("cannot load plugin file " + path + ": " + (why ? std::string(why) : ec.message()));
  }
  auto& lib = loaded->library;
  if (!lib.has(kPluginInfoSymbol))
    throw StartupError("plugin file " + path + " is not a Strata plugin: it does not export " +
                       kPluginInfoSymbol);
  if (!lib.has(kPluginCreateSymbol))
    throw StartupError("plugin file " + path + " does not export " + kPluginCreateSymbol);

  auto infoFn = lib.get<const strata_plugin_info_v1*()>(kPluginInfoSymbol);
  const strata_plugin_info_v1* info = infoFn();
  if (!info) throw StartupError("plugin file " + path + ": " + kPluginInfoSymbol + " returned null");
  if (info->struct_size < sizeof(strata_plugin_info_v1))
    throw StartupError("plugin file " + path + " has an info struct of " + std::to_string(info->struct_size) +
                       " bytes; the server needs at least " + std::to_string(sizeof(strata_plugin_info_v1)));
  if (info->abi_version != STRATA_ABI_VERSION)
    throw StartupError("plugin file " + path + " was built for ABI version " +
                       std::to_string(info->abi_version) + ", but the server has ABI version " +
                       std::to_string(STRATA_ABI_VERSION) + ": rebuild the plugin");
  const std::string signature = info->build_signature ? info->build_signature : "";
  if (signature != STRATA_BUILD_SIGNATURE)
    throw StartupError("plugin file " + path + " was built as '" + signature +
                       "', but the server was built as '" + STRATA_BUILD_SIGNATURE +
                       "': rebuild the plugin with the server's compiler and libraries");
  const std::string pkind = info->kind ? info->kind : "";
  const std::string pname = info->name ? info->name : "";
  if (pkind != kind)
    throw StartupError("plugin file " + path + " is a " + (pkind.empty() ? "?" : pkind) +
                       " plugin, but was loaded as a " + kind + " plugin");
  if (pname.empty()) throw StartupError("plugin file " + path + " has an empty name");
  for (auto& p : plugins_)
    if (p->info.name == pname)
      throw StartupError("duplicate plugin name '" + pname + "': " + p->info.file + " and " + path);

  loaded->info = {pname, pkind, info->version ? info->version : "", path};
  auto create = lib.get<Plugin*()>(kPluginCreateSymbol);
  Plugin* raw = nullptr;
  try {
    raw = create();
  } catch (const std::exception& e) {
    throw StartupError("plugin '" + pname + "' (" + path + ") failed to start: " + e.what());
  }
  if (!raw) throw StartupError("plugin '" + pname + "' (" + path + ") created no plugin object");
  loaded->plugin.reset(raw);
  plugins_.push_back(std::move(loaded));
  return *plugins_.back();
}

}  // namespace strata
