#pragma once
// Dataset creation properties in the hdf5 arrays store: the types objects are created with,
// chunk guesses and filters for new datasets, and the DatasetInfo (typed creation properties
// included) read back from a dataset's dcpl. All with the file's mutex held.
#include "h5_file.h"
#include "h5_types.h"

#include <strata/arrays/datatype.h>
#include <strata/stores/array_store.h>

#include <functional>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace strata::hdf5 {

// Names committed types by their ids when a dataset's or attribute's type shares one.
std::function<std::string(hid_t)> committedNamer(H5File& f, Poco::Logger& logger);
// The type to create a dataset or attribute with: the committed type itself when the
// Datatype names one (so the object shares it, as HDF5 files do), else a transient type.
Hid creationType(H5File& f, const arrays::Datatype& type, Poco::Logger& logger);
// h5py's chunk guess.
std::vector<hsize_t> guessChunks(const Shape& shape, std::size_t typeSize);
void addFilter(hid_t dcpl, const Filter& filter, const arrays::Datatype& type);
// The creation property list of a new dataset: chunks (the spec's, checked against its
// shape, or h5py's guess for extendable and filtered datasets), filters and fill value.
// BadRequest for what HDF5 cannot create.
Hid datasetCreationPlist(H5File& f, const DatasetSpec& spec, const ValueCodec& codec, Poco::Logger& logger);
// Packs the one element of a buffer read with codec.memType() and frees HDF5's vlen memory.
std::string packOne(const ValueCodec& codec, std::vector<char>& buf, RefResolver& refs);
DatasetInfo datasetInfo(H5File& f, hid_t dset, haddr_t addr, Poco::Logger& logger);

}  // namespace strata::hdf5
