// HDF point lists: the "points" of POST /datasets/{id}/value (a JSON body), parsed for a
// dataset shape and walked as the value routes walk them.
// Input: the shape on the first line (hdf_shape_header.h), the points JSON after it.
#include <strata/arrays/selection.h>

#include "fuzz_support.h"
#include "hdf_shape_header.h"
#include "values.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto split = fuzz::splitFirstLine(data, size);
  const std::string& header = split.first;
  const std::string& text = split.second;
  const Shape shape = fuzz::shapeFromHeader(header);
  const auto json = fuzz::requestJson(text);
  if (!json) return 0;
  fuzz::expectClientErrors([&] {
    const auto sel = hdf::pointsFromJson(*json, shape.dims);
    const uint64_t n = sel.size();
    (void)sel.shape();
    sel.validate(shape.dims);
    uint64_t seen = 0;
    sel.forEachRun(shape.dims, [&](uint64_t, uint64_t length) { seen += length; });
    if (seen != n)
      fuzz::fail("forEachRun covered " + std::to_string(seen) + " of " + std::to_string(n) + " points");
  });
  return 0;
}
