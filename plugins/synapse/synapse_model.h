// The 2011 models of datasets and layers: their fields, how a request body is decoded into the
// stored document (strict: unknown fields are refused, read-only ones ignored) and the JSON
// schema the `.../schema` routes show. Used by datasets.cpp and layers.cpp.
#pragma once
#include <Poco/JSON/Object.h>
#include <strata/http.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <string>
#include <vector>

namespace strata::synapse {

struct Field {
  enum class Kind { String, Date, Bool, Long, LayerType, Uri, UriList, Previews } kind = Kind::String;
  std::string name;
  bool readOnly = false;
  bool required = false;
  const char* dflt = nullptr;  // String: the value when absent
  bool boolDefault = false;    // Bool: the value when absent
};

struct Model {
  std::string className;  // "Dataset", "InputDataLayer": named in error texts
  std::string javaClass;  // "org.sagebionetworks.repo.model.Dataset": in "Unrecognized field"
  std::vector<Field> fields;
  const Field* find(const std::string& name) const;
};

// The entities role names the entity's own update count `version` (entity_store.h), which
// would hide a body member of that name from filters and sorting; so the record's `version`
// ("0.0.1") is stored as `versionLabel` and shown as `version`.
inline constexpr const char* kStoredVersion = "versionLabel";
// The body member a field is stored under.
std::string storedName(const std::string& field);
// Renames the stored members of a copy of a body back to the API's names.
void showStoredNames(Poco::JSON::Object& record);

const Model& datasetModel();
const Model& layerModel();

// The request's body as a JSON object (bounded by maxBytes): 400 "No content to map to Object
// due to end of input" for an empty body, 400 for malformed JSON or a value that is not an object.
Poco::JSON::Object::Ptr readJsonBody(Request& req, uint64_t maxBytes);

// The stored document for a body: the model's writable fields, checked and converted (dates to
// epoch ms), with defaults; read-only fields ignored, JSON nulls taken as absent. BadRequest for
// unknown fields, wrong types, a missing required field or a layer type outside E, G, C.
Poco::JSON::Object::Ptr decodeModel(const Model& model, const Poco::JSON::Object& body);

// A new dataset or layer id: 32 hexadecimal digits, the first 16 growing with each id this
// process makes (from the clock in microseconds), the rest random. So ids sort in creation
// order, which is the order of an unsorted collection GET, and are not guessable.
std::string newEntityId();

// The order of a collection GET: creation order (by id) for sort NONE; else the entity field
// for `sort` (a field name of the model; BadRequest for a field it cannot sort by), ties in
// creation order, both in the paging's direction.
std::vector<EntityOrder> collectionOrder(const Model& model, const std::string& sort, bool ascending);

// The JSON schema of a model, and of an annotations object.
Poco::JSON::Object::Ptr modelSchema(const Model& model);
Poco::JSON::Object::Ptr annotationsSchema();

// Rejects a member of `body` not in `allowed`, in the 2011 words.
void checkKnownFields(const Poco::JSON::Object& body, const std::vector<std::string>& allowed,
                      const std::string& javaClass);

}  // namespace strata::synapse

// ---- shared by datasets.cpp and layers.cpp (defined in layers.cpp)
namespace strata::synapse {
struct Context;
// A stored layer as the API shows it (id, uri, etag, creationDate, fields, URIs).
Poco::JSON::Object::Ptr layerJson(const Context& ctx, const Entity& layer);
// All layers of a dataset (one id-prefix range), in id order.
std::vector<Entity> datasetLayers(const Context& ctx, const std::string& datasetId);
// Deletes a layer for good with its preview, locations and annotations (what exists of them).
void removeLayer(const Context& ctx, const std::string& datasetId, const std::string& layerId);
}  // namespace strata::synapse
