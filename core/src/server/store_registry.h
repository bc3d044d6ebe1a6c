#pragma once
// Creates the configured store instances (stores.<role>.<instance>.*) through their backends
// and hands them out by role and instance name.
//
// Start-up errors (StartupError, naming the key): an unknown role, an instance without
// `backend`, a backend that cannot be loaded or does not serve the role, a key the backend
// did not read.
#include <strata/export.h>
#include <strata/backend_plugin.h>
#include <strata/server_info.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace Poco {
class Logger;
namespace Util {
class AbstractConfiguration;
}
}  // namespace Poco

namespace strata {

class PluginLoader;

class STRATA_API StoreRegistry {
 public:
  StoreRegistry(const Poco::Util::AbstractConfiguration& config, PluginLoader& loader, Poco::Logger& logger);
  ~StoreRegistry();  // calls close()

  // Reads every stores.* section and creates its store.
  void createAll();

  std::shared_ptr<EntityStore> entities(const std::string& instance) const;
  std::shared_ptr<AnnotationStore> annotations(const std::string& instance) const;
  std::shared_ptr<BlobStore> blobs(const std::string& instance) const;
  std::shared_ptr<ArrayStore> arrays(const std::string& instance) const;
  std::vector<StoreInfo> list() const;

  // Releases every store, then calls shutdown() on the backends that created them.
  void close() noexcept;

 private:
  struct Instance {
    StoreInfo info;
    std::shared_ptr<void> store;
  };
  const Instance& find(StoreRole role, const std::string& instance) const;
  const Poco::Util::AbstractConfiguration& config_;
  PluginLoader& loader_;
  Poco::Logger& logger_;
  std::map<std::pair<StoreRole, std::string>, Instance> stores_;
  std::vector<BackendPlugin*> backends_;
};

}  // namespace strata
