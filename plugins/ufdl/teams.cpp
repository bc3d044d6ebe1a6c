// Teams and memberships (§1.7): POST /v1/teams/list|create, GET|PUT|PATCH|DELETE
// /v1/teams/{pk}, PATCH /v1/teams/{pk}/memberships, GET /v1/teams/{pk}/permissions/{username},
// DELETE /v1/teams/{pk}/hard|reinstate. A team is a kTeams record; its active name is a
// kTeamNames key entity written in the same batch, so two active teams never share a name. A
// membership is the kMemberships record pkId(team)/pkId(user), soft-deleted on removal and
// revived on re-adding.
#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include "accounts.h"
#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl {

using namespace accounts;

namespace {

constexpr std::size_t kNameLength = 200;
constexpr const char* kNameTaken = "team with this name already exists.";

// The team's memberships (active ones only unless `all`), in user pk order.
std::vector<Entity> memberships(const Context& ctx, int64_t team, bool all = false) {
  EntityQuery q;
  q.idPrefix = childPrefix(team);
  if (!all) q.filters.push_back(activeOnly());
  return listAll(ctx, kMemberships, q);
}

std::string usernameOf(const Context& ctx, int64_t userPk) {
  auto u = ctx.entities->find(kUsers, pkId(userPk));
  return u ? u->body->optValue<std::string>("username", "") : "";
}

Poco::JSON::Object::Ptr teamJson(const Context& ctx, const Entity& team, const std::vector<Entity>& members) {
  const Poco::JSON::Object& b = *team.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("pk", intField(b, "pk"));
  o->set("name", field(b, "name"));
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const auto& m : members) {
    const int64_t user = intField(*m.body, "user");
    Poco::JSON::Object::Ptr u = ordered();
    u->set("pk", user);
    u->set("username", usernameOf(ctx, user));
    list->add(u);
  }
  o->set("members", list);
  copyCreated(*o, b);
  return o;
}

Poco::JSON::Object::Ptr teamJson(const Context& ctx, const Entity& team) {
  return teamJson(ctx, team, memberships(ctx, intField(*team.body, "pk")));
}

Poco::JSON::Object::Ptr membershipJson(const Entity& m) {
  const Poco::JSON::Object& b = *m.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("user", intField(b, "user"));
  o->set("team", intField(b, "team"));
  o->set("permissions", field(b, "permissions"));
  copyCreated(*o, b);
  return o;
}

[[noreturn]] void nameTaken() { throwFieldError("name", kNameTaken); }

const KeyedKind kTeam{kTeams, kTeamNames, "team", nameTaken};
// A team's key id: its name.
std::string nameKeyOf(const Poco::JSON::Object& team) { return team.optValue<std::string>("name", ""); }

int64_t teamPkOf(const Request& req) { return parsePk(req.param("pk")); }

// ---- routes

void listTeams(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  requireUser(who);
  std::vector<EntityCondition> extra;
  if (!who.staff) extra.push_back(inTeamsOf(ctx, who, "pk"));
  sendList(
      ctx, req, res, kTeams, teamSchema(), [&](const Entity& t) { return teamJson(ctx, t); }, extra);
}

void createTeam(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  requireStaff(who);
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto name = charField(*in, "name", errors, true, kNameLength);
  errors.throwIfAny();
  if (ctx.entities->find(kTeamNames, *name)) nameTaken();
  const int64_t pk = ctx.entities->nextSequence(kTeams);
  Poco::JSON::Object::Ptr body = ordered();
  body->set("pk", pk);
  body->set("name", *name);
  setCreated(*body, who.pk);
  res.sendJson(teamJson(ctx, createWithKey(ctx, kTeam, pk, body, *name), {}), 201);
}

void getTeam(Context& ctx, Request& req, Response& res) {
  const Entity team = getRecord(ctx, kTeams, teamPkOf(req));
  requireTeamLevel(ctx, caller(ctx, req), intField(*team.body, "pk"), Level::R);
  res.sendJson(teamJson(ctx, team), 200);
}

void updateTeam(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  getRecord(ctx, kTeams, pk);
  requireTeamLevel(ctx, caller(ctx, req), pk, Level::A);
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto name = charField(*in, "name", errors, isPut(req), kNameLength);
  errors.throwIfAny();
  const Entity written = retryOnConflict(tooBusy("team"), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity team = getRecord(ctx, kTeams, pk);
    const std::string old = nameKeyOf(*team.body);
    if (!name || *name == old) return team;
    Poco::JSON::Object::Ptr body = copyOf(*team.body);
    body->set("name", *name);
    return writeWithKey(ctx, kTeam, team, body, old, *name);
  });
  res.sendJson(teamJson(ctx, written), 200);
}

// Soft-deletes the team (if active) and its active memberships, and frees its name. Returns
// the team as written.
Entity softDeleteTeam(Context& ctx, int64_t pk) {
  return softDelete(ctx, kTeam, pk, nameKeyOf, [&](const std::string& when) {
    // The cascade: memberships deleted at the team's deletion time (reinstate revives those).
    std::vector<EntityOperation> ops;
    for (const auto& m : memberships(ctx, pk)) {
      Poco::JSON::Object::Ptr mb = copyOf(*m.body);
      mb->set("deletion_time", when);
      ops.push_back(updateOp(kMemberships, m, mb));
      ops.back().ifMatch.clear();
    }
    applyInChunks(ctx, ops);
  });
}

void deleteTeam(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  getRecord(ctx, kTeams, pk);
  requireTeamLevel(ctx, caller(ctx, req), pk, Level::A);
  softDeleteTeam(ctx, pk);
  res.sendEmpty(204);
}

void hardDeleteTeam(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  getRecord(ctx, kTeams, pk);
  requireStaff(caller(ctx, req));
  requireNoChildren(ctx, "team", pk, kProjects, "team", "projects");
  // The answer: the team as it was, members included, soft-deleted first as UFDL does.
  const std::vector<Entity> members = memberships(ctx, pk);
  const Entity team = softDeleteTeam(ctx, pk);
  Poco::JSON::Object::Ptr answer = teamJson(ctx, team, members);
  std::vector<EntityOperation> ops;
  for (const auto& m : memberships(ctx, pk, true)) {
    EntityOperation op;
    op.kind = EntityOperation::Kind::Remove;
    op.collection = kMemberships;
    op.id = m.id;
    ops.push_back(op);
  }
  applyInChunks(ctx, ops);
  removeRecord(ctx, kTeams, pk);
  res.sendJson(answer, 200);
}

void reinstateTeam(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  getRecord(ctx, kTeams, pk);
  requireStaff(caller(ctx, req));
  const Entity team = reinstate(ctx, kTeam, pk, nameKeyOf, [&](const Entity& t, EntityBatch& batch) {
    // Revive the memberships that the team's deletion took with it.
    const std::string when = t.body->optValue<std::string>("deletion_time", "");
    for (const auto& m : memberships(ctx, pk, true)) {
      if (m.body->optValue<std::string>("deletion_time", "") != when) continue;
      Poco::JSON::Object::Ptr mb = copyOf(*m.body);
      mb->set("deletion_time", Poco::Dynamic::Var());
      batch.operations.push_back(updateOp(kMemberships, m, mb));
    }
  });
  res.sendJson(teamJson(ctx, team), 200);
}

// The user a memberships/permissions request names: BadName if missing or inactive.
Entity namedUser(const Context& ctx, const std::string& username) {
  auto user = findOrMakeUser(ctx, username);
  if (!user) throwBadName(username, "No user with this username exists");
  if (!user->body->optValue<bool>("is_active", true)) throwBadName(username, "This user is no longer active");
  return *user;
}

void changeMembership(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  const Entity team0 = getRecord(ctx, kTeams, pk);
  const Caller who = caller(ctx, req);
  requireTeamLevel(ctx, who, pk, Level::A);
  const auto in = jsonBody(ctx, req);
  // ufdl-json-messages' ModifyMembershipSpec: strict.
  requireOnlyKeys(*in, {"username", "method", "permissions"});
  if (!in->has("username") || !in->get("username").isString()) throwBadSpec("'username' must be a string");
  if (!in->has("method") || !in->get("method").isString()) throwBadSpec("'method' must be a string");
  const std::string username = in->getValue<std::string>("username");
  const std::string method = in->getValue<std::string>("method");
  if (method != "add" && method != "remove" && method != "update")
    throwBadSpec("'method' must be one of \"add\", \"remove\", \"update\"");
  Level level = Level::R;
  if (in->has("permissions")) {
    const auto v = in->get("permissions");
    const auto parsed = v.isString() ? parseLevel(v.toString()) : std::nullopt;
    if (!parsed) throwBadSpec("'permissions' must be one of \"R\", \"X\", \"W\", \"A\"");
    level = *parsed;
  }
  const Entity user = namedUser(ctx, username);
  const int64_t userPk = intField(*user.body, "pk");
  const std::string teamName = team0.body->optValue<std::string>("name", "");
  const std::string id = membershipId(pk, userPk);
  const Entity written =
      retryOnConflict(tooBusy("membership"), kChangeAttempts, [&]() -> std::optional<Entity> {
        auto m = ctx.entities->find(kMemberships, id);
        const bool member = m && isActive(*m);
        try {
          if (method == "add") {
            if (member) throwBadName(username, "This user is already a member of team " + teamName);
            Poco::JSON::Object::Ptr body = ordered();
            body->set("user", userPk);
            body->set("team", pk);
            body->set("permissions", levelText(level));
            setCreated(*body, who.pk);
            return m ? ctx.entities->update(kMemberships, id, body, m->etag)
                     : ctx.entities->create(kMemberships, id, body);
          }
          if (!member) throwBadName(username, "This user is not a member of team " + teamName);
          Poco::JSON::Object::Ptr body = copyOf(*m->body);
          if (method == "remove")
            body->set("deletion_time", nowIso());
          else
            body->set("permissions", levelText(level));
          return ctx.entities->update(kMemberships, id, body, m->etag);
        } catch (const Conflict&) {
          return std::nullopt;  // added meanwhile: read again
        } catch (const PreconditionFailed&) {
          return std::nullopt;  // changed meanwhile: read again
        }
      });
  res.sendJson(membershipJson(written), 200);
}

void teamPermissions(Context& ctx, Request& req, Response& res) {
  const int64_t pk = teamPkOf(req);
  const Entity team = getRecord(ctx, kTeams, pk);
  requireTeamLevel(ctx, caller(ctx, req), pk, Level::A);
  const std::string username = req.param("username");
  const Entity user = namedUser(ctx, username);
  const Level level = teamLevel(ctx, pk, intField(*user.body, "pk"));
  if (level == Level::None)
    throwBadName(username,
                 "This user is not a member of team " + team.body->optValue<std::string>("name", ""));
  res.sendJson(Poco::Dynamic::Var(std::string(levelText(level))), 200);
}

}  // namespace

void addTeamRoutes(RouteRegistry& routes, Context& ctx) {
  addRoutes(routes, ctx, userOptions(ctx),
            {
                {"POST", "/v1/teams/list", listTeams},
                {"POST", "/v1/teams/create", createTeam},
                {"GET", "/v1/teams/{pk}", getTeam},
                {"PUT", "/v1/teams/{pk}", updateTeam},
                {"PATCH", "/v1/teams/{pk}", updateTeam},
                {"DELETE", "/v1/teams/{pk}", deleteTeam},
                {"PATCH", "/v1/teams/{pk}/memberships", changeMembership},
                {"GET", "/v1/teams/{pk}/permissions/{username}", teamPermissions},
                {"DELETE", "/v1/teams/{pk}/hard", hardDeleteTeam},
                {"DELETE", "/v1/teams/{pk}/reinstate", reinstateTeam},
            });
}

}  // namespace strata::ufdl
