// core/src/arrays (datatype.cpp, type_json.cpp, json_codec.cpp, byte_order.cpp): type JSON, the packed
// element form, JSON <-> bytes.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <gtest/gtest.h>
#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace strata::arrays {
namespace {

using Poco::Dynamic::Var;
using Dims = std::vector<uint64_t>;

// Poco's parser rejects top-level scalars ("7", "\"H5T_STD_I8LE\""), which real request
// bodies never are: parse inside a list and take the element out.
Var parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse("[" + text + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
}

std::string condense(const Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(v, out);
  return out.str();
}

DatatypePtr type(const std::string& json) { return typeFromJson(parse(json)); }

// JSON -> type -> JSON text.
std::string typeText(const std::string& json) { return condense(typeToJson(*type(json))); }

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) {
    if (!s.empty()) s += ' ';
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

std::string encode(const Datatype& t, const Dims& dims, const std::string& valueJson) {
  std::string out;
  encodeJson(t, dims, parse(valueJson), out);
  return out;
}

// Decodes all of `bytes` and checks that exactly all of it was consumed.
std::string decode(const Datatype& t, const Dims& dims, const std::string& bytes) {
  std::size_t pos = 0;
  Var v = decodeJson(t, dims, bytes.data(), bytes.size(), pos);
  EXPECT_EQ(pos, bytes.size());
  return condense(v);
}

// JSON value -> bytes -> JSON text.
std::string roundTrip(const std::string& typeJson, const Dims& dims, const std::string& valueJson) {
  DatatypePtr t = type(typeJson);
  return decode(*t, dims, encode(*t, dims, valueJson));
}

// The BadRequest message of fn, or "" if it did not throw one.
template <class Fn>
std::string badRequest(Fn&& fn) {
  try {
    fn();
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "";
}

std::string typeError(const std::string& json) {
  return badRequest([&] { typeFromJson(parse(json)); });
}

std::string valueError(const std::string& typeJson, const Dims& dims, const std::string& valueJson) {
  DatatypePtr t = type(typeJson);
  return badRequest([&] { encode(*t, dims, valueJson); });
}

std::string decodeError(const Datatype& t, const Dims& dims, const std::string& bytes) {
  return badRequest([&] {
    std::size_t pos = 0;
    decodeJson(t, dims, bytes.data(), bytes.size(), pos);
  });
}

// ---------------------------------------------------------------------------------------------
// Type JSON

TEST(DatatypeJson, PredefinedNamesAndObjects) {
  for (std::string sign : {"I", "U"})
    for (std::string bits : {"8", "16", "32", "64"})
      for (std::string order : {"LE", "BE"}) {
        const std::string name = "H5T_STD_" + sign + bits + order;
        // One byte has no byte order: 8-bit types are little-endian, as h5py reports them.
        const std::string expected = bits == "8" ? "H5T_STD_" + sign + bits + "LE" : name;
        DatatypePtr a = type("\"" + name + "\"");
        DatatypePtr b = type(R"({"class":"H5T_INTEGER","base":")" + name + "\"}");
        EXPECT_EQ(*a, *b) << name;
        EXPECT_EQ(a->cls, TypeClass::Integer);
        EXPECT_EQ(a->size, std::stoul(bits) / 8);
        EXPECT_EQ(a->isSigned, sign == "I");
        EXPECT_EQ(a->order, order == "BE" && bits != "8" ? ByteOrder::Big : ByteOrder::Little);
        EXPECT_EQ(a->baseName(), expected);
        EXPECT_EQ(condense(typeToJson(*a)), R"({"class":"H5T_INTEGER","base":")" + expected + "\"}");
      }
  for (std::string bits : {"32", "64"})
    for (std::string order : {"LE", "BE"}) {
      const std::string name = "H5T_IEEE_F" + bits + order;
      EXPECT_EQ(typeText("\"" + name + "\""), R"({"class":"H5T_FLOAT","base":")" + name + "\"}");
      EXPECT_EQ(type("\"" + name + "\"")->size, std::stoul(bits) / 8);
    }
  EXPECT_EQ(type("\"H5T_NATIVE_INT\"")->baseName(), "H5T_STD_I32LE");
  EXPECT_EQ(type("\"H5T_NATIVE_ULLONG\"")->baseName(), "H5T_STD_U64LE");
  EXPECT_EQ(type("\"H5T_NATIVE_DOUBLE\"")->baseName(), "H5T_IEEE_F64LE");
  EXPECT_EQ(*intType(4, true, ByteOrder::Big), *type("\"H5T_STD_I32BE\""));
  EXPECT_EQ(*floatType(8), *type("\"H5T_IEEE_F64LE\""));
}

TEST(DatatypeJson, ExactTextForEveryClass) {
  EXPECT_EQ(
      typeText(R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLPAD","length":7})"),
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLPAD","length":7})");
  EXPECT_EQ(
      typeText(
          R"({"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"})"),
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"})");
  EXPECT_EQ(
      typeText(R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_SPACEPAD","length":3})"),
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_SPACEPAD","length":3})");
  EXPECT_EQ(
      typeText(
          R"({"class":"H5T_COMPOUND","fields":[{"name":"date","type":"H5T_STD_I32LE"},)"
          R"({"name":"wind","type":{"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLPAD","length":3}}]})"),
      R"({"class":"H5T_COMPOUND","fields":[{"name":"date","type":{"class":"H5T_INTEGER","base":"H5T_STD_I32LE"}},)"
      R"({"name":"wind","type":{"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLPAD","length":3}}]})");
  EXPECT_EQ(
      typeText(R"({"class":"H5T_ARRAY","base":{"class":"H5T_FLOAT","base":"H5T_IEEE_F32BE"},"dims":[2,2]})"),
      R"({"class":"H5T_ARRAY","base":{"class":"H5T_FLOAT","base":"H5T_IEEE_F32BE"},"dims":[2,2]})");
  EXPECT_EQ(typeText(R"({"class":"H5T_VLEN","base":{"class":"H5T_INTEGER","base":"H5T_STD_I32LE"}})"),
            R"({"class":"H5T_VLEN","base":{"class":"H5T_INTEGER","base":"H5T_STD_I32LE"}})");
  EXPECT_EQ(
      typeText(
          R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I16BE"},"mapping":{"SOLID":0}})"),
      R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I16BE"},"mapping":{"SOLID":0}})");
  // hdf5-json's "members" form comes back as h5serv's "mapping".
  EXPECT_EQ(
      typeText(R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I8LE"},)"
               R"("members":[{"name":"FALSE","value":0},{"name":"TRUE","value":1}]})"),
      R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I8LE"},"mapping":{"FALSE":0,"TRUE":1}})");
  EXPECT_EQ(typeText(R"({"class":"H5T_OPAQUE","size":7})"), R"({"class":"H5T_OPAQUE","size":7})");
  EXPECT_EQ(typeText(R"({"class":"H5T_OPAQUE","size":2,"tag":"pair"})"),
            R"({"class":"H5T_OPAQUE","size":2,"tag":"pair"})");
  EXPECT_EQ(typeText(R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_OBJ"})"),
            R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_OBJ"})");
  EXPECT_EQ(typeText(R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_DSETREG"})"),
            R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_DSETREG"})");
  EXPECT_EQ(typeText(R"("H5T_STD_REF_OBJ")"), R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_OBJ"})");
}

TEST(DatatypeJson, RoundTripsStructurallyForEveryClass) {
  const char* types[] = {
      R"("H5T_STD_U16BE")",
      R"({"class":"H5T_FLOAT","base":"H5T_IEEE_F64LE"})",
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":12})",
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"})",
      R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":{"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[3]}},)"
      R"({"name":"b","type":{"class":"H5T_VLEN","base":{"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"}}}]})",
      R"({"class":"H5T_ARRAY","base":{"class":"H5T_COMPOUND","fields":[{"name":"x","type":"H5T_STD_I32LE"}]},"dims":[2,3,4]})",
      R"({"class":"H5T_VLEN","base":{"class":"H5T_VLEN","base":"H5T_IEEE_F32LE"}})",
      R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_U32BE"},"mapping":{"A":1,"B":7,"C":4000000000}})",
      R"({"class":"H5T_OPAQUE","size":16,"tag":"uuid"})",
      R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_DSETREG"})",
  };
  for (const char* json : types) {
    DatatypePtr t = type(json);
    DatatypePtr again = typeFromJson(typeToJson(*t));
    EXPECT_EQ(*t, *again) << json;
    // Parsing the emitted text gives the same text again.
    const std::string text = condense(typeToJson(*t));
    EXPECT_EQ(condense(typeToJson(*typeFromJson(parse(text)))), text) << json;
  }
}

TEST(DatatypeJson, StringDefaults) {
  DatatypePtr fixed = type(R"({"class":"H5T_STRING","length":5})");
  EXPECT_EQ(fixed->size, 5u);
  EXPECT_FALSE(fixed->variable);
  EXPECT_EQ(fixed->charSet, CharSet::Ascii);
  EXPECT_EQ(fixed->strPad, StrPad::NullPad);
  DatatypePtr vlen = type(R"({"class":"H5T_STRING","length":"H5T_VARIABLE","charSet":"H5T_CSET_UTF8"})");
  EXPECT_TRUE(vlen->variable);
  EXPECT_EQ(vlen->size, 0u);
  EXPECT_FALSE(vlen->fixedSize());
  EXPECT_EQ(vlen->strPad, StrPad::NullTerm);
  EXPECT_EQ(*vlen, *vlenStringType(CharSet::Utf8));
  EXPECT_EQ(*fixed, *fixedStringType(5));
}

TEST(DatatypeJson, CompoundOffsetsAndSizes) {
  DatatypePtr t = type(R"({"class":"H5T_COMPOUND","fields":[)"
                       R"({"name":"a","type":"H5T_STD_I8LE"},)"
                       R"({"name":"b","type":"H5T_IEEE_F64BE"},)"
                       R"({"name":"c","type":{"class":"H5T_ARRAY","base":"H5T_STD_U16LE","dims":[2,3]}},)"
                       R"({"name":"d","type":{"class":"H5T_REFERENCE","base":"H5T_STD_REF_OBJ"}}]})");
  ASSERT_EQ(t->fields.size(), 4u);
  EXPECT_EQ(t->fields[0].offset, 0u);
  EXPECT_EQ(t->fields[1].offset, 1u);
  EXPECT_EQ(t->fields[2].offset, 9u);
  EXPECT_EQ(t->fields[3].offset, 21u);
  EXPECT_EQ(t->size, 21u + kRefBytes);
  EXPECT_FALSE(t->hasVariableParts());
  EXPECT_EQ(t->fields[2].type->size, 12u);

  DatatypePtr v = type(R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_I8LE"},)"
                       R"({"name":"s","type":{"class":"H5T_STRING","length":"H5T_VARIABLE"}}]})");
  EXPECT_EQ(v->size, 0u);
  EXPECT_TRUE(v->hasVariableParts());
  EXPECT_TRUE(type(R"({"class":"H5T_ARRAY","base":{"class":"H5T_VLEN","base":"H5T_STD_I8LE"},"dims":[2]})")
                  ->hasVariableParts());
  EXPECT_TRUE(type(R"("H5T_STD_REF_DSETREG")")->hasVariableParts());
  EXPECT_EQ(type(R"("H5T_STD_REF_OBJ")")->size, kRefBytes);
  EXPECT_FALSE(type(R"({"class":"H5T_OPAQUE","size":3})")->hasVariableParts());
}

TEST(DatatypeJson, EqualityIsStructural) {
  EXPECT_FALSE(*type(R"("H5T_STD_I32LE")") == *type(R"("H5T_STD_I32BE")"));
  EXPECT_FALSE(*type(R"("H5T_STD_I32LE")") == *type(R"("H5T_STD_U32LE")"));
  EXPECT_FALSE(*type(R"("H5T_STD_I32LE")") == *type(R"("H5T_IEEE_F32LE")"));
  EXPECT_FALSE(*type(R"({"class":"H5T_STRING","length":4})") ==
               *type(R"({"class":"H5T_STRING","length":4,"strPad":"H5T_STR_SPACEPAD"})"));
  EXPECT_FALSE(*type(R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_I8LE"}]})") ==
               *type(R"({"class":"H5T_COMPOUND","fields":[{"name":"b","type":"H5T_STD_I8LE"}]})"));
  EXPECT_FALSE(*type(R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[2,3]})") ==
               *type(R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[3,2]})"));
  // Enum members compare by name and value, not by declaration order (as HDF5 does).
  EXPECT_EQ(
      *type(
          R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","members":[{"name":"A","value":0},{"name":"B","value":1}]})"),
      *type(
          R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","members":[{"name":"B","value":1},{"name":"A","value":0}]})"));
  EXPECT_FALSE(*type(R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":0}})") ==
               *type(R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":1}})"));
  // committedId is not part of the structure.
  Datatype committed = *type(R"("H5T_STD_I8LE")");
  committed.committedId = "t-1234";
  EXPECT_EQ(committed, *type(R"("H5T_STD_I8LE")"));
  // typeToJson writes only the structure of a committed type.
  EXPECT_EQ(condense(typeToJson(committed)), R"({"class":"H5T_INTEGER","base":"H5T_STD_I8LE"})");
}

TEST(DatatypeJson, RejectsGarbageWithMessagesThatSayWhat) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"(5)", "predefined type name or an object"},
      {R"(null)", "predefined type name or an object"},
      {R"([1,2])", "predefined type name or an object"},
      {R"("H5T_STD_I7LE")", "unknown predefined type \"H5T_STD_I7LE\""},
      {R"("H5T_STD_I32")", "unknown predefined type"},
      {R"("datatypes/t-123")", "must be resolved"},
      {R"({})", "missing \"class\""},
      {R"({"class":5})", "\"class\" must be a string"},
      {R"({"class":"H5T_FOO"})", "unknown class \"H5T_FOO\""},
      {R"({"class":"H5T_TIME"})", "unsupported class \"H5T_TIME\""},
      {R"({"class":"H5T_INTEGER"})", "missing \"base\""},
      {R"({"class":"H5T_INTEGER","base":{"class":"H5T_INTEGER"}})",
       "\"base\" must be a predefined type name"},
      {R"({"class":"H5T_INTEGER","base":"H5T_IEEE_F32LE"})", "unknown integer base \"H5T_IEEE_F32LE\""},
      {R"({"class":"H5T_FLOAT","base":"H5T_STD_I32LE"})", "unknown float base"},
      {R"({"class":"H5T_INTEGER","base":"H5T_STD_I32LE","dims":[2]})",
       "\"dims\" is only allowed for H5T_ARRAY"},
      {R"({"class":"H5T_STRING"})", "missing \"length\""},
      {R"({"class":"H5T_STRING","length":-3})", "negative \"length\" -3"},
      {R"({"class":"H5T_STRING","length":0})", "\"length\" must be at least 1"},
      {R"({"class":"H5T_STRING","length":2.5})", "\"length\" must be an integer or \"H5T_VARIABLE\""},
      {R"({"class":"H5T_STRING","length":"7"})", "\"length\" must be an integer or \"H5T_VARIABLE\""},
      {R"({"class":"H5T_STRING","length":[7]})", "\"length\" must be an integer or \"H5T_VARIABLE\""},
      {R"({"class":"H5T_STRING","length":99999999999})", "too large"},
      {R"({"class":"H5T_STRING","length":4,"charSet":"H5T_CSET_EBCDIC"})", "\"charSet\" must be"},
      {R"({"class":"H5T_STRING","length":4,"strPad":1})", "\"strPad\" must be"},
      {R"({"class":"H5T_COMPOUND"})", "missing \"fields\""},
      {R"({"class":"H5T_COMPOUND","fields":5})", "\"fields\" must be a list"},
      {R"({"class":"H5T_COMPOUND","fields":{"a":"H5T_STD_I8LE"}})", "\"fields\" must be a list"},
      {R"({"class":"H5T_COMPOUND","fields":[]})", "compound type has no fields"},
      {R"({"class":"H5T_COMPOUND","fields":[5]})", "at fields[0]: a field must be an object"},
      {R"({"class":"H5T_COMPOUND","fields":[{"type":"H5T_STD_I8LE"}]})", "at fields[0]: missing \"name\""},
      {R"({"class":"H5T_COMPOUND","fields":[{"name":3,"type":"H5T_STD_I8LE"}]})",
       "\"name\" must be a string"},
      {R"({"class":"H5T_COMPOUND","fields":[{"name":"","type":"H5T_STD_I8LE"}]})", "empty field name"},
      {R"({"class":"H5T_COMPOUND","fields":[{"name":"a"}]})", "at fields[0]: missing \"type\""},
      {R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_I8LE"},{"name":"a","type":"H5T_STD_I8LE"}]})",
       "duplicate field name \"a\""},
      {R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":{"class":"H5T_BAD"}}]})",
       "at fields[0].type: unknown class \"H5T_BAD\""},
      {R"({"class":"H5T_ARRAY","dims":[2]})", "missing \"base\""},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE"})", "missing \"dims\""},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[]})", "\"dims\" must not be empty"},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[2,0]})", "\"dims\" must be at least 1"},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":[-2]})", "negative \"dims\""},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I8LE","dims":"2"})", "\"dims\" must be a list"},
      {R"({"class":"H5T_ARRAY","base":"H5T_STD_I64LE","dims":[100000,100000]})", "array type is larger"},
      {R"({"class":"H5T_ARRAY","base":{"class":"H5T_INTEGER"},"dims":[2]})", "at base: missing \"base\""},
      {R"({"class":"H5T_VLEN"})", "missing \"base\""},
      {R"({"class":"H5T_VLEN","base":7})", "at base: a type must be"},
      {R"({"class":"H5T_ENUM","mapping":{"A":0}})", "missing \"base\""},
      {R"({"class":"H5T_ENUM","base":"H5T_IEEE_F32LE","mapping":{"A":0}})",
       "enum \"base\" must be an integer type"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE"})", "missing \"mapping\""},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{}})", "enum type has no members"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":[1]})", "\"mapping\" must be an object"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":"x"}})", "must have an integer value"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":300}})",
       "value 300 is out of range for H5T_STD_I8LE"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":1,"B":1}})", "duplicate enum value 1"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","members":[{"name":"A","value":1},{"name":"A","value":2}]})",
       "duplicate enum member name \"A\""},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","members":5})", "\"members\" must be a list"},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","members":[{"name":"A"}]})", "has no \"value\""},
      {R"({"class":"H5T_ENUM","base":"H5T_STD_I8LE","mapping":{"A":0},"members":[]})", "not both"},
      {R"({"class":"H5T_OPAQUE"})", "missing \"size\""},
      {R"({"class":"H5T_OPAQUE","size":-1})", "negative \"size\""},
      {R"({"class":"H5T_OPAQUE","size":"4"})", "\"size\" must be an integer"},
      {R"({"class":"H5T_OPAQUE","size":4,"tag":4})", "\"tag\" must be a string"},
      {R"({"class":"H5T_REFERENCE"})", "missing \"base\""},
      {R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF"})", "reference \"base\" must be"},
  };
  for (const Case& c : cases) {
    const std::string message = typeError(c.json);
    EXPECT_NE(message.find(c.message), std::string::npos) << c.json << " -> \"" << message << "\"";
  }
}

TEST(DatatypeJson, RejectsDeepNestingAndNonJsonVars) {
  std::string json = R"("H5T_STD_I8LE")";
  for (int i = 0; i < 40; ++i) json = R"({"class":"H5T_VLEN","base":)" + json + "}";
  EXPECT_NE(typeError(json).find("nests more than"), std::string::npos);
  EXPECT_THROW(typeFromJson(Var()), BadRequest);
  EXPECT_THROW(typeFromJson(Var(3.5)), BadRequest);
  EXPECT_THROW(typeFromJson(Var(true)), BadRequest);
  EXPECT_THROW(typeFromJson(Var(Poco::JSON::Object::Ptr())), BadRequest);
}

// ---------------------------------------------------------------------------------------------
// Values

TEST(DatatypeValues, IntegersInDeclaredByteOrder) {
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_I32BE")"), {2}, "[1, -2]")), "00 00 00 01 ff ff ff fe");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_I32LE")"), {2}, "[1, -2]")), "01 00 00 00 fe ff ff ff");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_U16BE")"), {}, "258")), "01 02");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_U16LE")"), {}, "258")), "02 01");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_I8LE")"), {3}, "[-128, 127, 0]")), "80 7f 00");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_I64BE")"), {}, "-9223372036854775808")), "80 00 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_U64BE")"), {}, "18446744073709551615")), "ff ff ff ff ff ff ff ff");
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_U64LE")"), {}, "1")), "01 00 00 00 00 00 00 00");
  // A double with an integral value is an integer.
  EXPECT_EQ(hex(encode(*type(R"("H5T_STD_I16BE")"), {}, "3.0")), "00 03");

  for (const char* t :
       {R"("H5T_STD_I8LE")", R"("H5T_STD_U8BE")", R"("H5T_STD_I16BE")", R"("H5T_STD_U16LE")",
        R"("H5T_STD_I32BE")", R"("H5T_STD_U32LE")", R"("H5T_STD_I64BE")", R"("H5T_STD_U64BE")"}) {
    EXPECT_EQ(roundTrip(t, {2, 2}, "[[0,1],[2,127]]"), "[[0,1],[2,127]]") << t;
  }
  EXPECT_EQ(roundTrip(R"("H5T_STD_I64BE")", {2}, "[-9223372036854775808,9223372036854775807]"),
            "[-9223372036854775808,9223372036854775807]");
  EXPECT_EQ(roundTrip(R"("H5T_STD_U64BE")", {1}, "[18446744073709551615]"), "[18446744073709551615]");
  EXPECT_EQ(roundTrip(R"("H5T_STD_I16LE")", {}, "-300"), "-300");
}

TEST(DatatypeValues, IntegerOverflowAndWrongKinds) {
  EXPECT_NE(valueError(R"("H5T_STD_U8LE")", {}, "256").find("value 256 out of range for H5T_STD_U8LE"),
            std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I8LE")", {}, "-129").find("out of range"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_U64LE")", {}, "-1").find("out of range"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I64LE")", {}, "9223372036854775808").find("out of range"),
            std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32BE")", {}, "1e30").find("out of range"), std::string::npos);
  EXPECT_NE(
      valueError(R"("H5T_STD_I32LE")", {}, "1.5").find("expected an integer for H5T_STD_I32LE, got a number"),
      std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32LE")", {}, R"("12")").find("got a string"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32LE")", {}, "true").find("got a boolean"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32LE")", {}, "null").find("got null"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32LE")", {}, "[1]").find("got a list"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_STD_I32LE")", {}, "{}").find("got an object"), std::string::npos);
  // The position of the bad element is named.
  EXPECT_NE(valueError(R"("H5T_STD_U8LE")", {2, 3}, "[[1,2,3],[4,5,256]]").find("(element [1, 2])"),
            std::string::npos);
}

TEST(DatatypeValues, Floats) {
  EXPECT_EQ(hex(encode(*type(R"("H5T_IEEE_F64BE")"), {}, "1.0")), "3f f0 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(*type(R"("H5T_IEEE_F64LE")"), {}, "1")), "00 00 00 00 00 00 f0 3f");
  EXPECT_EQ(hex(encode(*type(R"("H5T_IEEE_F32BE")"), {}, "1.5")), "3f c0 00 00");
  EXPECT_EQ(hex(encode(*type(R"("H5T_IEEE_F32LE")"), {}, "-2")), "00 00 00 c0");
  EXPECT_EQ(roundTrip(R"("H5T_IEEE_F64BE")", {3}, "[0.5,-1.25,1e+300]"), "[0.5,-1.25,1e+300]");
  EXPECT_EQ(roundTrip(R"("H5T_IEEE_F32LE")", {2}, "[0.5,42]"), "[0.5,42]");
  EXPECT_NE(valueError(R"("H5T_IEEE_F32LE")", {}, "1e39").find("out of range for H5T_IEEE_F32LE"),
            std::string::npos);
  EXPECT_NE(valueError(R"("H5T_IEEE_F64LE")", {}, R"("1.5")").find("expected a number"), std::string::npos);
  EXPECT_NE(valueError(R"("H5T_IEEE_F64LE")", {}, "false").find("expected a number"), std::string::npos);
  // JSON has no literal for these; h5py clients send the strings.
  std::string nan = encode(*type(R"("H5T_IEEE_F64LE")"), {}, R"("NaN")");
  std::size_t pos = 0;
  EXPECT_TRUE(
      std::isnan(decodeElement(*type(R"("H5T_IEEE_F64LE")"), nan.data(), nan.size(), pos).extract<double>()));
  EXPECT_EQ(hex(encode(*type(R"("H5T_IEEE_F32BE")"), {}, R"("-Infinity")")), "ff 80 00 00");
}

TEST(DatatypeValues, FixedStrings) {
  DatatypePtr nullpad =
      type(R"({"class":"H5T_STRING","charSet":"H5T_CSET_ASCII","strPad":"H5T_STR_NULLPAD","length":5})");
  EXPECT_EQ(hex(encode(*nullpad, {2}, R"(["ab","abcde"])")), "61 62 00 00 00 61 62 63 64 65");
  EXPECT_EQ(decode(*nullpad, {2}, std::string("ab\0\0\0abcde", 10)), R"(["ab","abcde"])");

  DatatypePtr spacepad = type(R"({"class":"H5T_STRING","strPad":"H5T_STR_SPACEPAD","length":4})");
  EXPECT_EQ(hex(encode(*spacepad, {}, R"("ab")")), "61 62 20 20");
  EXPECT_EQ(decode(*spacepad, {}, "ab  "), R"("ab")");

  DatatypePtr nullterm = type(R"({"class":"H5T_STRING","strPad":"H5T_STR_NULLTERM","length":6})");
  EXPECT_EQ(hex(encode(*nullterm, {}, R"("abc")")), "61 62 63 00 00 00");
  // NULLTERM stops at the first NUL, whatever follows.
  EXPECT_EQ(decode(*nullterm, {}, std::string("ab\0xyz", 6)), R"("ab")");
  EXPECT_EQ(decode(*nullterm, {}, "abcdef"), R"("abcdef")");

  // UTF-8: the length counts bytes.
  DatatypePtr utf8 = type(R"({"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","length":5})");
  EXPECT_EQ(roundTrip(condense(typeToJson(*utf8)), {}, "\"\xc3\xa9t\xc3\xa9\""), "\"\xc3\xa9t\xc3\xa9\"");
  EXPECT_NE(
      valueError(condense(typeToJson(*utf8)), {}, "\"\xc3\xa9t\xc3\xa9s\"").find("6 bytes does not fit"),
      std::string::npos);

  EXPECT_NE(valueError(R"({"class":"H5T_STRING","length":3})", {}, R"("abcd")")
                .find("string of 4 bytes does not fit a fixed-length string of 3 bytes"),
            std::string::npos);
  EXPECT_NE(valueError(R"({"class":"H5T_STRING","length":3})", {}, "12").find("expected a string"),
            std::string::npos);
}

TEST(DatatypeValues, VariableLengthStrings) {
  DatatypePtr t = type(
      R"({"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"})");
  const std::string bytes = encode(*t, {2}, R"(["hi",""])");
  EXPECT_EQ(hex(bytes), "02 00 00 00 00 00 00 00 68 69 00 00 00 00 00 00 00 00");
  EXPECT_EQ(decode(*t, {2}, bytes), R"(["hi",""])");
  EXPECT_EQ(packedElementSize(*t, bytes.data(), bytes.size(), 0), 10u);
  EXPECT_EQ(packedElementSize(*t, bytes.data(), bytes.size(), 10), 8u);
  EXPECT_EQ(roundTrip(condense(typeToJson(*t)), {}, "\"caf\xc3\xa9\""), "\"caf\xc3\xa9\"");
  EXPECT_NE(valueError(condense(typeToJson(*t)), {1}, "[null]").find("expected a string"), std::string::npos);
}

TEST(DatatypeValues, CompoundWithNestedArrayAndVlenStringFields) {
  const std::string t =
      R"({"class":"H5T_COMPOUND","fields":[)"
      R"({"name":"date","type":"H5T_STD_I32BE"},)"
      R"({"name":"xy","type":{"class":"H5T_ARRAY","base":"H5T_IEEE_F64LE","dims":[2]}},)"
      R"({"name":"name","type":{"class":"H5T_STRING","charSet":"H5T_CSET_UTF8","strPad":"H5T_STR_NULLTERM","length":"H5T_VARIABLE"}}]})";
  DatatypePtr ct = type(t);
  EXPECT_EQ(roundTrip(t, {2}, R"([[23,[1.5,2],"north"],[24,[0,-1],""]])"),
            R"([[23,[1.5,2],"north"],[24,[0,-1],""]])");
  EXPECT_EQ(roundTrip(t, {}, R"([1,[2,3],"x"])"), R"([1,[2,3],"x"])");
  // Packed: fields concatenated, no padding.
  EXPECT_EQ(hex(encode(*ct, {}, R"([1,[0,0],"x"])")),
            "00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 78");
  // An object keyed by field name is accepted on input.
  EXPECT_EQ(roundTrip(t, {1}, R"([{"name":"n","date":5,"xy":[1,2]}])"), R"([[5,[1,2],"n"]])");
  EXPECT_NE(valueError(t, {}, R"([1,[2,3]])")
                .find("compound value must be a list of 3 values (\"date\", \"xy\", \"name\"), got 2"),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, R"({"date":1,"xy":[1,2]})").find("missing field \"name\""), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"({"date":1,"xy":[1,2],"name":"a","extra":1})").find("no field \"extra\""),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, R"([1,[2,3,4],"x"])").find("dimension 0 has 3 elements, expected 2"),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, "5").find("expected a list of field values for compound"), std::string::npos);
}

TEST(DatatypeValues, FixedCompoundLayout) {
  const std::string t =
      R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_U8LE"},{"name":"b","type":"H5T_STD_I16BE"},)"
      R"({"name":"s","type":{"class":"H5T_STRING","length":2}}]})";
  DatatypePtr ct = type(t);
  EXPECT_EQ(ct->size, 5u);
  EXPECT_EQ(hex(encode(*ct, {2}, R"([[1,2,"x"],[255,-1,"yz"]])")), "01 00 02 78 00 ff ff ff 79 7a");
  EXPECT_EQ(roundTrip(t, {2}, R"([[1,2,"x"],[255,-1,"yz"]])"), R"([[1,2,"x"],[255,-1,"yz"]])");
}

TEST(DatatypeValues, ArrayTypes) {
  const std::string t = R"({"class":"H5T_ARRAY","base":"H5T_STD_I16BE","dims":[2,3]})";
  EXPECT_EQ(hex(encode(*type(t), {}, "[[1,2,3],[4,5,6]]")), "00 01 00 02 00 03 00 04 00 05 00 06");
  EXPECT_EQ(roundTrip(t, {2}, "[[[1,2,3],[4,5,6]],[[7,8,9],[10,11,12]]]"),
            "[[[1,2,3],[4,5,6]],[[7,8,9],[10,11,12]]]");
  EXPECT_NE(valueError(t, {}, "[[1,2,3],[4,5]]").find("dimension 1 at [1] has 2 elements, expected 3"),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, "[1,2]").find("dimension 1 at [0] must be a list of 3 elements, got a number"),
            std::string::npos);
  // An array of variable-length strings is itself variable-length.
  const std::string vs =
      R"({"class":"H5T_ARRAY","base":{"class":"H5T_STRING","length":"H5T_VARIABLE"},"dims":[2]})";
  EXPECT_EQ(roundTrip(vs, {2}, R"([["a","bc"],["",""]])"), R"([["a","bc"],["",""]])");
}

TEST(DatatypeValues, VlenSequences) {
  const std::string t = R"({"class":"H5T_VLEN","base":"H5T_STD_I32BE"})";
  const std::string bytes = encode(*type(t), {3}, "[[1,2],[],[3]]");
  EXPECT_EQ(hex(bytes),
            "02 00 00 00 00 00 00 00 00 00 00 01 00 00 00 02 "
            "00 00 00 00 00 00 00 00 "
            "01 00 00 00 00 00 00 00 00 00 00 03");
  EXPECT_EQ(decode(*type(t), {3}, bytes), "[[1,2],[],[3]]");
  EXPECT_EQ(roundTrip(R"({"class":"H5T_VLEN","base":{"class":"H5T_VLEN","base":"H5T_IEEE_F64LE"}})", {2},
                      "[[[1.5],[]],[]]"),
            "[[[1.5],[]],[]]");
  EXPECT_EQ(roundTrip(R"({"class":"H5T_VLEN","base":{"class":"H5T_STRING","length":"H5T_VARIABLE"}})", {},
                      R"(["a","b"])"),
            R"(["a","b"])");
  EXPECT_NE(valueError(t, {1}, "[5]").find("expected a list for variable-length sequence"),
            std::string::npos);
  EXPECT_NE(valueError(t, {1}, R"([[1,"x"]])").find("expected an integer"), std::string::npos);
}

TEST(DatatypeValues, EnumsAndBooleans) {
  const std::string t =
      R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I16BE"},"mapping":{"SOLID":0,"LIQUID":1,"GAS":2}})";
  EXPECT_EQ(hex(encode(*type(t), {3}, R"([0,"LIQUID","GAS"])")), "00 00 00 01 00 02");
  // h5serv returns the integer values.
  EXPECT_EQ(roundTrip(t, {3}, R"(["SOLID",1,"GAS"])"), "[0,1,2]");
  EXPECT_NE(valueError(t, {}, R"("PLASMA")").find("\"PLASMA\" is not a member of the enum"),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, "7").find("value 7 is not a member of the enum"), std::string::npos);
  EXPECT_NE(valueError(t, {}, "true").find("expected a member name or value for enum, got a boolean"),
            std::string::npos);

  // h5py booleans: values are JSON true/false both ways.
  const std::string b =
      R"({"class":"H5T_ENUM","base":{"class":"H5T_INTEGER","base":"H5T_STD_I8LE"},"mapping":{"FALSE":0,"TRUE":1}})";
  EXPECT_EQ(hex(encode(*type(b), {4}, R"([true,false,1,"TRUE"])")), "01 00 01 01");
  EXPECT_EQ(roundTrip(b, {3}, "[true,false,0]"), "[true,false,false]");
  EXPECT_EQ(roundTrip(b, {}, "true"), "true");
  EXPECT_EQ(
      roundTrip(
          R"({"class":"H5T_ENUM","base":"H5T_STD_U8LE","members":[{"name":"FALSE","value":0},{"name":"TRUE","value":1}]})",
          {1}, "[true]"),
      "[true]");
}

TEST(DatatypeValues, ObjectReferences) {
  const std::string t = R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_OBJ"})";
  DatatypePtr rt = type(t);
  const std::string bytes = encode(*rt, {2}, R"(["groups/g-123",""])");
  ASSERT_EQ(bytes.size(), 2 * kRefBytes);
  EXPECT_EQ(bytes.substr(0, 12), "groups/g-123");
  EXPECT_EQ(bytes.substr(12), std::string(2 * kRefBytes - 12, '\0'));
  // A null reference reads as "null" (h5serv's form), which writes one as "" does.
  EXPECT_EQ(decode(*rt, {2}, bytes), R"(["groups/g-123","null"])");
  EXPECT_EQ(encode(*rt, {2}, R"(["groups/g-123","null"])"), bytes);
  EXPECT_EQ(roundTrip(t, {2}, R"(["datasets/0b9e2c48-e613-11f1-96d3-02fc00000001","datatypes/t-1"])"),
            R"(["datasets/0b9e2c48-e613-11f1-96d3-02fc00000001","datatypes/t-1"])");
  // An HSDS id (38 characters) after "datatypes/" fills the reference exactly.
  const std::string longest = "datatypes/t-" + std::string(36, 'a');
  EXPECT_EQ(roundTrip(t, {}, "\"" + longest + "\""), "\"" + longest + "\"");
  EXPECT_NE(valueError(t, {}, "\"" + longest + "b\"").find("longer than 48 bytes"), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("links/abc")").find("must be \"groups/<id>\""), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("abc")").find("must be \"groups/<id>\""), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("groups/")").find("invalid id"), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("groups/a/b")").find("invalid id"), std::string::npos);
  EXPECT_NE(valueError(t, {}, "5").find("expected a string"), std::string::npos);
}

TEST(DatatypeValues, RegionReferences) {
  const std::string t = R"({"class":"H5T_REFERENCE","base":"H5T_STD_REF_DSETREG"})";
  EXPECT_EQ(
      roundTrip(t, {2}, R"([{"id":"d-1","select_type":"H5S_SEL_POINTS","selection":[[0,1],[2,3]]},""])"),
      R"([{"id":"d-1","select_type":"H5S_SEL_POINTS","selection":[[0,1],[2,3]]},""])");
  const std::string bytes = encode(*type(t), {}, R"({"id":"d-1"})");
  EXPECT_EQ(bytes.substr(8), R"({"id":"d-1"})");
  EXPECT_NE(valueError(t, {}, R"({"select_type":"H5S_SEL_POINTS"})").find("needs a string \"id\""),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, R"({"id":"d-1","selection":5})").find("\"selection\" must be a list"),
            std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("d-1")").find("region reference must be an object"), std::string::npos);
  // Corrupt stored text is a clean error.
  std::string corrupt;
  encodeElement(*vlenStringType(), Var(std::string("{nope")), corrupt);
  EXPECT_NE(decodeError(*type(t), {}, corrupt).find("malformed region reference"), std::string::npos);
}

TEST(DatatypeValues, Opaque) {
  const std::string t = R"({"class":"H5T_OPAQUE","size":3,"tag":"rgb"})";
  EXPECT_EQ(hex(encode(*type(t), {}, "[1,128,255]")), "01 80 ff");
  EXPECT_EQ(roundTrip(t, {2}, "[[1,2,3],[0,0,255]]"), "[[1,2,3],[0,0,255]]");
  EXPECT_NE(valueError(t, {}, "[1,2]").find("list of 3 byte values, got 2"), std::string::npos);
  EXPECT_NE(valueError(t, {}, "[1,2,256]").find("integers 0-255"), std::string::npos);
  EXPECT_NE(valueError(t, {}, R"("abc")").find("expected a list of byte values"), std::string::npos);
}

TEST(DatatypeValues, ShapesAreStrict) {
  const std::string t = R"("H5T_STD_I32LE")";
  EXPECT_EQ(roundTrip(t, {}, "7"), "7");
  EXPECT_EQ(roundTrip(t, {1}, "[7]"), "[7]");
  EXPECT_EQ(roundTrip(t, {0}, "[]"), "[]");
  EXPECT_EQ(roundTrip(t, {2, 0}, "[[],[]]"), "[[],[]]");
  EXPECT_NE(valueError(t, {}, "[7]").find("expected an integer"), std::string::npos);
  EXPECT_NE(valueError(t, {1}, "7").find("dimension 0 must be a list of 1 elements, got a number"),
            std::string::npos);
  EXPECT_NE(valueError(t, {3}, "[1,2]").find("dimension 0 has 2 elements, expected 3"), std::string::npos);
  EXPECT_NE(valueError(t, {2, 2}, "[[1,2],[3]]").find("dimension 1 at [1] has 1 elements, expected 2"),
            std::string::npos);
  EXPECT_NE(valueError(t, {2, 2}, "[[1,2],3]").find("dimension 1 at [1] must be a list"), std::string::npos);
  EXPECT_NE(valueError(t, {2, 2}, "[1,2]").find("dimension 1 at [0] must be a list"), std::string::npos);
  EXPECT_NE(valueError(t, {2, 2}, "[1,2,3,4]").find("dimension 0 has 4 elements, expected 2"),
            std::string::npos);
  // A huge claimed shape fails on the value, without allocating for it.
  EXPECT_NE(valueError(t, {1000000000000ull}, "[1]").find("dimension 0 has 1 elements"), std::string::npos);
}

TEST(DatatypeValues, OutputIsUnchangedOnError) {
  std::string out = "prefix";
  EXPECT_THROW(encodeJson(*type(R"("H5T_STD_U8LE")"), {3}, parse("[1,2,300]"), out), BadRequest);
  EXPECT_EQ(out, "prefix");
  EXPECT_THROW(encodeElement(*type(R"({"class":"H5T_VLEN","base":"H5T_STD_U8LE"})"), parse("[1,2,300]"), out),
               BadRequest);
  EXPECT_EQ(out, "prefix");
  encodeJson(*type(R"("H5T_STD_U8LE")"), {2}, parse("[1,2]"), out);
  EXPECT_EQ(out, std::string("prefix\x01\x02"));
}

TEST(DatatypeValues, AcceptsOtherVarRepresentations) {
  DatatypePtr t = type(
      R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_I8LE"},{"name":"b","type":"H5T_IEEE_F32LE"}]})");
  Poco::Dynamic::Array list{Var(int(1)), Var(2.5f)};
  std::string out;
  encodeElement(*t, Var(list), out);
  EXPECT_EQ(hex(out), "01 00 00 20 40");
  Poco::JSON::Object::Ptr object = new Poco::JSON::Object();
  object->set("a", short(-1));
  object->set("b", 1u);
  out.clear();
  encodeElement(*t, Var(object), out);
  EXPECT_EQ(hex(out), "ff 00 00 80 3f");
}

TEST(DatatypeValues, TruncatedAndCorruptInput) {
  DatatypePtr i32 = type(R"("H5T_STD_I32BE")");
  EXPECT_NE(decodeError(*i32, {2}, std::string(7, '\0')).find("truncated value"), std::string::npos);
  EXPECT_NE(decodeError(*i32, {}, std::string(3, '\0')).find("truncated value"), std::string::npos);
  // A fixed size is known before the bytes are.
  EXPECT_EQ(packedElementSize(*i32, nullptr, 0, 0), 4u);

  DatatypePtr vs = vlenStringType();
  std::string good;
  encodeElement(*vs, Var(std::string("hello")), good);
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_NE(decodeError(*vs, {}, good.substr(0, n)).find("truncated value"), std::string::npos) << n;

  DatatypePtr seq = type(R"({"class":"H5T_VLEN","base":"H5T_STD_I64LE"})");
  std::string huge(8, '\xff');  // a count of 2^64-1 elements
  EXPECT_NE(decodeError(*seq, {}, huge).find("truncated value"), std::string::npos);
  EXPECT_THROW(packedElementSize(*seq, huge.data(), huge.size(), 0), BadRequest);
  EXPECT_NE(decodeError(*seq, {1000000000000ull}, huge).find("truncated value"), std::string::npos);

  DatatypePtr compound = type(
      R"({"class":"H5T_COMPOUND","fields":[{"name":"s","type":{"class":"H5T_STRING","length":"H5T_VARIABLE"}},)"
      R"({"name":"v","type":{"class":"H5T_VLEN","base":"H5T_STD_I8LE"}}]})");
  std::string packed;
  encodeElement(*compound, parse(R"(["ab",[1,2,3]])"), packed);
  EXPECT_EQ(packedElementSize(*compound, packed.data(), packed.size(), 0), packed.size());
  EXPECT_NE(decodeError(*compound, {}, packed.substr(0, packed.size() - 1)).find("truncated value"),
            std::string::npos);
  EXPECT_THROW(packedElementSize(*compound, packed.data(), packed.size() - 1, 0), BadRequest);
}

TEST(DatatypeValues, DecodeAdvancesThroughConcatenatedElements) {
  DatatypePtr t = type(R"({"class":"H5T_VLEN","base":"H5T_STD_U8LE"})");
  std::string bytes;
  encodeElement(*t, parse("[1]"), bytes);
  encodeElement(*t, parse("[2,3]"), bytes);
  std::size_t pos = 0;
  EXPECT_EQ(condense(decodeElement(*t, bytes.data(), bytes.size(), pos)), "[1]");
  EXPECT_EQ(pos, 9u);
  EXPECT_EQ(condense(decodeElement(*t, bytes.data(), bytes.size(), pos)), "[2,3]");
  EXPECT_EQ(pos, bytes.size());
}

TEST(DatatypeValues, SwapByteOrder) {
  DatatypePtr i32 = type(R"("H5T_STD_I32BE")");
  std::string bytes = encode(*i32, {2}, "[1,2]");
  swapByteOrder(*i32, bytes.data(), 2);
  EXPECT_EQ(hex(bytes), "01 00 00 00 02 00 00 00");
  std::size_t pos = 0;
  EXPECT_EQ(condense(decodeJson(*type(R"("H5T_STD_I32LE")"), {2}, bytes.data(), bytes.size(), pos)), "[1,2]");

  DatatypePtr c =
      type(R"({"class":"H5T_COMPOUND","fields":[{"name":"a","type":"H5T_STD_U16BE"},)"
           R"({"name":"s","type":{"class":"H5T_STRING","length":2}},)"
           R"({"name":"f","type":{"class":"H5T_ARRAY","base":"H5T_IEEE_F32BE","dims":[2]}},)"
           R"({"name":"e","type":{"class":"H5T_ENUM","base":"H5T_STD_I16BE","mapping":{"A":1}}}]})");
  std::string cb = encode(*c, {}, R"([258,"xy",[1,-2],"A"])");
  EXPECT_EQ(hex(cb), "01 02 78 79 3f 80 00 00 c0 00 00 00 00 01");
  swapByteOrder(*c, cb.data(), 1);
  EXPECT_EQ(hex(cb), "02 01 78 79 00 00 80 3f 00 00 00 c0 01 00");
  EXPECT_THROW(swapByteOrder(*vlenStringType(), bytes.data(), 1), BadRequest);
}

TEST(DatatypeValues, MillionElementsStayFast) {
  const std::size_t n = 1000000;
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
  for (std::size_t i = 0; i < n; ++i) list->add(static_cast<Poco::Int64>(i));
  DatatypePtr t = type(R"("H5T_STD_I32BE")");
  const auto start = std::chrono::steady_clock::now();
  std::string bytes;
  encodeJson(*t, {n}, Var(list), bytes);
  const auto encoded = std::chrono::steady_clock::now();
  ASSERT_EQ(bytes.size(), 4 * n);
  EXPECT_EQ(hex(bytes.substr(4 * 999999)), "00 0f 42 3f");
  std::size_t pos = 0;
  Var back = decodeJson(*t, {n}, bytes.data(), bytes.size(), pos);
  const auto decoded = std::chrono::steady_clock::now();
  const auto& out = back.extract<Poco::JSON::Array::Ptr>();
  ASSERT_EQ(out->size(), n);
  EXPECT_EQ(out->get(999999).extract<Poco::Int64>(), 999999);
  using ms = std::chrono::milliseconds;
  std::cout << "1M I32BE: encode " << std::chrono::duration_cast<ms>(encoded - start).count()
            << " ms, decode " << std::chrono::duration_cast<ms>(decoded - encoded).count() << " ms\n";
  // Generous bounds: a regression to per-element reparsing or copying would be far slower.
  EXPECT_LT(std::chrono::duration_cast<ms>(encoded - start).count(), 2000);
  EXPECT_LT(std::chrono::duration_cast<ms>(decoded - encoded).count(), 2000);
}

}  // namespace
}  // namespace strata::arrays
