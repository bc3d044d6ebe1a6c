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

constexpr std::size_t kChunk = 1 << 20;
// A client-announced size must not make us allocate it up front.
constexpr std::size_t kMaxReserve = 64 << 20;

// Makes the stream rethrow what its streambuf throws (by default an istream swallows it and
// only sets badbit), and keeps the caller's own mask (failbit, eofbit) from turning a plain
// end of stream into std::ios_base::failure. Restores the caller's mask on exit.
class StreamExceptionScope {
 public:
  explicit StreamExceptionScope(std::istream& in) : in_(in), saved_(in.exceptions()) {
    if (in.bad()) throw BadRequest("body_unreadable", "the request body stream has failed");
    in_.exceptions(std::ios::badbit);
  }
  ~StreamExceptionScope() {
    try {
      in_.exceptions(saved_);
    } catch (...) {
      // Restoring a mask that matches the current state throws; the state is what matters.
    }
  }
  StreamExceptionScope(const StreamExceptionScope&) = delete;
  StreamExceptionScope& operator=(const StreamExceptionScope&) = delete;

 private:
  std::istream& in_;
  std::ios::iostate saved_;
};

struct Content {
  std::string id;
  std::shared_ptr<std::string> bytes;
};

// Reads the whole stream in kChunk pieces, enforcing expectedSize and maxBytes, hashing as it
// goes. Never reads more than one byte past either limit.
Content readAll(std::istream& in, int64_t expectedSize, uint64_t maxBytes) {
  if (expectedSize >= 0 && static_cast<uint64_t>(expectedSize) > maxBytes)
    throw PayloadTooLarge("the content is " + std::to_string(expectedSize) +
                          " bytes, more than the limit of " + std::to_string(maxBytes));
  StreamExceptionScope scope(in);
  Sha256 sha;
  auto bytes = std::make_shared<std::string>();
  if (expectedSize > 0)
    bytes->reserve(std::min<uint64_t>(static_cast<uint64_t>(expectedSize), kMaxReserve));
  std::vector<char> buffer(kChunk);
  uint64_t total = 0;
  for (;;) {
    // Ask for one byte more than the limit allows, to tell "exactly at the limit" from "over".
    const uint64_t limit =
        expectedSize >= 0 ? static_cast<uint64_t>(expectedSize) : maxBytes;
    const uint64_t room = limit - total;
    const std::size_t want = room < kChunk ? static_cast<std::size_t>(room) + 1 : kChunk;
    in.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > room) {
      if (expectedSize >= 0)
        throw BadRequest("body_too_long", "the content is longer than the announced " +
                                              std::to_string(expectedSize) + " bytes");
      throw PayloadTooLarge("the content is larger than the limit of " +
                            std::to_string(maxBytes) + " bytes");
    }
    sha.update(buffer.data(), n);
    bytes->append(buffer.data(), n);
    total += n;
    if (in.bad()) throw BadRequest("body_unreadable", "the request body stream has failed");
    if (n < want) break;  // end of stream
  }
  if (expectedSize >= 0 && total < static_cast<uint64_t>(expectedSize))
    throw BadRequest("body_truncated", "the content ended after " + std::to_string(total) +
                                           " of " + std::to_string(expectedSize) + " bytes");
  return Content{sha.hexDigest(), std::move(bytes)};
}

void requireId(const std::string& id) {
  if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
}

[[noreturn]] void throwNotFound(const std::string& id) { throw NotFound("no blob " + id); }

class MemoryBlobReader final : public BlobReader {
 public:
  explicit MemoryBlobReader(std::shared_ptr<const std::string> bytes)
      : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_->size(); }
  std::size_t read(uint64_t offset, char* buffer, std::size_t n) override {
    if (offset >= bytes_->size()) return 0;
    const std::size_t count =
        std::min<uint64_t>(n, bytes_->size() - static_cast<std::size_t>(offset));
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
