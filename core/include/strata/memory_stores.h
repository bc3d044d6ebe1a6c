#pragma once
// In-memory implementations of the store roles. The `memory` backend plugin serves them; tests
// may use them directly. Nothing survives the process.
#include <strata/export.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/array_store.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>

#include <memory>

namespace strata {

STRATA_API std::shared_ptr<EntityStore> makeMemoryEntityStore();
STRATA_API std::shared_ptr<AnnotationStore> makeMemoryAnnotationStore();
STRATA_API std::shared_ptr<BlobStore> makeMemoryBlobStore();
STRATA_API std::shared_ptr<ArrayStore> makeMemoryArrayStore();

}  // namespace strata
