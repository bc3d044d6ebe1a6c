// Reading arrayset data: GET and POST /api/models/{mid}/arraysets/{aid}/data, which evaluate a
// Hyperchunks string over the arrayset and stream one element per (array, attribute,
// hyperslice) item, as JSON or as raw bytes in the requested byte order (docs/slycat.md,
// "Reading data").
//
// Everything that can fail because of the request (access, parameters, the hyperchunks text,
// every item's hyperslice, attribute and expression, an Accept header that allows neither
// output type) is checked before the first byte of the response, so that an error is a
// status code and never a cut-off body. Plain attribute items without `order:` are read from
// the arrays store selection by selection and streamed as they arrive; computed expressions and
// `order:` go through the Hyperchunks Evaluator, which holds one array's columns in memory.
#pragma once
#include <strata/route_registry.h>

#include <string>

#include "arraysets.h"
#include "projects.h"

namespace strata::slycat {

// Adds GET and POST <prefix>/models/{mid}/arraysets/{aid}/data.
void addDataReadRoutes(RouteRegistry& routes, const std::string& prefix, Projects& projects,
                       Arraysets& arraysets);

}  // namespace strata::slycat
