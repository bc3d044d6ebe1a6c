// Placeholder: being written.
#include "filter_spec.h"

#include "ufdl_common.h"

namespace strata::ufdl {

void declareIndexes(Context&) {}

}  // namespace strata::ufdl
