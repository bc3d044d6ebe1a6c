#pragma once
// Copies the content of one store into another store of the same role: an HDF domain between
// arrays stores (HDF5 file -> RocksDB and back), all entities, all annotations, all blobs.
// Used by `strata-admin copy`. Only the public store interfaces are used, so any pair of
// backends works.
//
// Arrays: every object (groups, datasets, committed datatypes), link, attribute and value is
// copied; values travel in the packed form, so they arrive bit-identical. Object ids are the
// target store's own; hard links, committed-type uses and object-reference values (top-level
// reference types) are rewritten to the new ids.
// Entities keep their collection, id and body; etag, version and times are the target's.
#include <strata/stores/annotation_store.h>
#include <strata/stores/array_store.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <functional>
#include <string>

namespace strata {

struct CopyReport {
  uint64_t items = 0;  // objects, entities, targets or blobs copied
  uint64_t bytes = 0;  // value or content bytes moved
};

using CopyProgress = std::function<void(const std::string& what)>;

// Throws Conflict if the target already has the container.
CopyReport copyContainer(ArrayStore& from, ArrayStore& to, const std::string& name,
                         const CopyProgress& progress = {});
// Entities whose id already exists in the target collection are replaced.
CopyReport copyEntities(EntityStore& from, EntityStore& to, const CopyProgress& progress = {});
CopyReport copyAnnotations(AnnotationStore& from, AnnotationStore& to, const CopyProgress& progress = {});
CopyReport copyBlobs(BlobStore& from, BlobStore& to, const CopyProgress& progress = {});

}  // namespace strata
