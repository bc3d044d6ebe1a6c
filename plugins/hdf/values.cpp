#include "values.h"

#include <algorithm>
#include <iterator>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <strata/errors.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <future>

#include "responses.h"

namespace strata::hdf {

using arrays::Selection;
using arrays::TypeClass;
using Poco::Dynamic::Var;

Poco::JSON::Array::Ptr asArray(const Var& v) {
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) return v.extract<Poco::JSON::Array::Ptr>();
  return nullptr;
}

namespace {

bool isInt(const Var& v) { return v.type() != typeid(bool) && v.isInteger(); }

int64_t toInt(const Var& v, const std::string& what) {
  if (!isInt(v)) {
    // Integral doubles ("3.0") are ints to Python clients too.
    if (v.isNumeric() && v.type() != typeid(bool)) {
      const double d = v.convert<double>();
      if (std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
    }
    throw BadRequest("Bad Request: " + what + " must be an integer");
  }
  if (!v.isSigned() && v.convert<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    throw BadRequest("Bad Request: " + what + " is out of range");
  return v.convert<int64_t>();
}

}  // namespace

uint64_t toCount(const Var& value, const std::string& what) {
  const int64_t v = toInt(value, what);
  if (v < 0) throw BadRequest("Bad Request: " + what + " must not be negative");
  return static_cast<uint64_t>(v);
}

// "shape": int | [int...] | "H5S_NULL" | "H5S_SCALAR" | absent (scalar).
Shape shapeFromJson(const Poco::JSON::Object& body) {
  Shape shape;
  if (!body.has("shape")) return shape;
  const Var v = body.get("shape");
  if (v.isString()) {
    const std::string s = v.convert<std::string>();
    if (s == "H5S_NULL") {
      shape.cls = ShapeClass::Null;
      return shape;
    }
    if (s == "H5S_SCALAR") return shape;
    throw BadRequest("Bad Request: shape is invalid: '" + s + "'");
  }
  if (auto list = asArray(v)) {
    for (std::size_t i = 0; i < list->size(); ++i)
      shape.dims.push_back(toCount(list->get(static_cast<unsigned>(i)), "a shape extent"));
  } else if (!v.isEmpty()) {
    shape.dims.push_back(toCount(v, "shape"));
  } else {
    throw BadRequest("Bad Request: shape is invalid (null)");
  }
  // h5serv makes a scalar of an empty list.
  shape.cls = shape.dims.empty() ? ShapeClass::Scalar : ShapeClass::Simple;
  return shape;
}

Selection selectionFromText(const std::optional<std::string>& select, const Shape& shape) {
  const std::string text = select ? Poco::trim(*select) : std::string();
  if (shape.cls == ShapeClass::Scalar) {
    // What h5py/h5pyd users index a scalar with: nothing, (), ... (as text, with or without
    // brackets).
    static const char* const whole[] = {"", "[]", "()", "[()]", "...", "[...]", "Ellipsis", "[Ellipsis]"};
    if (std::find(std::begin(whole), std::end(whole), text) == std::end(whole))
      throw BadRequest("Bad Request: select '" + text +
                       "' is not valid on a scalar dataset (only [], [()] or [...])");
    return Selection::all({});
  }
  if (shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: a null-space dataset has no values to select");
  if (text.empty()) return Selection::all(shape.dims);
  return Selection::parse(text, shape.dims);
}

namespace {

// The top-level parts of "a,[b,c],d" (commas inside brackets do not split).
std::vector<std::string> topLevelParts(const std::string& text) {
  std::vector<std::string> parts(1);
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0) throw BadRequest("Bad Request: unbalanced brackets in select");
    if (c == ',' && depth == 0)
      parts.emplace_back();
    else
      parts.back().push_back(c);
  }
  if (depth != 0) throw BadRequest("Bad Request: unbalanced brackets in select");
  return parts;
}

BadRequest tooManyPoints(uint64_t maxPoints) {
  return BadRequest("Bad Request: a coordinate selection may select at most " + std::to_string(maxPoints) +
                    " elements; use slices for more");
}

// The indices one dimension's part selects: a coordinate list "[1,5,7]" or a slice/index. A
// slice is expanded only when it has at most maxPoints indices (BadRequest otherwise): a slice
// of a large dimension would otherwise exhaust memory before the product is checked.
std::vector<uint64_t> dimensionIndices(const std::string& rawPart, uint64_t extent, std::size_t dim,
                                       uint64_t maxPoints) {
  const std::string part = Poco::trim(rawPart);
  std::vector<uint64_t> out;
  if (!part.empty() && part.front() == '[') {
    if (part.back() != ']')
      throw BadRequest("Bad Request: invalid coordinate list in dimension " + std::to_string(dim));
    for (const auto& item : topLevelParts(part.substr(1, part.size() - 2))) {
      const std::string t = Poco::trim(item);
      uint64_t v = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size())
        throw BadRequest("Bad Request: invalid coordinate '" + t + "' in dimension " + std::to_string(dim));
      if (v >= extent)
        throw BadRequest("Bad Request: coordinate " + t + " is outside dimension " + std::to_string(dim) +
                         " of extent " + std::to_string(extent));
      out.push_back(v);
    }
    return out;
  }
  const Selection one = Selection::parse("[" + part + "]", {extent});
  const auto& slab = one.slab();
  if (slab.count[0] > maxPoints) throw tooManyPoints(maxPoints);
  for (uint64_t i = 0; i < slab.count[0]; ++i) out.push_back(slab.start[0] + i * slab.step[0]);
  return out;
}

}  // namespace

ShapedSelection shapedSelectionFromText(const std::optional<std::string>& select, const Shape& shape,
                                        uint64_t maxPoints) {
  std::string text = select ? Poco::trim(*select) : std::string();
  if (shape.cls == ShapeClass::Simple && text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (shape.cls != ShapeClass::Simple || text.find('[') == std::string::npos) {
    Selection sel = selectionFromText(select, shape);
    auto dims = sel.shape();
    return {std::move(sel), std::move(dims)};
  }
  const auto parts = topLevelParts(text);
  if (parts.size() != shape.dims.size())
    throw BadRequest("Bad Request: select has " + std::to_string(parts.size()) + " dimensions, the dataset " +
                     std::to_string(shape.dims.size()));
  std::vector<std::vector<uint64_t>> axes;
  std::vector<uint64_t> dims;
  uint64_t total = 1;
  for (std::size_t d = 0; d < parts.size(); ++d) {
    axes.push_back(dimensionIndices(parts[d], shape.dims[d], d, maxPoints));
    dims.push_back(axes.back().size());
    total *= dims.back();
    if (total > maxPoints) throw tooManyPoints(maxPoints);
  }
  // The cartesian product in C order.
  std::vector<std::vector<uint64_t>> points;
  points.reserve(total);
  std::vector<std::size_t> at(axes.size(), 0);
  for (uint64_t n = 0; n < total; ++n) {
    std::vector<uint64_t> p(axes.size());
    for (std::size_t d = 0; d < axes.size(); ++d) p[d] = axes[d][at[d]];
    points.push_back(std::move(p));
    for (std::size_t d = axes.size(); d-- > 0;) {
      if (++at[d] < axes[d].size()) break;
      at[d] = 0;
    }
  }
  return {Selection::points(std::move(points), axes.size()), std::move(dims)};
}

Selection pointsFromJson(const Var& points, const std::vector<uint64_t>& dims) {
  auto list = asArray(points);
  if (!list) throw BadRequest("Bad Request: expecting list of points");
  const std::size_t rank = dims.size();
  std::vector<std::vector<uint64_t>> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Var p = list->get(static_cast<unsigned>(i));
    std::vector<uint64_t> coord;
    if (auto coords = asArray(p)) {
      if (coords->size() != rank)
        throw BadRequest("Bad Request: point " + std::to_string(i) + " has " +
                         std::to_string(coords->size()) + " coordinates, the dataset has rank " +
                         std::to_string(rank));
      for (std::size_t d = 0; d < rank; ++d)
        coord.push_back(toCount(coords->get(static_cast<unsigned>(d)), "a point coordinate"));
    } else {
      if (rank != 1)
        throw BadRequest("Bad Request: elements of points should be list type for datasets of rank >1");
      coord.push_back(toCount(p, "a point coordinate"));
    }
    for (std::size_t d = 0; d < rank; ++d)
      if (coord[d] >= dims[d])
        throw BadRequest("Bad Request: point " + std::to_string(i) +
                         " lies outside the dataset (coordinate " + std::to_string(coord[d]) +
                         " in dimension " + std::to_string(d) + " of extent " + std::to_string(dims[d]) +
                         ")");
    out.push_back(std::move(coord));
  }
  return Selection::points(std::move(out), rank);
}

std::vector<int64_t> intList(const Var& value, const std::string& what, std::size_t rank) {
  std::vector<int64_t> out;
  if (auto a = asArray(value)) {
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(toInt(a->get(static_cast<unsigned>(i)), what));
  } else {
    out.push_back(toInt(value, what));
  }
  if (out.size() != rank)
    throw BadRequest("Bad Request: " + what + " array length not equal to dataset rank (" +
                     std::to_string(rank) + ")");
  return out;
}

namespace {

// Base64 digit values; kSkip for the whitespace the decoder ignores, kPad for '=', kBad else.
constexpr uint8_t kSkip = 64, kPad = 65, kBad = 66;
constexpr auto kBase64Table = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<uint8_t>(i);
    t['a' + i] = static_cast<uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<uint8_t>(52 + i);
  t['+'] = 62;
  t['/'] = 63;
  t[' '] = t['\n'] = t['\r'] = t['\t'] = kSkip;
  t['='] = kPad;
  return t;
}();

}  // namespace

std::string decodeBase64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  char* dst = out.data();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  uint32_t acc = 0;
  int bits = 0;
  std::size_t digits = 0, padding = 0;
  // Four digits at a time while there is nothing but digits: the common case. Only called on
  // a group boundary (no bits pending, no padding seen); returns where the digits stop.
  auto quads = [&](const unsigned char* q) {
    while (end - q >= 4) {
      const uint32_t a = kBase64Table[q[0]], b = kBase64Table[q[1]], c = kBase64Table[q[2]],
                     d = kBase64Table[q[3]];
      if ((a | b | c | d) >= 64) break;
      const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
      dst[0] = static_cast<char>(v >> 16);
      dst[1] = static_cast<char>(v >> 8);
      dst[2] = static_cast<char>(v);
      dst += 3;
      q += 4;
      digits += 4;
    }
    return q;
  };
  p = quads(p);
  for (; p < end; ++p) {
    const uint8_t v = kBase64Table[*p];
    if (v == kSkip) continue;
    if (v == kPad) {
      ++padding;
      continue;
    }
    if (v == kBad || padding > 0)
      throw BadRequest(std::string("Bad Request: value_base64 is not valid base64 (unexpected '") +
                       (v == kBad ? std::string(1, static_cast<char>(*p)) : std::string("=")) + "')");
    acc = (acc << 6) | v;
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      *dst++ = static_cast<char>((acc >> bits) & 0xff);
    }
    // After whitespace the four-digit loop may take over again.
    // p stands on the last digit taken; the loop's ++p moves past what quads() took.
    if (bits == 0 && padding == 0) p = quads(p + 1) - 1;
  }
  if (digits % 4 == 1 || padding > 2 || (padding > 0 && (digits + padding) % 4 != 0))
    throw BadRequest("Bad Request: value_base64 is not valid base64 (wrong length or padding)");
  out.resize(static_cast<std::size_t>(dst - out.data()));
  return out;
}

std::string encodeValue(const arrays::Datatype& type, const std::vector<uint64_t>& dims, const Var& value) {
  std::string out;
  try {
    arrays::encodeJson(type, dims, value, out);
    return out;
  } catch (const BadRequest&) {
    std::vector<uint64_t> squeezed;
    for (auto d : dims)
      if (d != 1) squeezed.push_back(d);
    if (squeezed.size() == dims.size()) throw;
    std::string retry;
    try {
      arrays::encodeJson(type, squeezed, value, retry);
    } catch (const BadRequest&) {
      out.clear();
      arrays::encodeJson(type, dims, value, out);  // throws the error about the real shape
    }
    return retry;
  }
}

Var decodeOne(const arrays::Datatype& type, const std::string& packed) {
  std::size_t pos = 0;
  return arrays::decodeElement(type, packed.data(), packed.size(), pos);
}

// ---------------------------------------------------------------- JsonValueWriter

namespace {

template <typename T>
void appendNumber(std::string& out, T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Everything but the numeric fast paths: through the type model's decoder, so that the two
// agree on every value the fast paths leave out.
void formatElement(const arrays::Datatype& t, const char* data, std::size_t n, std::string& out) {
  out.clear();
  std::size_t pos = 0;
  appendJson(arrays::decodeElement(t, data, n, pos), out);
}

template <class T, bool kSwap>
T loadAs(const char* src) {
  if constexpr (kSwap) {
    char b[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = src[sizeof(T) - 1 - i];
    T v;
    std::memcpy(&v, b, sizeof v);
    return v;
  } else {
    T v;
    std::memcpy(&v, src, sizeof v);
    return v;
  }
}

// The longest text a format function writes (a double's shortest form is at most 24
// characters, "-Infinity" 11).
constexpr std::size_t kMaxNumberText = 32;

template <class T, bool kSwap>
char* formatInt(const char* src, char* dst) {
  return std::to_chars(dst, dst + kMaxNumberText, loadAs<T, kSwap>(src)).ptr;
}

template <class T, bool kSwap>
char* formatFloat(const char* src, char* dst) {
  const T v = loadAs<T, kSwap>(src);
  if (!std::isfinite(v)) {
    std::string s;
    appendJsonNumber(v, s);
    std::memcpy(dst, s.data(), s.size());
    return dst + s.size();
  }
  // The shortest text that reads back as the same value (for float32 "0.1", not
  // 0.10000000149...).
  char* end = std::to_chars(dst, dst + kMaxNumberText, v).ptr;
  for (const char* q = dst; q < end; ++q)
    if (*q == '.' || *q == 'e') return end;
  // Keep floats recognisable as floats ("1.0", as h5serv writes them).
  end[0] = '.';
  end[1] = '0';
  return end + 2;
}

template <class T>
char* (*intFormat(bool swap))(const char*, char*) {
  return swap ? &formatInt<T, true> : &formatInt<T, false>;
}

template <class T>
char* (*floatFormat(bool swap))(const char*, char*) {
  return swap ? &formatFloat<T, true> : &formatFloat<T, false>;
}

char* (*numberFormat(const arrays::Datatype& t))(const char*, char*) {
  const bool swap = (t.order == arrays::ByteOrder::Big) == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  if (t.cls == TypeClass::Float) {
    if (t.size == 4) return floatFormat<float>(swap);
    if (t.size == 8) return floatFormat<double>(swap);
    return nullptr;
  }
  if (t.cls != TypeClass::Integer) return nullptr;
  switch (t.size) {
    case 1:
      return t.isSigned ? intFormat<int8_t>(swap) : intFormat<uint8_t>(swap);
    case 2:
      return t.isSigned ? intFormat<int16_t>(swap) : intFormat<uint16_t>(swap);
    case 4:
      return t.isSigned ? intFormat<int32_t>(swap) : intFormat<uint32_t>(swap);
    case 8:
      return t.isSigned ? intFormat<int64_t>(swap) : intFormat<uint64_t>(swap);
    default:
      return nullptr;
  }
}

constexpr std::size_t kBatchBytes = 256u << 10;

}  // namespace

JsonValueWriter::JsonValueWriter(const arrays::Datatype& type, std::vector<uint64_t> dims, Out out)
    : type_(type), dims_(std::move(dims)), out_(std::move(out)) {
  pos_.assign(dims_.size(), 0);
  for (uint64_t d : dims_) total_ *= d;
  format_ = numberFormat(type_);
  batch_.resize(kBatchBytes);
  stride_.assign(dims_.size(), 1);
  for (std::size_t j = dims_.size(); j-- > 1;) stride_[j - 1] = stride_[j] * dims_[j];
}

void JsonValueWriter::flush() {
  if (used_ == 0) return;
  out_(batch_.data(), used_);
  used_ = 0;
}

void JsonValueWriter::element(const char* data, std::size_t n) {
  if (index_ >= total_) throw InternalError("the store returned more elements than were selected");
  std::size_t need = kMaxNumberText + 2 * pos_.size() + 1;
  if (!format_) {
    formatElement(type_, data, n, text_);
    need += text_.size();
  }
  if (used_ + need > batch_.size()) {
    flush();
    if (need > batch_.size()) batch_.resize(need);
  }
  char* p = batch_.data() + used_;
  p = nest(p, pos_, index_, [&](char* q) {
    if (format_) return format_(data, q);
    std::memcpy(q, text_.data(), text_.size());
    return q + text_.size();
  });
  used_ = static_cast<std::size_t>(p - batch_.data());
}

void JsonValueWriter::numbers(const char* data, uint64_t count, std::vector<uint64_t>& pos, uint64_t& index,
                              std::string& out) const {
  out.resize(count * (kMaxNumberText + 2 * pos.size() + 1));
  char* p = out.data();
  const std::size_t size = type_.size;
  for (uint64_t i = 0; i < count; ++i, data += size)
    p = nest(p, pos, index, [&](char* q) { return format_(data, q); });
  out.resize(static_cast<std::size_t>(p - out.data()));
}

void JsonValueWriter::parallelNumbers(const char*& data, std::size_t& n) {
  const std::size_t size = type_.size;
  while (n / size >= 2 * kParallelElements && total_ - index_ >= 2 * kParallelElements) {
    flush();
    // The second run's position, from its index: row-major over dims_.
    std::vector<uint64_t> pos2(pos_.size());
    uint64_t index2 = index_ + kParallelElements;
    for (std::size_t j = 0; j < pos2.size(); ++j) pos2[j] = index2 / stride_[j] % dims_[j];
    const char* second = data + kParallelElements * size;
    std::string secondText;
    auto job =
        std::async(std::launch::async, [&] { numbers(second, kParallelElements, pos2, index2, secondText); });
    std::string firstText;
    numbers(data, kParallelElements, pos_, index_, firstText);
    job.get();
    out_(firstText.data(), firstText.size());
    out_(secondText.data(), secondText.size());
    pos_ = pos2;
    index_ = index2;
    data += 2 * kParallelElements * size;
    n -= 2 * kParallelElements * size;
  }
}

void JsonValueWriter::feed(const char* data, std::size_t n) {
  if (type_.fixedSize()) {
    const std::size_t size = type_.size;
    if (!pending_.empty()) {
      const std::size_t take = std::min(n, size - pending_.size());
      pending_.append(data, take);
      data += take;
      n -= take;
      if (pending_.size() < size) return;
      element(pending_.data(), size);
      pending_.clear();
    }
    if (format_) parallelNumbers(data, n);
    while (n >= size) {
      element(data, size);
      data += size;
      n -= size;
    }
    pending_.assign(data, n);
    return;
  }
  pending_.append(data, n);
  std::size_t pos = 0;
  while (pos < pending_.size()) {
    std::size_t size = 0;
    try {
      size = arrays::packedElementSize(type_, pending_.data(), pending_.size(), pos);
    } catch (const BadRequest&) {
      break;  // the element continues in the next piece
    }
    if (size == 0 || pos + size > pending_.size()) break;
    element(pending_.data() + pos, size);
    pos += size;
  }
  pending_.erase(0, pos);
}

void JsonValueWriter::finish() {
  if (total_ == 0) {
    // An empty selection still has its nesting: [[], []] for a 2x0 block.
    std::function<std::string(std::size_t)> nest = [&](std::size_t j) -> std::string {
      if (j >= dims_.size()) return "";
      std::string s = "[";
      for (uint64_t k = 0; k < dims_[j] && dims_[j] != 0; ++k) {
        if (k) s += ",";
        s += nest(j + 1);
        if (s.size() > (1u << 20)) break;
      }
      return s + "]";
    };
    const std::string text = nest(0);
    flush();
    out_(text.data(), text.size());
    return;
  }
  if (!pending_.empty() || index_ != total_)
    throw InternalError("the store returned " + std::to_string(index_) + " of " + std::to_string(total_) +
                        " selected elements");
  flush();
}

}  // namespace strata::hdf
