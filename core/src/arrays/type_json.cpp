// Type JSON: the h5serv / hdf5-json forms of every type class, parsed strictly (every problem
// is a BadRequest naming where it is) and written as h5serv writes them.
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <limits>
#include <optional>

#include "datatype_detail.h"

namespace strata::arrays {
namespace {

using namespace detail;

struct NamedType {
  const char* name;
  std::size_t bytes;
  bool isSigned;
};

// H5T_NATIVE_* as on this platform (LP64, little-endian, char signed).
constexpr NamedType kNativeInts[] = {
    {"H5T_NATIVE_CHAR", 1, true},    {"H5T_NATIVE_SCHAR", 1, true},   {"H5T_NATIVE_UCHAR", 1, false},
    {"H5T_NATIVE_SHORT", 2, true},   {"H5T_NATIVE_USHORT", 2, false}, {"H5T_NATIVE_INT", 4, true},
    {"H5T_NATIVE_UINT", 4, false},   {"H5T_NATIVE_LONG", 8, true},    {"H5T_NATIVE_ULONG", 8, false},
    {"H5T_NATIVE_LLONG", 8, true},   {"H5T_NATIVE_ULLONG", 8, false}, {"H5T_NATIVE_INT8", 1, true},
    {"H5T_NATIVE_UINT8", 1, false},  {"H5T_NATIVE_INT16", 2, true},   {"H5T_NATIVE_UINT16", 2, false},
    {"H5T_NATIVE_INT32", 4, true},   {"H5T_NATIVE_UINT32", 4, false}, {"H5T_NATIVE_INT64", 8, true},
    {"H5T_NATIVE_UINT64", 8, false}, {"H5T_NATIVE_HSIZE", 8, false},  {"H5T_NATIVE_HSSIZE", 8, true},
};

DatatypePtr makeRef(RefKind kind) {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Reference;
  t->ref = kind;
  t->size = kind == RefKind::Object ? kRefBytes : 0;
  return t;
}

// A predefined type name, or null if the name is not one.
DatatypePtr predefined(const std::string& name) {
  auto endsWithOrder = [&](std::size_t prefixLen, ByteOrder& order, std::string& bits) {
    if (name.size() < prefixLen + 3) return false;
    const std::string suffix = name.substr(name.size() - 2);
    if (suffix == "LE")
      order = ByteOrder::Little;
    else if (suffix == "BE")
      order = ByteOrder::Big;
    else
      return false;
    bits = name.substr(prefixLen, name.size() - prefixLen - 2);
    return true;
  };
  ByteOrder order;
  std::string bits;
  if ((name.rfind("H5T_STD_I", 0) == 0 || name.rfind("H5T_STD_U", 0) == 0) && endsWithOrder(9, order, bits)) {
    const bool isSigned = name[8] == 'I';
    if (bits == "8") return intType(1, isSigned, order);
    if (bits == "16") return intType(2, isSigned, order);
    if (bits == "32") return intType(4, isSigned, order);
    if (bits == "64") return intType(8, isSigned, order);
    return nullptr;
  }
  if (name.rfind("H5T_IEEE_F", 0) == 0 && endsWithOrder(10, order, bits)) {
    if (bits == "32") return floatType(4, order);
    if (bits == "64") return floatType(8, order);
    return nullptr;
  }
  if (name == "H5T_STD_REF_OBJ") return makeRef(RefKind::Object);
  if (name == "H5T_STD_REF_DSETREG") return makeRef(RefKind::Region);
  if (name == "H5T_NATIVE_FLOAT") return floatType(4);
  if (name == "H5T_NATIVE_DOUBLE") return floatType(8);
  for (const NamedType& n : kNativeInts)
    if (name == n.name) return intType(n.bytes, n.isSigned);
  return nullptr;
}

class TypeParser {
 public:
  DatatypePtr parse(const Var& json, const std::string& where, int depth) {
    if (depth > kMaxTypeDepth)
      fail(where, "type nests more than " + std::to_string(kMaxTypeDepth) + " levels deep");
    if (const std::string* s = asString(json)) {
      if (s->rfind("datatypes/", 0) == 0)
        fail(where, "committed datatype " + quoted(*s) + " must be resolved before parsing");
      DatatypePtr t = predefined(*s);
      if (!t) fail(where, "unknown predefined type " + quoted(*s));
      return t;
    }
    const JObject* o = asObject(json);
    if (!o)
      fail(where, std::string("a type must be a predefined type name or an object, got ") + kindName(json));
    if (!o->has("class")) fail(where, "missing \"class\"");
    const Var clsVar = o->get("class");
    const std::string* cls = asString(clsVar);
    if (!cls) fail(where, "\"class\" must be a string");
    if (*cls != "H5T_ARRAY" && o->has("dims")) fail(where, "\"dims\" is only allowed for H5T_ARRAY types");

    if (*cls == "H5T_INTEGER" || *cls == "H5T_FLOAT") {
      const bool isInt = *cls == "H5T_INTEGER";
      const Var base = required(*o, "base", where);
      const std::string* name = asString(base);
      if (!name)
        fail(where, "\"base\" must be a predefined type name such as " +
                        quoted(isInt ? "H5T_STD_I32LE" : "H5T_IEEE_F64LE"));
      DatatypePtr t = predefined(*name);
      if (!t || t->cls != (isInt ? TypeClass::Integer : TypeClass::Float))
        fail(where, "unknown " + std::string(isInt ? "integer" : "float") + " base " + quoted(*name));
      return t;
    }
    if (*cls == "H5T_STRING") return parseString(*o, where);
    if (*cls == "H5T_COMPOUND") return parseCompound(*o, where, depth);
    if (*cls == "H5T_ARRAY") return parseArray(*o, where, depth);
    if (*cls == "H5T_VLEN") {
      auto t = std::make_shared<Datatype>();
      t->cls = TypeClass::Vlen;
      t->base = parse(required(*o, "base", where), child(where, "base"), depth + 1);
      t->size = 0;
      return t;
    }
    if (*cls == "H5T_ENUM") return parseEnum(*o, where, depth);
    if (*cls == "H5T_OPAQUE") {
      auto t = std::make_shared<Datatype>();
      t->cls = TypeClass::Opaque;
      t->size = positiveInt(required(*o, "size", where), "size", where);
      if (o->has("tag")) {
        const Var tag = o->get("tag");
        const std::string* s = asString(tag);
        if (!s) fail(where, "\"tag\" must be a string");
        if (s->size() > kMaxOpaqueTag)
          fail(where, "\"tag\" is longer than " + std::to_string(kMaxOpaqueTag) + " bytes");
        t->tag = *s;
      }
      return t;
    }
    if (*cls == "H5T_REFERENCE") {
      const Var base = required(*o, "base", where);
      const std::string* name = asString(base);
      if (name && *name == "H5T_STD_REF_OBJ") return makeRef(RefKind::Object);
      if (name && *name == "H5T_STD_REF_DSETREG") return makeRef(RefKind::Region);
      fail(where, "reference \"base\" must be \"H5T_STD_REF_OBJ\" or \"H5T_STD_REF_DSETREG\"");
    }
    if (*cls == "H5T_TIME" || *cls == "H5T_BITFIELD") fail(where, "unsupported class " + quoted(*cls));
    fail(where, "unknown class " + quoted(*cls));
  }

 private:
  [[noreturn]] static void fail(const std::string& where, const std::string& what) {
    bad("invalid type" + (where.empty() ? std::string() : " at " + where) + ": " + what);
  }

  static std::string child(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

  static Var required(const JObject& o, const char* key, const std::string& where) {
    if (!o.has(key)) fail(where, std::string("missing \"") + key + "\"");
    return o.get(key);
  }

  static std::size_t positiveInt(const Var& v, const char* key, const std::string& where) {
    Int128 x;
    if (!jsonInteger(v, x)) fail(where, std::string("\"") + key + "\" must be an integer");
    if (x < 0) fail(where, std::string("negative \"") + key + "\" " + int128ToString(x));
    if (x == 0) fail(where, std::string("\"") + key + "\" must be at least 1");
    if (x > Int128(kMaxTypeSize))
      fail(where, std::string("\"") + key + "\" " + int128ToString(x) + " is too large");
    return static_cast<std::size_t>(x);
  }

  DatatypePtr parseString(const JObject& o, const std::string& where) {
    CharSet cs = CharSet::Ascii;
    if (o.has("charSet")) {
      const Var v = o.get("charSet");
      const std::string* s = asString(v);
      if (s && *s == "H5T_CSET_ASCII")
        cs = CharSet::Ascii;
      else if (s && *s == "H5T_CSET_UTF8")
        cs = CharSet::Utf8;
      else
        fail(where, "\"charSet\" must be \"H5T_CSET_ASCII\" or \"H5T_CSET_UTF8\"");
    }
    std::optional<StrPad> pad;
    if (o.has("strPad")) {
      const Var v = o.get("strPad");
      const std::string* s = asString(v);
      if (s && *s == "H5T_STR_NULLTERM")
        pad = StrPad::NullTerm;
      else if (s && *s == "H5T_STR_NULLPAD")
        pad = StrPad::NullPad;
      else if (s && *s == "H5T_STR_SPACEPAD")
        pad = StrPad::SpacePad;
      else
        fail(where, "\"strPad\" must be \"H5T_STR_NULLTERM\", \"H5T_STR_NULLPAD\" or \"H5T_STR_SPACEPAD\"");
    }
    const Var length = required(o, "length", where);
    if (const std::string* s = asString(length)) {
      if (*s != "H5T_VARIABLE") fail(where, "\"length\" must be an integer or \"H5T_VARIABLE\"");
      auto t = std::make_shared<Datatype>(*vlenStringType(cs));
      t->strPad = pad.value_or(StrPad::NullTerm);
      return t;
    }
    Int128 x;
    if (!jsonInteger(length, x)) fail(where, "\"length\" must be an integer or \"H5T_VARIABLE\"");
    return fixedStringType(positiveInt(length, "length", where), cs, pad.value_or(StrPad::NullPad));
  }

  DatatypePtr parseCompound(const JObject& o, const std::string& where, int depth) {
    const Var fieldsVar = required(o, "fields", where);
    const Var* items;
    std::size_t n;
    if (!asList(fieldsVar, items, n)) fail(where, "\"fields\" must be a list");
    if (n == 0) fail(where, "compound type has no fields");
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Compound;
    t->fields.reserve(n);
    bool variable = false;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string at = child(where, "fields[" + std::to_string(i) + "]");
      const JObject* f = asObject(items[i]);
      if (!f) fail(at, "a field must be an object with \"name\" and \"type\"");
      const Var nameVar = required(*f, "name", at);
      const std::string* name = asString(nameVar);
      if (!name) fail(at, "\"name\" must be a string");
      if (name->empty()) fail(at, "empty field name");
      for (const Field& prev : t->fields)
        if (prev.name == *name) fail(where, "duplicate field name " + quoted(*name));
      Field field;
      field.name = *name;
      field.type = parse(required(*f, "type", at), child(at, "type"), depth + 1);
      if (field.type->fixedSize()) {
        field.offset = offset;
        offset += field.type->size;
        if (offset > kMaxTypeSize)
          fail(where, "compound type is larger than " + std::to_string(kMaxTypeSize) + " bytes");
      } else {
        variable = true;
      }
      t->fields.push_back(std::move(field));
    }
    if (variable) {
      // Offsets only exist in the fixed-size layout.
      for (Field& f : t->fields) f.offset = 0;
      t->size = 0;
    } else {
      t->size = offset;
    }
    return t;
  }

  DatatypePtr parseArray(const JObject& o, const std::string& where, int depth) {
    const Var dimsVar = required(o, "dims", where);
    std::vector<uint64_t> dims;
    const Var* items;
    std::size_t n;
    if (asList(dimsVar, items, n)) {
      if (n == 0) fail(where, "\"dims\" must not be empty");
      if (n > kMaxArrayRank)
        fail(where, "\"dims\" has more than " + std::to_string(kMaxArrayRank) + " dimensions");
      for (std::size_t i = 0; i < n; ++i) dims.push_back(positiveInt(items[i], "dims", where));
    } else {
      Int128 x;
      if (!jsonInteger(dimsVar, x)) fail(where, "\"dims\" must be a list of positive integers");
      dims.push_back(positiveInt(dimsVar, "dims", where));
    }
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Array;
    t->base = parse(required(o, "base", where), child(where, "base"), depth + 1);
    t->dims = std::move(dims);
    if (t->base->fixedSize()) {
      Int128 total = t->base->size;
      for (uint64_t d : t->dims) {
        total *= d;
        if (total > Int128(kMaxTypeSize))
          fail(where, "array type is larger than " + std::to_string(kMaxTypeSize) + " bytes");
      }
      t->size = static_cast<std::size_t>(total);
    } else {
      t->size = 0;
    }
    return t;
  }

  DatatypePtr parseEnum(const JObject& o, const std::string& where, int depth) {
    DatatypePtr base = parse(required(o, "base", where), child(where, "base"), depth + 1);
    if (base->cls != TypeClass::Integer) fail(where, "enum \"base\" must be an integer type");
    const bool hasMapping = o.has("mapping"), hasMembers = o.has("members");
    if (hasMapping && hasMembers) fail(where, "give either \"mapping\" or \"members\", not both");
    if (!hasMapping && !hasMembers) fail(where, "missing \"mapping\"");
    auto t = std::make_shared<Datatype>();
    t->cls = TypeClass::Enum;
    t->size = base->size;
    t->isSigned = base->isSigned;
    t->order = base->order;
    auto add = [&](const std::string& name, const Var& value) {
      if (name.empty()) fail(where, "empty enum member name");
      Int128 x;
      if (!jsonInteger(value, x)) fail(where, "enum member " + quoted(name) + " must have an integer value");
      if (x < intMin(base->size, base->isSigned) || x > intMax(base->size, base->isSigned) ||
          x > Int128(std::numeric_limits<int64_t>::max()))
        fail(where, "enum member " + quoted(name) + " value " + int128ToString(x) + " is out of range for " +
                        base->baseName());
      for (const auto& [n, v] : t->members) {
        if (n == name) fail(where, "duplicate enum member name " + quoted(name));
        if (Int128(v) == x) fail(where, "duplicate enum value " + int128ToString(x));
      }
      t->members.emplace_back(name, static_cast<int64_t>(x));
    };
    if (hasMapping) {
      const Var mapping = o.get("mapping");
      const JObject* m = asObject(mapping);
      if (!m) fail(where, "\"mapping\" must be an object {name: value}");
      // getNames keeps the client's order when the parser preserved it.
      for (const std::string& name : m->getNames()) add(name, m->get(name));
    } else {
      const Var members = o.get("members");
      const Var* items;
      std::size_t n;
      if (!asList(members, items, n)) fail(where, "\"members\" must be a list of {\"name\", \"value\"}");
      for (std::size_t i = 0; i < n; ++i) {
        const JObject* m = asObject(items[i]);
        if (!m) fail(where, "\"members\" must be a list of {\"name\", \"value\"}");
        const Var name = m->get("name");
        if (!asString(name)) fail(where, "enum member \"name\" must be a string");
        if (!m->has("value")) fail(where, "enum member " + quoted(*asString(name)) + " has no \"value\"");
        add(*asString(name), m->get("value"));
      }
    }
    if (t->members.empty()) fail(where, "enum type has no members");
    t->base = std::move(base);
    return t;
  }
};

JObject::Ptr orderedObject() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

const char* charSetName(CharSet cs) { return cs == CharSet::Utf8 ? "H5T_CSET_UTF8" : "H5T_CSET_ASCII"; }

const char* strPadName(StrPad pad) {
  switch (pad) {
    case StrPad::NullTerm:
      return "H5T_STR_NULLTERM";
    case StrPad::SpacePad:
      return "H5T_STR_SPACEPAD";
    case StrPad::NullPad:
      break;
  }
  return "H5T_STR_NULLPAD";
}

}  // namespace

DatatypePtr typeFromJson(const Poco::Dynamic::Var& json) {
  try {
    return TypeParser().parse(json, "", 0);
  } catch (const Error&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw BadRequest("invalid type: " + e.displayText());
  }
}

Poco::Dynamic::Var typeToJson(const Datatype& t) {
  JObject::Ptr o = orderedObject();
  switch (t.cls) {
    case TypeClass::Integer:
      o->set("class", "H5T_INTEGER");
      o->set("base", t.baseName());
      break;
    case TypeClass::Float:
      o->set("class", "H5T_FLOAT");
      o->set("base", t.baseName());
      break;
    case TypeClass::String:
      o->set("class", "H5T_STRING");
      o->set("charSet", charSetName(t.charSet));
      o->set("strPad", strPadName(t.strPad));
      if (t.variable)
        o->set("length", "H5T_VARIABLE");
      else
        o->set("length", static_cast<Poco::Int64>(t.size));
      break;
    case TypeClass::Compound: {
      o->set("class", "H5T_COMPOUND");
      JArray::Ptr fields = new JArray();
      for (const Field& f : t.fields) {
        JObject::Ptr fo = orderedObject();
        fo->set("name", f.name);
        fo->set("type", typeToJson(*f.type));
        fields->add(fo);
      }
      o->set("fields", fields);
      break;
    }
    case TypeClass::Array: {
      o->set("class", "H5T_ARRAY");
      o->set("base", typeToJson(*t.base));
      JArray::Ptr dims = new JArray();
      for (uint64_t d : t.dims) dims->add(static_cast<Poco::Int64>(d));
      o->set("dims", dims);
      break;
    }
    case TypeClass::Vlen:
      o->set("class", "H5T_VLEN");
      o->set("base", typeToJson(*t.base));
      break;
    case TypeClass::Enum: {
      o->set("class", "H5T_ENUM");
      o->set("base", t.base ? typeToJson(*t.base) : typeToJson(*intType(t.size, t.isSigned, t.order)));
      JObject::Ptr mapping = orderedObject();
      for (const auto& [name, value] : t.members) mapping->set(name, static_cast<Poco::Int64>(value));
      o->set("mapping", mapping);
      break;
    }
    case TypeClass::Opaque:
      o->set("class", "H5T_OPAQUE");
      o->set("size", static_cast<Poco::Int64>(t.size));
      // h5serv drops the tag; keeping a non-empty one lets the type round-trip.
      if (!t.tag.empty()) o->set("tag", t.tag);
      break;
    case TypeClass::Reference:
      o->set("class", "H5T_REFERENCE");
      o->set("base", t.ref == RefKind::Object ? "H5T_STD_REF_OBJ" : "H5T_STD_REF_DSETREG");
      break;
  }
  return o;
}

}  // namespace strata::arrays
