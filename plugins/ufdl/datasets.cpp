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

Poco::JSON::Object::Ptr datasetKeyBody(int64_t datasetPk) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("pk", datasetPk);
  return o;
}

void removeDatasetKey(const Context& ctx, const Poco::JSON::Object& dataset, EntityBatch& batch) {
  const std::string id = datasetKeyId(dataset);
  auto key = ctx.entities->find(kDatasetKeys, id);
  if (key && intField(*key->body, "pk") == intField(dataset, "pk")) batch.remove(kDatasetKeys, id, key->etag);
}

void throwNotUnique() {
  FieldErrors errors;
  errors.add("non_field_errors", "The fields name, version, project must make a unique set.");
  errors.throwIfAny();
  throw BadRequest("ufdl", "The fields name, version, project must make a unique set.");  // not reached
}

int64_t owningTeam(const Context& ctx, const Poco::JSON::Object& dataset) {
  try {
    return datasetTeam(ctx, dataset);
  } catch (const NotFound&) {
    return 0;
  }
}

bool isActive(const Poco::JSON::Object& record) {
  return !record.has("deletion_time") || record.isNull("deletion_time");
}

void requireDatasetLevel(const Context& ctx, const Caller& who, const Poco::JSON::Object& dataset,
                         Level needed) {
  requireTeamLevel(ctx, who, owningTeam(ctx, dataset), needed);
}

int batchOperationIndex(const Error& e) {
  static const std::string prefix = "batch operation ";
  const std::string what = e.what();
  if (what.compare(0, prefix.size(), prefix) != 0) return -1;
  std::size_t i = prefix.size();
  int n = 0;
  bool digits = false;
  while (i < what.size() && what[i] >= '0' && what[i] <= '9' && n < 100000000) {
    n = n * 10 + (what[i++] - '0');
    digits = true;
  }
  return digits ? n : -1;
}

namespace {

// ---- the writable fields of a dataset, as DRF's serializer validates them

struct DatasetFields {
  std::optional<std::string> name, description, tags;
  std::optional<int64_t> project, licence;
  std::optional<bool> isPublic;
};

constexpr const char* kNull = "This field may not be null.";

bool isArray(const Poco::Dynamic::Var& v) { return v.type() == typeid(Poco::JSON::Array::Ptr); }
bool isObject(const Poco::Dynamic::Var& v) { return v.type() == typeid(Poco::JSON::Object::Ptr); }

// Python's name of a JSON value's type, as DRF's messages print it.
std::string pythonType(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "NoneType";
  if (v.isBoolean()) return "bool";
  if (v.isString()) return "str";
  if (isArray(v)) return "list";
  if (isObject(v)) return "dict";
  if (v.isInteger()) return "int";
  return "float";
}

std::size_t utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// A CharField: strings, and numbers as their text (as DRF does), trimmed; `blank` allows "".
std::optional<std::string> stringValue(const Poco::Dynamic::Var& v, const std::string& field, bool blank,
                                       std::size_t maxLength, FieldErrors& errors) {
  if (v.isEmpty()) {
    errors.add(field, kNull);
    return std::nullopt;
  }
  if (v.isBoolean() || isArray(v) || isObject(v) || !(v.isString() || v.isNumeric())) {
    errors.add(field, kNotAString);
    return std::nullopt;
  }
  // DRF's CharField trims surrounding whitespace and refuses NUL characters.
  std::string s = v.toString();
  const std::size_t first = s.find_first_not_of(" \t\r\n\f\v");
  s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t\r\n\f\v") - first + 1);
  if (s.find('\0') != std::string::npos) {
    errors.add(field, "Null characters are not allowed.");
    return std::nullopt;
  }
  if (!blank && s.empty()) {
    errors.add(field, kBlank);
    return std::nullopt;
  }
  if (maxLength && utf8Length(s) > maxLength) {
    errors.add(field, "Ensure this field has no more than " + std::to_string(maxLength) + " characters.");
    return std::nullopt;
  }
  return s;
}

// A PrimaryKeyRelatedField: an integer (or a string of digits) naming an existing record of
// `collection`; soft-deleted records do not count.
std::optional<int64_t> pkValue(const Context& ctx, const Poco::Dynamic::Var& v, const std::string& field,
                               const std::string& collection, FieldErrors& errors) {
  if (v.isEmpty()) {
    errors.add(field, kNull);
    return std::nullopt;
  }
  const bool digits = v.isString() && !v.toString().empty() && v.toString().size() <= 18 &&
                      v.toString().find_first_not_of("0123456789") == std::string::npos;
  if (v.isBoolean() || !(v.isInteger() || digits)) {
    errors.add(field, "Incorrect type. Expected pk value, received " + pythonType(v) + ".");
    return std::nullopt;
  }
  int64_t pk = 0;
  try {
    pk = digits ? std::stoll(v.toString()) : v.convert<int64_t>();
  } catch (...) {
    errors.add(field, invalidPk(v));
    return std::nullopt;
  }
  auto record = pk > 0 ? ctx.entities->find(collection, pkId(pk)) : std::nullopt;
  if (!record || !isActive(*record->body)) {
    errors.add(field, invalidPk(v));
    return std::nullopt;
  }
  return pk;
}

// A BooleanField, with DRF's accepted spellings.
std::optional<bool> boolValue(const Poco::Dynamic::Var& v, const std::string& field, FieldErrors& errors) {
  static const std::set<std::string> yes = {"t",    "T",    "y",    "Y",  "yes", "Yes", "YES",
                                            "true", "True", "TRUE", "on", "On",  "ON",  "1"};
  static const std::set<std::string> no = {"f",     "F",     "n",     "N",   "no",  "No",  "NO",
                                           "false", "False", "FALSE", "off", "Off", "OFF", "0"};
  if (v.isEmpty()) {
    errors.add(field, kNull);
    return std::nullopt;
  }
  if (v.isBoolean()) return v.extract<bool>();
  if (v.isString() || v.isInteger()) {
    const std::string s = v.toString();
    if (yes.count(s)) return true;
    if (no.count(s)) return false;
  }
  errors.add(field, kNotABoolean);
  return std::nullopt;
}

// Reads the writable fields of a create (all required ones), a PUT (likewise) or a PATCH
// (`partial`: any subset). Read-only and unknown fields are ignored, as DRF does.
DatasetFields readFields(const Context& ctx, const Poco::JSON::Object& body, bool partial,
                         FieldErrors& errors) {
  DatasetFields f;
  auto present = [&](const std::string& name, bool required) {
    if (body.has(name)) return true;
    if (required && !partial) errors.add(name, kRequired);
    return false;
  };
  if (present("name", true)) f.name = stringValue(body.get("name"), "name", false, 200, errors);
  if (present("project", true)) f.project = pkValue(ctx, body.get("project"), "project", kProjects, errors);
  if (present("licence", true)) f.licence = pkValue(ctx, body.get("licence"), "licence", kLicences, errors);
  if (present("tags", true)) f.tags = stringValue(body.get("tags"), "tags", true, 0, errors);
  if (present("description", false))
    f.description = stringValue(body.get("description"), "description", true, 0, errors);
  if (present("is_public", false)) f.isPublic = boolValue(body.get("is_public"), "is_public", errors);
  return f;
}

Poco::JSON::Object::Ptr copyObject(const Poco::JSON::Object& o) { return new Poco::JSON::Object(o); }

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
  Poco::JSON::Object::Ptr record = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  record->set("pk", pk);
  record->set("name", *f.name);
  record->set("dataset_version", 1);
  record->set("previous_version", -1);
  record->set("description", f.description.value_or(""));
  record->set("project", *f.project);
  record->set("licence", *f.licence);
  record->set("is_public", f.isPublic.value_or(false));
  record->set("domain", Poco::Dynamic::Var());
  record->set("tags", *f.tags);
  record->set("creator", who.pk);
  record->set("creation_time", nowIso());
  record->set("deletion_time", Poco::Dynamic::Var());
  std::vector<Entity> written;
  try {
    written = ctx.entities->apply(EntityBatch()
                                      .create(kDatasets, pkId(pk), record)
                                      .create(kDatasetKeys, datasetKeyId(*record), datasetKeyBody(pk)));
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

void updateDataset(Context& ctx, Request& req, Response& res, bool partial) {
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
      Poco::JSON::Object::Ptr next = copyObject(cur);
      if (f.name) next->set("name", *f.name);
      if (f.project) next->set("project", *f.project);
      if (f.licence) next->set("licence", *f.licence);
      if (f.tags) next->set("tags", *f.tags);
      if (f.description) next->set("description", *f.description);
      if (f.isPublic) next->set("is_public", *f.isPublic);
      if (isActive(cur) && datasetKeyId(cur) != datasetKeyId(*next)) {
        removeDatasetKey(ctx, cur, batch);
        batch.create(kDatasetKeys, datasetKeyId(*next), datasetKeyBody(pk));
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
      Poco::JSON::Object::Ptr next = copyObject(*current.body);
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
  Context* c = &ctx;
  routes.add(
      "POST", "/v1/datasets/create", [c](Request& req, Response& res) { createDataset(*c, req, res); },
      userOptions(ctx));
  routes.add(
      "POST", "/v1/datasets/list", [c](Request& req, Response& res) { listDatasets(*c, req, res); },
      readOptions(ctx));
  routes.add(
      "GET", "/v1/datasets/{pk}", [c](Request& req, Response& res) { getDataset(*c, req, res); },
      readOptions(ctx));
  routes.add(
      "PUT", "/v1/datasets/{pk}", [c](Request& req, Response& res) { updateDataset(*c, req, res, false); },
      userOptions(ctx));
  routes.add(
      "PATCH", "/v1/datasets/{pk}", [c](Request& req, Response& res) { updateDataset(*c, req, res, true); },
      userOptions(ctx));
  routes.add(
      "DELETE", "/v1/datasets/{pk}", [c](Request& req, Response& res) { deleteDataset(*c, req, res); },
      userOptions(ctx));
  routes.add(
      "DELETE", "/v1/datasets/{pk}/clear", [c](Request& req, Response& res) { clearDataset(*c, req, res); },
      userOptions(ctx));
  addDatasetVersionRoutes(routes, ctx);
}

}  // namespace strata::ufdl
