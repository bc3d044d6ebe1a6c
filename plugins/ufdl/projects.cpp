// Projects (§1.7): POST /v1/projects/list|create, GET|PUT|PATCH|DELETE /v1/projects/{pk},
// DELETE /v1/projects/{pk}/hard|reinstate. A project is a kProjects record of a team; its active
// (name, team) is a kProjectNames key entity written in the same batch. Deleting a project
// soft-deletes its active datasets too (as UFDL's Project.pre_delete does), freeing their keys.
#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include "accounts.h"
#include "dataset_versions.h"
#include "ufdl_common.h"

namespace strata::ufdl {

using namespace accounts;

namespace {

constexpr std::size_t kNameLength = 200;
constexpr const char* kNotUnique = "The fields name, team must make a unique set.";

std::string nameKeyId(int64_t team, const std::string& name) { return uniqueKey({pkId(team), name}); }

Poco::JSON::Object::Ptr keyBody(int64_t pk) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("pk", pk);
  return o;
}

Poco::JSON::Object::Ptr projectJson(const Entity& e) {
  const Poco::JSON::Object& b = *e.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("pk", intField(b, "pk"));
  o->set("name", field(b, "name"));
  o->set("team", intField(b, "team"));
  o->set("creator", field(b, "creator"));
  o->set("creation_time", field(b, "creation_time"));
  o->set("deletion_time", field(b, "deletion_time"));
  return o;
}

[[noreturn]] void notUnique() {
  FieldErrors errors;
  errors.add("non_field_errors", kNotUnique);
  errors.throwIfAny();
  throw BadRequest(kNotUnique);  // not reached
}

// The team a body names: an existing, active team (else the field error of DRF's related field).
std::optional<int64_t> teamField(const Context& ctx, const Poco::JSON::Object& in, FieldErrors& errors,
                                 bool required) {
  const auto pk = pkField(in, "team", errors, required);
  if (!pk) return std::nullopt;
  auto team = ctx.entities->find(kTeams, pkId(*pk));
  if (!team || !isActive(*team)) {
    errors.add("team", invalidPk(in.get("team")));
    return std::nullopt;
  }
  return pk;
}

int64_t projectPkOf(const Request& req) { return parsePk(req.param("pk")); }

// ---- routes

void listProjects(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  requireUser(who);
  std::vector<EntityCondition> extra;
  if (!who.staff) {
    EntityCondition own;
    Poco::JSON::Array::Ptr pks = new Poco::JSON::Array;
    for (int64_t t : teamsOf(ctx, who.pk)) pks->add(t);
    own.filter = {"team", EntityFilter::Op::In, pks};
    extra.push_back(own);
  }
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const auto& p : listAll(ctx, kProjects, filteredQuery(ctx, req, projectSchema(), extra)))
    out->add(projectJson(p));
  res.sendJson(out, 200);
}

void createProject(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  requireUser(who);
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto team = teamField(ctx, *in, errors, true);
  // The permission as soon as the team is known, before the other fields' errors.
  if (team) requireTeamLevel(ctx, who, *team, Level::W);
  const auto name = charField(*in, "name", errors, true, kNameLength);
  errors.throwIfAny();
  if (ctx.entities->find(kProjectNames, nameKeyId(*team, *name))) notUnique();
  const int64_t pk = ctx.entities->nextSequence(kProjects);
  Poco::JSON::Object::Ptr body = ordered();
  body->set("pk", pk);
  body->set("name", *name);
  body->set("team", *team);
  body->set("creator", who.pk);
  body->set("creation_time", nowIso());
  body->set("deletion_time", Poco::Dynamic::Var());
  try {
    const auto written = ctx.entities->apply(EntityBatch()
                                                 .create(kProjectNames, nameKeyId(*team, *name), keyBody(pk))
                                                 .create(kProjects, pkId(pk), body));
    res.sendJson(projectJson(written[1]), 201);
  } catch (const Conflict& e) {
    if (failedAt(e, 0)) notUnique();
    throw;
  }
}

void getProject(Context& ctx, Request& req, Response& res) {
  const Entity project = getRecord(ctx, kProjects, projectPkOf(req));
  requireTeamLevel(ctx, caller(ctx, req), intField(*project.body, "team"), Level::R);
  res.sendJson(projectJson(project), 200);
}

void updateProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  const Caller who = caller(ctx, req);
  requireTeamLevel(ctx, who, intField(*getRecord(ctx, kProjects, pk).body, "team"), Level::W);
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto name = charField(*in, "name", errors, isPut(req), kNameLength);
  const auto team = teamField(ctx, *in, errors, isPut(req));
  errors.throwIfAny();
  // Moving a project needs W on the team it goes to as well (UFDL checks only the current one).
  if (team) requireTeamLevel(ctx, who, *team, Level::W);
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Entity project = getRecord(ctx, kProjects, pk);
    const std::string oldName = project.body->optValue<std::string>("name", "");
    const int64_t oldTeam = intField(*project.body, "team");
    const std::string newName = name.value_or(oldName);
    const int64_t newTeam = team.value_or(oldTeam);
    if (newName == oldName && newTeam == oldTeam) {
      res.sendJson(projectJson(project), 200);
      return;
    }
    Poco::JSON::Object::Ptr body = copyOf(project.body);
    body->set("name", newName);
    body->set("team", newTeam);
    EntityBatch batch;
    batch.operations.push_back(updateOp(kProjects, project, body));
    if (isActive(project)) {
      batch.create(kProjectNames, nameKeyId(newTeam, newName), keyBody(pk));
      const std::string oldKey = nameKeyId(oldTeam, oldName);
      auto key = ctx.entities->find(kProjectNames, oldKey);
      if (key && intField(*key->body, "pk") == pk) batch.remove(kProjectNames, oldKey, key->etag);
    }
    try {
      res.sendJson(projectJson(ctx.entities->apply(batch)[0]), 200);
      return;
    } catch (const Conflict& e) {
      if (failedAt(e, 1)) notUnique();
      throw;
    } catch (const PreconditionFailed&) {
      // changed meanwhile: read again
    } catch (const NotFound&) {
      // the old key went meanwhile: read again
    }
  }
  throw ServiceUnavailable("ufdl", "the project is changing too often to change it now; try again");
}

// Soft-deletes one dataset (if still active) and frees its (name, version, project) key.
void softDeleteDataset(const Context& ctx, const Entity& dataset, const std::string& when) {
  const int64_t pk = intField(*dataset.body, "pk");
  try {
    changeDataset(ctx, pk, [&](const Entity& d, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
      if (!isActive(d)) return nullptr;
      Poco::JSON::Object::Ptr body = copyOf(d.body);
      body->set("deletion_time", when);
      removeDatasetKey(ctx, *d.body, batch);
      return body;
    });
  } catch (const NotFound&) {
    // hard-deleted meanwhile
  }
}

// Soft-deletes the project (if active) and frees its key, then its active datasets. Returns
// the project as written.
Entity softDeleteProject(Context& ctx, int64_t pk) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Entity project = getRecord(ctx, kProjects, pk);
    if (!isActive(project)) return project;
    const std::string when = nowIso();
    Poco::JSON::Object::Ptr body = copyOf(project.body);
    body->set("deletion_time", when);
    EntityBatch batch;
    batch.operations.push_back(updateOp(kProjects, project, body));
    const std::string keyId =
        nameKeyId(intField(*project.body, "team"), project.body->optValue<std::string>("name", ""));
    auto key = ctx.entities->find(kProjectNames, keyId);
    if (key && intField(*key->body, "pk") == pk) batch.remove(kProjectNames, keyId, key->etag);
    Entity written;
    try {
      written = ctx.entities->apply(batch)[0];
    } catch (const PreconditionFailed&) {
      continue;
    } catch (const NotFound&) {
      continue;
    }
    EntityQuery q;
    q.filters.push_back({"project", EntityFilter::Op::Eq, pk});
    q.filters.push_back({"deletion_time", EntityFilter::Op::IsNull, {}});
    for (const auto& d : listAll(ctx, kDatasets, q)) softDeleteDataset(ctx, d, when);
    return written;
  }
  throw ServiceUnavailable("ufdl", "the project is changing too often to change it now; try again");
}

void deleteProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  requireTeamLevel(ctx, caller(ctx, req), intField(*getRecord(ctx, kProjects, pk).body, "team"), Level::W);
  softDeleteProject(ctx, pk);
  res.sendEmpty(204);
}

void hardDeleteProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  getRecord(ctx, kProjects, pk);
  requireStaff(caller(ctx, req));
  EntityQuery datasets;
  datasets.filters.push_back({"project", EntityFilter::Op::Eq, pk});
  datasets.limit = 1;
  if (!ctx.entities->list(kDatasets, datasets).items.empty())
    throw BadRequest("ufdl", "Cannot hard-delete project " + std::to_string(pk) +
                                 ": it still has datasets (hard-delete them first)");
  const Entity project = softDeleteProject(ctx, pk);
  try {
    ctx.entities->remove(kProjects, pkId(pk), "");
  } catch (const NotFound&) {
    // removed meanwhile by a concurrent hard delete
  }
  res.sendJson(projectJson(project), 200);
}

void reinstateProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  getRecord(ctx, kProjects, pk);
  requireStaff(caller(ctx, req));
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Entity project = getRecord(ctx, kProjects, pk);
    if (isActive(project)) {
      res.sendJson(projectJson(project), 200);
      return;
    }
    Poco::JSON::Object::Ptr body = copyOf(project.body);
    body->set("deletion_time", Poco::Dynamic::Var());
    EntityBatch batch;
    batch.operations.push_back(updateOp(kProjects, project, body));
    batch.create(kProjectNames,
                 nameKeyId(intField(*project.body, "team"), project.body->optValue<std::string>("name", "")),
                 keyBody(pk));
    try {
      res.sendJson(projectJson(ctx.entities->apply(batch)[0]), 200);
      return;
    } catch (const Conflict& e) {
      if (failedAt(e, 1)) notUnique();
      throw;
    } catch (const PreconditionFailed&) {
      // changed meanwhile: read again
    }
  }
  throw ServiceUnavailable("ufdl", "the project is changing too often to change it now; try again");
}

}  // namespace

void addProjectRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  const RouteOptions user = userOptions(ctx);
  auto add = [&](const char* method, const char* pattern, void (*fn)(Context&, Request&, Response&)) {
    routes.add(
        method, pattern, [c, fn](Request& q, Response& r) { fn(*c, q, r); }, user);
  };
  add("POST", "/v1/projects/list", listProjects);
  add("POST", "/v1/projects/create", createProject);
  add("GET", "/v1/projects/{pk}", getProject);
  add("PUT", "/v1/projects/{pk}", updateProject);
  add("PATCH", "/v1/projects/{pk}", updateProject);
  add("DELETE", "/v1/projects/{pk}", deleteProject);
  add("DELETE", "/v1/projects/{pk}/hard", hardDeleteProject);
  add("DELETE", "/v1/projects/{pk}/reinstate", reinstateProject);
}

}  // namespace strata::ufdl
