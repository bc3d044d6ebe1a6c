#pragma once
// Dataset and attribute values on the wire: selections from requests, point lists, base64,
// and the JSON text of packed elements (written as they arrive, so that a large selection is
// never held whole as JSON).
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/stores/array_store.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::hdf {

// The "shape" of a create request: int | [int...] | "H5S_NULL" | "H5S_SCALAR" | absent (a
// scalar). BadRequest for anything else or negative extents.
Shape shapeFromJson(const Poco::JSON::Object& body);

// The selection a GET/PUT names with `select=` (all of the dataset without one). For scalar
// datasets only an empty selection ("", "[]") is accepted. BadRequest for anything invalid.
arrays::Selection selectionFromText(const std::optional<std::string>& select, const Shape& shape);

// Points from a JSON body: ints for rank 1, lists of `rank` ints otherwise, each inside `dims`.
arrays::Selection pointsFromJson(const Poco::Dynamic::Var& points, const std::vector<uint64_t>& dims);

// A JSON int or list of ints (start/stop/step of a PUT body) as a vector of `rank` values.
std::vector<int64_t> intList(const Poco::Dynamic::Var& value, const std::string& what, std::size_t rank);

// The list a JSON value holds, or null when it is not a list.
Poco::JSON::Array::Ptr asArray(const Poco::Dynamic::Var& value);

// Parses a non-negative JSON integer; BadRequest naming `what` otherwise.
uint64_t toCount(const Poco::Dynamic::Var& value, const std::string& what);

// Strict base64 (RFC 4648 alphabet, '=' padding optional, whitespace ignored): BadRequest for
// any other character or a length that cannot be base64.
std::string decodeBase64(std::string_view text);

// Encodes a JSON value for a selection of shape `dims` (empty: one scalar element). When the
// value's nesting does not match, the shape without its 1-extents is tried as well (a client
// writing [a, b, c] into a 1x3 hyperslab). BadRequest naming the mismatch otherwise.
std::string encodeValue(const arrays::Datatype& type, const std::vector<uint64_t>& dims,
                        const Poco::Dynamic::Var& value);

// Writes packed elements as JSON text: nested lists over `dims` (no brackets at all for a
// scalar, dims empty), elements as typeToJson/decodeElement define them, with fast paths for
// integers and finite floats. Feed it the packed bytes in any pieces; finish() checks that
// exactly the expected elements arrived.
class JsonValueWriter {
 public:
  using Out = std::function<void(const char* data, std::size_t n)>;
  JsonValueWriter(const arrays::Datatype& type, std::vector<uint64_t> dims, Out out);
  void feed(const char* data, std::size_t n);
  void finish();

 private:
  // Writes the text of one element (with its brackets and comma) at the end of batch_.
  void element(const char* data, std::size_t n);
  void flush();

  // The text of one numeric element straight from its bytes; null for the other types.
  using Format = char* (*)(const char* src, char* dst);

  const arrays::Datatype& type_;
  std::vector<uint64_t> dims_;
  std::vector<uint64_t> pos_;  // index in each dimension of the next element
  uint64_t total_ = 1;
  uint64_t index_ = 0;
  Out out_;
  Format format_ = nullptr;
  std::string pending_;  // a partial element between two feed() calls
  std::string text_;     // reused per element of the other types
  // Text goes out in large batches: one call per element would cost more than the formatting.
  std::string batch_;
  std::size_t used_ = 0;
};

// The JSON text of one packed element (used for fill values and queries).
Poco::Dynamic::Var decodeOne(const arrays::Datatype& type, const std::string& packed);

}  // namespace strata::hdf
