// Response frames shared by the group, dataset and datatype routes.
#include "routes.h"

#include <strata/errors.h>

#include "hrefs.h"
#include "responses.h"

namespace strata::hdf {

using Poco::JSON::Array;

Array::Ptr collectionHrefs(const Scope& sc, const std::string& collection) {
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href(collection));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(*hrefs, "home", sc.hrefs.href(""));
  return hrefs;
}

void addObjectHrefs(Array& hrefs, const Scope& sc, ObjectKind kind, const std::string& id) {
  const std::string self = std::string(collectionName(kind)) + "/" + id;
  addHref(hrefs, "self", sc.hrefs.href(self));
  addHref(hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(hrefs, "attributes", sc.hrefs.href(self + "/attributes"));
}

void sendCreated(Request& req, Response& res, const Scope& sc, ObjectKind kind, const ObjectInfo& info,
                 const std::vector<std::pair<std::string, std::string>>& extraHrefs) {
  auto o = newObject();
  o->set("id", info.id);
  o->set("attributeCount", info.attributeCount);
  Array::Ptr hrefs = new Array;
  addObjectHrefs(*hrefs, sc, kind, info.id);
  for (const auto& [rel, href] : extraHrefs) addHref(*hrefs, rel, href);
  o->set("hrefs", hrefs);
  o->set("created", timestamp(info.created, sc.hsds));
  o->set("lastModified", timestamp(info.modified, sc.hsds));
  setLocation(res, sc.hrefs.href(std::string(collectionName(kind)) + "/" + info.id));
  sendJson(req, res, o, 201);
}

void deleteObjectRoute(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, kind);
  if (kind == ObjectKind::Group && sc.isRoot(id))
    throw Forbidden("Forbidden: the root group cannot be deleted");
  s.require(sc, id, Perm::Delete);
  sc.store->deleteObject(sc.container, id);
  auto o = newObject();
  o->set("hrefs", collectionHrefs(sc, collectionName(kind)));
  sendJson(req, res, o);
}

}  // namespace strata::hdf
