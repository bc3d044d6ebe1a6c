// UFDL's dataset records (§1.2-§1.4 of the reference): create, list (filter spec and
// visibility), get, update (PUT/PATCH), soft delete and clear, plus what dataset_versions.cpp
// shares with them (the uniqueness key of active datasets, access checks). Copy, merge, hard
// delete and reinstate are in dataset_versions.cpp; files and archives in files.cpp and
// archives.cpp.
//
// Every dataset change goes through changeDataset (ufdl_common.h), so that it is serialised
// with the changes of the dataset's files, and an active dataset's (name, version, project)
// key entity (kDatasetKeys) changes in the same batch as the record: two active datasets never
// share a key, and a clash is UFDL's 400 rather than a corrupted store.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dataset_versions.h"
#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl {

// ---- shared with dataset_versions.cpp

std::string datasetKeyId(const std::string& name, int64_t version, int64_t project) {
  return uniqueKey({name, std::to_string(version), std::to_string(project)});
}

std::string datasetKeyId(const Poco::JSON::Object& dataset) {
  return datasetKeyId(dataset.optValue<std::string>("name", ""), intField(dataset, "dataset_version"),
                      intField(dataset, "project"));
}

Poco::JSON::Object::Ptr datasetRecord(const NewDataset& d, int64_t creator) {
  Poco::JSON::Object::Ptr record = ordered();
  record->set("pk", d.pk);
  record->set("name", d.name);
  record->set("dataset_version", d.version);
  record->set("previous_version", d.previousVersion);
  record->set("description", d.description);
  record->set("project", d.project);
  record->set("licence", d.licence);
  record->set("is_public", d.isPublic);
  record->set("domain", d.domain);
  record->set("tags", d.tags);
  setCreated(*record, creator);
  return record;
}

void removeDatasetKey(const Context& ctx, const Poco::JSON::Object& dataset, EntityBatch& batch) {
  removeKeyOf(ctx, batch, kDatasetKeys, datasetKeyId(dataset), intField(dataset, "pk"));
}

void throwNotUnique() {
  throwFieldError("non_field_errors", "The fields name, version, project must make a unique set.");
}

namespace {

// ---- the writable fields of a dataset, as DRF's serializer validates them

struct DatasetFields {
  std::optional<std::string> name, description, tags;
  std::optional<int64_t> project, licence;
  std::optional<bool> isPublic;
};

// A PrimaryKeyRelatedField: an integer (or a string of digits) naming an existing record of
// `collection`; soft-deleted records do not count.
std::optional<int64_t> relatedPk(const Context& ctx, const Poco::Dynamic::Var& v, const std::string& field,
                                 const std::string& collection, FieldErrors& errors) {
  const auto pk = pkValue(v, field, errors);
  if (!pk) return std::nullopt;
  auto record = *pk > 0 ? ctx.entities->find(collection, pkId(*pk)) : std::nullopt;
  if (!record || !isActive(*record->body)) {
    errors.add(field, invalidPk(v));
    return std::nullopt;
  }
  return pk;
}

// Reads the writable fields of a create (all required ones), a PUT (likewise) or a PATCH
// (`partial`: any subset). Read-only and unknown fields are ignored, as DRF does.
DatasetFields readFields(const Context& ctx, const Poco::JSON::Object& body, bool partial,
                         FieldErrors& errors) {
  DatasetFields f;
  // Required fields: for a create and a PUT, not a PATCH.
  const bool required = !partial;
  if (auto v = given(body, "name", errors, required)) f.name = charValue(*v, "name", false, 200, errors);
  if (auto v = given(body, "project", errors, required))
    f.project = relatedPk(ctx, *v, "project", kProjects, errors);
  if (auto v = given(body, "licence", errors, required))
    f.licence = relatedPk(ctx, *v, "licence", kLicences, errors);
  if (auto v = given(body, "tags", errors, required)) f.tags = charValue(*v, "tags", true, 0, errors);
  if (auto v = given(body, "description", errors, false))
    f.description = charValue(*v, "description", true, 0, errors);
  if (auto v = given(body, "is_public", errors, false)) f.isPublic = boolValue(*v, "is_public", errors);
  return f;
}

// ---- routes

void createDataset(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  requireUser(who);
  const Poco::JSON::Object::Ptr body = jsonBody(ctx, req);
  FieldErrors errors;
  const DatasetFields f = readFields(ctx, *body, false, errors);
  // The team comes from the body: W on it is checked as soon as the project is known, before
  // the other fields' errors are told.
  if (f.project) requireTeamLevel(ctx, who, projectTeam(ctx, *f.project), Level::W);
  errors.throwIfAny();

  const int64_t pk = ctx.entities->nextSequence(kDatasets);
  NewDataset d;
  d.pk = pk;
  d.name = *f.name;
  d.description = f.description.value_or("");
  d.project = *f.project;
  d.licence = *f.licence;
  d.isPublic = f.isPublic.value_or(false);
  d.tags = *f.tags;
  const Poco::JSON::Object::Ptr record = datasetRecord(d, who.pk);
  std::vector<Entity> written;
  try {
    written = ctx.entities->apply(EntityBatch()
                                      .create(kDatasets, pkId(pk), record)
                                      .create(kDatasetKeys, datasetKeyId(*record), keyBody(pk)));
  } catch (const Conflict&) {
    throwNotUnique();
  }
  res.sendJson(datasetJson(ctx, written[0]), 201);
}

void listDatasets(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  // Visibility (§1.4): decided before the body is read.
  std::vector<EntityCondition> visible;
  EntityCondition isPublic;
  isPublic.filter = {"is_public", EntityFilter::Op::Eq, true};
  if (who.anonymous || !who.active) {
    visible.push_back(isPublic);
  } else if (!who.staff) {
    std::vector<Poco::Dynamic::Var> teams;
    for (int64_t t : teamsOf(ctx, who.pk)) teams.emplace_back(t);
    std::vector<Poco::Dynamic::Var> projects;
    if (!teams.empty()) {
      EntityQuery q;
      q.filters.push_back({"team", EntityFilter::Op::In, teams});
      for (const auto& p : listAll(ctx, kProjects, q)) projects.emplace_back(intField(*p.body, "pk"));
    }
    EntityCondition ofTeams;
    ofTeams.filter = {"project", EntityFilter::Op::In, projects};
    EntityCondition either;
    either.kind = EntityCondition::Kind::Or;
    either.operands = {isPublic, ofTeams};
    visible.push_back(either);
  }
  const Poco::JSON::Object::Ptr body = jsonBody(ctx, req);
  const ListSpec spec = parseFilterSpec(ctx, Poco::Dynamic::Var(body), datasetSchema());
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const auto& d : listAll(ctx, kDatasets, listQuery(spec, datasetSchema(), visible)))
    out->add(datasetJson(ctx, d));
  res.sendJson(out, 200);
}

void getDataset(Context& ctx, Request& req, Response& res) {
  const Entity d = getRecord(ctx, kDatasets, req.param("pk"));  // 404 before permission
  const Caller who = caller(ctx, req);
  if (!d.body->optValue<bool>("is_public", false)) requireDatasetLevel(ctx, who, *d.body, Level::R);
  res.sendJson(datasetJson(ctx, d), 200);
}

// PUT (every writable field required) or PATCH (`partial`: any subset).
void updateDataset(Context& ctx, Request& req, Response& res) {
  const bool partial = !isPut(req);
  const Caller who = caller(ctx, req);
  const Entity d = getRecord(ctx, kDatasets, req.param("pk"));
  const int64_t pk = intField(*d.body, "pk");
  requireDatasetLevel(ctx, who, *d.body, Level::W);
  const Poco::JSON::Object::Ptr body = jsonBody(ctx, req);
  FieldErrors errors;
  const DatasetFields f = readFields(ctx, *body, partial, errors);
  // Moving to another project needs W on its team too (UFDL checks the current team only).
  if (f.project) requireTeamLevel(ctx, who, projectTeam(ctx, *f.project), Level::W);
  errors.throwIfAny();

  std::vector<Entity> written;
  try {
    written = changeDataset(ctx, pk, [&](const Entity& current, EntityBatch& batch) {
      const Poco::JSON::Object& cur = *current.body;
      requireDatasetLevel(ctx, who, cur, Level::W);  // as the dataset is now
      Poco::JSON::Object::Ptr next = copyOf(cur);
      if (f.name) next->set("name", *f.name);
      if (f.project) next->set("project", *f.project);
      if (f.licence) next->set("licence", *f.licence);
      if (f.tags) next->set("tags", *f.tags);
      if (f.description) next->set("description", *f.description);
      if (f.isPublic) next->set("is_public", *f.isPublic);
      if (isActive(cur) && datasetKeyId(cur) != datasetKeyId(*next)) {
        removeDatasetKey(ctx, cur, batch);
        batch.create(kDatasetKeys, datasetKeyId(*next), keyBody(pk));
      }
      return next;
    });
  } catch (const Conflict&) {
    throwNotUnique();
  }
  res.sendJson(datasetJson(ctx, written[0]), 200);
}

void deleteDataset(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  const Entity d = getRecord(ctx, kDatasets, req.param("pk"));
  requireDatasetLevel(ctx, who, *d.body, Level::W);
  if (isActive(*d.body)) {
    changeDataset(ctx, intField(*d.body, "pk"), [&](const Entity& current, EntityBatch& batch) {
      if (!isActive(*current.body)) return Poco::JSON::Object::Ptr();  // deleted meanwhile
      Poco::JSON::Object::Ptr next = copyOf(*current.body);
      next->set("deletion_time", nowIso());
      removeDatasetKey(ctx, *current.body, batch);
      return next;
    });
  }
  res.sendEmpty(204);  // a second delete is a no-op, as in UFDL
}

void clearDataset(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  const Entity d = getRecord(ctx, kDatasets, req.param("pk"));
  requireDatasetLevel(ctx, who, *d.body, Level::W);
  const int64_t pk = intField(*d.body, "pk");
  const auto written = changeDataset(ctx, pk, [&](const Entity&, EntityBatch& batch) {
    for (const auto& file : listFiles(ctx, pk)) {
      if (file.metadata.empty()) continue;
      batch.update(kFiles, fileId(pk, file.filename), fileRecord(pk, {file.filename, file.handle, ""}));
    }
    return Poco::JSON::Object::Ptr();
  });
  res.sendJson(datasetJson(ctx, written[0]), 200);
}

}  // namespace

void addDatasetRoutes(RouteRegistry& routes, Context& ctx) {
  addRoutes(routes, ctx, readOptions(ctx),
            {
                {"POST", "/v1/datasets/list", listDatasets},
                {"GET", "/v1/datasets/{pk}", getDataset},
            });
  addRoutes(routes, ctx, userOptions(ctx),
            {
                {"POST", "/v1/datasets/create", createDataset},
                {"PUT", "/v1/datasets/{pk}", updateDataset},
                {"PATCH", "/v1/datasets/{pk}", updateDataset},
                {"DELETE", "/v1/datasets/{pk}", deleteDataset},
                {"DELETE", "/v1/datasets/{pk}/clear", clearDataset},
            });
  addDatasetVersionRoutes(routes, ctx);
}

}  // namespace strata::ufdl
