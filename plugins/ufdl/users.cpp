// Users (§1.7): POST /v1/users/list|create, GET|PUT|PATCH|DELETE /v1/users/{pk}, GET
// /v1/users/{username}. A path segment of digits only is a pk, anything else a username. A
// user is a kUsers record; its username is a kUsernames key entity written in the same batch,
// so that usernames stay unique, and the core authenticates it (Basic, Bearer, obtain) through
// the plugin's user directory. Passwords are stored as hashPassword hashes and never shown.
// Users of the server's users file get a record on first use (no password of their own):
// their username and password stay the users file's.
#include <Poco/JSON/Array.h>
#include <Poco/RegularExpression.h>
#include <strata/auth.h>
#include <strata/errors.h>

#include "accounts.h"
#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl {

using namespace accounts;

namespace {

constexpr const char* kUsernameTaken = "A user with that username already exists.";
constexpr const char* kBadUsername =
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
constexpr const char* kUsersFileUser = "This user is managed by the server's users file.";

Poco::JSON::Object::Ptr userJson(const Entity& e) {
  const Poco::JSON::Object& b = *e.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("username", field(b, "username"));
  o->set("pk", intField(b, "pk"));
  o->set("last_login", field(b, "last_login"));
  o->set("is_superuser", b.optValue<bool>("is_superuser", false));
  o->set("first_name", b.optValue<std::string>("first_name", ""));
  o->set("last_name", b.optValue<std::string>("last_name", ""));
  o->set("email", b.optValue<std::string>("email", ""));
  o->set("is_staff", b.optValue<bool>("is_staff", false));
  o->set("is_active", b.optValue<bool>("is_active", true));
  o->set("date_joined", field(b, "date_joined"));
  return o;
}

// A record made by ensureUserRecord for a users-file user: no password hash of its own.
bool fromUsersFile(const Entity& user) { return user.body->optValue<std::string>("password", "").empty(); }

Poco::JSON::Object::Ptr keyBody(int64_t pk) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("pk", pk);
  return o;
}

[[noreturn]] void usernameTaken() {
  FieldErrors errors;
  errors.add("username", kUsernameTaken);
  errors.throwIfAny();
  throw BadRequest(kUsernameTaken);  // not reached
}

// Django's ASCII-or-Unicode username rule: word characters and @ . + - _, at most 150.
std::optional<std::string> usernameField(const Context& ctx, const Poco::JSON::Object& in,
                                         FieldErrors& errors, bool required) {
  auto name = charField(in, "username", errors, required, 150);
  if (!name) return std::nullopt;
  static const Poco::RegularExpression valid("^[\\w.@+-]+$", Poco::RegularExpression::RE_UTF8);
  if (!valid.match(*name)) {
    errors.add("username", kBadUsername);
    return std::nullopt;
  }
  (void)ctx;
  return name;
}

// Django's EmailValidator, simplified: one @, a non-empty local part, a dotted domain, no spaces.
bool validEmail(const std::string& s) {
  static const Poco::RegularExpression re("^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$");
  return re.match(s);
}

// The writable fields of a create or update body, decoded into `body` (a user record).
// `put`/`create`: every required field must be there.
void decodeUser(const Context& ctx, const Poco::JSON::Object& in, Poco::JSON::Object& body, bool requireAll,
                FieldErrors& errors, std::optional<std::string>& username,
                std::optional<std::string>& password) {
  username = usernameField(ctx, in, errors, requireAll);
  password = charField(in, "password", errors, requireAll, 128);
  for (const char* name : {"first_name", "last_name"}) {
    if (auto v = charField(in, name, errors, false, 150, true)) body.set(name, *v);
  }
  if (auto v = charField(in, "email", errors, false, 254, true)) {
    if (!v->empty() && !validEmail(*v))
      errors.add("email", "Enter a valid email address.");
    else
      body.set("email", *v);
  }
  for (const char* name : {"is_staff", "is_active", "is_superuser"}) {
    if (auto v = boolField(in, name, errors)) body.set(name, *v);
  }
}

// The record a path segment names: digits are a pk, anything else a username (a users-file
// user who has not called yet gets the record now). NotFound otherwise.
Entity userOf(const Context& ctx, const std::string& segment) {
  if (!segment.empty() && segment.find_first_not_of("0123456789") == std::string::npos)
    return getRecord(ctx, kUsers, segment);
  if (auto user = findUserByName(ctx, segment)) return *user;
  if (ctx.auth->hasUser(segment)) {
    Principal p;
    p.name = segment;
    return ensureUserRecord(ctx, p);
  }
  throw NotFound(kNotFoundDetail);
}

// ---- routes

void listUsers(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const auto& u : listAll(ctx, kUsers, filteredQuery(ctx, req, userSchema()))) out->add(userJson(u));
  res.sendJson(out, 200);
}

void createUser(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  Poco::JSON::Object::Ptr body = ordered();
  body->set("pk", 0);
  body->set("username", "");
  body->set("password", "");
  body->set("first_name", "");
  body->set("last_name", "");
  body->set("email", "");
  body->set("is_staff", false);
  body->set("is_superuser", false);
  body->set("is_active", true);
  body->set("last_login", Poco::Dynamic::Var());
  body->set("date_joined", nowIso());
  FieldErrors errors;
  std::optional<std::string> username, password;
  decodeUser(ctx, *in, *body, true, errors, username, password);
  errors.throwIfAny();
  if (ctx.entities->find(kUsernames, *username) || ctx.auth->hasUser(*username)) usernameTaken();
  const int64_t pk = ctx.entities->nextSequence(kUsers);
  body->set("pk", pk);
  body->set("username", *username);
  body->set("password", hashPassword(*password, ctx.passwordIterations));
  try {
    const auto written = ctx.entities->apply(
        EntityBatch().create(kUsernames, *username, keyBody(pk)).create(kUsers, pkId(pk), body));
    res.sendJson(userJson(written[1]), 201);
  } catch (const Conflict& e) {
    if (failedAt(e, 0)) usernameTaken();
    throw;
  }
}

void getUser(Context& ctx, Request& req, Response& res) {
  const Entity user = userOf(ctx, req.param("pk"));
  const Caller who = caller(ctx, req);
  requireUser(who);
  if (!who.staff && who.pk != intField(*user.body, "pk")) throw Forbidden(kForbiddenDetail);
  res.sendJson(userJson(user), 200);
}

void updateUser(Context& ctx, Request& req, Response& res) {
  const Entity found = userOf(ctx, req.param("pk"));
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  const int64_t pk = intField(*found.body, "pk");
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Entity user = getRecord(ctx, kUsers, pk);
    Poco::JSON::Object::Ptr body = copyOf(user.body);
    FieldErrors errors;
    std::optional<std::string> username, password;
    decodeUser(ctx, *in, *body, isPut(req), errors, username, password);
    const std::string old = user.body->optValue<std::string>("username", "");
    const bool rename = username && *username != old;
    if (fromUsersFile(user)) {
      if (rename) errors.add("username", kUsersFileUser);
      if (password) errors.add("password", kUsersFileUser);
    }
    errors.throwIfAny();
    if (rename && ctx.auth->hasUser(*username)) usernameTaken();
    if (password) body->set("password", hashPassword(*password, ctx.passwordIterations));
    EntityBatch batch;
    batch.operations.push_back(updateOp(kUsers, user, body));
    if (rename) {
      body->set("username", *username);
      batch.create(kUsernames, *username, keyBody(pk));
      batch.remove(kUsernames, old);
    }
    try {
      res.sendJson(userJson(ctx.entities->apply(batch)[0]), 200);
      return;
    } catch (const Conflict& e) {
      if (failedAt(e, 1)) usernameTaken();
      throw;
    } catch (const PreconditionFailed&) {
      // changed meanwhile: read again
    } catch (const NotFound&) {
      // renamed meanwhile: read again
    }
  }
  throw ServiceUnavailable("ufdl", "the user is changing too often to change it now; try again");
}

// Deactivates the user (is_active false): their tokens and passwords stop working.
void deleteUser(Context& ctx, Request& req, Response& res) {
  const int64_t pk = intField(*userOf(ctx, req.param("pk")).body, "pk");
  requireStaff(caller(ctx, req));
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Entity user = getRecord(ctx, kUsers, pk);
    Poco::JSON::Object::Ptr body = copyOf(user.body);
    body->set("is_active", false);
    try {
      ctx.entities->update(kUsers, user.id, body, user.etag);
      res.sendEmpty(204);
      return;
    } catch (const PreconditionFailed&) {
      // changed meanwhile: read again
    }
  }
  throw ServiceUnavailable("ufdl", "the user is changing too often to change it now; try again");
}

}  // namespace

void addUserRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  const RouteOptions user = userOptions(ctx);
  auto add = [&](const char* method, const char* pattern, void (*fn)(Context&, Request&, Response&)) {
    routes.add(
        method, pattern, [c, fn](Request& q, Response& r) { fn(*c, q, r); }, user);
  };
  add("POST", "/v1/users/list", listUsers);
  add("POST", "/v1/users/create", createUser);
  // {pk}: a pk if digits only, else a username (GET /v1/users/{username}).
  add("GET", "/v1/users/{pk}", getUser);
  add("PUT", "/v1/users/{pk}", updateUser);
  add("PATCH", "/v1/users/{pk}", updateUser);
  add("DELETE", "/v1/users/{pk}", deleteUser);
}

}  // namespace strata::ufdl
