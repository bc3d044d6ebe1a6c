// The HDF5 type model: type JSON (h5serv / hdf5-json forms), the packed element form, and
// the conversions between JSON values and packed bytes. See datatype.h for the packed form.
//
// Decisions not spelled out in the header:
// - Input is strict where a silent fix-up would change data: integers must be integral and in
//   range, fixed strings that do not fit are rejected (not truncated), enum values must be
//   members, value shapes must match the dimensions exactly. Every problem is a BadRequest
//   whose message says what is wrong and where.
// - On any error the output string of encodeJson/encodeElement is left as it was.
// - JSON values are Poco::Dynamic::Var as Poco::JSON::Parser produces them (Int64, UInt64,
//   double, bool, std::string, empty, Object::Ptr, Array::Ptr); Poco::Dynamic::Array and
//   Object/Array held by value are accepted too. Decoding produces the parser's forms.
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <type_traits>
#include <typeinfo>

namespace strata::arrays {
namespace {

using Poco::Dynamic::Var;
using JArray = Poco::JSON::Array;
using JObject = Poco::JSON::Object;
using Int128 = __int128;

// HDF5's datatype message stores the element size in 32 bits.
constexpr std::size_t kMaxTypeSize = 0xFFFFFFFFu;
// Type JSON is client input: bound the recursion.
constexpr int kMaxTypeDepth = 32;
// HDF5's limits: H5S_MAX_RANK for array types, H5T_OPAQUE_TAG_MAX for opaque tags.
constexpr std::size_t kMaxArrayRank = 32;
constexpr std::size_t kMaxOpaqueTag = 256;
constexpr bool kHostLittle = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

[[noreturn]] void bad(const std::string& message) { throw BadRequest(message); }

std::string int128ToString(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (negative) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string indexText(const std::vector<uint64_t>& idx, std::size_t n) {
  std::string s = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ", ";
    s += std::to_string(idx[i]);
  }
  return s + "]";
}

// ---------------------------------------------------------------------------------------------
// JSON access. Var::type() is a cheap virtual call; checking it first keeps the common
// (parser-produced) cases off Poco's slower conversion paths.

bool asList(const Var& v, const Var*& items, std::size_t& n) {
  const std::type_info& t = v.type();
  if (t == typeid(JArray::Ptr)) {
    const JArray::Ptr& a = v.extract<JArray::Ptr>();
    if (a.isNull()) return false;
    n = a->size();
    items = n ? &*a->begin() : nullptr;
    return true;
  }
  if (t == typeid(Poco::Dynamic::Array)) {
    const auto& a = v.extract<Poco::Dynamic::Array>();
    n = a.size();
    items = a.data();
    return true;
  }
  if (t == typeid(JArray)) {
    const JArray& a = v.extract<JArray>();
    n = a.size();
    items = n ? &*a.begin() : nullptr;
    return true;
  }
  return false;
}

const JObject* asObject(const Var& v) {
  const std::type_info& t = v.type();
  if (t == typeid(JObject::Ptr)) {
    const JObject::Ptr& o = v.extract<JObject::Ptr>();
    return o.get();
  }
  if (t == typeid(JObject)) return &v.extract<JObject>();
  return nullptr;
}

const std::string* asString(const Var& v) {
  if (v.type() == typeid(std::string)) return &v.extract<std::string>();
  return nullptr;
}

bool isBool(const Var& v) { return v.type() == typeid(bool); }

const char* kindName(const Var& v) {
  if (v.isEmpty()) return "null";
  const Var* items;
  std::size_t n;
  if (asList(v, items, n)) return "a list";
  if (asObject(v)) return "an object";
  const std::type_info& t = v.type();
  if (t == typeid(bool)) return "a boolean";
  if (t == typeid(std::string)) return "a string";
  if (v.isNumeric()) return "a number";
  return "an unsupported value";
}

// An integral double converted to Int128; values far outside every integer type are clamped
// to +-2^100 so that the range check rejects them.
Int128 clampDouble(double d) {
  constexpr double kLimit = 1267650600228229401496703205376.0;  // 2^100
  if (d >= kLimit) return Int128(1) << 100;
  if (d <= -kLimit) return -(Int128(1) << 100);
  return static_cast<Int128>(d);
}

// A JSON integer (or a double with an integral value). False if v holds anything else.
bool jsonInteger(const Var& v, Int128& out) {
  const std::type_info& t = v.type();
  if (t == typeid(Poco::Int64)) {
    out = v.extract<Poco::Int64>();
    return true;
  }
  if (t == typeid(Poco::UInt64)) {
    out = v.extract<Poco::UInt64>();
    return true;
  }
  double d;
  if (t == typeid(double)) {
    d = v.extract<double>();
  } else {
    if (v.isEmpty() || t == typeid(bool) || t == typeid(std::string) || !v.isNumeric()) return false;
    if (v.isInteger()) {
      if (v.isSigned())
        out = v.convert<Poco::Int64>();
      else
        out = v.convert<Poco::UInt64>();
      return true;
    }
    d = v.convert<double>();
  }
  if (!std::isfinite(d) || d != std::floor(d)) return false;
  out = clampDouble(d);
  return true;
}

// A JSON number, or one of the strings JSON has no literal for ("NaN", "Infinity", "-Infinity").
bool jsonNumber(const Var& v, double& out) {
  const std::type_info& t = v.type();
  if (t == typeid(double)) {
    out = v.extract<double>();
    return true;
  }
  if (t == typeid(Poco::Int64)) {
    out = static_cast<double>(v.extract<Poco::Int64>());
    return true;
  }
  if (t == typeid(Poco::UInt64)) {
    out = static_cast<double>(v.extract<Poco::UInt64>());
    return true;
  }
  if (t == typeid(std::string)) {
    const std::string& s = v.extract<std::string>();
    if (s == "NaN" || s == "nan") {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (s == "Infinity" || s == "inf") {
      out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (s == "-Infinity" || s == "-inf") {
      out = -std::numeric_limits<double>::infinity();
      return true;
    }
    return false;
  }
  if (v.isEmpty() || t == typeid(bool) || !v.isNumeric()) return false;
  out = v.convert<double>();
  return true;
}

// A list of n empty Vars to be filled through slot(). Poco's Array has no reserve() and add()
// copies (a second heap allocation per element, Var has no small-object buffer here); sizing
// the vector once and swapping values into place halves the allocations for large values.
JArray::Ptr makeList(std::size_t n) {
  if (n > std::numeric_limits<unsigned int>::max()) bad("value has too many elements for JSON");
  JArray::Ptr a = new JArray();
  if (n) a->set(static_cast<unsigned int>(n - 1), Var());
  return a;
}

// The vector behind a JSON array is a non-const object; Poco only hands out const iterators.
Var& slot(const JArray::Ptr& a, std::size_t i) { return const_cast<Var&>(*(a->begin() + i)); }

void put(const JArray::Ptr& a, std::size_t i, Var&& v) { slot(a, i).swap(v); }

// ---------------------------------------------------------------------------------------------
// Bytes.

template <class T>
T byteSwap(T v) {
  if constexpr (sizeof(T) == 1) {
    return v;
  } else {
    using U =
        std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
    U u;
    std::memcpy(&u, &v, sizeof u);
    if constexpr (sizeof(T) == 2)
      u = __builtin_bswap16(u);
    else if constexpr (sizeof(T) == 4)
      u = __builtin_bswap32(u);
    else
      u = __builtin_bswap64(u);
    std::memcpy(&v, &u, sizeof v);
    return v;
  }
}

template <class T, bool kSwap>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (kSwap) v = byteSwap(v);
  return v;
}

template <class T, bool kSwap>
void store(T v, char* p) {
  if constexpr (kSwap) v = byteSwap(v);
  std::memcpy(p, &v, sizeof v);
}

bool needsSwap(ByteOrder order) { return (order == ByteOrder::Big) == kHostLittle; }

void appendU64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}

uint64_t loadU64LE(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void storeInt(Int128 v, std::size_t n, ByteOrder order, char* dst) {
  const auto u = static_cast<uint64_t>(v);
  for (std::size_t i = 0; i < n; ++i) {
    const char b = static_cast<char>(u >> (8 * i));
    dst[order == ByteOrder::Big ? n - 1 - i : i] = b;
  }
}

Int128 loadInt(const char* src, std::size_t n, bool isSigned, ByteOrder order) {
  uint64_t u = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(src[order == ByteOrder::Big ? i : n - 1 - i]);
    u = (u << 8) | b;
  }
  if (isSigned && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t(0) << (8 * n);
  return isSigned ? Int128(static_cast<int64_t>(u)) : Int128(u);
}

Int128 intMin(std::size_t bytes, bool isSigned) { return isSigned ? -(Int128(1) << (8 * bytes - 1)) : 0; }
Int128 intMax(std::size_t bytes, bool isSigned) {
  return isSigned ? (Int128(1) << (8 * bytes - 1)) - 1 : (Int128(1) << (8 * bytes)) - 1;
}

// Truncated input is a client error (value_base64, binary bodies) or a corrupt store; both
// must fail cleanly, never read past the buffer.
void need(std::size_t size, std::size_t pos, uint64_t n, const char* what) {
  if (pos > size || n > size - pos) {
    bad("truncated value: " + std::string(what) + " needs " + std::to_string(n) + " bytes at offset " +
        std::to_string(pos) + ", " + std::to_string(pos > size ? 0 : size - pos) + " left");
  }
}

// As need(), for n elements of elemSize bytes, without overflowing n * elemSize.
void needElements(std::size_t size, std::size_t pos, uint64_t n, std::size_t elemSize, const char* what) {
  if (pos > size || (elemSize != 0 && n > (size - pos) / elemSize)) {
    bad("truncated value: " + std::string(what) + " needs " + std::to_string(n) + " elements of " +
        std::to_string(elemSize) + " bytes at offset " + std::to_string(pos) + ", " +
        std::to_string(pos > size ? 0 : size - pos) + " bytes left");
  }
}

uint64_t elementCount(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (uint64_t d : dims) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) bad("value has too many elements");
    n *= d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Type descriptions for messages.

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

[[noreturn]] void wrongKind(const Datatype& t, const char* expected, const Var& v) {
  bad(std::string("expected ") + expected + " for " + typeLabel(t) + ", got " + kindName(v));
}

bool isBoolEnum(const Datatype& t) {
  if (t.cls != TypeClass::Enum || t.size != 1 || t.members.size() != 2) return false;
  bool f = false, tr = false;
  for (const auto& [name, value] : t.members) {
    if (name == "FALSE" && value == 0) f = true;
    if (name == "TRUE" && value == 1) tr = true;
  }
  return f && tr;
}

// ---------------------------------------------------------------------------------------------
// Shapes: nested lists in C order.

// Throws unless v is nested lists of exactly `dims` (checked before any bytes are produced, so
// an output buffer can be sized from the element count without trusting the client's dims).
void checkShape(const Var& v, const std::vector<uint64_t>& dims, std::size_t d, std::vector<uint64_t>& idx,
                const char* what) {
  const Var* items;
  std::size_t n;
  const std::string at = d ? " at " + indexText(idx, d) : "";
  if (!asList(v, items, n)) {
    bad(std::string(what) + " does not match the shape: dimension " + std::to_string(d) + at +
        " must be a list of " + std::to_string(dims[d]) + " elements, got " + kindName(v));
  }
  if (n != dims[d]) {
    bad(std::string(what) + " does not match the shape: dimension " + std::to_string(d) + at + " has " +
        std::to_string(n) + " elements, expected " + std::to_string(dims[d]));
  }
  if (d + 1 < dims.size()) {
    for (std::size_t i = 0; i < n; ++i) {
      idx[d] = i;
      checkShape(items[i], dims, d + 1, idx, what);
    }
  }
}

// Calls fn(element) in C order over a value that passed checkShape; idx tracks the position
// for error messages.
template <class Fn>
void forEachElement(const Var& v, std::size_t rank, std::size_t d, std::vector<uint64_t>& idx, Fn& fn) {
  const Var* items = nullptr;
  std::size_t n = 0;
  asList(v, items, n);
  if (d + 1 == rank) {
    for (std::size_t i = 0; i < n; ++i) {
      idx[d] = i;
      fn(items[i]);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      idx[d] = i;
      forEachElement(items[i], rank, d + 1, idx, fn);
    }
  }
}

template <class Fn>
void forEachShaped(const Var& v, const std::vector<uint64_t>& dims, const char* what, Fn& fn) {
  std::vector<uint64_t> idx(dims.size(), 0);
  checkShape(v, dims, 0, idx, what);
  forEachElement(v, dims.size(), 0, idx, fn);
}

// Nested lists of `dims` whose elements come from fn() in C order.
template <class Fn>
Var buildShape(const std::vector<uint64_t>& dims, std::size_t d, Fn& fn) {
  const uint64_t n = dims[d];
  JArray::Ptr list = makeList(n);
  if (d + 1 == dims.size()) {
    for (uint64_t i = 0; i < n; ++i) put(list, i, fn());
  } else {
    for (uint64_t i = 0; i < n; ++i) put(list, i, buildShape(dims, d + 1, fn));
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Fixed-size elements. Numeric types get specialised writers/readers (one indirect call per
// element, no switch); everything else goes through writeFixed/readFixed.

using Writer = void (*)(const Datatype&, const Var&, char*);
using Reader = Var (*)(const Datatype&, const char*);

void writeFixed(const Datatype& t, const Var& v, char* dst);
Var readFixed(const Datatype& t, const char* src);

template <class T, bool kSwap>
struct IntOps {
  static void write(const Datatype& t, const Var& v, char* dst) {
    Int128 x;
    if (!jsonInteger(v, x)) wrongKind(t, "an integer", v);
    if (x < Int128(std::numeric_limits<T>::min()) || x > Int128(std::numeric_limits<T>::max()))
      bad("value " + int128ToString(x) + " out of range for " + t.baseName());
    store<T, kSwap>(static_cast<T>(x), dst);
  }
  static Var read(const Datatype&, const char* src) {
    const T x = load<T, kSwap>(src);
    if constexpr (std::is_same_v<T, uint64_t>) {
      if (x > static_cast<uint64_t>(std::numeric_limits<Poco::Int64>::max()))
        return Var(static_cast<Poco::UInt64>(x));
    }
    return Var(static_cast<Poco::Int64>(x));
  }
};

template <class T, bool kSwap>
struct FloatOps {
  static void write(const Datatype& t, const Var& v, char* dst) {
    double d;
    if (!jsonNumber(v, d)) wrongKind(t, "a number", v);
    if constexpr (sizeof(T) == 4) {
      if (std::isfinite(d) && std::fabs(d) > FLT_MAX)
        bad("value " + std::to_string(d) + " out of range for " + t.baseName());
    }
    store<T, kSwap>(static_cast<T>(d), dst);
  }
  static Var read(const Datatype&, const char* src) { return Var(static_cast<double>(load<T, kSwap>(src))); }
};

template <template <class, bool> class Ops, class T>
void pick(bool swap, Writer& w, Reader& r) {
  if (swap) {
    w = &Ops<T, true>::write;
    r = &Ops<T, true>::read;
  } else {
    w = &Ops<T, false>::write;
    r = &Ops<T, false>::read;
  }
}

void writeGeneric(const Datatype& t, const Var& v, char* dst) { writeFixed(t, v, dst); }
Var readGeneric(const Datatype& t, const char* src) { return readFixed(t, src); }

// The writer and reader for one element of a fixed-size type.
std::pair<Writer, Reader> fixedOps(const Datatype& t) {
  Writer w = &writeGeneric;
  Reader r = &readGeneric;
  const bool swap = needsSwap(t.order);
  if (t.cls == TypeClass::Integer) {
    switch (t.size) {
      case 1:
        t.isSigned ? pick<IntOps, int8_t>(false, w, r) : pick<IntOps, uint8_t>(false, w, r);
        break;
      case 2:
        t.isSigned ? pick<IntOps, int16_t>(swap, w, r) : pick<IntOps, uint16_t>(swap, w, r);
        break;
      case 4:
        t.isSigned ? pick<IntOps, int32_t>(swap, w, r) : pick<IntOps, uint32_t>(swap, w, r);
        break;
      case 8:
        t.isSigned ? pick<IntOps, int64_t>(swap, w, r) : pick<IntOps, uint64_t>(swap, w, r);
        break;
      default:
        break;
    }
  } else if (t.cls == TypeClass::Float) {
    if (t.size == 4) pick<FloatOps, float>(swap, w, r);
    if (t.size == 8) pick<FloatOps, double>(swap, w, r);
  }
  return {w, r};
}

int64_t enumValue(const Datatype& t, const Var& v) {
  if (const std::string* s = asString(v)) {
    for (const auto& [name, value] : t.members)
      if (name == *s) return value;
    bad("\"" + *s + "\" is not a member of the enum");
  }
  if (isBool(v)) {
    if (!isBoolEnum(t)) wrongKind(t, "a member name or value", v);
    return v.extract<bool>() ? 1 : 0;
  }
  Int128 x;
  if (!jsonInteger(v, x)) wrongKind(t, "a member name or value", v);
  for (const auto& [name, value] : t.members)
    if (Int128(value) == x) return value;
  bad("value " + int128ToString(x) + " is not a member of the enum");
}

// Calls fn(i, value) for each field of a compound value, in field order. The value is a list
// in field order (h5serv) or an object keyed by field name (every field, nothing else).
template <class Fn>
void forEachField(const Datatype& t, const Var& v, Fn&& fn) {
  const std::size_t nf = t.fields.size();
  const Var* items;
  std::size_t n;
  if (asList(v, items, n)) {
    if (n != nf) {
      std::string names;
      for (std::size_t i = 0; i < nf; ++i) names += (i ? ", " : "") + quoted(t.fields[i].name);
      bad("compound value must be a list of " + std::to_string(nf) + " values (" + names + "), got " +
          std::to_string(n));
    }
    for (std::size_t i = 0; i < nf; ++i) fn(i, items[i]);
    return;
  }
  if (const JObject* o = asObject(v)) {
    std::vector<const Var*> byField(nf, nullptr);
    for (const auto& [key, value] : *o) {
      std::size_t i = 0;
      while (i < nf && t.fields[i].name != key) ++i;
      if (i == nf) bad("compound value has no field " + quoted(key));
      byField[i] = &value;
    }
    for (std::size_t i = 0; i < nf; ++i) {
      if (!byField[i]) bad("compound value is missing field " + quoted(t.fields[i].name));
    }
    for (std::size_t i = 0; i < nf; ++i) fn(i, *byField[i]);
    return;
  }
  wrongKind(t, "a list of field values", v);
}

void checkObjectRef(const std::string& s) {
  if (s.empty()) return;  // the null reference
  const auto slash = s.find('/');
  const std::string prefix = s.substr(0, slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || (prefix != "groups" && prefix != "datasets" && prefix != "datatypes"))
    bad("object reference " + quoted(s) +
        " must be \"groups/<id>\", \"datasets/<id>\" or \"datatypes/<id>\"");
  const std::string id = s.substr(slash + 1);
  if (id.empty() || id.find('/') != std::string::npos || id.find('\0') != std::string::npos)
    bad("object reference " + quoted(s) + " has an invalid id");
  if (s.size() > kRefBytes)
    bad("object reference " + quoted(s) + " is longer than " + std::to_string(kRefBytes) + " bytes");
}

void writeFixed(const Datatype& t, const Var& v, char* dst) {
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float: {
      const Writer w = fixedOps(t).first;
      if (w == &writeGeneric) bad("unsupported numeric size for " + typeLabel(t));
      w(t, v, dst);
      return;
    }
    case TypeClass::String: {
      const std::string* s = asString(v);
      if (!s) wrongKind(t, "a string", v);
      // Rejected, not truncated: truncation would silently lose the client's data.
      if (s->size() > t.size)
        bad("string of " + std::to_string(s->size()) + " bytes does not fit a " + typeLabel(t));
      std::memcpy(dst, s->data(), s->size());
      std::memset(dst + s->size(), t.strPad == StrPad::SpacePad ? ' ' : '\0', t.size - s->size());
      return;
    }
    case TypeClass::Enum:
      storeInt(enumValue(t, v), t.size, t.order, dst);
      return;
    case TypeClass::Compound:
      forEachField(t, v, [&](std::size_t i, const Var& fv) {
        writeFixed(*t.fields[i].type, fv, dst + t.fields[i].offset);
      });
      return;
    case TypeClass::Array: {
      const Datatype& base = *t.base;
      const Writer w = fixedOps(base).first;
      char* p = dst;
      auto fn = [&](const Var& e) {
        w(base, e, p);
        p += base.size;
      };
      forEachShaped(v, t.dims, "array-type value", fn);
      return;
    }
    case TypeClass::Opaque: {
      const Var* items;
      std::size_t n;
      if (!asList(v, items, n)) wrongKind(t, "a list of byte values", v);
      if (n != t.size)
        bad("opaque value must be a list of " + std::to_string(t.size) + " byte values, got " +
            std::to_string(n));
      for (std::size_t i = 0; i < n; ++i) {
        Int128 x;
        if (!jsonInteger(items[i], x) || x < 0 || x > 255) bad("opaque value bytes must be integers 0-255");
        dst[i] = static_cast<char>(static_cast<unsigned char>(x));
      }
      return;
    }
    case TypeClass::Reference: {
      const std::string* s = asString(v);
      if (!s) wrongKind(t, "a string (\"groups/<id>\", \"datasets/<id>\", \"datatypes/<id>\" or \"\")", v);
      checkObjectRef(*s);
      std::memcpy(dst, s->data(), s->size());
      std::memset(dst + s->size(), 0, t.size - s->size());
      return;
    }
    case TypeClass::Vlen:
      break;
  }
  bad("internal: " + typeLabel(t) + " is not a fixed-size type");
}

std::string stripString(const Datatype& t, const char* p, std::size_t n) {
  std::size_t len = n;
  switch (t.strPad) {
    case StrPad::NullTerm: {
      const void* nul = std::memchr(p, '\0', n);
      if (nul) len = static_cast<std::size_t>(static_cast<const char*>(nul) - p);
      break;
    }
    case StrPad::NullPad:
      while (len > 0 && p[len - 1] == '\0') --len;
      break;
    case StrPad::SpacePad:
      while (len > 0 && p[len - 1] == ' ') --len;
      break;
  }
  return std::string(p, len);
}

Var readFixed(const Datatype& t, const char* src) {
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float: {
      const Reader r = fixedOps(t).second;
      if (r == &readGeneric) bad("unsupported numeric size for " + typeLabel(t));
      return r(t, src);
    }
    case TypeClass::String:
      return stripString(t, src, t.size);
    case TypeClass::Enum: {
      const Int128 x = loadInt(src, t.size, t.isSigned, t.order);
      if (isBoolEnum(t) && (x == 0 || x == 1)) return Var(x == 1);
      if (x > Int128(std::numeric_limits<Poco::Int64>::max())) return Var(static_cast<Poco::UInt64>(x));
      return Var(static_cast<Poco::Int64>(x));
    }
    case TypeClass::Compound: {
      JArray::Ptr list = makeList(t.fields.size());
      for (std::size_t i = 0; i < t.fields.size(); ++i)
        put(list, i, readFixed(*t.fields[i].type, src + t.fields[i].offset));
      return list;
    }
    case TypeClass::Array: {
      const Datatype& base = *t.base;
      const Reader r = fixedOps(base).second;
      const char* p = src;
      auto fn = [&]() {
        Var e = r(base, p);
        p += base.size;
        return e;
      };
      return buildShape(t.dims, 0, fn);
    }
    case TypeClass::Opaque: {
      JArray::Ptr list = makeList(t.size);
      for (std::size_t i = 0; i < t.size; ++i)
        put(list, i, Var(static_cast<Poco::Int64>(static_cast<unsigned char>(src[i]))));
      return list;
    }
    case TypeClass::Reference: {
      const void* nul = std::memchr(src, '\0', t.size);
      return std::string(src, nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - src) : t.size);
    }
    case TypeClass::Vlen:
      break;
  }
  bad("internal: " + typeLabel(t) + " is not a fixed-size type");
}

// ---------------------------------------------------------------------------------------------
// Any element, appended to / read from the packed form.

void appendElement(const Datatype& t, const Var& v, std::string& out);

std::string regionText(const Datatype& t, const Var& v) {
  if (const std::string* s = asString(v)) {
    if (s->empty()) return std::string();  // the null reference
    bad("region reference must be an object {\"id\", \"select_type\", \"selection\"} or \"\"");
  }
  const JObject* o = asObject(v);
  if (!o) wrongKind(t, "an object {\"id\", \"select_type\", \"selection\"}", v);
  const Var id = o->get("id");
  if (!asString(id) || asString(id)->empty()) bad("region reference needs a string \"id\"");
  if (o->has("select_type") && !asString(o->get("select_type")))
    bad("region reference \"select_type\" must be a string");
  if (o->has("selection")) {
    const Var sel = o->get("selection");
    const Var* items;
    std::size_t n;
    if (!asList(sel, items, n)) bad("region reference \"selection\" must be a list");
  }
  std::ostringstream text;
  Poco::JSON::Stringifier::condense(v, text);
  return text.str();
}

void appendFixedRun(const Datatype& base, const Var* items, std::size_t n, std::string& out) {
  const Writer w = fixedOps(base).first;
  const std::size_t at = out.size();
  out.resize(at + n * base.size);
  char* p = &out[at];
  for (std::size_t i = 0; i < n; ++i, p += base.size) w(base, items[i], p);
}

void appendElement(const Datatype& t, const Var& v, std::string& out) {
  if (t.fixedSize()) {
    const std::size_t at = out.size();
    out.resize(at + t.size);
    writeFixed(t, v, &out[at]);
    return;
  }
  switch (t.cls) {
    case TypeClass::String: {
      const std::string* s = asString(v);
      if (!s) wrongKind(t, "a string", v);
      appendU64(out, s->size());
      out += *s;
      return;
    }
    case TypeClass::Vlen: {
      const Var* items;
      std::size_t n;
      if (!asList(v, items, n)) wrongKind(t, "a list", v);
      appendU64(out, n);
      if (t.base->fixedSize()) {
        appendFixedRun(*t.base, items, n, out);
      } else {
        for (std::size_t i = 0; i < n; ++i) appendElement(*t.base, items[i], out);
      }
      return;
    }
    case TypeClass::Compound:
      forEachField(t, v, [&](std::size_t i, const Var& fv) { appendElement(*t.fields[i].type, fv, out); });
      return;
    case TypeClass::Array: {
      auto fn = [&](const Var& e) { appendElement(*t.base, e, out); };
      forEachShaped(v, t.dims, "array-type value", fn);
      return;
    }
    case TypeClass::Reference: {
      const std::string text = regionText(t, v);
      appendU64(out, text.size());
      out += text;
      return;
    }
    default:
      break;
  }
  bad("internal: " + typeLabel(t) + " has no variable-length form");
}

uint64_t readCount(const char* data, std::size_t size, std::size_t& pos, const char* what) {
  need(size, pos, 8, what);
  const uint64_t n = loadU64LE(data + pos);
  pos += 8;
  return n;
}

Var readElement(const Datatype& t, const char* data, std::size_t size, std::size_t& pos) {
  if (t.fixedSize()) {
    need(size, pos, t.size, "an element");
    Var v = readFixed(t, data + pos);
    pos += t.size;
    return v;
  }
  switch (t.cls) {
    case TypeClass::String:
    case TypeClass::Reference: {
      const uint64_t n = readCount(data, size, pos, "a string length");
      need(size, pos, n, "a string");
      std::string s(data + pos, n);
      pos += n;
      if (t.cls == TypeClass::String || s.empty()) return s;
      try {
        Poco::JSON::Parser parser;
        return parser.parse(s);
      } catch (const Poco::Exception&) {
        bad("malformed region reference in stored data");
      }
    }
    case TypeClass::Vlen: {
      const uint64_t n = readCount(data, size, pos, "a sequence length");
      const Datatype& base = *t.base;
      // Every packed element takes at least one byte (8 if variable): a larger count is corrupt
      // and must not size an allocation.
      needElements(size, pos, n, base.fixedSize() ? base.size : 8, "a sequence");
      JArray::Ptr list = makeList(n);
      if (base.fixedSize()) {
        const Reader r = fixedOps(base).second;
        for (uint64_t i = 0; i < n; ++i, pos += base.size) put(list, i, r(base, data + pos));
      } else {
        for (uint64_t i = 0; i < n; ++i) put(list, i, readElement(base, data, size, pos));
      }
      return list;
    }
    case TypeClass::Compound: {
      JArray::Ptr list = makeList(t.fields.size());
      for (std::size_t i = 0; i < t.fields.size(); ++i)
        put(list, i, readElement(*t.fields[i].type, data, size, pos));
      return list;
    }
    case TypeClass::Array: {
      auto fn = [&]() { return readElement(*t.base, data, size, pos); };
      return buildShape(t.dims, 0, fn);
    }
    default:
      break;
  }
  bad("internal: " + typeLabel(t) + " has no variable-length form");
}

// Position after the element at pos, bounds-checked, without building JSON.
std::size_t skipElement(const Datatype& t, const char* data, std::size_t size, std::size_t pos) {
  if (t.fixedSize()) {
    need(size, pos, t.size, "an element");
    return pos + t.size;
  }
  switch (t.cls) {
    case TypeClass::String:
    case TypeClass::Reference: {
      const uint64_t n = readCount(data, size, pos, "a string length");
      need(size, pos, n, "a string");
      return pos + n;
    }
    case TypeClass::Vlen: {
      const uint64_t n = readCount(data, size, pos, "a sequence length");
      needElements(size, pos, n, t.base->fixedSize() ? t.base->size : 8, "a sequence");
      if (t.base->fixedSize()) return pos + n * t.base->size;
      for (uint64_t i = 0; i < n; ++i) pos = skipElement(*t.base, data, size, pos);
      return pos;
    }
    case TypeClass::Compound:
      for (const Field& f : t.fields) pos = skipElement(*f.type, data, size, pos);
      return pos;
    case TypeClass::Array: {
      const uint64_t n = elementCount(t.dims);
      for (uint64_t i = 0; i < n; ++i) pos = skipElement(*t.base, data, size, pos);
      return pos;
    }
    default:
      break;
  }
  bad("internal: " + typeLabel(t) + " has no variable-length form");
}

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

// ---------------------------------------------------------------------------------------------
// Type JSON.

struct NamedType {
  const char* name;
  std::size_t bytes;
  bool isSigned;
};

// H5T_NATIVE_* as on this platform (LP64, little-endian, char signed).
constexpr NamedType kNativeInts[] = {
    {"H5T_NATIVE_CHAR", 1, true},    {"H5T_NATIVE_SCHAR", 1, true},   {"H5T_NATIVE_UCHAR", 1, false},
    {"H5T_NATIVE_SHORT", 2, true},   {"H5T_NATIVE_USHORT", 2, false}, {"H5T_NATIVE_INT", 4, true},
    {"H5T_NATIVE_UINT", 4, false},   {"H5T_NATIVE_LONG", 8, true},    {"H5T_NATIVE_ULONG", 8, false},
    {"H5T_NATIVE_LLONG", 8, true},   {"H5T_NATIVE_ULLONG", 8, false}, {"H5T_NATIVE_INT8", 1, true},
    {"H5T_NATIVE_UINT8", 1, false},  {"H5T_NATIVE_INT16", 2, true},   {"H5T_NATIVE_UINT16", 2, false},
    {"H5T_NATIVE_INT32", 4, true},   {"H5T_NATIVE_UINT32", 4, false}, {"H5T_NATIVE_INT64", 8, true},
    {"H5T_NATIVE_UINT64", 8, false}, {"H5T_NATIVE_HSIZE", 8, false},  {"H5T_NATIVE_HSSIZE", 8, true},
};

DatatypePtr makeRef(RefKind kind) {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = kind;
  t->size = kind == RefKind::Object ? kRefBytes : 0;
  return t;
}

// A predefined type name, or null if the name is not one.
DatatypePtr predefined(const std::string& name) {
  auto endsWithOrder = [&](std::size_t prefixLen, ByteOrder& order, std::string& bits) {
    if (name.size() < prefixLen + 3) return false;
    const std::string suffix = name.substr(name.size() - 2);
    if (suffix == "LE")
      order = ByteOrder::Little;
    else if (suffix == "BE")
      order = ByteOrder::Big;
    else
      return false;
    bits = name.substr(prefixLen, name.size() - prefixLen - 2);
    return true;
  };
  ByteOrder order;
  std::string bits;
  if ((name.rfind("H5T_STD_I", 0) == 0 || name.rfind("H5T_STD_U", 0) == 0) && endsWithOrder(9, order, bits)) {
    const bool isSigned = name[8] == 'I';
    if (bits == "8") return intType(1, isSigned, order);
    if (bits == "16") return intType(2, isSigned, order);
    if (bits == "32") return intType(4, isSigned, order);
    if (bits == "64") return intType(8, isSigned, order);
    return nullptr;
  }
  if (name.rfind("H5T_IEEE_F", 0) == 0 && endsWithOrder(10, order, bits)) {
    if (bits == "32") return floatType(4, order);
    if (bits == "64") return floatType(8, order);
    return nullptr;
  }
  if (name == "H5T_STD_REF_OBJ") return makeRef(RefKind::Object);
  if (name == "H5T_STD_REF_DSETREG") return makeRef(RefKind::Region);
  if (name == "H5T_NATIVE_FLOAT") return floatType(4);
  if (name == "H5T_NATIVE_DOUBLE") return floatType(8);
  for (const NamedType& n : kNativeInts)
    if (name == n.name) return intType(n.bytes, n.isSigned);
  return nullptr;
}

class TypeParser {
 public:
  DatatypePtr parse(const Var& json, const std::string& where, int depth) {
    if (depth > kMaxTypeDepth)
      fail(where, "type nests more than " + std::to_string(kMaxTypeDepth) + " levels deep");
    if (const std::string* s = asString(json)) {
      if (s->rfind("datatypes/", 0) == 0)
        fail(where, "committed datatype " + quoted(*s) + " must be resolved before parsing");
      DatatypePtr t = predefined(*s);
      if (!t) fail(where, "unknown predefined type " + quoted(*s));
      return t;
    }
    const JObject* o = asObject(json);
    if (!o)
      fail(where, std::string("a type must be a predefined type name or an object, got ") + kindName(json));
    if (!o->has("class")) fail(where, "missing \"class\"");
    const Var clsVar = o->get("class");
    const std::string* cls = asString(clsVar);
    if (!cls) fail(where, "\"class\" must be a string");
    if (*cls != "H5T_ARRAY" && o->has("dims")) fail(where, "\"dims\" is only allowed for H5T_ARRAY types");

    if (*cls == "H5T_INTEGER" || *cls == "H5T_FLOAT") {
      const bool isInt = *cls == "H5T_INTEGER";
      const Var base = required(*o, "base", where);
      const std::string* name = asString(base);
      if (!name)
        fail(where, "\"base\" must be a predefined type name such as " +
                        quoted(isInt ? "H5T_STD_I32LE" : "H5T_IEEE_F64LE"));
      DatatypePtr t = predefined(*name);
      if (!t || t->cls != (isInt ? TypeClass::Integer : TypeClass::Float))
        fail(where, "unknown " + std::string(isInt ? "integer" : "float") + " base " + quoted(*name));
      return t;
    }
    if (*cls == "H5T_STRING") return parseString(*o, where);
    if (*cls == "H5T_COMPOUND") return parseCompound(*o, where, depth);
    if (*cls == "H5T_ARRAY") return parseArray(*o, where, depth);
    if (*cls == "H5T_VLEN") {
      auto t = std::make_shared<Datatype>();
      t->cls = TypeClass::Vlen;
      t->base = parse(required(*o, "base", where), child(where, "base"), depth + 1);
      t->size = 0;
      return t;
    }
    if (*cls == "H5T_ENUM") return parseEnum(*o, where, depth);
    if (*cls == "H5T_OPAQUE") {
      auto t = std::make_shared<Datatype>();
      t->cls = TypeClass::Opaque;
      t->size = positiveInt(required(*o, "size", where), "size", where);
      if (o->has("tag")) {
        const Var tag = o->get("tag");
        const std::string* s = asString(tag);
        if (!s) fail(where, "\"tag\" must be a string");
        if (s->size() > kMaxOpaqueTag)
          fail(where, "\"tag\" is longer than " + std::to_string(kMaxOpaqueTag) + " bytes");
        t->tag = *s;
      }
      return t;
    }
    if (*cls == "H5T_REFERENCE") {
      const Var base = required(*o, "base", where);
      const std::string* name = asString(base);
      if (name && *name == "H5T_STD_REF_OBJ") return makeRef(RefKind::Object);
      if (name && *name == "H5T_STD_REF_DSETREG") return makeRef(RefKind::Region);
      fail(where, "reference \"base\" must be \"H5T_STD_REF_OBJ\" or \"H5T_STD_REF_DSETREG\"");
    }
    if (*cls == "H5T_TIME" || *cls == "H5T_BITFIELD") fail(where, "unsupported class " + quoted(*cls));
    fail(where, "unknown class " + quoted(*cls));
  }

 private:
  [[noreturn]] static void fail(const std::string& where, const std::string& what) {
    bad("invalid type" + (where.empty() ? std::string() : " at " + where) + ": " + what);
  }

  static std::string child(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

  static Var required(const JObject& o, const char* key, const std::string& where) {
    if (!o.has(key)) fail(where, std::string("missing \"") + key + "\"");
    return o.get(key);
  }

  static std::size_t positiveInt(const Var& v, const char* key, const std::string& where) {
    Int128 x;
    if (!jsonInteger(v, x)) fail(where, std::string("\"") + key + "\" must be an integer");
    if (x < 0) fail(where, std::string("negative \"") + key + "\" " + int128ToString(x));
    if (x == 0) fail(where, std::string("\"") + key + "\" must be at least 1");
    if (x > Int128(kMaxTypeSize))
      fail(where, std::string("\"") + key + "\" " + int128ToString(x) + " is too large");
    return static_cast<std::size_t>(x);
  }

  DatatypePtr parseString(const JObject& o, const std::string& where) {
    CharSet cs = CharSet::Ascii;
    if (o.has("charSet")) {
      const Var v = o.get("charSet");
      const std::string* s = asString(v);
      if (s && *s == "H5T_CSET_ASCII")
        cs = CharSet::Ascii;
      else if (s && *s == "H5T_CSET_UTF8")
        cs = CharSet::Utf8;
      else
        fail(where, "\"charSet\" must be \"H5T_CSET_ASCII\" or \"H5T_CSET_UTF8\"");
    }
    std::optional<StrPad> pad;
    if (o.has("strPad")) {
      const Var v = o.get("strPad");
      const std::string* s = asString(v);
      if (s && *s == "H5T_STR_NULLTERM")
        pad = StrPad::NullTerm;
      else if (s && *s == "H5T_STR_NULLPAD")
        pad = StrPad::NullPad;
      else if (s && *s == "H5T_STR_SPACEPAD")
        pad = StrPad::SpacePad;
      else
        fail(where, "\"strPad\" must be \"H5T_STR_NULLTERM\", \"H5T_STR_NULLPAD\" or \"H5T_STR_SPACEPAD\"");
    }
    const Var length = required(o, "length", where);
    if (const std::string* s = asString(length)) {
      if (*s != "H5T_VARIABLE") fail(where, "\"length\" must be an integer or \"H5T_VARIABLE\"");
      auto t = std::make_shared<Datatype>(*vlenStringType(cs));
      t->strPad = pad.value_or(StrPad::NullTerm);
      return t;
    }
    Int128 x;
    if (!jsonInteger(length, x)) fail(where, "\"length\" must be an integer or \"H5T_VARIABLE\"");
    return fixedStringType(positiveInt(length, "length", where), cs, pad.value_or(StrPad::NullPad));
  }

  DatatypePtr parseCompound(const JObject& o, const std::string& where, int depth) {
    const Var fieldsVar = required(o, "fields", where);
    const Var* items;
    std::size_t n;
    if (!asList(fieldsVar, items, n)) fail(where, "\"fields\" must be a list");
    if (n == 0) fail(where, "compound type has no fields");
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Compound;
    t->fields.reserve(n);
    bool variable = false;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string at = child(where, "fields[" + std::to_string(i) + "]");
      const JObject* f = asObject(items[i]);
      if (!f) fail(at, "a field must be an object with \"name\" and \"type\"");
      const Var nameVar = required(*f, "name", at);
      const std::string* name = asString(nameVar);
      if (!name) fail(at, "\"name\" must be a string");
      if (name->empty()) fail(at, "empty field name");
      for (const Field& prev : t->fields)
        if (prev.name == *name) fail(where, "duplicate field name " + quoted(*name));
      Field field;
      field.name = *name;
      field.type = parse(required(*f, "type", at), child(at, "type"), depth + 1);
      if (field.type->fixedSize()) {
        field.offset = offset;
        offset += field.type->size;
        if (offset > kMaxTypeSize)
          fail(where, "compound type is larger than " + std::to_string(kMaxTypeSize) + " bytes");
      } else {
        variable = true;
      }
      t->fields.push_back(std::move(field));
    }
    if (variable) {
      // Offsets only exist in the fixed-size layout.
      for (Field& f : t->fields) f.offset = 0;
      t->size = 0;
    } else {
      t->size = offset;
    }
    return t;
  }

  DatatypePtr parseArray(const JObject& o, const std::string& where, int depth) {
    const Var dimsVar = required(o, "dims", where);
    std::vector<uint64_t> dims;
    const Var* items;
    std::size_t n;
    if (asList(dimsVar, items, n)) {
      if (n == 0) fail(where, "\"dims\" must not be empty");
      if (n > kMaxArrayRank)
        fail(where, "\"dims\" has more than " + std::to_string(kMaxArrayRank) + " dimensions");
      for (std::size_t i = 0; i < n; ++i) dims.push_back(positiveInt(items[i], "dims", where));
    } else {
      Int128 x;
      if (!jsonInteger(dimsVar, x)) fail(where, "\"dims\" must be a list of positive integers");
      dims.push_back(positiveInt(dimsVar, "dims", where));
    }
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Array;
    t->base = parse(required(o, "base", where), child(where, "base"), depth + 1);
    t->dims = std::move(dims);
    if (t->base->fixedSize()) {
      Int128 total = t->base->size;
      for (uint64_t d : t->dims) {
        total *= d;
        if (total > Int128(kMaxTypeSize))
          fail(where, "array type is larger than " + std::to_string(kMaxTypeSize) + " bytes");
      }
      t->size = static_cast<std::size_t>(total);
    } else {
      t->size = 0;
    }
    return t;
  }

  DatatypePtr parseEnum(const JObject& o, const std::string& where, int depth) {
    DatatypePtr base = parse(required(o, "base", where), child(where, "base"), depth + 1);
    if (base->cls != TypeClass::Integer) fail(where, "enum \"base\" must be an integer type");
    const bool hasMapping = o.has("mapping"), hasMembers = o.has("members");
    if (hasMapping && hasMembers) fail(where, "give either \"mapping\" or \"members\", not both");
    if (!hasMapping && !hasMembers) fail(where, "missing \"mapping\"");
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Enum;
    t->size = base->size;
    t->isSigned = base->isSigned;
    t->order = base->order;
    auto add = [&](const std::string& name, const Var& value) {
      if (name.empty()) fail(where, "empty enum member name");
      Int128 x;
      if (!jsonInteger(value, x)) fail(where, "enum member " + quoted(name) + " must have an integer value");
      if (x < intMin(base->size, base->isSigned) || x > intMax(base->size, base->isSigned) ||
          x > Int128(std::numeric_limits<int64_t>::max()))
        fail(where, "enum member " + quoted(name) + " value " + int128ToString(x) + " is out of range for " +
                        base->baseName());
      for (const auto& [n, v] : t->members) {
        if (n == name) fail(where, "duplicate enum member name " + quoted(name));
        if (Int128(v) == x) fail(where, "duplicate enum value " + int128ToString(x));
      }
      t->members.emplace_back(name, static_cast<int64_t>(x));
    };
    if (hasMapping) {
      const Var mapping = o.get("mapping");
      const JObject* m = asObject(mapping);
      if (!m) fail(where, "\"mapping\" must be an object {name: value}");
      // getNames keeps the client's order when the parser preserved it.
      for (const std::string& name : m->getNames()) add(name, m->get(name));
    } else {
      const Var members = o.get("members");
      const Var* items;
      std::size_t n;
      if (!asList(members, items, n)) fail(where, "\"members\" must be a list of {\"name\", \"value\"}");
      for (std::size_t i = 0; i < n; ++i) {
        const JObject* m = asObject(items[i]);
        if (!m) fail(where, "\"members\" must be a list of {\"name\", \"value\"}");
        const Var name = m->get("name");
        if (!asString(name)) fail(where, "enum member \"name\" must be a string");
        if (!m->has("value")) fail(where, "enum member " + quoted(*asString(name)) + " has no \"value\"");
        add(*asString(name), m->get("value"));
      }
    }
    if (t->members.empty()) fail(where, "enum type has no members");
    t->base = std::move(base);
    return t;
  }
};

JObject::Ptr orderedObject() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

const char* charSetName(CharSet cs) { return cs == CharSet::Utf8 ? "H5T_CSET_UTF8" : "H5T_CSET_ASCII"; }

const char* strPadName(StrPad pad) {
  switch (pad) {
    case StrPad::NullTerm:
      return "H5T_STR_NULLTERM";
    case StrPad::SpacePad:
      return "H5T_STR_SPACEPAD";
    case StrPad::NullPad:
      break;
  }
  return "H5T_STR_NULLPAD";
}

// Converts Poco's exceptions from odd Var contents into client errors; restores `out`.
template <class Fn>
void guarded(std::string& out, Fn&& fn) {
  const std::size_t start = out.size();
  try {
    fn();
  } catch (const Error&) {
    out.resize(start);
    throw;
  } catch (const Poco::Exception& e) {
    out.resize(start);
    throw BadRequest("invalid value: " + e.displayText());
  } catch (...) {
    out.resize(start);
    throw;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Datatype

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

DatatypePtr intType(std::size_t bytes, bool isSigned, ByteOrder order) {
  // Shared instances: the predefined types are parsed for every request that names one.
  static const auto table = [] {
    std::vector<DatatypePtr> v;
    for (ByteOrder o : {ByteOrder::Little, ByteOrder::Big})
      for (bool s : {true, false})
        for (std::size_t b : {1, 2, 4, 8}) {
          auto t = std::make_shared<Datatype>();
          t->cls = TypeClass::Integer;
          t->size = b;
          t->isSigned = s;
          t->order = o;
          v.push_back(t);
        }
    return v;
  }();
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
      for (std::size_t b : {4, 8}) {
        auto t = std::make_shared<Datatype>();
        t->cls = TypeClass::Float;
        t->size = b;
        t->isSigned = true;
        t->order = o;
        v.push_back(t);
      }
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

DatatypePtr typeFromJson(const Poco::Dynamic::Var& json) {
  try {
    return TypeParser().parse(json, "", 0);
  } catch (const Error&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw BadRequest("invalid type: " + e.displayText());
  }
}

Poco::Dynamic::Var typeToJson(const Datatype& t) {
  JObject::Ptr o = orderedObject();
  switch (t.cls) {
    case TypeClass::Integer:
      o->set("class", "H5T_INTEGER");
      o->set("base", t.baseName());
      break;
    case TypeClass::Float:
      o->set("class", "H5T_FLOAT");
      o->set("base", t.baseName());
      break;
    case TypeClass::String:
      o->set("class", "H5T_STRING");
      o->set("charSet", charSetName(t.charSet));
      o->set("strPad", strPadName(t.strPad));
      if (t.variable)
        o->set("length", "H5T_VARIABLE");
      else
        o->set("length", static_cast<Poco::Int64>(t.size));
      break;
    case TypeClass::Compound: {
      o->set("class", "H5T_COMPOUND");
      JArray::Ptr fields = new JArray();
      for (const Field& f : t.fields) {
        JObject::Ptr fo = orderedObject();
        fo->set("name", f.name);
        fo->set("type", typeToJson(*f.type));
        fields->add(fo);
      }
      o->set("fields", fields);
      break;
    }
    case TypeClass::Array: {
      o->set("class", "H5T_ARRAY");
      o->set("base", typeToJson(*t.base));
      JArray::Ptr dims = new JArray();
      for (uint64_t d : t.dims) dims->add(static_cast<Poco::Int64>(d));
      o->set("dims", dims);
      break;
    }
    case TypeClass::Vlen:
      o->set("class", "H5T_VLEN");
      o->set("base", typeToJson(*t.base));
      break;
    case TypeClass::Enum: {
      o->set("class", "H5T_ENUM");
      o->set("base", t.base ? typeToJson(*t.base) : typeToJson(*intType(t.size, t.isSigned, t.order)));
      JObject::Ptr mapping = orderedObject();
      for (const auto& [name, value] : t.members) mapping->set(name, static_cast<Poco::Int64>(value));
      o->set("mapping", mapping);
      break;
    }
    case TypeClass::Opaque:
      o->set("class", "H5T_OPAQUE");
      o->set("size", static_cast<Poco::Int64>(t.size));
      // h5serv drops the tag; keeping a non-empty one lets the type round-trip.
      if (!t.tag.empty()) o->set("tag", t.tag);
      break;
    case TypeClass::Reference:
      o->set("class", "H5T_REFERENCE");
      o->set("base", t.ref == RefKind::Object ? "H5T_STD_REF_OBJ" : "H5T_STD_REF_DSETREG");
      break;
  }
  return o;
}

void encodeJson(const Datatype& type, const std::vector<uint64_t>& dims, const Poco::Dynamic::Var& value,
                std::string& out) {
  guarded(out, [&] {
    if (dims.empty()) {
      appendElement(type, value, out);
      return;
    }
    std::vector<uint64_t> idx(dims.size(), 0);
    checkShape(value, dims, 0, idx, "value");
    try {
      if (type.fixedSize()) {
        // The shape check proved that the value holds this many elements: safe to size.
        const uint64_t count = elementCount(dims);
        if (count > (std::numeric_limits<std::size_t>::max() - out.size()) / type.size)
          bad("value is too large");
        const std::size_t at = out.size();
        out.resize(at + count * type.size);
        char* p = &out[at];
        const std::size_t step = type.size;
        const Writer w = fixedOps(type).first;
        auto fn = [&](const Var& e) {
          w(type, e, p);
          p += step;
        };
        forEachElement(value, dims.size(), 0, idx, fn);
      } else {
        auto fn = [&](const Var& e) { appendElement(type, e, out); };
        forEachElement(value, dims.size(), 0, idx, fn);
      }
    } catch (const BadRequest& e) {
      throw BadRequest(e.code(), std::string(e.what()) + " (element " + indexText(idx, idx.size()) + ")");
    }
  });
}

void encodeElement(const Datatype& type, const Poco::Dynamic::Var& value, std::string& out) {
  guarded(out, [&] { appendElement(type, value, out); });
}

Poco::Dynamic::Var decodeJson(const Datatype& type, const std::vector<uint64_t>& dims, const char* data,
                              std::size_t size, std::size_t& pos) {
  if (dims.empty()) return decodeElement(type, data, size, pos);
  const uint64_t count = elementCount(dims);
  if (type.fixedSize()) {
    needElements(size, pos, count, type.size, "the value");
    const Reader r = fixedOps(type).second;
    const char* p = data + pos;
    auto fn = [&]() {
      Var e = r(type, p);
      p += type.size;
      return e;
    };
    Var v = buildShape(dims, 0, fn);
    pos += count * type.size;
    return v;
  }
  // Every variable-length element takes at least 8 bytes: reject impossible counts before
  // allocating lists.
  needElements(size, pos, count, 8, "the value");
  auto fn = [&]() { return readElement(type, data, size, pos); };
  return buildShape(dims, 0, fn);
}

Poco::Dynamic::Var decodeElement(const Datatype& type, const char* data, std::size_t size, std::size_t& pos) {
  return readElement(type, data, size, pos);
}

std::size_t packedElementSize(const Datatype& type, const char* data, std::size_t size, std::size_t pos) {
  // A fixed size does not depend on the bytes: answer before they arrive (streaming readers).
  if (type.fixedSize()) return type.size;
  return skipElement(type, data, size, pos) - pos;
}

void swapByteOrder(const Datatype& type, char* data, std::size_t count) {
  if (!type.fixedSize()) bad("byte order conversion needs a fixed-size type, not a " + typeLabel(type));
  swapElements(type, data, count);
}

}  // namespace strata::arrays
