#pragma once
// One RocksDB database per directory, shared by every store configured on it.
//
// RocksDB lets a process open a database once, with all of its column families at the same
// time (facebook/rocksdb#8359, #1055), so stores never open databases themselves: they ask
// RocksDb::open() with their config section, and a process-wide registry keyed by the
// directory's canonical path hands out one shared RocksDb per directory. The database closes
// when the last holder (a store, or a blob reader that outlives its store) lets go.
//
// Every column family any store of this backend uses is listed in kColumnFamilies and opened
// together; a role's store picks its own with family(). The arrays role joins by adding its
// store file and using kArraysMeta / kArraysChunks, which are already opened.
//
// Thread-safety: ::rocksdb::DB is thread-safe; RocksDb adds no state after open() except the
// role claims and the recovery from a full disk, which have their own locks.
//
// A full disk: a write that fails with ENOSPC throws InsufficientStorage (507), and RocksDB
// then refuses every write until DB::Resume(). RocksDB's own automatic recovery waits until
// a whole write buffer (64 MiB) is free and polls every 5 seconds; it is turned off, and the
// next write resumes the database as soon as its memtables fit on the disk again (run()).
// RocksDB's info LOG goes through a logger of this backend that drops lines the disk has no
// room for (Debian's librocksdb asserts when its own file logger writes after a failed write).
#include <strata/backend_plugin.h>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rocksdb_keys.h"

namespace Poco {
class Logger;
}

namespace strata::rocksdb {

// Column family names: one per role (and per index a role keeps).
inline constexpr const char* kEntities = "entities";
inline constexpr const char* kEntitySequences = "entity_sequences";
inline constexpr const char* kEntityIndex = "entity_index";
inline constexpr const char* kAnnotations = "annotations";
inline constexpr const char* kAnnotationsIndex = "annotations_index";
inline constexpr const char* kBlobs = "blobs";
inline constexpr const char* kBlobRefs = "blob_refs";
inline constexpr const char* kArraysMeta = "arrays_meta";
inline constexpr const char* kArraysChunks = "arrays_chunks";

// What a database is opened with. Shared by every store on the directory: the first store to
// open it decides, later ones that ask for something else get a warning (see docs/storage.md).
struct DbSettings {
  std::string compression;  // none | snappy | lz4 | zstd
  uint64_t cacheBytes = 0;  // one LRU block cache shared by every column family
  bool operator==(const DbSettings& o) const {
    return compression == o.compression && cacheBytes == o.cacheBytes;
  }
};

// What one store needs to work on a shared database.
struct StoreOptions {
  std::string configPrefix;  // "stores.blobs.default", for messages
  std::string path;          // as configured
  bool sync = false;         // WriteOptions.sync on the writes that acknowledge a request
  DbSettings db;
};

// Reads stores.<role>.<instance>.{path,sync,compression,cacheSize}; throws StartupError
// naming the key on a missing path or a bad value.
StoreOptions readStoreOptions(const StoreConfig& config);

class RocksDb {
 public:
  // The shared database of `options.path`, opened on first use. Throws StartupError with a
  // message naming the directory and the configuration key when the directory cannot be
  // created or written, is locked by another process, or does not open.
  static std::shared_ptr<RocksDb> open(const StoreOptions& options, Poco::Logger& logger);

  ~RocksDb();
  RocksDb(const RocksDb&) = delete;
  RocksDb& operator=(const RocksDb&) = delete;

  ::rocksdb::DB& db() { return *db_; }
  // One of the k* names above.
  ::rocksdb::ColumnFamilyHandle* family(const std::string& name) const;
  const std::string& path() const { return path_; }
  Poco::Logger& logger() const { return logger_; }

  // One store per role per directory: two entity stores on one database would race each
  // other's conditional updates (each store serialises only its own writers) and would be the
  // same data under two names. Throws StartupError naming both stores. The claim is dropped
  // by RoleClaim's destructor.
  class RoleClaim;
  std::unique_ptr<RoleClaim> claimRole(const std::string& role, const std::string& configPrefix);

  // Translates a failed status into the strata error hierarchy (see rocksdb_db.cpp for the
  // mapping); `what` says what was being done ("reading entity x").
  [[noreturn]] void fail(const ::rocksdb::Status& status, const std::string& what) const;
  void check(const ::rocksdb::Status& status, const std::string& what) const {
    if (!status.ok()) fail(status, what);
  }
  // Writes a batch, translating failures. Every write of the stores goes through write(),
  // put() or remove(), so that a database stopped by a full disk resumes (resumeAfterNoSpace).
  void write(const ::rocksdb::WriteOptions& options, ::rocksdb::WriteBatch& batch, const std::string& what);
  void put(const ::rocksdb::WriteOptions& options, ::rocksdb::ColumnFamilyHandle* family,
           const ::rocksdb::Slice& key, const ::rocksdb::Slice& value, const std::string& what);
  void remove(const ::rocksdb::WriteOptions& options, ::rocksdb::ColumnFamilyHandle* family,
              const ::rocksdb::Slice& key, const std::string& what);

 private:
  RocksDb(std::string path, Poco::Logger& logger);
  friend class DbRegistry;

  // Runs one write; if it fails for want of space, tries resumeAfterNoSpace() and, if the
  // database resumed, runs it once more. A write that failed is not in the memtables, and
  // Resume() moves past its WAL file, so the second run applies it once.
  void run(const std::function<::rocksdb::Status()>& write, const std::string& what);
  // A write that fails for want of space stops the database (RocksDB's background error):
  // every later write fails the same way, also once there is room again. This calls
  // DB::Resume(), which flushes the memtables and starts a new write-ahead log, if the disk
  // has room for the memtables now. Returns true if the database takes writes again.
  bool resumeAfterNoSpace();

  std::string path_;  // canonical
  Poco::Logger& logger_;
  std::unique_ptr<::rocksdb::DB> db_;
  std::vector<::rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, ::rocksdb::ColumnFamilyHandle*> families_;
  std::mutex resumeMutex_;
  // A write failed with an I/O error (a full disk) and the database has not resumed since:
  // its WAL writer may have failed, and must not be synced at close.
  std::atomic<bool> writeFailed_{false};
  std::mutex claimsMutex_;
  std::map<std::string, std::string> claims_;  // role -> config prefix of its store
};

class RocksDb::RoleClaim {
 public:
  RoleClaim(RocksDb& db, std::string role) : db_(db), role_(std::move(role)) {}
  ~RoleClaim();
  RoleClaim(const RoleClaim&) = delete;
  RoleClaim& operator=(const RoleClaim&) = delete;

 private:
  RocksDb& db_;
  std::string role_;
};

// A consistent view for one lookup: a snapshot and read options that read from it. Every
// multi-key read of a store opens one, so that it never sees half of a concurrent batch.
class SnapshotRead {
 public:
  explicit SnapshotRead(RocksDb& db) : snapshot_(&db.db()) { options_.snapshot = snapshot_.snapshot(); }
  const ::rocksdb::ReadOptions& options() const { return options_; }

 private:
  ::rocksdb::ManagedSnapshot snapshot_;
  ::rocksdb::ReadOptions options_;
};

// Keys in [prefix, prefixEnd(prefix)) of `cf`, each handed to fn(key suffix, value) until it
// returns false, starting after `after` (a suffix) when that is not empty.
template <typename Fn>
inline void scan(RocksDb& db, ::rocksdb::ColumnFamilyHandle* cf, const ::rocksdb::ReadOptions& base,
                 const std::string& prefix, const std::string& after, const std::string& what, Fn fn) {
  const std::string end = prefixEnd(prefix);
  const ::rocksdb::Slice upper(end);
  ::rocksdb::ReadOptions ro = base;
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<::rocksdb::Iterator> it(db.db().NewIterator(ro, cf));
  it->Seek(prefix + after);
  for (; it->Valid(); it->Next()) {
    const ::rocksdb::Slice key = it->key();
    if (!key.starts_with(prefix)) break;
    const std::string suffix(key.data() + prefix.size(), key.size() - prefix.size());
    if (!after.empty() && suffix == after) continue;
    if (!fn(suffix, it->value())) break;
  }
  db.check(it->status(), what);
}

}  // namespace strata::rocksdb
