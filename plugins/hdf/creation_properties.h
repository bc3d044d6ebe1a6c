#pragma once
// The parts of a dataset create request that are not its type: "maxdims" and
// "creationProperties" (layout, fillValue, filters). Pure parsers (no store, no request), so
// that the fuzz targets (fuzz/) call them as POST /datasets does.
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/stores/array_store.h>

#include <string>
#include <vector>

namespace strata::hdf {

// SZIP's coding options (H5_SZIP_EC_OPTION_MASK, H5_SZIP_NN_OPTION_MASK in H5public.h). An
// SZIP filter is a Filter::Kind::Other with id 4 and parameters [options mask, pixels per
// block], plus [bits per pixel, pixels per scanline] when HDF5 reports a file's filter.
constexpr unsigned kSzipEc = 4, kSzipNn = 32;

// The hdf5-json filter classes with their ids and the keys each may have besides "class",
// "id" and "name" (docs/hdf.md, "Filters").
struct FilterClass {
  const char* cls;
  const char* name;  // the short name h5py and h5pyd use
  int id;
  std::vector<std::string> keys;
};

// The class of a filter id, or null when the id is not one of hdf5-json's classes.
const FilterClass* filterClassOf(int id);

// "maxdims": int | [int | "H5S_UNLIMITED"...]; 0 means unlimited. Added to `shape`.
void parseMaxdims(const Poco::JSON::Object& body, Shape& shape);

// A filter of creationProperties.filters: an hdf5-json filter object, a class or short name
// ("gzip", "H5Z_FILTER_SHUFFLE") or an id. Unknown filters, keys and values are 400s.
Filter parseFilter(const Poco::Dynamic::Var& v);

// "creationProperties" of a create body into `spec` (whose shape is set): layout and chunks,
// fill value (encoded for `type`), filters. BadRequest for anything invalid.
void parseCreationProperties(const Poco::JSON::Object& body, const arrays::Datatype& type, DatasetSpec& spec);

}  // namespace strata::hdf
