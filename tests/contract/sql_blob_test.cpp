// What the sql backend's blobs store promises beyond the role contract: content lies in rows of
// 1 MiB chunks, a failed upload leaves no row, blobs and counts survive a restart, and content
// nothing holds any more (released past its grace period, or left by an upload that never
// finished) is deleted at start-up.
#include "contract/store_contract_support.h"
#include "contract/sqlite_rows.h"
#include "support/postgres_server.h"

#include <strata/errors.h>
#include <strata/stores/blob_store.h>
#include <strata/util.h>

#include <filesystem>
#include <limits>
#include <sstream>
#include <streambuf>

namespace strata::test {
namespace {

using ConfigValues = std::map<std::string, std::string>;
constexpr std::size_t kMiB = 1 << 20;
constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

ConfigValues sqliteBlobs(const std::string& file) {
  return {{"stores.blobs.t.backend", "sql"},
          {"stores.blobs.t.connector", "sqlite"},
          {"stores.blobs.t.connection", file}};
}

BlobInfo putString(BlobStore& store, const std::string& content, int64_t expectedSize,
                   uint64_t maxBytes = kNoLimit) {
  std::istringstream in(content);
  return store.put(in, expectedSize, maxBytes);
}

std::string readAll(BlobReader& reader) {
  std::string out;
  std::vector<char> buffer(300000);
  for (;;) {
    const std::size_t n = reader.read(out.size(), buffer.data(), buffer.size());
    if (n == 0) break;
    out.append(buffer.data(), n);
  }
  return out;
}

// The rows of a query on the SQLite file, each as its columns' text joined by ' '.
std::vector<std::string> rowsOf(const std::string& file, const std::string& sql) {
  return sqliteRows(file, sql, " ");
}

// A stream that throws after `failAt` bytes, as a request body whose client went away.
class FailingBuf : public std::streambuf {
 public:
  FailingBuf(std::string data, std::size_t failAt) : data_(std::move(data)), failAt_(failAt) {}

 protected:
  int_type underflow() override {
    if (pos_ >= failAt_) throw BadRequest("client_gone", "the client went away");
    const std::size_t n = std::min({std::size_t{64 << 10}, data_.size() - pos_, failAt_ - pos_});
    setg(&data_[pos_], &data_[pos_], &data_[pos_] + n);
    pos_ += n;
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string data_;
  std::size_t failAt_;
  std::size_t pos_ = 0;
};

TEST(SqlBlobStore, ContentLiesInChunksOfOneMebibyte) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  OpenStores stores(sqliteBlobs(file));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(2 * kMiB + kMiB / 2, 41);
  const BlobInfo info = putString(*store, content, static_cast<int64_t>(content.size()));
  EXPECT_EQ(rowsOf(file, "SELECT n, length(data) FROM strata_blob_chunks ORDER BY n"),
            (std::vector<std::string>{"0 1048576", "1 1048576", "2 524288"}));
  EXPECT_EQ(rowsOf(file, "SELECT CAST(id AS TEXT), size, refs FROM strata_blobs"),
            std::vector<std::string>{info.id + " " + std::to_string(content.size()) + " 1"});
  EXPECT_TRUE(rowsOf(file, "SELECT * FROM strata_blob_pending").empty());
  // The same content again: one more reference, no second copy.
  EXPECT_EQ(putString(*store, content, -1).refs, 2u);
  EXPECT_EQ(rowsOf(file, "SELECT COUNT(*) FROM strata_blob_chunks"), std::vector<std::string>{"3"});
  // Empty content has no chunk.
  const BlobInfo empty = putString(*store, "", 0);
  EXPECT_EQ(store->stat(empty.id)->size, 0u);
  EXPECT_EQ(rowsOf(file, "SELECT COUNT(*) FROM strata_blob_chunks"), std::vector<std::string>{"3"});
  // Released, the content waits for the readers that may still read it.
  EXPECT_EQ(store->release(info.id), 1u);
  EXPECT_EQ(store->release(info.id), 0u);
  EXPECT_EQ(rowsOf(file, "SELECT COUNT(*) FROM strata_blob_pending"), std::vector<std::string>{"1"});
  EXPECT_FALSE(store->stat(info.id).has_value());
}

TEST(SqlBlobStore, FailedUploadsLeaveNoRow) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  OpenStores stores(sqliteBlobs(file));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(3 * kMiB + 5, 43);
  EXPECT_THROW(putString(*store, content, static_cast<int64_t>(content.size()) + 1), BadRequest);
  EXPECT_THROW(putString(*store, content, static_cast<int64_t>(kMiB)), BadRequest);
  EXPECT_THROW(putString(*store, content, -1, 2 * kMiB), PayloadTooLarge);
  {
    FailingBuf buf(content, 2 * kMiB + 7);
    std::istream in(&buf);
    EXPECT_THROW(store->put(in, -1, kNoLimit), BadRequest);
  }
  for (const char* table : {"strata_blobs", "strata_blob_chunks", "strata_blob_pending"})
    EXPECT_EQ(rowsOf(file, std::string("SELECT COUNT(*) FROM ") + table), std::vector<std::string>{"0"})
        << table;
}

TEST(SqlBlobStore, ARestartSeesBlobsAndDeletesContentNothingHolds) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  const std::string kept = randomBytes(kMiB + 3, 45), released = randomBytes(5000, 46);
  std::string id;
  {
    OpenStores stores(sqliteBlobs(file));
    auto store = stores.registry().blobs("t");
    id = putString(*store, kept, -1).id;
    store->addRef(id);
    const std::string gone = putString(*store, released, -1).id;
    EXPECT_EQ(store->release(gone), 0u);
  }
  // The released content's grace period is over, and an upload that never finished (its
  // process died) left a chunk whose pending row has expired.
  rowsOf(file, "UPDATE strata_blob_pending SET expires = 0");
  rowsOf(file,
         "INSERT INTO strata_blob_pending (content, expires) VALUES ('cut-short', 0); "
         "INSERT INTO strata_blob_chunks (content, n, data) VALUES ('cut-short', 0, x'0102')");
  OpenStores stores(sqliteBlobs(file));
  auto store = stores.registry().blobs("t");
  EXPECT_TRUE(rowsOf(file, "SELECT * FROM strata_blob_pending").empty());
  EXPECT_EQ(rowsOf(file, "SELECT COUNT(*), SUM(length(data)) FROM strata_blob_chunks"),
            std::vector<std::string>{"2 " + std::to_string(kept.size())});
  const auto stat = store->stat(id);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->refs, 2u);
  EXPECT_TRUE(readAll(*store->open(id)) == kept);
  ASSERT_EQ(store->list().size(), 1u);
}

TEST(SqlBlobStore, AReaderOfThisProcessKeepsReleasedContentPastTheGracePeriod) {
  TempDir dir;
  const std::string file = dir.path() + "/x.db";
  OpenStores stores(sqliteBlobs(file));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(kMiB + 100, 47), other = randomBytes(1000, 48);
  const std::string id = putString(*store, content, -1).id;
  auto reader = store->open(id);
  EXPECT_EQ(store->release(id), 0u);
  // Past its grace period: the next collection (another release to zero) still spares it.
  rowsOf(file, "UPDATE strata_blob_pending SET expires = 0");
  store->release(putString(*store, other, -1).id);
  EXPECT_TRUE(readAll(*reader) == content);
  // Once the reader is gone, the next collection deletes it.
  reader.reset();
  store->release(putString(*store, other, -1).id);
  rowsOf(file, "UPDATE strata_blob_pending SET expires = 0");
  store->release(putString(*store, other, -1).id);
  EXPECT_EQ(rowsOf(file, "SELECT COUNT(*) FROM strata_blob_chunks"), std::vector<std::string>{"1"});
}

TEST(SqlBlobStore, OnPostgresqlChunksAreRowsOfOneMebibyteAndFailedUploadsLeaveNone) {
  const BackendParam pg = sqlPostgresBackend();
  if (const std::string why = pg.unavailable(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  const std::string connection = pg.keys(dir.path()).at("connection");
  OpenStores stores(storeConfig("blobs", pg, dir.path()));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(2 * kMiB + 10, 49);
  {
    FailingBuf buf(content, kMiB + kMiB / 2);
    std::istream in(&buf);
    EXPECT_THROW(store->put(in, -1, kNoLimit), BadRequest);
  }
  EXPECT_THROW(putString(*store, content, -1, kMiB), PayloadTooLarge);
  EXPECT_EQ(psql(dir, connection,
                 "SELECT (SELECT COUNT(*) FROM strata_blobs), (SELECT COUNT(*) FROM strata_blob_chunks), "
                 "(SELECT COUNT(*) FROM strata_blob_pending)"),
            "0|0|0\n");
  const BlobInfo info = putString(*store, content, -1);
  EXPECT_EQ(psql(dir, connection, "SELECT n, length(data) FROM strata_blob_chunks ORDER BY n"),
            "0|1048576\n1|1048576\n2|10\n");
  EXPECT_EQ(psql(dir, connection, "SELECT convert_from(id, 'UTF8'), size, refs FROM strata_blobs"),
            info.id + "|" + std::to_string(content.size()) + "|1\n");
  EXPECT_TRUE(readAll(*store->open(info.id)) == content);
}

}  // namespace
}  // namespace strata::test
