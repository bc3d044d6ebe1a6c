#include "hdf5_array_store.h"

#include "h5_types.h"
#include "hdf5_creation.h"
#include "hdf5_file_refs.h"
#include "hdf5_objects.h"
#include "journal_driver.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata::hdf5 {

using arrays::Datatype;
using arrays::DatatypePtr;

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kExportBlock = 1u << 20;

// fsync of a file or a directory; failures are ignored (the data is written, only its
// survival of a power loss is not ensured).
void syncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Hdf5ArrayStore::Hdf5ArrayStore(const std::string& root, bool readOnly, bool flush,
                               const std::string& configKey, Poco::Logger& logger)
    : root_(root), readOnly_(readOnly), flush_(flush), logger_(logger) {
  hdf5::quietErrors();
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
  hdf5::quietErrors();
  std::lock_guard<std::mutex> lock(filesMu_);
  for (auto& [name, f] : files_) {
    std::lock_guard<std::mutex> fileLock(f->mu);
    if (!f->readOnly) H5Fflush(f->fid, H5F_SCOPE_LOCAL);
  }
  files_.clear();
}

std::string Hdf5ArrayStore::filePath(const std::string& name) const { return root_ + "/" + name + ".h5"; }

std::string Hdf5ArrayStore::sidecarPath(const std::string& name) const {
  return hiddenPath(name, ".h5.strata");
}

std::string Hdf5ArrayStore::hiddenPath(const std::string& name, const std::string& suffix) const {
  const auto slash = name.rfind('/');
  const std::string dir = slash == std::string::npos ? root_ : root_ + "/" + name.substr(0, slash);
  const std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
  return dir + "/." + base + suffix;
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
  // Writable files go through the journaling driver, so a kill during a flush never leaves
  // a file torn (journal_driver.h).
  if (writable) check(H5Pset_driver(fapl, journalDriver(), nullptr), "choosing the file driver");
  const hid_t fid = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
  if (fid < 0) {
    const std::string message =
        "domain '" + name + "' cannot be opened as an HDF5 file: " + hdf5::errorStack();
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
  hdf5::quietErrors();
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
  hdf5::quietErrors();
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
  hdf5::quietErrors();
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
    // The file is made complete under a hidden name and then linked into place, so that a
    // crash (SIGKILL, power loss) never leaves an empty or half-written file under the
    // domain's name: before the link there is no domain, after it a whole one. A hidden file
    // left by a crash is not a domain (listContainers skips it) and is replaced here.
    const std::string building = hiddenPath(name, ".h5.creating");
    ::unlink(building.c_str());
    // Version-2 object headers (HDF5 >= 1.8 formats), so objects keep their birth times.
    Hid fapl = own(H5Pcreate(H5P_FILE_ACCESS), "creating file access properties");
    check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "setting file format bounds");
    check(H5Pset_driver(fapl, journalDriver(), nullptr), "choosing the file driver");
    const hid_t fid = H5Fcreate(building.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (fid < 0) {
      if (::access(fs::path(path).parent_path().c_str(), W_OK) != 0) {
        throw Forbidden("cannot create domain '" + name + "': directory not writable");
      }
      hdf5::fail<InternalError>("creating domain '" + name + "'");
    }
    Hid owned(fid);
    check(H5Fflush(fid, H5F_SCOPE_LOCAL), "flushing domain '" + name + "'");
    owned.reset();
    if (flush_) syncPath(building, false);
    // A sidecar left from an earlier file of this name belongs to that file; the new one
    // starts with the new file's salt, and is written before the file appears.
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
    // link() does not replace a file that another program made meanwhile; on a file system
    // without hard links, rename() (the name was free a moment ago, under filesMu_).
    int linked = ::link(building.c_str(), path.c_str());
    if (linked != 0 && (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS))
      linked = ::rename(building.c_str(), path.c_str());
    if (linked != 0) {
      const int err = errno;
      ::unlink(building.c_str());
      if (err == EEXIST) throw Conflict("domain '" + name + "' already exists");
      throw InternalError("cannot create domain '" + name + "': " + std::strerror(err));
    }
    ::unlink(building.c_str());
    if (flush_) syncPath(fs::path(path).parent_path().string(), true);
  }
  return container(name);
}

void Hdf5ArrayStore::deleteContainer(const std::string& name) {
  hdf5::quietErrors();
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
  ::unlink(hiddenPath(name, ".h5.journal").c_str());
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
  return inspect(c, [&](H5File& hf) {
    ensureObjects(hf, logger_);
    std::vector<std::string> ids;
    for (const auto& [addr, k] : hf.objects) {
      if (k == kind && addr != hf.rootAddr) ids.push_back(hf.idOf(addr));
    }
    // Ordered by id (stable across calls and restarts). A marker pages on after its place in
    // that order if it names a listed or deleted object; an unknown marker gives an empty page.
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> out;
    if (!page.marker.empty() && !hf.deleted.count(page.marker) &&
        !std::binary_search(ids.begin(), ids.end(), page.marker)) {
      return out;
    }
    for (const auto& id : ids) {
      if (!page.marker.empty() && id <= page.marker) continue;
      out.push_back(id);
      if (page.limit && out.size() >= page.limit) break;
    }
    return out;
  });
}

ObjectInfo Hdf5ArrayStore::createGroup(const std::string& c) {
  return change(c, [&](H5File& hf) {
    requireWritable(hf);
    ensureObjects(hf, logger_);
    Hid gcpl = own(H5Pcreate(H5P_GROUP_CREATE), "creating group properties");
    Hid g = own(H5Gcreate_anon(hf.fid, gcpl, H5P_DEFAULT), "creating a group in domain '" + c + "'");
    ObjectInfo info = adoptNew(hf, g, ObjectKind::Group);
    hf.flush();
    return info;
  });
}

// ---- datasets

DatasetInfo Hdf5ArrayStore::createDataset(const std::string& c, const DatasetSpec& spec) {
  if (!spec.type) throw BadRequest("a dataset needs a type");
  return change(c, [&](H5File& hf) {
    requireWritable(hf);
    ensureObjects(hf, logger_);
    Hid type = creationType(hf, *spec.type, logger_);
    hdf5::ValueCodec codec(spec.type);
    Hid space = makeSpace(spec.shape, true);
    Hid dcpl = datasetCreationPlist(hf, spec, codec, logger_);

    const hid_t d = H5Dcreate_anon(hf.fid, type, space, dcpl, H5P_DEFAULT);
    if (d < 0) hdf5::failRequest("creating a dataset in domain '" + c + "'");
    Hid dset(d);
    const haddr_t addr = addressOf(dset);
    anchor(hf, dset, addr);
    hf.objects[addr] = ObjectKind::Dataset;
    hf.touched[addr] = nowMillis();
    hf.flush();
    if (spec.creationProperties) {
      // Returned as sent (h5serv does); kept beside the file, not in it, so h5py sees no
      // extra attribute.
      std::ostringstream json;
      Poco::JSON::Stringifier::stringify(spec.creationProperties, json);
      const std::string id = hf.idOf(addr);
      hf.journal("props " + id + " " + json.str());
      hf.props[id] = json.str();
    }
    return datasetInfo(hf, dset, addr, logger_);
  });
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
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, id, ObjectKind::Dataset, logger_);
    requireWritable(hf);
    Hid d = openByAddr(hf, ref.addr);
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
    if (H5Dset_extent(d, extent.data()) < 0) hdf5::failRequest("resizing dataset " + id);
    hf.touched[ref.addr] = nowMillis();
  });
}

// ---- committed datatypes

ObjectInfo Hdf5ArrayStore::createDatatype(const std::string& c, const DatatypePtr& type) {
  if (!type) throw BadRequest("missing datatype");
  return change(c, [&](H5File& hf) {
    requireWritable(hf);
    ensureObjects(hf, logger_);
    Hid t = hdf5::toHdf5(*type);
    if (H5Tcommit_anon(hf.fid, t, H5P_DEFAULT, H5P_DEFAULT) < 0)
      hdf5::failRequest("committing a datatype in domain '" + c + "'");
    ObjectInfo info = adoptNew(hf, t, ObjectKind::Datatype);
    hf.flush();
    return info;
  });
}

DatatypePtr Hdf5ArrayStore::datatype(const std::string& c, const std::string& id) {
  return inspect(c, [&](H5File& hf) {
    const ObjRef ref = resolveKind(hf, id, ObjectKind::Datatype, logger_);
    Hid t = openByAddr(hf, ref.addr);
    return hdf5::toDatatype(t);
  });
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

}  // namespace strata::hdf5
