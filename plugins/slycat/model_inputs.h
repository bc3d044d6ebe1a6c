// Sharing and dropping model artifacts: copying a model's inputs into another model
// (PUT /api/models/{mid}/inputs), deleting one artifact (DELETE /api/delete-artifact/{mid}/{aid})
// and deleting a model (DELETE /api/models/{mid}). Arrayset storage ("hdf5" artifacts) is
// shared by reference and counted by StorageRefs; each of these takes or drops references in
// the order storage_refs.h states. See docs/slycat.md, "Sharing arraysets between models".
#pragma once
#include <Poco/JSON/Object.h>
#include <strata/principal.h>
#include <strata/stores/array_store.h>

#include <memory>
#include <optional>
#include <string>

#include "projects.h"
#include "storage_refs.h"

namespace strata::slycat {

// The storage id an artifact of `doc` points at, if it is an arrayset ("hdf5" artifact whose
// value is a string).
std::optional<std::string> arraysetStorage(const Poco::JSON::Object& doc, const std::string& aid);

class ModelArtifacts {
 public:
  ModelArtifacts(Projects& projects, StorageRefs& refs, std::shared_ptr<ArrayStore> arrays);

  // Deletes the model (writers only; NotFound if unknown) and releases its arraysets' storage.
  void deleteModel(const Principal& who, const std::string& mid);
  // Removes `artifact:<aid>` and `artifact-types[aid]` (not `input-artifacts`) and releases the
  // arrayset's storage. NotFound for an unknown model or artifact.
  void deleteArtifact(const Principal& who, const std::string& mid, const std::string& aid);
  // Copies the input artifacts of model body["sid"] into `target` (a model document the caller
  // may write), sharing arrayset storage, or copying it when body["deep-copy"] is true.
  void copyInputs(const Principal& who, const Poco::JSON::Object& target, const Poco::JSON::Object& body);

 private:
  void releaseQuietly(const std::string& sid) noexcept;

  Projects& projects_;
  StorageRefs& refs_;
  std::shared_ptr<ArrayStore> arrays_;
};

}  // namespace strata::slycat
