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

[[noreturn]] void usernameTaken() { throwFieldError("username", kUsernameTaken); }

const KeyedKind kUser{kUsers, kUsernames, "user", usernameTaken};

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
  if (auto user = findOrMakeUser(ctx, segment)) return *user;
  throw NotFound(kNotFoundDetail);
}

// ---- routes

void listUsers(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  sendList(ctx, req, res, kUsers, userSchema(), userJson);
}

void createUser(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  Poco::JSON::Object::Ptr body = newUserRecord(0, "", false);
  FieldErrors errors;
  std::optional<std::string> username, password;
  decodeUser(ctx, *in, *body, true, errors, username, password);
  errors.throwIfAny();
  if (ctx.entities->find(kUsernames, *username) || ctx.auth->hasUser(*username)) usernameTaken();
  const int64_t pk = ctx.entities->nextSequence(kUsers);
  body->set("pk", pk);
  body->set("username", *username);
  body->set("password", hashPassword(*password, ctx.passwordIterations));
  res.sendJson(userJson(createWithKey(ctx, kUser, pk, body, *username)), 201);
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
  const Entity written = retryOnConflict(tooBusy("user"), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity user = getRecord(ctx, kUsers, pk);
    Poco::JSON::Object::Ptr body = copyOf(*user.body);
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
    if (rename) body->set("username", *username);
    return writeWithKey(ctx, kUser, user, body, old, rename ? *username : old);
  });
  res.sendJson(userJson(written), 200);
}

// Deactivates the user (is_active false): their tokens and passwords stop working.
void deleteUser(Context& ctx, Request& req, Response& res) {
  const int64_t pk = intField(*userOf(ctx, req.param("pk")).body, "pk");
  requireStaff(caller(ctx, req));
  retryOnConflict(tooBusy("user"), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity user = getRecord(ctx, kUsers, pk);
    Poco::JSON::Object::Ptr body = copyOf(*user.body);
    body->set("is_active", false);
    try {
      return ctx.entities->update(kUsers, user.id, body, user.etag);
    } catch (const PreconditionFailed&) {
      return std::nullopt;  // changed meanwhile: read again
    }
  });
  res.sendEmpty(204);
}

}  // namespace

void addUserRoutes(RouteRegistry& routes, Context& ctx) {
  // {pk}: a pk if digits only, else a username (GET /v1/users/{username}).
  addRoutes(routes, ctx, userOptions(ctx),
            {
                {"POST", "/v1/users/list", listUsers},
                {"POST", "/v1/users/create", createUser},
                {"GET", "/v1/users/{pk}", getUser},
                {"PUT", "/v1/users/{pk}", updateUser},
                {"PATCH", "/v1/users/{pk}", updateUser},
                {"DELETE", "/v1/users/{pk}", deleteUser},
            });
}

}  // namespace strata::ufdl
