// HDF `select=` (GET/PUT /datasets/{id}/value): hyperslabs and HSDS coordinate lists, parsed
// for a dataset shape and then walked as the value routes walk them.
// Input: the shape on the first line (hdf_shape_header.h), the select text after it.
#include <strata/arrays/selection.h>

#include "fuzz_support.h"
#include "hdf_shape_header.h"
#include "values.h"

using namespace strata;

namespace {

// Selections the routes read whole; larger ones are only sized (the routes stream them in pieces).
constexpr uint64_t kWalkLimit = 1 << 16;

void walk(const arrays::Selection& sel, const Shape& shape) {
  const uint64_t n = sel.size();
  (void)sel.shape();
  if (shape.cls != ShapeClass::Simple) return;
  sel.validate(shape.dims);
  if (n > kWalkLimit) return;
  uint64_t seen = 0;
  sel.forEachRun(shape.dims, [&](uint64_t first, uint64_t length) { seen += length; });
  if (seen != n)
    fuzz::fail("forEachRun covered " + std::to_string(seen) + " of " + std::to_string(n) + " elements");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto split = fuzz::splitFirstLine(data, size);
  const std::string& header = split.first;
  const std::string& text = split.second;
  const Shape shape = fuzz::shapeFromHeader(header);
  fuzz::expectClientErrors([&] { walk(hdf::selectionFromText(text, shape), shape); });
  fuzz::expectClientErrors([&] {
    const auto shaped = hdf::shapedSelectionFromText(text, shape, kWalkLimit);
    walk(shaped.sel, shape);
  });
  return 0;
}
