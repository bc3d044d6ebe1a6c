#include <strata/stores/annotation_store.h>

namespace strata {

AnnotationStore::~AnnotationStore() = default;

}  // namespace strata
