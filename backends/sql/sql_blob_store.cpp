// Schema (component "blobs" of strata_schema, version 1):
//
//   strata_blobs        (id primary key, content, size, refs): one row per stored blob; id is
//                       the SHA-256 in hex (a BLOB, so that it orders by bytes), content the
//                       key of its chunks (a UUID)
//   strata_blob_chunks  (content, n, data) primary key (content, n): the content in chunks of
//                       kChunk bytes (the last one shorter; none for empty content)
//   strata_blob_pending (content primary key, expires): contents whose chunks are not (or no
//                       longer) under a blob: uploads in progress, and released contents kept
//                       for the readers still open on them
//
// put() streams: each chunk of kChunk bytes is written as it fills, in a statement of its own
// (no transaction stays open while the client sends), under a fresh content key that only a
// strata_blob_pending row names. Once the stream is complete and its SHA-256 known, one short
// transaction makes it visible: INSERT ... ON CONFLICT DO NOTHING of the blob's row, or, when
// the content is already stored, one more reference (and the new chunks deleted). A failed put
// (short, long or failing stream, too large, database error) deletes its chunks; one that
// never got that far (the process died) leaves chunks that only its pending row names, which
// collect() deletes once the row expires (kUploadSeconds after the upload's last progress).
//
// Readers read one chunk per query (SELECT data ... WHERE content = ? AND n = ?), keeping the
// last one: at most one chunk in memory. release() to zero deletes the blob's row and hands
// its content to strata_blob_pending with kGraceSeconds to live, so a reader opened before
// keeps reading it: readers of this process hold their content (HeldContents) and collect()
// skips it however long they stay open; a reader on another node sharing a PostgreSQL
// database can read for kGraceSeconds after the last release.
#include "sql_blob_store.h"

#include "sql_statements.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Data/Session.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cstring>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::BLOB;
using Poco::Data::Session;

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr int64_t kUploadSeconds = 24 * 3600;  // an upload's chunks live this long past its last progress
constexpr int64_t kGraceSeconds = 3600;        // released content stays readable this long
constexpr std::size_t kRefreshChunks = 64;     // an upload refreshes its expiry every this many chunks

void requireId(const std::string& id) {
  if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
}

int64_t nowSeconds() { return nowMillis() / 1000; }

class SqlBlobReader final : public BlobReader {
 public:
  SqlBlobReader(std::shared_ptr<SqlDatabase> db, std::shared_ptr<HeldContents> held, std::string id,
                std::string content, uint64_t size)
      : db_(std::move(db)),
        held_(std::move(held)),
        id_(std::move(id)),
        content_(std::move(content)),
        size_(size) {
    std::lock_guard lock(held_->mutex);
    ++held_->readers[content_];
  }
  ~SqlBlobReader() override {
    std::lock_guard lock(held_->mutex);
    if (--held_->readers[content_] == 0) held_->readers.erase(content_);
  }

  uint64_t size() const override { return size_; }

  std::size_t read(uint64_t offset, char* buffer, std::size_t n) override {
    std::size_t done = 0;
    while (done < n && offset < size_) {
      const uint64_t number = offset / kChunk;
      if (number != chunkNumber_) fetch(number);
      const std::size_t within = static_cast<std::size_t>(offset % kChunk);
      if (within >= chunk_.size())
        throw InternalError("the " + db_->describe() + " holds a short chunk of blob " + id_);
      const std::size_t k = std::min(n - done, chunk_.size() - within);
      std::memcpy(buffer + done, chunk_.data() + within, k);
      done += k;
      offset += k;
    }
    return done;
  }

 private:
  void fetch(uint64_t number) {
    std::vector<BLOB> data;
    db_->transaction(SqlDatabase::Mode::Single, "reading blob " + id_, [&](Session& s) {
      data = std::move(std::get<std::vector<BLOB>>(
          queryRows(s, "SELECT data FROM strata_blob_chunks WHERE content = ? AND n = ?",
                    {content_, static_cast<int64_t>(number)}, {SqlType::Bytes})
              .columns[0]));
    });
    if (data.empty())
      throw NotFound("blob_gone", "the content of blob " + id_ + " is no longer stored (released)");
    chunk_ = bytesOf(data[0]);
    chunkNumber_ = number;
  }

  std::shared_ptr<SqlDatabase> db_;
  std::shared_ptr<HeldContents> held_;
  std::string id_, content_;
  uint64_t size_;
  std::string chunk_;
  uint64_t chunkNumber_ = UINT64_MAX;
};

}  // namespace

SqlBlobStore::SqlBlobStore(std::shared_ptr<SqlDatabase> db) : db_(std::move(db)) {
  const bool pg = db_->postgres();
  const std::string bytes = pg ? "BYTEA" : "BLOB";
  db_->migrate(
      "blobs", {[&](Session& s) {
        execute(s, "CREATE TABLE strata_blobs (id " + bytes +
                       " PRIMARY KEY, content TEXT NOT NULL, size BIGINT NOT NULL, refs BIGINT NOT NULL)");
        // A rowid table on SQLite: rows of a MiB do not belong in a WITHOUT ROWID b-tree.
        execute(s, "CREATE TABLE strata_blob_chunks (content TEXT NOT NULL, n BIGINT NOT NULL, data " +
                       bytes + " NOT NULL, PRIMARY KEY (content, n))");
        // Compressing stored content rarely pays: keep PostgreSQL's TOAST from trying.
        if (pg) execute(s, "ALTER TABLE strata_blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL");
        execute(s, "CREATE TABLE strata_blob_pending (content TEXT PRIMARY KEY, expires BIGINT NOT NULL)");
      }});
  collect();
}

BlobInfo SqlBlobStore::put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) {
  const std::string content = newUuid();
  db_->transaction(SqlDatabase::Mode::Single, "starting a blob upload", [&](Session& s) {
    execute(s, "INSERT INTO strata_blob_pending (content, expires) VALUES (?, ?)",
            {content, nowSeconds() + kUploadSeconds});
  });
  std::string buffer;
  int64_t chunks = 0;
  const auto flush = [&] {
    db_->transaction(SqlDatabase::Mode::Single, "writing a blob", [&](Session& s) {
      execute(s, "INSERT INTO strata_blob_chunks (content, n, data) VALUES (?, ?, ?)",
              {content, chunks, Bytes{buffer}});
    });
    ++chunks;
    buffer.clear();
    if (chunks % kRefreshChunks == 0)
      db_->transaction(SqlDatabase::Mode::Single, "writing a blob", [&](Session& s) {
        execute(s, "UPDATE strata_blob_pending SET expires = ? WHERE content = ?",
                {nowSeconds() + kUploadSeconds, content});
      });
  };
  BlobInfo info;
  try {
    buffer.reserve(kChunk);
    const IngestResult r = ingestBlob(in, expectedSize, maxBytes, [&](const char* data, std::size_t n) {
      while (n > 0) {
        const std::size_t k = std::min(n, kChunk - buffer.size());
        buffer.append(data, k);
        data += k;
        n -= k;
        if (buffer.size() == kChunk) flush();
      }
    });
    if (!buffer.empty()) flush();
    std::string().swap(buffer);
    info.id = r.id;
    info.size = r.size;
    db_->transaction(SqlDatabase::Mode::Write, "storing blob " + r.id, [&](Session& s) {
      const std::size_t inserted =
          run(s,
              "INSERT INTO strata_blobs (id, content, size, refs) VALUES (?, ?, ?, 1) "
              "ON CONFLICT (id) DO NOTHING",
              {Bytes{r.id}, content, static_cast<int64_t>(r.size)});
      if (inserted == 0) {
        // Stored already: one more reference, and this upload's chunks go.
        execute(s, "UPDATE strata_blobs SET refs = refs + 1 WHERE id = ?", {Bytes{r.id}});
        execute(s, "DELETE FROM strata_blob_chunks WHERE content = ?", {content});
      }
      execute(s, "DELETE FROM strata_blob_pending WHERE content = ?", {content});
      info.refs = static_cast<uint64_t>(
          queryRows(s, "SELECT refs FROM strata_blobs WHERE id = ?", {Bytes{r.id}}, {SqlType::Integer})
              .integer(0, 0));
    });
  } catch (...) {
    // Nothing of a failed upload stays; if even that fails, its pending row expires.
    try {
      db_->transaction(SqlDatabase::Mode::Write, "removing a failed blob upload", [&](Session& s) {
        execute(s, "DELETE FROM strata_blob_chunks WHERE content = ?", {content});
        execute(s, "DELETE FROM strata_blob_pending WHERE content = ?", {content});
      });
    } catch (...) {
    }
    throw;
  }
  return info;
}

std::optional<BlobInfo> SqlBlobStore::stat(const std::string& id) {
  requireId(id);
  SqlRows rows;
  db_->transaction(SqlDatabase::Mode::Single, "reading blob " + id, [&](Session& s) {
    rows = queryRows(s, "SELECT size, refs FROM strata_blobs WHERE id = ?", {Bytes{id}},
                     {SqlType::Integer, SqlType::Integer});
  });
  if (rows.empty()) return std::nullopt;
  return BlobInfo{id, static_cast<uint64_t>(rows.integer(0, 0)), static_cast<uint64_t>(rows.integer(0, 1))};
}

std::unique_ptr<BlobReader> SqlBlobStore::open(const std::string& id) {
  requireId(id);
  SqlRows rows;
  db_->transaction(SqlDatabase::Mode::Single, "opening blob " + id, [&](Session& s) {
    rows = queryRows(s, "SELECT content, size FROM strata_blobs WHERE id = ?", {Bytes{id}},
                     {SqlType::Text, SqlType::Integer});
  });
  if (rows.empty()) throw NotFound("no blob " + id);
  // Released meanwhile, the content is pending for kGraceSeconds: this hold comes well before.
  return std::make_unique<SqlBlobReader>(db_, held_, id, rows.text(0, 0),
                                         static_cast<uint64_t>(rows.integer(0, 1)));
}

BlobInfo SqlBlobStore::addRef(const std::string& id) {
  requireId(id);
  BlobInfo info{id, 0, 0};
  db_->transaction(SqlDatabase::Mode::Write, "referencing blob " + id, [&](Session& s) {
    if (run(s, "UPDATE strata_blobs SET refs = refs + 1 WHERE id = ?", {Bytes{id}}) == 0)
      throw NotFound("no blob " + id);
    const SqlRows rows = queryRows(s, "SELECT size, refs FROM strata_blobs WHERE id = ?", {Bytes{id}},
                                   {SqlType::Integer, SqlType::Integer});
    info.size = static_cast<uint64_t>(rows.integer(0, 0));
    info.refs = static_cast<uint64_t>(rows.integer(0, 1));
  });
  return info;
}

uint64_t SqlBlobStore::release(const std::string& id) {
  requireId(id);
  uint64_t left = 0;
  db_->transaction(SqlDatabase::Mode::Write, "releasing blob " + id, [&](Session& s) {
    const SqlRows rows =
        queryRows(s, std::string("SELECT content, refs FROM strata_blobs WHERE id = ?") + db_->forUpdate(),
                  {Bytes{id}}, {SqlType::Text, SqlType::Integer});
    if (rows.empty()) throw NotFound("no blob " + id);
    const std::vector<std::string> content{rows.text(0, 0)};
    const std::vector<int64_t> refs{rows.integer(0, 1)};
    if (refs[0] > 1) {
      execute(s, "UPDATE strata_blobs SET refs = refs - 1 WHERE id = ?", {Bytes{id}});
      left = static_cast<uint64_t>(refs[0] - 1);
      return;
    }
    execute(s, "DELETE FROM strata_blobs WHERE id = ?", {Bytes{id}});
    execute(s, "INSERT INTO strata_blob_pending (content, expires) VALUES (?, ?)",
            {content[0], nowSeconds() + kGraceSeconds});
    left = 0;
  });
  if (left == 0) {
    try {
      collect();
    } catch (const Error& e) {
      db_->logger().warning("%s: collecting released blob content: %s", db_->describe(),
                            std::string(e.what()));
    }
  }
  return left;
}

std::vector<BlobInfo> SqlBlobStore::list() {
  std::vector<BLOB> ids;
  std::vector<Poco::Int64> size, refs;
  db_->transaction(SqlDatabase::Mode::Single, "listing blobs", [&](Session& s) {
    ids.clear();
    size.clear();
    refs.clear();
    s << "SELECT id, size, refs FROM strata_blobs ORDER BY id", into(ids), into(size), into(refs), now;
  });
  std::vector<BlobInfo> out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    out.push_back({bytesOf(ids[i]), static_cast<uint64_t>(size[i]), static_cast<uint64_t>(refs[i])});
  return out;
}

void SqlBlobStore::collect() {
  std::vector<std::string> expired;
  db_->transaction(SqlDatabase::Mode::Single, "collecting released blob content", [&](Session& s) {
    expired = std::move(std::get<std::vector<std::string>>(
        queryRows(s, "SELECT content FROM strata_blob_pending WHERE expires < ? LIMIT 100", {nowSeconds()},
                  {SqlType::Text})
            .columns[0]));
  });
  for (const auto& content : expired) {
    {
      std::lock_guard lock(held_->mutex);
      if (held_->readers.count(content)) continue;
    }
    db_->transaction(SqlDatabase::Mode::Write, "collecting released blob content", [&](Session& s) {
      execute(s, "DELETE FROM strata_blob_chunks WHERE content = ?", {content});
      execute(s, "DELETE FROM strata_blob_pending WHERE content = ?", {content});
    });
  }
}

}  // namespace strata::sql
