// Access to Poco JSON values as the type model reads them, and the text helpers its messages
// use. See datatype_detail.h.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <typeinfo>

#include "datatype_detail.h"

namespace strata::arrays::detail {

namespace {
// An integral double converted to Int128; values far outside every integer type are clamped
// to +-2^100 so that the range check rejects them.
Int128 clampDouble(double d) {
  constexpr double kLimit = 1267650600228229401496703205376.0;  // 2^100
  if (d >= kLimit) return Int128(1) << 100;
  if (d <= -kLimit) return -(Int128(1) << 100);
  return static_cast<Int128>(d);
}
}  // namespace

void bad(const std::string& message) { throw BadRequest(message); }

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

}  // namespace strata::arrays::detail
