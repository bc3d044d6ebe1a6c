// The body of POST /datasets (and the type of POST /datatypes and of attributes): the type
// JSON, shape, maxdims and creationProperties (layout, fill value, filters), parsed as
// createDataset does. The type must survive a round trip through its JSON form.
// Input: the request body.
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/validation.h>

#include "creation_properties.h"
#include "fuzz_support.h"
#include "values.h"

using namespace strata;
using Poco::JSON::Object;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto json = fuzz::requestJson(std::string(reinterpret_cast<const char*>(data), size));
  if (!json) return 0;
  // A bare type (POST /datatypes' "type", an attribute's type) as well as a whole body.
  fuzz::expectClientErrors([&] {
    const auto type = arrays::typeFromJson(*json);
    const auto again = arrays::typeFromJson(arrays::typeToJson(*type));
    if (!(*again == *type)) fuzz::fail("typeFromJson(typeToJson(t)) != t");
    (void)arrays::zeroElement(*type);
  });
  if (json->type() != typeid(Object::Ptr)) return 0;
  const auto body = json->extract<Object::Ptr>();
  fuzz::expectClientErrors([&] {
    if (!body->has("type")) return;
    DatasetSpec spec;
    spec.type = arrays::typeFromJson(body->get("type"));
    arrays::checkType(spec.type, "type");
    spec.shape = hdf::shapeFromJson(*body);
    hdf::parseMaxdims(*body, spec.shape);
    hdf::parseCreationProperties(*body, *spec.type, spec);
    arrays::checkChunkBytes(spec);
    if (!spec.fillValue.empty()) (void)hdf::decodeOne(*spec.type, spec.fillValue);
  });
  return 0;
}
