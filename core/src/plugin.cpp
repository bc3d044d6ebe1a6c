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
    case StoreRole::Entities:
      return "entities";
    case StoreRole::Annotations:
      return "annotations";
    case StoreRole::Blobs:
      return "blobs";
    case StoreRole::Arrays:
      return "arrays";
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
  throw StartupError("the backend configured for " + config.section.prefix() + " does not serve the role '" +
                     toString(config.role) + "'");
}

std::shared_ptr<EntityStore> BackendPlugin::createEntityStore(const StoreConfig& c) { unsupported(c); }
std::shared_ptr<AnnotationStore> BackendPlugin::createAnnotationStore(const StoreConfig& c) {
  unsupported(c);
}
std::shared_ptr<BlobStore> BackendPlugin::createBlobStore(const StoreConfig& c) { unsupported(c); }
std::shared_ptr<ArrayStore> BackendPlugin::createArrayStore(const StoreConfig& c) { unsupported(c); }

ArrayStore::~ArrayStore() = default;

void ArrayStore::exportHdf5(const std::string& c, const ByteSink&) {
  throw NotImplemented("this arrays store cannot export containers as HDF5 files");
}

ContainerInfo ArrayStore::container(const std::string& name) {
  auto info = findContainer(name);
  if (!info) throw NotFound("domain '" + name + "' not found");
  return *info;
}

const char* collectionName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return "groups";
    case ObjectKind::Dataset:
      return "datasets";
    case ObjectKind::Datatype:
      return "datatypes";
  }
  return "?";
}

const char* kindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return "group";
    case ObjectKind::Dataset:
      return "dataset";
    case ObjectKind::Datatype:
      return "datatype";
  }
  return "object";
}

uint64_t Shape::elements() const {
  if (cls == ShapeClass::Null) return 0;
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

}  // namespace strata
