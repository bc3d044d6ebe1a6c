// The in-memory blobs store. Content lives in shared_ptr<const std::string>: readers share
// ownership, so a reader opened before the last release() keeps working, and nothing ever
// mutates stored content, so readers need no lock.
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/util.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace strata {

namespace {

// A client-announced size must not make us allocate it up front.
constexpr std::size_t kMaxReserve = 64 << 20;

struct Content {
  std::string id;
  std::shared_ptr<std::string> bytes;
};

// Reads the whole stream into memory (this store's whole point), hashing as it goes.
Content readAll(std::istream& in, int64_t expectedSize, uint64_t maxBytes) {
  auto bytes = std::make_shared<std::string>();
  if (expectedSize > 0 && static_cast<uint64_t>(expectedSize) <= maxBytes)
    bytes->reserve(std::min<uint64_t>(static_cast<uint64_t>(expectedSize), kMaxReserve));
  const IngestResult r = ingestBlob(in, expectedSize, maxBytes,
                                    [&](const char* data, std::size_t n) { bytes->append(data, n); });
  return Content{r.id, std::move(bytes)};
}

void requireId(const std::string& id) {
  if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
}

[[noreturn]] void throwNotFound(const std::string& id) { throw NotFound("no blob " + id); }

class MemoryBlobReader final : public BlobReader {
 public:
  explicit MemoryBlobReader(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_->size(); }
  std::size_t read(uint64_t offset, char* buffer, std::size_t n) override {
    if (offset >= bytes_->size()) return 0;
    const std::size_t count = std::min<uint64_t>(n, bytes_->size() - static_cast<std::size_t>(offset));
    std::memcpy(buffer, bytes_->data() + offset, count);
    return count;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
};

class MemoryBlobStore final : public BlobStore {
 public:
  BlobInfo put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) override {
    Content content = readAll(in, expectedSize, maxBytes);
    std::unique_lock lock(mutex_);
    auto [it, inserted] = blobs_.try_emplace(content.id);
    if (inserted) it->second.bytes = std::move(content.bytes);
    it->second.refs += 1;
    return info(it->first, it->second);
  }

  std::optional<BlobInfo> stat(const std::string& id) override {
    requireId(id);
    std::shared_lock lock(mutex_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) return std::nullopt;
    return info(it->first, it->second);
  }

  std::unique_ptr<BlobReader> open(const std::string& id) override {
    requireId(id);
    std::shared_lock lock(mutex_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) throwNotFound(id);
    return std::make_unique<MemoryBlobReader>(it->second.bytes);
  }

  BlobInfo addRef(const std::string& id) override {
    requireId(id);
    std::unique_lock lock(mutex_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) throwNotFound(id);
    it->second.refs += 1;
    return info(it->first, it->second);
  }

  uint64_t release(const std::string& id) override {
    requireId(id);
    std::unique_lock lock(mutex_);
    auto it = blobs_.find(id);
    if (it == blobs_.end()) throwNotFound(id);
    const uint64_t left = --it->second.refs;
    if (left == 0) blobs_.erase(it);
    return left;
  }

  std::vector<BlobInfo> list() override {
    std::shared_lock lock(mutex_);
    std::vector<BlobInfo> out;
    out.reserve(blobs_.size());
    for (const auto& [id, entry] : blobs_) out.push_back(info(id, entry));
    return out;
  }

 private:
  struct Entry {
    std::shared_ptr<const std::string> bytes;
    uint64_t refs = 0;
  };
  static BlobInfo info(const std::string& id, const Entry& e) {
    return BlobInfo{id, e.bytes->size(), e.refs};
  }

  std::shared_mutex mutex_;
  std::map<std::string, Entry> blobs_;
};

}  // namespace

std::shared_ptr<BlobStore> makeMemoryBlobStore() { return std::make_shared<MemoryBlobStore>(); }

}  // namespace strata
