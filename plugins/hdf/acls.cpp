#include "acls.h"

#include <Poco/JSON/Array.h>
#include <strata/errors.h>
#include <strata/util.h>

#include "ids.h"

namespace strata::hdf {

namespace {

// JSON field names in the order of Perm (h5serv's names).
const char* const kFields[] = {"create", "read", "update", "delete", "readACL", "updateACL"};

// The flag of an Acl that grants `p`; Acl or const Acl.
template <class A>
auto& field(A& acl, Perm p) {
  switch (p) {
    case Perm::Create:
      return acl.create;
    case Perm::Read:
      return acl.read;
    case Perm::Update:
      return acl.update;
    case Perm::Delete:
      return acl.del;
    case Perm::ReadAcl:
      return acl.readACL;
    case Perm::UpdateAcl:
      break;
  }
  return acl.updateACL;
}

template <class A>
auto& field(A& acl, int i) {
  return field(acl, static_cast<Perm>(i));
}

Acl fromJson(const Poco::JSON::Object& o) {
  Acl acl;
  for (int i = 0; i < 6; ++i)
    if (o.has(kFields[i])) field(acl, i) = o.getValue<bool>(kFields[i]);
  return acl;
}

const char* permName(Perm p) { return kFields[static_cast<int>(p)]; }

}  // namespace

bool Acl::allows(Perm p) const { return field(*this, p); }

Poco::JSON::Object::Ptr Acl::toJson(const std::string& user) const {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("userName", user);
  for (int i = 0; i < 6; ++i) o->set(kFields[i], field(*this, i));
  return o;
}

AclStore::AclStore(std::shared_ptr<EntityStore> entities) : entities_(std::move(entities)) {}

std::string AclStore::entityId(const std::string& container, const std::string& object) {
  // Hashed so that any container or object name makes a valid id in every backend.
  Sha256 h;
  const std::string key = container + '\0' + canonicalId(object);
  h.update(key.data(), key.size());
  return h.hexDigest();
}

std::vector<std::pair<std::string, Acl>> AclStore::list(const std::string& container,
                                                        const std::string& object) {
  std::vector<std::pair<std::string, Acl>> out;
  auto e = entities_->find(kCollection, entityId(container, object));
  if (!e) return out;
  auto entries = e->body->getArray("acls");
  if (!entries) return out;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    auto o = entries->getObject(i);
    if (!o) continue;
    out.emplace_back(o->getValue<std::string>("userName"), fromJson(*o));
  }
  return out;
}

std::optional<Acl> AclStore::find(const std::string& container, const std::string& object,
                                  const std::string& user) {
  for (auto& [name, acl] : list(container, object))
    if (name == user) return acl;
  return std::nullopt;
}

void AclStore::validate(const Poco::JSON::Object& perms) {
  bool any = false;
  for (const char* f : kFields) {
    if (!perms.has(f)) continue;
    const auto v = perms.get(f);
    if (!(v.type() == typeid(bool) ||
          (v.isInteger() && (v.convert<int64_t>() == 0 || v.convert<int64_t>() == 1))))
      throw BadRequest(std::string("Bad Request: ACL permission '") + f + "' must be true or false");
    any = true;
  }
  if (!any) throw BadRequest("Bad Request: no acl permissions found in request body");
}

void AclStore::set(const std::string& container, const std::string& object, const std::string& user,
                   const Poco::JSON::Object& perms) {
  validate(perms);
  const std::string id = entityId(container, object);
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto existing = entities_->find(kCollection, id);
    Poco::JSON::Array::Ptr entries = new Poco::JSON::Array;
    if (existing && existing->body->getArray("acls")) entries = existing->body->getArray("acls");
    Poco::JSON::Object::Ptr entry;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto o = entries->getObject(i);
      if (o && o->getValue<std::string>("userName") == user) entry = o;
    }
    // A new entry denies what the request does not grant (h5serv adds a zeroed row).
    Acl acl = entry ? fromJson(*entry) : Acl{false, false, false, false, false, false};
    for (int i = 0; i < 6; ++i)
      if (perms.has(kFields[i])) field(acl, i) = perms.get(kFields[i]).convert<bool>();
    Poco::JSON::Array::Ptr updated = new Poco::JSON::Array;
    bool placed = false;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto o = entries->getObject(i);
      if (o && o->getValue<std::string>("userName") == user) {
        updated->add(acl.toJson(user));
        placed = true;
      } else if (o) {
        updated->add(o);
      }
    }
    if (!placed) updated->add(acl.toJson(user));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("container", container);
    body->set("object", object);
    body->set("acls", updated);
    try {
      if (existing)
        entities_->update(kCollection, id, body, existing->etag);
      else
        entities_->create(kCollection, id, body);
      return;
    } catch (const PreconditionFailed&) {
      // Someone else changed this object's ACLs meanwhile: merge again.
    } catch (const Conflict&) {
    }
  }
  throw ServiceUnavailable("the ACLs of this object are being changed concurrently; try again");
}

std::optional<Acl> AclStore::applicable(const std::string& container, const std::string& object,
                                        const std::string& rootId, const std::string& user) {
  const auto own = list(container, object);
  const auto root = canonicalId(object) == canonicalId(rootId) ? own : list(container, rootId);
  auto entry = [](const std::vector<std::pair<std::string, Acl>>& entries,
                  const std::string& name) -> std::optional<Acl> {
    for (const auto& [n, acl] : entries)
      if (n == name) return acl;
    return std::nullopt;
  };
  // h5serv's precedence (hdf5db.getAcl): the user on the object, the user on the root, the
  // default on the object, the default on the root.
  if (!user.empty() && user != kDefaultUser) {
    if (auto a = entry(own, user)) return *a;
    if (auto a = entry(root, user)) return *a;
  }
  if (auto a = entry(own, kDefaultUser)) return *a;
  if (auto a = entry(root, kDefaultUser)) return *a;
  return std::nullopt;
}

const char* permissionName(Perm p) { return permName(p); }

bool isKnownUser(const Authenticator& auth, const std::string& name) {
  return !name.empty() && auth.hasUser(name);
}

void AclStore::removeContainer(const std::string& container) {
  EntityQuery q;
  EntityFilter f;
  f.field = "container";
  f.op = EntityFilter::Op::Eq;
  f.value = container;
  q.filters.push_back(f);
  q.limit = 100;
  for (int round = 0; round < 1000; ++round) {
    auto page = entities_->list(kCollection, q);
    if (page.items.empty()) return;
    for (const auto& e : page.items) {
      try {
        entities_->remove(kCollection, e.id, "");
      } catch (const NotFound&) {
      }
    }
  }
}

}  // namespace strata::hdf
