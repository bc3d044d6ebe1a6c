#pragma once
// The blobs role: file content addressed by its SHA-256 (lower-case hex), streamed in and out,
// reference counted.
//
// Contract (every backend):
// - Thread-safety: all methods may be called concurrently from any thread.
// - put() streams the content from `in` (never holding it whole), and only a complete blob
//   ever becomes visible under its id: if the stream fails or ends before `expectedSize`
//   bytes, or exceeds `maxBytes`, put() throws and leaves nothing behind. Storing content that
//   already exists adds one reference instead of a copy.
// - Each put() and addRef() adds one reference; release() drops one and deletes the content
//   when none remain. release() of an unknown id throws NotFound.
// - open() returns a reader valid even if the blob is released meanwhile (backends keep the
//   content alive or read from an open handle).
// - Errors: NotFound for unknown ids, BadRequest for malformed ids or a short stream,
//   PayloadTooLarge past maxBytes, InsufficientStorage when the disk is full.
#include <strata/export.h>

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata {

struct STRATA_API BlobInfo {
  std::string id;  // SHA-256, 64 lower-case hex digits
  uint64_t size = 0;
  uint64_t refs = 0;
};

class STRATA_API BlobReader {
 public:
  virtual ~BlobReader();
  virtual uint64_t size() const = 0;
  // Reads up to n bytes at offset; returns 0 only at or past the end.
  virtual std::size_t read(uint64_t offset, char* buffer, std::size_t n) = 0;
};

class STRATA_API BlobStore {
 public:
  virtual ~BlobStore();
  // expectedSize < 0: read to the end of the stream.
  virtual BlobInfo put(std::istream& in, int64_t expectedSize, uint64_t maxBytes) = 0;
  virtual std::optional<BlobInfo> stat(const std::string& id) = 0;
  virtual std::unique_ptr<BlobReader> open(const std::string& id) = 0;
  virtual BlobInfo addRef(const std::string& id) = 0;
  // Returns the remaining references (0: the content is gone).
  virtual uint64_t release(const std::string& id) = 0;
  virtual std::vector<BlobInfo> list() = 0;
};

// True if id is 64 lower-case hex digits.
STRATA_API bool isBlobId(const std::string& id);

struct STRATA_API IngestResult {
  std::string id;  // SHA-256 of the content
  uint64_t size = 0;
};

// The shared first half of every put(): reads `in` in 1 MiB pieces, hashing them and handing
// each to `sink`, and enforces the contract's limits: BadRequest "body_truncated" when the
// stream ends before expectedSize, "body_too_long" when it goes past it, "body_unreadable"
// when it fails; PayloadTooLarge past maxBytes (0 allows only empty content). It never reads
// more than one byte past either limit, and rethrows what the stream's buffer throws (the
// server's request stream throws PayloadTooLarge and BadRequest itself).
STRATA_API IngestResult ingestBlob(std::istream& in, int64_t expectedSize, uint64_t maxBytes,
                                   const std::function<void(const char* data, std::size_t n)>& sink);

}  // namespace strata
