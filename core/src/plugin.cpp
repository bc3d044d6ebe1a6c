#include <strata/plugin.h>

namespace strata {

Plugin::~Plugin() = default;
PluginContext::~PluginContext() = default;
EndpointPlugin::~EndpointPlugin() = default;
void EndpointPlugin::shutdown() noexcept {}
BackendPlugin::~BackendPlugin() = default;
void BackendPlugin::shutdown() noexcept {}
RouteRegistry::~RouteRegistry() = default;
ServerInfo::~ServerInfo() = default;
Authenticator::~Authenticator() = default;
EntityStore::~EntityStore() = default;
AnnotationStore::~AnnotationStore() = default;
BlobStore::~BlobStore() = default;
BlobReader::~BlobReader() = default;

Entity EntityStore::get(const std::string& collection, const std::string& id) {
  auto e = find(collection, id);
  if (!e) throw NotFound("no entity '" + id + "' in collection '" + collection + "'");
  return *e;
}

bool isBlobId(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool Principal::inGroup(const std::string& group) const {
  for (const auto& g : groups)
    if (g == group) return true;
  return false;
}

const char* toString(StoreRole role) {
  switch (role) {
    case StoreRole::Entities: return "entities";
    case StoreRole::Annotations: return "annotations";
    case StoreRole::Blobs: return "blobs";
    case StoreRole::Arrays: return "arrays";
  }
  return "?";
}

std::optional<StoreRole> storeRoleFromString(const std::string& name) {
  if (name == "entities") return StoreRole::Entities;
  if (name == "annotations") return StoreRole::Annotations;
  if (name == "blobs") return StoreRole::Blobs;
  if (name == "arrays") return StoreRole::Arrays;
  return std::nullopt;
}

void BackendPlugin::unsupported(const StoreConfig& config) const {
  throw StartupError("the backend configured for " + config.section.prefix() +
                     " does not serve the role '" + toString(config.role) + "'");
}

std::shared_ptr<EntityStore> BackendPlugin::createEntityStore(const StoreConfig& c) { unsupported(c); }
std::shared_ptr<AnnotationStore> BackendPlugin::createAnnotationStore(const StoreConfig& c) {
  unsupported(c);
}
std::shared_ptr<BlobStore> BackendPlugin::createBlobStore(const StoreConfig& c) { unsupported(c); }

}  // namespace strata
