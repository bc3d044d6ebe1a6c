// multipart/form-data bodies (Slycat's PUT .../arraysets/{aid}/data), read part by part as the
// route reads them: small fields into strings with a cap, file parts copied to a file.
// Input: the boundary on the first line, the body after it.
#include <cstdio>
#include <sstream>

#include "fuzz_support.h"
#include "multipart_form.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static std::FILE* sink = std::tmpfile();
  const auto split = fuzz::splitFirstLine(data, size);
  const std::string& boundary = split.first;
  const std::string& body = split.second;
  std::istringstream in(body);
  fuzz::expectClientErrors([&] {
    slycat::MultipartForm form(in, "multipart/form-data; boundary=" + boundary);
    for (int parts = 0; parts < 64 && form.next(); ++parts) {
      (void)form.name();
      if (form.isFile()) {
        std::rewind(sink);
        uint64_t copied = 0;
        (void)form.copyTo(sink, 1 << 16, copied);
      } else {
        std::string field;
        (void)form.readField(field, 1 << 12);
      }
    }
  });
  return 0;
}
