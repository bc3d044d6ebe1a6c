// Slycat Hyperchunks (the `hyperchunks=` parameter and POST bodies of arrayset reads): parsed,
// printed in canonical form and parsed back (toString's promise: parse(toString(x)) == x),
// then expanded and evaluated against a small in-memory arrayset as the data routes do.
// Input: the hyperchunks text.
#include <strata/errors.h>

#include "fuzz_support.h"
#include "hyperchunks.h"

using namespace strata;
using namespace strata::slycat;

namespace {

// Arrays 0 (3x4) and 2 (5): an int64, a float64 and a string attribute each; array 1 missing.
class Reader : public ArraysetReader {
 public:
  std::vector<int64_t> arrays() const override { return {0, 2}; }
  ArrayInfo array(int64_t id) const override {
    ArrayInfo info;
    info.shape = id == 0 ? std::vector<uint64_t>{3, 4} : std::vector<uint64_t>{5};
    info.attributes = {{"n", "int64"}, {"x", "float64"}, {"s", "string"}};
    return info;
  }
  Column read(int64_t array, int64_t attribute) const override {
    const std::size_t n = array == 0 ? 12 : 5;
    Column c;
    c.type = attribute == 0 ? "int64" : attribute == 1 ? "float64" : "string";
    for (std::size_t i = 0; i < n; ++i) {
      if (attribute == 0) c.numbers.push_back(static_cast<double>(i % 3) - 1);
      if (attribute == 1) c.numbers.push_back(i == 2 ? 0.0 / 0.0 : 0.5 * static_cast<double>(i));
      if (attribute == 2) c.strings.push_back(i % 2 ? "b" : "a\"");
    }
    return c;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.maxItems = 1000;
  fuzz::expectClientErrors([&] {
    const Hyperchunks chunks = parseHyperchunks(text, limits);
    const std::string canonical = toString(chunks);
    Hyperchunks again;
    try {
      again = parseHyperchunks(canonical, limits);
    } catch (const Error& e) {
      fuzz::fail("the canonical form '" + canonical + "' does not parse: " + e.what());
    }
    if (!(again == chunks)) fuzz::fail("parse(toString(x)) != x for '" + canonical + "'");
    const Reader reader;
    Evaluator evaluator(reader);
    for (const Item& item : expandHyperchunks(chunks, reader, limits)) {
      if (!item.hasAttribute || !item.hyperslice) continue;
      // Each item may be a BadRequest of its own (an expression of the wrong type).
      fuzz::expectClientErrors([&] { (void)evaluator.evaluate(chunks, item); });
    }
  });
  return 0;
}
