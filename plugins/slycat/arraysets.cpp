#include "arraysets.h"

#include "metadata_queries.h"

#include <Poco/Dynamic/Var.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace strata::slycat {

namespace {

using arrays::DatatypePtr;
using Poco::Dynamic::Var;

// A fresh storage id in Slycat's form (uuid4().hex): 32 lower-case hex digits.
std::string newStorageId() {
  std::string id = newUuid();
  id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
  return id;
}

bool isObject(const Var& v) { return v.type() == typeid(Poco::JSON::Object::Ptr); }
bool isArray(const Var& v) { return v.type() == typeid(Poco::JSON::Array::Ptr); }

// A JSON integer (not a float, not a boolean).
bool integerValue(const Var& v, int64_t& out) {
  if (!v.isInteger() || v.type() == typeid(bool)) return false;
  if (!v.isSigned() && v.convert<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) return false;
  out = v.convert<int64_t>();
  return true;
}

std::string stringField(const Poco::JSON::Object& o, const std::string& name, const std::string& what) {
  if (!o.has(name)) throw BadRequest("Missing '" + name + "' in " + what + ".");
  const Var v = o.get(name);
  if (!v.isString()) throw BadRequest("'" + name + "' in " + what + " must be a string.");
  return v.extract<std::string>();
}

Poco::JSON::Array::Ptr listField(const Poco::JSON::Object& o, const std::string& name) {
  if (!o.has(name)) throw BadRequest("Missing '" + name + "' parameter.");
  const Var v = o.get(name);
  if (!isArray(v)) throw BadRequest("'" + name + "' must be a list.");
  const auto list = v.extract<Poco::JSON::Array::Ptr>();
  if (list->size() == 0) throw BadRequest("'" + name + "' must not be empty.");
  return list;
}

Poco::JSON::Object::Ptr entry(const Poco::JSON::Array& list, std::size_t i, const std::string& what) {
  const Var v = list.get(static_cast<unsigned>(i));
  if (!isObject(v)) throw BadRequest("Each " + what + " must be an object.");
  return v.extract<Poco::JSON::Object::Ptr>();
}

struct Attribute {
  std::string name, type;
};

// Packs strings as vlen strings (a little-endian uint64 byte count, then the bytes).
std::string packStrings(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    uint64_t n = s.size();
    char len[8];
    for (int b = 0; b < 8; ++b) len[b] = static_cast<char>((n >> (8 * b)) & 0xff);
    out.append(len, 8);
    out += s;
  }
  return out;
}

std::string packInt64(const std::vector<int64_t>& items) {
  std::string out;
  for (int64_t v : items) {
    const auto u = static_cast<uint64_t>(v);
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
  }
  return out;
}

}  // namespace

Arraysets::Arraysets(Projects& projects, StorageRefs& refs, std::shared_ptr<ArrayStore> arrays)
    : projects_(projects), refs_(refs), arrays_(std::move(arrays)) {}

void Arraysets::create(Poco::JSON::Object::Ptr doc, const std::string& aid, const Poco::JSON::Object& body) {
  if (!body.has("input")) throw BadRequest("Missing 'input' parameter.");
  const Var input = body.get("input");
  if (input.type() != typeid(bool)) throw BadRequest("'input' parameter must be true or false.");
  for (const auto& [name, value] : body)
    if (name != "input") throw BadRequest("Unexpected parameter '" + name + "'.");

  // The count first (one reference), then the container, then the model: a crash in between
  // leaks the storage, never loses storage in use (storage_refs.h).
  const std::string storage = newStorageId();
  const std::string c = StorageRefs::container(storage);
  const auto dropNew = [&] {
    try {
      refs_.release(storage);
    } catch (...) {
    }
  };
  refs_.add(storage);
  try {
    const ContainerInfo info = arrays_->createContainer(c);
    const ObjectInfo array = arrays_->createGroup(c);
    Link l;
    l.name = "array";
    l.id = array.id;
    arrays_->createLink(c, info.rootId, l);
  } catch (...) {
    dropNew();
    throw;
  }

  const bool isInput = input.extract<bool>();
  const std::string key = "artifact:" + aid;
  std::string old;
  try {
    projects_.changeModel(doc->getValue<std::string>("_id"), [&](Poco::JSON::Object& m) {
      old.clear();
      Poco::JSON::Object::Ptr types = m.getObject("artifact-types");
      if (!types) types = new Poco::JSON::Object;
      if (types->has(aid) && types->get(aid).isString() && types->getValue<std::string>(aid) == "hdf5" &&
          m.has(key) && m.get(key).isString())
        old = m.getValue<std::string>(key);
      m.set(key, storage);
      types->set(aid, "hdf5");
      m.set("artifact-types", types);
      Poco::JSON::Array::Ptr inputs = m.getArray("input-artifacts");
      if (!inputs) inputs = new Poco::JSON::Array;
      Poco::JSON::Array::Ptr kept = new Poco::JSON::Array;
      for (std::size_t i = 0; i < inputs->size(); ++i) {
        const Var v = inputs->get(static_cast<unsigned>(i));
        if (!(v.isString() && v.extract<std::string>() == aid)) kept->add(v);
      }
      if (isInput) kept->add(aid);
      m.set("input-artifacts", kept);
      m.set("message", "Starting array set " + aid + ".");
    });
  } catch (...) {
    dropNew();
    throw;
  }
  // Another model may share the old storage: it goes with its last reference.
  if (!old.empty()) {
    try {
      refs_.release(old);
    } catch (...) {
      // the storage leaks; the new arrayset is in place
    }
  }
}

std::string Arraysets::container(const Poco::JSON::Object& doc, const std::string& aid) const {
  const std::string key = "artifact:" + aid;
  if (!doc.has(key)) throw NotFound("Unknown artifact: " + aid);
  const Poco::JSON::Object::Ptr types = doc.getObject("artifact-types");
  if (!types || !types->has(aid) || !types->get(aid).isString() ||
      types->getValue<std::string>(aid) != "hdf5" || !doc.get(key).isString())
    throw BadRequest(aid + " is not an array artifact.");
  const std::string c = "slycat/" + doc.getValue<std::string>(key);
  if (!arrays_->findContainer(c)) throw NotFound("Unknown artifact: " + aid);
  return c;
}

std::string Arraysets::arrayGroup(const std::string& c) {
  const ContainerInfo info = arrays_->container(c);
  return arrays_->link(c, info.rootId, "array").id;
}

void Arraysets::createArray(const Poco::JSON::Object& doc, const std::string& aid, const std::string& index,
                            const Poco::JSON::Object& body) {
  // The array index: a decimal integer, not negative.
  if (index.empty() || index.size() > 18 ||
      !std::all_of(index.begin(), index.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == '-'; }))
    throw BadRequest("Array index must be a non-negative integer.");
  int64_t i = 0;
  try {
    std::size_t used = 0;
    i = std::stoll(index, &used);
    if (used != index.size()) throw BadRequest("");
  } catch (...) {
    throw BadRequest("Array index must be a non-negative integer.");
  }
  if (i < 0) throw BadRequest("Array index must be a non-negative integer.");
  const std::string name = std::to_string(i);

  for (const auto& [field, value] : body)
    if (field != "dimensions" && field != "attributes")
      throw BadRequest("Unexpected parameter '" + field + "'.");
  std::vector<Dimension> dims;
  const auto dimList = listField(body, "dimensions");
  for (std::size_t k = 0; k < dimList->size(); ++k) {
    const auto o = entry(*dimList, k, "dimension");
    Dimension d;
    d.name = stringField(*o, "name", "dimension");
    d.type = o->has("type") ? stringField(*o, "type", "dimension") : "int64";
    if (d.type != "int64") throw BadRequest("Dimension type must be int64.");
    if (o->has("begin") && (!integerValue(o->get("begin"), d.begin) || d.begin != 0))
      throw BadRequest("Dimension range must begin with 0.");
    if (!o->has("end")) throw BadRequest("Missing 'end' in dimension.");
    if (!integerValue(o->get("end"), d.end)) throw BadRequest("Dimension bound must be an integer.");
    if (d.end < 0) throw BadRequest("Dimension bound must not be negative.");
    for (const auto& [field, value] : *o)
      if (field != "name" && field != "type" && field != "begin" && field != "end")
        throw BadRequest("Unexpected parameter '" + field + "' in dimension.");
    dims.push_back(d);
  }
  std::vector<Attribute> attrs;
  const auto attrList = listField(body, "attributes");
  for (std::size_t k = 0; k < attrList->size(); ++k) {
    const auto o = entry(*attrList, k, "attribute");
    Attribute a;
    a.name = stringField(*o, "name", "attribute");
    a.type = stringField(*o, "type", "attribute");
    if (!attributeType(a.type)) throw BadRequest("Unsupported attribute type: " + a.type + ".");
    for (const auto& [field, value] : *o)
      if (field != "name" && field != "type")
        throw BadRequest("Unexpected parameter '" + field + "' in attribute.");
    attrs.push_back(a);
  }

  const std::string c = container(doc, aid);
  const std::string arrayId = arrayGroup(c);

  auto group = [&](const std::string& parent, const std::string& linkName) {
    const ObjectInfo g = arrays_->createGroup(c);
    Link l;
    l.name = linkName;
    l.id = g.id;
    arrays_->createLink(c, parent, l);
    return g.id;
  };
  auto dataset = [&](const std::string& parent, const std::string& linkName, const DatatypePtr& type,
                     const std::vector<uint64_t>& shape, const std::string* packed) {
    DatasetSpec spec;
    spec.type = type;
    spec.shape.cls = ShapeClass::Simple;
    spec.shape.dims = shape;
    const DatasetInfo d = arrays_->createDataset(c, spec);
    Link l;
    l.name = linkName;
    l.id = d.object.id;
    l.kind = ObjectKind::Dataset;
    arrays_->createLink(c, parent, l);
    if (packed && !packed->empty()) {
      std::size_t pos = 0;
      arrays_->write(
          c, d.object.id, arrays::Selection::all(shape),
          [packed, &pos](char* out, std::size_t n) {
            const std::size_t k = std::min(n, packed->size() - pos);
            std::memcpy(out, packed->data() + pos, k);
            pos += k;
            return k;
          },
          packed->size());
    }
  };

  // The new array is built unlinked (the stores keep an object without links alive) and
  // linked in place of the old one at the end, so that a crash while it is built leaves the
  // old array whole rather than a new one without its metadata. (A crash between the two
  // store calls of the swap leaves the index without an array; one while it is built leaves
  // the unfinished objects unlinked in the container.)
  const std::string arr = arrays_->createGroup(c).id;
  const std::string meta = group(arr, "metadata");
  const auto str = arrays::vlenStringType(arrays::CharSet::Utf8);
  std::vector<std::string> attrNames, attrTypes, dimNames, dimTypes;
  std::vector<int64_t> begins, ends;
  std::vector<uint64_t> shape;
  for (const auto& a : attrs) {
    attrNames.push_back(a.name);
    attrTypes.push_back(a.type);
  }
  for (const auto& d : dims) {
    dimNames.push_back(d.name);
    dimTypes.push_back(d.type);
    begins.push_back(d.begin);
    ends.push_back(d.end);
    shape.push_back(static_cast<uint64_t>(d.end - d.begin));
  }
  const std::vector<uint64_t> na{attrs.size()}, nd{dims.size()};
  std::string packed = packStrings(attrNames);
  dataset(meta, "attribute-names", str, na, &packed);
  packed = packStrings(attrTypes);
  dataset(meta, "attribute-types", str, na, &packed);
  packed = packStrings(dimNames);
  dataset(meta, "dimension-names", str, nd, &packed);
  packed = packStrings(dimTypes);
  dataset(meta, "dimension-types", str, nd, &packed);
  packed = packInt64(begins);
  dataset(meta, "dimension-begin", arrays::intType(8, true), nd, &packed);
  packed = packInt64(ends);
  dataset(meta, "dimension-end", arrays::intType(8, true), nd, &packed);

  const std::string attrGroup = group(arr, "attribute");
  for (std::size_t j = 0; j < attrs.size(); ++j)
    dataset(attrGroup, std::to_string(j), attributeType(attrs[j].type), shape, nullptr);

  // The swap: an existing array of that index goes, with everything under it. Concurrent
  // PUTs of one index: the last to link wins, and each removes the array it unlinked.
  for (int attempt = 0;; ++attempt) {
    std::optional<Link> old;
    try {
      old = arrays_->link(c, arrayId, name);
      arrays_->deleteLink(c, arrayId, name);
    } catch (const NotFound&) {
      old.reset();
    }
    bool linked = true;
    try {
      Link l;
      l.name = name;
      l.id = arr;
      arrays_->createLink(c, arrayId, l);
    } catch (const Conflict&) {
      if (attempt >= 3) throw;
      linked = false;
    }
    if (old && old->cls == LinkClass::Hard) {
      std::vector<std::string> groups{old->id}, datasets;
      for (std::size_t g = 0; g < groups.size(); ++g)
        for (const Link& l : arrays_->listLinks(c, groups[g], Page{}))
          if (l.cls == LinkClass::Hard) (l.kind == ObjectKind::Group ? groups : datasets).push_back(l.id);
      for (const auto& id : datasets) arrays_->deleteObject(c, id);
      for (auto it = groups.rbegin(); it != groups.rend(); ++it) arrays_->deleteObject(c, *it);
    }
    if (linked) break;
  }
  projects_.changeModel(doc.getValue<std::string>("_id"), [&](Poco::JSON::Object& m) {
    m.set("message", "Starting array set " + aid + " array " + name + ".");
  });
}

Poco::JSON::Array::Ptr Arraysets::metadata(const Poco::JSON::Object& doc, const std::string& aid) {
  const StoredArrayset set(*arrays_, container(doc, aid));
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (const int64_t index : set.arrays()) {
    Poco::JSON::Object::Ptr e = arrayMetadataJson(set.metadata(index));
    e->set("array", index);
    e->set("index", index);
    out->add(e);
  }
  return out;
}

std::string Arraysets::metadataQuery(const Poco::JSON::Object& doc, const std::string& aid,
                                     const std::optional<std::string>& arrays,
                                     const std::optional<std::string>& statistics,
                                     const std::optional<std::string>& unique) {
  const StoredArrayset set(*arrays_, container(doc, aid));
  return slycat::metadataQuery(set, arrays, statistics, unique);
}

Poco::JSON::Object::Ptr arrayMetadataJson(const ArrayMetadata& m) {
  Poco::JSON::Array::Ptr dimensions = new Poco::JSON::Array, attributes = new Poco::JSON::Array,
                         shape = new Poco::JSON::Array;
  for (const Dimension& d : m.dimensions) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("name", d.name);
    o->set("type", d.type);
    o->set("begin", d.begin);
    o->set("end", d.end);
    dimensions->add(o);
  }
  for (uint64_t n : m.info.shape) shape->add(n);
  for (const auto& a : m.info.attributes) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("name", a.name);
    o->set("type", a.type);
    attributes->add(o);
  }
  Poco::JSON::Object::Ptr e = new Poco::JSON::Object;
  e->set("dimensions", dimensions);
  e->set("attributes", attributes);
  e->set("shape", shape);
  return e;
}

}  // namespace strata::slycat
