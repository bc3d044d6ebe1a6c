#pragma once
// Hyperchunks: the query language of Slycat arraysets, which names arrays, then attributes
// (plain indices or computed expressions), then an optional order, then hyperslices.
//
// Three steps, each usable alone:
//   parseHyperchunks()   text -> syntax tree, accepting exactly the Slycat grammar (docs/slycat.md)
//   toString()           syntax tree -> canonical text (parse(toString(x)) == x)
//   expandHyperchunks()  syntax tree + the arrayset's arrays -> (array, attribute, hyperslice)
//                        items in hyperchunk, array, attribute, hyperslice order
//   Evaluator            one item -> its values, read through an ArraysetReader
//
// Errors: every malformed input, and every expression that cannot be evaluated (bad type,
// unknown function, out-of-range aN or hyperslice index, step 0, ...), throws
// strata::BadRequest with a message naming the problem and, for syntax, the 0-based position in
// the input. An input longer than Limits::maxInputBytes, or one that expands to more than
// Limits::maxItems items, throws strata::PayloadTooLarge. Memory is bounded by the input length
// and maxItems; evaluation reads whole attributes of one array at a time.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::slycat {

struct Limits {
  // Longest hyperchunks text accepted (bytes). Slycat clients send large category filters by
  // POST; 1 MiB holds filters with tens of thousands of values.
  std::size_t maxInputBytes = 1 << 20;
  // Most (array, attribute, hyperslice) items one request may expand to.
  std::size_t maxItems = 100000;
  // Deepest nesting of parentheses and function calls (bounds the parser's recursion).
  std::size_t maxDepth = 64;
};

// One slice of an array, attribute or hyperslice list: an index k, a Python range
// start:stop:step (each part optional), or "...".
struct Slice {
  enum class Kind { kIndex, kRange, kEllipsis };
  Kind kind = Kind::kIndex;
  int64_t index = 0;
  std::optional<int64_t> start, stop, step;

  static Slice ofIndex(int64_t k);
  static Slice ofRange(std::optional<int64_t> start, std::optional<int64_t> stop,
                       std::optional<int64_t> step = std::nullopt);
  static Slice ellipsis();
  bool operator==(const Slice& other) const;
  bool operator!=(const Slice& other) const { return !(*this == other); }
};

// One slice per dimension (fewer pad with full ranges).
using Hyperslice = std::vector<Slice>;

// An attribute expression or one of its parts.
struct Expr {
  enum class Kind {
    kSlice,      // a plain attribute index or range: `slice`
    kAttribute,  // aN: `integer` = N
    kCall,       // name(args): `text` = name, `children` = args
    kCompare,    // children = {kAttribute, kInteger|kFloat}, `text` = ==, !=, <, <=, >, >=
    kIn,         // children = {kAttribute, kList}
    kNotIn,      // children = {kAttribute, kList}
    kAnd,        // children = 2 or more operands (n-ary; explicit parentheses nest)
    kOr,
    kInteger,  // `integer`
    kFloat,    // `number` (nan, and +-inf from an overflowing literal, included)
    kString,   // `text`, unescaped
    kList,     // children: all numbers or all strings, at least one
  };
  Kind kind = Kind::kInteger;
  Slice slice;
  int64_t integer = 0;
  double number = 0;
  std::string text;
  std::vector<Expr> children;

  bool operator==(const Expr& other) const;  // floats compare bitwise, so nan == nan here
  bool operator!=(const Expr& other) const { return !(*this == other); }
};

struct Hyperchunk {
  std::vector<Slice> arrays;
  std::optional<std::vector<Expr>> attributes;
  std::optional<Expr> order;  // a kCall
  std::optional<std::vector<Hyperslice>> hyperslices;
  bool operator==(const Hyperchunk& other) const;
};

using Hyperchunks = std::vector<Hyperchunk>;

Hyperchunks parseHyperchunks(const std::string& text, const Limits& limits = Limits());

// The canonical form: Slycat's (docs/slycat.md) except that strings are re-escaped and float
// exponents have no "+", so that the form parses back to the same tree.
std::string toString(const Hyperchunks& chunks);
std::string toString(const Hyperchunk& chunk);
std::string toString(const Expr& expr);
std::string toString(const Slice& slice);
std::string toString(const Hyperslice& hyperslice);
// Python's repr() of a float: shortest round trip, exponent below 1e-4 and from 1e16.
std::string floatRepr(double value);

// A column of one attribute of one array, or of an evaluated expression, in row-major order.
struct Column {
  // Slycat type names: int8 .. uint64, float32, float64, string, and bool for comparisons.
  std::string type = "float64";
  std::vector<double> numbers;       // every type but string
  std::vector<std::string> strings;  // string
  bool isString() const { return type == "string"; }
  std::size_t size() const { return isString() ? strings.size() : numbers.size(); }
};

struct AttributeInfo {
  std::string name;
  std::string type;
};

struct ArrayInfo {
  std::vector<uint64_t> shape;
  std::vector<AttributeInfo> attributes;
};

// What the evaluator reads. The plugin backs it with ArrayStore reads; tests with memory.
class ArraysetReader {
 public:
  virtual ~ArraysetReader();
  // The ids of the arrays that exist, ascending.
  virtual std::vector<int64_t> arrays() const = 0;
  // One existing array's shape and attributes.
  virtual ArrayInfo array(int64_t id) const = 0;
  // All values of one attribute of one existing array, row-major; `attribute` is in range.
  virtual Column read(int64_t array, int64_t attribute) const = 0;
};

// One element of the expansion. A hyperchunk without attributes gives array-only items, one
// without hyperslices (array, attribute) items.
struct Item {
  std::size_t hyperchunk = 0;
  int64_t array = 0;
  bool hasAttribute = false;
  int64_t attribute = -1;            // a plain attribute index, or -1
  const Expr* expression = nullptr;  // a computed attribute (aN, call, comparison), or null
  const Hyperslice* hyperslice = nullptr;
};

// Expands in hyperchunk, array, attribute, hyperslice order, keeping duplicates. Array and
// attribute slices follow Python: negative indices count from the end, ranges clamp, an index
// out of range selects nothing; step 0 is a BadRequest. Indices range over 0..max id, and ids
// of arrays that do not exist are skipped. Computed attributes pass through unchecked.
std::vector<Item> expandHyperchunks(const Hyperchunks& chunks, const ArraysetReader& reader,
                                    const Limits& limits = Limits());

// The values of one item, and their shape (empty: a single value, because every entry of the
// hyperslice was an integer).
struct Values {
  Column column;
  std::vector<uint64_t> shape;
};

// A hyperslice resolved against an array's shape with h5py's rules (negative indices count from
// the end, an integer index out of range and a step below 1 are BadRequest, ranges clamp, fewer
// slices than dimensions pad with full ranges): per dimension the first index, the number of
// indices and the step, which is a store Hyperslab, and whether the dimension stays in the
// result (not for an integer index).
struct ResolvedHyperslice {
  std::vector<uint64_t> start, count, step;
  std::vector<bool> kept;
  std::vector<uint64_t> shape;  // the result's shape: the counts of the kept dimensions
  uint64_t size() const;        // elements selected
};
ResolvedHyperslice resolveHyperslice(const std::vector<uint64_t>& shape, const Hyperslice& hyperslice);

// Evaluates items (that have an attribute and a hyperslice). It caches the current array's
// attribute columns and order, so evaluating the items of expandHyperchunks() in their order
// reads each attribute once per array and hyperchunk. Use one Evaluator per Hyperchunks.
class Evaluator {
 public:
  explicit Evaluator(const ArraysetReader& reader) : reader_(reader) {}
  Values evaluate(const Hyperchunks& chunks, const Item& item);

  // The whole-array value of an attribute expression (no order, no hyperslice).
  Column evaluateExpression(int64_t array, const Expr& expr);
  // Applies a hyperslice (resolveHyperslice's rules) to a whole-array column.
  static Values applyHyperslice(const Column& column, const std::vector<uint64_t>& shape,
                                const Hyperslice& hyperslice);

 private:
  const Column& attributeColumn(int64_t array, int64_t attribute);
  const ArrayInfo& arrayInfo(int64_t array);
  Column evaluateCall(int64_t array, const Expr& call);
  Column evaluateBoolean(int64_t array, const Expr& expr);

  const ArraysetReader& reader_;
  int64_t cachedArray_ = -1;
  ArrayInfo cachedInfo_;
  std::vector<std::optional<Column>> cachedColumns_;
  // The order permutation of (hyperchunk, array), once computed.
  std::size_t orderChunk_ = SIZE_MAX;
  int64_t orderArray_ = -1;
  std::vector<uint64_t> order_;
};

}  // namespace strata::slycat
