#pragma once
// The hdf routes, one function per resource family (each in its own file).
#include <strata/route_registry.h>
#include <strata/server_info.h>

#include "service.h"

namespace strata::hdf {

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
// /acls[/{user}], /{groups,datasets,datatypes}/{id}/acls[/{user}]
void addAclRoutes(Service& s, RouteRegistry& routes);

}  // namespace strata::hdf
