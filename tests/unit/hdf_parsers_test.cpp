// The hdf plugin's parsers of client input (plugins/hdf: values.cpp, creation_properties.cpp,
// value_body.cpp, query.cpp), linked in directly: the cases the fuzz targets (fuzz/) found,
// each a BadRequest now. docs/reliability.md, "Fuzzing".
#include "creation_properties.h"
#include "value_body.h"
#include "values.h"

#include <strata/errors.h>

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace strata::test {
namespace {

using namespace strata::hdf;

Shape simple(std::vector<uint64_t> dims) {
  Shape s;
  s.cls = ShapeClass::Simple;
  s.dims = std::move(dims);
  return s;
}

// hdf_select: a coordinate list next to a slice of a huge dimension expanded the slice into a
// list of indices before checking the product against the limit (2^40 indices: memory
// exhaustion, the server killed or a 500).
TEST(HdfParsers, CoordinateSelectionWithAHugeSliceIsRefusedBeforeExpanding) {
  const Shape shape = simple({1, uint64_t{1} << 40});
  EXPECT_THROW(shapedSelectionFromText(std::string("[[0],0:1099511627776]"), shape, 1 << 20), BadRequest);
  EXPECT_THROW(shapedSelectionFromText(std::string("[0:1099511627776:2,[0]]"), simple({uint64_t{1} << 40, 1}),
                                       1 << 20),
               BadRequest);
  // Within the limit, the product is still the selection.
  const auto ok = shapedSelectionFromText(std::string("[[0],0:1000]"), shape, 1 << 20);
  EXPECT_EQ(ok.dims, (std::vector<uint64_t>{1, 1000}));
  EXPECT_EQ(ok.sel.size(), 1000u);
}

// hdf_value: RapidJSON 1.1.0's full-precision conversion read numbers of zeros with many
// decimals as values that are not zero (0.000...0 as 1.8e-12): the fast path of PUT value
// stored them so. Now they are zero, as the Poco path reads them.
TEST(HdfParsers, ValueBodyReadsNumbersOfZerosAsZero) {
  const auto f64 = arrays::floatType(8);
  const std::string body =
      R"({"value": [0.000000000000000000000000000000000000000000000, -0.000000000000000000000000000000000000e5, )"
      R"(0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001]})";
  const auto vb = ValueBody::parse(body);
  const std::string packed = vb.encodeValue(*f64, {3});
  ASSERT_EQ(packed.size(), 3 * sizeof(double));
  double v[3];
  std::memcpy(v, packed.data(), sizeof v);
  EXPECT_EQ(v[0], 0.0);
  EXPECT_EQ(v[1], 0.0);
  EXPECT_TRUE(std::signbit(v[1]));
  EXPECT_EQ(v[2], 1e-91);
  // The same bytes as the Poco path.
  const auto json = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(packed, encodeValue(*f64, {3}, json->get("value")));
}

}  // namespace
}  // namespace strata::test
