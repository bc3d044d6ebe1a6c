// Placeholder: the routes of this file are being written.
#include "ufdl_common.h"

namespace strata::ufdl {

void addDatasetRoutes(RouteRegistry&, Context&) {}

}  // namespace strata::ufdl
