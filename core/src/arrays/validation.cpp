#include <strata/arrays/validation.h>
#include <strata/errors.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace strata::arrays {

// ---- names

void checkContainerName(const std::string& name) {
  const auto bad = [&](const std::string& why) {
    return BadRequest("invalid domain name '" + name + "': " + why);
  };
  if (name.empty()) throw bad("empty");
  if (name.find('\0') != std::string::npos) throw bad("contains a NUL character");
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = name.find('/', begin);
    const std::string segment = name.substr(begin, end == std::string::npos ? end : end - begin);
    if (segment.empty()) throw bad("empty path segment (leading, trailing or double '/')");
    if (segment == "." || segment == "..") throw bad("'" + segment + "' segment");
    if (end == std::string::npos) break;
    begin = end + 1;
  }
}

void checkLinkName(const std::string& name) {
  if (name.empty()) throw BadRequest("a link name may not be empty");
  if (name.find('/') != std::string::npos)
    throw BadRequest("invalid link name '" + name + "': it may not contain '/'");
  if (name == ".") throw BadRequest("invalid link name '.'");
}

Link checkNewLink(const Link& link) {
  checkLinkName(link.name);
  Link stored;
  stored.name = link.name;
  stored.cls = link.cls;
  switch (link.cls) {
    case LinkClass::Hard:
      if (link.id.empty()) throw BadRequest("hard link '" + link.name + "' has no target id");
      stored.id = link.id;
      break;
    case LinkClass::Soft:
      if (link.h5path.empty()) throw BadRequest("soft link '" + link.name + "' has no h5path");
      stored.h5path = link.h5path;
      break;
    case LinkClass::External:
      if (link.h5path.empty() || link.h5domain.empty())
        throw BadRequest("external link '" + link.name + "' needs both h5path and h5domain");
      stored.h5path = link.h5path;
      stored.h5domain = link.h5domain;
      break;
    case LinkClass::UserDefined:
      throw BadRequest("user-defined links cannot be created");
  }
  return stored;
}

// ---- shapes

uint64_t elementCount(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (auto d : dims) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d)
      throw BadRequest("the shape has more elements than fit in 64 bits");
    n *= d;
  }
  return n;
}

std::string dimsText(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += dims[i] == kUnlimited ? std::string("unlimited") : std::to_string(dims[i]);
  }
  return s + "]";
}

// ---- types and values

void checkType(const DatatypePtr& type, const std::string& what) {
  if (!type) throw BadRequest(what + " has no type");
  if (!type->fixedSize() && !type->hasVariableParts()) throw BadRequest(what + " has a type of size 0");
}

std::string zeroElement(const Datatype& type) {
  if (type.fixedSize()) return std::string(type.size, '\0');
  switch (type.cls) {
    case TypeClass::Compound: {
      std::string out;
      for (const auto& f : type.fields) {
        if (!f.type) throw BadRequest("compound field '" + f.name + "' has no type");
        out += zeroElement(*f.type);
      }
      return out;
    }
    case TypeClass::Array: {
      if (!type.base) throw BadRequest("array type without a base type");
      const std::string one = zeroElement(*type.base);
      const uint64_t n = elementCount(type.dims);
      std::string out;
      out.reserve(one.size() * n);
      for (uint64_t i = 0; i < n; ++i) out += one;
      return out;
    }
    default:
      // vlen strings, vlen sequences and region references: a uint64 count of zero.
      return std::string(8, '\0');
  }
}

std::vector<uint64_t> splitElements(const Datatype& type, const char* data, std::size_t size,
                                    uint64_t count) {
  std::vector<uint64_t> offsets;
  // Every variable-length element takes at least 8 bytes: no reservation past what the
  // bytes can hold.
  offsets.reserve(static_cast<std::size_t>(std::min<uint64_t>(count, size / 8) + 1));
  std::size_t pos = 0;
  uint64_t n = 0;
  while (pos < size) {
    if (n == count)
      throw BadRequest("Expected: " + std::to_string(count) + " elements, but got more (" +
                       std::to_string(size - pos) + " bytes left over)");
    const std::size_t k = packedElementSize(type, data, size, pos);
    if (k == 0 || k > size - pos)
      throw BadRequest("truncated or malformed variable-length element " + std::to_string(n));
    offsets.push_back(pos);
    pos += k;
    ++n;
  }
  if (n != count)
    throw BadRequest("Expected: " + std::to_string(count) + " elements, but got: " + std::to_string(n));
  offsets.push_back(pos);
  return offsets;
}

void checkPackedValue(const Datatype& type, uint64_t count, const std::string& value) {
  if (type.fixedSize()) {
    const uint64_t expected = count * type.size;
    if (value.size() != expected)
      throw BadRequest("Expected: " + std::to_string(expected) +
                       " bytes, but got: " + std::to_string(value.size()));
  } else {
    splitElements(type, value.data(), value.size(), count);
  }
}

void repeatElement(const std::string& element, uint64_t n, char* out) {
  const std::size_t size = element.size();
  if (n == 0 || size == 0) return;
  const uint64_t total = n * size;
  std::memcpy(out, element.data(), size);
  // Doubling copies: a few memcpy calls instead of one per element.
  uint64_t done = size;
  while (done < total) {
    const uint64_t k = std::min(done, total - done);
    std::memcpy(out + done, out, static_cast<std::size_t>(k));
    done += k;
  }
}

void pullBytes(const ByteSource& source, char* out, uint64_t n, uint64_t& pulled, uint64_t total) {
  while (n > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(n, 1 << 30));
    const std::size_t got = source(out, want);
    if (got == 0)
      throw BadRequest("the value ended after " + std::to_string(pulled) + " of " + std::to_string(total) +
                       " bytes");
    if (got > want) throw InternalError("a byte source returned more bytes than asked for");
    out += got;
    n -= got;
    pulled += got;
  }
}

// ---- sizes

uint64_t elementBytes(const Datatype& type) { return type.fixedSize() ? type.size : 16; }

void checkValueSize(const Datatype& type, uint64_t count, uint64_t maxBytes, const std::string& what) {
  const uint64_t each = elementBytes(type);
  if (count <= maxBytes / each) return;
  const bool overflows = count > std::numeric_limits<uint64_t>::max() / each;
  throw PayloadTooLarge(what + " would take " +
                        (overflows ? std::string("more than 2^64") : std::to_string(count * each)) +
                        " bytes, more than the limit of " + std::to_string(maxBytes));
}

void checkChunkBytes(const DatasetSpec& spec, uint64_t maxBytes) {
  if (spec.chunks.empty() || !spec.type) return;
  const uint64_t limit = std::min(maxBytes, kMaxChunkBytes);
  const uint64_t each = elementBytes(*spec.type);
  uint64_t bytes = each;
  for (auto c : spec.chunks) {
    if (c != 0 && bytes > limit / c)
      throw BadRequest("chunk dims " + dimsText(spec.chunks) + " make chunks larger than the limit of " +
                       std::to_string(limit) + " bytes");
    bytes *= c;
  }
}

// ---- datasets and attributes

std::vector<uint64_t> checkDatasetSpec(const DatasetSpec& spec, uint64_t maxStorageBytes) {
  checkType(spec.type, "the dataset");
  std::vector<uint64_t> maxdims;
  const Shape& shape = spec.shape;
  if (shape.cls != ShapeClass::Simple) {
    if (!shape.dims.empty() || !shape.maxdims.empty())
      throw BadRequest("a scalar or null shape has no dimensions");
    if (!spec.chunks.empty()) throw BadRequest("only datasets with a simple shape can be chunked");
  } else {
    const std::size_t rank = shape.dims.size();
    if (rank == 0) throw BadRequest("a simple shape needs at least one dimension");
    elementCount(shape.dims);
    maxdims = shape.maxdims.empty() ? shape.dims : shape.maxdims;
    if (maxdims.size() != rank)
      throw BadRequest("maxdims " + dimsText(maxdims) + " does not have the rank of the shape " +
                       dimsText(shape.dims));
    for (std::size_t i = 0; i < rank; ++i)
      if (maxdims[i] != kUnlimited && maxdims[i] < shape.dims[i])
        throw BadRequest("maxdims " + dimsText(maxdims) + " is smaller than the shape " +
                         dimsText(shape.dims) + " in dimension " + std::to_string(i));
    if (!spec.chunks.empty()) {
      if (spec.chunks.size() != rank)
        throw BadRequest("chunk dims " + dimsText(spec.chunks) + " do not have the rank of the shape " +
                         dimsText(shape.dims));
      for (std::size_t i = 0; i < rank; ++i) {
        if (spec.chunks[i] == 0) throw BadRequest("chunk dimension " + std::to_string(i) + " is 0");
        if (maxdims[i] != kUnlimited && spec.chunks[i] > maxdims[i])
          throw BadRequest("chunk dims " + dimsText(spec.chunks) + " are larger than maxdims " +
                           dimsText(maxdims) + " in dimension " + std::to_string(i));
      }
      checkChunkBytes(spec);
    }
  }
  if (maxStorageBytes != 0 && shape.cls != ShapeClass::Null) {
    const uint64_t count = shape.cls == ShapeClass::Simple ? elementCount(shape.dims) : 1;
    if (count > maxStorageBytes / elementBytes(*spec.type))
      throw InsufficientStorage("the dataset would take more than the store's " +
                                std::to_string(maxStorageBytes) + " bytes per dataset");
  }
  if (!spec.fillValue.empty()) checkPackedValue(*spec.type, 1, spec.fillValue);
  return maxdims;
}

void checkAttribute(const AttributeInfo& info, const std::string& packedValue) {
  if (info.name.empty()) throw BadRequest("an attribute name may not be empty");
  checkType(info.type, "attribute '" + info.name + "'");
  uint64_t count = 0;
  switch (info.shape.cls) {
    case ShapeClass::Simple:
      if (info.shape.dims.empty())
        throw BadRequest("attribute '" + info.name + "' has a simple shape without dimensions");
      count = elementCount(info.shape.dims);
      break;
    case ShapeClass::Scalar:
      if (!info.shape.dims.empty())
        throw BadRequest("attribute '" + info.name + "' has a scalar shape with dimensions");
      count = 1;
      break;
    case ShapeClass::Null:
      break;
  }
  checkPackedValue(*info.type, count, packedValue);
}

// ---- values and extents

uint64_t checkSelection(const Selection& sel, ShapeClass cls, const std::vector<uint64_t>& dims,
                        const std::string& what) {
  switch (cls) {
    case ShapeClass::Null:
      throw BadRequest(what + " has a null shape and holds no values");
    case ShapeClass::Scalar:
      if (sel.rank() != 0 || sel.kind() == Selection::Kind::Points)
        throw BadRequest(what + " is scalar: it takes no selection");
      return 1;
    case ShapeClass::Simple:
      break;
  }
  if (sel.rank() != dims.size())
    throw BadRequest("the selection has rank " + std::to_string(sel.rank()) + " but " + what + " has rank " +
                     std::to_string(dims.size()));
  sel.validate(dims);
  return sel.size();
}

void checkValueBytes(const Datatype& type, uint64_t count, uint64_t bytes) {
  if (!type.fixedSize()) return;
  if (count > std::numeric_limits<uint64_t>::max() / type.size)
    throw BadRequest("the selection is too large");
  const uint64_t expected = count * type.size;
  if (bytes != expected)
    throw BadRequest("Expected: " + std::to_string(expected) + " bytes, but got: " + std::to_string(bytes));
}

uint64_t checkResize(const std::string& what, ShapeClass cls, const std::vector<uint64_t>& dims,
                     const std::vector<uint64_t>& maxdims, const std::vector<uint64_t>& newDims) {
  if (cls != ShapeClass::Simple)
    throw BadRequest(what + " has a " + (cls == ShapeClass::Scalar ? "scalar" : "null") +
                     " shape and cannot be resized");
  const std::size_t rank = dims.size();
  if (newDims.size() != rank)
    throw BadRequest(what + " has rank " + std::to_string(rank) + ", not " + std::to_string(newDims.size()));
  for (std::size_t i = 0; i < rank; ++i)
    if (maxdims[i] != kUnlimited && newDims[i] > maxdims[i])
      throw BadRequest("cannot resize " + what + " to " + dimsText(newDims) + ": dimension " +
                       std::to_string(i) + " is limited to " + std::to_string(maxdims[i]));
  return elementCount(newDims);
}

}  // namespace strata::arrays
