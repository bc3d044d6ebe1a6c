// Datasets and committed datatypes: /datasets, /datasets/{id}, /datasets/{id}/shape,
// /datasets/{id}/type, /datatypes, /datatypes/{id}.
#include <Poco/JSON/Array.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>

#include <algorithm>
#include <vector>

#include "responses.h"
#include "routes.h"
#include "values.h"

namespace strata::hdf {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// "maxdims": int | [int | "H5S_UNLIMITED"...]; 0 means unlimited.
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

// SZIP's coding options (H5_SZIP_EC_OPTION_MASK, H5_SZIP_NN_OPTION_MASK in H5public.h). An
// SZIP filter is a Filter::Kind::Other with id 4 and parameters [options mask, pixels per
// block], plus [bits per pixel, pixels per scanline] when HDF5 reports a file's filter.
constexpr unsigned kSzipEc = 4, kSzipNn = 32;

// The hdf5-json filter classes with their ids and the keys each may have besides "class",
// "id" and "name" (docs/hdf.md, "Filters").
struct FilterClass {
  const char* cls;
  const char* name;  // the short name h5py and h5pyd use
  int id;
  std::vector<std::string> keys;
};

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

const FilterClass* filterClassOf(int id) {
  for (const auto& c : filterClasses())
    if (c.id == id) return &c;
  return nullptr;
}

// A filter of creationProperties.filters: an hdf5-json filter object, a class or short name
// ("gzip", "H5Z_FILTER_SHUFFLE") or an id. Unknown filters, keys and values are 400s.
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

const char* allocTimeName(AllocTime t) {
  switch (t) {
    case AllocTime::Early:
      return "H5D_ALLOC_TIME_EARLY";
    case AllocTime::Late:
      return "H5D_ALLOC_TIME_LATE";
    case AllocTime::Incremental:
      return "H5D_ALLOC_TIME_INCR";
    case AllocTime::Default:
      break;
  }
  return "H5D_ALLOC_TIME_DEFAULT";
}

const char* fillTimeName(FillTime t) {
  switch (t) {
    case FillTime::Alloc:
      return "H5D_FILL_TIME_ALLOC";
    case FillTime::Never:
      return "H5D_FILL_TIME_NEVER";
    case FillTime::IfSet:
      break;
  }
  return "H5D_FILL_TIME_IFSET";
}

// h5serv's creationProperties JSON, rendered from the store's typed fields: for datasets the
// client created without them or that were made outside this API (files written by h5py).
Object::Ptr creationPropertiesJson(const DatasetInfo& ds) {
  auto o = newObject();
  if (ds.allocTime) o->set("allocTime", allocTimeName(*ds.allocTime));
  if (ds.fillTime) o->set("fillTime", fillTimeName(*ds.fillTime));
  auto layout = newObject();
  if (ds.layout == Layout::Chunked || !ds.chunks.empty()) {
    layout->set("class", "H5D_CHUNKED");
    Array::Ptr dims = new Array;
    for (auto c : ds.chunks) dims->add(c);
    layout->set("dims", dims);
  } else {
    layout->set("class", ds.layout == Layout::Compact ? "H5D_COMPACT" : "H5D_CONTIGUOUS");
  }
  o->set("layout", layout);
  if (!ds.fillValue.empty()) {
    try {
      o->set("fillValue", decodeOne(*ds.type, ds.fillValue));
    } catch (const Error&) {
      // A fill value the type model cannot show is left out rather than failing the GET.
    }
  }
  if (!ds.filters.empty()) {
    Array::Ptr filters = new Array;
    for (const auto& f : ds.filters) {
      auto fo = newObject();
      switch (f.kind) {
        case Filter::Kind::Deflate:
          fo->set("class", "H5Z_FILTER_DEFLATE");
          fo->set("id", 1);
          fo->set("level", f.level);
          fo->set("name", "deflate");
          break;
        case Filter::Kind::Shuffle:
          fo->set("class", "H5Z_FILTER_SHUFFLE");
          fo->set("id", 2);
          fo->set("name", "shuffle");
          break;
        case Filter::Kind::Fletcher32:
          fo->set("class", "H5Z_FILTER_FLETCHER32");
          fo->set("id", 3);
          fo->set("name", "fletcher32");
          break;
        case Filter::Kind::ScaleOffset:
          fo->set("class", "H5Z_FILTER_SCALEOFFSET");
          fo->set("id", 6);
          fo->set("scaleType", f.scaleType);
          fo->set("scaleOffset", f.scaleOffset);
          fo->set("name", "scaleoffset");
          break;
        case Filter::Kind::Other: {
          const FilterClass* fc = filterClassOf(f.id);
          fo->set("class", fc ? fc->cls : "H5Z_FILTER_USER");
          fo->set("id", f.id);
          if (f.id == 4 && f.parameters.size() >= 2) {
            // hdf5-json's SZIP form; the last two are known once HDF5 has set the filter up.
            if (f.parameters.size() >= 4) fo->set("bitsPerPixel", f.parameters[2]);
            fo->set("coding",
                    f.parameters[0] & kSzipEc ? "H5_SZIP_EC_OPTION_MASK" : "H5_SZIP_NN_OPTION_MASK");
            fo->set("pixelsPerBlock", f.parameters[1]);
            if (f.parameters.size() >= 4) fo->set("pixelsPerScanline", f.parameters[3]);
          } else if (!fc || !f.parameters.empty()) {
            Array::Ptr params = new Array;
            for (auto p : f.parameters) params->add(p);
            fo->set("parameters", params);
          }
          if (fc) fo->set("name", fc->name);
          break;
        }
      }
      filters->add(fo);
    }
    o->set("filters", filters);
  }
  return o;
}

// h5serv's preview: at most about 100 elements from the start of the last two dimensions.
std::string previewQuery(const Shape& shape) {
  const auto& dims = shape.dims;
  const std::size_t rank = dims.size();
  uint64_t ncols = dims[rank - 1], nrows = rank > 1 ? dims[rank - 2] : 1;
  ncols = std::min<uint64_t>(ncols, 100);
  nrows = std::min<uint64_t>(nrows, 100);
  if (nrows * ncols > 100) {
    if (nrows > ncols)
      nrows = std::max<uint64_t>(1, 100 / ncols);
    else
      ncols = std::max<uint64_t>(1, 100 / nrows);
  }
  std::string sel = "select=[";
  for (std::size_t i = 0; i < rank; ++i) {
    if (i) sel += ",";
    if (i == rank - 1)
      sel += "0:" + std::to_string(ncols);
    else if (i + 2 == rank)
      sel += "0:" + std::to_string(nrows);
    else
      sel += "0:1";
  }
  return sel + "]";
}

Object::Ptr datasetJson(const Scope& sc, const DatasetInfo& ds) {
  const std::string& id = ds.object.id;
  auto o = newObject();
  o->set("id", id);
  o->set("type", typeJson(*ds.type, sc.hsds));
  o->set("shape", shapeJson(ds.shape));
  // As the client sent them, when it did (h5serv returns them unchanged).
  o->set("creationProperties", ds.creationProperties ? ds.creationProperties : creationPropertiesJson(ds));
  o->set("created", timestamp(ds.object.created, sc.hsds));
  o->set("lastModified", timestamp(ds.object.modified, sc.hsds));
  o->set("attributeCount", ds.object.attributeCount);
  Array::Ptr hrefs = new Array;
  if (ds.shape.elements() <= 100 || ds.shape.cls != ShapeClass::Simple)
    addHref(*hrefs, "data", sc.hrefs.href("datasets/" + id + "/value"));
  else
    addHref(*hrefs, "preview", sc.hrefs.href("datasets/" + id + "/value", previewQuery(ds.shape)));
  addObjectHrefs(*hrefs, sc, ObjectKind::Dataset, id);
  addHref(*hrefs, "home", sc.hrefs.href(""));
  o->set("hrefs", hrefs);
  return o;
}

void listCollection(Service& s, Request& req, Response& res, ObjectKind kind) {
  Scope sc = s.open(req);
  s.require(sc, sc.root(), Perm::Read);
  Array::Ptr ids = new Array;
  for (const auto& id : sc.store->listObjects(sc.container, kind, Service::page(req))) ids->add(id);
  auto o = newObject();
  o->set(collectionName(kind), ids);
  o->set("hrefs", collectionHrefs(sc, collectionName(kind)));
  sendJson(req, res, o);
}

// ---------------------------------------------------------------- datasets

void createDataset(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  s.require(sc, sc.root(), Perm::Create);
  auto body = s.body(req);
  if (!body->has("type")) throw BadRequest("Bad Request: Type not specified");
  auto link = s.linkOption(*body);
  DatasetSpec spec;
  spec.type = s.resolveType(sc, body->get("type"));
  spec.shape = shapeFromJson(*body);
  parseMaxdims(*body, spec.shape);
  parseCreationProperties(*body, *spec.type, spec);
  arrays::checkChunkBytes(spec, s.settings().maxChunkBytes);
  if (link) s.requireFreeLink(sc, *link);
  DatasetInfo ds = sc.store->createDataset(sc.container, spec);
  const std::string id = ds.object.id;
  if (link) s.linkNew(sc, *link, id, ObjectKind::Dataset);
  sendCreated(req, res, sc, ObjectKind::Dataset, ds.object,
              {{"value", sc.hrefs.href("datasets/" + id + "/value")}});
}

void getDataset(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const DatasetInfo ds = s.dataset(sc, req.param("id"), Perm::Read);
  auto o = datasetJson(sc, ds);
  addIncludedAttributes(sc, req, ObjectKind::Dataset, req.param("id"), *o);
  sendJson(req, res, o);
}

void deleteDataset(Service& s, Request& req, Response& res) {
  deleteObjectRoute(s, req, res, ObjectKind::Dataset);
}

Array::Ptr ownedHrefs(const Scope& sc, const std::string& id, const std::string& self) {
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href("datasets/" + id + self));
  addHref(*hrefs, "owner", sc.hrefs.href("datasets/" + id));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  return hrefs;
}

void getShape(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const DatasetInfo ds = s.dataset(sc, req.param("id"), Perm::Read);
  auto o = newObject();
  o->set("shape", shapeJson(ds.shape));
  o->set("created", timestamp(ds.object.created, sc.hsds));
  o->set("lastModified", timestamp(ds.object.modified, sc.hsds));
  o->set("hrefs", ownedHrefs(sc, ds.object.id, "/shape"));
  sendJson(req, res, o);
}

void putShape(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  const DatasetInfo ds = s.dataset(sc, id, Perm::Update);
  auto body = s.body(req);
  if (ds.shape.cls != ShapeClass::Simple)
    throw BadRequest("Bad Request: only datasets with dimensions can be resized");
  std::vector<uint64_t> dims;
  if (body->has("shape")) {
    const Var v = body->get("shape");
    if (auto list = asArray(v)) {
      for (std::size_t i = 0; i < list->size(); ++i)
        dims.push_back(toCount(list->get(static_cast<unsigned>(i)), "a shape extent"));
    } else {
      dims.push_back(toCount(v, "shape"));
    }
  } else if (body->has("extend")) {
    // HSDS: {"extend": n, "extend_dim": d} grows one dimension by n.
    const uint64_t by = toCount(body->get("extend"), "extend");
    const uint64_t dim = body->has("extend_dim") ? toCount(body->get("extend_dim"), "extend_dim") : 0;
    if (dim >= ds.shape.dims.size()) throw BadRequest("Bad Request: extend_dim is past the dataset's rank");
    dims = ds.shape.dims;
    dims[dim] += by;
  } else {
    throw BadRequest("Bad Request: Shape not specified");
  }
  if (dims.size() != ds.shape.dims.size())
    throw BadRequest("Bad Request: the new shape has rank " + std::to_string(dims.size()) +
                     ", the dataset rank " + std::to_string(ds.shape.dims.size()));
  const auto& max = ds.shape.maxdims.empty() ? ds.shape.dims : ds.shape.maxdims;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < ds.shape.dims[i] && !s.settings().allowShrink)
      throw BadRequest("Bad Request: cannot make extent smaller (dimension " + std::to_string(i) + ")");
    if (max[i] != kUnlimited && dims[i] > max[i])
      throw BadRequest("Bad Request: extent " + std::to_string(dims[i]) + " of dimension " +
                       std::to_string(i) + " is larger than its maximum " + std::to_string(max[i]));
  }
  sc.store->resize(sc.container, id, dims);
  auto o = newObject();
  o->set("hrefs", ownedHrefs(sc, id, ""));
  sendJson(req, res, o, 201);
}

void getType(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const DatasetInfo ds = s.dataset(sc, req.param("id"), Perm::Read);
  auto o = newObject();
  o->set("type", typeJson(*ds.type, sc.hsds));
  o->set("hrefs", ownedHrefs(sc, ds.object.id, "/type"));
  sendJson(req, res, o);
}

// ---------------------------------------------------------------- datatypes

void createDatatype(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  s.require(sc, sc.root(), Perm::Create);
  auto body = s.body(req);
  if (!body->has("type")) throw BadRequest("Bad Request: Type not specified");
  auto link = s.linkOption(*body);
  // A committed datatype made from another one ("datatypes/<id>") is a copy of its structure.
  auto type = std::make_shared<arrays::Datatype>(*s.resolveType(sc, body->get("type")));
  type->committedId.clear();
  if (link) s.requireFreeLink(sc, *link);
  ObjectInfo info = sc.store->createDatatype(sc.container, type);
  if (link) s.linkNew(sc, *link, info.id, ObjectKind::Datatype);
  sendCreated(req, res, sc, ObjectKind::Datatype, info);
}

void getDatatype(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  const ObjectInfo info = s.object(sc, id, ObjectKind::Datatype);
  s.require(sc, id, Perm::Read);
  auto type = sc.store->datatype(sc.container, id);
  auto o = newObject();
  o->set("id", id);
  o->set("type", arrays::typeToJson(*type));
  o->set("created", timestamp(info.created, sc.hsds));
  o->set("lastModified", timestamp(info.modified, sc.hsds));
  o->set("attributeCount", info.attributeCount);
  Array::Ptr hrefs = new Array;
  addObjectHrefs(*hrefs, sc, ObjectKind::Datatype, id);
  addHref(*hrefs, "home", sc.hrefs.href(""));
  o->set("hrefs", hrefs);
  addIncludedAttributes(sc, req, ObjectKind::Datatype, id, *o);
  sendJson(req, res, o);
}

void deleteDatatype(Service& s, Request& req, Response& res) {
  deleteObjectRoute(s, req, res, ObjectKind::Datatype);
}

}  // namespace

void addDatasetRoutes(Service& s, RouteRegistry& routes) {
  auto bind = [&s](void (*fn)(Service&, Request&, Response&)) {
    return [&s, fn](Request& req, Response& res) { fn(s, req, res); };
  };
  routes.add("GET", "/datasets",
             [&s](Request& req, Response& res) { listCollection(s, req, res, ObjectKind::Dataset); });
  routes.add("POST", "/datasets", bind(createDataset));
  routes.add("GET", "/datasets/{id}", bind(getDataset));
  routes.add("DELETE", "/datasets/{id}", bind(deleteDataset));
  routes.add("GET", "/datasets/{id}/shape", bind(getShape));
  routes.add("PUT", "/datasets/{id}/shape", bind(putShape));
  routes.add("GET", "/datasets/{id}/type", bind(getType));
  routes.add("GET", "/datatypes",
             [&s](Request& req, Response& res) { listCollection(s, req, res, ObjectKind::Datatype); });
  routes.add("POST", "/datatypes", bind(createDatatype));
  routes.add("GET", "/datatypes/{id}", bind(getDatatype));
  routes.add("DELETE", "/datatypes/{id}", bind(deleteDatatype));
}

}  // namespace strata::hdf
