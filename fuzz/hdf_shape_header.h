// The dataset shape a fuzz input names on its first line: "scalar", "null", or extents
// separated by commas ("10,20"; at most 6, each at most 2^40). Anything else is 10x10.
#pragma once
#include <strata/stores/array_store.h>

#include <cstdint>
#include <string>

namespace strata::fuzz {

inline Shape shapeFromHeader(const std::string& line) {
  Shape shape;
  if (line == "scalar") return shape;
  if (line == "null") {
    shape.cls = ShapeClass::Null;
    return shape;
  }
  shape.cls = ShapeClass::Simple;
  uint64_t n = 0;
  bool digits = false;
  for (char c : line + ",") {
    if (c >= '0' && c <= '9') {
      if (n < (uint64_t{1} << 40)) n = n * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
    } else if (c == ',' && digits && shape.dims.size() < 6) {
      shape.dims.push_back(n < (uint64_t{1} << 40) ? n : uint64_t{1} << 40);
      n = 0;
      digits = false;
    } else {
      shape.dims.clear();
      break;
    }
  }
  if (shape.dims.empty()) shape.dims = {10, 10};
  return shape;
}

}  // namespace strata::fuzz
