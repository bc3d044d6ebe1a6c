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
std::string nameKeyOf(const Poco::JSON::Object& project) {
  return nameKeyId(intField(project, "team"), project.optValue<std::string>("name", ""));
}

[[noreturn]] void notUnique() { throwFieldError("non_field_errors", kNotUnique); }

const KeyedKind kProject{kProjects, kProjectNames, "project", notUnique};

Poco::JSON::Object::Ptr projectJson(const Entity& e) {
  const Poco::JSON::Object& b = *e.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("pk", intField(b, "pk"));
  o->set("name", field(b, "name"));
  o->set("team", intField(b, "team"));
  copyCreated(*o, b);
  return o;
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
  if (!who.staff) extra.push_back(inTeamsOf(ctx, who, "team"));
  sendList(ctx, req, res, kProjects, projectSchema(), projectJson, extra);
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
  setCreated(*body, who.pk);
  res.sendJson(projectJson(createWithKey(ctx, kProject, pk, body, nameKeyId(*team, *name))), 201);
}

void getProject(Context& ctx, Request& req, Response& res) {
  const Entity project = getRecord(ctx, kProjects, projectPkOf(req));
  requireTeamLevel(ctx, caller(ctx, req), intField(*project.body, "team"), Level::R);
  res.sendJson(projectJson(project), 200);
}

void updateProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  const Caller who = caller(ctx, req);
  requireTeamLevel(ctx, who, projectTeam(ctx, pk), Level::W);
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto name = charField(*in, "name", errors, isPut(req), kNameLength);
  const auto team = teamField(ctx, *in, errors, isPut(req));
  errors.throwIfAny();
  // Moving a project needs W on the team it goes to as well (UFDL checks only the current one).
  if (team) requireTeamLevel(ctx, who, *team, Level::W);
  const Entity written = retryOnConflict(tooBusy("project"), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity project = getRecord(ctx, kProjects, pk);
    const std::string oldName = project.body->optValue<std::string>("name", "");
    const int64_t oldTeam = intField(*project.body, "team");
    const std::string newName = name.value_or(oldName);
    const int64_t newTeam = team.value_or(oldTeam);
    if (newName == oldName && newTeam == oldTeam) return project;
    Poco::JSON::Object::Ptr body = copyOf(*project.body);
    body->set("name", newName);
    body->set("team", newTeam);
    return writeWithKey(ctx, kProject, project, body, nameKeyId(oldTeam, oldName),
                        nameKeyId(newTeam, newName));
  });
  res.sendJson(projectJson(written), 200);
}

// Soft-deletes one dataset (if still active) and frees its (name, version, project) key.
void softDeleteDataset(const Context& ctx, const Entity& dataset, const std::string& when) {
  const int64_t pk = intField(*dataset.body, "pk");
  try {
    changeDataset(ctx, pk, [&](const Entity& d, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
      if (!isActive(d)) return nullptr;
      Poco::JSON::Object::Ptr body = copyOf(*d.body);
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
  return softDelete(ctx, kProject, pk, nameKeyOf, [&](const std::string& when) {
    EntityQuery q;
    q.filters.push_back({"project", EntityFilter::Op::Eq, pk});
    q.filters.push_back(activeOnly());
    for (const auto& d : listAll(ctx, kDatasets, q)) softDeleteDataset(ctx, d, when);
  });
}

void deleteProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  requireTeamLevel(ctx, caller(ctx, req), projectTeam(ctx, pk), Level::W);
  softDeleteProject(ctx, pk);
  res.sendEmpty(204);
}

void hardDeleteProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  getRecord(ctx, kProjects, pk);
  requireStaff(caller(ctx, req));
  requireNoChildren(ctx, "project", pk, kDatasets, "project", "datasets");
  const Entity project = softDeleteProject(ctx, pk);
  removeRecord(ctx, kProjects, pk);
  res.sendJson(projectJson(project), 200);
}

void reinstateProject(Context& ctx, Request& req, Response& res) {
  const int64_t pk = projectPkOf(req);
  getRecord(ctx, kProjects, pk);
  requireStaff(caller(ctx, req));
  res.sendJson(projectJson(reinstate(ctx, kProject, pk, nameKeyOf, [](const Entity&, EntityBatch&) {})), 200);
}

}  // namespace

void addProjectRoutes(RouteRegistry& routes, Context& ctx) {
  addRoutes(routes, ctx, userOptions(ctx),
            {
                {"POST", "/v1/projects/list", listProjects},
                {"POST", "/v1/projects/create", createProject},
                {"GET", "/v1/projects/{pk}", getProject},
                {"PUT", "/v1/projects/{pk}", updateProject},
                {"PATCH", "/v1/projects/{pk}", updateProject},
                {"DELETE", "/v1/projects/{pk}", deleteProject},
                {"DELETE", "/v1/projects/{pk}/hard", hardDeleteProject},
                {"DELETE", "/v1/projects/{pk}/reinstate", reinstateProject},
            });
}

}  // namespace strata::ufdl
