// JWT login (§1.8), as djangorestframework-simplejwt answers it: POST /v1/auth/obtain
// {"username","password"} -> {"refresh","access"}, POST /v1/auth/refresh {"refresh"} ->
// {"access"} (refresh tokens are not rotated), POST /v1/auth/verify {"token"} -> {}. Tokens are
// the core's (HS256, signed with auth.jwtSecret) with the claims `jtt` (type) and `upk` (the
// UFDL user's pk); the core checks them as Bearer credentials and refuses refresh tokens there.
#include <Poco/JSON/Object.h>
#include <strata/errors.h>

#include "accounts.h"
#include "ufdl_common.h"

namespace strata::ufdl {

using namespace accounts;

namespace {

constexpr const char* kNoAccount = "No active account found with the given credentials";
constexpr const char* kInvalidToken = "Token is invalid or expired";
constexpr const char* kWrongType = "Token has wrong type";
constexpr std::size_t kTokenLength = 16384;

// Sets the user's last_login (a lost race with another write only loses this stamp).
void stampLogin(const Context& ctx, const Entity& user) {
  Entity current = user;
  for (int attempt = 0; attempt < 4; ++attempt) {
    Poco::JSON::Object::Ptr body = copyOf(*current.body);
    body->set("last_login", nowIso());
    try {
      ctx.entities->update(kUsers, current.id, body, current.etag);
      return;
    } catch (const PreconditionFailed&) {
      auto again = ctx.entities->find(kUsers, current.id);
      if (!again) return;
      current = *again;
    }
  }
}

void obtain(Context& ctx, Request& req, Response& res) {
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto username = charField(*in, "username", errors, true, 150);
  const auto password = charField(*in, "password", errors, true, 4096);
  errors.throwIfAny();
  const auto principal = ctx.auth->checkPassword(*username, *password);
  if (!principal) throw Unauthorized("ufdl", kNoAccount);
  const Entity user = ensureUserRecord(ctx, *principal);
  if (!user.body->optValue<bool>("is_active", true)) throw Unauthorized("ufdl", kNoAccount);
  const int64_t pk = intField(*user.body, "pk");
  stampLogin(ctx, user);
  Poco::JSON::Object::Ptr out = ordered();
  out->set("refresh", ctx.auth->issueToken(*principal, "refresh", {{"upk", pk}}, ctx.refreshTokenSeconds));
  out->set("access",
           ctx.auth->issueToken(*principal, kAccessTokenType, {{"upk", pk}}, ctx.accessTokenSeconds));
  res.sendJson(out, 200);
}

// The claims of a token named by a body field; 401 token_not_valid if it does not verify.
TokenClaims verified(const Context& ctx, const std::string& token) {
  try {
    return ctx.auth->verifyToken(token);
  } catch (const Unauthorized&) {
    throw Unauthorized("token_not_valid", kInvalidToken);
  }
}

void refresh(Context& ctx, Request& req, Response& res) {
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto token = charField(*in, "refresh", errors, true, kTokenLength);
  errors.throwIfAny();
  const TokenClaims claims = verified(ctx, *token);
  if (claims.type != "refresh") throw Unauthorized("token_not_valid", kWrongType);
  Principal p;
  p.name = claims.subject;
  p.via = Principal::Via::Bearer;
  Claims extra;
  auto upk = claims.extra.find("upk");
  if (upk != claims.extra.end()) extra["upk"] = upk->second;
  Poco::JSON::Object::Ptr out = ordered();
  out->set("access", ctx.auth->issueToken(p, kAccessTokenType, extra, ctx.accessTokenSeconds));
  res.sendJson(out, 200);
}

void verify(Context& ctx, Request& req, Response& res) {
  const auto in = jsonBody(ctx, req);
  FieldErrors errors;
  const auto token = charField(*in, "token", errors, true, kTokenLength);
  errors.throwIfAny();
  verified(ctx, *token);
  res.sendJson(Poco::JSON::Object::Ptr(new Poco::JSON::Object), 200);
}

}  // namespace

void addAuthRoutes(RouteRegistry& routes, Context& ctx) {
  addRoutes(routes, ctx, publicOptions(ctx),
            {
                {"POST", "/v1/auth/obtain", obtain},
                {"POST", "/v1/auth/refresh", refresh},
                {"POST", "/v1/auth/verify", verify},
            });
}

}  // namespace strata::ufdl
