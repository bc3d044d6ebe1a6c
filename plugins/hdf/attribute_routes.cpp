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

void describe(Object& o, const AttributeInfo& a) {
  o.set("name", a.name);
  o.set("type", typeJson(*a.type));
  o.set("shape", shapeJson(a.shape));
  o.set("created", timestamp(a.created));
  o.set("lastModified", timestamp(a.created));
}

void listAttributes(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Read);
  const std::string self = t.owner + "/attributes";
  Array::Ptr items = new Array;
  for (const auto& a : sc.store->listAttributes(sc.container, t.id, Service::page(req))) {
    auto o = newObject();
    describe(*o, a);
    o->set("href", sc.hrefs.href(self + "/" + encodeSegment(a.name)));
    items->add(o);
  }
  auto o = newObject();
  o->set("attributes", items);
  o->set("hrefs", attributeHrefs(sc, t, self, true));
  sendJson(req, res, o);
}

void getAttribute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const Target t = target(s, sc, req, kind, Perm::Read);
  const std::string& name = req.param("name");
  const AttributeInfo a = sc.store->attribute(sc.container, t.id, name);
  auto o = newObject();
  describe(*o, a);
  if (a.shape.cls == ShapeClass::Null) {
    o->set("value", Var());
  } else {
    const std::string packed = sc.store->attributeValue(sc.container, t.id, name);
    std::size_t pos = 0;
    const std::vector<uint64_t> dims =
        a.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : a.shape.dims;
    o->set("value", arrays::decodeJson(*a.type, dims, packed.data(), packed.size(), pos));
  }
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes/" + encodeSegment(name), true));
  sendJson(req, res, o);
}

void putAttribute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const std::string& name = req.param("name");
  const Target t = target(s, sc, req, kind, Perm::Create);
  auto body = s.body(req);
  if (!body->has("type")) throw BadRequest("Bad Request: Type not specified");
  AttributeInfo a;
  a.name = name;
  a.shape = shapeFromJson(*body);
  a.type = s.resolveType(sc, body->get("type"));
  std::string packed;
  if (a.shape.cls != ShapeClass::Null) {
    if (!body->has("value")) throw BadRequest("Bad Request: value not specified");
    const std::vector<uint64_t> dims =
        a.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : a.shape.dims;
    // Bounded before encoding: a small body may declare a huge type (a fixed string of 4 GiB).
    arrays::checkValueSize(*a.type, arrays::elementCount(dims), s.settings().maxAttributeBytes,
                           "attribute '" + name + "'");
    packed = encodeValue(*a.type, dims, body->get("value"));
  }
  // HSDS's ?replace=1 overwrites; without it an existing attribute is a conflict (h5serv).
  sc.store->createAttribute(sc.container, t.id, a, packed, queryFlag(req, "replace"));
  auto o = newObject();
  o->set("hrefs", attributeHrefs(sc, t, t.owner + "/attributes/" + encodeSegment(name), false));
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

}  // namespace

void addAttributeRoutes(Service& s, RouteRegistry& routes) {
  for (ObjectKind kind : {ObjectKind::Group, ObjectKind::Dataset, ObjectKind::Datatype}) {
    const std::string base = std::string("/") + collectionName(kind) + "/{id}/attributes";
    routes.add("GET", base, [&s, kind](Request& req, Response& res) { listAttributes(s, req, res, kind); });
    routes.add("GET", base + "/{name}",
               [&s, kind](Request& req, Response& res) { getAttribute(s, req, res, kind); });
    routes.add("PUT", base + "/{name}",
               [&s, kind](Request& req, Response& res) { putAttribute(s, req, res, kind); });
    routes.add("DELETE", base + "/{name}",
               [&s, kind](Request& req, Response& res) { deleteAttribute(s, req, res, kind); });
  }
}

}  // namespace strata::hdf
