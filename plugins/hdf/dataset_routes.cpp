// Datasets and committed datatypes: /datasets, /datasets/{id}, /datasets/{id}/shape,
// /datasets/{id}/type, /datatypes, /datatypes/{id}.
#include <Poco/JSON/Array.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>

#include <algorithm>
#include <vector>

#include "creation_properties.h"
#include "responses.h"
#include "routes.h"
#include "values.h"

namespace strata::hdf {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

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
