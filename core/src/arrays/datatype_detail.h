#pragma once
// Helpers shared by the datatype sources (datatype.cpp, type_json.cpp, json_codec.cpp,
// byte_order.cpp, json_access.cpp): limits, access to Poco JSON values, message text and the
// byte-level loads and stores. Internal to libstrata_core; plugins see only datatype.h.
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace strata::arrays::detail {

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

[[noreturn]] void bad(const std::string& message);
std::string int128ToString(Int128 v);
std::string quoted(const std::string& s);
// "[i, j, k]" of the first n indexes, for messages naming an element.
std::string indexText(const std::vector<uint64_t>& idx, std::size_t n);

// JSON access (json_access.cpp). Var::type() is a cheap virtual call; checking it first keeps
// the common (parser-produced) cases off Poco's slower conversion paths.
bool asList(const Var& v, const Var*& items, std::size_t& n);
const JObject* asObject(const Var& v);
const std::string* asString(const Var& v);
inline bool isBool(const Var& v) { return v.type() == typeid(bool); }
// "a list", "a string", ... for messages.
const char* kindName(const Var& v);
// A JSON integer (or a double with an integral value). False if v holds anything else.
bool jsonInteger(const Var& v, Int128& out);
// A JSON number, or one of the strings JSON has no literal for ("NaN", "Infinity", "-Infinity").
bool jsonNumber(const Var& v, double& out);
// A list of n empty Vars to be filled through slot() / put() (Poco's Array has no reserve()).
JArray::Ptr makeList(std::size_t n);
Var& slot(const JArray::Ptr& a, std::size_t i);
void put(const JArray::Ptr& a, std::size_t i, Var&& v);

// How a type is named in messages ("H5T_STD_I32LE", "fixed-length string of 4 bytes", ...).
std::string typeLabel(const Datatype& t);

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

inline bool needsSwap(ByteOrder order) { return (order == ByteOrder::Big) == kHostLittle; }

inline void appendU64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}

inline uint64_t loadU64LE(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline void storeInt(Int128 v, std::size_t n, ByteOrder order, char* dst) {
  const auto u = static_cast<uint64_t>(v);
  for (std::size_t i = 0; i < n; ++i) {
    const char b = static_cast<char>(u >> (8 * i));
    dst[order == ByteOrder::Big ? n - 1 - i : i] = b;
  }
}

inline Int128 loadInt(const char* src, std::size_t n, bool isSigned, ByteOrder order) {
  uint64_t u = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(src[order == ByteOrder::Big ? i : n - 1 - i]);
    u = (u << 8) | b;
  }
  if (isSigned && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~uint64_t(0) << (8 * n);
  return isSigned ? Int128(static_cast<int64_t>(u)) : Int128(u);
}

inline Int128 intMin(std::size_t bytes, bool isSigned) {
  return isSigned ? -(Int128(1) << (8 * bytes - 1)) : 0;
}
inline Int128 intMax(std::size_t bytes, bool isSigned) {
  return isSigned ? (Int128(1) << (8 * bytes - 1)) - 1 : (Int128(1) << (8 * bytes)) - 1;
}

// Converts fixed-size elements between the two byte orders (byte_order.cpp).
void swapElements(const Datatype& t, char* data, std::size_t count);

}  // namespace strata::arrays::detail
