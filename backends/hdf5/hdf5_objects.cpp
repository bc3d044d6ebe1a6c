#include "hdf5_objects.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Logger.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include <unistd.h>

namespace strata::hdf5 {

namespace {

herr_t visitObject(hid_t, const char*, const H5O_info_t* info, void* data) {
  auto* objects = static_cast<std::map<haddr_t, ObjectKind>*>(data);
  if (auto kind = kindOf(info->type)) (*objects)[info->addr] = *kind;
  return 0;
}

}  // namespace

// ---- names and files

void validateContainerName(const std::string& name) {
  if (name.empty()) throw BadRequest("a domain name must not be empty");
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    const std::string seg =
        name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string::npos) {
      throw BadRequest("invalid domain name '" + name + "'");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

int64_t mtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

int64_t mtimeMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

int64_t fileMtime(const H5File& f) {
  struct stat st;
  if (::stat(f.path.c_str(), &st) != 0) return nowMillis();
  return mtimeMillis(st);
}

// Writable for us: the config allows it, the process may write it, and someone may (root
// may write a 0444 file, but such a file is plainly meant to be read-only).
bool fileWritable(const std::string& path, const struct stat& st, bool storeReadOnly) {
  return !storeReadOnly && ::access(path.c_str(), W_OK) == 0 && (st.st_mode & 0222) != 0;
}

void requireWritable(const H5File& f) {
  if (f.readOnly) throw Forbidden("domain '" + f.name + "' is read-only");
}

// ---- objects and ids

std::optional<ObjectKind> kindOf(H5O_type_t type) {
  switch (type) {
    case H5O_TYPE_GROUP:
      return ObjectKind::Group;
    case H5O_TYPE_DATASET:
      return ObjectKind::Dataset;
    case H5O_TYPE_NAMED_DATATYPE:
      return ObjectKind::Datatype;
    default:
      return std::nullopt;
  }
}

std::string hexAddr(haddr_t addr) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(addr));
  return buf;
}

Hid openByAddr(const H5File& f, haddr_t addr) {
  return own(H5Oopen_by_addr(f.fid, addr), "opening an object of domain '" + f.name + "'");
}

haddr_t addressOf(hid_t obj) {
  H5O_info_t info;
  check(H5Oget_info2(obj, &info, H5O_INFO_BASIC), "reading an object's address");
  return info.addr;
}

// Builds the object map on first use: every object reachable by hard links from the root
// group or from an anchor.
void ensureObjects(H5File& f, Poco::Logger& logger) {
  if (f.objectsLoaded) return;
  std::map<haddr_t, ObjectKind> objects;
  objects[f.rootAddr] = ObjectKind::Group;
  if (H5Ovisit2(f.fid, H5_INDEX_NAME, H5_ITER_NATIVE, visitObject, &objects, H5O_INFO_BASIC) < 0) {
    hdf5::fail<InternalError>("listing the objects of domain '" + f.name + "'");
  }
  for (auto it = f.anchors.begin(); it != f.anchors.end();) {
    const hid_t obj = H5Oopen_by_addr(f.fid, *it);
    if (obj < 0) {
      // A sidecar that does not match the file (replaced behind our back): forget the anchor.
      logger.warning("hdf5: domain '" + f.name + "': anchored object at address " + hexAddr(*it) +
                     " cannot be opened; ignoring it");
      it = f.anchors.erase(it);
      continue;
    }
    Hid owned(obj);
    if (H5Ovisit2(obj, H5_INDEX_NAME, H5_ITER_NATIVE, visitObject, &objects, H5O_INFO_BASIC) < 0) {
      hdf5::fail<InternalError>("listing the objects of domain '" + f.name + "'");
    }
    ++it;
  }
  f.objects = std::move(objects);
  f.objectsLoaded = true;
}

ObjRef resolve(H5File& f, const std::string& id, Poco::Logger& logger) {
  ensureObjects(f, logger);
  if (f.deleted.count(id)) throw Gone("object " + id + " has been deleted");
  uint32_t gen, salt;
  haddr_t addr;
  if (hdf5::parseId(id, gen, salt, addr) && salt == f.salt) {
    auto it = f.objects.find(addr);
    if (it != f.objects.end() && gen == f.generationOf(addr)) return {addr, it->second};
  }
  throw NotFound("object " + id + " not found in domain '" + f.name + "'");
}

ObjRef resolveKind(H5File& f, const std::string& id, ObjectKind kind, Poco::Logger& logger) {
  ObjRef ref = resolve(f, id, logger);
  if (ref.kind != kind)
    throw NotFound(std::string(kindName(kind)) + " " + id + " not found (it is a " + kindName(ref.kind) +
                   ")");
  return ref;
}

void objectTimes(const H5File& f, const H5O_info_t& oi, haddr_t addr, int64_t& created, int64_t& modified) {
  const int64_t fileTime = fileMtime(f);
  // HDF5 keeps times only when the object tracks them; v1 object headers (files written
  // with the default library bounds, as h5py does) hold just one change time.
  if (oi.btime > 0) {
    created = static_cast<int64_t>(oi.btime) * 1000;
  } else if (oi.ctime > 0) {
    created = static_cast<int64_t>(oi.ctime) * 1000;
  } else {
    created = fileTime;
  }
  const int64_t changed = static_cast<int64_t>(std::max(oi.mtime, oi.ctime)) * 1000;
  modified = changed > 0 ? changed : fileTime;
  auto it = f.touched.find(addr);
  if (it != f.touched.end()) modified = std::max(modified, it->second);
  modified = std::max(modified, created);
}

ObjectInfo objectInfo(const H5File& f, hid_t obj, haddr_t addr, ObjectKind kind) {
  H5O_info_t oi;
  check(H5Oget_info2(obj, &oi, H5O_INFO_BASIC | H5O_INFO_TIME | H5O_INFO_NUM_ATTRS),
        "reading object information in domain '" + f.name + "'");
  ObjectInfo info;
  info.id = f.idOf(addr);
  info.kind = kind;
  objectTimes(f, oi, addr, info.created, info.modified);
  info.attributeCount = oi.num_attrs;
  if (kind == ObjectKind::Group) {
    H5G_info_t gi;
    check(H5Gget_info(obj, &gi), "reading group information in domain '" + f.name + "'");
    info.linkCount = gi.nlinks;
  }
  return info;
}

// Keeps an object alive without links (see h5_file.h). HDF5 first, journal second: a crash
// in between leaks a reference, which is harmless, rather than recording one that is not
// there.
void anchor(H5File& f, hid_t obj, haddr_t addr) {
  if (f.anchors.count(addr)) return;
  check(H5Oincr_refcount(obj), "keeping an unlinked object in domain '" + f.name + "'");
  if (f.fsync) check(H5Fflush(f.fid, H5F_SCOPE_LOCAL), "flushing domain '" + f.name + "'");
  f.journal("anchor " + hexAddr(addr));
  f.anchors.insert(addr);
}

// The reverse: journal first, so a crash leaves an extra reference, never a missing one.
void unanchor(H5File& f, hid_t obj, haddr_t addr) {
  if (!f.anchors.count(addr)) return;
  f.journal("unanchor " + hexAddr(addr));
  f.anchors.erase(addr);
  check(H5Odecr_refcount(obj), "releasing an unlinked object in domain '" + f.name + "'");
}

// An object made by the store: anchored until it gets a link.
ObjectInfo adoptNew(H5File& f, hid_t obj, ObjectKind kind) {
  const haddr_t addr = addressOf(obj);
  anchor(f, obj, addr);
  f.objects[addr] = kind;
  f.touched[addr] = nowMillis();
  return objectInfo(f, obj, addr, kind);
}

// ---- dataspaces and names

Shape shapeOf(hid_t space) {
  Shape shape;
  switch (H5Sget_simple_extent_type(space)) {
    case H5S_SCALAR:
      shape.cls = ShapeClass::Scalar;
      return shape;
    case H5S_NULL:
      shape.cls = ShapeClass::Null;
      return shape;
    case H5S_SIMPLE:
      break;
    default:
      hdf5::fail<InternalError>("reading a dataspace");
  }
  shape.cls = ShapeClass::Simple;
  const int rank = check(H5Sget_simple_extent_ndims(space), "reading a dataspace's rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank)), maxdims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space, dims.data(), maxdims.data()), "reading a dataspace's dimensions");
  for (int i = 0; i < rank; ++i) {
    shape.dims.push_back(dims[i]);
    shape.maxdims.push_back(maxdims[i] == H5S_UNLIMITED ? kUnlimited : maxdims[i]);
  }
  return shape;
}

Hid makeSpace(const Shape& shape, bool withMaxdims) {
  switch (shape.cls) {
    case ShapeClass::Scalar:
      return own(H5Screate(H5S_SCALAR), "creating a scalar dataspace");
    case ShapeClass::Null:
      return own(H5Screate(H5S_NULL), "creating a null dataspace");
    case ShapeClass::Simple:
      break;
  }
  const std::size_t rank = shape.dims.size();
  if (rank == 0 || rank > H5S_MAX_RANK) throw BadRequest("a simple shape needs 1 to 32 dimensions");
  std::vector<hsize_t> dims(shape.dims.begin(), shape.dims.end());
  std::vector<hsize_t> maxdims = dims;
  if (withMaxdims && !shape.maxdims.empty()) {
    if (shape.maxdims.size() != rank) throw BadRequest("maxdims must have one entry per dimension");
    for (std::size_t i = 0; i < rank; ++i) {
      if (shape.maxdims[i] == kUnlimited) {
        maxdims[i] = H5S_UNLIMITED;
      } else if (shape.maxdims[i] < shape.dims[i]) {
        throw BadRequest("maxdims[" + std::to_string(i) + "] is smaller than the dimension");
      } else {
        maxdims[i] = shape.maxdims[i];
      }
    }
  }
  return own<BadRequest>(H5Screate_simple(static_cast<int>(rank), dims.data(), maxdims.data()),
                         "creating a dataspace");
}

bool isAscii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Link and attribute names in UTF-8 when they need it, as h5py writes them.
Hid namePlist(hid_t cls, const std::string& name) {
  Hid plist = own(H5Pcreate(cls), "creating a property list");
  if (!isAscii(name)) check(H5Pset_char_encoding(plist, H5T_CSET_UTF8), "setting a name's encoding");
  return plist;
}

int64_t createdTime(const H5File& f, hid_t obj, haddr_t addr) {
  H5O_info_t oi;
  check(H5Oget_info2(obj, &oi, H5O_INFO_TIME), "reading an object's times");
  int64_t created, modified;
  objectTimes(f, oi, addr, created, modified);
  return created;
}

// ---- listing pages

herr_t collectLink(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* ctx = static_cast<PageCollect*>(data);
  if (!ctx->page->marker.empty() && std::string(name) <= ctx->page->marker) return 0;
  ctx->links.push_back({name, *info});
  return ctx->page->limit && ctx->links.size() >= ctx->page->limit ? 1 : 0;
}

herr_t collectAttribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  auto* ctx = static_cast<PageCollect*>(data);
  if (!ctx->page->marker.empty() && std::string(name) <= ctx->page->marker) return 0;
  ctx->names.emplace_back(name);
  return ctx->page->limit && ctx->names.size() >= ctx->page->limit ? 1 : 0;
}

}  // namespace strata::hdf5
