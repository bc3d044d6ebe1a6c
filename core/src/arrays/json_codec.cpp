// Element values between JSON (Poco::Dynamic::Var) and the packed form (see datatype.h).
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
#include <sstream>
#include <type_traits>
#include <typeinfo>

#include "datatype_detail.h"

namespace strata::arrays {
namespace {

using namespace detail;

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

// U: the unsigned integer of the type's size; its signed twin serves signed types.
template <class U>
void pickInt(bool isSigned, bool swap, Writer& w, Reader& r) {
  isSigned ? pick<IntOps, std::make_signed_t<U>>(swap, w, r) : pick<IntOps, U>(swap, w, r);
}

// The writer and reader for one element of a fixed-size type.
std::pair<Writer, Reader> fixedOps(const Datatype& t) {
  Writer w = &writeGeneric;
  Reader r = &readGeneric;
  const bool swap = needsSwap(t.order);
  if (t.cls == TypeClass::Integer) {
    switch (t.size) {
      case 1:
        pickInt<uint8_t>(t.isSigned, false, w, r);
        break;
      case 2:
        pickInt<uint16_t>(t.isSigned, swap, w, r);
        break;
      case 4:
        pickInt<uint32_t>(t.isSigned, swap, w, r);
        break;
      case 8:
        pickInt<uint64_t>(t.isSigned, swap, w, r);
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

// How a null object reference reads in JSON (h5serv's form); it is accepted on writes too.
constexpr const char* kNullRef = "null";

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
      if (!s)
        wrongKind(t, "a string (\"groups/<id>\", \"datasets/<id>\", \"datatypes/<id>\", \"null\" or \"\")",
                  v);
      // "null" is how a null reference reads (h5serv's form), so it writes one too.
      const std::string& ref = *s == kNullRef ? std::string() : *s;
      checkObjectRef(ref);
      std::memcpy(dst, ref.data(), ref.size());
      std::memset(dst + ref.size(), 0, t.size - ref.size());
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
      const std::size_t n = nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - src) : t.size;
      if (n == 0) return std::string(kNullRef);  // the null reference, as h5serv reads it
      return std::string(src, n);
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

}  // namespace strata::arrays
