// The Range header of GET /blobs/{id} (byte_range.h).
#include "byte_range.h"

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <strata/errors.h>

namespace strata::admin {

// Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against `size`.
// Returns false when there is no usable Range header (serve everything).
bool parseRange(const std::string& header, uint64_t size, uint64_t& first, uint64_t& last) {
  const std::string h = Poco::trim(header);
  if (h.rfind("bytes=", 0) != 0) return false;
  const std::string spec = Poco::trim(h.substr(6));
  if (spec.find(',') != std::string::npos) return false;  // multiple ranges: send it all
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return false;
  const std::string a = Poco::trim(spec.substr(0, dash)), b = Poco::trim(spec.substr(dash + 1));
  Poco::UInt64 x = 0, y = 0;
  if (a.empty()) {
    if (!Poco::NumberParser::tryParseUnsigned64(b, y) || y == 0)
      throw RangeNotSatisfiable("unsatisfiable range '" + header + "'");
    first = y >= size ? 0 : size - y;
    last = size - 1;
  } else {
    if (!Poco::NumberParser::tryParseUnsigned64(a, x)) return false;
    if (!b.empty() && (!Poco::NumberParser::tryParseUnsigned64(b, y) || y < x)) return false;
    if (x >= size)
      throw RangeNotSatisfiable("range starts past the end of " + std::to_string(size) + " bytes");
    first = x;
    last = b.empty() || y >= size ? size - 1 : y;
  }
  if (size == 0) throw RangeNotSatisfiable("range of an empty blob");
  return true;
}

}  // namespace strata::admin
