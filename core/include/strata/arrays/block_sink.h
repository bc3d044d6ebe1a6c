#pragma once
// The block sink of the arrays role: how every arrays backend hands read values to a
// ByteSink. Small pieces (single variable-length elements, short runs) are gathered into
// blocks of up to kSinkBlock bytes, so that the HTTP layer writes large blocks (see
// DESIGN.md: small writes cap a download far below what the socket can do); pieces of a
// block or more pass through without a copy.
//
// Contract: put() hands bytes on in the order given; flush() hands on what is gathered and
// must be called once after the last put (the destructor does not, so that an exception
// while reading never sends a partial block). Not thread-safe: one per read.
#include <strata/export.h>
#include <strata/stores/array_store.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace strata::arrays {

inline constexpr std::size_t kSinkBlock = std::size_t{4} << 20;

class STRATA_API BlockSink {
 public:
  // `expected`: the bytes the read will put, if known, to size the buffer (never more than a
  // block is reserved).
  explicit BlockSink(const ByteSink& sink, uint64_t expected = kSinkBlock);
  BlockSink(const BlockSink&) = delete;
  BlockSink& operator=(const BlockSink&) = delete;

  void put(const char* data, std::size_t n) {
    // The common case inline: a small piece that fits the block.
    if (n < kSinkBlock - buffer_.size()) {
      buffer_.append(data, n);
      return;
    }
    putLarge(data, n);
  }
  void flush();

 private:
  void putLarge(const char* data, std::size_t n);

  const ByteSink& sink_;
  std::string buffer_;
};

}  // namespace strata::arrays
