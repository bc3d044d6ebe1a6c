// ACLs of the domain (/acls[/{user}], kept on the root group) and of single objects
// (/{groups,datasets,datatypes}/{id}/acls[/{user}]).
#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include <optional>

#include "responses.h"
#include "routes.h"

namespace strata::hdf {

namespace {

using Poco::JSON::Array;

struct AclTarget {
  std::string id;
  std::string owner;  // "groups/<id>"
};

// The object whose ACLs a request is about: the root group for /acls, else {id} of its kind.
AclTarget aclTarget(Service& s, Scope& sc, const Request& req, std::optional<ObjectKind> kind) {
  if (!kind) return {sc.root(), "groups/" + sc.root()};
  const std::string& id = req.param("id");
  s.object(sc, id, *kind);
  return {id, std::string(collectionName(*kind)) + "/" + id};
}

const std::string& userOf(const Request& req) {
  const std::string& user = req.param("user");
  if (user.empty() || user.find('/') != std::string::npos)
    throw BadRequest("Bad Request: invalid user name '" + user + "'");
  return user;
}

Array::Ptr aclHrefs(const Scope& sc, const AclTarget& t, const std::string* user) {
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href(t.owner + "/acls" + (user ? "/" + encodeSegment(*user) : "")));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(*hrefs, "home", sc.hrefs.href(""));
  addHref(*hrefs, "owner", sc.hrefs.href(t.owner));
  return hrefs;
}

void getAcls(Service& s, Request& req, Response& res, std::optional<ObjectKind> kind) {
  Scope sc = s.open(req);
  const AclTarget t = aclTarget(s, sc, req, kind);
  s.require(sc, t.id, Perm::ReadAcl);
  Array::Ptr acls = new Array;
  if (s.acls() && !sc.isToc())
    for (const auto& [user, acl] : s.acls()->list(sc.container, t.id)) acls->add(acl.toJson(user));
  auto o = newObject();
  o->set("acls", acls);
  o->set("hrefs", aclHrefs(sc, t, nullptr));
  sendJson(req, res, o);
}

void getAcl(Service& s, Request& req, Response& res, std::optional<ObjectKind> kind) {
  Scope sc = s.open(req);
  const std::string& user = userOf(req);
  const AclTarget t = aclTarget(s, sc, req, kind);
  s.require(sc, t.id, Perm::ReadAcl);
  // h5serv: 404 "username does not exist" (asked only of those who may read the ACLs).
  if (!s.knownUser(user)) throw NotFound("username '" + user + "' does not exist");
  // The user's effective ACL on the object (their entry, else the default ones).
  Principal named;
  if (user != AclStore::kDefaultUser) named.name = user;
  Acl acl = s.unownedAcl(named, sc.container);
  if (s.acls() && !sc.isToc()) {
    if (auto entry = s.acls()->applicable(sc.container, t.id, sc.root(), named.name)) acl = *entry;
  }
  auto o = newObject();
  o->set("acl", acl.toJson(user));
  o->set("hrefs", aclHrefs(sc, t, &user));
  sendJson(req, res, o);
}

// The route is public (see addAclRoutes): as in h5serv, a malformed body is 400 before any
// credentials are asked for; then the core's admission of writes and the ACL check.
void putAcl(Service& s, Request& req, Response& res, std::optional<ObjectKind> kind) {
  Scope sc = s.open(req);
  const std::string& user = userOf(req);
  const AclTarget t = aclTarget(s, sc, req, kind);
  if (sc.isToc()) throw Forbidden("Forbidden: the TOC domain is read-only");
  if (!s.acls()) throw NotImplemented("ACLs are switched off on this server (plugins.hdf.acls = false)");
  auto body = s.body(req);
  AclStore::validate(*body);
  s.requireWriteAdmission(*sc.who);
  s.require(sc, t.id, Perm::UpdateAcl);
  // h5serv: 400 "username not found". Checked after the permission, so that only those who
  // may change the ACLs learn which users exist.
  if (!s.knownUser(user))
    throw BadRequest("Bad Request: username '" + user +
                     "' not found (an ACL entry is for 'default' or a user of this server)");
  s.acls()->set(sc.container, t.id, user, *body);
  auto o = newObject();
  o->set("hrefs", aclHrefs(sc, t, &user));
  sendJson(req, res, o, 201);
}

}  // namespace

void addAclRoutes(Service& s, RouteRegistry& routes) {
  std::vector<std::pair<std::string, std::optional<ObjectKind>>> bases = {
      {"", std::nullopt},
      {"/groups/{id}", ObjectKind::Group},
      {"/datasets/{id}", ObjectKind::Dataset},
      {"/datatypes/{id}", ObjectKind::Datatype}};
  for (const auto& [base, kind] : bases) {
    const auto k = kind;
    routes.add("GET", base + "/acls", [&s, k](Request& req, Response& res) { getAcls(s, req, res, k); });
    routes.add("GET", base + "/acls/{user}",
               [&s, k](Request& req, Response& res) { getAcl(s, req, res, k); });
    routes.add("PUT", base + "/acls/{user}", [&s, k](Request& req, Response& res) { putAcl(s, req, res, k); },
               {Access::Public});
    routes.add("PUT", base + "/acls",
               [](Request&, Response&) {
                 throw BadRequest("Bad Request: username not provided (PUT .../acls/<user>)");
               },
               {Access::Public});
  }
}

}  // namespace strata::hdf
