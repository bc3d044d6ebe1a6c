// Attributes of groups, datasets and committed datatypes:
// /{groups,datasets,datatypes}/{id}/attributes[/{name}].
#include <Poco/JSON/Array.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>

#include "responses.h"
#include "routes.h"
#include "values.h"

namespace strata::hdf {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

struct Target {
  ObjectKind kind;
  std::string id;
  std::string owner;  // "groups/<id>"
};

Target target(Service& s, Scope& sc, const Request& req, ObjectKind kind, Perm perm) {
  Target t{kind, req.param("id"), std::string(collectionName(kind)) + "/" + req.param("id")};
  s.object(sc, t.id, kind);
  s.require(sc, t.id, perm);
  return t;
}

Array::Ptr attributeHrefs(const Scope& sc, const Target& t, const std::string& self, bool home) {
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href(self));
  addHref(*hrefs, "owner", sc.hrefs.href(t.owner));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  if (home) addHref(*hrefs, "home", sc.hrefs.href(""));
  return hrefs;
}

void describe(const Scope& sc, Object& o, const AttributeInfo& a) {
  o.set("name", a.name);
  o.set("type", typeJson(*a.type, sc.hsds));
  o.set("shape", shapeJson(a.shape));
  o.set("created", timestamp(a.created, sc.hsds));
  o.set("lastModified", timestamp(a.created, sc.hsds));
}

void listAttributes(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Read);
  const std::string self = t.owner + "/attributes";
  Array::Ptr items = new Array;
  for (const auto& a : sc.store->listAttributes(sc.container, t.id, Service::page(req))) {
    auto o = newObject();
    describe(sc, *o, a);
    o->set("href", sc.hrefs.href(self + "/" + encodeSegment(a.name)));
    items->add(o);
  }
  auto o = newObject();
  o->set("attributes", items);
  o->set("hrefs", attributeHrefs(sc, t, self, true));
  sendJson(req, res, o);
}

// One attribute: name, type, shape, times and, when `withValue`, its value.
Object::Ptr attributeJson(Scope& sc, const Target& t, const AttributeInfo& a, bool withValue) {
  auto o = newObject();
  describe(sc, *o, a);
  if (!withValue) return o;
  if (a.shape.cls == ShapeClass::Null) {
    o->set("value", Var());
  } else {
    const std::string packed = sc.store->attributeValue(sc.container, t.id, a.name);
    std::size_t pos = 0;
    const std::vector<uint64_t> dims =
        a.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : a.shape.dims;
    o->set("value", arrays::decodeJson(*a.type, dims, packed.data(), packed.size(), pos));
  }
  return o;
}

void getAttribute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Read);
  const std::string& name = req.param("name");
  auto o = attributeJson(sc, t, sc.store->attribute(sc.container, t.id, name), true);
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes/" + encodeSegment(name), true));
  sendJson(req, res, o);
}

// An attribute to create, checked and encoded from its PUT body {"type", "shape", "value"}.
struct NewAttribute {
  AttributeInfo info;
  std::string packed;
};

NewAttribute newAttribute(Service& s, Scope& sc, const std::string& name, const Object& body) {
  if (!body.has("type")) throw BadRequest("Bad Request: Type not specified");
  NewAttribute n;
  AttributeInfo& a = n.info;
  a.name = name;
  a.shape = shapeFromJson(body);
  a.type = s.resolveType(sc, body.get("type"));
  if (a.shape.cls != ShapeClass::Null) {
    if (!body.has("value")) throw BadRequest("Bad Request: value not specified");
    const std::vector<uint64_t> dims =
        a.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : a.shape.dims;
    // Bounded before encoding: a small body may declare a huge type (a fixed string of 4 GiB).
    arrays::checkValueSize(*a.type, arrays::elementCount(dims), s.settings().maxAttributeBytes,
                           "attribute '" + name + "'");
    n.packed = encodeValue(*a.type, dims, body.get("value"));
  }
  return n;
}

void putAttribute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const std::string& name = req.param("name");
  const Target t = target(s, sc, req, kind, Perm::Create);
  auto body = s.body(req);
  const NewAttribute n = newAttribute(s, sc, name, *body);
  // HSDS's ?replace=1 overwrites; without it an existing attribute is a conflict (h5serv).
  sc.store->createAttribute(sc.container, t.id, n.info, n.packed, queryFlag(req, "replace"));
  auto o = newObject();
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes/" + encodeSegment(name), false));
  sendJson(req, res, o, 201);
}

// HSDS's batch read: POST .../attributes {"attr_names": [...]} answers {"attributes": [...]}
// in the order asked, with values when ?IncludeData=1 (as HSDS); a missing attribute is 404,
// a name asked twice 400.
void postAttributes(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Read);
  auto body = s.body(req);
  if (body->has("obj_ids"))
    throw BadRequest(
        "Bad Request: 'obj_ids' (attributes of several objects) is not supported; ask each object");
  const bool withValue = queryFlag(req, "IncludeData");
  Array::Ptr items = new Array;
  for (const auto& name : nameList(*body, "attr_names")) {
    auto o = attributeJson(sc, t, sc.store->attribute(sc.container, t.id, name), withValue);
    o->set("href", sc.hrefs.href(t.owner + "/attributes/" + encodeSegment(name)));
    items->add(o);
  }
  auto o = newObject();
  o->set("attributes", items);
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes", true));
  sendJson(req, res, o);
}

// HSDS's batch create: PUT .../attributes {"attributes": {name: {"type", "shape", "value"}}}.
// All are checked and encoded before any is written; without ?replace=1 an existing one is
// 409 and nothing is written.
void putAttributes(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Create);
  auto body = s.body(req);
  auto items = body->getObject("attributes");
  if (!items || items->size() == 0)
    throw BadRequest("Bad Request: 'attributes' must be a non-empty object {name: attribute}");
  const bool replace = queryFlag(req, "replace");
  std::vector<NewAttribute> all;
  for (const auto& name : items->getNames()) {
    auto item = items->getObject(name);
    if (!item) throw BadRequest("Bad Request: attribute '" + name + "' must be an object");
    all.push_back(newAttribute(s, sc, name, *item));
    arrays::checkAttribute(all.back().info, all.back().packed);
    if (replace) continue;
    try {
      sc.store->attribute(sc.container, t.id, name);
    } catch (const NotFound&) {
      continue;
    }
    throw Conflict("Attribute already exists: '" + name + "'");
  }
  for (const auto& n : all) sc.store->createAttribute(sc.container, t.id, n.info, n.packed, replace);
  auto o = newObject();
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes", true));
  sendJson(req, res, o, 201);
}

void deleteAttribute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Delete);
  sc.store->deleteAttribute(sc.container, t.id, req.param("name"));
  auto o = newObject();
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes", true));
  sendJson(req, res, o);
}

// HSDS's batch delete: DELETE .../attributes?attr_names=a/b. All must exist (404 deletes
// none); a name given twice is 400.
void deleteAttributes(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Delete);
  const auto names = queryNameList(req, "attr_names");
  for (const auto& name : names) sc.store->attribute(sc.container, t.id, name);
  for (const auto& name : names) sc.store->deleteAttribute(sc.container, t.id, name);
  auto o = newObject();
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes", true));
  sendJson(req, res, o);
}

}  // namespace

void addIncludedAttributes(Scope& sc, const Request& req, ObjectKind kind, const std::string& id,
                           Poco::JSON::Object& o) {
  if (!sc.hsds || !queryFlag(req, "include_attrs")) return;
  const Target t{kind, id, std::string(collectionName(kind)) + "/" + id};
  auto attrs = newObject();
  for (const auto& a : sc.store->listAttributes(sc.container, id, Page{}))
    attrs->set(a.name, attributeJson(sc, t, a, true));
  o.set("attributes", attrs);
}

void addAttributeRoutes(Service& s, RouteRegistry& routes) {
  for (ObjectKind kind : {ObjectKind::Group, ObjectKind::Dataset, ObjectKind::Datatype}) {
    const std::string base = std::string("/") + collectionName(kind) + "/{id}/attributes";
    routes.add("GET", base, [&s, kind](Request& req, Response& res) { listAttributes(s, req, res, kind); });
    // A read of several attributes (HSDS): as anonymous as a GET.
    routes.add("POST", base, [&s, kind](Request& req, Response& res) { postAttributes(s, req, res, kind); },
               {Access::Read});
    routes.add("PUT", base, [&s, kind](Request& req, Response& res) { putAttributes(s, req, res, kind); });
    routes.add("DELETE", base,
               [&s, kind](Request& req, Response& res) { deleteAttributes(s, req, res, kind); });
    routes.add("GET", base + "/{name}",
               [&s, kind](Request& req, Response& res) { getAttribute(s, req, res, kind); });
    routes.add("PUT", base + "/{name}",
               [&s, kind](Request& req, Response& res) { putAttribute(s, req, res, kind); });
    routes.add("DELETE", base + "/{name}",
               [&s, kind](Request& req, Response& res) { deleteAttribute(s, req, res, kind); });
  }
}

}  // namespace strata::hdf
