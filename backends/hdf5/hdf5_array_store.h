#pragma once
// The hdf5 backend's arrays store: every container is one .h5 file under a data directory,
// served through the HDF5 C API. See docs/hdf5-backend.md for the decisions (ids, anchors,
// sidecars, creationProperties, references) and h5_file.h for the id scheme.
//
// The store's methods live by subject: hdf5_array_store.cpp (files, containers, objects,
// datasets, datatypes, export), hdf5_links.cpp (links and deleting objects),
// hdf5_attributes.cpp, hdf5_values.cpp (reads and writes). Their helpers: hdf5_objects.h (ids,
// anchors, times, dataspaces), hdf5_creation.h (creation properties and filters),
// hdf5_file_refs.h (references resolved against a file).
#include "h5_file.h"

#include <strata/stores/array_store.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace Poco {
class Logger;
}

namespace strata::hdf5 {

class Hdf5ArrayStore final : public ArrayStore {
 public:
  // `root` is created if missing (unless readOnly); throws StartupError naming `configKey`
  // if it cannot be.
  Hdf5ArrayStore(const std::string& root, bool readOnly, bool flush, const std::string& configKey,
                 Poco::Logger& logger);
  ~Hdf5ArrayStore() override;

  std::vector<std::string> listContainers() override;
  std::optional<ContainerInfo> findContainer(const std::string& name) override;
  ContainerInfo createContainer(const std::string& name) override;
  void deleteContainer(const std::string& name) override;

  ObjectInfo object(const std::string& c, const std::string& id) override;
  std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) override;
  void deleteObject(const std::string& c, const std::string& id) override;
  ObjectInfo createGroup(const std::string& c) override;

  std::vector<Link> listLinks(const std::string& c, const std::string& group, const Page& page) override;
  Link link(const std::string& c, const std::string& group, const std::string& name) override;
  void createLink(const std::string& c, const std::string& group, const Link& link) override;
  void deleteLink(const std::string& c, const std::string& group, const std::string& name) override;

  DatasetInfo createDataset(const std::string& c, const DatasetSpec& spec) override;
  DatasetInfo dataset(const std::string& c, const std::string& id) override;
  void resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) override;
  void read(const std::string& c, const std::string& id, const arrays::Selection& sel,
            const ByteSink& sink) override;
  void write(const std::string& c, const std::string& id, const arrays::Selection& sel,
             const ByteSource& source, uint64_t bytes) override;

  ObjectInfo createDatatype(const std::string& c, const arrays::DatatypePtr& type) override;
  arrays::DatatypePtr datatype(const std::string& c, const std::string& id) override;

  std::vector<AttributeInfo> listAttributes(const std::string& c, const std::string& obj,
                                            const Page& page) override;
  AttributeInfo attribute(const std::string& c, const std::string& obj, const std::string& name) override;
  std::string attributeValue(const std::string& c, const std::string& obj, const std::string& name) override;
  void createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                       const std::string& packedValue, bool replace) override;
  void deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) override;

  void exportHdf5(const std::string& c, const ByteSink& sink) override;

 private:
  using FilePtr = std::shared_ptr<H5File>;

  std::string filePath(const std::string& name) const;
  std::string sidecarPath(const std::string& name) const;
  // <dir>/.<base><suffix> for container <dir>/<base>: hidden, so never listed as a container.
  std::string hiddenPath(const std::string& name, const std::string& suffix) const;
  // The open file of container `c`, opened on first use. NotFound if there is no such file,
  // InternalError if HDF5 cannot open it.
  FilePtr file(const std::string& c);
  FilePtr openFile(const std::string& name, const std::string& path, bool writable);

  // The frame of every lookup: fn(file) runs with the file of container `c` open and its
  // mutex held.
  template <typename Fn>
  decltype(auto) inspect(const std::string& c, Fn&& fn) {
    FilePtr f = file(c);
    std::lock_guard<std::mutex> lock(f->mu);
    return fn(*f);
  }
  // The frame of every change: as inspect, and the file's metadata cache is emptied however
  // fn ends, and the file flushed after it returns. fn checks writability itself, after the
  // lookups whose NotFound or Gone come first.
  template <typename Fn>
  decltype(auto) change(const std::string& c, Fn&& fn) {
    FilePtr f = file(c);
    std::lock_guard<std::mutex> lock(f->mu);
    ChangeGuard guard{*f};
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, H5File&>>) {
      fn(*f);
      f->flush();
    } else {
      auto result = fn(*f);
      f->flush();
      return result;
    }
  }

  std::string root_;
  bool readOnly_;
  bool flush_;
  Poco::Logger& logger_;
  std::mutex
      filesMu_;  // guards files_ (never held while waiting for a file's mutex, except in deleteContainer)
  std::map<std::string, FilePtr> files_;
};

}  // namespace strata::hdf5
