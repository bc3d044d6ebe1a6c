#pragma once
// The state the hdf routes share (stores, settings, the TOC, ACLs) and what every handler
// does first: resolve and open the request's domain, check its ACL, look objects up.
#include <Poco/JSON/Object.h>
#include <strata/auth.h>
#include <strata/http.h>
#include <strata/stores/array_store.h>
#include <strata/stores/entity_store.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acls.h"
#include "domain.h"
#include "hrefs.h"
#include "ids.h"
#include "toc.h"
#include "tombstones.h"

namespace strata::hdf {

struct Settings {
  std::string topDomain = "hdfgroup.org";
  std::string homeDir = "home";
  // Largest JSON request body (value lists, value_base64); raw binary PUTs are streamed and
  // bounded only by server.maxBodyBytes.
  uint64_t maxJsonBytes = 64u << 20;
  // Largest value of a JSON write once packed (a type's size x the elements the value gives),
  // checked before the value is decoded: a few bytes of JSON may stand for far more.
  uint64_t maxValueBytes = 256u << 20;
  // h5serv refuses to make a dataset smaller (400); HSDS allows it.
  bool allowShrink = false;
  // The most tombstones of deleted links and domains kept (see tombstones.h).
  std::size_t maxTombstones = Tombstones::kDefaultCapacity;
  // Who may write, delete and change the ACLs of unowned objects (no ACL entry applies, as
  // in .h5 files placed under the data directory) and create domains outside their home
  // folder: user names, "@group" for a group's members, "*" for every user. The admin group
  // always may; anonymous callers only when auth.anonymousWrites is true.
  std::vector<std::string> unownedWriters;
  // Largest packed attribute value (a type's size x the shape's elements), checked before
  // the value is decoded.
  uint64_t maxAttributeBytes = 64u << 20;
  // Largest chunk of a new dataset (chunk elements x type size); at most HDF5's 4 GiB.
  uint64_t maxChunkBytes = 64u << 20;
};

// One request's view of its domain.
struct Scope {
  DomainRequest addr;
  Domain domain;
  Hrefs hrefs;
  std::string container;        // the store's name for it (TOC: the prefix it lists)
  ContainerInfo info;           // valid once opened
  ArrayStore* store = nullptr;  // the dialect's view of the container's store (ids.h)
  std::unique_ptr<TocStore> toc;
  std::unique_ptr<IdDialectStore> dialectStore;
  const Principal* who = nullptr;
  // The HSDS dialect: the domain was named as a path ("/home/u/x.h5", by ?domain= or
  // X-Hdf-domain). Answers then carry ids with their kind ("g-<uuid>"), see ids.h.
  bool hsds = false;

  // Makes `store` the dialect's view of `base`.
  void useStore(ArrayStore& base);

  bool isToc() const { return domain.isToc(); }
  const std::string& root() const { return info.rootId; }
  // True if `id` (in either form) names the root group.
  bool isRoot(const std::string& id) const { return canonicalId(id) == canonicalId(root()); }
  // The domain's own name as a client would write it (for h5domain defaults and messages).
  std::string displayName(const DomainMapper& mapper) const;
};

struct LinkOption {
  std::string group;
  std::string name;
};

class Service {
 public:
  // `aclEntities` null: ACLs off. `tombstones` must not be null. `auth` is the server's
  // authenticator (it outlives the plugin).
  Service(Settings settings, std::shared_ptr<ArrayStore> arrays, std::shared_ptr<EntityStore> aclEntities,
          std::unique_ptr<Tombstones> tombstones, const Authenticator& auth);

  const Settings& settings() const { return settings_; }
  const DomainMapper& mapper() const { return mapper_; }
  ArrayStore& arrays() { return *arrays_; }
  AclStore* acls() { return acls_.get(); }
  Tombstones& tombstones() { return *tombstones_; }
  // True for "default" and for every user the server authenticates (see isKnownUser()).
  bool knownUser(const std::string& name) const;
  // After a domain was created or deleted here: the TOC shows it at once.
  // `created`: the container just created, which the TOC then knows even before it lists it
  // (so that its file vanishing from disk is noticed).
  void domainsChanged(const std::string& created = "") { toc_.invalidate(created); }

  // Resolves the request's domain without opening it (for PUT /).
  Scope address(Request& req);
  // Resolves and opens it: NotFound (or Gone, for a domain deleted here) if it does not exist.
  Scope open(Request& req);

  // Checks the ACL that applies to the request's user on `object` (the root group for domain
  // operations), or unownedAcl() when none does: Unauthorized for anonymous requests,
  // Forbidden for users. Members of the admin group always pass, and so does a user in their
  // own home folder.
  void require(const Scope& s, const std::string& object, Perm perm);
  // True if `container` lies in the home folder of `who` (<homeDir>/<user>/...), which the
  // user owns whatever its ACLs say: h5serv's data layout puts users' files there.
  bool ownsHome(const Principal& who, const std::string& container) const;
  // What `who` may do where no ACL entry applies: read and read the ACLs; write, delete and
  // change the ACLs only if mayWriteUnowned(who). Everything in the user's own home folder
  // (`container` under <homeDir>/<user>/: files placed there, as in h5serv's data layout).
  Acl unownedAcl(const Principal& who, const std::string& container = "") const;
  // A write route that reads its body before any permission check (PUT .../acls/{user}, as
  // h5serv): the core's admission of anonymous writes, made by the handler after the body.
  void requireWriteAdmission(const Principal& who) const;
  // The admin group, unownedWriters, or anyone when auth.anonymousWrites is true.
  bool mayWriteUnowned(const Principal& who) const;
  // PUT / of a new domain: those who mayWriteUnowned anywhere, every user in their home
  // folder (<homeDir>/<user>/...). Unauthorized or Forbidden otherwise.
  void requireCreateDomain(const Scope& s) const;
  // Makes the creator of a new domain its owner: drops entries left from an earlier domain of
  // that name and gives the creator every permission on the root group (nothing for
  // anonymous creators).
  void setOwner(const Scope& s);

  // The object `id` if it is of `kind`; NotFound otherwise (a dataset id under /groups/...).
  ObjectInfo object(Scope& s, const std::string& id, ObjectKind kind);

  // The dataset `id` after checking that it is one and that the user may `perm` it.
  DatasetInfo dataset(Scope& s, const std::string& id, Perm perm);

  // Resolves a type given as JSON: an object, a predefined name, or "datatypes/<id>" (a
  // committed type of this domain). BadRequest when it is none of these.
  arrays::DatatypePtr resolveType(Scope& s, const Poco::Dynamic::Var& json);

  // The optional "link": {"id", "name"} of a POST body; BadRequest when malformed.
  std::optional<LinkOption> linkOption(const Poco::JSON::Object& body);
  // 409 if the link already exists (checked before an object is created for it).
  void requireFreeLink(Scope& s, const LinkOption& link);
  // Links a new object; if that fails the object is deleted again and the error rethrown.
  void linkNew(Scope& s, const LinkOption& link, const std::string& id, ObjectKind kind);

  // The JSON request body (BadRequest when it is not a JSON object); an absent body is an
  // empty object when `optional`.
  Poco::JSON::Object::Ptr body(Request& req, bool optional = false);

  // Limit= and Marker= paging parameters.
  static Page page(const Request& req);

 private:
  Settings settings_;
  DomainMapper mapper_;
  std::shared_ptr<ArrayStore> arrays_;
  std::unique_ptr<AclStore> acls_;
  std::unique_ptr<Tombstones> tombstones_;
  const Authenticator& auth_;
  TocIndex toc_;
};

// A link name from the URL: BadRequest for an empty name or one holding '/'.
const std::string& checkLinkName(const std::string& name);

// The names of an HSDS batch request (`key`: "attr_names", "titles"): a non-empty list of
// distinct strings; BadRequest otherwise.
std::vector<std::string> nameList(const Poco::JSON::Object& body, const std::string& key);
// The same from a query parameter, HSDS's `?attr_names=a/b` (names split at `?separator=`,
// "/" by default).
std::vector<std::string> queryNameList(const Request& req, const std::string& key);

// A boolean query parameter (include_links=1, replace=true): present and not 0/false.
bool queryFlag(const Request& req, const std::string& name);

// The type of a dataset or attribute as h5serv shows it: "datatypes/<id>" when it uses a
// committed datatype (the counterpart of Service::resolveType), the type JSON otherwise. In
// the HSDS dialect (`hsds`) a committed type is shown as HSDS does: the type JSON with the
// committed type's id in "id".
Poco::Dynamic::Var typeJson(const arrays::Datatype& type, bool hsds = false);

// Sets Location and Content-Location of a 201 answer.
void setLocation(Response& res, const std::string& href);

}  // namespace strata::hdf
