#include "journal_driver.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata::hdf5 {
namespace {

constexpr haddr_t kMaxAddr = (static_cast<haddr_t>(1) << 62) - 1;
constexpr char kMagic[4] = {'S', 'J', '0', '1'};
constexpr char kDone[4] = {'S', 'J', 'O', 'K'};
// Metadata kept past this many bytes is written even without a flush (only without
// stores.arrays.<i>.flush, where each change is not flushed).
constexpr std::size_t kMaxPending = 64u << 20;

struct JournalFile {
  H5FD_t pub;  // first: HDF5 sees only this
  int fd = -1;
  int journal = -1;
  std::string journalPath;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  dev_t device = 0;
  ino_t inode = 0;
  bool truncateTo = false;                 // a truncate to eoa waits for the next commit
  std::map<haddr_t, std::string> pending;  // non-overlapping extents, the newest bytes
  std::size_t pendingBytes = 0;
};

JournalFile* cast(H5FD_t* f) { return reinterpret_cast<JournalFile*>(f); }
const JournalFile* cast(const H5FD_t* f) { return reinterpret_cast<const JournalFile*>(f); }

bool writeAll(int fd, const char* p, std::size_t n, off_t at) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
    at += w;
  }
  return true;
}

bool readAll(int fd, char* p, std::size_t n, off_t at) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, at);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) {  // past the end of the file: zeros
      std::memset(p, 0, n);
      return true;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
    at += r;
  }
  return true;
}

void put64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
uint64_t get64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Removes [a, b) from the pending extents (keeping the parts outside it).
void carve(JournalFile& f, haddr_t a, haddr_t b) {
  auto it = f.pending.lower_bound(a);
  if (it != f.pending.begin()) --it;
  while (it != f.pending.end() && it->first < b) {
    const haddr_t start = it->first, end = start + it->second.size();
    if (end <= a) {
      ++it;
      continue;
    }
    std::string bytes = std::move(it->second);
    it = f.pending.erase(it);
    f.pendingBytes -= bytes.size();
    if (start < a) {
      f.pending.emplace(start, bytes.substr(0, a - start));
      f.pendingBytes += a - start;
    }
    if (end > b) {
      it = f.pending.emplace(b, bytes.substr(b - start)).first;
      f.pendingBytes += end - b;
      ++it;
    }
  }
}

// Journal: magic, records (address, length, bytes), count, total, done marker. Applied only
// when complete.
bool replay(int fd, int journal) {
  struct stat st;
  if (::fstat(journal, &st) != 0) return false;
  if (st.st_size == 0) return true;
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  const bool complete = readAll(journal, text.data(), text.size(), 0) && text.size() >= 4 + 20 &&
                        std::memcmp(text.data(), kMagic, 4) == 0 &&
                        std::memcmp(text.data() + text.size() - 4, kDone, 4) == 0 &&
                        get64(text.data() + text.size() - 12) == text.size();
  if (complete) {
    const uint64_t count = get64(text.data() + text.size() - 20);
    std::size_t at = 4;
    for (uint64_t i = 0; i < count; ++i) {
      if (at + 16 > text.size() - 20) return false;
      const uint64_t addr = get64(text.data() + at), len = get64(text.data() + at + 8);
      at += 16;
      if (at + len > text.size() - 20) return false;
      if (!writeAll(fd, text.data() + at, len, static_cast<off_t>(addr))) return false;
      at += len;
    }
  }
  return ::ftruncate(journal, 0) == 0;
}

// Writes the pending metadata: to the journal, then to the file; then empties the journal.
bool commit(JournalFile& f) {
  if (f.pending.empty() && !f.truncateTo) return true;
  if (!f.pending.empty()) {
    std::string text(kMagic, 4);
    text.reserve(f.pendingBytes + f.pending.size() * 16 + 24);
    for (const auto& [addr, bytes] : f.pending) {
      put64(text, addr);
      put64(text, bytes.size());
      text += bytes;
    }
    put64(text, f.pending.size());
    put64(text, text.size() + 12);
    text.append(kDone, 4);
    if (::ftruncate(f.journal, 0) != 0 || !writeAll(f.journal, text.data(), text.size(), 0)) return false;
    // Then the file, in the order that leaves it readable by any HDF5 (h5py, before the
    // journal is replayed) at most points of a kill: first what lies in new space (past the
    // file's end; nothing old refers to it), then the superblock at 0 with the new end of the
    // allocated space (the file extended to it first, or HDF5 takes it for truncated), then
    // the changes in place.
    struct stat st;
    if (::fstat(f.fd, &st) != 0) return false;
    const haddr_t oldEnd = static_cast<haddr_t>(st.st_size);
    for (const auto& [addr, bytes] : f.pending)
      if (addr >= oldEnd && !writeAll(f.fd, bytes.data(), bytes.size(), static_cast<off_t>(addr)))
        return false;
    if (static_cast<haddr_t>(st.st_size) < f.eoa && ::ftruncate(f.fd, static_cast<off_t>(f.eoa)) != 0)
      return false;
    auto first = f.pending.find(0);
    if (first != f.pending.end() && !writeAll(f.fd, first->second.data(), first->second.size(), 0))
      return false;
    for (const auto& [addr, bytes] : f.pending)
      if (addr > 0 && addr < oldEnd && !writeAll(f.fd, bytes.data(), bytes.size(), static_cast<off_t>(addr)))
        return false;
  }
  if (f.truncateTo && ::ftruncate(f.fd, static_cast<off_t>(f.eoa)) != 0) return false;
  f.truncateTo = false;
  f.pending.clear();
  f.pendingBytes = 0;
  return ::ftruncate(f.journal, 0) == 0;
}

std::string journalPathOf(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "/." + base + ".journal";
}

H5FD_t* open(const char* name, unsigned flags, hid_t, haddr_t maxaddr) {
  if (!name || !*name || maxaddr == 0 || maxaddr > kMaxAddr) return nullptr;
  int o = (flags & H5F_ACC_RDWR) ? O_RDWR : O_RDONLY;
  if (flags & H5F_ACC_TRUNC) o |= O_TRUNC;
  if (flags & H5F_ACC_CREAT) o |= O_CREAT;
  if (flags & H5F_ACC_EXCL) o |= O_EXCL;
  const int fd = ::open(name, o | O_CLOEXEC, 0666);
  if (fd < 0) return nullptr;
  auto* f = new JournalFile;
  std::memset(&f->pub, 0, sizeof f->pub);
  f->fd = fd;
  f->journalPath = journalPathOf(name);
  if (flags & H5F_ACC_RDWR) {
    f->journal = ::open(f->journalPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f->journal < 0 || !replay(fd, f->journal)) {
      if (f->journal >= 0) ::close(f->journal);
      ::close(fd);
      delete f;
      return nullptr;
    }
  } else {
    // Read-only: a complete journal of a crash is applied by the next writer; until then the
    // file reads as before that flush.
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    if (f->journal >= 0) ::close(f->journal);
    ::close(fd);
    delete f;
    return nullptr;
  }
  f->eof = static_cast<haddr_t>(st.st_size);
  f->device = st.st_dev;
  f->inode = st.st_ino;
  return &f->pub;
}

herr_t close(H5FD_t* file) {
  JournalFile* f = cast(file);
  herr_t rc = 0;
  if (f->journal >= 0) {
    if (!commit(*f)) rc = -1;
    ::close(f->journal);
    if (rc == 0) ::unlink(f->journalPath.c_str());
  }
  if (::close(f->fd) != 0) rc = -1;
  delete f;
  return rc;
}

int cmp(const H5FD_t* a, const H5FD_t* b) {
  const JournalFile *x = cast(a), *y = cast(b);
  if (x->device != y->device) return x->device < y->device ? -1 : 1;
  if (x->inode != y->inode) return x->inode < y->inode ? -1 : 1;
  return 0;
}

herr_t query(const H5FD_t*, unsigned long* flags) {
  if (flags)
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA | H5FD_FEAT_POSIX_COMPAT_HANDLE | H5FD_FEAT_DEFAULT_VFD_COMPATIBLE;
  return 0;
}

haddr_t getEoa(const H5FD_t* file, H5FD_mem_t) { return cast(file)->eoa; }
herr_t setEoa(H5FD_t* file, H5FD_mem_t, haddr_t addr) {
  cast(file)->eoa = addr;
  return 0;
}
haddr_t getEof(const H5FD_t* file, H5FD_mem_t) { return cast(file)->eof; }

herr_t getHandle(H5FD_t* file, hid_t, void** handle) {
  if (!handle) return -1;
  *handle = &cast(file)->fd;
  return 0;
}

herr_t read(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buf) {
  JournalFile* f = cast(file);
  if (addr == HADDR_UNDEF || addr + size > f->eoa) return -1;
  char* out = static_cast<char*>(buf);
  if (!readAll(f->fd, out, size, static_cast<off_t>(addr))) return -1;
  const haddr_t end = addr + size;
  auto it = f->pending.lower_bound(addr);
  if (it != f->pending.begin()) --it;
  for (; it != f->pending.end() && it->first < end; ++it) {
    const haddr_t s = std::max(addr, it->first), e = std::min(end, it->first + it->second.size());
    if (s < e) std::memcpy(out + (s - addr), it->second.data() + (s - it->first), e - s);
  }
  return 0;
}

herr_t write(H5FD_t* file, H5FD_mem_t type, hid_t, haddr_t addr, size_t size, const void* buf) {
  JournalFile* f = cast(file);
  if (addr == HADDR_UNDEF || addr + size > f->eoa) return -1;
  const char* in = static_cast<const char*>(buf);
  const haddr_t end = addr + size;
  if (type == H5FD_MEM_DRAW || f->journal < 0) {
    if (!writeAll(f->fd, in, size, static_cast<off_t>(addr))) return -1;
    // Pending metadata that this space held before is older than these bytes.
    carve(*f, addr, end);
  } else {
    carve(*f, addr, end);
    f->pending.emplace(addr, std::string(in, size));
    f->pendingBytes += size;
    if (f->pendingBytes > kMaxPending && !commit(*f)) return -1;
  }
  f->eof = std::max(f->eof, end);
  return 0;
}

herr_t flush(H5FD_t* file, hid_t, hbool_t) { return commit(*cast(file)) ? 0 : -1; }

herr_t truncate(H5FD_t* file, hid_t, hbool_t) {
  JournalFile* f = cast(file);
  if (f->eoa == f->eof) return 0;
  if (f->journal < 0) {
    if (::ftruncate(f->fd, static_cast<off_t>(f->eoa)) != 0) return -1;
  } else {
    // Applied with the flush that follows, after the metadata: a truncation before it could
    // cut off space the pending metadata describes.
    f->truncateTo = true;
    carve(*f, f->eoa, kMaxAddr + 1);
  }
  f->eof = f->eoa;
  return 0;
}

herr_t lock(H5FD_t* file, hbool_t rw) {
  if (::flock(cast(file)->fd, (rw ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno == ENOSYS) return 0;  // no locks on this file system: as HDF5 with locking off
    return -1;
  }
  return 0;
}

herr_t unlock(H5FD_t* file) {
  if (::flock(cast(file)->fd, LOCK_UN) != 0 && errno != ENOSYS) return -1;
  return 0;
}

H5FD_class_t makeClass() {
  H5FD_class_t c;
  std::memset(&c, 0, sizeof c);
  c.name = "strata_journal";
  c.maxaddr = kMaxAddr;
  c.fc_degree = H5F_CLOSE_WEAK;
  c.open = open;
  c.close = close;
  c.cmp = cmp;
  c.query = query;
  c.get_eoa = getEoa;
  c.set_eoa = setEoa;
  c.get_eof = getEof;
  c.get_handle = getHandle;
  c.read = read;
  c.write = write;
  c.flush = flush;
  c.truncate = truncate;
  c.lock = lock;
  c.unlock = unlock;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(map), std::end(map), std::begin(c.fl_map));
  return c;
}

}  // namespace

hid_t journalDriver() {
  static const H5FD_class_t cls = makeClass();
  static std::once_flag once;
  static hid_t id = H5I_INVALID_HID;
  std::call_once(once, [] { id = H5FDregister(&cls); });
  return id;
}

}  // namespace strata::hdf5
