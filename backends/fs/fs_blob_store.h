#pragma once
// The fs backend's blob store: content-addressed files in one directory tree. See
// fs_blob_store.cpp for the on-disk layout and why it survives a crash at any point.
#include <strata/stores/blob_store.h>

#include <array>
#include <mutex>
#include <string>

namespace Poco {
class Logger;
}

namespace strata::fs {

class FsBlobStore final : public BlobStore {
 public:
  // Creates the layout under `root` if missing, takes the directory's lock and empties tmp/.
  // Throws StartupError (naming `configKey`) if the directory cannot be created or written,
  // or is in use by another store.
  FsBlobStore(const std::string& root, bool fsync, const std::string& configKey, Poco::Logger& logger);
  ~FsBlobStore() override;

  BlobInfo put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) override;
  std::optional<BlobInfo> stat(const std::string& id) override;
  std::unique_ptr<BlobReader> open(const std::string& id) override;
  BlobInfo addRef(const std::string& id) override;
  uint64_t release(const std::string& id) override;
  std::vector<BlobInfo> list() override;

 private:
  std::string objectPath(const std::string& id) const;
  std::string refsPath(const std::string& id) const;
  std::mutex& lockFor(const std::string& id);
  // Makes objects/ab and refs/ab for the id's prefix; call under its stripe lock.
  void makePrefixDirs(const std::string& id);
  // Size of the object, or -1 if it does not exist.
  int64_t objectSize(const std::string& id) const;
  uint64_t readRefs(const std::string& id) const;
  void writeRefs(const std::string& id, uint64_t refs);
  void syncDir(const std::string& dir) const;
  [[noreturn]] void ioError(const std::string& what, const std::string& path, int err) const;

  std::string root_;
  bool fsync_;
  Poco::Logger& logger_;
  int lockFd_ = -1;
  // Striped by the id's first byte: every change to one id's object and refs file happens
  // under its stripe, so concurrent put/addRef/release of one blob never lose a count.
  std::array<std::mutex, 256> locks_;
  // Indexed like locks_ and guarded by them: prefix directories known to exist.
  std::array<bool, 256> prefixDirsReady_{};
};

}  // namespace strata::fs
