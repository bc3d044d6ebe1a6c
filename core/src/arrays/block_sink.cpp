#include <strata/arrays/block_sink.h>

#include <algorithm>

namespace strata::arrays {

BlockSink::BlockSink(const ByteSink& sink, uint64_t expected) : sink_(sink) {
  buffer_.reserve(static_cast<std::size_t>(std::min<uint64_t>(expected, kSinkBlock)));
}

void BlockSink::putLarge(const char* p, std::size_t n) {
  while (n > 0) {
    if (buffer_.empty() && n >= kSinkBlock) {
      sink_(p, kSinkBlock);
      p += kSinkBlock;
      n -= kSinkBlock;
      continue;
    }
    const std::size_t take = std::min(n, kSinkBlock - buffer_.size());
    buffer_.append(p, take);
    p += take;
    n -= take;
    if (buffer_.size() == kSinkBlock) flush();
  }
}

void BlockSink::flush() {
  if (buffer_.empty()) return;
  sink_(buffer_.data(), buffer_.size());
  buffer_.clear();
}

}  // namespace strata::arrays
