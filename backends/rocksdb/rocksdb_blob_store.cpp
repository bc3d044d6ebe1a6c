// Layout: two column families.
//
//   "blobs"      key   = uploadId \0 chunkIndex (8 bytes, big-endian)
//                value = 1 MiB of content (the last chunk of a blob may be shorter)
//   "blob_refs"  key   = blob id (SHA-256, 64 lower-case hex digits)
//                value = 0x01, refs (u64), size (u64), chunk size (u32), uploadId
//                key   = "upload/" uploadId  (value empty): an upload in progress
//
// The blob id is known only once the whole stream has been read, so chunks are written under
// a fresh upload id (a UUID) as they arrive (one chunk in memory at a time) and the id's
// reference record, which points at them, is written last: the record is the truth of
// existence, and readers never see a blob without one. Committing is one WriteBatch that
// writes the record and drops the upload's marker; when the content already exists the same
// batch adds a reference and deletes the new copy's chunks instead. A put that fails deletes
// what it wrote; one that a crash interrupts leaves its marker, and the next start-up deletes
// the marker's chunks. Because RocksDB replays its write-ahead log in order, a record that
// survives a crash always has its chunks. Content of at most one chunk never needs the marker:
// its only chunk rides in the commit batch.
//
// Reference counts change under a striped mutex keyed by the blob id. A reader holds a RocksDB
// snapshot taken when it was opened, so it keeps reading the same content after the last
// release deletes it; the snapshot (and the space of deleted chunks it pins) goes with the
// reader.
#include "rocksdb_blob_store.h"

#include "rocksdb_keys.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Logger.h>

#include <algorithm>
#include <cstring>

namespace strata::rocksdb {

namespace {

constexpr uint32_t kChunkBytes = 1 << 20;
constexpr char kRecordVersion = 1;
const std::string kUploadPrefix = "upload/";
// Every blob id sorts below this ('g' follows the hex digits), every upload marker above.
const std::string kIdsEnd = "g";

struct Ref {
  uint64_t refs = 0;
  uint64_t size = 0;
  uint32_t chunkBytes = kChunkBytes;
  std::string dataKey;  // the upload id its chunks live under
  uint64_t chunks() const { return chunkBytes ? (size + chunkBytes - 1) / chunkBytes : 0; }
};

std::string encodeRef(const Ref& r) {
  std::string out;
  out.push_back(kRecordVersion);
  appendBigEndian64(out, r.refs);
  appendBigEndian64(out, r.size);
  appendBigEndian32(out, r.chunkBytes);
  out += r.dataKey;
  return out;
}

bool decodeRef(const ::rocksdb::Slice& value, Ref& r) {
  if (value.size() < 21 || value[0] != kRecordVersion) return false;
  r.refs = readBigEndian64(value.data() + 1);
  r.size = readBigEndian64(value.data() + 9);
  r.chunkBytes = readBigEndian32(value.data() + 17);
  r.dataKey.assign(value.data() + 21, value.size() - 21);
  return r.chunkBytes > 0 || r.size == 0;
}

std::string chunkPrefix(const std::string& dataKey) {
  std::string k = dataKey;
  k.push_back('\0');
  return k;
}

std::string chunkKey(const std::string& dataKey, uint64_t index) {
  std::string k = chunkPrefix(dataKey);
  appendBigEndian64(k, index);
  return k;
}

void requireId(const std::string& id) {
  if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
}

[[noreturn]] void throwNotFound(const std::string& id) { throw NotFound("no blob " + id); }

// The reference record of `id` as of `snapshot` (null: now), or false.
bool readRef(RocksDb& db, ::rocksdb::ColumnFamilyHandle* refs, const std::string& id,
             const ::rocksdb::Snapshot* snapshot, Ref& out) {
  ::rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ::rocksdb::PinnableSlice value;
  const ::rocksdb::Status s = db.db().Get(ro, refs, id, &value);
  if (s.IsNotFound()) return false;
  db.check(s, "reading the record of blob " + id);
  if (!decodeRef(value, out)) {
    db.logger().error("RocksDB %s: unreadable record of blob %s", db.path(), id);
    throw InternalError("the RocksDB database at " + db.path() + " holds a corrupt record for blob " + id);
  }
  return true;
}

class RocksDbBlobReader final : public BlobReader {
 public:
  RocksDbBlobReader(std::shared_ptr<RocksDb> db, ::rocksdb::ColumnFamilyHandle* chunks,
                    const ::rocksdb::Snapshot* snapshot, std::string id, Ref ref)
      : db_(std::move(db)), chunks_(chunks), snapshot_(snapshot), id_(std::move(id)), ref_(std::move(ref)) {}
  ~RocksDbBlobReader() override { db_->db().ReleaseSnapshot(snapshot_); }

  uint64_t size() const override { return ref_.size; }

  std::size_t read(uint64_t offset, char* buffer, std::size_t n) override {
    if (offset >= ref_.size) return 0;
    n = static_cast<std::size_t>(std::min<uint64_t>(n, ref_.size - offset));
    std::size_t done = 0;
    // Fill the whole request: callers hand large blocks to the socket.
    while (done < n) {
      const uint64_t at = offset + done;
      const uint64_t index = at / ref_.chunkBytes;
      const std::size_t within = static_cast<std::size_t>(at % ref_.chunkBytes);
      load(index);
      if (within >= chunk_.size()) corrupt(index, "is shorter than expected");
      const std::size_t take = std::min(n - done, chunk_.size() - within);
      std::memcpy(buffer + done, chunk_.data() + within, take);
      done += take;
    }
    return done;
  }

 private:
  // Keeps the last chunk read: callers read sequentially in blocks smaller than a chunk.
  void load(uint64_t index) {
    if (loaded_ && index == index_) return;
    loaded_ = false;
    ::rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    const ::rocksdb::Status s = db_->db().Get(ro, chunks_, chunkKey(ref_.dataKey, index), &chunk_);
    if (s.IsNotFound()) corrupt(index, "is missing");
    db_->check(s, "reading blob " + id_);
    index_ = index;
    loaded_ = true;
  }

  [[noreturn]] void corrupt(uint64_t index, const char* what) {
    db_->logger().error("RocksDB %s: chunk %Lu of blob %s %s", db_->path(), static_cast<Poco::UInt64>(index),
                        id_, std::string(what));
    throw InternalError("the RocksDB database at " + db_->path() + " is corrupt: chunk " +
                        std::to_string(index) + " of blob " + id_ + " " + what);
  }

  std::shared_ptr<RocksDb> db_;
  ::rocksdb::ColumnFamilyHandle* chunks_;
  const ::rocksdb::Snapshot* snapshot_;
  std::string id_;
  Ref ref_;
  std::string chunk_;
  uint64_t index_ = 0;
  bool loaded_ = false;
};

}  // namespace

RocksDbBlobStore::RocksDbBlobStore(std::shared_ptr<RocksDb> db, const StoreOptions& options)
    : db_(std::move(db)),
      claim_(db_->claimRole("blobs", options.configPrefix)),
      chunks_(db_->family(kBlobs)),
      refs_(db_->family(kBlobRefs)) {
  write_.sync = options.sync;
  try {
    removeUnfinishedUploads();
  } catch (const std::exception& e) {
    throw StartupError("blob store " + options.configPrefix +
                       ": cannot remove unfinished uploads: " + e.what());
  }
}

void RocksDbBlobStore::deleteChunks(const std::string& dataKey, uint64_t chunks,
                                    ::rocksdb::WriteBatch& batch) {
  // Point deletes rather than DeleteRange: the count is known, and range tombstones slow down
  // every later read of the column family while they live in the memtable.
  for (uint64_t i = 0; i < chunks; ++i)
    db_->check(batch.Delete(chunks_, chunkKey(dataKey, i)), "batching chunk deletions");
}

void RocksDbBlobStore::removeUnfinishedUploads() {
  const std::string end = prefixEnd(kUploadPrefix);
  const ::rocksdb::Slice upper(end);
  ::rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<::rocksdb::Iterator> markers(db_->db().NewIterator(ro, refs_));
  std::size_t removed = 0;
  for (markers->Seek(kUploadPrefix); markers->Valid(); markers->Next()) {
    const std::string dataKey = markers->key().ToString().substr(kUploadPrefix.size());
    const std::string prefix = chunkPrefix(dataKey);
    const std::string chunksEnd = prefixEnd(prefix);
    const ::rocksdb::Slice chunksUpper(chunksEnd);
    ::rocksdb::ReadOptions cro;
    cro.iterate_upper_bound = &chunksUpper;
    std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(cro, chunks_));
    ::rocksdb::WriteBatch batch;
    for (it->Seek(prefix); it->Valid(); it->Next())
      db_->check(batch.Delete(chunks_, it->key()), "batching chunk deletions");
    db_->check(it->status(), "listing the chunks of an unfinished upload");
    db_->check(batch.Delete(refs_, markers->key()), "batching chunk deletions");
    db_->write(bulk_, batch, "removing an unfinished upload");
    ++removed;
  }
  db_->check(markers->status(), "listing unfinished uploads");
  if (removed)
    db_->logger().information("RocksDB %s: removed %z unfinished blob upload(s)", db_->path(), removed);
}

BlobInfo RocksDbBlobStore::put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) {
  const std::string dataKey = newUuid();
  const std::string marker = kUploadPrefix + dataKey;
  std::string chunk;
  uint64_t written = 0;  // chunks stored under dataKey
  bool marked = false;
  bool committed = false;
  const auto flush = [&] {
    if (!marked) {
      // Before the first chunk, so that a crash never leaves chunks nobody can find.
      db_->put(bulk_, refs_, marker, ::rocksdb::Slice(), "starting a blob upload");
      marked = true;
    }
    db_->put(bulk_, chunks_, chunkKey(dataKey, written), chunk, "writing a blob chunk");
    ++written;
    chunk.clear();
  };
  try {
    const IngestResult r = ingestBlob(in, expectedSize, maxBytes, [&](const char* data, std::size_t n) {
      if (chunk.capacity() < kChunkBytes) chunk.reserve(kChunkBytes);
      while (n > 0) {
        const std::size_t take = std::min<std::size_t>(n, kChunkBytes - chunk.size());
        chunk.append(data, take);
        data += take;
        n -= take;
        if (chunk.size() == kChunkBytes) flush();
      }
    });
    // Content that fits in one chunk is still all in memory: it goes into the commit batch
    // (one write, no marker), or nowhere if the content is already stored.
    const bool inBatch = !marked && !chunk.empty();
    if (!inBatch && !chunk.empty()) flush();

    std::lock_guard lock(stripes_.forKey(r.id));
    ::rocksdb::WriteBatch batch;
    if (marked) db_->check(batch.Delete(refs_, marker), "batching a blob commit");
    Ref ref;
    if (readRef(*db_, refs_, r.id, nullptr, ref)) {
      // Same digest, same content: count a reference and drop the new copy.
      ref.refs += 1;
      deleteChunks(dataKey, written, batch);
    } else {
      ref = Ref{1, r.size, kChunkBytes, dataKey};
      if (inBatch) db_->check(batch.Put(chunks_, chunkKey(dataKey, 0), chunk), "batching a blob commit");
    }
    db_->check(batch.Put(refs_, r.id, encodeRef(ref)), "batching a blob commit");
    db_->write(write_, batch, "committing blob " + r.id);
    committed = true;
    return BlobInfo{r.id, ref.size, ref.refs};
  } catch (...) {
    if (!committed && marked) {
      ::rocksdb::WriteBatch batch;
      ::rocksdb::Status s;
      for (uint64_t i = 0; i < written && s.ok(); ++i) s = batch.Delete(chunks_, chunkKey(dataKey, i));
      if (s.ok()) s = batch.Delete(refs_, marker);
      if (s.ok()) s = db_->db().Write(bulk_, &batch);
      // The marker stays if this fails, and the next start-up finishes the job.
      if (!s.ok())
        db_->logger().warning("RocksDB %s: could not remove a failed upload's chunks: %s", db_->path(),
                              s.ToString());
    }
    throw;
  }
}

std::optional<BlobInfo> RocksDbBlobStore::stat(const std::string& id) {
  requireId(id);
  Ref ref;
  if (!readRef(*db_, refs_, id, nullptr, ref)) return std::nullopt;
  return BlobInfo{id, ref.size, ref.refs};
}

std::unique_ptr<BlobReader> RocksDbBlobStore::open(const std::string& id) {
  requireId(id);
  const ::rocksdb::Snapshot* snapshot = db_->db().GetSnapshot();
  Ref ref;
  try {
    if (!readRef(*db_, refs_, id, snapshot, ref)) throwNotFound(id);
  } catch (...) {
    db_->db().ReleaseSnapshot(snapshot);
    throw;
  }
  return std::make_unique<RocksDbBlobReader>(db_, chunks_, snapshot, id, std::move(ref));
}

BlobInfo RocksDbBlobStore::addRef(const std::string& id) {
  requireId(id);
  std::lock_guard lock(stripes_.forKey(id));
  Ref ref;
  if (!readRef(*db_, refs_, id, nullptr, ref)) throwNotFound(id);
  ref.refs += 1;
  db_->put(write_, refs_, id, encodeRef(ref), "adding a reference to blob " + id);
  return BlobInfo{id, ref.size, ref.refs};
}

uint64_t RocksDbBlobStore::release(const std::string& id) {
  requireId(id);
  std::lock_guard lock(stripes_.forKey(id));
  Ref ref;
  if (!readRef(*db_, refs_, id, nullptr, ref)) throwNotFound(id);
  if (ref.refs > 1) {
    ref.refs -= 1;
    db_->put(write_, refs_, id, encodeRef(ref), "releasing blob " + id);
    return ref.refs;
  }
  // Record and chunks go together: no reader can find chunks without a record.
  ::rocksdb::WriteBatch batch;
  db_->check(batch.Delete(refs_, id), "batching a blob deletion");
  deleteChunks(ref.dataKey, ref.chunks(), batch);
  db_->write(write_, batch, "deleting blob " + id);
  return 0;
}

std::vector<BlobInfo> RocksDbBlobStore::list() {
  const ::rocksdb::Slice upper(kIdsEnd);
  ::rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(ro, refs_));
  std::vector<BlobInfo> out;
  Ref ref;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string id = it->key().ToString();
    if (!isBlobId(id)) continue;
    if (!decodeRef(it->value(), ref)) {
      db_->logger().error("RocksDB %s: unreadable record of blob %s, not listed", db_->path(), id);
      continue;
    }
    out.push_back(BlobInfo{std::move(id), ref.size, ref.refs});
  }
  db_->check(it->status(), "listing blobs");
  return out;
}

}  // namespace strata::rocksdb
