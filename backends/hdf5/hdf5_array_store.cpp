#include "hdf5_array_store.h"

#include "h5_types.h"

#include <strata/arrays/piece_walk.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

namespace strata {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;
using h5::check;
using h5::H5File;
using h5::Hid;
using h5::own;

namespace fs = std::filesystem;

namespace {

// Reads and writes go to HDF5 in pieces of arrays::kPieceBytes of memory buffer
// (piece_walk.h), so a selection of any size needs bounded memory.
constexpr std::size_t kSlabBytes = arrays::kPieceBytes;
constexpr std::size_t kExportBlock = 1u << 20;

// Piece buffers of kSlabBytes, kept between requests: a fresh 16 MiB block costs 4096 page
// faults to fill, and glibc returns freed blocks of that size to the kernel. At most kKeep
// are kept (kKeep * 16 MiB of resident memory once the server has served big selections).
class PieceBuffers {
 public:
  static constexpr std::size_t kKeep = 2;
  // Small requests get a block of their own size; those of a quarter piece or more a
  // kept one (or a new one that will be kept).
  class Lease {
   public:
    explicit Lease(PieceBuffers& pool) : pool_(pool) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pooled_) pool_.give(std::move(data_));
    }
    // At least n bytes, uninitialised; the previous contents are not kept.
    char* get(std::size_t n) {
      if (data_ && n <= capacity_) return data_.get();
      if (pooled_) pool_.give(std::move(data_));
      pooled_ = n >= kSlabBytes / 4 && n <= kSlabBytes;
      capacity_ = pooled_ ? kSlabBytes : n;
      data_ = pooled_ ? pool_.take() : nullptr;
      if (!data_) data_.reset(new char[capacity_]);
      return data_.get();
    }

   private:
    PieceBuffers& pool_;
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    bool pooled_ = false;
  };

 private:
  std::unique_ptr<char[]> take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (spare_.empty()) return nullptr;
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  void give(std::unique_ptr<char[]> b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (b && spare_.size() < kKeep) spare_.push_back(std::move(b));
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<char[]>> spare_;
};

PieceBuffers pieceBuffers;

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

void flushFile(const H5File& f) {
  if (!f.fsync || f.readOnly) return;
  check(H5Fflush(f.fid, H5F_SCOPE_LOCAL), "flushing domain '" + f.name + "'");
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

herr_t visitObject(hid_t, const char*, const H5O_info_t* info, void* data) {
  auto* objects = static_cast<std::map<haddr_t, ObjectKind>*>(data);
  if (auto kind = kindOf(info->type)) (*objects)[info->addr] = *kind;
  return 0;
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
    h5::fail<InternalError>("listing the objects of domain '" + f.name + "'");
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
      h5::fail<InternalError>("listing the objects of domain '" + f.name + "'");
    }
    ++it;
  }
  f.objects = std::move(objects);
  f.objectsLoaded = true;
}

struct ObjRef {
  haddr_t addr;
  ObjectKind kind;
};

// Ends every change made through the store, also one that fails half-way: empties the file's
// metadata cache (h5_file.h).
struct ChangeGuard {
  H5File& f;
  ~ChangeGuard() { f.changed(); }
};

int64_t mtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

ObjRef resolve(H5File& f, const std::string& id, Poco::Logger& logger) {
  ensureObjects(f, logger);
  if (f.deleted.count(id)) throw Gone("object " + id + " has been deleted");
  uint32_t gen, salt;
  haddr_t addr;
  if (h5::parseId(id, gen, salt, addr) && salt == f.salt) {
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

// ---- shapes and selections

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
      h5::fail<InternalError>("reading a dataspace");
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

// Selects the piece in the dataset's space and returns the matching memory space. A scalar
// dataset has nothing to select: the caller passes H5S_ALL for both.
Hid selectPiece(hid_t fileSpace, const arrays::Piece& p, bool scalar) {
  if (scalar) return Hid();
  const Selection& sel = p.selection;
  if (sel.kind() == Selection::Kind::Points) {
    const std::size_t rank = sel.rank();
    std::vector<hsize_t> coords(p.elements * rank);
    std::size_t at = 0;
    for (const auto& pt : sel.pointList()) {
      for (std::size_t d = 0; d < rank; ++d) coords[at++] = pt[d];
    }
    check<BadRequest>(H5Sselect_elements(fileSpace, H5S_SELECT_SET, p.elements, coords.data()),
                      "selecting points");
    const hsize_t n = p.elements;
    return own(H5Screate_simple(1, &n, nullptr), "creating a memory dataspace");
  }
  const arrays::Hyperslab& h = sel.slab();
  const std::vector<hsize_t> start(h.start.begin(), h.start.end());
  const std::vector<hsize_t> stride(h.step.begin(), h.step.end());
  const std::vector<hsize_t> count(h.count.begin(), h.count.end());
  check<BadRequest>(
      H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), stride.data(), count.data(), nullptr),
      "selecting a hyperslab");
  // A memory space of the piece's own shape: with a 1-D one, HDF5 1.10 maps the selection
  // to chunks element by element (measured: 2-4% of direct H5Dread speed).
  return own(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
             "creating a memory dataspace");
}

// ---- references, resolved against one file (its mutex held)

class FileRefs final : public h5::RefResolver {
 public:
  FileRefs(H5File& f, Poco::Logger& logger) : f_(f), logger_(logger) {}

  std::string objectRefText(hobj_ref_t ref) override {
    // In HDF5 1.8/1.10 an object reference is the object's header address.
    const haddr_t addr = static_cast<haddr_t>(ref);
    ensureObjects(f_, logger_);
    std::optional<ObjectKind> kind;
    auto it = f_.objects.find(addr);
    if (it != f_.objects.end()) {
      kind = it->second;
    } else {
      H5O_type_t type;
      if (H5Rget_obj_type2(f_.fid, H5R_OBJECT, &ref, &type) >= 0) kind = kindOf(type);
    }
    if (!kind) return "";
    return std::string(collectionName(*kind)) + "/" + f_.idOf(addr);
  }

  hobj_ref_t objectRefFromText(const std::string& text) override {
    std::string id = text;
    std::optional<ObjectKind> want;
    const auto slash = text.find('/');
    if (slash != std::string::npos) {
      const std::string prefix = text.substr(0, slash);
      id = text.substr(slash + 1);
      if (prefix == "groups") {
        want = ObjectKind::Group;
      } else if (prefix == "datasets") {
        want = ObjectKind::Dataset;
      } else if (prefix == "datatypes") {
        want = ObjectKind::Datatype;
      } else {
        throw BadRequest("invalid object reference '" + text + "'");
      }
    }
    const ObjRef ref = resolve(f_, id, logger_);
    if (want && *want != ref.kind)
      throw BadRequest("object reference '" + text + "' names a " + kindName(ref.kind));
    return static_cast<hobj_ref_t>(ref.addr);
  }

  std::string regionRefText(const hdset_reg_ref_t& ref) override {
    static const hdset_reg_ref_t zero = {};
    if (std::memcmp(&ref, &zero, sizeof ref) == 0) return "";
    const hid_t d = H5Rdereference2(f_.fid, H5P_DEFAULT, H5R_DATASET_REGION, &ref);
    if (d < 0) return "";  // dangling: shown as a null reference
    Hid dset(d);
    Hid space = own(H5Rget_region(f_.fid, H5R_DATASET_REGION, &ref), "reading a region reference");
    Poco::JSON::Object item;
    item.set("id", f_.idOf(addressOf(dset)));
    const int rank = check(H5Sget_simple_extent_ndims(space), "reading a region's rank");
    Poco::JSON::Array selection;
    switch (H5Sget_select_type(space)) {
      case H5S_SEL_POINTS: {
        item.set("select_type", "H5S_SEL_POINTS");
        const hssize_t n = check(H5Sget_select_elem_npoints(space), "reading a region's points");
        std::vector<hsize_t> coords(static_cast<std::size_t>(n) * rank);
        check(H5Sget_select_elem_pointlist(space, 0, static_cast<hsize_t>(n), coords.data()),
              "reading a region's points");
        for (hssize_t i = 0; i < n; ++i) {
          Poco::JSON::Array point;
          for (int d2 = 0; d2 < rank; ++d2)
            point.add(static_cast<uint64_t>(coords[static_cast<std::size_t>(i * rank + d2)]));
          selection.add(point);
        }
        break;
      }
      case H5S_SEL_HYPERSLABS: {
        item.set("select_type", "H5S_SEL_HYPERSLABS");
        const hssize_t n = check(H5Sget_select_hyper_nblocks(space), "reading a region's blocks");
        std::vector<hsize_t> corners(static_cast<std::size_t>(n) * rank * 2);
        check(H5Sget_select_hyper_blocklist(space, 0, static_cast<hsize_t>(n), corners.data()),
              "reading a region's blocks");
        for (hssize_t i = 0; i < n; ++i) {
          // h5serv's form: [start, stop) per block, the stop one past the inclusive corner.
          Poco::JSON::Array block, lo, hi;
          for (int d2 = 0; d2 < rank; ++d2) {
            lo.add(static_cast<uint64_t>(corners[static_cast<std::size_t>((i * 2) * rank + d2)]));
            hi.add(static_cast<uint64_t>(corners[static_cast<std::size_t>((i * 2 + 1) * rank + d2)] + 1));
          }
          block.add(lo);
          block.add(hi);
          selection.add(block);
        }
        break;
      }
      case H5S_SEL_ALL:
        item.set("select_type", "H5S_SEL_ALL");
        break;
      default:
        item.set("select_type", "H5S_SEL_NONE");
        break;
    }
    item.set("selection", selection);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(item, out);
    return out.str();
  }

  void regionRefFromText(const std::string& text, hdset_reg_ref_t& ref) override {
    Poco::JSON::Object::Ptr item;
    try {
      item = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      throw BadRequest("a region reference must be a JSON object {\"id\", \"select_type\", \"selection\"}");
    }
    if (!item || !item->has("id") || !item->has("select_type")) {
      throw BadRequest("a region reference needs \"id\" and \"select_type\"");
    }
    const ObjRef target = resolveKind(f_, item->getValue<std::string>("id"), ObjectKind::Dataset, logger_);
    Hid dset = openByAddr(f_, target.addr);
    Hid space = own(H5Dget_space(dset), "reading a dataset's dataspace");
    const int rank = check(H5Sget_simple_extent_ndims(space), "reading a dataset's rank");
    const std::string type = item->getValue<std::string>("select_type");
    auto coordinates = [&](const Poco::Dynamic::Var& v) {
      std::vector<hsize_t> c;
      const auto arr = v.extract<Poco::JSON::Array::Ptr>();
      if (!arr || static_cast<int>(arr->size()) != rank)
        throw BadRequest("region coordinates must match the dataset's rank");
      for (std::size_t i = 0; i < arr->size(); ++i) c.push_back(arr->get(i).convert<uint64_t>());
      return c;
    };
    try {
      if (type == "H5S_SEL_ALL") {
        check(H5Sselect_all(space), "selecting a region");
      } else if (type == "H5S_SEL_NONE") {
        check(H5Sselect_none(space), "selecting a region");
      } else if (type == "H5S_SEL_POINTS") {
        auto list = item->getArray("selection");
        if (!list) throw BadRequest("a point region needs \"selection\"");
        std::vector<hsize_t> coords;
        for (std::size_t i = 0; i < list->size(); ++i) {
          auto c = coordinates(list->get(i));
          coords.insert(coords.end(), c.begin(), c.end());
        }
        check<BadRequest>(H5Sselect_elements(space, H5S_SELECT_SET, list->size(), coords.data()),
                          "selecting region points");
      } else if (type == "H5S_SEL_HYPERSLABS") {
        auto list = item->getArray("selection");
        if (!list) throw BadRequest("a hyperslab region needs \"selection\"");
        check(H5Sselect_none(space), "selecting a region");
        for (std::size_t i = 0; i < list->size(); ++i) {
          auto block = list->getArray(i);
          if (!block || block->size() != 2) throw BadRequest("each region block must be [start, stop]");
          auto lo = coordinates(block->get(0));
          auto hi = coordinates(block->get(1));
          std::vector<hsize_t> count(lo.size());
          for (std::size_t d2 = 0; d2 < lo.size(); ++d2) {
            if (hi[d2] <= lo[d2]) throw BadRequest("a region block's stop must be past its start");
            count[d2] = hi[d2] - lo[d2];
          }
          check<BadRequest>(
              H5Sselect_hyperslab(space, H5S_SELECT_OR, lo.data(), nullptr, count.data(), nullptr),
              "selecting a region block");
        }
      } else {
        throw BadRequest("unknown region select_type '" + type + "'");
      }
    } catch (const Poco::Exception& e) {
      throw BadRequest("invalid region reference: " + e.displayText());
    }
    check<BadRequest>(H5Rcreate(&ref, dset, ".", H5R_DATASET_REGION, space), "creating a region reference");
  }

 private:
  H5File& f_;
  Poco::Logger& logger_;
};

// ---- datasets

std::function<std::string(hid_t)> committedNamer(H5File& f, Poco::Logger& logger) {
  return [&f, &logger](hid_t type) -> std::string {
    H5O_info_t oi;
    if (H5Oget_info2(type, &oi, H5O_INFO_BASIC) < 0) return "";
    ensureObjects(f, logger);
    auto it = f.objects.find(oi.addr);
    if (it == f.objects.end() || it->second != ObjectKind::Datatype)
      return "";  // deleted: show its structure
    return f.idOf(oi.addr);
  };
}

// The type to create a dataset or attribute with: the committed type itself when the
// Datatype names one (so the object shares it, as HDF5 files do), else a transient type.
Hid creationType(H5File& f, const Datatype& type, Poco::Logger& logger) {
  if (!type.committedId.empty()) {
    const ObjRef ref = resolveKind(f, type.committedId, ObjectKind::Datatype, logger);
    return openByAddr(f, ref.addr);
  }
  return h5::toHdf5(type);
}

// h5py's chunk guess: aim at 16 KiB..1 MiB chunks, growing with the dataset, halving
// dimensions in turn until the chunk fits.
std::vector<hsize_t> guessChunks(const Shape& shape, std::size_t typeSize) {
  const std::size_t rank = shape.dims.size();
  std::vector<double> chunks(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const uint64_t maxd = shape.maxdims.empty() ? shape.dims[i] : shape.maxdims[i];
    double d = static_cast<double>(shape.dims[i]);
    if (d == 0) d = maxd == kUnlimited ? 1024 : static_cast<double>(std::max<uint64_t>(1, maxd));
    chunks[i] = d;
  }
  const double base = 16 * 1024, minBytes = 8 * 1024, maxBytes = 1024 * 1024;
  double size = static_cast<double>(typeSize);
  for (double c : chunks) size *= c;
  double target = base * std::pow(2.0, std::log10(size / (1024.0 * 1024.0)));
  target = std::min(maxBytes, std::max(minBytes, target));
  for (std::size_t idx = 0;; ++idx) {
    double bytes = static_cast<double>(typeSize);
    double count = 1;
    for (double c : chunks) {
      bytes *= c;
      count *= c;
    }
    if ((bytes < target || std::abs(bytes - target) / target < 0.5) && bytes < maxBytes) break;
    if (count <= 1) break;
    double& c = chunks[idx % rank];
    c = std::ceil(c / 2.0);
  }
  std::vector<hsize_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    out[i] = static_cast<hsize_t>(std::max(1.0, chunks[i]));
    if (!shape.maxdims.empty() && shape.maxdims[i] != kUnlimited && shape.maxdims[i] > 0) {
      out[i] = std::min<hsize_t>(out[i], shape.maxdims[i]);
    }
  }
  return out;
}

H5Z_SO_scale_type_t scaleTypeOf(const std::string& name, const Datatype& type) {
  if (name == "H5Z_SO_INT") return H5Z_SO_INT;
  if (name == "H5Z_SO_FLOAT_DSCALE") return H5Z_SO_FLOAT_DSCALE;
  if (name == "H5Z_SO_FLOAT_ESCALE") return H5Z_SO_FLOAT_ESCALE;
  if (name.empty()) return type.cls == arrays::TypeClass::Float ? H5Z_SO_FLOAT_DSCALE : H5Z_SO_INT;
  throw BadRequest("unknown scaleoffset scaleType '" + name + "'");
}

const char* scaleTypeName(unsigned v) {
  switch (v) {
    case H5Z_SO_FLOAT_DSCALE:
      return "H5Z_SO_FLOAT_DSCALE";
    case H5Z_SO_FLOAT_ESCALE:
      return "H5Z_SO_FLOAT_ESCALE";
    default:
      return "H5Z_SO_INT";
  }
}

void addFilter(hid_t dcpl, const Filter& filter, const Datatype& type) {
  switch (filter.kind) {
    case Filter::Kind::Deflate:
      if (filter.level < 0 || filter.level > 9) throw BadRequest("deflate level must be 0..9");
      check<BadRequest>(H5Pset_deflate(dcpl, static_cast<unsigned>(filter.level)),
                        "adding the deflate filter");
      return;
    case Filter::Kind::Shuffle:
      check<BadRequest>(H5Pset_shuffle(dcpl), "adding the shuffle filter");
      return;
    case Filter::Kind::Fletcher32:
      check<BadRequest>(H5Pset_fletcher32(dcpl), "adding the fletcher32 filter");
      return;
    case Filter::Kind::ScaleOffset:
      check<BadRequest>(H5Pset_scaleoffset(dcpl, scaleTypeOf(filter.scaleType, type), filter.scaleOffset),
                        "adding the scaleoffset filter");
      return;
    case Filter::Kind::Other: {
      if (H5Zfilter_avail(static_cast<H5Z_filter_t>(filter.id)) <= 0) {
        throw BadRequest("filter " + std::to_string(filter.id) +
                         " is not available in this server's HDF5 library");
      }
      check<BadRequest>(H5Pset_filter(dcpl, static_cast<H5Z_filter_t>(filter.id), H5Z_FLAG_MANDATORY,
                                      filter.parameters.size(), filter.parameters.data()),
                        "adding filter " + std::to_string(filter.id));
      return;
    }
  }
}

// Packs the one element of a buffer read with codec.memType() and frees HDF5's vlen memory.
std::string packOne(const h5::ValueCodec& codec, std::vector<char>& buf, h5::RefResolver& refs) {
  std::string out;
  Hid scalar = own(H5Screate(H5S_SCALAR), "creating a scalar dataspace");
  try {
    codec.pack(buf.data(), refs, out);
  } catch (...) {
    if (!codec.direct()) H5Dvlen_reclaim(codec.memType(), scalar, H5P_DEFAULT, buf.data());
    throw;
  }
  if (!codec.direct()) H5Dvlen_reclaim(codec.memType(), scalar, H5P_DEFAULT, buf.data());
  return out;
}

// The layout and the allocation and fill times of a dataset's creation property list.
void readCreationTimes(hid_t dcpl, DatasetInfo& info) {
  switch (H5Pget_layout(dcpl)) {
    case H5D_CHUNKED:
      info.layout = Layout::Chunked;
      break;
    case H5D_COMPACT:
      info.layout = Layout::Compact;
      break;
    default:
      info.layout = Layout::Contiguous;
      break;
  }
  H5D_alloc_time_t alloc;
  if (H5Pget_alloc_time(dcpl, &alloc) >= 0) {
    info.allocTime = alloc == H5D_ALLOC_TIME_EARLY  ? AllocTime::Early
                     : alloc == H5D_ALLOC_TIME_LATE ? AllocTime::Late
                     : alloc == H5D_ALLOC_TIME_INCR ? AllocTime::Incremental
                                                    : AllocTime::Default;
  }
  H5D_fill_time_t fillTime;
  if (H5Pget_fill_time(dcpl, &fillTime) >= 0) {
    info.fillTime = fillTime == H5D_FILL_TIME_ALLOC   ? FillTime::Alloc
                    : fillTime == H5D_FILL_TIME_NEVER ? FillTime::Never
                                                      : FillTime::IfSet;
  }
}

DatasetInfo datasetInfo(H5File& f, hid_t dset, haddr_t addr, Poco::Logger& logger) {
  DatasetInfo info;
  info.object = objectInfo(f, dset, addr, ObjectKind::Dataset);
  Hid ftype = own(H5Dget_type(dset), "reading a dataset's type");
  info.type = h5::toDatatype(ftype, committedNamer(f, logger));
  Hid space = own(H5Dget_space(dset), "reading a dataset's dataspace");
  info.shape = shapeOf(space);
  Hid dcpl = own(H5Dget_create_plist(dset), "reading a dataset's creation properties");
  readCreationTimes(dcpl, info);
  if (info.layout == Layout::Chunked) {
    std::vector<hsize_t> chunk(H5S_MAX_RANK);
    const int rank = check(H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk.data()), "reading a dataset's chunks");
    info.chunks.assign(chunk.begin(), chunk.begin() + rank);
  }
  const int nfilters = check(H5Pget_nfilters(dcpl), "reading a dataset's filters");
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t n = 32;
    std::vector<unsigned> cd(n);
    char name[128] = {0};
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, cd.data(), sizeof name, name, &config);
    if (id < 0) h5::fail<InternalError>("reading a dataset's filters");
    cd.resize(std::min<std::size_t>(n, cd.size()));
    Filter filter;
    filter.id = id;
    switch (id) {
      case H5Z_FILTER_DEFLATE:
        filter.kind = Filter::Kind::Deflate;
        filter.level = cd.empty() ? 6 : static_cast<int>(cd[0]);
        break;
      case H5Z_FILTER_SHUFFLE:
        filter.kind = Filter::Kind::Shuffle;
        break;
      case H5Z_FILTER_FLETCHER32:
        filter.kind = Filter::Kind::Fletcher32;
        break;
      case H5Z_FILTER_SCALEOFFSET:
        filter.kind = Filter::Kind::ScaleOffset;
        filter.scaleType = scaleTypeName(cd.empty() ? 2 : cd[0]);
        filter.scaleOffset = cd.size() > 1 ? static_cast<int>(cd[1]) : 0;
        break;
      default:
        filter.kind = Filter::Kind::Other;
        filter.parameters = cd;
        break;
    }
    info.filters.push_back(std::move(filter));
  }
  H5D_fill_value_t fillState;
  if (H5Pfill_value_defined(dcpl, &fillState) >= 0 && fillState == H5D_FILL_VALUE_USER_DEFINED) {
    try {
      h5::ValueCodec codec(info.type);
      std::vector<char> buf(codec.memSize(), 0);
      check(H5Pget_fill_value(dcpl, codec.memType(), buf.data()), "reading a dataset's fill value");
      FileRefs refs(f, logger);
      info.fillValue = packOne(codec, buf, refs);
    } catch (const NotImplemented&) {
      throw;
    } catch (const Error& e) {
      logger.warning("hdf5: domain '" + f.name + "': dataset " + info.object.id +
                     ": fill value not readable: " + e.what());
    }
  }
  auto stored = f.props.find(info.object.id);
  if (stored != f.props.end()) {
    try {
      info.creationProperties = Poco::JSON::Parser().parse(stored->second).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      // A damaged sidecar line: the typed fields still say what the file holds.
    }
  }
  return info;
}

// ---- links and attributes

struct LinkRow {
  std::string name;
  H5L_info_t info;
};

struct PageCollect {
  const Page* page;
  std::vector<LinkRow> links;
  std::vector<std::string> names;
};

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

void validateLinkName(const std::string& name) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    throw BadRequest("invalid link name '" + name + "' (names must be non-empty, without '/')");
  }
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

Link makeLink(H5File& f, hid_t group, const std::string& name, const H5L_info_t& li, int64_t fallbackTime,
              haddr_t groupAddr, Poco::Logger& logger) {
  Link link;
  link.name = name;
  auto created = f.linkCreated.find({groupAddr, name});
  link.created = created != f.linkCreated.end() ? created->second : fallbackTime;
  switch (li.type) {
    case H5L_TYPE_HARD: {
      link.cls = LinkClass::Hard;
      ensureObjects(f, logger);
      const haddr_t addr = li.u.address;
      link.id = f.idOf(addr);
      auto it = f.objects.find(addr);
      if (it != f.objects.end()) {
        link.kind = it->second;
      } else {
        H5O_info_t oi;
        check(H5Oget_info_by_name2(group, name.c_str(), &oi, H5O_INFO_BASIC, H5P_DEFAULT),
              "reading link '" + name + "'");
        link.kind = kindOf(oi.type).value_or(ObjectKind::Group);
      }
      break;
    }
    case H5L_TYPE_SOFT:
    case H5L_TYPE_EXTERNAL: {
      std::vector<char> buf(li.u.val_size + 1, 0);
      check(H5Lget_val(group, name.c_str(), buf.data(), li.u.val_size, H5P_DEFAULT),
            "reading link '" + name + "'");
      if (li.type == H5L_TYPE_SOFT) {
        link.cls = LinkClass::Soft;
        link.h5path = std::string(buf.data());
      } else {
        link.cls = LinkClass::External;
        unsigned flags = 0;
        const char* file = nullptr;
        const char* path = nullptr;
        check(H5Lunpack_elink_val(buf.data(), li.u.val_size, &flags, &file, &path),
              "reading external link '" + name + "'");
        link.h5domain = file ? file : "";
        link.h5path = path ? path : "";
      }
      break;
    }
    default:
      link.cls = LinkClass::UserDefined;
      break;
  }
  return link;
}

AttributeInfo attributeInfo(H5File& f, hid_t attr, haddr_t objAddr, const std::string& name,
                            int64_t fallbackTime, Poco::Logger& logger) {
  AttributeInfo info;
  info.name = name;
  Hid type = own(H5Aget_type(attr), "reading attribute '" + name + "'");
  info.type = h5::toDatatype(type, committedNamer(f, logger));
  Hid space = own(H5Aget_space(attr), "reading attribute '" + name + "'");
  info.shape = shapeOf(space);
  auto it = f.attributeCreated.find({objAddr, name});
  info.created = it != f.attributeCreated.end() ? it->second : fallbackTime;
  return info;
}

int64_t createdTime(const H5File& f, hid_t obj, haddr_t addr) {
  H5O_info_t oi;
  check(H5Oget_info2(obj, &oi, H5O_INFO_TIME), "reading an object's times");
  int64_t created, modified;
  objectTimes(f, oi, addr, created, modified);
  return created;
}

struct LinkVisit {
  haddr_t target;
  std::vector<std::string> paths;
};

herr_t findLinksTo(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* v = static_cast<LinkVisit*>(data);
  if (info->type == H5L_TYPE_HARD && info->u.address == v->target) v->paths.emplace_back(name);
  return 0;
}

struct ChildLinks {
  std::map<haddr_t, unsigned> counts;
};

herr_t countChildLinks(hid_t, const char*, const H5L_info_t* info, void* data) {
  if (info->type == H5L_TYPE_HARD) ++static_cast<ChildLinks*>(data)->counts[info->u.address];
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Hdf5ArrayStore::Hdf5ArrayStore(const std::string& root, bool readOnly, bool flush,
                               const std::string& configKey, Poco::Logger& logger)
    : root_(root), readOnly_(readOnly), flush_(flush), logger_(logger) {
  h5::quietErrors();
  hbool_t threadSafe = 0;
  if (H5is_library_threadsafe(&threadSafe) < 0 || !threadSafe) {
    throw StartupError("the HDF5 library this server uses is not built thread-safe");
  }
  std::error_code ec;
  if (!fs::exists(root_, ec)) {
    if (readOnly_) throw StartupError(configKey + ": directory '" + root_ + "' does not exist");
    fs::create_directories(root_, ec);
    if (ec) throw StartupError(configKey + ": cannot create '" + root_ + "': " + ec.message());
  }
  if (!fs::is_directory(root_, ec)) throw StartupError(configKey + ": '" + root_ + "' is not a directory");
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Hdf5ArrayStore::~Hdf5ArrayStore() {
  h5::quietErrors();
  std::lock_guard<std::mutex> lock(filesMu_);
  for (auto& [name, f] : files_) {
    std::lock_guard<std::mutex> fileLock(f->mu);
    if (!f->readOnly) H5Fflush(f->fid, H5F_SCOPE_LOCAL);
  }
  files_.clear();
}

std::string Hdf5ArrayStore::filePath(const std::string& name) const { return root_ + "/" + name + ".h5"; }

std::string Hdf5ArrayStore::sidecarPath(const std::string& name) const {
  const auto slash = name.rfind('/');
  const std::string dir = slash == std::string::npos ? root_ : root_ + "/" + name.substr(0, slash);
  const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  return dir + "/." + base + ".h5.strata";
}

Hdf5ArrayStore::FilePtr Hdf5ArrayStore::openFile(const std::string& name, const std::string& path,
                                                 bool writable) {
  auto f = std::make_shared<H5File>();
  f->name = name;
  f->path = path;
  f->sidecar = sidecarPath(name);
  f->readOnly = !writable;
  f->fsync = flush_;
  Hid fapl = own(H5Pcreate(H5P_FILE_ACCESS), "creating file access properties");
  const hid_t fid = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
  if (fid < 0) {
    const std::string message = "domain '" + name + "' cannot be opened as an HDF5 file: " + h5::errorStack();
    logger_.error("hdf5: " + message);
    throw InternalError(message);
  }
  f->fid = Hid(fid);
  H5O_info_t root;
  check(H5Oget_info2(f->fid, &root, H5O_INFO_BASIC), "reading the root group of domain '" + name + "'");
  f->rootAddr = root.addr;
  // Read even for read-only files: a file made read-only after the store wrote it keeps its
  // deleted ids and anchored objects.
  f->loadSidecar();
  return f;
}

Hdf5ArrayStore::FilePtr Hdf5ArrayStore::file(const std::string& c) {
  h5::quietErrors();
  validateContainerName(c);
  const std::string path = filePath(c);
  // The stat runs outside filesMu_: every request of every domain passes here.
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  std::lock_guard<std::mutex> lock(filesMu_);
  if (!exists) {
    files_.erase(c);  // removed behind our back
    throw NotFound("domain '" + c + "' not found");
  }
  auto it = files_.find(c);
  if (it != files_.end()) {
    it->second->noteMtime(mtimeNanos(st));
    return it->second;
  }
  if (st.st_size == 0) {
    // HDF5 would turn an empty file opened for writing into a new HDF5 file: refuse instead,
    // it is not ours to initialise.
    throw InternalError("domain '" + c + "' cannot be opened as an HDF5 file: the file is empty");
  }
  auto f = openFile(c, path, fileWritable(path, st, readOnly_));
  f->noteMtime(mtimeNanos(st));
  files_[c] = f;
  return f;
}

// ---- containers

std::vector<std::string> Hdf5ArrayStore::listContainers() {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string fname = p.filename().string();
    if (!fname.empty() && fname[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (fname.size() > 3 && fname.compare(fname.size() - 3, 3, ".h5") == 0 && it->is_regular_file(ec)) {
      std::string rel = p.lexically_relative(root_).generic_string();
      out.push_back(rel.substr(0, rel.size() - 3));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<ContainerInfo> Hdf5ArrayStore::findContainer(const std::string& name) {
  h5::quietErrors();
  validateContainerName(name);
  FilePtr f;
  try {
    f = file(name);
  } catch (const NotFound&) {
    return std::nullopt;
  }
  {
    std::lock_guard<std::mutex> cacheLock(f->meta.mu);
    if (f->meta.container) return f->meta.container;
  }
  const uint64_t version = f->metaVersion();
  std::lock_guard<std::mutex> lock(f->mu);
  ContainerInfo info;
  info.name = name;
  info.rootId = f->idOf(f->rootAddr);
  info.readOnly = f->readOnly;
  const int64_t mtime = fileMtime(*f);
  H5O_info_t oi;
  check(H5Oget_info2(f->fid, &oi, H5O_INFO_TIME), "reading the root group of domain '" + name + "'");
  info.created = oi.btime > 0 ? std::min<int64_t>(static_cast<int64_t>(oi.btime) * 1000, mtime) : mtime;
  info.modified = mtime;
  for (const auto& [addr, t] : f->touched) info.modified = std::max(info.modified, t);
  std::lock_guard<std::mutex> cacheLock(f->meta.mu);
  if (f->meta.version == version) f->meta.container = info;
  return info;
}

ContainerInfo Hdf5ArrayStore::createContainer(const std::string& name) {
  h5::quietErrors();
  validateContainerName(name);
  if (readOnly_) throw Forbidden("the arrays store is read-only; cannot create domain '" + name + "'");
  const std::string path = filePath(name);
  {
    std::lock_guard<std::mutex> lock(filesMu_);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) throw Conflict("domain '" + name + "' already exists");
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) {
      if (ec == std::errc::permission_denied)
        throw Forbidden("cannot create domain '" + name + "': " + ec.message());
      throw InternalError("cannot create domain '" + name + "': " + ec.message());
    }
    // Version-2 object headers (HDF5 >= 1.8 formats), so objects keep their birth times.
    Hid fapl = own(H5Pcreate(H5P_FILE_ACCESS), "creating file access properties");
    check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "setting file format bounds");
    const hid_t fid = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (fid < 0) {
      if (::stat(path.c_str(), &st) == 0) throw Conflict("domain '" + name + "' already exists");
      if (::access(fs::path(path).parent_path().c_str(), W_OK) != 0) {
        throw Forbidden("cannot create domain '" + name + "': directory not writable");
      }
      h5::fail<InternalError>("creating domain '" + name + "'");
    }
    Hid owned(fid);
    check(H5Fflush(fid, H5F_SCOPE_LOCAL), "flushing domain '" + name + "'");
    owned.reset();
    // A sidecar left from an earlier file of this name belongs to that file; the new one
    // starts with the new file's salt.
    const std::string sidecar = sidecarPath(name);
    ::unlink(sidecar.c_str());
    files_.erase(name);
    H5File journal;
    journal.name = name;
    journal.sidecar = sidecar;
    journal.fsync = flush_;
    std::random_device random;
    uint32_t salt = 0;
    while (salt == 0) salt = random() & 0xffffff;
    char text[16];
    std::snprintf(text, sizeof text, "%06x", salt);
    journal.journal(std::string("salt ") + text);
  }
  return container(name);
}

void Hdf5ArrayStore::deleteContainer(const std::string& name) {
  h5::quietErrors();
  validateContainerName(name);
  if (readOnly_) throw Forbidden("the arrays store is read-only; cannot delete domain '" + name + "'");
  const std::string path = filePath(name);
  std::lock_guard<std::mutex> lock(filesMu_);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw NotFound("domain '" + name + "' not found");
  if (!fileWritable(path, st, readOnly_)) throw Forbidden("domain '" + name + "' is read-only");
  auto it = files_.find(name);
  if (it != files_.end()) {
    FilePtr f = it->second;
    files_.erase(it);
    // Waits for a running operation on the file; later ones hold the H5File alive and fail
    // on the unlinked file's handle or find the domain gone.
    std::lock_guard<std::mutex> fileLock(f->mu);
    f->fid.reset();
  }
  if (::unlink(path.c_str()) != 0) {
    throw InternalError("cannot delete domain '" + name + "': " + std::strerror(errno));
  }
  ::unlink(sidecarPath(name).c_str());
}

// ---- objects

ObjectInfo Hdf5ArrayStore::object(const std::string& c, const std::string& id) {
  auto f = file(c);
  {
    std::lock_guard<std::mutex> cacheLock(f->meta.mu);
    auto it = f->meta.objects.find(id);
    if (it != f->meta.objects.end()) return it->second;
  }
  const uint64_t version = f->metaVersion();
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolve(*f, id, logger_);
  Hid obj = openByAddr(*f, ref.addr);
  ObjectInfo info = objectInfo(*f, obj, ref.addr, ref.kind);
  std::lock_guard<std::mutex> cacheLock(f->meta.mu);
  if (f->meta.version == version) f->meta.objects.emplace(id, info);
  return info;
}

std::vector<std::string> Hdf5ArrayStore::listObjects(const std::string& c, ObjectKind kind,
                                                     const Page& page) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ensureObjects(*f, logger_);
  std::vector<std::string> ids;
  for (const auto& [addr, k] : f->objects) {
    if (k == kind && addr != f->rootAddr) ids.push_back(f->idOf(addr));
  }
  // Ordered by id (stable across calls and restarts). A marker pages on after its place in
  // that order if it names a listed or deleted object; an unknown marker gives an empty page.
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> out;
  if (!page.marker.empty() && !f->deleted.count(page.marker) &&
      !std::binary_search(ids.begin(), ids.end(), page.marker)) {
    return out;
  }
  for (const auto& id : ids) {
    if (!page.marker.empty() && id <= page.marker) continue;
    out.push_back(id);
    if (page.limit && out.size() >= page.limit) break;
  }
  return out;
}

void Hdf5ArrayStore::deleteObject(const std::string& c, const std::string& id) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolve(*f, id, logger_);
  if (ref.addr == f->rootAddr) throw Forbidden("the root group cannot be deleted");
  requireWritable(*f);
  Hid obj = openByAddr(*f, ref.addr);

  // Children whose every link is in this group would be freed with it; in the REST model
  // they outlive it, so they are anchored first.
  if (ref.kind == ObjectKind::Group) {
    ChildLinks children;
    hsize_t idx = 0;
    check(H5Literate(obj, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, countChildLinks, &children),
          "listing the links of group " + id);
    for (const auto& [child, count] : children.counts) {
      if (child == ref.addr) continue;
      Hid childObj = openByAddr(*f, child);
      H5O_info_t oi;
      check(H5Oget_info2(childObj, &oi, H5O_INFO_BASIC), "reading a child of group " + id);
      if (oi.rc <= count) anchor(*f, childObj, child);
    }
  }

  // Every hard link to the object, from the root group and from every anchored group.
  std::vector<std::pair<Hid, std::vector<std::string>>> found;
  {
    LinkVisit visit{ref.addr, {}};
    Hid root = own(H5Gopen2(f->fid, "/", H5P_DEFAULT), "opening the root group");
    check(H5Lvisit(root, H5_INDEX_NAME, H5_ITER_NATIVE, findLinksTo, &visit), "finding links to " + id);
    found.emplace_back(std::move(root), std::move(visit.paths));
  }
  for (haddr_t a : f->anchors) {
    auto it = f->objects.find(a);
    if (it == f->objects.end() || it->second != ObjectKind::Group) continue;
    LinkVisit visit{ref.addr, {}};
    Hid g = openByAddr(*f, a);
    check(H5Lvisit(g, H5_INDEX_NAME, H5_ITER_NATIVE, findLinksTo, &visit), "finding links to " + id);
    found.emplace_back(std::move(g), std::move(visit.paths));
  }
  // Deepest first: a path may pass through a link that is itself about to go.
  std::vector<std::pair<hid_t, std::string>> links;
  for (auto& [start, paths] : found) {
    for (auto& p : paths) links.emplace_back(start.get(), std::move(p));
  }
  std::sort(links.begin(), links.end(), [](const auto& a, const auto& b) {
    return std::count(a.second.begin(), a.second.end(), '/') >
           std::count(b.second.begin(), b.second.end(), '/');
  });
  for (const auto& [start, path] : links) {
    if (H5Lexists(start, path.c_str(), H5P_DEFAULT) <= 0) continue;  // already gone with a deeper one
    check(H5Ldelete(start, path.c_str(), H5P_DEFAULT), "deleting link '" + path + "' to " + id);
  }
  unanchor(*f, obj, ref.addr);
  obj.reset();
  found.clear();
  flushFile(*f);

  // The id answers Gone from now on; a new object at this address gets the next generation.
  f->journal("gone " + id);
  f->deleted.insert(id);
  f->generations[ref.addr] = f->generationOf(ref.addr) + 1;
  f->objects.erase(ref.addr);
  f->touched.erase(ref.addr);
  f->props.erase(id);
}

ObjectInfo Hdf5ArrayStore::createGroup(const std::string& c) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  requireWritable(*f);
  ensureObjects(*f, logger_);
  Hid gcpl = own(H5Pcreate(H5P_GROUP_CREATE), "creating group properties");
  Hid g = own(H5Gcreate_anon(f->fid, gcpl, H5P_DEFAULT), "creating a group in domain '" + c + "'");
  ObjectInfo info = adoptNew(*f, g, ObjectKind::Group);
  flushFile(*f);
  return info;
}

// ---- links

std::vector<Link> Hdf5ArrayStore::listLinks(const std::string& c, const std::string& group,
                                            const Page& page) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolveKind(*f, group, ObjectKind::Group, logger_);
  Hid g = openByAddr(*f, ref.addr);
  PageCollect ctx{&page, {}, {}};
  hsize_t idx = 0;
  check(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collectLink, &ctx),
        "listing the links of group " + group);
  const int64_t fallback = createdTime(*f, g, ref.addr);
  std::vector<Link> out;
  out.reserve(ctx.links.size());
  for (const auto& row : ctx.links)
    out.push_back(makeLink(*f, g, row.name, row.info, fallback, ref.addr, logger_));
  return out;
}

Link Hdf5ArrayStore::link(const std::string& c, const std::string& group, const std::string& name) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolveKind(*f, group, ObjectKind::Group, logger_);
  Hid g = openByAddr(*f, ref.addr);
  const auto notFound = [&] { return NotFound("link '" + name + "' not found in group " + group); };
  if (name.empty() || name == "." || name.find('/') != std::string::npos) throw notFound();
  if (check(H5Lexists(g, name.c_str(), H5P_DEFAULT), "looking up link '" + name + "'") <= 0) throw notFound();
  H5L_info_t li;
  check(H5Lget_info(g, name.c_str(), &li, H5P_DEFAULT), "reading link '" + name + "'");
  return makeLink(*f, g, name, li, createdTime(*f, g, ref.addr), ref.addr, logger_);
}

void Hdf5ArrayStore::createLink(const std::string& c, const std::string& group, const Link& link) {
  validateLinkName(link.name);
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolveKind(*f, group, ObjectKind::Group, logger_);
  requireWritable(*f);
  Hid g = openByAddr(*f, ref.addr);
  if (check(H5Lexists(g, link.name.c_str(), H5P_DEFAULT), "looking up link '" + link.name + "'") > 0) {
    throw Conflict("link '" + link.name + "' already exists in group " + group);
  }
  Hid lcpl = namePlist(H5P_LINK_CREATE, link.name);
  const std::string what = "creating link '" + link.name + "' in group " + group;
  switch (link.cls) {
    case LinkClass::Hard: {
      const ObjRef target = resolve(*f, link.id, logger_);
      Hid obj = openByAddr(*f, target.addr);
      if (H5Lcreate_hard(obj, ".", g, link.name.c_str(), lcpl, H5P_DEFAULT) < 0) h5::failRequest(what);
      // Linked now: the link keeps it alive, the anchor can go.
      unanchor(*f, obj, target.addr);
      break;
    }
    case LinkClass::Soft:
      if (link.h5path.empty()) throw BadRequest("a soft link needs a path");
      if (H5Lcreate_soft(link.h5path.c_str(), g, link.name.c_str(), lcpl, H5P_DEFAULT) < 0)
        h5::failRequest(what);
      break;
    case LinkClass::External:
      if (link.h5path.empty() || link.h5domain.empty())
        throw BadRequest("an external link needs a domain and a path");
      if (H5Lcreate_external(link.h5domain.c_str(), link.h5path.c_str(), g, link.name.c_str(), lcpl,
                             H5P_DEFAULT) < 0) {
        h5::failRequest(what);
      }
      break;
    case LinkClass::UserDefined:
      throw BadRequest("user-defined links cannot be created");
  }
  const int64_t now = nowMillis();
  f->linkCreated[{ref.addr, link.name}] = now;
  f->touched[ref.addr] = now;
  flushFile(*f);
}

void Hdf5ArrayStore::deleteLink(const std::string& c, const std::string& group, const std::string& name) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolveKind(*f, group, ObjectKind::Group, logger_);
  Hid g = openByAddr(*f, ref.addr);
  if (name.empty() || name == "." || name.find('/') != std::string::npos ||
      check(H5Lexists(g, name.c_str(), H5P_DEFAULT), "looking up link '" + name + "'") <= 0) {
    throw NotFound("link '" + name + "' not found in group " + group);
  }
  requireWritable(*f);
  H5L_info_t li;
  check(H5Lget_info(g, name.c_str(), &li, H5P_DEFAULT), "reading link '" + name + "'");
  if (li.type == H5L_TYPE_HARD) {
    // The object outlives its last link (REST semantics): anchor it before the link goes.
    Hid target = openByAddr(*f, li.u.address);
    H5O_info_t oi;
    check(H5Oget_info2(target, &oi, H5O_INFO_BASIC), "reading the target of link '" + name + "'");
    if (oi.rc <= 1) anchor(*f, target, li.u.address);
  }
  check(H5Ldelete(g, name.c_str(), H5P_DEFAULT), "deleting link '" + name + "'");
  f->linkCreated.erase({ref.addr, name});
  f->touched[ref.addr] = nowMillis();
  flushFile(*f);
}

// ---- datasets

DatasetInfo Hdf5ArrayStore::createDataset(const std::string& c, const DatasetSpec& spec) {
  if (!spec.type) throw BadRequest("a dataset needs a type");
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  requireWritable(*f);
  ensureObjects(*f, logger_);
  Hid type = creationType(*f, *spec.type, logger_);
  h5::ValueCodec codec(spec.type);
  Hid space = makeSpace(spec.shape, true);
  Hid dcpl = own(H5Pcreate(H5P_DATASET_CREATE), "creating dataset properties");

  const bool simple = spec.shape.cls == ShapeClass::Simple;
  std::vector<hsize_t> chunks(spec.chunks.begin(), spec.chunks.end());
  if (!chunks.empty()) {
    if (!simple) throw BadRequest("only datasets with a simple shape can be chunked");
    if (chunks.size() != spec.shape.dims.size())
      throw BadRequest("the chunk shape must have the dataset's rank");
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i] == 0) throw BadRequest("chunk dimensions must be positive");
      const uint64_t maxd =
          spec.shape.maxdims.size() == chunks.size() ? spec.shape.maxdims[i] : spec.shape.dims[i];
      if (maxd != kUnlimited && chunks[i] > maxd) {
        throw BadRequest("chunk dimension " + std::to_string(i) + " is larger than the maximum dimension");
      }
    }
  } else if (simple) {
    bool extendable = false;
    for (std::size_t i = 0; i < spec.shape.maxdims.size() && i < spec.shape.dims.size(); ++i) {
      extendable = extendable || spec.shape.maxdims[i] != spec.shape.dims[i];
    }
    if (extendable || !spec.filters.empty()) chunks = guessChunks(spec.shape, codec.memSize());
  } else if (!spec.filters.empty()) {
    throw BadRequest("filters need a dataset with a simple shape");
  }
  if (!chunks.empty()) {
    check<BadRequest>(H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()),
                      "setting the chunk shape");
  }
  for (const auto& filter : spec.filters) addFilter(dcpl, filter, *spec.type);

  if (!spec.fillValue.empty()) {
    FileRefs refs(*f, logger_);
    h5::SpanReader in(spec.fillValue.data(), spec.fillValue.size());
    h5::VlenArena arena;
    std::vector<char> buf(codec.memSize(), 0);
    codec.unpack(in, refs, arena, buf.data());
    if (in.consumed() != spec.fillValue.size()) throw BadRequest("the fill value is longer than one element");
    check<BadRequest>(H5Pset_fill_value(dcpl, codec.memType(), buf.data()), "setting the fill value");
  }

  const hid_t d = H5Dcreate_anon(f->fid, type, space, dcpl, H5P_DEFAULT);
  if (d < 0) h5::failRequest("creating a dataset in domain '" + c + "'");
  Hid dset(d);
  const haddr_t addr = addressOf(dset);
  anchor(*f, dset, addr);
  f->objects[addr] = ObjectKind::Dataset;
  f->touched[addr] = nowMillis();
  flushFile(*f);
  if (spec.creationProperties) {
    // Returned as sent (h5serv does); kept beside the file, not in it, so h5py sees no
    // extra attribute.
    std::ostringstream json;
    Poco::JSON::Stringifier::stringify(spec.creationProperties, json);
    const std::string id = f->idOf(addr);
    f->journal("props " + id + " " + json.str());
    f->props[id] = json.str();
  }
  return datasetInfo(*f, dset, addr, logger_);
}

DatasetInfo Hdf5ArrayStore::dataset(const std::string& c, const std::string& id) {
  auto f = file(c);
  {
    std::lock_guard<std::mutex> cacheLock(f->meta.mu);
    auto it = f->meta.datasets.find(id);
    if (it != f->meta.datasets.end()) return it->second;
  }
  const uint64_t version = f->metaVersion();
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Dataset, logger_);
  Hid d = openByAddr(*f, ref.addr);
  DatasetInfo info = datasetInfo(*f, d, ref.addr, logger_);
  std::lock_guard<std::mutex> cacheLock(f->meta.mu);
  if (f->meta.version == version) f->meta.datasets.emplace(id, info);
  return info;
}

void Hdf5ArrayStore::resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Dataset, logger_);
  requireWritable(*f);
  Hid d = openByAddr(*f, ref.addr);
  Hid space = own(H5Dget_space(d), "reading the dataspace of dataset " + id);
  const Shape shape = shapeOf(space);
  if (shape.cls != ShapeClass::Simple) throw BadRequest("dataset " + id + " has no dimensions to resize");
  if (dims.size() != shape.dims.size()) {
    throw BadRequest("the new shape has rank " + std::to_string(dims.size()) + ", dataset " + id +
                     " has rank " + std::to_string(shape.dims.size()));
  }
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const uint64_t maxd = shape.maxdims.empty() ? shape.dims[i] : shape.maxdims[i];
    if (maxd != kUnlimited && dims[i] > maxd) {
      throw BadRequest("dimension " + std::to_string(i) + ": " + std::to_string(dims[i]) +
                       " exceeds the maximum " + std::to_string(maxd));
    }
  }
  if (dims == shape.dims) return;
  Hid dcpl = own(H5Dget_create_plist(d), "reading the creation properties of dataset " + id);
  if (H5Pget_layout(dcpl) != H5D_CHUNKED)
    throw BadRequest("dataset " + id + " is not chunked and cannot change shape");
  std::vector<hsize_t> extent(dims.begin(), dims.end());
  if (H5Dset_extent(d, extent.data()) < 0) h5::failRequest("resizing dataset " + id);
  f->touched[ref.addr] = nowMillis();
  flushFile(*f);
}

void Hdf5ArrayStore::read(const std::string& c, const std::string& id, const Selection& sel,
                          const ByteSink& sink) {
  auto f = file(c);
  std::unique_lock<std::mutex> lock(f->mu);
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Dataset, logger_);
  Hid d = openByAddr(*f, ref.addr);
  Hid ftype = own(H5Dget_type(d), "reading the type of dataset " + id);
  Hid fspace = own(H5Dget_space(d), "reading the dataspace of dataset " + id);
  const Shape shape = shapeOf(fspace);
  const arrays::PieceWalk walk(sel, shape.cls, shape.dims, "dataset " + id);
  h5::ValueCodec codec(h5::toDatatype(ftype));
  // Fixed-size types are read with the stored type: no conversion, bytes as stored.
  const hid_t memType = codec.direct() ? ftype.get() : codec.memType();
  const std::size_t esize = codec.direct() ? H5Tget_size(ftype) : codec.memSize();
  lock.unlock();

  FileRefs refs(*f, logger_);
  PieceBuffers::Lease lease(pieceBuffers);
  std::string packed;
  arrays::PiecePlan plan;
  plan.elementBytes = esize;
  const bool scalar = shape.cls == ShapeClass::Scalar;
  walk.forEach(plan, [&](const arrays::Piece& p) {
    const std::size_t n = p.elements * esize;
    char* buf = lease.get(n);
    // Variable-length members are pointers HDF5 fills in: start them null.
    if (!codec.direct()) std::memset(buf, 0, n);
    std::unique_lock<std::mutex> pieceLock(f->mu);
    Hid mspace = selectPiece(fspace, p, scalar);
    const hid_t msel = scalar ? H5S_ALL : mspace.get();
    const hid_t fsel = scalar ? H5S_ALL : fspace.get();
    if (H5Dread(d, memType, msel, fsel, H5P_DEFAULT, buf) < 0) {
      h5::fail<InternalError>("reading dataset " + id + " of domain '" + c + "'");
    }
    if (codec.direct()) {
      pieceLock.unlock();
      sink(buf, n);
      return;
    }
    packed.clear();
    std::exception_ptr error;
    try {
      for (uint64_t i = 0; i < p.elements; ++i) codec.pack(buf + i * esize, refs, packed);
    } catch (...) {
      error = std::current_exception();
    }
    H5Dvlen_reclaim(memType, scalar ? fspace.get() : mspace.get(), H5P_DEFAULT, buf);
    pieceLock.unlock();
    if (error) std::rethrow_exception(error);
    sink(packed.data(), packed.size());
  });
}

void Hdf5ArrayStore::write(const std::string& c, const std::string& id, const Selection& sel,
                           const ByteSource& source, uint64_t bytes) {
  auto f = file(c);
  std::unique_lock<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Dataset, logger_);
  requireWritable(*f);
  Hid d = openByAddr(*f, ref.addr);
  Hid ftype = own(H5Dget_type(d), "reading the type of dataset " + id);
  Hid fspace = own(H5Dget_space(d), "reading the dataspace of dataset " + id);
  const Shape shape = shapeOf(fspace);
  const arrays::PieceWalk walk(sel, shape.cls, shape.dims, "dataset " + id);
  const uint64_t elements = walk.elements();
  auto type = h5::toDatatype(ftype);
  h5::ValueCodec codec(type);
  if (type->fixedSize() && bytes != elements * type->size) {
    throw BadRequest("expected " + std::to_string(elements * type->size) + " bytes for " +
                     std::to_string(elements) + " elements, got " + std::to_string(bytes));
  }
  const hid_t memType = codec.direct() ? ftype.get() : codec.memType();
  const std::size_t esize = codec.direct() ? H5Tget_size(ftype) : codec.memSize();
  lock.unlock();

  FileRefs refs(*f, logger_);
  h5::SourceReader in(source);
  h5::VlenArena arena;
  PieceBuffers::Lease lease(pieceBuffers);
  uint64_t done = 0;
  arrays::PiecePlan plan;
  plan.elementBytes = esize;
  const bool scalar = shape.cls == ShapeClass::Scalar;
  walk.forEach(plan, [&](const arrays::Piece& p) {
    const std::size_t size = p.elements * esize;
    char* buf = lease.get(size);
    std::unique_lock<std::mutex> pieceLock(f->mu, std::defer_lock);
    if (codec.direct()) {
      // Pull the piece's bytes outside the lock: the source may be a slow client.
      std::size_t got = 0;
      while (got < size) {
        const std::size_t n = source(buf + got, size - got);
        if (n == 0) throw BadRequest("the value ended after " + std::to_string(got) + " bytes of a piece");
        got += n;
      }
      pieceLock.lock();
    } else {
      std::memset(buf, 0, size);
      // References resolve against the file's maps: convert under the lock.
      pieceLock.lock();
      for (uint64_t i = 0; i < p.elements; ++i) codec.unpack(in, refs, arena, buf + i * esize);
      done += p.elements;
      // Extra bytes are found before the last piece is written, so a value with too many
      // elements changes nothing (if it fits one piece, as JSON-sized values do).
      if (done == elements && (in.consumed() != bytes || !in.atEnd())) {
        throw BadRequest("the value has more bytes than the selection needs");
      }
    }
    Hid mspace = selectPiece(fspace, p, scalar);
    const hid_t msel = scalar ? H5S_ALL : mspace.get();
    const hid_t fsel = scalar ? H5S_ALL : fspace.get();
    const herr_t rc = H5Dwrite(d, memType, msel, fsel, H5P_DEFAULT, buf);
    arena.clear();
    if (rc < 0) h5::failRequest("writing dataset " + id + " of domain '" + c + "'");
  });
  if (!codec.direct() && elements == 0 && !in.atEnd()) {
    throw BadRequest("the value has more bytes than the selection needs");
  }
  lock.lock();
  f->touched[ref.addr] = nowMillis();
  flushFile(*f);
}

// ---- committed datatypes

ObjectInfo Hdf5ArrayStore::createDatatype(const std::string& c, const DatatypePtr& type) {
  if (!type) throw BadRequest("missing datatype");
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  requireWritable(*f);
  ensureObjects(*f, logger_);
  Hid t = h5::toHdf5(*type);
  if (H5Tcommit_anon(f->fid, t, H5P_DEFAULT, H5P_DEFAULT) < 0)
    h5::failRequest("committing a datatype in domain '" + c + "'");
  ObjectInfo info = adoptNew(*f, t, ObjectKind::Datatype);
  flushFile(*f);
  return info;
}

DatatypePtr Hdf5ArrayStore::datatype(const std::string& c, const std::string& id) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Datatype, logger_);
  Hid t = openByAddr(*f, ref.addr);
  return h5::toDatatype(t);
}

// ---- attributes

std::vector<AttributeInfo> Hdf5ArrayStore::listAttributes(const std::string& c, const std::string& obj,
                                                          const Page& page) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolve(*f, obj, logger_);
  Hid o = openByAddr(*f, ref.addr);
  PageCollect ctx{&page, {}, {}};
  hsize_t idx = 0;
  check(H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, collectAttribute, &ctx),
        "listing the attributes of " + obj);
  const int64_t fallback = createdTime(*f, o, ref.addr);
  std::vector<AttributeInfo> out;
  for (const auto& name : ctx.names) {
    Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
    out.push_back(attributeInfo(*f, a, ref.addr, name, fallback, logger_));
  }
  return out;
}

AttributeInfo Hdf5ArrayStore::attribute(const std::string& c, const std::string& obj,
                                        const std::string& name) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolve(*f, obj, logger_);
  Hid o = openByAddr(*f, ref.addr);
  if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
    throw NotFound("attribute '" + name + "' not found on " + obj);
  }
  Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
  return attributeInfo(*f, a, ref.addr, name, createdTime(*f, o, ref.addr), logger_);
}

std::string Hdf5ArrayStore::attributeValue(const std::string& c, const std::string& obj,
                                           const std::string& name) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  const ObjRef ref = resolve(*f, obj, logger_);
  Hid o = openByAddr(*f, ref.addr);
  if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
    throw NotFound("attribute '" + name + "' not found on " + obj);
  }
  Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
  Hid ftype = own(H5Aget_type(a), "reading the type of attribute '" + name + "'");
  Hid space = own(H5Aget_space(a), "reading the dataspace of attribute '" + name + "'");
  const Shape shape = shapeOf(space);
  if (shape.cls == ShapeClass::Null) return "";
  const uint64_t n = shape.elements();
  h5::ValueCodec codec(h5::toDatatype(ftype));
  const hid_t memType = codec.direct() ? ftype.get() : codec.memType();
  const std::size_t esize = codec.direct() ? H5Tget_size(ftype) : codec.memSize();
  std::vector<char> buf(n * esize, 0);
  if (n == 0) return "";
  if (H5Aread(a, memType, buf.data()) < 0)
    h5::fail<InternalError>("reading attribute '" + name + "' of " + obj);
  if (codec.direct()) return std::string(buf.data(), buf.size());
  FileRefs refs(*f, logger_);
  std::string out;
  std::exception_ptr error;
  try {
    for (uint64_t i = 0; i < n; ++i) codec.pack(buf.data() + i * esize, refs, out);
  } catch (...) {
    error = std::current_exception();
  }
  H5Dvlen_reclaim(memType, space, H5P_DEFAULT, buf.data());
  if (error) std::rethrow_exception(error);
  return out;
}

void Hdf5ArrayStore::createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                                     const std::string& packedValue, bool replace) {
  if (info.name.empty()) throw BadRequest("an attribute needs a name");
  if (!info.type) throw BadRequest("attribute '" + info.name + "' needs a type");
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolve(*f, obj, logger_);
  requireWritable(*f);
  Hid o = openByAddr(*f, ref.addr);
  const bool exists = check(H5Aexists(o, info.name.c_str()), "looking up attribute '" + info.name + "'") > 0;
  if (exists && !replace) throw Conflict("attribute '" + info.name + "' already exists on " + obj);

  // Everything that can fail on bad input happens before an old attribute is replaced.
  Hid type = creationType(*f, *info.type, logger_);
  h5::ValueCodec codec(info.type);
  Hid space = makeSpace(info.shape, false);
  const uint64_t n = info.shape.elements();
  std::vector<char> buf(n * codec.memSize(), 0);
  FileRefs refs(*f, logger_);
  h5::VlenArena arena;
  if (info.shape.cls != ShapeClass::Null) {
    if (info.type->fixedSize() && packedValue.size() != n * info.type->size) {
      throw BadRequest("expected " + std::to_string(n * info.type->size) + " bytes for attribute '" +
                       info.name + "', got " + std::to_string(packedValue.size()));
    }
    h5::SpanReader in(packedValue.data(), packedValue.size());
    for (uint64_t i = 0; i < n; ++i) codec.unpack(in, refs, arena, buf.data() + i * codec.memSize());
    if (in.consumed() != packedValue.size()) {
      throw BadRequest("the value of attribute '" + info.name + "' is longer than its shape needs");
    }
  }

  if (exists) check(H5Adelete(o, info.name.c_str()), "replacing attribute '" + info.name + "'");
  Hid acpl = namePlist(H5P_ATTRIBUTE_CREATE, info.name);
  const hid_t a = H5Acreate2(o, info.name.c_str(), type, space, acpl, H5P_DEFAULT);
  if (a < 0) h5::failRequest("creating attribute '" + info.name + "' on " + obj);
  Hid attr(a);
  if (info.shape.cls != ShapeClass::Null && n > 0 && H5Awrite(attr, codec.memType(), buf.data()) < 0) {
    h5::failRequest("writing attribute '" + info.name + "' on " + obj);
  }
  const int64_t now = nowMillis();
  f->attributeCreated[{ref.addr, info.name}] = now;
  f->touched[ref.addr] = now;
  flushFile(*f);
}

void Hdf5ArrayStore::deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) {
  auto f = file(c);
  std::lock_guard<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolve(*f, obj, logger_);
  Hid o = openByAddr(*f, ref.addr);
  if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
    throw NotFound("attribute '" + name + "' not found on " + obj);
  }
  requireWritable(*f);
  check(H5Adelete(o, name.c_str()), "deleting attribute '" + name + "' of " + obj);
  f->attributeCreated.erase({ref.addr, name});
  f->touched[ref.addr] = nowMillis();
  flushFile(*f);
}

// ---- export

void Hdf5ArrayStore::exportHdf5(const std::string& c, const ByteSink& sink) {
  auto f = file(c);
  // Held throughout, so no write lands in the middle of the copy.
  std::lock_guard<std::mutex> lock(f->mu);
  if (!f->readOnly) check(H5Fflush(f->fid, H5F_SCOPE_LOCAL), "flushing domain '" + c + "'");
  std::ifstream in(f->path, std::ios::binary);
  if (!in) throw InternalError("cannot read domain '" + c + "': " + std::strerror(errno));
  std::vector<char> block(kExportBlock);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const std::streamsize n = in.gcount();
    if (n > 0) sink(block.data(), static_cast<std::size_t>(n));
  }
  if (in.bad()) throw InternalError("cannot read domain '" + c + "'");
}

}  // namespace strata
