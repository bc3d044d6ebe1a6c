// What every part of the synapse plugin shares: the error format and texts of the 2011 Synapse
// repository API, where its records live, dates, ETags, paging and access. The routes are in
// datasets.cpp / layers.cpp (datasets, layers, previews, locations, schemas), annotations.cpp
// and query.cpp; synapse_plugin.cpp registers them. See docs/synapse.md.
#pragma once
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/error_renderer.h>
#include <strata/http.h>
#include <strata/auth.h>
#include <strata/principal.h>
#include <strata/route_registry.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace strata::synapse {

// ---- where things live
// Entities role: datasets and layers (a layer's entity id is "<dataset id>/<layer id>", so a
// dataset's layers are one id-prefix range), and one preview and one locations document per
// layer, under the layer's entity id.
inline constexpr const char* kDatasets = "synapse.dataset";
inline constexpr const char* kLayers = "synapse.layer";
inline constexpr const char* kPreviews = "synapse.preview";
inline constexpr const char* kLocations = "synapse.locations";
// Annotations role targets: "dataset/<id>" and "layer/<dataset id>/<layer id>".
std::string datasetTarget(const std::string& datasetId);
std::string layerTarget(const std::string& datasetId, const std::string& layerId);
std::string layerEntityId(const std::string& datasetId, const std::string& layerId);

// What the route files share, made by synapse_plugin.cpp at configure time.
struct Context {
  std::shared_ptr<EntityStore> entities;
  std::shared_ptr<AnnotationStore> annotations;
  const Authenticator* auth = nullptr;
  uint64_t maxJsonBytes = 1u << 20;  // the largest JSON body of a write
  // Where a session token may also come from: the `sessionToken` header and the
  // `access_token` query parameter (besides Basic and Bearer), for every route.
  TokenPlaces tokenPlaces;
};
// Route options: reads (Access::Read: anonymous when auth.anonymous is on) and writes
// (Access::User, bodies up to maxJsonBytes), both with the token places.
RouteOptions readOptions(const Context& ctx);
RouteOptions writeOptions(const Context& ctx);

// The route files' entry points, called by synapse_plugin.cpp.
void addDatasetRoutes(RouteRegistry& routes, Context& ctx);     // datasets.cpp
void addLayerRoutes(RouteRegistry& routes, Context& ctx);       // layers.cpp
void addSessionRoutes(RouteRegistry& routes, Context& ctx);     // session.cpp
void addAnnotationRoutes(RouteRegistry& routes, Context& ctx);  // annotations.cpp
void addQueryRoutes(RouteRegistry& routes, Context& ctx);       // query.cpp

// The stored dataset or layer; NotFound (kNotFoundReason) if there is none.
Entity findDataset(const Context& ctx, const std::string& datasetId);
Entity findLayer(const Context& ctx, const std::string& datasetId, const std::string& layerId);

// An annotation's values as a JSON list (blobs in base64); annotations.cpp.
Poco::JSON::Array::Ptr annotationValuesJson(const Annotation& annotation);

// ---- URIs (paths under the API's prefix)
inline constexpr const char* kPrefix = "/repo/v1";
std::string datasetUri(const std::string& datasetId);
std::string layerUri(const std::string& datasetId, const std::string& layerId);

// ---- errors: {"reason": "..."} with the status of the strata error
std::shared_ptr<const ErrorRenderer> synapseErrors();
inline constexpr const char* kNotFoundReason = "The resource you are attempting to access cannot be found";
inline constexpr const char* kForbiddenReason =
    "You are not authorized to access the requested resource and/or perform the requested activity";
// 412's reason for an entity (dataset, layer or annotations) of `id`.
std::string conflictReason(const std::string& id);

// ---- dates: out as epoch milliseconds; in as epoch milliseconds (a JSON integer) or an RFC 3339
// date or date-time string in UTC ("2011-01-31", "2011-01-31T22:00:00", optional fraction and
// "Z"). BadRequest naming `field` otherwise.
int64_t parseDate(const Poco::Dynamic::Var& value, const std::string& field);

// ---- ETags: the request's etag from the `ETag` header (as 2011 clients send it) or
// `If-Match` (quoted or not). BadRequest "Missing header 'ETag'" if neither is present, or if
// the etag is empty ("" or `""`), which a conditional write would take as unconditional.
std::string requestEtag(const Request& req);
// Sets the ETag response header (unquoted, as in 2011).
void setEtag(Response& res, const std::string& etag);

// ---- access: anonymous reads when auth.anonymous is on (the core decides); writes need a user;
// changing or deleting needs the record's creator or the admin group (Forbidden with
// kForbiddenReason otherwise). Checked before the body is read and before the etag.
void checkWriter(const Principal& who, const Poco::JSON::Object& record);

// ---- paging (GET of a collection): offset from 1 (default 1), limit (default 10), sort
// (default "NONE"), ascending (default true). BadRequest "pagination offset must be 1 or
// greater" / "pagination limit must be 1 or greater", also for values that are not numbers.
struct Paging {
  uint64_t offset = 1;
  uint64_t limit = 10;
  std::string sort = "NONE";
  bool ascending = true;
};
Paging parsePaging(const Request& req);
// {"totalNumberOfResults", "results", "paging": {"previous"?, "next"?}} for `basePath`
// ("/repo/v1/dataset"): previous unless on the first page, next while offset + limit <= total,
// the sort suffix only when sort != NONE.
Poco::JSON::Object::Ptr pageJson(const std::string& basePath, const Paging& paging, uint64_t total,
                                 const Poco::JSON::Array::Ptr& results);

}  // namespace strata::synapse
