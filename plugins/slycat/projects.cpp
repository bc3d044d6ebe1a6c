#include "projects.h"

#include <Poco/Dynamic/Var.h>
#include <strata/auth.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <utility>

namespace strata::slycat {

namespace {

constexpr const char* kProjects = "slycat-projects";
constexpr const char* kModels = "slycat-models";

// A fresh id in Slycat's form (uuid4().hex): 32 lower-case hex digits.
std::string newId() {
  std::string id = newUuid();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return id;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + (i.empty() ? std::string("\"\"") : i);
  return out;
}

// The body's fields must be among `required` and `optional`, all strings, and every required
// one present.
void checkFields(const Poco::JSON::Object& body, const std::vector<std::string>& required,
                 const std::vector<std::string>& optional) {
  for (const auto& [name, value] : body) {
    const bool known = std::find(required.begin(), required.end(), name) != required.end() ||
                       std::find(optional.begin(), optional.end(), name) != optional.end();
    if (!known) throw BadRequest("unknown field '" + name + "'");
    if (!value.isString()) throw BadRequest("field '" + name + "' must be a string");
  }
  for (const auto& name : required)
    if (!body.has(name)) throw BadRequest("missing field '" + name + "'");
}

std::string field(const Poco::JSON::Object& body, const std::string& name) {
  return body.has(name) ? body.getValue<std::string>(name) : std::string();
}

Poco::JSON::Array::Ptr userList(const std::string& user) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  if (!user.empty()) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
    entry->set("user", user);
    list->add(entry);
  }
  return list;
}

// Whether `user` appears as {"user": user} in acl[role].
bool listed(const Poco::JSON::Object& acl, const std::string& role, const std::string& user) {
  const Poco::JSON::Array::Ptr list = acl.getArray(role);
  if (!list) return false;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Poco::JSON::Object::Ptr entry = list->getObject(static_cast<unsigned>(i));
    if (entry && entry->has("user") && entry->get("user").isString() &&
        entry->getValue<std::string>("user") == user)
      return true;
  }
  return false;
}

Poco::JSON::Object::Ptr document(const Entity& e) {
  Poco::JSON::Object::Ptr doc = e.body;
  doc->set("_id", e.id);
  doc->set("_rev", e.etag);
  return doc;
}

// A project ACL in Slycat's shape: an object of "administrators", "writers" and "readers"
// (each optional), each a list of {"user": name} naming users of the users file.
Poco::JSON::Object::Ptr checkedAcl(const Poco::Dynamic::Var& value,
                                   const std::function<bool(const std::string&)>& isUser) {
  if (value.type() != typeid(Poco::JSON::Object::Ptr)) throw BadRequest("field 'acl' must be an object");
  const auto in = value.extract<Poco::JSON::Object::Ptr>();
  Poco::JSON::Object::Ptr acl = new Poco::JSON::Object;
  for (const char* role : {"administrators", "writers", "readers"}) acl->set(role, userList(""));
  for (const auto& [role, list] : *in) {
    if (role != "administrators" && role != "writers" && role != "readers")
      throw BadRequest("unknown field 'acl." + role + "'");
    if (list.type() != typeid(Poco::JSON::Array::Ptr))
      throw BadRequest("field 'acl." + role + "' must be a list of {\"user\": name}");
    const auto entries = list.extract<Poco::JSON::Array::Ptr>();
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const Poco::Dynamic::Var entry = entries->get(static_cast<unsigned>(i));
      if (entry.type() != typeid(Poco::JSON::Object::Ptr))
        throw BadRequest("field 'acl." + role + "' must be a list of {\"user\": name}");
      const auto o = entry.extract<Poco::JSON::Object::Ptr>();
      if (o->size() != 1 || !o->has("user") || !o->get("user").isString())
        throw BadRequest("field 'acl." + role + "' must be a list of {\"user\": name}");
      const std::string user = o->getValue<std::string>("user");
      if (!isUser(user)) throw BadRequest("acl names an unknown user '" + user + "'");
      if (!listed(*acl, role, user)) out->add(userList(user)->get(0));
    }
    acl->set(role, out);
  }
  return acl;
}

}  // namespace

Projects::Projects(Settings settings, std::shared_ptr<EntityStore> entities,
                   std::function<bool(const std::string&)> isUser)
    : settings_(std::move(settings)), entities_(std::move(entities)), isUser_(std::move(isUser)) {}

std::string Projects::createProject(const Principal& creator, const Poco::JSON::Object& body) {
  checkFields(body, {"name"}, {"description"});
  Poco::JSON::Object::Ptr acl = new Poco::JSON::Object;
  acl->set("administrators", userList(creator.name));
  acl->set("writers", userList(""));
  acl->set("readers", userList(""));
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object;
  doc->set("type", "project");
  doc->set("name", field(body, "name"));
  doc->set("description", field(body, "description"));
  doc->set("creator", creator.name);
  doc->set("created", isoTime(nowMillis()));
  doc->set("acl", acl);
  return entities_->create(kProjects, newId(), doc).id;
}

void Projects::updateProject(const Principal& who, const std::string& pid, const Poco::JSON::Object& body) {
  Poco::JSON::Object::Ptr doc = projectBody(pid);
  for (const auto& [name, value] : body) {
    if (name == "acl") continue;
    if (name != "name" && name != "description") throw BadRequest("unknown field '" + name + "'");
    if (!value.isString()) throw BadRequest("field '" + name + "' must be a string");
    doc->set(name, value.extract<std::string>());
  }
  if (body.has("acl")) {
    const Poco::JSON::Object::Ptr acl = doc->getObject("acl");
    if (!who.inGroup(kAdminGroup) && !(acl && listed(*acl, "administrators", who.name)))
      throw Forbidden("only administrators of project '" + pid + "' may change its acl");
    doc->set("acl", checkedAcl(body.get("acl"), isUser_));
  }
  const std::string rev = doc->getValue<std::string>("_rev");
  doc->remove("_id");
  doc->remove("_rev");
  entities_->update(kProjects, pid, doc, rev);
}

Poco::JSON::Object::Ptr Projects::projectBody(const std::string& pid) {
  const auto e = entities_->find(kProjects, pid);
  if (!e) throw NotFound("no project '" + pid + "'");
  return document(*e);
}

void Projects::checkAcl(const Principal& who, const Poco::JSON::Object& project, Need need) const {
  if (who.inGroup(kAdminGroup)) return;
  const Poco::JSON::Object::Ptr acl = project.getObject("acl");
  if (acl && !who.anonymous()) {
    if (listed(*acl, "administrators", who.name) || listed(*acl, "writers", who.name)) return;
    if (need == Need::Read && listed(*acl, "readers", who.name)) return;
  }
  const std::string pid = project.has("_id") ? project.getValue<std::string>("_id") : std::string();
  throw Forbidden(std::string("user '") + who.name + "' may not " + (need == Need::Read ? "read" : "write") +
                  " project '" + pid + "'");
}

void Projects::checkProject(const Principal& who, const std::string& pid, Need need) {
  checkAcl(who, *projectBody(pid), need);
}

Poco::JSON::Object::Ptr Projects::project(const Principal& who, const std::string& pid) {
  Poco::JSON::Object::Ptr doc = projectBody(pid);
  checkAcl(who, *doc, Need::Read);
  return doc;
}

std::string Projects::createModel(const Principal& creator, const std::string& pid,
                                  const Poco::JSON::Object& body) {
  checkFields(body, {"model-type", "name", "marking"}, {"description"});
  const std::string type = field(body, "model-type");
  const auto& types = settings_.modelTypes;
  if (std::find(types.begin(), types.end(), type) == types.end())
    throw BadRequest("Allowed model types: " + joined(types));
  const std::string marking = field(body, "marking");
  const auto& markings = settings_.markings;
  if (std::find(markings.begin(), markings.end(), marking) == markings.end())
    throw BadRequest("Allowed markings: " + joined(markings));

  const Poco::Dynamic::Var null;
  Poco::JSON::Object::Ptr doc = new Poco::JSON::Object;
  doc->set("type", "model");
  doc->set("model-type", type);
  doc->set("project", pid);
  doc->set("name", field(body, "name"));
  doc->set("description", field(body, "description"));
  doc->set("marking", marking);
  doc->set("creator", creator.name);
  doc->set("created", isoTime(nowMillis()));
  doc->set("bookmark", "none");
  doc->set("state", "waiting");
  for (const char* k : {"result", "started", "finished", "progress", "message"}) doc->set(k, null);
  doc->set("artifact-types", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
  doc->set("input-artifacts", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  return entities_->create(kModels, newId(), doc).id;
}

Poco::JSON::Array::Ptr Projects::models(const std::string& pid) {
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  EntityQuery q;
  q.filters.push_back({"project", EntityFilter::Op::Eq, pid});
  q.sortBy = "created";
  q.limit = 500;
  for (;;) {
    const EntityPage page = entities_->list(kModels, q);
    for (const auto& e : page.items) out->add(document(e));
    q.offset += page.items.size();
    if (page.items.empty() || q.offset >= page.total) break;
  }
  return out;
}

Poco::JSON::Object::Ptr Projects::model(const Principal& who, const std::string& mid, Need need) {
  const auto e = entities_->find(kModels, mid);
  if (!e) throw NotFound("no model '" + mid + "'");
  Poco::JSON::Object::Ptr doc = document(*e);
  const std::string pid = doc->has("project") ? doc->getValue<std::string>("project") : std::string();
  const auto project = entities_->find(kProjects, pid);
  if (project) {
    checkAcl(who, *document(*project), need);
  } else if (!who.inGroup(kAdminGroup)) {
    throw Forbidden("model '" + mid + "' belongs to no project; only administrators may use it");
  }
  return doc;
}

Poco::JSON::Object::Ptr Projects::deleteModel(const Principal& who, const std::string& mid) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const Poco::JSON::Object::Ptr doc = model(who, mid, Need::Write);
    try {
      entities_->remove(kModels, mid, doc->getValue<std::string>("_rev"));
      return doc;
    } catch (const PreconditionFailed&) {
      // changed in between: the artifacts to release are those of the latest document
    } catch (const NotFound&) {
      throw NotFound("no model '" + mid + "'");
    }
  }
  throw ServiceUnavailable("model '" + mid + "' is changing too often to delete; try again");
}

std::string Projects::saveModel(const Poco::JSON::Object& doc) {
  Poco::JSON::Object::Ptr body = new Poco::JSON::Object(doc);
  const std::string mid = body->getValue<std::string>("_id");
  const std::string rev = body->getValue<std::string>("_rev");
  body->remove("_id");
  body->remove("_rev");
  return entities_->update(kModels, mid, body, rev).etag;
}

Poco::JSON::Object::Ptr Projects::changeModel(const std::string& mid,
                                              const std::function<void(Poco::JSON::Object& doc)>& change) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto e = entities_->find(kModels, mid);
    if (!e) throw NotFound("no model '" + mid + "'");
    Poco::JSON::Object::Ptr doc = document(*e);
    change(*doc);
    try {
      doc->set("_rev", saveModel(*doc));
      return doc;
    } catch (const PreconditionFailed&) {
      // changed in between: start again from the stored document
    } catch (const NotFound&) {
      throw NotFound("no model '" + mid + "'");
    }
  }
  throw ServiceUnavailable("model '" + mid + "' is changing too often to update; try again");
}

}  // namespace strata::slycat
