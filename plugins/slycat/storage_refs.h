// Reference counts of arrayset storage, which models share (PUT /api/models/{mid}/inputs copies
// an arrayset artifact by reference). One entity per storage id in the collection
// `slycat-storage` of the entities store: {"references": n}, the number of model artifacts that
// may point at the container `slycat/<storage id>` of the arrays store. Counts change only by
// conditional updates (ifMatch = etag, retried from a fresh read when another change won), so
// concurrent acquires and releases lose no count, on every entities backend.
//
// The order that keeps a count from ever being lower than the number of model documents that
// point at the storage (a crash between two steps leaks storage; it never deletes storage in use):
// - a new storage: add() (count 1), then the container, then the model document;
// - sharing: acquire() before the model document that points at the storage is saved;
// - dropping: release() after the model document stops pointing at it (changed or deleted);
// - the last release: the count is set to 0 (from then on acquire() refuses the storage), then
//   the container is deleted, then the entity. A crash in between leaves a count of 0, which
//   finishReleases() completes; the plugin calls it at start-up.
// A crash between the other steps leaves a count above the references: the container stays
// until an operator removes it (docs/slycat.md, "Sharing arraysets between models").
//
// Storage made before the counts existed has no entity: its container is taken as having one
// reference (arraysets were not shared before), and the first acquire or release writes the
// entity. Thread-safety: every method may be called concurrently.
#pragma once
#include <strata/stores/array_store.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace strata::slycat {

class StorageRefs {
 public:
  StorageRefs(std::shared_ptr<EntityStore> entities, std::shared_ptr<ArrayStore> arrays);

  // The arrays-store container of a storage id: "slycat/<sid>".
  static std::string container(const std::string& sid) { return "slycat/" + sid; }

  // Records a new storage id with one reference (before its container is created).
  void add(const std::string& sid);
  // One more reference to existing storage. NotFound if the storage is gone or going (its
  // count reached 0).
  void acquire(const std::string& sid);
  // One reference fewer; the last one deletes the container and the count. Storage that is
  // already gone is left alone.
  void release(const std::string& sid);
  // The stored count (0 while a last release is under way); nullopt when there is no entity.
  std::optional<int64_t> count(const std::string& sid);
  // Completes last releases that a crash interrupted (counts of 0); returns how many.
  uint64_t finishReleases();

 private:
  // Deletes the container, then the entity whose count is 0 (with its etag).
  void drop(const std::string& sid, const std::string& etag);

  std::shared_ptr<EntityStore> entities_;
  std::shared_ptr<ArrayStore> arrays_;
};

}  // namespace strata::slycat
