#include <strata/server_info.h>

namespace strata {

ServerInfo::~ServerInfo() = default;

}  // namespace strata
