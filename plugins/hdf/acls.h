#pragma once
// Access control lists, as h5serv keeps them: per domain (on its root group) and per object,
// one entry per user name ("default" for everyone without an entry of their own), each with
// the six permissions create, read, update, delete, readACL, updateACL.
//
// The ACL entry that applies to a user on an object is the first that exists of: the object's
// entry for the user, the root group's entry for the user, the object's "default" entry, the
// root group's "default" entry (h5serv's precedence). When none exists the object is unowned,
// and the plugin's policy decides (Service::unownedAcl): h5serv allowed everything there.
//
// Entries live in the entities store, collection "hdf_acls", one entity per (container,
// object) holding the list of entries; updates are conditional on the entity's etag, so
// concurrent updates of the same object's ACLs do not lose each other.
//
// Thread-safety: all methods may be called concurrently.
#include <Poco/JSON/Object.h>
#include <strata/auth.h>
#include <strata/principal.h>
#include <strata/stores/entity_store.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::hdf {

enum class Perm { Create, Read, Update, Delete, ReadAcl, UpdateAcl };

struct Acl {
  bool create = true, read = true, update = true, del = true, readACL = true, updateACL = true;
  bool allows(Perm p) const;
  // {"userName", "create", "read", "update", "delete", "readACL", "updateACL"}
  Poco::JSON::Object::Ptr toJson(const std::string& user) const;
};

class AclStore {
 public:
  static constexpr const char* kCollection = "hdf_acls";
  static constexpr const char* kDefaultUser = "default";

  explicit AclStore(std::shared_ptr<EntityStore> entities);

  // One object's entries, in the order they were first set.
  std::vector<std::pair<std::string, Acl>> list(const std::string& container, const std::string& object);
  std::optional<Acl> find(const std::string& container, const std::string& object, const std::string& user);
  // Sets the permissions present in `perms` (booleans or 0/1), keeping the entry's other
  // permissions; a new entry denies what `perms` does not grant (as h5serv). BadRequest when a
  // value is not a boolean or none of the six permissions is present.
  void set(const std::string& container, const std::string& object, const std::string& user,
           const Poco::JSON::Object& perms);
  // The checks of set() on a body alone: BadRequest as set() would throw it.
  static void validate(const Poco::JSON::Object& perms);
  // The entry that applies to `user` (empty: anonymous, only "default" entries apply);
  // nullopt when none does.
  std::optional<Acl> applicable(const std::string& container, const std::string& object,
                                const std::string& rootId, const std::string& user);
  // Drops every entry of a container (when the domain is deleted).
  void removeContainer(const std::string& container);

 private:
  static std::string entityId(const std::string& container, const std::string& object);
  std::shared_ptr<EntityStore> entities_;
};

// "create", "read", ... "updateACL": the permission's name in ACL bodies and messages.
const char* permissionName(Perm p);

// Whether `name` is a user the server authenticates (Authenticator::hasUser; "default" is
// not: callers accept it themselves).
bool isKnownUser(const Authenticator& auth, const std::string& name);

}  // namespace strata::hdf
