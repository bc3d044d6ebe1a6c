// The 2011 login: POST /auth/v1/session {"email","password"} gives 201 {"sessionToken"}, a
// signed token (the core's Bearer JWT) for a user of the users file, whose name is the email.
// Clients send it back as the `sessionToken` header (as 2011 clients do), the `access_token`
// query parameter or `Authorization: Bearer`. Tokens are stateless: DELETE /auth/v1/session
// answers 204 and the token stays valid until it expires (auth.tokenTtl).
#include <strata/errors.h>

#include "synapse_common.h"
#include "synapse_model.h"

namespace strata::synapse {

namespace {

constexpr uint64_t kMaxLoginBytes = 16 * 1024;

void login(Context& ctx, Request& req, Response& res) {
  const Poco::JSON::Object::Ptr in = readJsonBody(req, kMaxLoginBytes);
  checkKnownFields(*in, {"email", "password"}, "org.sagebionetworks.authutil.User");
  for (const char* field : {"email", "password"}) {
    if (!in->has(field) || in->get(field).isEmpty())
      throw BadRequest(std::string("'") + field + "' is a required property for User");
    if (!in->get(field).isString()) throw BadRequest(std::string("'") + field + "' must be a string");
  }
  const auto who =
      ctx.auth->checkPassword(in->getValue<std::string>("email"), in->getValue<std::string>("password"));
  if (!who) throw Unauthorized("Unable to authenticate: wrong email or password");
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("sessionToken", ctx.auth->issueToken(*who));
  res.sendJson(o, 201);
}

}  // namespace

void addSessionRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  RouteOptions open;
  open.access = Access::Public;
  open.maxBodyBytes = kMaxLoginBytes;
  routes.add(
      "POST", "/auth/v1/session", [c](Request& q, Response& r) { login(*c, q, r); }, open);
  RouteOptions logout = open;
  logout.tokenPlaces = ctx.tokenPlaces;
  routes.add(
      "DELETE", "/auth/v1/session", [](Request&, Response& r) { r.sendEmpty(204); }, logout);
}

}  // namespace strata::synapse
