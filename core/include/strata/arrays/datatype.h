#pragma once
// The HDF5 type model, once for every arrays backend and API plugin: every HDF5 type class,
// its JSON form (h5serv / HSDS / h5pyd: {"class": "H5T_INTEGER", "base": "H5T_STD_I32LE"}, ...)
// and the encoding of element values between JSON and bytes.
//
// Element bytes ("the packed form"): how values cross the arrays store interface.
// - Fixed-size types: exactly Datatype::size bytes per element, laid out as HDF5 lays out the
//   type in a file: integers and floats in the type's own byte order, fixed strings padded to
//   their length, compound fields at their offsets, arrays as their elements in C order,
//   enums as their base integer, opaque as raw bytes, object references as kRefBytes bytes
//   (the reference in its JSON form, "groups/<id>", as ASCII padded with NULs; all NUL is the
//   null reference).
// - Variable-length types (vlen strings, vlen sequences, and any compound or array that
//   contains one): each element is self-delimiting: a vlen string is a little-endian uint64
//   byte count followed by the bytes; a vlen sequence is a little-endian uint64 element count
//   followed by that many base elements in the packed form. Compounds and arrays concatenate
//   their members' packed forms (no padding). Datatype::size is then 0 (not fixed). Region
//   references are variable-length too: their JSON text as a vlen string.
//
// Thread-safety: Datatype objects are immutable once built and shared freely.
#include <strata/export.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace strata::arrays {

enum class TypeClass { Integer, Float, String, Compound, Array, Vlen, Enum, Opaque, Reference };
enum class ByteOrder { Little, Big };
enum class CharSet { Ascii, Utf8 };
enum class StrPad { NullTerm, NullPad, SpacePad };
enum class RefKind { Object, Region };

struct Datatype;
using DatatypePtr = std::shared_ptr<const Datatype>;

struct STRATA_API Field {
  std::string name;
  DatatypePtr type;
  std::size_t offset = 0;  // byte offset in the packed form (fixed-size compounds only)
};

// Object references are stored in their JSON form ("groups/<id>", "datasets/<id>",
// "datatypes/<id>"), NUL-padded to this size; all NUL is the null reference.
inline constexpr std::size_t kRefBytes = 48;

struct STRATA_API Datatype {
  TypeClass cls = TypeClass::Integer;
  // Bytes per element in the packed form; 0 for variable-length types.
  std::size_t size = 0;
  // Integer, Enum (of its base), Float
  bool isSigned = true;
  ByteOrder order = ByteOrder::Little;
  // String: fixed length is `size`; variable if `variable`
  bool variable = false;
  CharSet charSet = CharSet::Ascii;
  StrPad strPad = StrPad::NullPad;
  // Compound
  std::vector<Field> fields;
  // Array (base + dims), Vlen (base), Enum (base integer type)
  DatatypePtr base;
  std::vector<uint64_t> dims;
  // Enum members in declaration order
  std::vector<std::pair<std::string, int64_t>> members;
  // Opaque
  std::string tag;
  // Reference
  RefKind ref = RefKind::Object;
  // The id of the committed datatype a dataset's or attribute's type is (given as
  // "datatypes/<id>" or read from a file that shares a named type); empty otherwise. Only on
  // the top-level type. See array_store.h for what stores do with it.
  std::string committedId;

  bool fixedSize() const { return size != 0; }
  // True if the type or a member of it is variable-length.
  bool hasVariableParts() const;
  // The predefined name ("H5T_STD_I32LE", "H5T_IEEE_F64BE") for integers and floats.
  std::string baseName() const;
  bool operator==(const Datatype& other) const;  // structural (ignores committedId)
};

// Predefined types.
STRATA_API DatatypePtr intType(std::size_t bytes, bool isSigned, ByteOrder order = ByteOrder::Little);
STRATA_API DatatypePtr floatType(std::size_t bytes, ByteOrder order = ByteOrder::Little);
STRATA_API DatatypePtr fixedStringType(std::size_t length, CharSet cs = CharSet::Ascii,
                                       StrPad pad = StrPad::NullPad);
STRATA_API DatatypePtr vlenStringType(CharSet cs = CharSet::Utf8);

// Parses the JSON form (object, or a predefined name string such as "H5T_STD_I8LE").
// "datatypes/<id>" strings are not resolved here: the caller resolves committed types and
// calls this on their JSON (a committed type nested inside a compound or array is refused).
// Throws BadRequest naming what is wrong.
STRATA_API DatatypePtr typeFromJson(const Poco::Dynamic::Var& json);
// The JSON form, as h5serv writes it (enum members as "mapping").
STRATA_API Poco::Dynamic::Var typeToJson(const Datatype& type);

// Encodes a JSON value of `count` elements (nested lists in C order for `dims`, or a bare
// value for a scalar) into the packed form, appending to `out`. Throws BadRequest when the
// value's shape or element types do not fit.
STRATA_API void encodeJson(const Datatype& type, const std::vector<uint64_t>& dims,
                           const Poco::Dynamic::Var& value, std::string& out);
// Encodes one element.
STRATA_API void encodeElement(const Datatype& type, const Poco::Dynamic::Var& value, std::string& out);
// Decodes `dims` elements (C order) from packed bytes into nested JSON lists (a bare value
// when dims is empty). `pos` advances past the consumed bytes. Throws BadRequest on
// truncated or malformed input.
STRATA_API Poco::Dynamic::Var decodeJson(const Datatype& type, const std::vector<uint64_t>& dims,
                                         const char* data, std::size_t size, std::size_t& pos);
STRATA_API Poco::Dynamic::Var decodeElement(const Datatype& type, const char* data, std::size_t size,
                                            std::size_t& pos);
// Bytes of the next packed element at data[pos..] (its size for fixed types, without reading
// the data). For variable-length types a truncated element throws BadRequest.
STRATA_API std::size_t packedElementSize(const Datatype& type, const char* data, std::size_t size,
                                         std::size_t pos);

// Converts packed fixed-size elements in place from the type's byte order to the other
// order (for clients that want native little-endian). No-op for types without byte order.
STRATA_API void swapByteOrder(const Datatype& type, char* data, std::size_t count);

}  // namespace strata::arrays
