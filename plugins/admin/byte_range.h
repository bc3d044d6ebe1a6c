#pragma once
// The Range header of GET /blobs/{id} (RFC 9110 byte ranges, one range only).
#include <cstdint>
#include <string>

namespace strata::admin {

// Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against `size`: the first and last
// byte (inclusive) to send. Returns false when there is no usable Range header (serve
// everything: another unit, several ranges, text that is not a range). Throws
// RangeNotSatisfiable (416) for a range that starts past the end, an empty suffix or an empty blob.
bool parseRange(const std::string& header, uint64_t size, uint64_t& first, uint64_t& last);

}  // namespace strata::admin
