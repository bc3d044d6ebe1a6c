// Slycat arraysets over the arrays store role: one container `slycat/<storage id>` per
// arrayset, in Slycat's file layout (/array/<i>/attribute/<j>, /array/<i>/metadata/...). The
// storage id is kept in the model document as `artifact:<aid>`. The routes in
// slycat_plugin.cpp call these after the model's ACL check. See docs/slycat.md.
#pragma once
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/stores/array_store.h>

#include <memory>
#include <optional>
#include <string>

#include "arrayset_store.h"
#include "projects.h"
#include "storage_refs.h"

namespace strata::slycat {

// An array's "dimensions", "attributes" and "shape", as the metadata routes write them.
Poco::JSON::Object::Ptr arrayMetadataJson(const ArrayMetadata& m);

class Arraysets {
 public:
  Arraysets(Projects& projects, StorageRefs& refs, std::shared_ptr<ArrayStore> arrays);

  // Creates an empty arrayset (new storage, one reference) for artifact `aid` of the model
  // `doc` (as Projects::model returned it) and points the artifact at it, with
  // Projects::changeModel; the storage the artifact named before is released.
  void create(Poco::JSON::Object::Ptr doc, const std::string& aid, const Poco::JSON::Object& body);
  // Creates (or replaces) array `index` of the arrayset from its dimensions and attributes.
  void createArray(const Poco::JSON::Object& doc, const std::string& aid, const std::string& index,
                   const Poco::JSON::Object& body);
  // The list form of the metadata: one entry per array, by index.
  Poco::JSON::Array::Ptr metadata(const Poco::JSON::Object& doc, const std::string& aid);
  // The object form: the JSON text of the `arrays=`, `statistics=` and `unique=` queries.
  std::string metadataQuery(const Poco::JSON::Object& doc, const std::string& aid,
                            const std::optional<std::string>& arrays,
                            const std::optional<std::string>& statistics,
                            const std::optional<std::string>& unique);

  // The container of arrayset `aid` of the model `doc`: NotFound if the model has no such
  // artifact or its container is gone, BadRequest if the artifact is not an arrayset.
  std::string container(const Poco::JSON::Object& doc, const std::string& aid) const;
  ArrayStore& store() const { return *arrays_; }

 private:
  std::string arrayGroup(const std::string& c);

  Projects& projects_;
  StorageRefs& refs_;
  std::shared_ptr<ArrayStore> arrays_;
};

}  // namespace strata::slycat
