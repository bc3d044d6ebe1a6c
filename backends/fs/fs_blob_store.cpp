// On-disk layout under the store's root:
//
//   objects/ab/cdef...  the content of blob abcdef... (its first two hex digits name the
//                       directory, made on first use, the other 62 the file); written once,
//                       never modified
//   refs/ab/cdef...     its reference count as decimal text, replaced whole (temp + rename)
//   tmp/                uploads and refs updates in progress; emptied at start-up
//   lock                flock()ed while a store has the directory open, so that a second
//                       store (in this process or another) cannot race this one's counts
//
// The object file is the truth of existence: a refs file without its object is stale and
// ignored (the next put of that content overwrites it), and an object without a refs file
// counts one reference. So that a crash at any point leaves the store consistent, a put of new
// content writes its refs file (1) before it renames the object into place, and the last
// release unlinks the object before its refs file. Each rename is atomic; with `fsync` on, the
// file is synced before and its directory after, so an acknowledged put or count survives a
// power loss.
#include "fs_blob_store.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Logger.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata::fs {

namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

std::string errnoText(int err) { return std::strerror(err); }

int hexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// The id's first byte, which names its prefix directories and its stripe lock.
std::size_t stripeOf(const std::string& id) {
  return static_cast<std::size_t>(hexValue(id[0]) * 16 + hexValue(id[1]));
}

// A file in tmp/ that is removed unless committed (renamed away).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes explicitly, because close() can report a deferred write error.
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

class FsBlobReader final : public BlobReader {
 public:
  FsBlobReader(int fd, uint64_t size, std::string id) : fd_(fd), size_(size), id_(std::move(id)) {}
  ~FsBlobReader() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  std::size_t read(uint64_t offset, char* buffer, std::size_t n) override {
    if (offset >= size_) return 0;
    n = static_cast<std::size_t>(std::min<uint64_t>(n, size_ - offset));
    std::size_t done = 0;
    // Fill the whole request: callers hand large blocks to the socket.
    while (done < n) {
      const ssize_t r = ::pread(fd_, buffer + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw InternalError("reading blob " + id_ + " failed: " + errnoText(errno));
      }
      if (r == 0) break;  // objects never shrink; only a damaged store ends early
      done += static_cast<std::size_t>(r);
    }
    return done;
  }

 private:
  int fd_;
  uint64_t size_;
  std::string id_;
};

void requireId(const std::string& id) {
  if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
}

[[noreturn]] void throwNotFound(const std::string& id) { throw NotFound("no blob " + id); }

}  // namespace

FsBlobStore::FsBlobStore(const std::string& root, bool fsync, const std::string& configKey,
                         Poco::Logger& logger)
    : root_(root), fsync_(fsync), logger_(logger) {
  const auto startupError = [&](const std::string& what) {
    return StartupError("blob store directory '" + root_ + "' (" + configKey + "): " + what);
  };
  std::error_code ec;
  for (const char* sub : {"objects", "refs", "tmp"}) {
    stdfs::create_directories(stdfs::path(root_) / sub, ec);
    if (ec) throw startupError("cannot create " + std::string(sub) + "/: " + ec.message());
  }

  const std::string lockPath = root_ + "/lock";
  lockFd_ = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd_ < 0) throw startupError("cannot open the lock file: " + errnoText(errno));
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lockFd_);
    lockFd_ = -1;
    if (err == EWOULDBLOCK) throw startupError("in use by another blob store (in this process or another)");
    throw startupError("cannot lock: " + errnoText(err));
  }

  try {
    // Leftovers of uploads a crash interrupted: nothing refers to them.
    std::size_t removed = 0;
    for (const auto& entry : stdfs::directory_iterator(stdfs::path(root_) / "tmp")) {
      stdfs::remove_all(entry.path());
      ++removed;
    }
    if (removed)
      logger_.information("blob store %s: removed %z unfinished upload(s) from tmp/", root_, removed);

    // Fail now, not at the first upload, if the directory is read-only.
    TempFile probe(root_ + "/tmp/" + newUuid() + ".probe");
    if (probe.fd() < 0) throw startupError("cannot write: " + errnoText(errno));
  } catch (const stdfs::filesystem_error& e) {
    ::close(lockFd_);
    throw startupError(e.code().message() + " (" + e.path1().string() + ")");
  } catch (...) {
    ::close(lockFd_);
    throw;
  }
}

FsBlobStore::~FsBlobStore() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

std::string FsBlobStore::objectPath(const std::string& id) const {
  return root_ + "/objects/" + id.substr(0, 2) + "/" + id.substr(2);
}

std::string FsBlobStore::refsPath(const std::string& id) const {
  return root_ + "/refs/" + id.substr(0, 2) + "/" + id.substr(2);
}

std::mutex& FsBlobStore::lockFor(const std::string& id) { return locks_[stripeOf(id)]; }

void FsBlobStore::ioError(const std::string& what, const std::string& path, int err) const {
  logger_.error("blob store %s: %s %s: %s", root_, what, path, errnoText(err));
  if (err == ENOSPC || err == EDQUOT)
    throw InsufficientStorage("the blob store is out of space (" + what + ")");
  throw InternalError("the blob store failed to " + what + ": " + errnoText(err));
}

int64_t FsBlobStore::objectSize(const std::string& id) const {
  const std::string path = objectPath(id);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return st.st_size;
  if (errno == ENOENT) return -1;
  ioError("stat", path, errno);
}

uint64_t FsBlobStore::readRefs(const std::string& id) const {
  const std::string path = refsPath(id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 1;  // see the layout note at the top
    ioError("open", path, errno);
  }
  char text[32];
  ssize_t n;
  do {
    n = ::pread(fd, text, sizeof text - 1, 0);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n < 0) ioError("read", path, err);
  text[n] = '\0';
  char* end = nullptr;
  errno = 0;
  const unsigned long long refs = std::strtoull(text, &end, 10);
  if (end == text || errno != 0 || refs == 0) {
    // Never lose content over a damaged count: keep one reference.
    logger_.warning("blob store %s: unreadable reference count in %s, assuming 1", root_, path);
    return 1;
  }
  return refs;
}

void FsBlobStore::makePrefixDirs(const std::string& id) {
  const std::size_t stripe = stripeOf(id);
  if (prefixDirsReady_[stripe]) return;
  for (const char* top : {"/objects", "/refs"}) {
    const std::string dir = root_ + top + "/" + id.substr(0, 2);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      if (fsync_) syncDir(root_ + top);
    } else if (errno != EEXIST) {
      ioError("create", dir, errno);
    }
  }
  prefixDirsReady_[stripe] = true;
}

void FsBlobStore::writeRefs(const std::string& id, uint64_t refs) {
  TempFile tmp(root_ + "/tmp/" + newUuid() + ".refs");
  if (tmp.fd() < 0) ioError("create", tmp.path(), errno);
  const std::string text = std::to_string(refs) + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(tmp.fd(), text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      ioError("write", tmp.path(), errno);
    }
    done += static_cast<std::size_t>(w);
  }
  if (fsync_ && ::fsync(tmp.fd()) != 0) ioError("sync", tmp.path(), errno);
  if (tmp.close() != 0) ioError("close", tmp.path(), errno);
  const std::string path = refsPath(id);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) ioError("rename", path, errno);
  tmp.commit();
  if (fsync_) syncDir(root_ + "/refs/" + id.substr(0, 2));
}

void FsBlobStore::syncDir(const std::string& dir) const {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ioError("open", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) ioError("sync", dir, err);
}

BlobInfo FsBlobStore::put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) {
  if (expectedSize >= 0 && static_cast<uint64_t>(expectedSize) > maxBytes)
    throw PayloadTooLarge("the content is " + std::to_string(expectedSize) +
                          " bytes, more than the limit of " + std::to_string(maxBytes));
  // Anything thrown from here on unwinds through `tmp`, which removes the partial file.
  TempFile tmp(root_ + "/tmp/" + newUuid());
  if (tmp.fd() < 0) ioError("create", tmp.path(), errno);
  const auto [id, size] = ingestBlob(in, expectedSize, maxBytes, [&](const char* data, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(tmp.fd(), data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        ioError("write", tmp.path(), errno);
      }
      data += w;
      n -= static_cast<std::size_t>(w);
    }
  });
  if (fsync_ && ::fsync(tmp.fd()) != 0) ioError("sync", tmp.path(), errno);
  if (tmp.close() != 0) ioError("close", tmp.path(), errno);

  std::lock_guard lock(lockFor(id));
  makePrefixDirs(id);
  if (objectSize(id) >= 0) {
    // Same digest, same content: keep the stored copy; `tmp` goes on return.
    const uint64_t refs = readRefs(id) + 1;
    writeRefs(id, refs);
    return BlobInfo{id, size, refs};
  }
  writeRefs(id, 1);
  const std::string path = objectPath(id);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) ioError("rename", path, errno);
  tmp.commit();
  if (fsync_) syncDir(root_ + "/objects/" + id.substr(0, 2));
  return BlobInfo{id, size, 1};
}

std::optional<BlobInfo> FsBlobStore::stat(const std::string& id) {
  requireId(id);
  std::lock_guard lock(lockFor(id));
  const int64_t size = objectSize(id);
  if (size < 0) return std::nullopt;
  return BlobInfo{id, static_cast<uint64_t>(size), readRefs(id)};
}

std::unique_ptr<BlobReader> FsBlobStore::open(const std::string& id) {
  requireId(id);
  // No stripe lock: objects never change once renamed into place, and an open descriptor
  // keeps the content readable after the last release unlinks it.
  const std::string path = objectPath(id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throwNotFound(id);
    ioError("open", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    ioError("stat", path, err);
  }
  return std::make_unique<FsBlobReader>(fd, static_cast<uint64_t>(st.st_size), id);
}

BlobInfo FsBlobStore::addRef(const std::string& id) {
  requireId(id);
  std::lock_guard lock(lockFor(id));
  const int64_t size = objectSize(id);
  if (size < 0) throwNotFound(id);
  const uint64_t refs = readRefs(id) + 1;
  writeRefs(id, refs);
  return BlobInfo{id, static_cast<uint64_t>(size), refs};
}

uint64_t FsBlobStore::release(const std::string& id) {
  requireId(id);
  std::lock_guard lock(lockFor(id));
  if (objectSize(id) < 0) throwNotFound(id);
  const uint64_t refs = readRefs(id);
  if (refs > 1) {
    writeRefs(id, refs - 1);
    return refs - 1;
  }
  const std::string path = objectPath(id);
  if (::unlink(path.c_str()) != 0) ioError("remove", path, errno);
  if (fsync_) syncDir(root_ + "/objects/" + id.substr(0, 2));
  // A leftover refs file would be harmless (stale), so its removal failing is not an error.
  ::unlink(refsPath(id).c_str());
  return 0;
}

std::vector<BlobInfo> FsBlobStore::list() {
  std::vector<BlobInfo> out;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    const std::string prefix{hex[i >> 4], hex[i & 15]};
    std::vector<std::string> ids;
    std::error_code ec;
    for (stdfs::directory_iterator it(stdfs::path(root_) / "objects" / prefix, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::string id = prefix + it->path().filename().string();
      if (isBlobId(id)) ids.push_back(std::move(id));
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
      ioError("list", root_ + "/objects/" + prefix, ec.value());
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
      // Released while we walked: skip it rather than report a blob that is gone.
      if (auto info = stat(id)) out.push_back(std::move(*info));
    }
  }
  return out;
}

}  // namespace strata::fs
