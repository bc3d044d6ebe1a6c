#include <strata/route_registry.h>

namespace strata {

RouteRegistry::~RouteRegistry() = default;

}  // namespace strata
