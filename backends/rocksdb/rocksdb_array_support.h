#pragma once
// What the two halves of the rocksdb arrays store share: key builders and value helpers.
// Key layout: see rocksdb_array_store.cpp (arrays_meta) and rocksdb_array_values.cpp
// (arrays_chunks).
#include <Poco/JSON/Array.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/piece_walk.h>
#include <strata/arrays/validation.h>
#include <strata/stores/array_store.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rocksdb_keys.h"

namespace strata::rocksdb {

// ---- arrays_meta keys. Container names never hold NUL (checkContainerName), and each
// container's keys share one prefix that no other container's keys start with.

inline std::string containerKey(const std::string& c) { return "d/" + c; }
inline const std::string kContainersPrefix = "d/";

inline std::string containerPrefix(const std::string& c) { return "c/" + component(c); }
inline std::string objectKey(const std::string& c, const std::string& id) {
  return containerPrefix(c) + "o/" + id;
}
inline char kindChar(ObjectKind kind) {
  return kind == ObjectKind::Group ? 'g' : kind == ObjectKind::Dataset ? 'd' : 't';
}
inline std::string seqPrefix(const std::string& c, ObjectKind kind) {
  return containerPrefix(c) + "s/" + kindChar(kind);
}
inline std::string seqKey(const std::string& c, ObjectKind kind, uint64_t seq) {
  std::string key = seqPrefix(c, kind);
  appendBigEndian64(key, seq);
  return key;
}
inline std::string tombstoneKey(const std::string& c, const std::string& id) {
  return containerPrefix(c) + "x/" + id;
}
inline std::string linkPrefix(const std::string& c, const std::string& group) {
  return containerPrefix(c) + "l/" + component(group);
}
inline std::string attributePrefix(const std::string& c, const std::string& object) {
  return containerPrefix(c) + "a/" + component(object);
}

// ---- arrays_chunks keys: container, dataset id, then one big-endian uint64 per dimension.

inline std::string chunkContainerPrefix(const std::string& c) { return component(c); }
inline std::string chunkPrefix(const std::string& c, const std::string& id) {
  return component(c) + component(id);
}
inline std::string chunkKey(const std::string& prefix, const std::vector<uint64_t>& coords) {
  std::string key = prefix;
  key.reserve(prefix.size() + 8 * coords.size());
  for (uint64_t v : coords) appendBigEndian64(key, v);
  return key;
}

// ---- values

// Assumed bytes per element of a variable-length type, to size its chunks and pieces.
using arrays::kVariableElementGuess;

Poco::JSON::Array::Ptr u64Array(const std::vector<uint64_t>& values);

// The element helpers every arrays store shares (strata/arrays/validation.h).
using arrays::elementCount;
using arrays::repeatElement;
using arrays::splitElements;
using arrays::zeroElement;

}  // namespace strata::rocksdb
