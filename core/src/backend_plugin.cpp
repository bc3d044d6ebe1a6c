#include <strata/backend_plugin.h>
#include <strata/errors.h>

namespace strata {

BackendPlugin::~BackendPlugin() = default;
void BackendPlugin::shutdown() noexcept {}

void BackendPlugin::unsupported(const StoreConfig& config) const {
  throw StartupError("the backend configured for " + config.section.prefix() + " does not serve the role '" +
                     toString(config.role) + "'");
}

std::shared_ptr<EntityStore> BackendPlugin::createEntityStore(const StoreConfig& c) { unsupported(c); }
std::shared_ptr<AnnotationStore> BackendPlugin::createAnnotationStore(const StoreConfig& c) {
  unsupported(c);
}
std::shared_ptr<BlobStore> BackendPlugin::createBlobStore(const StoreConfig& c) { unsupported(c); }
std::shared_ptr<ArrayStore> BackendPlugin::createArrayStore(const StoreConfig& c) { unsupported(c); }

}  // namespace strata
