#pragma once
// The hdf5 arrays store's knowledge of one file: container names and file facts, object ids
// resolved to addresses, anchors (h5_file.h), object times, dataspaces, and the callbacks that
// collect a page of links or attributes. Every function that takes an H5File runs with its
// mutex held.
#include "h5_file.h"

#include <strata/stores/array_store.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace Poco {
class Logger;
}

namespace strata::hdf5 {

// ---- names and files

void validateContainerName(const std::string& name);
int64_t mtimeNanos(const struct stat& st);
int64_t mtimeMillis(const struct stat& st);
// The file's modification time (ms), or now when it cannot be read.
int64_t fileMtime(const H5File& f);
// Writable for us: the config allows it, the process may write it, and someone may (root may
// write a 0444 file, but such a file is plainly meant to be read-only).
bool fileWritable(const std::string& path, const struct stat& st, bool storeReadOnly);
// Forbidden for read-only files.
void requireWritable(const H5File& f);

// ---- objects and ids

struct ObjRef {
  haddr_t addr;
  ObjectKind kind;
};

std::optional<ObjectKind> kindOf(H5O_type_t type);
std::string hexAddr(haddr_t addr);
Hid openByAddr(const H5File& f, haddr_t addr);
haddr_t addressOf(hid_t obj);
// Builds the object map on first use: every object reachable by hard links from the root
// group or from an anchor.
void ensureObjects(H5File& f, Poco::Logger& logger);
// The object an id names: Gone for deleted ids, NotFound for unknown ones.
ObjRef resolve(H5File& f, const std::string& id, Poco::Logger& logger);
// resolve, and NotFound unless the object is of `kind`.
ObjRef resolveKind(H5File& f, const std::string& id, ObjectKind kind, Poco::Logger& logger);
void objectTimes(const H5File& f, const H5O_info_t& oi, haddr_t addr, int64_t& created, int64_t& modified);
ObjectInfo objectInfo(const H5File& f, hid_t obj, haddr_t addr, ObjectKind kind);
int64_t createdTime(const H5File& f, hid_t obj, haddr_t addr);
// Keeps an object alive without links (h5_file.h), and lets it go again.
void anchor(H5File& f, hid_t obj, haddr_t addr);
void unanchor(H5File& f, hid_t obj, haddr_t addr);
// An object made by the store: anchored until it gets a link.
ObjectInfo adoptNew(H5File& f, hid_t obj, ObjectKind kind);

// ---- dataspaces and names

Shape shapeOf(hid_t space);
Hid makeSpace(const Shape& shape, bool withMaxdims);
// Link and attribute names in UTF-8 when they need it, as h5py writes them.
Hid namePlist(hid_t cls, const std::string& name);

// ---- listing pages (H5Literate / H5Aiterate callbacks)

struct LinkRow {
  std::string name;
  H5L_info_t info;
};

struct PageCollect {
  const Page* page;
  std::vector<LinkRow> links;
  std::vector<std::string> names;
};

herr_t collectLink(hid_t, const char* name, const H5L_info_t* info, void* data);
herr_t collectAttribute(hid_t, const char* name, const H5A_info_t*, void* data);

}  // namespace strata::hdf5
