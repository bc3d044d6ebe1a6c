// The Synapse query language (GET /query?query=...), parsed as the query route does.
// Input: the (URL-decoded) query text.
#include "fuzz_support.h"
#include "query_parser.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expectClientErrors([&] {
    const auto q = synapse::parseQuery(text);
    if (q.table != "dataset" && q.table != "layer") fuzz::fail("parsed a query of table '" + q.table + "'");
    if (q.limit < 1 || q.offset < 1) fuzz::fail("parsed a limit or offset below 1");
    for (const auto& clause : q.where) (void)synapse::toString(clause.op);
  });
  return 0;
}
