#pragma once
// HSDS's extras on dataset values, as HSDS's value handlers and h5pyd use them:
//
// - `fields=a:b` on GET (h5pyd sends it to read some fields of a compound): the values of
//   those fields only, as a compound of them in the order given.
// - `reduce_dim=1` on GET: JSON values without their 1-extent dimensions (HSDS's
//   squeezeArray; binary answers are unchanged).
// - `element_count=n` on PUT: the value holds n elements that are repeated over the
//   selection (numpy broadcasting: n must be the product of the selection's last extents).
// - `append=n` (query or body) with `append_dim=d` on PUT: the dataset grows by n along d and
//   the value fills the new part.
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/http.h>
#include <strata/stores/array_store.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::hdf {

// The fields that `fields=` names. BadRequest when the type is not a fixed-size compound, a
// name is no field of it or is given twice.
struct FieldProjection {
  arrays::DatatypePtr type;                                // the compound of those fields
  std::vector<std::pair<std::size_t, std::size_t>> parts;  // offset and size in the source element
  std::size_t sourceSize = 0;
};
std::optional<FieldProjection> fieldsOf(const std::optional<std::string>& text, const arrays::Datatype& type);

// A sink that takes whole elements of the dataset's type, in any pieces, and passes on the
// projected elements.
ByteSink projectFields(const FieldProjection& p, ByteSink out);

// The dims of a JSON value with `reduce_dim`: without their 1-extents when there are more than
// one dimension (no dims at all, a bare value, when every extent is 1).
std::vector<uint64_t> squeezedDims(const std::vector<uint64_t>& dims);

// `element_count=` of a PUT, if given (BadRequest if it is no positive integer).
std::optional<uint64_t> elementCountOf(const Request& req);
// The shape the value of an element_count PUT has: the last extents of `dims` whose product
// is `count` ({1} for a count of 1). BadRequest when there is none.
std::vector<uint64_t> broadcastDims(const std::vector<uint64_t>& dims, uint64_t count);

// An append PUT: `append=n` and `append_dim=d` from the query or the JSON body.
struct Append {
  uint64_t rows = 0;
  std::size_t dim = 0;
};
std::optional<Append> appendOf(const Request& req, const Poco::JSON::Object* body);
// Checks an append against the dataset (HSDS's rules: BadRequest unless it is extensible and
// `dim` is one of its dimensions, Conflict past maxdims) and returns the grown dims.
std::vector<uint64_t> appendedDims(const Shape& shape, const Append& a);
// The selection of the appended part of a dataset whose dims are now `grown`.
arrays::Selection appendedSelection(const std::vector<uint64_t>& grown, const Append& a);

}  // namespace strata::hdf
