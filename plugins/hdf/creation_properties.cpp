// The maxdims and creationProperties of a dataset create request (creation_properties.h).
#include "creation_properties.h"

#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include <algorithm>

#include "values.h"

namespace strata::hdf {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

void parseMaxdims(const Object& body, Shape& shape) {
  if (!body.has("maxdims") || body.get("maxdims").isEmpty()) return;
  if (shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: maxdims not valid for H5S_NULL dataspace");
  const Var v = body.get("maxdims");
  std::vector<Var> items;
  if (auto list = asArray(v))
    for (std::size_t i = 0; i < list->size(); ++i) items.push_back(list->get(static_cast<unsigned>(i)));
  else
    items.push_back(v);
  if (items.size() != shape.dims.size())
    throw BadRequest("Bad Request: maxdims array length must equal shape array length");
  for (std::size_t i = 0; i < items.size(); ++i) {
    uint64_t m;
    if (items[i].isString() && items[i].convert<std::string>() == "H5S_UNLIMITED")
      m = kUnlimited;
    else
      m = toCount(items[i], "a maxdims extent");
    if (m == 0) m = kUnlimited;
    if (m < shape.dims[i]) throw BadRequest("Bad Request: maxdims extent can't be smaller than shape extent");
    shape.maxdims.push_back(m);
  }
}

namespace {

const std::vector<FilterClass>& filterClasses() {
  static const std::vector<FilterClass> classes = {
      {"H5Z_FILTER_DEFLATE", "deflate", 1, {"level"}},
      {"H5Z_FILTER_SHUFFLE", "shuffle", 2, {}},
      {"H5Z_FILTER_FLETCHER32", "fletcher32", 3, {}},
      {"H5Z_FILTER_SZIP", "szip", 4, {"bitsPerPixel", "coding", "pixelsPerBlock", "pixelsPerScanline"}},
      {"H5Z_FILTER_NBIT", "nbit", 5, {}},
      {"H5Z_FILTER_SCALEOFFSET", "scaleoffset", 6, {"scaleType", "scaleOffset"}},
      {"H5Z_FILTER_LZF", "lzf", 32000, {}},
      {"H5Z_FILTER_USER", "user", -1, {"parameters"}},
  };
  return classes;
}

const FilterClass* filterClassNamed(const std::string& name) {
  for (const auto& c : filterClasses())
    if (name == c.cls || name == c.name) return &c;
  if (name == "gzip") return &filterClasses()[0];  // h5py's name for deflate
  // h5pyd writes fletcher32 as this class (with id 3).
  if (name == "H5Z_FLETCHER_DEFLATE") return &filterClasses()[2];
  return nullptr;
}

}  // namespace

const FilterClass* filterClassOf(int id) {
  for (const auto& c : filterClasses())
    if (c.id == id) return &c;
  return nullptr;
}

Filter parseFilter(const Var& v) {
  std::string cls;
  int64_t id = -1;
  Object::Ptr o;
  if (v.type() == typeid(Object::Ptr)) {
    o = v.extract<Object::Ptr>();
    if (o->has("class")) {
      if (!o->get("class").isString()) throw BadRequest("Bad Request: a filter's class must be a string");
      cls = o->getValue<std::string>("class");
    }
    if (o->has("id")) id = static_cast<int64_t>(toCount(o->get("id"), "a filter id"));
    if (o->has("name") && !o->get("name").isString())
      throw BadRequest("Bad Request: a filter's name must be a string");
    if (cls.empty() && o->has("name")) cls = o->getValue<std::string>("name");
  } else if (v.isString()) {
    cls = v.convert<std::string>();
  } else if (v.isInteger()) {
    id = static_cast<int64_t>(toCount(v, "a filter id"));
  } else {
    throw BadRequest("Bad Request: a filter must be an object, a name or an id");
  }
  const FilterClass* fc = nullptr;
  if (!cls.empty()) {
    fc = filterClassNamed(cls);
    if (!fc) throw BadRequest("Bad Request: unknown filter '" + cls + "'");
    if (fc->id < 0) {
      // h5pyd names the compressors it has no class for: {"class": "H5Z_FILTER_USER", "name": "zstd"}.
      const std::string name = o && o->has("name") ? o->getValue<std::string>("name") : "";
      if (id <= 0 && !name.empty()) {
        fc = filterClassNamed(name);
        if (!fc || fc->id < 0) throw BadRequest("Bad Request: unknown filter '" + name + "'");
      } else if (id <= 0) {
        throw BadRequest("Bad Request: an H5Z_FILTER_USER filter needs its numeric id");
      } else if (filterClassOf(static_cast<int>(id))) {
        fc = filterClassOf(static_cast<int>(id));  // a known filter given as a user filter
      }
    } else if (id >= 0 && id != fc->id) {
      throw BadRequest("Bad Request: filter '" + cls + "' has id " + std::to_string(fc->id) + ", not " +
                       std::to_string(id));
    }
  } else {
    if (id <= 0 || id > 65535)
      throw BadRequest("Bad Request: a filter needs a class or an id from 1 to 65535");
    fc = filterClassOf(static_cast<int>(id));
  }
  if (id > 65535) throw BadRequest("Bad Request: filter ids are at most 65535");
  const std::string label = fc ? fc->cls : "filter " + std::to_string(id);
  const int fid = fc && fc->id > 0 ? fc->id : static_cast<int>(id);
  if (o) {
    // hdf5-json's keys for this class, and "parameters" (the raw cd_values) for the filters
    // that have no typed keys of their own (szip, nbit, lzf, user filters).
    const bool typed = fid == 1 || fid == 2 || fid == 3 || fid == 6;
    for (const auto& key : o->getNames()) {
      if (key == "class" || key == "id" || key == "name" || (key == "parameters" && !typed)) continue;
      if (!fc || std::find(fc->keys.begin(), fc->keys.end(), key) == fc->keys.end())
        throw BadRequest("Bad Request: unknown key '" + key + "' for " + label);
    }
  }
  auto integer = [&](const char* key, int64_t lo, int64_t hi, int64_t dflt) -> int64_t {
    if (!o || !o->has(key)) return dflt;
    const Var x = o->get(key);
    if (!x.isInteger())
      throw BadRequest(std::string("Bad Request: ") + key + " of " + label + " must be an integer");
    const auto n = x.convert<int64_t>();
    if (n < lo || n > hi)
      throw BadRequest(std::string("Bad Request: ") + key + " of " + label + " must be " +
                       std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(n));
    return n;
  };
  Filter f;
  f.id = fid;
  switch (f.id) {
    case 1:
      f.kind = Filter::Kind::Deflate;
      f.level = static_cast<int>(integer("level", 0, 9, 6));
      return f;
    case 2:
      f.kind = Filter::Kind::Shuffle;
      return f;
    case 3:
      f.kind = Filter::Kind::Fletcher32;
      return f;
    case 6:
      f.kind = Filter::Kind::ScaleOffset;
      f.scaleType = "H5Z_SO_INT";
      if (o && o->has("scaleType")) {
        if (!o->get("scaleType").isString()) throw BadRequest("Bad Request: scaleType must be a string");
        f.scaleType = o->getValue<std::string>("scaleType");
        if (f.scaleType != "H5Z_SO_INT" && f.scaleType != "H5Z_SO_FLOAT_DSCALE" &&
            f.scaleType != "H5Z_SO_FLOAT_ESCALE")
          throw BadRequest("Bad Request: unknown scaleType '" + f.scaleType + "'");
      }
      // HDF5 refuses a negative factor for H5Z_SO_INT itself (400).
      f.scaleOffset = static_cast<int>(integer("scaleOffset", -1000, 1000, 0));
      return f;
    default:
      break;
  }
  f.kind = Filter::Kind::Other;
  if (o && o->has("parameters")) {
    auto params = asArray(o->get("parameters"));
    if (!params) throw BadRequest("Bad Request: filter parameters must be a list of integers");
    for (std::size_t i = 0; i < params->size(); ++i)
      f.parameters.push_back(
          static_cast<unsigned>(toCount(params->get(static_cast<unsigned>(i)), "a filter parameter")));
  }
  if (f.id == 4 && f.parameters.empty()) {
    // h5py's default szip options are ('nn', 8).
    unsigned coding = kSzipNn;
    if (o && o->has("coding")) {
      const Var c = o->get("coding");
      const std::string name = c.isString() ? c.convert<std::string>() : "";
      if (name == "H5_SZIP_EC_OPTION_MASK")
        coding = kSzipEc;
      else if (name != "H5_SZIP_NN_OPTION_MASK")
        throw BadRequest(
            "Bad Request: the SZIP coding must be \"H5_SZIP_EC_OPTION_MASK\" or "
            "\"H5_SZIP_NN_OPTION_MASK\"");
    }
    // bitsPerPixel and pixelsPerScanline are HDF5's to choose (GET reports them), except that
    // h5pyd sends its pixels per block as bitsPerPixel when it gives no pixelsPerBlock.
    const bool h5pyd = o && o->has("bitsPerPixel") && !o->has("pixelsPerBlock");
    const int64_t ppb = h5pyd ? integer("bitsPerPixel", 2, 32, 8) : integer("pixelsPerBlock", 2, 32, 8);
    if (ppb % 2) throw BadRequest("Bad Request: pixelsPerBlock of H5Z_FILTER_SZIP must be even");
    integer("bitsPerPixel", 1, 64, 0);
    integer("pixelsPerScanline", 1, 4294967295LL, 0);
    f.parameters = {coding, static_cast<unsigned>(ppb)};
  }
  return f;
}

void parseCreationProperties(const Object& body, const arrays::Datatype& type, DatasetSpec& spec) {
  if (!body.has("creationProperties") || body.get("creationProperties").isEmpty()) return;
  auto props = body.getObject("creationProperties");
  if (!props) throw BadRequest("Bad Request: creationProperties must be an object");
  spec.creationProperties = props;
  const Shape& shape = spec.shape;
  if (props->has("layout") && !props->get("layout").isEmpty()) {
    auto layout = props->getObject("layout");
    if (!layout || !layout->has("class") || !layout->get("class").isString())
      throw BadRequest("Bad Request: layout must be an object with a class");
    const std::string cls = layout->getValue<std::string>("class");
    if (cls == "H5D_CHUNKED") {
      if (shape.cls != ShapeClass::Simple)
        throw BadRequest("Bad Request: a chunked layout needs a dataset with dimensions");
      auto dims = layout->has("dims") ? asArray(layout->get("dims")) : nullptr;
      if (!dims) throw BadRequest("Bad Request: a chunked layout needs dims");
      if (dims->size() != shape.dims.size())
        throw BadRequest("Bad Request: chunk dims must have the rank of the dataset");
      for (std::size_t i = 0; i < dims->size(); ++i) {
        const uint64_t c = toCount(dims->get(static_cast<unsigned>(i)), "a chunk extent");
        if (c == 0) throw BadRequest("Bad Request: chunk extents must be positive");
        const uint64_t max = shape.maxdims.empty() ? shape.dims[i] : shape.maxdims[i];
        if (max != kUnlimited && c > max)
          throw BadRequest("Bad Request: chunk extent " + std::to_string(c) + " of dimension " +
                           std::to_string(i) + " is larger than the dataset's maximum extent " +
                           std::to_string(max));
        spec.chunks.push_back(c);
      }
    } else if (cls != "H5D_CONTIGUOUS" && cls != "H5D_COMPACT") {
      throw BadRequest("Bad Request: unsupported layout class '" + cls + "'");
    }
  }
  if (props->has("fillValue") && !props->get("fillValue").isEmpty()) {
    std::string fill;
    arrays::encodeElement(type, props->get("fillValue"), fill);
    spec.fillValue = fill;
  }
  if (props->has("filters") && !props->get("filters").isEmpty()) {
    auto filters = asArray(props->get("filters"));
    if (!filters) throw BadRequest("Bad Request: filters must be a list");
    for (std::size_t i = 0; i < filters->size(); ++i)
      spec.filters.push_back(parseFilter(filters->get(static_cast<unsigned>(i))));
  }
}

}  // namespace strata::hdf
