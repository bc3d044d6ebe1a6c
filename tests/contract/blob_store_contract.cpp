// The blobs role contract (core/include/strata/stores/blob_store.h), run against every backend
// that serves the role; then what only the fs backend promises (its files, restarts, tmp/).
#include "contract/store_contract_support.h"

#include <strata/errors.h>
#include <strata/stores/blob_store.h>
#include <strata/util.h>

#include <Poco/File.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>
#include <streambuf>
#include <thread>
#include <vector>

#include <sys/statvfs.h>

namespace strata::test {
namespace {

using ConfigValues = std::map<std::string, std::string>;

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
constexpr std::size_t kMiB = 1 << 20;

std::string sha256(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

BlobInfo putString(BlobStore& store, const std::string& content, int64_t expectedSize,
                   uint64_t maxBytes = kNoLimit) {
  std::istringstream in(content);
  return store.put(in, expectedSize, maxBytes);
}

BlobInfo putString(BlobStore& store, const std::string& content) {
  return putString(store, content, static_cast<int64_t>(content.size()));
}

std::string readAll(BlobReader& reader, std::size_t piece = 100003) {
  std::string out;
  std::vector<char> buffer(piece);
  for (;;) {
    const std::size_t n = reader.read(out.size(), buffer.data(), buffer.size());
    if (n == 0) break;
    out.append(buffer.data(), n);
  }
  return out;
}

// Serves `data` in 64 KiB pieces and calls `fail` (which throws) once `failAt` bytes are gone,
// as a request body does when the client disconnects or a body limit trips mid-way.
class FailingBuf : public std::streambuf {
 public:
  FailingBuf(std::string data, std::size_t failAt, std::function<void()> fail)
      : data_(std::move(data)), failAt_(failAt), fail_(std::move(fail)) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (pos_ >= failAt_) fail_();
    const std::size_t n = std::min({std::size_t{64 << 10}, data_.size() - pos_, failAt_ - pos_});
    if (n == 0) return traits_type::eof();
    char* begin = &data_[pos_];
    setg(begin, begin, begin + n);
    pos_ += n;
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string data_;
  std::size_t failAt_;
  std::function<void()> fail_;
  std::size_t pos_ = 0;
};

class BlobStoreContract : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      const std::string why = GetParam().unavailable();
      if (!why.empty()) GTEST_SKIP() << why;
    }
    stores_ = std::make_unique<OpenStores>(storeConfig("blobs", GetParam(), dir_.path()));
    store_ = stores_->registry().blobs("t");
    ASSERT_TRUE(store_);
  }
  void TearDown() override {
    store_.reset();
    stores_.reset();
  }

  TempDir dir_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<BlobStore> store_;
};

TEST_P(BlobStoreContract, RoundTripsLargeContentUnderItsSha256) {
  const std::string content = randomBytes(3 * kMiB + 12345, 7);
  const BlobInfo info = putString(*store_, content);
  EXPECT_EQ(info.id, sha256(content));
  EXPECT_EQ(info.size, content.size());
  EXPECT_EQ(info.refs, 1u);

  const auto stat = store_->stat(info.id);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->id, info.id);
  EXPECT_EQ(stat->size, content.size());
  EXPECT_EQ(stat->refs, 1u);

  auto reader = store_->open(info.id);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), content.size());
  EXPECT_TRUE(readAll(*reader) == content);
}

TEST_P(BlobStoreContract, ReadsRanges) {
  const std::string content = randomBytes(2 * kMiB, 3);
  const BlobInfo info = putString(*store_, content);
  auto reader = store_->open(info.id);
  std::vector<char> buffer(4096);
  ASSERT_EQ(reader->read(kMiB - 100, buffer.data(), 1000), 1000u);
  EXPECT_EQ(std::string(buffer.data(), 1000), content.substr(kMiB - 100, 1000));
  // Near the end: only what is left.
  EXPECT_EQ(reader->read(content.size() - 10, buffer.data(), buffer.size()), 10u);
  EXPECT_EQ(std::string(buffer.data(), 10), content.substr(content.size() - 10));
  EXPECT_EQ(reader->read(content.size(), buffer.data(), buffer.size()), 0u);
  EXPECT_EQ(reader->read(content.size() + 5, buffer.data(), buffer.size()), 0u);
}

TEST_P(BlobStoreContract, IdIsTheStandardSha256) {
  EXPECT_EQ(putString(*store_, "abc").id, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const BlobInfo empty = putString(*store_, "");
  EXPECT_EQ(empty.id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(empty.size, 0u);
  auto reader = store_->open(empty.id);
  char c;
  EXPECT_EQ(reader->size(), 0u);
  EXPECT_EQ(reader->read(0, &c, 1), 0u);
}

TEST_P(BlobStoreContract, UnknownSizeReadsToTheEnd) {
  const std::string content = randomBytes(kMiB + 1, 5);
  const BlobInfo info = putString(*store_, content, -1);
  EXPECT_EQ(info.id, sha256(content));
  EXPECT_EQ(info.size, content.size());
}

TEST_P(BlobStoreContract, ExactlyMaxBytesIsAllowed) {
  const std::string content = randomBytes(kMiB, 9);
  EXPECT_EQ(putString(*store_, content, -1, kMiB).size, kMiB);
  EXPECT_EQ(putString(*store_, content, static_cast<int64_t>(kMiB), kMiB).refs, 2u);
}

TEST_P(BlobStoreContract, SameContentAddsReferencesAndReleaseDeletesAtZero) {
  const std::string content = randomBytes(100000, 11);
  const BlobInfo first = putString(*store_, content);
  const BlobInfo second = putString(*store_, content);
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.refs, 2u);
  EXPECT_EQ(store_->addRef(first.id).refs, 3u);
  ASSERT_EQ(store_->list().size(), 1u);
  EXPECT_EQ(store_->list()[0].refs, 3u);

  EXPECT_EQ(store_->release(first.id), 2u);
  EXPECT_EQ(store_->release(first.id), 1u);
  EXPECT_EQ(store_->stat(first.id)->refs, 1u);
  EXPECT_EQ(store_->release(first.id), 0u);

  EXPECT_FALSE(store_->stat(first.id).has_value());
  EXPECT_TRUE(store_->list().empty());
  EXPECT_THROW(store_->open(first.id), NotFound);
  EXPECT_THROW(store_->release(first.id), NotFound);
  EXPECT_THROW(store_->addRef(first.id), NotFound);

  // Stored again from scratch, it starts over at one reference.
  EXPECT_EQ(putString(*store_, content).refs, 1u);
}

TEST_P(BlobStoreContract, ListsEveryBlobOnceSortedById) {
  std::vector<std::string> ids;
  for (unsigned i = 0; i < 20; ++i) ids.push_back(putString(*store_, randomBytes(1000, i)).id);
  putString(*store_, randomBytes(1000, 0));
  std::sort(ids.begin(), ids.end());
  const auto all = store_->list();
  ASSERT_EQ(all.size(), ids.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, ids[i]);
    EXPECT_EQ(all[i].size, 1000u);
    EXPECT_EQ(all[i].refs, all[i].id == sha256(randomBytes(1000, 0)) ? 2u : 1u);
  }
}

TEST_P(BlobStoreContract, UnknownAndMalformedIds) {
  const std::string unknown(64, 'a');
  EXPECT_FALSE(store_->stat(unknown).has_value());
  EXPECT_THROW(store_->open(unknown), NotFound);
  EXPECT_THROW(store_->addRef(unknown), NotFound);
  EXPECT_THROW(store_->release(unknown), NotFound);
  const std::vector<std::string> malformed{"",
                                           "abc",
                                           std::string(64, 'A'),
                                           std::string(63, 'a'),
                                           std::string(65, 'a'),
                                           "../" + std::string(61, 'a')};
  for (const auto& bad : malformed) {
    EXPECT_THROW(store_->stat(bad), BadRequest) << bad;
    EXPECT_THROW(store_->open(bad), BadRequest) << bad;
    EXPECT_THROW(store_->addRef(bad), BadRequest) << bad;
    EXPECT_THROW(store_->release(bad), BadRequest) << bad;
  }
}

TEST_P(BlobStoreContract, ShortStreamIsBadRequestAndLeavesNothing) {
  const std::string content = randomBytes(kMiB + 500, 13);
  try {
    putString(*store_, content, static_cast<int64_t>(content.size()) + 1);
    ADD_FAILURE() << "a short stream was accepted";
  } catch (const BadRequest& e) {
    EXPECT_EQ(e.code(), "body_truncated");
  }
  EXPECT_TRUE(store_->list().empty());
  EXPECT_FALSE(store_->stat(sha256(content)).has_value());
}

TEST_P(BlobStoreContract, LongerThanAnnouncedIsBadRequestAndLeavesNothing) {
  const std::string content = randomBytes(2 * kMiB, 15);
  EXPECT_THROW(putString(*store_, content, static_cast<int64_t>(kMiB)), BadRequest);
  EXPECT_THROW(putString(*store_, content, static_cast<int64_t>(content.size()) - 1), BadRequest);
  EXPECT_TRUE(store_->list().empty());
}

TEST_P(BlobStoreContract, TooLargeIsPayloadTooLargeAndLeavesNothing) {
  const std::string content = randomBytes(3 * kMiB, 17);
  // Found while streaming...
  EXPECT_THROW(putString(*store_, content, -1, 2 * kMiB + 1), PayloadTooLarge);
  // ...or up front, from the announced size.
  EXPECT_THROW(putString(*store_, content, static_cast<int64_t>(content.size()), kMiB), PayloadTooLarge);
  EXPECT_THROW(putString(*store_, "x", -1, 0), PayloadTooLarge);
  EXPECT_TRUE(store_->list().empty());
}

TEST_P(BlobStoreContract, StreamThatThrowsMidwayPropagatesAndLeavesNothing) {
  const std::string content = randomBytes(3 * kMiB, 19);
  {
    FailingBuf buf(content, kMiB + kMiB / 2, [] { throw BadRequest("client_gone", "the client went away"); });
    std::istream in(&buf);
    try {
      store_->put(in, static_cast<int64_t>(content.size()), kNoLimit);
      ADD_FAILURE() << "a failing stream was accepted";
    } catch (const BadRequest& e) {
      EXPECT_EQ(e.code(), "client_gone");
    }
  }
  {
    // The server's own body limit, enforced by its stream, comes out unchanged.
    FailingBuf buf(content, 2 * kMiB, [] { throw PayloadTooLarge("over the server limit"); });
    std::istream in(&buf);
    EXPECT_THROW(store_->put(in, -1, kNoLimit), PayloadTooLarge);
  }
  EXPECT_TRUE(store_->list().empty());
  // The store is still usable.
  EXPECT_EQ(putString(*store_, content).id, sha256(content));
}

TEST_P(BlobStoreContract, CallersStreamExceptionMaskIsRespected) {
  const std::string content = randomBytes(1000, 21);
  std::istringstream in(content);
  in.exceptions(std::ios::failbit | std::ios::eofbit);
  // Reaching the end of the stream is not an error, whatever the caller's mask.
  const BlobInfo info = store_->put(in, -1, kNoLimit);
  EXPECT_EQ(info.id, sha256(content));
  EXPECT_EQ(in.exceptions(), std::ios::failbit | std::ios::eofbit);
}

TEST_P(BlobStoreContract, ReaderStaysValidAfterTheLastRelease) {
  const std::string content = randomBytes(2 * kMiB + 7, 23);
  const BlobInfo info = putString(*store_, content);
  auto reader = store_->open(info.id);
  EXPECT_EQ(store_->release(info.id), 0u);
  EXPECT_FALSE(store_->stat(info.id).has_value());
  EXPECT_EQ(reader->size(), content.size());
  EXPECT_TRUE(readAll(*reader) == content);
}

TEST_P(BlobStoreContract, ConcurrentPutsOfTheSameContentCountEveryReference) {
  const std::string content = randomBytes(2 * kMiB, 25);
  constexpr int kThreads = 4;
  std::atomic<bool> go{false};
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::istringstream in(content);
      while (!go.load()) std::this_thread::yield();
      ids[t] = store_->put(in, static_cast<int64_t>(content.size()), kNoLimit).id;
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  for (const auto& id : ids) EXPECT_EQ(id, sha256(content));
  const auto stat = store_->stat(sha256(content));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->refs, static_cast<uint64_t>(kThreads));
  EXPECT_EQ(store_->list().size(), 1u);
}

TEST_P(BlobStoreContract, ConcurrentPutsAndReleasesKeepTheCount) {
  const std::string content = randomBytes(64 << 10, 27);
  const std::string id = putString(*store_, content).id;  // held throughout
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      try {
        for (int i = 0; i < kEach; ++i) {
          putString(*store_, content);
          store_->addRef(id);
          store_->release(id);
          auto reader = store_->open(id);
          if (reader->size() != content.size()) ++failures;
          store_->release(id);
        }
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto stat = store_->stat(id);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->refs, 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, BlobStoreContract,
    testing::Values(memoryBackend(), fsBackend(),
                    BackendParam{"rocksdb",
                                 [](const std::string& dir) {
                                   return std::map<std::string, std::string>{{"path", dir + "/db"}};
                                 }},
                    sqlBackend(), sqlPostgresBackend()),
    backendName);

// ---- The fs backend beyond the contract ----

std::map<std::string, std::string> fsConfig(const std::string& path,
                                            std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> values{{"stores.blobs.t.backend", "fs"}, {"stores.blobs.t.path", path}};
  for (auto& [k, v] : extra) values["stores.blobs.t." + k] = v;
  return values;
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (!e.is_directory()) out.push_back(e.path().string());
  return out;
}

TEST(FsBlobStore, ContentLiesUnderObjectsAsPlainFiles) {
  TempDir dir;
  const std::string root = dir.file("blobs");
  OpenStores stores(fsConfig(root));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(3 * kMiB, 31);
  const BlobInfo info = putString(*store, content);
  const std::string file = root + "/objects/" + info.id.substr(0, 2) + "/" + info.id.substr(2);
  EXPECT_TRUE(readFile(file) == content);
  EXPECT_EQ(filesIn(root + "/objects"), std::vector<std::string>{file});
  store->release(info.id);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_TRUE(filesIn(root + "/objects").empty());
}

TEST(FsBlobStore, ARestartSeesBlobsAndReferenceCounts) {
  TempDir dir;
  const std::string root = dir.file("blobs");
  const std::string content = randomBytes(kMiB + 3, 33);
  const std::string other = randomBytes(5000, 34);
  std::string id;
  {
    OpenStores stores(fsConfig(root));
    auto store = stores.registry().blobs("t");
    id = putString(*store, content).id;
    putString(*store, content);
    store->addRef(id);
    putString(*store, other);
    store->release(sha256(other));
  }
  {
    OpenStores stores(fsConfig(root));
    auto store = stores.registry().blobs("t");
    const auto stat = store->stat(id);
    ASSERT_TRUE(stat);
    EXPECT_EQ(stat->refs, 3u);
    EXPECT_EQ(stat->size, content.size());
    EXPECT_TRUE(readAll(*store->open(id)) == content);
    EXPECT_FALSE(store->stat(sha256(other)).has_value());
    ASSERT_EQ(store->list().size(), 1u);
    EXPECT_EQ(store->release(id), 2u);
  }
  {
    OpenStores stores(fsConfig(root, {{"fsync", "false"}}));
    auto store = stores.registry().blobs("t");
    EXPECT_EQ(store->stat(id)->refs, 2u);
  }
}

TEST(FsBlobStore, StartUpRemovesLeftoverTmpFiles) {
  TempDir dir;
  const std::string root = dir.file("blobs");
  { OpenStores stores(fsConfig(root)); }
  writeFile(root + "/tmp/0b7e5a3c-upload-cut-short", randomBytes(1000));
  writeFile(root + "/tmp/another.refs", "3\n");
  Poco::File(root + "/tmp/a-directory").createDirectories();
  OpenStores stores(fsConfig(root));
  EXPECT_TRUE(std::filesystem::is_empty(root + "/tmp"));
  EXPECT_TRUE(stores.registry().blobs("t")->list().empty());
}

TEST(FsBlobStore, FailedPutsLeaveNoTmpFile) {
  TempDir dir;
  const std::string root = dir.file("blobs");
  OpenStores stores(fsConfig(root));
  auto store = stores.registry().blobs("t");
  const std::string content = randomBytes(3 * kMiB, 35);
  EXPECT_THROW(putString(*store, content, static_cast<int64_t>(content.size()) + 10), BadRequest);
  EXPECT_THROW(putString(*store, content, -1, kMiB), PayloadTooLarge);
  {
    FailingBuf buf(content, 2 * kMiB, [] { throw BadRequest("client_gone", "gone"); });
    std::istream in(&buf);
    EXPECT_THROW(store->put(in, -1, kNoLimit), BadRequest);
  }
  EXPECT_TRUE(std::filesystem::is_empty(root + "/tmp"));
  EXPECT_TRUE(filesIn(root + "/objects").empty());
  EXPECT_TRUE(filesIn(root + "/refs").empty());
  // And successful ones leave none either.
  putString(*store, content);
  putString(*store, content);
  EXPECT_TRUE(std::filesystem::is_empty(root + "/tmp"));
}

TEST(FsBlobStore, ConfigurationErrorsFailAtStartUp) {
  TempDir dir;
  // No path.
  EXPECT_THROW(OpenStores(ConfigValues{{"stores.blobs.t.backend", "fs"}}), StartupError);
  // A path that cannot be a directory: below a regular file.
  writeFile(dir.file("plain"), "x");
  try {
    OpenStores stores(fsConfig(dir.file("plain") + "/blobs"));
    ADD_FAILURE() << "a path below a regular file was accepted";
  } catch (const StartupError& e) {
    EXPECT_NE(std::string(e.what()).find("stores.blobs.t.path"), std::string::npos) << e.what();
  }
  EXPECT_THROW(OpenStores(fsConfig(dir.file("b"), {{"fsync", "sometimes"}})), StartupError);
  EXPECT_THROW(OpenStores(fsConfig(dir.file("b"), {{"compression", "on"}})), StartupError);
}

TEST(FsBlobStore, CreatesAMissingDirectory) {
  TempDir dir;
  const std::string root = dir.file("deep/er/blobs");
  OpenStores stores(fsConfig(root));
  EXPECT_TRUE(std::filesystem::is_directory(root + "/objects"));
  EXPECT_EQ(putString(*stores.registry().blobs("t"), "abc").size, 3u);
}

TEST(FsBlobStore, TwoStoresCannotShareADirectory) {
  TempDir dir;
  const std::string root = dir.file("blobs");
  OpenStores first(fsConfig(root));
  EXPECT_THROW(OpenStores second(fsConfig(root)), StartupError);
  EXPECT_THROW(OpenStores(ConfigValues{{"stores.blobs.a.backend", "fs"},
                                       {"stores.blobs.a.path", dir.file("other")},
                                       {"stores.blobs.b.backend", "fs"},
                                       {"stores.blobs.b.path", dir.file("other")}}),
               StartupError);
  // The first store still works.
  EXPECT_EQ(putString(*first.registry().blobs("t"), "abc").refs, 1u);
}

// Needs a small filesystem, so it runs only when STRATA_TEST_SMALL_FS names a directory on one
// (e.g. mount -t tmpfs -o size=2m tmpfs /mnt/small).
TEST(FsBlobStore, AFullDiskIsInsufficientStorageAndLeavesNothing) {
  const char* small = std::getenv("STRATA_TEST_SMALL_FS");
  if (!small || !*small) GTEST_SKIP() << "set STRATA_TEST_SMALL_FS to a small filesystem";
  const std::string root = std::string(small) + "/strata-blobs-" + newUuid();
  struct statvfs vfs;
  ASSERT_EQ(::statvfs(small, &vfs), 0);
  const uint64_t freeBytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (freeBytes > 256 * kMiB) GTEST_SKIP() << small << " has too much free space";
  {
    OpenStores stores(fsConfig(root));
    auto store = stores.registry().blobs("t");
    const std::string content = randomBytes(freeBytes + kMiB, 37);
    EXPECT_THROW(putString(*store, content), InsufficientStorage);
    EXPECT_TRUE(std::filesystem::is_empty(root + "/tmp"));
    EXPECT_TRUE(store->list().empty());
    // Space is back once the failed upload is gone.
    EXPECT_EQ(putString(*store, "abc").refs, 1u);
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace strata::test
