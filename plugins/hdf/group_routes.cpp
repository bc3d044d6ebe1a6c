// Groups and their links: /groups, /groups/{id}, /groups/{id}/links[/{name}].
#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include "responses.h"
#include "routes.h"

namespace strata::hdf {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const char* linkClassName(LinkClass c) {
  switch (c) {
    case LinkClass::Hard:
      return "H5L_TYPE_HARD";
    case LinkClass::Soft:
      return "H5L_TYPE_SOFT";
    case LinkClass::External:
      return "H5L_TYPE_EXTERNAL";
    case LinkClass::UserDefined:
      return "H5L_TYPE_USER_DEFINED";
  }
  return "H5L_TYPE_ERROR";
}

std::string linkTarget(Service& s, const Scope& sc, const Link& l) {
  switch (l.cls) {
    case LinkClass::Hard:
      return sc.hrefs.href(std::string(collectionName(l.kind)) + "/" + l.id);
    case LinkClass::Soft:
      return sc.hrefs.href("") + "#h5path(" + l.h5path + ")";
    case LinkClass::External:
      return sc.hrefs.external(s.mapper(), l.h5domain, l.h5path, sc.isToc());
    case LinkClass::UserDefined:
      return "";
  }
  return "";
}

std::string linkPath(const std::string& group, const std::string& name) {
  return "groups/" + group + "/links/" + encodeSegment(name);
}

// An external link as h5serv reports it: its target as a domain name, whatever the file
// stores (h5py writes file paths such as "other.h5"), in the style the request used. A
// target that names no domain of this server is reported as stored. TOC links are made so.
Link presented(Service& s, const Scope& sc, Link l) {
  if (l.cls != LinkClass::External || sc.isToc()) return l;
  if (auto c = s.mapper().externalContainer(l.h5domain, sc.container))
    l.h5domain = s.mapper().linkDomain(*c, sc.domain.style);
  return l;
}

// One entry of a links list (with href and target) or the "link" of GET .../links/{name}.
Object::Ptr linkJson(Service& s, const Scope& sc, const std::string& group, const Link& l, bool listItem) {
  auto o = newObject();
  o->set("class", linkClassName(l.cls));
  o->set("title", l.name);
  if (listItem) o->set("href", sc.hrefs.href(linkPath(group, l.name)));
  switch (l.cls) {
    case LinkClass::Hard:
      o->set("id", l.id);
      o->set("collection", collectionName(l.kind));
      break;
    case LinkClass::Soft:
      o->set("h5path", l.h5path);
      break;
    case LinkClass::External:
      o->set("h5path", l.h5path);
      o->set("h5domain", l.h5domain);
      break;
    case LinkClass::UserDefined:
      break;
  }
  if (listItem) {
    const std::string target = linkTarget(s, sc, l);
    if (!target.empty()) o->set("target", target);
  }
  return o;
}

Array::Ptr linksArray(Service& s, Scope& sc, const std::string& group, const Page& page) {
  Array::Ptr out = new Array;
  for (const auto& l : sc.store->listLinks(sc.container, group, page))
    out->add(linkJson(s, sc, group, presented(s, sc, l), true));
  return out;
}

Object::Ptr groupJson(const Scope& sc, const ObjectInfo& info) {
  auto o = newObject();
  o->set("id", info.id);
  o->set("created", timestamp(info.created, sc.hsds));
  o->set("lastModified", timestamp(info.modified, sc.hsds));
  o->set("attributeCount", info.attributeCount);
  o->set("linkCount", info.linkCount);
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href("groups/" + info.id));
  addHref(*hrefs, "links", sc.hrefs.href("groups/" + info.id + "/links"));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(*hrefs, "home", sc.hrefs.href(""));
  addHref(*hrefs, "attributes", sc.hrefs.href("groups/" + info.id + "/attributes"));
  o->set("hrefs", hrefs);
  return o;
}

// ---------------------------------------------------------------- /groups

void listGroups(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  s.require(sc, sc.root(), Perm::Read);
  Page page = Service::page(req);
  // The root group is not listed; ask for one more so that a page stays full without it.
  Page ask = page;
  if (ask.limit) ++ask.limit;
  Array::Ptr ids = new Array;
  for (const auto& id : sc.store->listObjects(sc.container, ObjectKind::Group, ask)) {
    if (sc.isRoot(id)) continue;
    if (page.limit && ids->size() >= page.limit) break;
    ids->add(id);
  }
  auto o = newObject();
  o->set("groups", ids);
  o->set("hrefs", collectionHrefs(sc, "groups"));
  sendJson(req, res, o);
}

void createGroup(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  s.require(sc, sc.root(), Perm::Create);
  auto body = s.body(req, true);
  auto link = s.linkOption(*body);
  if (link) s.requireFreeLink(sc, *link);
  ObjectInfo info = sc.store->createGroup(sc.container);
  if (link) {
    s.linkNew(sc, *link, info.id, ObjectKind::Group);
    info = sc.store->object(sc.container, info.id);
  }
  setLocation(res, sc.hrefs.href("groups/" + info.id));
  sendJson(req, res, groupJson(sc, info), 201);
}

void getGroup(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  ObjectInfo info = s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Read);
  auto o = groupJson(sc, info);
  if (queryFlag(req, "include_links")) {
    if (sc.hsds) {
      // HSDS: {title: link} (the form of its stored group JSON).
      auto links = newObject();
      for (const auto& l : sc.store->listLinks(sc.container, id, Page{})) {
        auto item = linkJson(s, sc, id, l, false);
        item->set("created", timestamp(l.created ? l.created : info.created, sc.hsds));
        links->set(l.name, item);
      }
      o->set("links", links);
    } else {
      o->set("links", linksArray(s, sc, id, Page{}));
    }
  }
  addIncludedAttributes(sc, req, ObjectKind::Group, id, *o);
  sendJson(req, res, o);
}

void deleteGroup(Service& s, Request& req, Response& res) {
  deleteObjectRoute(s, req, res, ObjectKind::Group);
}

// ---------------------------------------------------------------- links

// `self`: the path of the resource answered for, or empty for none.
Array::Ptr linkHrefs(const Scope& sc, const std::string& group, const std::string& self) {
  Array::Ptr hrefs = new Array;
  if (!self.empty()) addHref(*hrefs, "self", sc.hrefs.href(self));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(*hrefs, "home", sc.hrefs.href(""));
  addHref(*hrefs, "owner", sc.hrefs.href("groups/" + group));
  return hrefs;
}

void listLinks(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Read);
  auto o = newObject();
  o->set("links", linksArray(s, sc, id, Service::page(req)));
  o->set("hrefs", linkHrefs(sc, id, "groups/" + id + "/links"));
  sendJson(req, res, o);
}

Link findLink(Service& s, Scope& sc, const std::string& group, const std::string& name) {
  try {
    return sc.store->link(sc.container, group, name);
  } catch (const NotFound&) {
    if (s.tombstones().contains(Tombstones::linkKey(sc.container, group, name)))
      throw Gone("Link '" + name + "' has been deleted");
    throw;
  }
}

// The start of every /groups/{id}/links/{name} route: the group must exist and the caller
// needs `perm` on it, checked before any body is read. Returns the group id and link name.
std::pair<const std::string&, const std::string&> linkParams(Service& s, Request& req, Scope& sc, Perm perm) {
  const std::string& id = req.param("id");
  const std::string& name = checkLinkName(req.param("name"));
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, perm);
  return {id, name};
}

void getLink(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const auto [id, name] = linkParams(s, req, sc, Perm::Read);
  const Link l = presented(s, sc, findLink(s, sc, id, name));
  auto o = newObject();
  o->set("link", linkJson(s, sc, id, l, false));
  const int64_t created = l.created ? l.created : sc.info.created;
  o->set("created", timestamp(created, sc.hsds));
  o->set("lastModified", timestamp(created, sc.hsds));
  auto hrefs = linkHrefs(sc, id, linkPath(id, name));
  const std::string target = linkTarget(s, sc, l);
  if (!target.empty()) addHref(*hrefs, "target", target);
  o->set("hrefs", hrefs);
  sendJson(req, res, o);
}

std::string nonEmptyString(const Object& body, const std::string& key) {
  const auto v = body.get(key);
  if (!v.isString() || v.convert<std::string>().empty())
    throw BadRequest("Bad Request: '" + key + "' must be a non-empty string");
  return v.convert<std::string>();
}

// The link a PUT body describes: {"id"} (hard), {"h5path"} (soft), {"h5path", "h5domain"}
// (external). A hard link's target must exist.
Link linkFromBody(Scope& sc, const Object& body, const std::string& name) {
  Link l;
  l.name = name;
  if (body.has("id")) {
    l.cls = LinkClass::Hard;
    l.id = nonEmptyString(body, "id");
  } else if (body.has("h5path")) {
    l.h5path = nonEmptyString(body, "h5path");
    if (body.has("h5domain")) {
      l.cls = LinkClass::External;
      l.h5domain = nonEmptyString(body, "h5domain");
    } else {
      l.cls = LinkClass::Soft;
    }
  } else {
    throw BadRequest(
        "Bad Request: a link needs \"id\" (hard link), \"h5path\" (soft link) or "
        "\"h5path\" and \"h5domain\" (external link)");
  }
  if (l.cls == LinkClass::Hard) l.kind = sc.store->object(sc.container, l.id).kind;
  return l;
}

void storeLink(Service& s, Scope& sc, const std::string& group, const Link& l) {
  sc.store->createLink(sc.container, group, l);
  s.tombstones().remove(Tombstones::linkKey(sc.container, group, l.name));
}

void putLink(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const auto [id, name] = linkParams(s, req, sc, Perm::Create);
  auto body = s.body(req);
  storeLink(s, sc, id, linkFromBody(sc, *body, name));
  auto o = newObject();
  o->set("hrefs", linkHrefs(sc, id, linkPath(id, name)));
  sendJson(req, res, o, 201);
}

void sendNamedLinks(Service& s, Request& req, Response& res, Scope& sc, const std::string& id,
                    const std::vector<std::string>& names) {
  Array::Ptr links = new Array;
  for (const auto& name : names)
    links->add(linkJson(s, sc, id, findLink(s, sc, id, checkLinkName(name)), true));
  auto o = newObject();
  o->set("links", links);
  o->set("hrefs", linkHrefs(sc, id, "groups/" + id + "/links"));
  sendJson(req, res, o);
}

// HSDS's batch read: POST /groups/{id}/links {"titles": [...]} answers {"links": [...]} in
// the order asked; a missing link is 404 (410 if deleted here), a name asked twice 400.
void postLinks(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Read);
  auto body = s.body(req);
  sendNamedLinks(s, req, res, sc, id, nameList(*body, "titles"));
}

// GET /groups/{id}/links: all of them, or with HSDS's ?titles=a/b those named.
void getLinks(Service& s, Request& req, Response& res) {
  if (!req.query("titles")) {
    listLinks(s, req, res);
    return;
  }
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Read);
  sendNamedLinks(s, req, res, sc, id, queryNameList(req, "titles"));
}

// HSDS's batch create: PUT /groups/{id}/links {"links": {name: link, ...}}. Every link is
// checked (name, form, target, not yet existing) before any is made: 400, 404 or 409 leave
// the group as it was.
void putLinks(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Create);
  auto body = s.body(req);
  auto items = body->getObject("links");
  if (!items || items->size() == 0)
    throw BadRequest("Bad Request: 'links' must be a non-empty object {name: link}");
  std::vector<Link> links;
  for (const auto& name : items->getNames()) {
    auto item = items->getObject(name);
    if (!item) throw BadRequest("Bad Request: link '" + name + "' must be an object");
    links.push_back(linkFromBody(sc, *item, checkLinkName(name)));
    try {
      sc.store->link(sc.container, id, name);
    } catch (const NotFound&) {
      continue;
    } catch (const Gone&) {
      continue;
    }
    throw Conflict("Link already exists: '" + name + "'");
  }
  for (const auto& l : links) storeLink(s, sc, id, l);
  auto o = newObject();
  o->set("hrefs", linkHrefs(sc, id, "groups/" + id + "/links"));
  sendJson(req, res, o, 201);
}

void deleteLink(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const auto [id, name] = linkParams(s, req, sc, Perm::Delete);
  findLink(s, sc, id, name);
  sc.store->deleteLink(sc.container, id, name);
  s.tombstones().add(Tombstones::linkKey(sc.container, id, name));
  auto o = newObject();
  o->set("hrefs", linkHrefs(sc, id, ""));
  sendJson(req, res, o);
}

// HSDS's batch delete: DELETE /groups/{id}/links?titles=a/b. All must exist (404, or 410 if
// deleted here, deletes none); a name given twice is 400.
void deleteLinks(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  s.object(sc, id, ObjectKind::Group);
  s.require(sc, id, Perm::Delete);
  const auto names = queryNameList(req, "titles");
  for (const auto& name : names) findLink(s, sc, id, checkLinkName(name));
  for (const auto& name : names) {
    sc.store->deleteLink(sc.container, id, name);
    s.tombstones().add(Tombstones::linkKey(sc.container, id, name));
  }
  auto o = newObject();
  o->set("hrefs", linkHrefs(sc, id, ""));
  sendJson(req, res, o);
}

}  // namespace

void addGroupRoutes(Service& s, RouteRegistry& routes) {
  auto bind = [&s](void (*fn)(Service&, Request&, Response&)) {
    return [&s, fn](Request& req, Response& res) { fn(s, req, res); };
  };
  routes.add("GET", "/groups", bind(listGroups));
  routes.add("POST", "/groups", bind(createGroup));
  routes.add("GET", "/groups/{id}", bind(getGroup));
  routes.add("DELETE", "/groups/{id}", bind(deleteGroup));
  routes.add("GET", "/groups/{id}/links", bind(getLinks));
  // A read of several links (HSDS): as anonymous as a GET.
  routes.add("POST", "/groups/{id}/links", bind(postLinks), {Access::Read});
  routes.add("PUT", "/groups/{id}/links", bind(putLinks));
  routes.add("DELETE", "/groups/{id}/links", bind(deleteLinks));
  // {name...}: a name holding '/' reaches the handlers, which answer 400 as h5serv does
  // (checkLinkName), where the router would answer 404.
  routes.add("GET", "/groups/{id}/links/{name...}", bind(getLink));
  routes.add("PUT", "/groups/{id}/links/{name...}", bind(putLink));
  routes.add("DELETE", "/groups/{id}/links/{name...}", bind(deleteLink));
}

}  // namespace strata::hdf
