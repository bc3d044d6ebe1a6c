// Byte order conversion of packed fixed-size elements.
#include <strata/errors.h>

#include <algorithm>

#include "datatype_detail.h"

namespace strata::arrays {

namespace detail {

void swapElements(const Datatype& t, char* data, std::size_t count) {
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float:
    case TypeClass::Enum:
      switch (t.size) {
        case 1:
          return;
        case 2:
          for (std::size_t i = 0; i < count; ++i)
            store<uint16_t, true>(load<uint16_t, false>(data + 2 * i), data + 2 * i);
          return;
        case 4:
          for (std::size_t i = 0; i < count; ++i)
            store<uint32_t, true>(load<uint32_t, false>(data + 4 * i), data + 4 * i);
          return;
        case 8:
          for (std::size_t i = 0; i < count; ++i)
            store<uint64_t, true>(load<uint64_t, false>(data + 8 * i), data + 8 * i);
          return;
        default:
          for (std::size_t i = 0; i < count; ++i) std::reverse(data + t.size * i, data + t.size * (i + 1));
          return;
      }
    case TypeClass::Compound:
      for (std::size_t i = 0; i < count; ++i)
        for (const Field& f : t.fields) swapElements(*f.type, data + t.size * i + f.offset, 1);
      return;
    case TypeClass::Array:
      swapElements(*t.base, data, count * (t.size / t.base->size));
      return;
    default:
      return;  // strings, opaque, references: bytes without order
  }
}

}  // namespace detail

void swapByteOrder(const Datatype& type, char* data, std::size_t count) {
  if (!type.fixedSize())
    detail::bad("byte order conversion needs a fixed-size type, not a " + detail::typeLabel(type));
  detail::swapElements(type, data, count);
}

}  // namespace strata::arrays
