#pragma once
// Values in the arrays role's packed form, written out by hand, and dataset specs, links and
// attribute descriptions: shared by
// the arrays contract suites (every backend, the hdf5 files suite, the rocksdb layout suite), so
// that a test states its expected bytes without going through the code under test.
#include <strata/arrays/datatype.h>
#include <strata/stores/array_store.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace strata::test {

inline std::string le(uint64_t v, std::size_t bytes) {
  std::string s(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
inline std::string be(uint64_t v, std::size_t bytes) {
  std::string s = le(v, bytes);
  std::reverse(s.begin(), s.end());
  return s;
}
inline std::string le32(int32_t v) { return le(static_cast<uint32_t>(v), 4); }
inline std::string be32(int32_t v) { return be(static_cast<uint32_t>(v), 4); }
inline std::string f64le(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return le(bits, 8);
}
inline std::string f64be(double v) {
  std::string s = f64le(v);
  std::reverse(s.begin(), s.end());
  return s;
}
// A variable-length string element: its length (8 bytes, little-endian), then its bytes.
inline std::string vlenStr(const std::string& s) { return le(s.size(), 8) + s; }

// A simple-shaped dataset of `type`.
inline DatasetSpec spec(arrays::DatatypePtr type, std::vector<uint64_t> dims,
                        std::vector<uint64_t> maxdims = {}, std::vector<uint64_t> chunks = {},
                        std::string fill = {}) {
  DatasetSpec s;
  s.type = std::move(type);
  s.shape.cls = ShapeClass::Simple;
  s.shape.dims = std::move(dims);
  s.shape.maxdims = std::move(maxdims);
  s.chunks = std::move(chunks);
  s.fillValue = std::move(fill);
  return s;
}

inline Link hardLink(const std::string& name, const std::string& id) {
  Link l;
  l.name = name;
  l.cls = LinkClass::Hard;
  l.id = id;
  return l;
}

inline AttributeInfo attr(const std::string& name, arrays::DatatypePtr type, ShapeClass cls,
                          std::vector<uint64_t> dims = {}) {
  AttributeInfo a;
  a.name = name;
  a.type = std::move(type);
  a.shape.cls = cls;
  a.shape.dims = std::move(dims);
  return a;
}

}  // namespace strata::test
