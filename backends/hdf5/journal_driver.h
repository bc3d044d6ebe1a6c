#pragma once
// A POSIX file driver for HDF5 (like its sec2 driver) that makes each flush atomic: metadata
// writes (everything but raw data) are kept in memory until HDF5 flushes, then written to a
// journal next to the file (<dir>/.<name>.journal), then to the file, and the journal is
// emptied. Opening a file first replays a complete journal and drops an incomplete one. So a
// process killed during a flush leaves the file as it was before the flush or after it, never
// between (HDF5 writes a flush as several writes, the superblock last). Raw data is written
// through at once: it is referenced only by metadata, or is a dataset's values in place.
// Files it writes are ordinary HDF5 files (no driver information in the superblock).
#include <hdf5.h>

namespace strata::hdf5 {

// The driver's id, registered on first use (under HDF5's library lock).
hid_t journalDriver();

}  // namespace strata::hdf5
