#pragma once
// The rules of the arrays role that do not depend on a backend's engine, once for every
// arrays store: the checks of names, types, shapes, specs, values, selections and resizes that
// the contract (stores/array_store.h) asks for, with their messages, and the element helpers
// they rest on. Calling them gives every backend the same answers to the same requests.
//
// Every check throws BadRequest with a message that names what is wrong. A store runs them
// before it touches its storage, so that a refused call changes nothing. `what` arguments
// name the object in messages ("the dataset", "attribute 'x'", "dataset '<id>'").
//
// Thread-safety: functions of their arguments only.
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/export.h>
#include <strata/stores/array_store.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::arrays {

// ---- names

// A container name: '/'-separated segments, none empty, "." or "..", and no NUL anywhere.
// Checked on every call, lookups too, so that no store maps a name such as "a/../b" onto
// storage. Message: "invalid domain name '<name>': <why>".
STRATA_API void checkContainerName(const std::string& name);

// A link name: not empty, no '/', and not "." (HDF5 reads "." as the group itself).
STRATA_API void checkLinkName(const std::string& name);

// A link that createLink was given: checkLinkName, then what its class needs (a hard link a
// target id, a soft link an h5path, an external link both h5path and h5domain; user-defined
// links cannot be created). Returns what a store keeps of it: the name, the class and that
// class's own fields. Link::kind of hard links and Link::created are the store's to set.
STRATA_API Link checkNewLink(const Link& link);

// ---- shapes

// The product of `dims` (1 for none); BadRequest when it does not fit in 64 bits.
STRATA_API uint64_t elementCount(const std::vector<uint64_t>& dims);

// "[2,unlimited,5]": dimensions for messages, kUnlimited as "unlimited".
STRATA_API std::string dimsText(const std::vector<uint64_t>& dims);

// ---- types and values

// A type that a dataset, datatype or attribute may have: not null, and not of size 0
// without variable-length parts. Message: "<what> has no type", "<what> has a type of size 0".
STRATA_API void checkType(const DatatypePtr& type, const std::string& what);

// The packed element of `type` with every number zero and every variable-length part empty:
// what an element never written reads as when no fill value is set.
STRATA_API std::string zeroElement(const Datatype& type);

// Offsets of exactly `count` packed variable-length elements in data[0, size), plus the end
// of the last one (count + 1 entries). BadRequest when the bytes hold more or fewer elements
// ("Expected: <count> elements, but got ...") or a truncated or malformed one.
STRATA_API std::vector<uint64_t> splitElements(const Datatype& type, const char* data, std::size_t size,
                                               uint64_t count);

// A packed value of `count` elements of `type`: count x size bytes for fixed-size types
// ("Expected: <n> bytes, but got: <m>"), exactly `count` elements otherwise (splitElements).
STRATA_API void checkPackedValue(const Datatype& type, uint64_t count, const std::string& value);

// Writes `n` copies of `element` to `out`, which has room for them (nothing if either is
// empty).
STRATA_API void repeatElement(const std::string& element, uint64_t n, char* out);

// Pulls exactly n bytes from `source` into `out`, adding them to `pulled`. BadRequest if the
// source ends first ("the value ended after <pulled> of <total> bytes"); InternalError if it
// returns more than it was asked for.
STRATA_API void pullBytes(const ByteSource& source, char* out, uint64_t n, uint64_t& pulled, uint64_t total);

// ---- sizes
//
// Declared sizes are checked before anything is allocated for them: a small request may
// declare a huge type or shape.

// HDF5's limit on one chunk: 4 GiB - 1 bytes.
inline constexpr uint64_t kMaxChunkBytes = (uint64_t{1} << 32) - 1;

// The bytes one element of `type` takes at least: its size, or 16 (HDF5's hvl_t) for
// variable-length types.
STRATA_API uint64_t elementBytes(const Datatype& type);

// `count` elements of `type` (elementBytes each) fit in `maxBytes`. PayloadTooLarge
// otherwise: "<what> would take <n> bytes, more than the limit of <maxBytes>".
STRATA_API void checkValueSize(const Datatype& type, uint64_t count, uint64_t maxBytes,
                               const std::string& what);

// The chunk of a chunked dataset spec (chunk elements x elementBytes) fits in `maxBytes`
// (and always in kMaxChunkBytes). BadRequest otherwise; nothing is checked without chunks.
STRATA_API void checkChunkBytes(const DatasetSpec& spec, uint64_t maxBytes = kMaxChunkBytes);

// ---- datasets and attributes

// A dataset spec: its type (checkType, as "the dataset"); a scalar or null shape without
// dimensions and without chunks; a simple shape of rank 1 or more whose element count fits
// in 64 bits, with maxdims of the same rank and never below dims (kUnlimited aside), and
// chunks, if any, of the same rank, none 0 and none above a limited maxdims; a fill value, if
// any, of exactly one packed element. Returns the normalized maxdims: one entry per
// dimension (dims where the spec left maxdims empty), empty for scalar and null shapes.
// Chunks are bounded by kMaxChunkBytes (checkChunkBytes). A store that allocates a dataset's
// storage when it creates it passes the most it holds per dataset as `maxStorageBytes`
// (0: no bound): a larger dataset (its elements x elementBytes) is InsufficientStorage.
STRATA_API std::vector<uint64_t> checkDatasetSpec(const DatasetSpec& spec, uint64_t maxStorageBytes = 0);

// An attribute to create with `packedValue`: a name that is not empty, its type (checkType),
// a simple shape with dimensions or a scalar or null one without, and a value of the shape's
// element count (0 for null shapes).
STRATA_API void checkAttribute(const AttributeInfo& info, const std::string& packedValue);

// ---- values and extents

// A selection on a dataset of shape class `cls` and current extent `dims` (empty unless
// simple): a null dataset takes none, a scalar one any selection of rank 0 except points, a
// simple one a selection of its rank inside its extent (Selection::validate). Returns the
// number of elements it selects. `what` names the dataset ("dataset '<id>'").
STRATA_API uint64_t checkSelection(const Selection& sel, ShapeClass cls, const std::vector<uint64_t>& dims,
                                   const std::string& what);

// The byte count a write announces for `count` elements of a fixed-size `type`: exactly
// count x size ("Expected: <n> bytes, but got: <bytes>"; "the selection is too large" when
// that product does not fit in 64 bits). Variable-length values are checked when they are
// split (splitElements), so nothing is checked for them here.
STRATA_API void checkValueBytes(const Datatype& type, uint64_t count, uint64_t bytes);

// A resize of a dataset of shape class `cls`, extent `dims` and maximum extent `maxdims` to
// `newDims`: only simple shapes resize, to the same rank, within maxdims (kUnlimited
// aside); shrinking is allowed. Returns the element count of `newDims`. `what` names the
// dataset ("dataset '<id>'").
STRATA_API uint64_t checkResize(const std::string& what, ShapeClass cls, const std::vector<uint64_t>& dims,
                                const std::vector<uint64_t>& maxdims, const std::vector<uint64_t>& newDims);

}  // namespace strata::arrays
