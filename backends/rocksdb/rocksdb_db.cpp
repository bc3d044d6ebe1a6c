#include "rocksdb_db.h"

#include <strata/errors.h>

#include <Poco/Logger.h>
#include <Poco/String.h>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fcntl.h>
#include <pthread.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace strata::rocksdb {

namespace fs = std::filesystem;

namespace {

// Every column family this backend knows, opened (and created if missing) together with any
// others the database already holds. "default" is RocksDB's own and always present.
const std::vector<std::string>& knownFamilies() {
  static const std::vector<std::string> names{::rocksdb::kDefaultColumnFamilyName,
                                              kEntities,
                                              kEntitySequences,
                                              kEntityIndex,
                                              kAnnotations,
                                              kAnnotationsIndex,
                                              kBlobs,
                                              kBlobRefs,
                                              kArraysMeta,
                                              kArraysChunks};
  return names;
}

constexpr uint64_t kDefaultCacheBytes = 64ull << 20;
constexpr uint64_t kMaxTotalWalBytes = 256ull << 20;
// RocksDB splits the block cache into up to 64 shards of at least 512 KiB, and a block larger
// than its shard is dropped as soon as it is released: dataset chunks of a few MiB (one block
// each) would never stay cached. Shards of at least 16 MiB keep chunks up to that size.
constexpr uint64_t kMinCacheShardBytes = 16ull << 20;

int cacheShardBits(uint64_t cacheBytes) {
  int bits = 0;
  while (bits < 6 && (cacheBytes >> (bits + 1)) >= kMinCacheShardBytes) ++bits;
  return bits;
}
// Blob chunks are 1 MiB; values this large go to blob files instead of the LSM tree, so that
// compactions do not rewrite them over and over. Smaller values (the tail chunk of a blob)
// stay in the tree, where they are cheap.
constexpr uint64_t kMinBlobFileValue = 64 << 10;

struct CompressionName {
  const char* name;
  ::rocksdb::CompressionType type;
};
constexpr CompressionName kCompressions[] = {{"none", ::rocksdb::kNoCompression},
                                             {"snappy", ::rocksdb::kSnappyCompression},
                                             {"lz4", ::rocksdb::kLZ4Compression},
                                             {"zstd", ::rocksdb::kZSTD}};

bool supported(::rocksdb::CompressionType type) {
  if (type == ::rocksdb::kNoCompression) return true;
  const auto all = ::rocksdb::GetSupportedCompressions();
  return std::find(all.begin(), all.end(), type) != all.end();
}

::rocksdb::CompressionType compressionType(const std::string& name) {
  for (const auto& c : kCompressions)
    if (name == c.name) return c.type;
  return ::rocksdb::kNoCompression;
}

std::string supportedNames() {
  std::string out;
  for (const auto& c : kCompressions) {
    if (!supported(c.type)) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

::rocksdb::ColumnFamilyOptions familyOptions(const std::string& name, const DbSettings& settings,
                                             const std::shared_ptr<::rocksdb::Cache>& cache) {
  ::rocksdb::ColumnFamilyOptions cf;
  cf.compression = compressionType(settings.compression);
  ::rocksdb::BlockBasedTableOptions table;
  // One cache for the whole database, so that cacheSize bounds it (RocksDB's default gives
  // each column family a cache of its own).
  table.block_cache = cache;
  // Most reads are point lookups of one entity, annotation or blob record.
  table.filter_policy.reset(::rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(::rocksdb::NewBlockBasedTableFactory(table));
  if (name == kBlobs) {
    cf.enable_blob_files = true;
    cf.min_blob_size = kMinBlobFileValue;
    cf.blob_compression_type = cf.compression;
    // Released blobs leave garbage in blob files; compaction relocates what is still live.
    cf.enable_blob_garbage_collection = true;
  }
  return cf;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// ENOSPC reaches callers as IOError/NoSpace, or, when writes stall behind the background
// error, as Incomplete carrying its text. EDQUOT is an IOError of its own.
bool outOfSpace(const ::rocksdb::Status& status) {
  if (status.ok()) return false;
  if (status.IsNoSpace()) return true;
  const std::string detail = status.ToString();
  return contains(detail, "No space") || contains(detail, "Disk quota exceeded");
}

// What resuming needs beyond the memtables it flushes: a new WAL, MANIFEST and OPTIONS file.
constexpr uint64_t kResumeHeadroom = 1 << 20;

// RocksDB's info LOG, written by this backend. RocksDB's own file logger cannot be used on a
// disk that may fill up: after one failed write, its next line trips an assertion in
// WritableFileWriter, and Debian 12's librocksdb7.8 is built with assertions on, so the
// process aborts. This one writes each line with one write(2) and drops the lines the disk
// has no room for. It keeps RocksDB's file names: the previous LOG becomes LOG.old.<micros>,
// and RocksDB deletes old ones beyond keep_log_file_num. Warnings and errors also go to the
// server's log.
class InfoLog : public ::rocksdb::Logger {
 public:
  InfoLog(const std::string& dir, Poco::Logger& logger)
      : ::rocksdb::Logger(::rocksdb::InfoLogLevel::INFO_LEVEL), dir_(dir), logger_(logger) {
    const std::string file = dir + "/LOG";
    std::error_code ec;
    if (fs::exists(file, ec)) {
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      fs::rename(file, dir + "/LOG.old." + std::to_string(micros), ec);
    }
    fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using ::rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(::rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const ::rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[4096];
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
    std::tm tm{};
    ::localtime_r(&seconds, &tm);
    // RocksDB's own format: INFO and HEADER lines carry no level.
    static const char* const kLevels[] = {"[DEBUG] ", "", "[WARN] ", "[ERROR] ", "[FATAL] ", ""};
    const int levelIndex = std::clamp(static_cast<int>(level), 0, 5);
    int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06lld %lx %s", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          static_cast<long long>(micros), static_cast<unsigned long>(::pthread_self()),
                          kLevels[levelIndex]);
    const int header = n;
    va_list copy;
    va_copy(copy, ap);
    n += std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n), format, copy);
    va_end(copy);
    n = std::min<int>(n, static_cast<int>(sizeof line) - 2);
    if (n > header && line[n - 1] == '\n') --n;
    line[n++] = '\n';
    if (fd_ >= 0) {
      // A full disk loses the line; nothing else is affected.
      [[maybe_unused]] const ssize_t written = ::write(fd_, line, static_cast<std::size_t>(n));
    }
    if (level >= ::rocksdb::InfoLogLevel::WARN_LEVEL && level != ::rocksdb::InfoLogLevel::HEADER_LEVEL) {
      const std::string message(line + header, static_cast<std::size_t>(n - header - 1));
      if (level == ::rocksdb::InfoLogLevel::WARN_LEVEL)
        logger_.warning("RocksDB %s: %s", dir_, message);
      else
        logger_.error("RocksDB %s: %s", dir_, message);
    }
  }

 private:
  std::string dir_;
  Poco::Logger& logger_;
  int fd_ = -1;
};

// Turns RocksDB's automatic recovery from a full disk off: it would wait for a whole write
// buffer of free space (64 MiB) and poll for it every 5 seconds, and while it waits DB::Resume()
// answers Busy. RocksDb::resumeAfterNoSpace() resumes at the next write instead.
class NoSpaceRecovery : public ::rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(::rocksdb::BackgroundErrorReason, ::rocksdb::Status error,
                            bool* autoRecovery) override {
    if (outOfSpace(error)) *autoRecovery = false;
  }
};

}  // namespace

StoreOptions readStoreOptions(const StoreConfig& config) {
  StoreOptions o;
  o.configPrefix = config.section.prefix();
  o.path = config.section.getString("path");
  if (o.path.empty()) throw StartupError("configuration key " + o.configPrefix + ".path must not be empty");
  o.sync = config.section.getBool("sync", false);
  const std::string fallback = supported(::rocksdb::kLZ4Compression) ? "lz4" : "none";
  o.db.compression = Poco::toLower(Poco::trim(config.section.getString("compression", fallback)));
  bool known = false;
  for (const auto& c : kCompressions) known = known || o.db.compression == c.name;
  if (!known || !supported(compressionType(o.db.compression)))
    throw StartupError("configuration key " + o.configPrefix + ".compression must be one of " +
                       supportedNames() + " (what this RocksDB build supports), not '" + o.db.compression +
                       "'");
  o.db.cacheBytes = config.section.getSize("cacheSize", kDefaultCacheBytes);
  return o;
}

// ---- The registry ----

// Process-wide: canonical path -> the open database. Entries hold weak pointers; the deleter
// of the last shared pointer closes the database and removes the entry under the registry's
// lock, so an open() of the same path waits for a close in progress instead of tripping over
// RocksDB's own "lock hold by current process".
class DbRegistry {
 public:
  static std::shared_ptr<RocksDb> open(const StoreOptions& options, Poco::Logger& logger);

 private:
  struct Entry {
    std::weak_ptr<RocksDb> db;
    DbSettings settings;
    std::string openedBy;  // config prefix of the first store
  };
  // Leaked on purpose: a store released during static destruction must still find them.
  static std::mutex& mutex() {
    static auto* m = new std::mutex;
    return *m;
  }
  static std::condition_variable& closed() {
    static auto* cv = new std::condition_variable;
    return *cv;
  }
  static std::map<std::string, Entry>& entries() {
    static auto* e = new std::map<std::string, Entry>;
    return *e;
  }
  static std::unique_ptr<RocksDb> openNew(const std::string& canonical, const StoreOptions& options,
                                          Poco::Logger& logger);
};

std::shared_ptr<RocksDb> RocksDb::open(const StoreOptions& options, Poco::Logger& logger) {
  return DbRegistry::open(options, logger);
}

std::shared_ptr<RocksDb> DbRegistry::open(const StoreOptions& options, Poco::Logger& logger) {
  const std::string key = options.configPrefix + ".path";
  std::error_code ec;
  fs::create_directories(options.path, ec);
  if (ec)
    throw StartupError("cannot create the RocksDB directory '" + options.path + "' (" + key +
                       "): " + ec.message());
  const std::string canonical = fs::canonical(options.path, ec).string();
  if (ec)
    throw StartupError("cannot resolve the RocksDB directory '" + options.path + "' (" + key +
                       "): " + ec.message());

  std::unique_lock lock(mutex());
  auto& all = entries();
  for (;;) {
    auto it = all.find(canonical);
    if (it == all.end()) break;
    if (auto db = it->second.db.lock()) {
      if (!(it->second.settings == options.db))
        logger.warning(
            "%s asks for compression=%s cacheSize=%Lu on RocksDB database %s, which %s opened "
            "first with compression=%s cacheSize=%Lu: the first store's settings apply",
            options.configPrefix, options.db.compression, static_cast<Poco::UInt64>(options.db.cacheBytes),
            canonical, it->second.openedBy, it->second.settings.compression,
            static_cast<Poco::UInt64>(it->second.settings.cacheBytes));
      return db;
    }
    // Its last holder is closing it right now; the deleter erases the entry when done.
    closed().wait(lock);
  }

  std::unique_ptr<RocksDb> opened = openNew(canonical, options, logger);
  std::shared_ptr<RocksDb> db(opened.release(), [canonical](RocksDb* p) {
    std::lock_guard guard(mutex());
    delete p;
    entries().erase(canonical);
    closed().notify_all();
  });
  all[canonical] = Entry{db, options.db, options.configPrefix};
  return db;
}

std::unique_ptr<RocksDb> DbRegistry::openNew(const std::string& canonical, const StoreOptions& options,
                                             Poco::Logger& logger) {
  const std::string key = options.configPrefix + ".path";
  const auto startupError = [&](const std::string& what) {
    return StartupError("RocksDB database '" + canonical + "' (" + key + "): " + what);
  };

  ::rocksdb::DBOptions dbOptions;
  dbOptions.create_if_missing = true;
  dbOptions.create_missing_column_families = true;
  // RocksDB's informational LOG files pile up otherwise (one per open).
  dbOptions.keep_log_file_num = 5;
  // Smooth write-back of large blob uploads instead of bursts at file close.
  dbOptions.bytes_per_sync = 1 << 20;
  // Column families written rarely (arrays_meta beside arrays_chunks) would otherwise pin old
  // log files: RocksDB's default allows 4 x the memtable total, about 4 GiB here, kept on disk
  // and replayed at open. Past this size the families holding the oldest log are flushed.
  dbOptions.max_total_wal_size = kMaxTotalWalBytes;
  dbOptions.info_log_level = ::rocksdb::InfoLogLevel::INFO_LEVEL;
  dbOptions.info_log = std::make_shared<InfoLog>(canonical, logger);
  dbOptions.listeners.push_back(std::make_shared<NoSpaceRecovery>());

  // An existing database must be opened with every family it holds; a new one has none yet.
  std::vector<std::string> existing;
  if (fs::exists(fs::path(canonical) / "CURRENT")) {
    const ::rocksdb::Status s =
        ::rocksdb::DB::ListColumnFamilies(::rocksdb::DBOptions(), canonical, &existing);
    if (!s.ok()) {
      if (s.IsCorruption())
        throw startupError("is corrupt: " + s.ToString() +
                           " (restore it from a backup, or try `ldb repair`)");
      throw startupError("cannot list its column families: " + s.ToString());
    }
  }
  std::vector<std::string> names = knownFamilies();
  for (const auto& name : existing)
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);

  auto cache = ::rocksdb::NewLRUCache(options.db.cacheBytes, cacheShardBits(options.db.cacheBytes));
  std::vector<::rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, familyOptions(name, options.db, cache));

  std::unique_ptr<RocksDb> result(new RocksDb(canonical, logger));
  ::rocksdb::DB* raw = nullptr;
  const ::rocksdb::Status s =
      ::rocksdb::DB::Open(::rocksdb::DBOptions(dbOptions), canonical, descriptors, &result->handles_, &raw);
  if (!s.ok()) {
    const std::string detail = s.ToString();
    if (s.IsIOError() &&
        (contains(detail, "While lock file") || contains(detail, "lock hold by current process")))
      throw startupError(
          "is in use by another process (its LOCK file is held): only one process may open "
          "a RocksDB database; stop the other server or configure another path (" +
          detail + ")");
    if (s.IsCorruption())
      throw startupError("is corrupt: " + detail + " (restore it from a backup, or try `ldb repair`)");
    if (s.IsIOError()) throw startupError("cannot be opened for writing: " + detail);
    throw startupError("cannot be opened: " + detail);
  }
  result->db_.reset(raw);
  for (std::size_t i = 0; i < names.size(); ++i) result->families_[names[i]] = result->handles_[i];
  logger.information("opened RocksDB database %s (compression %s, block cache %Lu bytes)", canonical,
                     options.db.compression, static_cast<Poco::UInt64>(options.db.cacheBytes));
  return result;
}

// ---- RocksDb ----

RocksDb::RocksDb(std::string path, Poco::Logger& logger) : path_(std::move(path)), logger_(logger) {}

RocksDb::~RocksDb() {
  if (!db_) return;
  // Acknowledged writes are in the WAL already (kill -9 safe); syncing it here also makes
  // them safe against a power loss right after a clean shutdown. But a WAL writer that failed
  // must not be used again: RocksDB asserts, and Debian's build aborts the process. Resuming
  // (when the disk has room) replaces it; otherwise the sync is left out.
  if (writeFailed_ && !resumeAfterNoSpace())
    logger_.warning(
        "RocksDB %s: the WAL is not synced at close, because a write failed and "
        "writes did not resume; what was acknowledged before is in the WAL",
        path_);
  ::rocksdb::Status s;
  if (!writeFailed_) s = db_->SyncWAL();
  if (!s.ok()) logger_.warning("RocksDB %s: syncing the WAL at close failed: %s", path_, s.ToString());
  // Flushing the memtables leaves every write in table files that the MANIFEST lists: the next
  // open replays no log, and a database copied or restored without its log files after a clean
  // stop loses nothing (a missing table file is refused at open, a missing log is not).
  if (!writeFailed_ && !handles_.empty()) {
    ::rocksdb::FlushOptions flush;
    flush.wait = true;
    s = db_->Flush(flush, handles_);
    if (!s.ok())
      logger_.warning("RocksDB %s: flushing at close failed (the WAL still holds every write): %s", path_,
                      s.ToString());
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  s = db_->Close();
  if (!s.ok()) logger_.warning("RocksDB %s: close failed: %s", path_, s.ToString());
  db_.reset();
  logger_.information("closed RocksDB database %s", path_);
}

::rocksdb::ColumnFamilyHandle* RocksDb::family(const std::string& name) const {
  auto it = families_.find(name);
  if (it == families_.end())
    throw InternalError("RocksDB database " + path_ + " has no column family '" + name + "'");
  return it->second;
}

std::unique_ptr<RocksDb::RoleClaim> RocksDb::claimRole(const std::string& role,
                                                       const std::string& configPrefix) {
  std::lock_guard lock(claimsMutex_);
  auto [it, inserted] = claims_.emplace(role, configPrefix);
  if (!inserted)
    throw StartupError(it->second + " and " + configPrefix + " both keep " + role +
                       " in the RocksDB database " + path_ +
                       ": a database holds one store per role; give each its own path");
  return std::make_unique<RoleClaim>(*this, role);
}

RocksDb::RoleClaim::~RoleClaim() {
  std::lock_guard lock(db_.claimsMutex_);
  db_.claims_.erase(role_);
}

void RocksDb::fail(const ::rocksdb::Status& status, const std::string& what) const {
  const std::string detail = status.ToString();
  if (status.IsNotFound()) throw NotFound(what + ": " + detail);
  if (outOfSpace(status))
    throw InsufficientStorage("the database at " + path_ + " is out of space (" + what + ")");
  // Write stalls, lock timeouts and a closing database pass; the client may retry.
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut() || status.IsShutdownInProgress() ||
      status.IsIncomplete())
    throw ServiceUnavailable("the database is busy (" + what + "): " + detail);
  logger_.error("RocksDB %s: %s failed: %s", path_, what, detail);
  if (status.IsCorruption())
    throw InternalError("the RocksDB database at " + path_ + " is corrupt (" + what + "): " + detail);
  throw InternalError("the RocksDB database at " + path_ + " failed " + what + ": " + detail);
}

void RocksDb::write(const ::rocksdb::WriteOptions& options, ::rocksdb::WriteBatch& batch,
                    const std::string& what) {
  run([&] { return db_->Write(options, &batch); }, what);
}

void RocksDb::put(const ::rocksdb::WriteOptions& options, ::rocksdb::ColumnFamilyHandle* family,
                  const ::rocksdb::Slice& key, const ::rocksdb::Slice& value, const std::string& what) {
  run([&] { return db_->Put(options, family, key, value); }, what);
}

void RocksDb::remove(const ::rocksdb::WriteOptions& options, ::rocksdb::ColumnFamilyHandle* family,
                     const ::rocksdb::Slice& key, const std::string& what) {
  run([&] { return db_->Delete(options, family, key); }, what);
}

void RocksDb::run(const std::function<::rocksdb::Status()>& write, const std::string& what) {
  ::rocksdb::Status s = write();
  if (!s.ok() && (s.IsIOError() || outOfSpace(s))) {
    writeFailed_ = true;
    if (outOfSpace(s) && resumeAfterNoSpace()) s = write();
  }
  check(s, what);
}

bool RocksDb::resumeAfterNoSpace() {
  std::lock_guard lock(resumeMutex_);
  // Flushing memtables that do not fit would fail again, after writing files up to the last
  // free byte; so resume only when they fit. (One thread resumes; the others then find the
  // database running, and Resume() returns at once.)
  uint64_t memtables = 0;
  if (!db_->GetAggregatedIntProperty(::rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables))
    memtables = 0;
  struct statvfs vfs;
  if (::statvfs(path_.c_str(), &vfs) == 0) {
    const uint64_t available = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (available < memtables + kResumeHeadroom) return false;
  }
  const ::rocksdb::Status s = db_->Resume();
  if (!s.ok()) {
    logger_.warning("RocksDB %s: cannot resume writes after running out of space: %s", path_, s.ToString());
    return false;
  }
  writeFailed_ = false;
  return true;
}

}  // namespace strata::rocksdb
