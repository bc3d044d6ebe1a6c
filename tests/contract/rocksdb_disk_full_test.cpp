// The rocksdb backend on a full disk: blob uploads, array chunk writes and entity creates that
// do not fit throw InsufficientStorage (507); everything acknowledged before stays readable,
// also after the store is closed and opened again; and once space is freed, writes work again
// without a restart.
//
// Needs a small filesystem, so it runs only when STRATA_TEST_SMALL_FS_ROCKSDB names a directory
// on one (scripts/test.sh mounts a 64 MiB tmpfs there, as root). The tests take an flock on
// that filesystem, so that ctest's parallel runs of them do not fill it up for each other.
// Each test keeps a ballast file of 60% of the free space while it fills the rest, and deletes
// the ballast to free space: RocksDB needs room for its memtables (all that was written since
// the database opened) before it can take writes again.
#include "contract/store_contract_support.h"

#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Object.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace strata::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr const char* kSmallFs = "STRATA_TEST_SMALL_FS_ROCKSDB";

uint64_t freeBytes(const std::string& dir) {
  struct statvfs vfs;
  if (::statvfs(dir.c_str(), &vfs) != 0) return 0;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

class RocksDbDiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* small = std::getenv(kSmallFs);
    if (!small || !*small)
      GTEST_SKIP() << "set " << kSmallFs << " to a small filesystem (scripts/test.sh mounts one as root)";
    small_ = small;
    lock_ = ::open((small_ + "/.strata-disk-full.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(lock_, 0) << "cannot create a lock file in " << small_ << ": " << std::strerror(errno);
    ASSERT_EQ(::flock(lock_, LOCK_EX), 0);
    if (freeBytes(small_) > 256 * kMiB) GTEST_SKIP() << small_ << " has too much free space";
    root_ = small_ + "/strata-rocksdb-" + newUuid();
    std::filesystem::create_directories(root_);
  }

  void TearDown() override {
    if (!root_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
    }
    if (lock_ >= 0) ::close(lock_);  // releases the flock
  }

  std::map<std::string, std::string> config(const std::string& role) const {
    return {{"stores." + role + ".t.backend", "rocksdb"}, {"stores." + role + ".t.path", root_ + "/db"}};
  }

  // Takes 60% of the space that is free now.
  void placeBallast() {
    const uint64_t size = freeBytes(small_) * 6 / 10;
    ASSERT_GT(size, 4 * kMiB) << small_ << " is too small";
    const std::string chunk(kMiB, 'b');
    FILE* f = std::fopen(ballast().c_str(), "wb");
    ASSERT_TRUE(f);
    for (uint64_t done = 0; done < size; done += chunk.size())
      ASSERT_EQ(std::fwrite(chunk.data(), 1, chunk.size(), f), chunk.size());
    ASSERT_EQ(std::fclose(f), 0);
  }

  void removeBallast() { std::filesystem::remove(ballast()); }
  std::string ballast() const { return root_ + "/ballast"; }

  // Calls write(0), write(1), ... (each writing about `bytes`) until one throws
  // InsufficientStorage, and returns how many were acknowledged. Fails if the disk never fills
  // up or another error comes first.
  int fillUp(uint64_t bytes, const std::function<void(int)>& write) {
    const int most = static_cast<int>(2 * freeBytes(small_) / bytes) + 100;
    for (int i = 0; i < most; ++i) {
      try {
        write(i);
      } catch (const InsufficientStorage& e) {
        EXPECT_EQ(e.status(), 507);
        EXPECT_NE(std::string(e.what()).find("out of space"), std::string::npos) << e.what();
        return i;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "write " << i
                      << " failed with something other than InsufficientStorage: " << e.what();
        return i;
      }
    }
    ADD_FAILURE() << "the disk never filled up after " << most << " writes";
    return most;
  }

  std::string small_;
  std::string root_;
  int lock_ = -1;
};

// ---- blobs

// 1.5 MiB and a little: one whole 1 MiB chunk and a part of one.
std::string content(int i) { return randomBytes(kMiB + kMiB / 2 + static_cast<std::size_t>(i), 1000 + i); }

std::string put(BlobStore& store, const std::string& bytes) {
  std::istringstream in(bytes);
  return store.put(in, static_cast<int64_t>(bytes.size()), UINT64_MAX).id;
}

std::string readAll(BlobStore& store, const std::string& id) {
  auto reader = store.open(id);
  std::string out(reader->size(), '\0');
  EXPECT_EQ(reader->read(0, &out[0], out.size()), out.size());
  return out;
}

TEST_F(RocksDbDiskFull, BlobUploadsGetInsufficientStorageAndAcknowledgedBlobsSurvive) {
  std::vector<std::string> ids;  // ids[i] holds content(i)
  std::string later;             // uploaded once space was freed
  const auto expectAcknowledged = [&](BlobStore& store) {
    std::set<std::string> want(ids.begin(), ids.end());
    if (!later.empty()) want.insert(later);
    std::set<std::string> listed;
    for (const auto& info : store.list()) listed.insert(info.id);
    EXPECT_EQ(listed, want) << "the store lists exactly the acknowledged blobs";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_TRUE(readAll(store, ids[i]) == content(static_cast<int>(i))) << "blob " << i;
      EXPECT_EQ(store.stat(ids[i])->refs, 1u) << "blob " << i;
    }
    if (!later.empty()) {
      EXPECT_EQ(readAll(store, later), "later");
    }
  };
  {
    OpenStores stores(config("blobs"));
    auto store = stores.registry().blobs("t");
    ASSERT_NO_FATAL_FAILURE(placeBallast());
    const int acknowledged =
        fillUp(content(0).size(), [&](int i) { ids.push_back(put(*store, content(i))); });
    ASSERT_EQ(static_cast<std::size_t>(acknowledged), ids.size());
    ASSERT_GE(acknowledged, 3) << "the disk filled up too soon to tell anything";
    {
      SCOPED_TRACE("disk full");
      expectAcknowledged(*store);
      // Still full: a small upload fails too.
      EXPECT_THROW(put(*store, "small"), InsufficientStorage);
    }
    removeBallast();
    later = put(*store, "later");
    SCOPED_TRACE("space freed");
    expectAcknowledged(*store);
  }
  OpenStores reopened(config("blobs"));
  SCOPED_TRACE("reopened");
  expectAcknowledged(*reopened.registry().blobs("t"));
}

// ---- arrays

using arrays::Hyperslab;
using arrays::Selection;

std::string slab(int i) { return randomBytes(kMiB, 2000 + i); }

// Slab i is bytes [i MiB, (i+1) MiB) of a 1 GiB uint8 dataset chunked by 1 MiB: one chunk.
Selection slabSelection(int i) {
  return Selection::hyperslab(Hyperslab{{static_cast<uint64_t>(i) * kMiB}, {kMiB}, {1}});
}

void writeSlab(ArrayStore& store, const std::string& c, const std::string& id, int i) {
  const std::string bytes = slab(i);
  store.write(c, id, slabSelection(i), sourceOf(bytes), bytes.size());
}

std::string readSlab(ArrayStore& store, const std::string& c, const std::string& id, int i) {
  std::string out;
  store.read(c, id, slabSelection(i), [&](const char* d, std::size_t n) { out.append(d, n); });
  return out;
}

TEST_F(RocksDbDiskFull, ArrayChunkWritesGetInsufficientStorageAndAcknowledgedChunksSurvive) {
  const std::string c = "disk/full";
  std::string id;
  int acknowledged = 0;
  bool later = false;  // slab `acknowledged` was written once space was freed
  const auto expectAcknowledged = [&](ArrayStore& store) {
    for (int i = 0; i < acknowledged; ++i) EXPECT_TRUE(readSlab(store, c, id, i) == slab(i)) << "slab " << i;
    if (later)
      EXPECT_TRUE(readSlab(store, c, id, acknowledged) == slab(acknowledged)) << "the later slab";
    else  // the write that failed left nothing: its chunk reads as the fill value
      EXPECT_TRUE(readSlab(store, c, id, acknowledged) == std::string(kMiB, '\0')) << "the failed slab";
  };
  {
    OpenStores stores(config("arrays"));
    auto store = stores.registry().arrays("t");
    store->createContainer(c);
    DatasetSpec spec;
    spec.type = arrays::intType(1, false);
    spec.shape = {ShapeClass::Simple, {1024 * kMiB}, {1024 * kMiB}};
    spec.chunks = {kMiB};
    id = store->createDataset(c, spec).object.id;
    ASSERT_NO_FATAL_FAILURE(placeBallast());
    acknowledged = fillUp(kMiB, [&](int i) { writeSlab(*store, c, id, i); });
    ASSERT_GE(acknowledged, 3) << "the disk filled up too soon to tell anything";
    {
      SCOPED_TRACE("disk full");
      expectAcknowledged(*store);
      EXPECT_THROW(store->createGroup(c), InsufficientStorage);
    }
    removeBallast();
    writeSlab(*store, c, id, acknowledged);
    later = true;
    SCOPED_TRACE("space freed");
    expectAcknowledged(*store);
  }
  OpenStores reopened(config("arrays"));
  SCOPED_TRACE("reopened");
  expectAcknowledged(*reopened.registry().arrays("t"));
}

// ---- entities

// About 64 KiB of JSON.
Poco::JSON::Object::Ptr body(int i) {
  static const char* const kHex = "0123456789abcdef";
  const std::string bytes = randomBytes(32 << 10, 3000 + i);
  std::string text;
  for (unsigned char b : bytes) {
    text += kHex[b >> 4];
    text += kHex[b & 15];
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("n", i);
  o->set("text", text);
  return o;
}

TEST_F(RocksDbDiskFull, EntityCreatesGetInsufficientStorageAndAcknowledgedEntitiesSurvive) {
  int acknowledged = 0;
  bool later = false;  // e<acknowledged> was created once space was freed
  const auto expectAcknowledged = [&](EntityStore& store) {
    for (int i = 0; i < acknowledged; ++i) {
      const auto e = store.find("c", "e" + std::to_string(i));
      ASSERT_TRUE(e) << "entity " << i;
      EXPECT_EQ(e->body->getValue<int>("n"), i);
      EXPECT_EQ(e->body->getValue<std::string>("text"), body(i)->getValue<std::string>("text"))
          << "entity " << i;
    }
    EXPECT_EQ(store.find("c", "e" + std::to_string(acknowledged)).has_value(), later);
    EntityQuery q;
    EXPECT_EQ(store.list("c", q).total, static_cast<uint64_t>(acknowledged + (later ? 1 : 0)));
  };
  {
    OpenStores stores(config("entities"));
    auto store = stores.registry().entities("t");
    ASSERT_NO_FATAL_FAILURE(placeBallast());
    acknowledged = fillUp(64 << 10, [&](int i) { store->create("c", "e" + std::to_string(i), body(i)); });
    ASSERT_GE(acknowledged, 3) << "the disk filled up too soon to tell anything";
    {
      SCOPED_TRACE("disk full");
      expectAcknowledged(*store);
      // An update fails too, and e0 keeps its body.
      EXPECT_THROW(store->update("c", "e0", body(999), ""), InsufficientStorage);
    }
    removeBallast();
    store->create("c", "e" + std::to_string(acknowledged), body(acknowledged));
    later = true;
    SCOPED_TRACE("space freed");
    expectAcknowledged(*store);
  }
  OpenStores reopened(config("entities"));
  SCOPED_TRACE("reopened");
  expectAcknowledged(*reopened.registry().entities("t"));
}

}  // namespace
}  // namespace strata::test
