// The rocksdb arrays store's records: object documents, links and attributes in their JSON
// and binary forms (the layout is described at the top of rocksdb_array_store.cpp).
#include "rocksdb_array_documents.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <strata/errors.h>

#include <cstring>
#include <sstream>

#include "rocksdb_array_support.h"

namespace strata::rocksdb {

using arrays::Datatype;
using arrays::DatatypePtr;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

bool kindFromName(const std::string& name, ObjectKind& kind) {
  if (name == "group")
    kind = ObjectKind::Group;
  else if (name == "dataset")
    kind = ObjectKind::Dataset;
  else if (name == "datatype")
    kind = ObjectKind::Datatype;
  else
    return false;
  return true;
}

// The JSON form of a type (typeToJson) describes compounds packed, without padding: types read
// from HDF5 files keep their fields at the file's offsets (the hdf5 backend), and such a
// container may be copied here (store_copy). So every compound's size and field offsets are
// kept beside the JSON form ("packing": a tree mirroring the type's compounds; null where a
// part has none) and put back when the type is read.
Poco::Dynamic::Var packingOf(const Datatype& t) {
  switch (t.cls) {
    case arrays::TypeClass::Compound: {
      Object::Ptr p = new Object;
      p->set("size", static_cast<Poco::UInt64>(t.size));
      Array::Ptr offsets = new Array, fields = new Array;
      for (const auto& f : t.fields) {
        offsets->add(static_cast<Poco::UInt64>(f.offset));
        fields->add(f.type ? packingOf(*f.type) : Poco::Dynamic::Var());
      }
      p->set("offsets", offsets);
      p->set("fields", fields);
      return p;
    }
    case arrays::TypeClass::Array:
    case arrays::TypeClass::Vlen: {
      if (!t.base) return {};
      Poco::Dynamic::Var base = packingOf(*t.base);
      if (base.isEmpty()) return {};
      Object::Ptr p = new Object;
      p->set("size", static_cast<Poco::UInt64>(t.size));
      p->set("base", base);
      return p;
    }
    default:
      return {};
  }
}

DatatypePtr withPacking(const DatatypePtr& type, const Poco::Dynamic::Var& packing) {
  if (packing.isEmpty() || !type) return type;
  const Object::Ptr p = packing.extract<Object::Ptr>();
  auto t = std::make_shared<Datatype>(*type);
  t->size = static_cast<std::size_t>(p->get("size").convert<Poco::UInt64>());
  if (t->cls == arrays::TypeClass::Compound) {
    const Array::Ptr offsets = p->getArray("offsets");
    const Array::Ptr fields = p->getArray("fields");
    if (!offsets || !fields || offsets->size() != t->fields.size() || fields->size() != t->fields.size())
      throw Poco::DataFormatException("compound packing does not match the type");
    for (std::size_t i = 0; i < t->fields.size(); ++i) {
      t->fields[i].offset = static_cast<std::size_t>(offsets->get(i).convert<Poco::UInt64>());
      t->fields[i].type = withPacking(t->fields[i].type, fields->get(i));
    }
  } else if (t->base) {
    t->base = withPacking(t->base, p->get("base"));
  }
  return t;
}

}  // namespace

// arrays::checkType, and then a type this store can record.
void checkStorableType(const DatatypePtr& type, const std::string& what) {
  arrays::checkType(type, what);
  // Stored as its JSON form plus its packing: refuse a type that would still come back
  // different (none is known to).
  DatatypePtr back;
  try {
    back = withPacking(arrays::typeFromJson(arrays::typeToJson(*type)), packingOf(*type));
  } catch (const BadRequest& e) {
    throw BadRequest(what + " has a type this store cannot record: " + e.what());
  }
  if (!back || !(*back == *type))
    throw BadRequest(what + " has a type this store cannot record (its JSON form describes " +
                     "another type)");
}

// ---- JSON helpers

std::string jsonText(const Object::Ptr& json) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(json, out);
  return out.str();
}

Object::Ptr parseObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

uint64_t u64(const Object::Ptr& o, const std::string& key) { return o->get(key).convert<Poco::UInt64>(); }
int64_t i64(const Object::Ptr& o, const std::string& key) { return o->get(key).convert<Poco::Int64>(); }

std::vector<uint64_t> u64Vector(const Object::Ptr& o, const std::string& key) {
  std::vector<uint64_t> out;
  Array::Ptr a = o->getArray(key);
  if (!a) return out;
  out.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->get(i).convert<Poco::UInt64>());
  return out;
}

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string unhex(const std::string& text) {
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw Poco::DataFormatException("bad hex digit");
  };
  if (text.size() % 2) throw Poco::DataFormatException("odd hex length");
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  return out;
}

const char* shapeClassName(ShapeClass cls) {
  switch (cls) {
    case ShapeClass::Simple:
      return "simple";
    case ShapeClass::Scalar:
      return "scalar";
    case ShapeClass::Null:
      return "null";
  }
  return "?";
}

ShapeClass shapeClassFrom(const std::string& name) {
  if (name == "simple") return ShapeClass::Simple;
  if (name == "scalar") return ShapeClass::Scalar;
  if (name == "null") return ShapeClass::Null;
  throw Poco::DataFormatException("unknown shape class " + name);
}

void setType(Object::Ptr o, const DatatypePtr& type) {
  o->set("type", arrays::typeToJson(*type));
  Poco::Dynamic::Var packing = packingOf(*type);
  if (!packing.isEmpty()) o->set("packing", packing);
  if (!type->committedId.empty()) o->set("committed", type->committedId);
}

DatatypePtr typeOf(const Object::Ptr& o) {
  DatatypePtr type = arrays::typeFromJson(o->get("type"));
  if (o->has("packing")) type = withPacking(type, o->get("packing"));
  if (o->has("committed")) {
    auto committed = std::make_shared<Datatype>(*type);
    committed->committedId = o->getValue<std::string>("committed");
    type = committed;
  }
  return type;
}

Array::Ptr filtersToJson(const std::vector<Filter>& filters) {
  Array::Ptr a = new Array;
  for (const auto& f : filters) {
    Object::Ptr o = new Object;
    o->set("kind", static_cast<int>(f.kind));
    o->set("id", f.id);
    o->set("level", f.level);
    o->set("scaleType", f.scaleType);
    o->set("scaleOffset", f.scaleOffset);
    Array::Ptr params = new Array;
    for (unsigned p : f.parameters) params->add(p);
    o->set("parameters", params);
    a->add(o);
  }
  return a;
}

std::vector<Filter> filtersFromJson(const Array::Ptr& a) {
  std::vector<Filter> out;
  if (!a) return out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    Object::Ptr o = a->getObject(i);
    if (!o) throw Poco::DataFormatException("filter is not an object");
    Filter f;
    const int kind = o->getValue<int>("kind");
    if (kind < 0 || kind > static_cast<int>(Filter::Kind::Other))
      throw Poco::DataFormatException("unknown filter kind");
    f.kind = static_cast<Filter::Kind>(kind);
    f.id = o->getValue<int>("id");
    f.level = o->getValue<int>("level");
    f.scaleType = o->getValue<std::string>("scaleType");
    f.scaleOffset = o->getValue<int>("scaleOffset");
    if (Array::Ptr params = o->getArray("parameters"))
      for (std::size_t k = 0; k < params->size(); ++k)
        f.parameters.push_back(params->get(k).convert<unsigned>());
    out.push_back(std::move(f));
  }
  return out;
}

Object::Ptr linkToJson(const Link& l) {
  Object::Ptr o = new Object;
  switch (l.cls) {
    case LinkClass::Hard:
      o->set("class", "hard");
      o->set("id", l.id);
      o->set("kind", kindName(l.kind));
      break;
    case LinkClass::Soft:
      o->set("class", "soft");
      o->set("h5path", l.h5path);
      break;
    case LinkClass::External:
      o->set("class", "external");
      o->set("h5path", l.h5path);
      o->set("h5domain", l.h5domain);
      break;
    case LinkClass::UserDefined:
      o->set("class", "user");
      break;
  }
  o->set("created", static_cast<Poco::Int64>(l.created));
  return o;
}

Link linkFromJson(const std::string& name, const Object::Ptr& o) {
  Link l;
  l.name = name;
  const std::string cls = o->getValue<std::string>("class");
  if (cls == "hard") {
    l.cls = LinkClass::Hard;
    l.id = o->getValue<std::string>("id");
    if (!kindFromName(o->getValue<std::string>("kind"), l.kind))
      throw Poco::DataFormatException("unknown object kind");
  } else if (cls == "soft") {
    l.cls = LinkClass::Soft;
    l.h5path = o->getValue<std::string>("h5path");
  } else if (cls == "external") {
    l.cls = LinkClass::External;
    l.h5path = o->getValue<std::string>("h5path");
    l.h5domain = o->getValue<std::string>("h5domain");
  } else if (cls == "user") {
    l.cls = LinkClass::UserDefined;
  } else {
    throw Poco::DataFormatException("unknown link class " + cls);
  }
  l.created = i64(o, "created");
  return l;
}

// Attribute records: a big-endian uint32 header length, the JSON header, the packed value.
std::string encodeAttribute(const AttributeInfo& a, const std::string& value) {
  Object::Ptr h = new Object;
  setType(h, a.type);
  h->set("shape", shapeClassName(a.shape.cls));
  h->set("dims", u64Array(a.shape.dims));
  h->set("created", static_cast<Poco::Int64>(a.created));
  const std::string header = jsonText(h);
  std::string out;
  out.reserve(4 + header.size() + value.size());
  appendBigEndian32(out, static_cast<uint32_t>(header.size()));
  out += header;
  out += value;
  return out;
}

// The header's length, checked against the record.
uint32_t attributeHeaderSize(const ::rocksdb::Slice& record) {
  if (record.size() < 4) throw Poco::DataFormatException("attribute record too short");
  const uint32_t n = readBigEndian32(record.data());
  if (n > record.size() - 4) throw Poco::DataFormatException("attribute header too long");
  return n;
}

AttributeInfo decodeAttribute(const std::string& name, const ::rocksdb::Slice& record) {
  const uint32_t n = attributeHeaderSize(record);
  const Object::Ptr h = parseObject(std::string(record.data() + 4, n));
  AttributeInfo a;
  a.name = name;
  a.type = typeOf(h);
  a.shape.cls = shapeClassFrom(h->getValue<std::string>("shape"));
  a.shape.dims = u64Vector(h, "dims");
  if (a.shape.cls == ShapeClass::Simple) a.shape.maxdims = a.shape.dims;
  a.created = i64(h, "created");
  return a;
}

ObjectInfo objectInfo(const Object::Ptr& o) {
  ObjectInfo i;
  i.id = o->getValue<std::string>("id");
  if (!kindFromName(o->getValue<std::string>("kind"), i.kind))
    throw Poco::DataFormatException("unknown object kind");
  i.created = i64(o, "created");
  i.modified = i64(o, "modified");
  i.attributeCount = u64(o, "attributes");
  i.linkCount = u64(o, "links");
  return i;
}

ContainerInfo containerInfo(const std::string& name, const Object::Ptr& record) {
  ContainerInfo i;
  i.name = name;
  i.rootId = record->getValue<std::string>("root");
  i.created = i64(record, "created");
  i.modified = i64(record, "modified");
  return i;
}

DatasetInfo datasetInfo(const RocksDbArrayStore::Dataset& d) {
  DatasetInfo i;
  i.object = d.object;
  i.type = d.type;
  i.shape.cls = d.cls;
  i.shape.dims = d.dims;
  i.shape.maxdims = d.maxdims;
  i.chunks = d.chunks;
  i.layout = d.chunks.empty() ? Layout::Contiguous : Layout::Chunked;
  i.fillValue = d.fillValue;
  i.filters = d.filters;
  if (!d.creationProperties.empty()) {
    // Parsed keeping the client's key order, so that it is returned as it was sent.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    i.creationProperties = parser.parse(d.creationProperties).extract<Object::Ptr>();
  }
  return i;
}

}  // namespace strata::rocksdb
