// The HTTP Range header of GET /blobs/{id} (admin plugin), parsed against a blob size. A
// usable range must lie inside the blob; bad ranges are 416 or ignored (the whole blob).
// Input: the blob size on the first line, the header value after it.
#include "byte_range.h"
#include "fuzz_support.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto split = fuzz::splitFirstLine(data, size);
  const std::string& sizeLine = split.first;
  const std::string& header = split.second;
  uint64_t blob = 0;
  for (char c : sizeLine.substr(0, 19))
    if (c >= '0' && c <= '9') blob = blob * 10 + static_cast<uint64_t>(c - '0');
  fuzz::expectClientErrors([&] {
    uint64_t first = 0, last = 0;
    if (admin::parseRange(header, blob, first, last) && !(first <= last && last < blob))
      fuzz::fail("range " + std::to_string(first) + "-" + std::to_string(last) + " outside a blob of " +
                 std::to_string(blob) + " bytes");
  });
  return 0;
}
