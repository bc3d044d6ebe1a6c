// Placeholder: the routes of this file are being written.
#include "ufdl_common.h"

namespace strata::ufdl {

void addLicenceRoutes(RouteRegistry&, Context&) {}
void seedLicences(Context&) {}

}  // namespace strata::ufdl
