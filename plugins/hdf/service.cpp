#include "service.h"

#include <Poco/NumberParser.h>
#include <strata/errors.h>

#include <algorithm>
#include <cctype>

namespace strata::hdf {

std::string Scope::displayName(const DomainMapper& mapper) const {
  if (domain.style == Domain::Style::Path) return mapper.pathName(container);
  return domain.isToc() ? mapper.tocDnsName(container) : mapper.dnsName(container);
}

void Scope::useStore(ArrayStore& base) {
  dialectStore = std::make_unique<IdDialectStore>(base, hsds);
  store = dialectStore.get();
}

Service::Service(Settings settings, std::shared_ptr<ArrayStore> arrays,
                 std::shared_ptr<EntityStore> aclEntities, std::unique_ptr<Tombstones> tombstones,
                 const Authenticator& auth)
    : settings_(std::move(settings)),
      mapper_(settings_.topDomain, settings_.homeDir),
      arrays_(std::move(arrays)),
      acls_(aclEntities ? std::make_unique<AclStore>(std::move(aclEntities)) : nullptr),
      tombstones_(std::move(tombstones)),
      auth_(auth),
      toc_(arrays_, settings_.homeDir, *tombstones_) {}

bool Service::knownUser(const std::string& name) const {
  return name == AclStore::kDefaultUser || isKnownUser(auth_, name);
}

Scope Service::address(Request& req) {
  Scope s;
  s.addr = domainOf(req);
  s.domain = s.addr.source == DomainSource::None
                 ? mapper_.parse("")
                 : mapper_.parse(s.addr.name, s.addr.source == DomainSource::HostParam);
  s.hrefs = Hrefs(s.addr);
  s.container = s.domain.container;
  s.who = &req.principal();
  s.hsds = s.domain.style == Domain::Style::Path;
  return s;
}

Scope Service::open(Request& req) {
  Scope s = address(req);
  if (s.isToc()) {
    s.toc = std::make_unique<TocStore>(toc_, mapper_, *tombstones_, s.domain.style);
    s.useStore(*s.toc);
    s.info = *s.store->findContainer(s.container);
    // A user's TOC: 404 for a name that is no user and has no domains (h5serv: 404 for
    // a user that is not registered).
    const std::string homes = settings_.homeDir + "/";
    if (s.container.compare(0, homes.size(), homes) == 0 &&
        s.container.find('/', homes.size()) == std::string::npos &&
        !knownUser(s.container.substr(homes.size())) && s.store->object(s.container, s.root()).linkCount == 0)
      throw NotFound("user '" + s.container.substr(homes.size()) + "' not found");
    return s;
  }
  s.useStore(*arrays_);
  if (auto info = s.store->findContainer(s.container)) {
    s.info = *info;
    return s;
  }
  for (const auto& alt : s.domain.alternates) {
    if (auto info = s.store->findContainer(alt)) {
      s.container = alt;
      s.info = *info;
      return s;
    }
  }
  // A file removed from disk since the last listing gets its tombstone here (see TocIndex).
  toc_.refresh();
  std::vector<std::string> readings = {s.container};
  readings.insert(readings.end(), s.domain.alternates.begin(), s.domain.alternates.end());
  for (const auto& c : readings)
    if (tombstones_->contains(Tombstones::containerKey(c)))
      throw Gone("domain '" + s.displayName(mapper_) + "' has been deleted");
  throw NotFound("domain '" + s.displayName(mapper_) + "' not found");
}

void Service::require(const Scope& s, const std::string& object, Perm perm) {
  if (!acls_ || s.isToc()) return;
  const Principal& who = *s.who;
  if (who.inGroup(kAdminGroup) || ownsHome(who, s.container)) return;
  const auto entry = acls_->applicable(s.container, object, s.root(), who.name);
  if ((entry ? *entry : unownedAcl(who, s.container)).allows(perm)) return;
  if (who.anonymous()) throw Unauthorized("Unauthorized: this domain needs credentials");
  throw Forbidden(std::string("Access is not permitted: user '") + who.name + "' lacks '" +
                  permissionName(perm) + "' permission");
}

bool Service::mayWriteUnowned(const Principal& who) const {
  if (who.inGroup(kAdminGroup) || auth_.anonymousWritesAllowed()) return true;
  if (who.anonymous()) return false;
  for (const auto& w : settings_.unownedWriters) {
    if (w == "*" || w == who.name) return true;
    if (w.size() > 1 && w[0] == '@' && who.inGroup(w.substr(1))) return true;
  }
  return false;
}

bool Service::ownsHome(const Principal& who, const std::string& container) const {
  const std::string home = settings_.homeDir + "/" + who.name + "/";
  return !who.anonymous() && container.compare(0, home.size(), home) == 0;
}

Acl Service::unownedAcl(const Principal& who, const std::string& container) const {
  const bool w = mayWriteUnowned(who) || ownsHome(who, container);
  return Acl{w, true, w, w, true, w};
}

void Service::requireWriteAdmission(const Principal& who) const {
  if (who.anonymous() && !(auth_.anonymousAllowed() && auth_.anonymousWritesAllowed()))
    throw Unauthorized("Unauthorized: this request needs credentials");
}

void Service::requireCreateDomain(const Scope& s) const {
  const Principal& who = *s.who;
  if (mayWriteUnowned(who)) return;
  if (who.anonymous()) throw Unauthorized("Unauthorized: creating a domain needs credentials");
  const std::string home = settings_.homeDir + "/" + who.name + "/";
  if (s.container.compare(0, home.size(), home) == 0) return;
  throw Forbidden("Forbidden: user '" + who.name + "' may create domains only in their home folder /" + home);
}

void Service::setOwner(const Scope& s) {
  if (!acls_ || s.who->anonymous()) return;
  acls_->removeContainer(s.container);
  Poco::JSON::Object all;
  for (const char* p : {"create", "read", "update", "delete", "readACL", "updateACL"}) all.set(p, true);
  acls_->set(s.container, s.root(), s.who->name, all);
}

namespace {

// HSDS's validateUuid, for the HSDS dialect: an id is its kind's letter, '-' and 36 letters,
// digits or '-'. The stores' own 36-character ids (the h5serv form, which every request may
// use) pass too. Anything else, or a kind letter of another kind than `kind`, is 400.
void checkHsdsId(const std::string& id, ObjectKind kind) {
  static const char* names[] = {"group", "dataset", "datatype"};
  const auto bad = [&] {
    return BadRequest(std::string("Invalid ") + names[static_cast<int>(kind)] + " id: " + id);
  };
  if (const auto k = prefixedKind(id)) {
    if (*k != kind) throw bad();
    return;
  }
  if (id.size() != 36) throw bad();
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') throw bad();
}

}  // namespace

ObjectInfo Service::object(Scope& s, const std::string& id, ObjectKind kind) {
  if (s.hsds) checkHsdsId(id, kind);
  ObjectInfo info = s.store->object(s.container, id);
  if (info.kind != kind) {
    static const char* names[] = {"Group", "Dataset", "Datatype"};
    throw NotFound(std::string(names[static_cast<int>(kind)]) + " with uuid: " + id + " was not found");
  }
  return info;
}

DatasetInfo Service::dataset(Scope& s, const std::string& id, Perm perm) {
  object(s, id, ObjectKind::Dataset);
  require(s, id, perm);
  return s.store->dataset(s.container, id);
}

namespace {

// The committed datatype `id` (as the store names it) as a type that names it.
arrays::DatatypePtr committedType(Scope& s, const std::string& id) {
  auto committed = std::make_shared<arrays::Datatype>(*s.store->datatype(s.container, id));
  committed->committedId = id;
  return committed;
}

}  // namespace

arrays::DatatypePtr Service::resolveType(Scope& s, const Poco::Dynamic::Var& json) {
  if (json.isEmpty()) throw BadRequest("Bad Request: type is null");
  // HSDS's form of a committed type (what its GET shows): the type with the id in "id".
  if (json.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto o = json.extract<Poco::JSON::Object::Ptr>();
    if (o && o->has("id") && o->get("id").isString())
      return committedType(s, object(s, o->getValue<std::string>("id"), ObjectKind::Datatype).id);
  }
  if (!json.isString()) return arrays::typeFromJson(json);
  const std::string text = json.convert<std::string>();
  if (text.rfind("datatypes/", 0) == 0) {
    // An explicit reference: a missing or deleted datatype is 404 or 410, as any object.
    const std::string id = text.substr(10);
    if (id.empty()) throw BadRequest("Bad Request: committed type reference '" + text + "' names no id");
    return committedType(s, object(s, id, ObjectKind::Datatype).id);
  }
  std::string problem;
  try {
    return arrays::typeFromJson(json);  // a predefined name
  } catch (const BadRequest& e) {
    problem = e.what();
  }
  // h5serv also takes a committed datatype's bare id. A string that names no committed
  // datatype of this domain stays a bad type (400, with the type parser's message); a deleted
  // datatype is 410.
  ObjectInfo info;
  try {
    info = object(s, text, ObjectKind::Datatype);
  } catch (const NotFound&) {
    throw BadRequest(problem + " (nor is it the id of a committed datatype of this domain)");
  }
  return committedType(s, info.id);
}

Poco::Dynamic::Var typeJson(const arrays::Datatype& type, bool hsds) {
  if (!type.committedId.empty() && hsds) {
    const Poco::Dynamic::Var json = arrays::typeToJson(type);
    if (json.type() != typeid(Poco::JSON::Object::Ptr)) return json;
    if (const auto o = json.extract<Poco::JSON::Object::Ptr>()) {
      Poco::JSON::Object::Ptr copy = new Poco::JSON::Object(*o);
      copy->set("id", type.committedId);
      return copy;
    }
    return json;
  }
  if (!type.committedId.empty()) return "datatypes/" + type.committedId;
  return arrays::typeToJson(type);
}

std::optional<LinkOption> Service::linkOption(const Poco::JSON::Object& body) {
  if (!body.has("link")) return std::nullopt;
  auto link = body.getObject("link");
  if (!link) throw BadRequest("Bad Request: 'link' must be an object {\"id\": <group id>, \"name\": <name>}");
  if (!link->has("id") || !link->has("name") || !link->get("id").isString() || !link->get("name").isString())
    throw BadRequest("Bad Request: 'link' needs the string keys 'id' and 'name'");
  LinkOption out{link->getValue<std::string>("id"), link->getValue<std::string>("name")};
  checkLinkName(out.name);
  return out;
}

void Service::requireFreeLink(Scope& s, const LinkOption& link) {
  object(s, link.group, ObjectKind::Group);
  require(s, link.group, Perm::Create);
  try {
    s.store->link(s.container, link.group, link.name);
  } catch (const NotFound&) {
    return;
  } catch (const Gone&) {
    return;
  }
  throw Conflict("Link already exists: '" + link.name + "'");
}

void Service::linkNew(Scope& s, const LinkOption& option, const std::string& id, ObjectKind kind) {
  Link l;
  l.name = option.name;
  l.cls = LinkClass::Hard;
  l.id = id;
  l.kind = kind;
  try {
    s.store->createLink(s.container, option.group, l);
    tombstones_->remove(Tombstones::linkKey(s.container, option.group, option.name));
  } catch (...) {
    try {
      s.store->deleteObject(s.container, id);
    } catch (...) {
      // The object stays, unlinked: h5serv lists such anonymous objects too.
    }
    throw;
  }
}

Poco::JSON::Object::Ptr Service::body(Request& req, bool optional) {
  if (optional && !req.hasBody()) return new Poco::JSON::Object;
  if (!req.hasBody()) throw BadRequest("Bad Request: this request needs a JSON body");
  return req.jsonObject(settings_.maxJsonBytes);
}

Page Service::page(const Request& req) {
  Page p;
  if (auto limit = req.query("Limit")) {
    Poco::UInt64 n = 0;
    if (!Poco::NumberParser::tryParseUnsigned64(*limit, n))
      throw BadRequest("Bad Request: expected a non-negative int for Limit, got '" + *limit + "'");
    p.limit = n;
  }
  if (auto marker = req.query("Marker")) p.marker = *marker;
  return p;
}

const std::string& checkLinkName(const std::string& name) {
  if (name.empty()) throw BadRequest("Bad Request: no link name specified");
  if (name.find('/') != std::string::npos)
    throw BadRequest("Bad Request: invalid linkname, '/' not allowed: '" + name + "'");
  return name;
}

namespace {

// BadRequest for an empty list or a name given twice.
std::vector<std::string> distinctNames(std::vector<std::string> names, const std::string& key) {
  if (names.empty()) throw BadRequest("Bad Request: '" + key + "' must name at least one");
  for (std::size_t i = 0; i < names.size(); ++i)
    if (std::find(names.begin(), names.begin() + i, names[i]) != names.begin() + i)
      throw BadRequest("Bad Request: '" + key + "' names '" + names[i] + "' twice");
  return names;
}

}  // namespace

std::vector<std::string> nameList(const Poco::JSON::Object& body, const std::string& key) {
  auto list = body.getArray(key);
  if (!list) throw BadRequest("Bad Request: '" + key + "' must be a non-empty list of names");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto v = list->get(i);
    if (!v.isString()) throw BadRequest("Bad Request: '" + key + "' must hold strings only");
    names.push_back(v.convert<std::string>());
  }
  return distinctNames(std::move(names), key);
}

std::vector<std::string> queryNameList(const Request& req, const std::string& key) {
  const auto text = req.query(key);
  if (!text || text->empty()) throw BadRequest("Bad Request: expected the query parameter '" + key + "'");
  const auto sepParam = req.query("separator");
  const std::string sep = sepParam && !sepParam->empty() ? *sepParam : "/";
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const auto pos = text->find(sep, start);
    names.push_back(text->substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + sep.size();
  }
  return distinctNames(std::move(names), key);
}

bool queryFlag(const Request& req, const std::string& name) {
  const auto v = req.query(name);
  return v && !v->empty() && *v != "0" && *v != "false" && *v != "False";
}

void setLocation(Response& res, const std::string& href) {
  res.setHeader("Location", href);
  res.setHeader("Content-Location", href);
}

}  // namespace strata::hdf
