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

// A selection and the shape its values take. HSDS's coordinate lists in `select=`
// ("[[1,5,7],0:10]": the listed indices of a dimension) become the points of the cartesian
// product in C order, shaped as the product (3 x 10; at most `maxPoints` elements, BadRequest
// beyond); any other text is selectionFromText's, with its own shape.
struct ShapedSelection {
  arrays::Selection sel;
  std::vector<uint64_t> dims;
};
ShapedSelection shapedSelectionFromText(const std::optional<std::string>& select, const Shape& shape,
                                        uint64_t maxPoints);

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
  // The text of one numeric element straight from its bytes; null for the other types.
  using Format = char* (*)(const char* src, char* dst);

  // Writes the text of one element (with its brackets and comma) at the end of batch_.
  void element(const char* data, std::size_t n);
  void flush();
  // JSON reads are bound by number formatting (bench/RESULTS.md), and an element's text
  // depends only on its bytes and its index: while there are two runs of kParallelElements
  // whole numeric elements, the second is formatted on another thread while this one formats
  // the first, and both go out in order.
  static constexpr uint64_t kParallelElements = 32768;
  void parallelNumbers(const char*& data, std::size_t& n);
  // The text of `count` whole numeric elements, starting at element `index` at position `pos`
  // (both advanced), into `out`.
  void numbers(const char* data, uint64_t count, std::vector<uint64_t>& pos, uint64_t& index,
               std::string& out) const;
  // Writes at p the brackets that open before element `index` (at `pos`), the element (body),
  // the brackets that close after it and its comma; advances pos and index. Returns the end.
  template <class Body>
  char* nest(char* p, std::vector<uint64_t>& pos, uint64_t& index, Body body) const {
    const std::size_t rank = pos.size();
    std::size_t first = rank;
    while (first > 0 && pos[first - 1] == 0) --first;
    for (std::size_t j = first; j < rank; ++j) *p++ = '[';
    p = body(p);
    ++index;
    for (std::size_t j = rank; j-- > 0;) {
      if (++pos[j] < dims_[j]) break;
      pos[j] = 0;
      *p++ = ']';
    }
    if (index < total_) *p++ = ',';
    return p;
  }

  const arrays::Datatype& type_;
  std::vector<uint64_t> dims_;
  std::vector<uint64_t> pos_;     // index in each dimension of the next element
  std::vector<uint64_t> stride_;  // elements per step in each dimension (C order)
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
