#include "store_registry.h"

#include "plugin_loader.h"

#include <strata/errors.h>

#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>

namespace strata {

StoreRegistry::StoreRegistry(const Poco::Util::AbstractConfiguration& config, PluginLoader& loader,
                             Poco::Logger& logger)
    : config_(config), loader_(loader), logger_(logger) {}

StoreRegistry::~StoreRegistry() { close(); }

void StoreRegistry::createAll() {
  Poco::Util::AbstractConfiguration::Keys roles;
  config_.keys("stores", roles);
  for (const auto& roleName : roles) {
    auto role = storeRoleFromString(roleName);
    if (!role)
      throw StartupError("unknown store role 'stores." + roleName +
                         "' (known: entities, annotations, blobs, arrays)");
    Poco::Util::AbstractConfiguration::Keys instances;
    config_.keys("stores." + roleName, instances);
    if (instances.empty())
      throw StartupError("configuration key stores." + roleName + " must name instances, as in stores." +
                         roleName + ".default.backend");
    for (const auto& instance : instances) {
      const std::string prefix = "stores." + roleName + "." + instance;
      ConfigSection section(config_, prefix);
      if (!section.has("backend"))
        throw StartupError("store " + prefix + " has no backend: set " + prefix + ".backend");
      const std::string backendName = section.getString("backend");
      LoadedPlugin& loaded = loader_.load("backend", backendName);
      auto* backend = static_cast<BackendPlugin*>(loaded.plugin.get());
      const auto served = backend->roles();
      if (std::find(served.begin(), served.end(), *role) == served.end())
        throw StartupError("backend '" + backendName + "' configured for " + prefix +
                           " does not serve the role '" + roleName + "'");
      StoreConfig sc{*role, instance, section,
                     Poco::Logger::get("strata.store." + roleName + "." + instance)};
      Instance inst;
      inst.info = {roleName, instance, backendName};
      try {
        switch (*role) {
          case StoreRole::Entities:
            inst.store = backend->createEntityStore(sc);
            break;
          case StoreRole::Annotations:
            inst.store = backend->createAnnotationStore(sc);
            break;
          case StoreRole::Blobs:
            inst.store = backend->createBlobStore(sc);
            break;
          case StoreRole::Arrays:
            inst.store = backend->createArrayStore(sc);
            break;
        }
      } catch (const StartupError&) {
        throw;
      } catch (const std::exception& e) {
        throw StartupError("backend '" + backendName + "' could not open store " + prefix + ": " + e.what());
      }
      if (!inst.store) throw StartupError("backend '" + backendName + "' returned no store for " + prefix);
      for (const auto& key : section.unreadKeys())
        throw StartupError("unknown configuration key " + key + " (backend '" + backendName +
                           "' does not use it)");
      if (std::find(backends_.begin(), backends_.end(), backend) == backends_.end())
        backends_.push_back(backend);
      logger_.information("store %s.%s served by backend %s", roleName, instance, backendName);
      stores_[{*role, instance}] = std::move(inst);
    }
  }
}

const StoreRegistry::Instance& StoreRegistry::find(StoreRole role, const std::string& instance) const {
  auto it = stores_.find({role, instance});
  if (it == stores_.end())
    throw StartupError(std::string("no store instance stores.") + toString(role) + "." + instance +
                       " is configured: add stores." + toString(role) + "." + instance +
                       ".backend to the configuration");
  return it->second;
}

std::shared_ptr<EntityStore> StoreRegistry::entities(const std::string& instance) const {
  return std::static_pointer_cast<EntityStore>(find(StoreRole::Entities, instance).store);
}
std::shared_ptr<AnnotationStore> StoreRegistry::annotations(const std::string& instance) const {
  return std::static_pointer_cast<AnnotationStore>(find(StoreRole::Annotations, instance).store);
}
std::shared_ptr<BlobStore> StoreRegistry::blobs(const std::string& instance) const {
  return std::static_pointer_cast<BlobStore>(find(StoreRole::Blobs, instance).store);
}

std::shared_ptr<ArrayStore> StoreRegistry::arrays(const std::string& instance) const {
  return std::static_pointer_cast<ArrayStore>(find(StoreRole::Arrays, instance).store);
}

std::vector<StoreInfo> StoreRegistry::list() const {
  std::vector<StoreInfo> out;
  for (const auto& [key, inst] : stores_) out.push_back(inst.info);
  return out;
}

void StoreRegistry::close() noexcept {
  stores_.clear();
  for (auto it = backends_.rbegin(); it != backends_.rend(); ++it) (*it)->shutdown();
  backends_.clear();
}

}  // namespace strata
