// HDF `query=` (GET /datasets/{id}/value on compound datasets): parsed against a compound type
// with integer, float, fixed and variable string and nested fields, then matched against rows.
// Input: the query text.
#include <Poco/JSON/Parser.h>
#include <strata/arrays/datatype.h>

#include "fuzz_support.h"
#include "query.h"
#include "values.h"

using namespace strata;

namespace {

const char* const kType = R"({"class": "H5T_COMPOUND", "fields": [
  {"name": "date", "type": "H5T_STD_I32LE"},
  {"name": "count", "type": "H5T_STD_U64LE"},
  {"name": "temp", "type": "H5T_IEEE_F64LE"},
  {"name": "small", "type": "H5T_IEEE_F32BE"},
  {"name": "wind", "type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD", "length": 8}},
  {"name": "city", "type": {"class": "H5T_STRING", "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}},
  {"name": "inner", "type": {"class": "H5T_COMPOUND", "fields": [{"name": "x", "type": "H5T_STD_I8LE"}]}}
]})";

const char* const kRows[] = {
    R"([23, 18446744073709551615, 1.5, -0.0, "W 5", "Zürich", [1]])",
    R"([-2147483648, 0, 1e308, 3.5, "", "", [-128]])",
    R"([24, 7, -1.5, 1e30, "NNNNNNNN", "a'b\"c", [0]])",
};

struct Fixture {
  arrays::DatatypePtr type;
  std::vector<Poco::Dynamic::Var> rows;
  Fixture() {
    type = arrays::typeFromJson(Poco::JSON::Parser().parse(kType));
    for (const char* text : kRows) {
      std::string packed;
      arrays::encodeElement(*type, Poco::JSON::Parser().parse(text), packed);
      rows.push_back(hdf::decodeOne(*type, packed));
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expectClientErrors([&] {
    const auto query = hdf::Query::parse(text, *fixture.type);
    for (const auto& row : fixture.rows) (void)query.matches(row);
  });
  return 0;
}
