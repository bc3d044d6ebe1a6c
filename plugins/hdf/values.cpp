#include "values.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <strata/errors.h>

#include <charconv>
#include <cmath>
#include <cstring>

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
    if (!text.empty() && text != "[]")
      throw BadRequest("Bad Request: select is not valid on a scalar dataset");
    return Selection::all({});
  }
  if (shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: a null-space dataset has no values to select");
  if (text.empty()) return Selection::all(shape.dims);
  return Selection::parse(text, shape.dims);
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

std::string decodeBase64(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  std::size_t digits = 0, padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int v = value(c);
    if (v < 0 || padding > 0)
      throw BadRequest(std::string("Bad Request: value_base64 is not valid base64 (unexpected '") +
                       (v < 0 ? std::string(1, c) : std::string("=")) + "')");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (digits % 4 == 1 || padding > 2 || (padding > 0 && (digits + padding) % 4 != 0))
    throw BadRequest("Bad Request: value_base64 is not valid base64 (wrong length or padding)");
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

uint64_t loadUnsigned(const unsigned char* p, std::size_t size, arrays::ByteOrder order) {
  uint64_t u = 0;
  if (order == arrays::ByteOrder::Little)
    for (std::size_t i = size; i-- > 0;) u = (u << 8) | p[i];
  else
    for (std::size_t i = 0; i < size; ++i) u = (u << 8) | p[i];
  return u;
}

template <typename T>
void appendNumber(std::string& out, T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Integers and finite floats straight from their bytes; everything else through the type
// model's decoder, so that the two agree on every value the fast path leaves out.
void formatElement(const arrays::Datatype& t, const char* data, std::size_t n, std::string& out) {
  out.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  if (t.cls == TypeClass::Integer && (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8) &&
      n >= t.size) {
    uint64_t u = loadUnsigned(p, t.size, t.order);
    if (t.isSigned) {
      if (t.size < 8 && (u >> (t.size * 8 - 1)) & 1) u |= ~uint64_t{0} << (t.size * 8);
      appendNumber(out, static_cast<int64_t>(u));
    } else {
      appendNumber(out, u);
    }
    return;
  }
  if (t.cls == TypeClass::Float && (t.size == 4 || t.size == 8) && n >= t.size) {
    const uint64_t u = loadUnsigned(p, t.size, t.order);
    if (t.size == 4) {
      const auto bits = static_cast<uint32_t>(u);
      float f;
      std::memcpy(&f, &bits, 4);
      if (!std::isfinite(f)) {
        appendJsonNumber(f, out);
        return;
      }
      // The shortest text that reads back as the same float32 ("0.1", not 0.10000000149...).
      appendNumber(out, f);
    } else {
      double d;
      std::memcpy(&d, &u, 8);
      if (!std::isfinite(d)) {
        appendJsonNumber(d, out);
        return;
      }
      appendNumber(out, d);
    }
    // Keep floats recognisable as floats ("1.0", as h5serv writes them).
    if (out.find_first_of(".eE") == std::string::npos) out += ".0";
    return;
  }
  std::size_t pos = 0;
  appendJson(arrays::decodeElement(t, data, n, pos), out);
}

}  // namespace

JsonValueWriter::JsonValueWriter(const arrays::Datatype& type, std::vector<uint64_t> dims, Out out)
    : type_(type), dims_(std::move(dims)), out_(std::move(out)) {
  strides_.assign(dims_.size(), 1);
  for (std::size_t j = dims_.size(); j-- > 0;) {
    total_ *= dims_[j];
    strides_[j] = total_;
  }
}

void JsonValueWriter::emit(const std::string& s) {
  batch_ += s;
  if (batch_.size() >= (64u << 10)) flush();
}

void JsonValueWriter::flush() {
  if (batch_.empty()) return;
  out_(batch_.data(), batch_.size());
  batch_.clear();
}

void JsonValueWriter::element(const char* data, std::size_t n) {
  if (index_ >= total_) throw InternalError("the store returned more elements than were selected");
  for (std::size_t j = 0; j < strides_.size(); ++j)
    if (index_ % strides_[j] == 0) batch_.push_back('[');
  formatElement(type_, data, n, text_);
  ++index_;
  for (std::size_t j = strides_.size(); j-- > 0;)
    if (index_ % strides_[j] == 0) text_.push_back(']');
  if (index_ < total_) text_.push_back(',');
  emit(text_);
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
    emit(nest(0));
    flush();
    return;
  }
  if (!pending_.empty() || index_ != total_)
    throw InternalError("the store returned " + std::to_string(index_) + " of " + std::to_string(total_) +
                        " selected elements");
  flush();
}

}  // namespace strata::hdf
