// The Datatype value type and the predefined types. Type JSON is in type_json.cpp, the
// JSON <-> packed codecs in json_codec.cpp, byte order in byte_order.cpp.
#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <algorithm>

#include "datatype_detail.h"

namespace strata::arrays {

namespace detail {

std::string typeLabel(const Datatype& t) {
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float:
      return t.baseName();
    case TypeClass::String:
      return t.variable ? "variable-length string"
                        : "fixed-length string of " + std::to_string(t.size) + " bytes";
    case TypeClass::Compound:
      return "compound";
    case TypeClass::Array:
      return "array";
    case TypeClass::Vlen:
      return "variable-length sequence";
    case TypeClass::Enum:
      return "enum";
    case TypeClass::Opaque:
      return "opaque";
    case TypeClass::Reference:
      return t.ref == RefKind::Object ? "object reference" : "region reference";
  }
  return "type";
}

}  // namespace detail

using detail::bad;
using detail::kMaxTypeSize;

bool Datatype::hasVariableParts() const {
  switch (cls) {
    case TypeClass::String:
      return variable;
    case TypeClass::Vlen:
      return true;
    case TypeClass::Reference:
      return ref == RefKind::Region;
    case TypeClass::Compound:
      for (const Field& f : fields)
        if (f.type && f.type->hasVariableParts()) return true;
      return false;
    case TypeClass::Array:
      return base && base->hasVariableParts();
    default:
      return false;
  }
}

std::string Datatype::baseName() const {
  const char* suffix = order == ByteOrder::Big ? "BE" : "LE";
  switch (cls) {
    case TypeClass::Integer:
    case TypeClass::Enum:
      return std::string("H5T_STD_") + (isSigned ? "I" : "U") + std::to_string(size * 8) + suffix;
    case TypeClass::Float:
      return "H5T_IEEE_F" + std::to_string(size * 8) + suffix;
    default:
      return std::string();
  }
}

namespace {
bool sameType(const DatatypePtr& a, const DatatypePtr& b) {
  if (!a || !b) return !a && !b;
  return *a == *b;
}
}  // namespace

bool Datatype::operator==(const Datatype& o) const {
  if (cls != o.cls || size != o.size) return false;
  switch (cls) {
    case TypeClass::Integer:
      return isSigned == o.isSigned && order == o.order;
    case TypeClass::Float:
      return order == o.order;
    case TypeClass::String:
      return variable == o.variable && charSet == o.charSet && strPad == o.strPad;
    case TypeClass::Compound:
      if (fields.size() != o.fields.size()) return false;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name != o.fields[i].name || fields[i].offset != o.fields[i].offset ||
            !sameType(fields[i].type, o.fields[i].type))
          return false;
      }
      return true;
    case TypeClass::Array:
      return dims == o.dims && sameType(base, o.base);
    case TypeClass::Vlen:
      return sameType(base, o.base);
    case TypeClass::Enum: {
      // HDF5 compares enum members by name, not by declaration order.
      if (!sameType(base, o.base) || members.size() != o.members.size()) return false;
      auto a = members, b = o.members;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      return a == b;
    }
    case TypeClass::Opaque:
      return tag == o.tag;
    case TypeClass::Reference:
      return ref == o.ref;
  }
  return false;
}

namespace {

// One entry of the predefined integer and float tables.
DatatypePtr numericType(TypeClass cls, std::size_t size, bool isSigned, ByteOrder order) {
  auto t = std::make_shared<Datatype>();
  t->cls = cls;
  t->size = size;
  t->isSigned = isSigned;
  t->order = order;
  return t;
}

}  // namespace

DatatypePtr intType(std::size_t bytes, bool isSigned, ByteOrder order) {
  // Shared instances: the predefined types are parsed for every request that names one.
  static const auto table = [] {
    std::vector<DatatypePtr> v;
    for (ByteOrder o : {ByteOrder::Little, ByteOrder::Big})
      for (bool s : {true, false})
        for (std::size_t b : {1, 2, 4, 8}) v.push_back(numericType(TypeClass::Integer, b, s, o));
    return v;
  }();
  // One byte has no byte order: 8-bit integers are always little-endian, as h5py, h5serv and
  // HSDS report them (H5T_STD_I8LE), even when a client or a file says BE.
  if (bytes == 1) order = ByteOrder::Little;
  std::size_t bi;
  switch (bytes) {
    case 1:
      bi = 0;
      break;
    case 2:
      bi = 1;
      break;
    case 4:
      bi = 2;
      break;
    case 8:
      bi = 3;
      break;
    default:
      bad("unsupported integer size " + std::to_string(bytes) + " bytes");
  }
  return table[(order == ByteOrder::Big ? 8 : 0) + (isSigned ? 0 : 4) + bi];
}

DatatypePtr floatType(std::size_t bytes, ByteOrder order) {
  static const auto table = [] {
    std::vector<DatatypePtr> v;
    for (ByteOrder o : {ByteOrder::Little, ByteOrder::Big})
      for (std::size_t b : {4, 8}) v.push_back(numericType(TypeClass::Float, b, true, o));
    return v;
  }();
  if (bytes != 4 && bytes != 8) bad("unsupported float size " + std::to_string(bytes) + " bytes");
  return table[(order == ByteOrder::Big ? 2 : 0) + (bytes == 8 ? 1 : 0)];
}

DatatypePtr fixedStringType(std::size_t length, CharSet cs, StrPad pad) {
  if (length == 0) bad("a fixed-length string needs a length of at least 1");
  if (length > kMaxTypeSize) bad("string length " + std::to_string(length) + " is too large");
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::String;
  t->size = length;
  t->charSet = cs;
  t->strPad = pad;
  return t;
}

DatatypePtr vlenStringType(CharSet cs) {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::String;
  t->size = 0;
  t->variable = true;
  t->charSet = cs;
  t->strPad = StrPad::NullTerm;
  return t;
}

}  // namespace strata::arrays
