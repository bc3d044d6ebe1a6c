#pragma once
// Copies the content of one store into another store of the same role: an HDF domain between
// arrays stores (HDF5 file -> RocksDB and back), all entities, all annotations, all blobs.
// Used by `strata-admin copy`, and by plugins (the slycat plugin's deep copy of an arrayset is
// copyContainer within one store under a new name). Only the public store interfaces are used,
// so any pair of backends works, and a store may be both source and target.
//
// Thread-safety: as the stores'. Nothing locks the source: a container written while it is
// copied may arrive with some of those writes and not others.
//
// Arrays: every object (groups, datasets, committed datatypes), link, attribute and value is
// copied; values travel in the packed form, so they arrive bit-identical. Object ids are the
// target store's own; hard links, committed-type uses and object-reference values (top-level
// reference types) are rewritten to the new ids.
// Entities keep their collection, id and body; etag, version and times are the target's.
#include <strata/export.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/array_store.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <functional>
#include <string>

namespace strata {

struct STRATA_API CopyReport {
  uint64_t items = 0;  // objects, entities, targets or blobs copied
  uint64_t bytes = 0;  // value or content bytes moved
};

using CopyProgress = std::function<void(const std::string& what)>;

// Copies container `name` of `from` into `to` under the same name. Throws NotFound if the
// source has no such container and Conflict if the target already has it. A copy that fails
// part way leaves the partial container in the target: the caller removes it.
STRATA_API CopyReport copyContainer(ArrayStore& from, ArrayStore& to, const std::string& name,
                                    const CopyProgress& progress = {});
// The same into the container `targetName` of `to` (`from` and `to` may be one store).
STRATA_API CopyReport copyContainer(ArrayStore& from, ArrayStore& to, const std::string& name,
                                    const std::string& targetName, const CopyProgress& progress = {});
// Entities whose id already exists in the target collection are replaced.
STRATA_API CopyReport copyEntities(EntityStore& from, EntityStore& to, const CopyProgress& progress = {});
STRATA_API CopyReport copyAnnotations(AnnotationStore& from, AnnotationStore& to,
                                      const CopyProgress& progress = {});
STRATA_API CopyReport copyBlobs(BlobStore& from, BlobStore& to, const CopyProgress& progress = {});

}  // namespace strata
