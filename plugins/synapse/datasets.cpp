// Datasets: POST/GET /repo/v1/dataset, GET/PUT/DELETE /repo/v1/dataset/{id} and the dataset
// schemas. A dataset is an entity of kDatasets with a server-generated id; its body holds the
// writable fields of §2.1.1 and the creator; creationDate and etag are the entity's own.
#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include "synapse_common.h"
#include "synapse_model.h"

namespace strata::synapse {

namespace {

const char* const kListPath = "/repo/v1/dataset";

// The dataset as the API shows it: its stored fields, the server's ones, the URIs and one
// preview {"id","type","uri"} per layer.
Poco::JSON::Object::Ptr datasetJson(const Context& ctx, const Entity& e) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(*e.body);
  showStoredNames(*o);
  o->set("id", e.id);
  o->set("uri", datasetUri(e.id));
  o->set("etag", e.etag);
  o->set("creationDate", e.created);
  o->set("annotations", datasetUri(e.id) + "/annotations");
  o->set("layer", datasetUri(e.id) + "/layer");
  Poco::JSON::Array::Ptr layers = new Poco::JSON::Array;
  const std::string prefix = e.id + "/";
  for (const Entity& l : datasetLayers(ctx, e.id)) {
    const std::string lid = l.id.substr(prefix.size());
    Poco::JSON::Object::Ptr p = new Poco::JSON::Object;
    p->set("id", lid);
    p->set("type", l.body->has("type") ? l.body->get("type") : Poco::Dynamic::Var());
    p->set("uri", layerUri(e.id, lid));
    layers->add(p);
  }
  o->set("layers", layers);
  return o;
}

void sendDataset(const Context& ctx, Response& res, const Entity& e, int status) {
  setEtag(res, e.etag);
  res.sendJson(datasetJson(ctx, e), status);
}

void createDataset(Context& ctx, Request& req, Response& res) {
  const Poco::JSON::Object::Ptr in = readJsonBody(req, ctx.maxJsonBytes);
  Poco::JSON::Object::Ptr body = decodeModel(datasetModel(), *in);
  body->set("creator", req.principal().name);
  const Entity e = ctx.entities->create(kDatasets, newEntityId(), body);
  res.setHeader("Location", datasetUri(e.id));
  sendDataset(ctx, res, e, 201);
}

void listDatasets(Context& ctx, Request& req, Response& res) {
  const Paging paging = parsePaging(req);
  EntityQuery q;
  q.orderBy = collectionOrder(datasetModel(), paging.sort, paging.ascending);
  q.offset = paging.offset - 1;
  q.limit = paging.limit;
  const EntityPage page = ctx.entities->list(kDatasets, q);
  Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
  for (const Entity& e : page.items) results->add(datasetJson(ctx, e));
  res.sendJson(pageJson(kListPath, paging, page.total, results), 200);
}

void getDataset(Context& ctx, Request& req, Response& res) {
  sendDataset(ctx, res, findDataset(ctx, req.param("id")), 200);
}

void updateDataset(Context& ctx, Request& req, Response& res) {
  const std::string id = req.param("id");
  const Entity old = findDataset(ctx, id);
  checkWriter(req.principal(), *old.body);
  const std::string etag = requestEtag(req);
  const Poco::JSON::Object::Ptr in = readJsonBody(req, ctx.maxJsonBytes);
  Poco::JSON::Object::Ptr body = decodeModel(datasetModel(), *in);
  body->set("creator", old.body->has("creator") ? old.body->get("creator") : Poco::Dynamic::Var());
  Entity e;
  try {
    e = ctx.entities->update(kDatasets, id, body, etag);
  } catch (const PreconditionFailed&) {
    throw PreconditionFailed(conflictReason(id));
  } catch (const NotFound&) {
    throw NotFound(kNotFoundReason);
  }
  sendDataset(ctx, res, e, 200);
}

void deleteDataset(Context& ctx, Request& req, Response& res) {
  const std::string id = req.param("id");
  const Entity old = findDataset(ctx, id);
  checkWriter(req.principal(), *old.body);
  const auto removeLayers = [&] {
    const std::string prefix = id + "/";
    for (const Entity& l : datasetLayers(ctx, id)) removeLayer(ctx, id, l.id.substr(prefix.size()));
  };
  // The layers first, so that an interrupted delete can be repeated; again after the dataset,
  // for a layer created meanwhile.
  removeLayers();
  ctx.annotations->removeAll(datasetTarget(id));
  try {
    ctx.entities->remove(kDatasets, id, "");
  } catch (const NotFound&) {
    throw NotFound(kNotFoundReason);
  }
  removeLayers();
  res.sendEmpty(204);
}

void sendSchema(Response& res, const Poco::JSON::Object::Ptr& schema) { res.sendJson(schema, 200); }

}  // namespace

void addDatasetRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  const RouteOptions read = readOptions(ctx);
  const RouteOptions write = writeOptions(ctx);
  routes.add(
      "POST", "/repo/v1/dataset", [c](Request& q, Response& r) { createDataset(*c, q, r); }, write);
  routes.add(
      "GET", "/repo/v1/dataset", [c](Request& q, Response& r) { listDatasets(*c, q, r); }, read);
  routes.add(
      "GET", "/repo/v1/dataset/{id}", [c](Request& q, Response& r) { getDataset(*c, q, r); }, read);
  routes.add(
      "PUT", "/repo/v1/dataset/{id}", [c](Request& q, Response& r) { updateDataset(*c, q, r); }, write);
  routes.add(
      "DELETE", "/repo/v1/dataset/{id}", [c](Request& q, Response& r) { deleteDataset(*c, q, r); }, write);
  routes.add(
      "GET", "/repo/v1/dataset/schema",
      [](Request&, Response& r) { sendSchema(r, modelSchema(datasetModel())); }, read);
  routes.add(
      "GET", "/repo/v1/dataset/{id}/schema",
      [](Request&, Response& r) { sendSchema(r, modelSchema(datasetModel())); }, read);
  routes.add(
      "GET", "/repo/v1/dataset/{id}/annotations/schema",
      [](Request&, Response& r) { sendSchema(r, annotationsSchema()); }, read);
}

}  // namespace strata::synapse
