#include <strata/principal.h>

namespace strata {

bool Principal::inGroup(const std::string& group) const {
  for (const auto& g : groups)
    if (g == group) return true;
  return false;
}

}  // namespace strata
