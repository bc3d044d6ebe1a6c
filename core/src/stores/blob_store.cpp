#include <strata/errors.h>
#include <strata/stores/blob_store.h>
#include <strata/util.h>

#include <vector>

namespace strata {

BlobStore::~BlobStore() = default;
BlobReader::~BlobReader() = default;

bool isBlobId(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace strata

namespace strata {

namespace {

constexpr std::size_t kChunk = 1 << 20;

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

}  // namespace

IngestResult ingestBlob(std::istream& in, int64_t expectedSize, uint64_t maxBytes,
                        const std::function<void(const char*, std::size_t)>& sink) {
  if (expectedSize >= 0 && static_cast<uint64_t>(expectedSize) > maxBytes)
    throw PayloadTooLarge("the content is " + std::to_string(expectedSize) +
                          " bytes, more than the limit of " + std::to_string(maxBytes));
  StreamExceptionScope scope(in);
  Sha256 sha;
  std::vector<char> buffer(kChunk);
  uint64_t total = 0;
  const uint64_t limit = expectedSize >= 0 ? static_cast<uint64_t>(expectedSize) : maxBytes;
  for (;;) {
    // Ask for one byte more than the limit allows, to tell "exactly at the limit" from "over".
    const uint64_t room = limit - total;
    const std::size_t want = room < kChunk ? static_cast<std::size_t>(room) + 1 : kChunk;
    in.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > room) {
      if (expectedSize >= 0)
        throw BadRequest("body_too_long", "the content is longer than the announced " +
                                              std::to_string(expectedSize) + " bytes");
      throw PayloadTooLarge("the content is larger than the limit of " + std::to_string(maxBytes) + " bytes");
    }
    sha.update(buffer.data(), n);
    sink(buffer.data(), n);
    total += n;
    if (in.bad()) throw BadRequest("body_unreadable", "the request body stream has failed");
    if (n < want) break;  // end of stream
  }
  if (expectedSize >= 0 && total < static_cast<uint64_t>(expectedSize))
    throw BadRequest("body_truncated", "the content ended after " + std::to_string(total) + " of " +
                                           std::to_string(expectedSize) + " bytes");
  return {sha.hexDigest(), total};
}

}  // namespace strata
