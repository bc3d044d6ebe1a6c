// The `memory` backend: serves entities, annotations, blobs and arrays from the core's in-memory
// stores. Each configured instance is a separate, empty store; nothing survives the process.
// It reads no configuration keys beyond `backend`.
#include <strata/backend_plugin.h>
#include <strata/memory_stores.h>

namespace strata::memory {

class MemoryBackend final : public BackendPlugin {
 public:
  std::vector<StoreRole> roles() const override {
    return {StoreRole::Entities, StoreRole::Annotations, StoreRole::Blobs, StoreRole::Arrays};
  }
  std::shared_ptr<EntityStore> createEntityStore(const StoreConfig&) override {
    return makeMemoryEntityStore();
  }
  std::shared_ptr<AnnotationStore> createAnnotationStore(const StoreConfig&) override {
    return makeMemoryAnnotationStore();
  }
  std::shared_ptr<BlobStore> createBlobStore(const StoreConfig&) override { return makeMemoryBlobStore(); }
  std::shared_ptr<ArrayStore> createArrayStore(const StoreConfig&) override { return makeMemoryArrayStore(); }
};

}  // namespace strata::memory

STRATA_BACKEND_PLUGIN(strata::memory::MemoryBackend, "memory", "0.1.0")
