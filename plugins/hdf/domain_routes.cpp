// GET/PUT/DELETE / (the domain itself, or its HDF5 file) and GET /info.
#include <Poco/JSON/Array.h>
#include <strata/errors.h>
#include <strata/util.h>

#include "responses.h"
#include "routes.h"

namespace strata::hdf {

namespace {

Poco::JSON::Object::Ptr domainJson(const Scope& sc) {
  auto o = newObject();
  o->set("created", timestamp(sc.info.created, sc.hsds));
  o->set("lastModified", timestamp(sc.info.modified, sc.hsds));
  o->set("root", sc.root());
  Poco::JSON::Array::Ptr hrefs = new Poco::JSON::Array;
  addHref(*hrefs, "self", sc.hrefs.href(""));
  addHref(*hrefs, "database", sc.hrefs.href("datasets"));
  addHref(*hrefs, "groupbase", sc.hrefs.href("groups"));
  addHref(*hrefs, "typebase", sc.hrefs.href("datatypes"));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  o->set("hrefs", hrefs);
  return o;
}

bool wantsHdf5File(const Request& req) {
  const auto accept = req.header("Accept");
  return accept && accept->find("application/x-hdf5") != std::string::npos;
}

// Streams the container as an .h5 file. The body begins with the first bytes the store
// produces, so a store that cannot export still answers with a proper error.
void sendHdf5File(Scope& sc, Response& res) {
  const auto slash = sc.container.rfind('/');
  const std::string base = slash == std::string::npos ? sc.container : sc.container.substr(slash + 1);
  res.setHeader("Content-Disposition", "attachment; filename=\"" + base + ".h5\"");
  std::unique_ptr<BodyWriter> out;
  sc.store->exportHdf5(sc.container, [&](const char* data, std::size_t n) {
    if (!out) out = res.beginBody("application/x-hdf5", -1);
    out->write(data, n);
  });
  if (!out) out = res.beginBody("application/x-hdf5", 0);
  out->close();
}

void getDomain(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  if (sc.hsds && sc.isToc()) {  // HSDS: a folder
    sendJson(req, res, folderJson(s, sc));
    return;
  }
  s.require(sc, sc.root(), Perm::Read);
  if (wantsHdf5File(req)) {
    sendHdf5File(sc, res);
    return;
  }
  auto o = domainJson(sc);
  if (sc.hsds) addHsdsDomainFields(s, sc, *o);
  sendJson(req, res, o);
}

void putDomain(Service& s, Request& req, Response& res) {
  Scope sc = s.address(req);
  s.requireCreateDomain(sc);  // before the body is read
  auto body = s.body(req, true);
  const auto folder = body->has("folder") ? body->get("folder") : Poco::Dynamic::Var();
  if ((folder.type() == typeid(bool) && folder.extract<bool>()) ||
      (folder.isInteger() && folder.convert<int64_t>() != 0) || queryFlag(req, "folder")) {
    if (!sc.hsds)
      throw BadRequest("Bad Request: folders are made with a path domain (?domain=/home/user/f/)");
    putFolder(s, sc, req, res);
    return;
  }
  if (sc.isToc()) throw Forbidden("Forbidden: the TOC domain cannot be created or replaced");
  sc.useStore(s.arrays());
  sc.info = sc.store->createContainer(sc.container);
  s.setOwner(sc);
  s.tombstones().remove(Tombstones::containerKey(sc.container));
  s.domainsChanged(sc.container);
  auto o = domainJson(sc);
  if (sc.hsds) addHsdsDomainFields(s, sc, *o);
  sendJson(req, res, o, 201);
}

void deleteDomain(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  if (sc.hsds && sc.isToc()) {  // HSDS: a folder
    deleteFolder(s, sc, res);
    return;
  }
  if (sc.isToc()) throw Forbidden("Forbidden: Resource is read-only (the TOC domain)");
  if (sc.info.readOnly) throw Forbidden("Forbidden: Resource is read-only");
  s.require(sc, sc.root(), Perm::Delete);
  s.arrays().deleteContainer(sc.container);
  s.tombstones().add(Tombstones::containerKey(sc.container));
  s.domainsChanged();
  if (s.acls()) s.acls()->removeContainer(sc.container);
  res.sendEmpty(200);
}

// h5serv's keys, and those h5pyd's getServerInfo() callers read (hsinfo: "state", "name",
// "username", "start_time", "node_count"; "username" and "isadmin" only when the request
// carries credentials, as h5pyd then fills in the name it was given).
void getInfo(Request& req, Response& res, const std::string& version, int64_t startSeconds) {
  auto o = newObject();
  o->set("h5serv_version", "0.2");
  o->set("strata_hdf_version", version);
  o->set("h5py_version", "n/a");
  o->set("hdf5_version", "n/a");
  o->set("hdf5-json-version", "n/a");
  o->set("name", "strata");
  o->set("greeting", "Welcome to strata's HDF REST service!");
  o->set("about", "strata serves HDF5 data through the h5serv REST API");
  o->set("documentation", "docs/hdf.md");
  o->set("state", "READY");
  o->set("version", version);
  o->set("start_time", startSeconds);
  o->set("node_count", 1);
  const Principal& who = req.principal();
  if (!who.anonymous()) {
    o->set("username", who.name);
    o->set("isadmin", who.inGroup(kAdminGroup));
  }
  sendJson(req, res, o);
}

}  // namespace

void addDomainRoutes(Service& s, RouteRegistry& routes, const std::string& version) {
  routes.add("GET", "/", [&s](Request& req, Response& res) { getDomain(s, req, res); });
  routes.add("PUT", "/", [&s](Request& req, Response& res) { putDomain(s, req, res); });
  routes.add("DELETE", "/", [&s](Request& req, Response& res) { deleteDomain(s, req, res); });
  const int64_t started = nowMillis() / 1000;
  routes.add("GET", "/info",
             [version, started](Request& req, Response& res) { getInfo(req, res, version, started); },
             {Access::Public});
}

}  // namespace strata::hdf
