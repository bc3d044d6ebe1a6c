// The hyperchunks syntax tree's value semantics, its canonical form, and its expansion into
// (array, attribute, hyperslice) items.
#include "hyperchunks.h"

#include <strata/errors.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace strata::slycat {

Slice Slice::ofIndex(int64_t k) {
  Slice s;
  s.kind = Kind::kIndex;
  s.index = k;
  return s;
}

Slice Slice::ofRange(std::optional<int64_t> start, std::optional<int64_t> stop, std::optional<int64_t> step) {
  Slice s;
  s.kind = Kind::kRange;
  s.start = start;
  s.stop = stop;
  s.step = step;
  return s;
}

Slice Slice::ellipsis() {
  Slice s;
  s.kind = Kind::kEllipsis;
  return s;
}

bool Slice::operator==(const Slice& other) const {
  if (kind != other.kind) return false;
  switch (kind) {
    case Kind::kIndex:
      return index == other.index;
    case Kind::kRange:
      return start == other.start && stop == other.stop && step == other.step;
    case Kind::kEllipsis:
      return true;
  }
  return false;
}

bool Expr::operator==(const Expr& other) const {
  if (kind != other.kind) return false;
  switch (kind) {
    case Kind::kSlice:
      return slice == other.slice;
    case Kind::kAttribute:
    case Kind::kInteger:
      return integer == other.integer;
    case Kind::kFloat:
      return std::memcmp(&number, &other.number, sizeof number) == 0 ||
             (std::isnan(number) && std::isnan(other.number));
    case Kind::kString:
      return text == other.text;
    default:
      return text == other.text && children == other.children;
  }
}

bool Hyperchunk::operator==(const Hyperchunk& other) const {
  return arrays == other.arrays && attributes == other.attributes && order == other.order &&
         hyperslices == other.hyperslices;
}

ArraysetReader::~ArraysetReader() = default;

// --- canonical form ----------------------------------------------------------------------

std::string floatRepr(double value) {
  if (std::isnan(value)) return "nan";
  // Python prints inf, which no hyperchunk parses; 1e999 parses back to the same value.
  if (std::isinf(value)) return value > 0 ? "1e999" : "-1e999";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);  // shortest round trip: -d.ddde-05
  std::string sign;
  std::size_t i = 0;
  if (sci[0] == '-') {
    sign = "-";
    i = 1;
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t j = i; j < e; ++j) {
    if (sci[j] != '.') digits += sci[j];
  }
  int exponent = std::stoi(sci.substr(e + 1));
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::string magnitude = std::to_string(std::abs(exponent));
    if (magnitude.size() < 2) magnitude = "0" + magnitude;
    return out + "e" + (exponent < 0 ? "-" : "+") + magnitude;
  }
  if (exponent < 0) return sign + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  auto whole = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= whole) return sign + digits + std::string(whole - digits.size(), '0') + ".0";
  return sign + digits.substr(0, whole) + "." + digits.substr(whole);
}

std::string toString(const Slice& slice) {
  switch (slice.kind) {
    case Slice::Kind::kIndex:
      return std::to_string(slice.index);
    case Slice::Kind::kEllipsis:
      return "...";
    case Slice::Kind::kRange:
      break;
  }
  std::string out = (slice.start ? std::to_string(*slice.start) : "") + ":" +
                    (slice.stop ? std::to_string(*slice.stop) : "");
  if (slice.step) out += ":" + std::to_string(*slice.step);
  return out;
}

std::string toString(const Hyperslice& hyperslice) {
  std::string out;
  for (std::size_t i = 0; i < hyperslice.size(); ++i) out += (i ? "," : "") + toString(hyperslice[i]);
  return out;
}

namespace {

std::string quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string joined(const std::vector<Expr>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + toString(items[i]);
  return out;
}

}  // namespace

std::string toString(const Expr& expr) {
  using Kind = Expr::Kind;
  switch (expr.kind) {
    case Kind::kSlice:
      return toString(expr.slice);
    case Kind::kAttribute:
      return "a" + std::to_string(expr.integer);
    case Kind::kInteger:
      return std::to_string(expr.integer);
    case Kind::kFloat: {
      // Python's repr, less the "+" of a positive exponent, which the grammar refuses.
      std::string repr = floatRepr(expr.number);
      std::size_t plus = repr.find("e+");
      if (plus != std::string::npos) repr.erase(plus + 1, 1);
      return repr;
    }
    case Kind::kString:
      return quote(expr.text);
    case Kind::kList:
      return "[" + joined(expr.children, ", ") + "]";
    case Kind::kCall:
      return expr.text + "(" + joined(expr.children, ", ") + ")";
    case Kind::kCompare:
      return "(" + toString(expr.children[0]) + " " + expr.text + " " + toString(expr.children[1]) + ")";
    case Kind::kIn:
      return "(" + toString(expr.children[0]) + " in " + toString(expr.children[1]) + ")";
    case Kind::kNotIn:
      return "(" + toString(expr.children[0]) + " not in " + toString(expr.children[1]) + ")";
    case Kind::kAnd:
      return "(" + joined(expr.children, " and ") + ")";
    case Kind::kOr:
      return "(" + joined(expr.children, " or ") + ")";
  }
  return {};
}

std::string toString(const Hyperchunk& chunk) {
  std::string out;
  for (std::size_t i = 0; i < chunk.arrays.size(); ++i) out += (i ? "|" : "") + toString(chunk.arrays[i]);
  if (chunk.attributes) out += "/" + joined(*chunk.attributes, "|");
  if (chunk.order) out += "/order:" + toString(*chunk.order);
  if (chunk.hyperslices) {
    out += "/";
    for (std::size_t i = 0; i < chunk.hyperslices->size(); ++i)
      out += (i ? "|" : "") + toString((*chunk.hyperslices)[i]);
  }
  return out;
}

std::string toString(const Hyperchunks& chunks) {
  std::string out;
  for (std::size_t i = 0; i < chunks.size(); ++i) out += (i ? ";" : "") + toString(chunks[i]);
  return out;
}

// --- expansion ---------------------------------------------------------------------------

namespace {

// Python's range(*slice(...).indices(n)) for a range, and for an index k the single index k
// (or n + k when k < 0) when it lies in [0, n). Calls `emit` for each index in order.
template <typename Emit>
void pythonIndices(const Slice& slice, int64_t n, const char* what, Emit emit) {
  if (slice.kind == Slice::Kind::kEllipsis) {
    for (int64_t i = 0; i < n; ++i) emit(i);
    return;
  }
  if (slice.kind == Slice::Kind::kIndex) {
    int64_t k = slice.index < 0 ? slice.index + n : slice.index;
    if (k >= 0 && k < n) emit(k);
    return;
  }
  int64_t step = slice.step.value_or(1);
  if (step == 0)
    throw BadRequest(std::string("hyperchunks: step 0 in ") + what + " slice " + toString(slice));
  int64_t lower = step < 0 ? -1 : 0;
  int64_t upper = step < 0 ? n - 1 : n;
  auto clamp = [&](std::optional<int64_t> bound, int64_t otherwise) {
    if (!bound) return otherwise;
    int64_t b = *bound < 0 ? *bound + n : *bound;
    return b < lower ? lower : b > upper ? upper : b;
  };
  int64_t start = clamp(slice.start, step < 0 ? upper : lower);
  int64_t stop = clamp(slice.stop, step < 0 ? lower : upper);
  for (__int128 i = start; step > 0 ? i < stop : i > stop; i += step) emit(static_cast<int64_t>(i));
}

}  // namespace

std::vector<Item> expandHyperchunks(const Hyperchunks& chunks, const ArraysetReader& reader,
                                    const Limits& limits) {
  std::vector<Item> items;
  auto tooMany = [&]() {
    throw PayloadTooLarge("hyperchunks: the request selects more than " + std::to_string(limits.maxItems) +
                          " (array, attribute, hyperslice) items");
  };
  auto add = [&](const Item& item) {
    if (items.size() >= limits.maxItems) tooMany();
    items.push_back(item);
  };
  std::vector<int64_t> ids = reader.arrays();
  int64_t arrayCount = ids.empty() ? 0 : ids.back() + 1;

  for (std::size_t c = 0; c < chunks.size(); ++c) {
    const Hyperchunk& chunk = chunks[c];
    std::vector<int64_t> arrays;
    for (const Slice& slice : chunk.arrays) {
      pythonIndices(slice, arrayCount, "array", [&](int64_t a) {
        if (!std::binary_search(ids.begin(), ids.end(), a)) return;
        if (arrays.size() >= limits.maxItems) tooMany();
        arrays.push_back(a);
      });
    }
    for (int64_t a : arrays) {
      Item item;
      item.hyperchunk = c;
      item.array = a;
      if (!chunk.attributes) {
        add(item);
        continue;
      }
      auto attributeCount = static_cast<int64_t>(reader.array(a).attributes.size());
      item.hasAttribute = true;
      auto withHyperslices = [&](Item attributeItem) {
        if (!chunk.hyperslices) return add(attributeItem);
        for (const Hyperslice& h : *chunk.hyperslices) {
          attributeItem.hyperslice = &h;
          add(attributeItem);
        }
      };
      for (const Expr& expr : *chunk.attributes) {
        if (expr.kind != Expr::Kind::kSlice) {
          item.attribute = -1;
          item.expression = &expr;
          withHyperslices(item);
          continue;
        }
        item.expression = nullptr;
        pythonIndices(expr.slice, attributeCount, "attribute", [&](int64_t k) {
          item.attribute = k;
          withHyperslices(item);
        });
      }
    }
  }
  return items;
}

}  // namespace strata::slycat
