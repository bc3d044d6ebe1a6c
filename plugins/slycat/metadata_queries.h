// The query forms of GET .../arraysets/{aid}/metadata: `arrays=`, `statistics=` and `unique=`,
// each a Hyperchunks expression, answered as one JSON object holding the keys asked for.
//
// Statistics (min, max, distinct count; NaN left out) and distinct values of stored attributes
// are cached in the arrayset, as Slycat does, in the dataset /array/<i>/unique/<j>: the sorted
// distinct values, with the integer attribute `source-modified`, the `modified` time of
// /array/<i>/attribute/<j> when they were computed. A cache is used only while that time is
// unchanged, so writes through any plugin invalidate it; the slycat data route also drops it
// (StoredArrayset::dropCaches). Computed expressions are evaluated on every request.
#pragma once
#include <optional>
#include <string>

#include "arrayset_store.h"
#include "hyperchunks.h"

namespace strata::slycat {

// The JSON text of the answer; BadRequest for invalid hyperchunks, PayloadTooLarge past the
// limits. `arrays`, `statistics` and `unique` are the query parameters as given.
std::string metadataQuery(const StoredArrayset& set, const std::optional<std::string>& arrays,
                          const std::optional<std::string>& statistics,
                          const std::optional<std::string>& unique, const Limits& limits = Limits());

// The sorted distinct values of attribute `attribute` of array `array` (NaN left out), from the
// cache when it is valid, else computed and cached.
Column distinctValues(const StoredArrayset& set, int64_t array, int64_t attribute);

// Sorted distinct values of a column (NaN left out); booleans stay booleans.
Column sortedDistinct(const Column& column);

}  // namespace strata::slycat
