#pragma once
// The hdf routes, one function per resource family (each in its own file).
#include <strata/route_registry.h>
#include <strata/server_info.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "service.h"

namespace strata::hdf {

// ---- pieces the route files share (routes.cpp)

// hrefs of a collection: self (the collection), root, home.
Poco::JSON::Array::Ptr collectionHrefs(const Scope& sc, const std::string& collection);
// Appends self, root and attributes of one object of a collection.
void addObjectHrefs(Poco::JSON::Array& hrefs, const Scope& sc, ObjectKind kind, const std::string& id);
// The 201 answer to POST /datasets and POST /datatypes: id, attributeCount, hrefs (self, root,
// attributes, then `extraHrefs`), times and a Location header.
void sendCreated(Request& req, Response& res, const Scope& sc, ObjectKind kind, const ObjectInfo& info,
                 const std::vector<std::pair<std::string, std::string>>& extraHrefs = {});
// DELETE /{groups,datasets,datatypes}/{id}: the object must be of `kind` and the caller allowed
// to delete it; the root group is never deleted. Answers with the collection's hrefs.
void deleteObjectRoute(Service& s, Request& req, Response& res, ObjectKind kind);

// /, /info
void addDomainRoutes(Service& s, RouteRegistry& routes, const std::string& version);
// /groups, /groups/{id}, /groups/{id}/links[/{name}]
void addGroupRoutes(Service& s, RouteRegistry& routes);
// /datasets, /datasets/{id}, /datasets/{id}/shape, /datasets/{id}/type, /datatypes[/{id}]
void addDatasetRoutes(Service& s, RouteRegistry& routes);
// /datasets/{id}/value
void addValueRoutes(Service& s, RouteRegistry& routes);
// /{groups,datasets,datatypes}/{id}/attributes[/{name}]
void addAttributeRoutes(Service& s, RouteRegistry& routes);
// HSDS only: /about, /domains; and the folder side of GET/PUT/DELETE / (hsds_routes.cpp).
void addHsdsRoutes(Service& s, RouteRegistry& routes);
Poco::JSON::Object::Ptr folderJson(Service& s, const Scope& sc);
// HSDS's extra fields of a domain: owner, class, limits, compressors, version.
void addHsdsDomainFields(Service& s, const Scope& sc, Poco::JSON::Object& o);
void putFolder(Service& s, Scope& sc, Request& req, Response& res);
void deleteFolder(Service& s, Scope& sc, Response& res);
// HSDS's ?include_attrs=1 on GET of an object: "attributes": {name: attribute with value}
// (HSDS dialect only).
void addIncludedAttributes(Scope& sc, const Request& req, ObjectKind kind, const std::string& id,
                           Poco::JSON::Object& o);
// /acls[/{user}], /{groups,datasets,datatypes}/{id}/acls[/{user}]
void addAclRoutes(Service& s, RouteRegistry& routes);

}  // namespace strata::hdf
