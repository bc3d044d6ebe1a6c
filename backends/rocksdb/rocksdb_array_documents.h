#pragma once
// The records of the rocksdb arrays store (see the top of rocksdb_array_store.cpp): object
// documents, links and attributes to and from their stored forms, and the infos the store
// returns from them. A record that does not parse throws; the store reports it as corrupt.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <rocksdb/slice.h>
#include <strata/arrays/datatype.h>
#include <strata/stores/array_store.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rocksdb_array_store.h"

namespace strata::rocksdb {

// arrays::checkType, and then a type this store can record (its JSON form round-trips).
void checkStorableType(const arrays::DatatypePtr& type, const std::string& what);

std::string jsonText(const Poco::JSON::Object::Ptr& json);
Poco::JSON::Object::Ptr parseObject(const std::string& text);
uint64_t u64(const Poco::JSON::Object::Ptr& o, const std::string& key);
std::vector<uint64_t> u64Vector(const Poco::JSON::Object::Ptr& o, const std::string& key);
std::string hex(const std::string& bytes);
std::string unhex(const std::string& text);

const char* shapeClassName(ShapeClass cls);
ShapeClass shapeClassFrom(const std::string& name);
// A type in a document: its JSON form plus the packing of its compounds.
void setType(Poco::JSON::Object::Ptr o, const arrays::DatatypePtr& type);
arrays::DatatypePtr typeOf(const Poco::JSON::Object::Ptr& o);
Poco::JSON::Array::Ptr filtersToJson(const std::vector<Filter>& filters);
std::vector<Filter> filtersFromJson(const Poco::JSON::Array::Ptr& a);

Poco::JSON::Object::Ptr linkToJson(const Link& l);
Link linkFromJson(const std::string& name, const Poco::JSON::Object::Ptr& o);

// Attribute records: a big-endian uint32 header length, the JSON header, the packed value.
std::string encodeAttribute(const AttributeInfo& a, const std::string& value);
// The header's length, checked against the record.
uint32_t attributeHeaderSize(const ::rocksdb::Slice& record);
AttributeInfo decodeAttribute(const std::string& name, const ::rocksdb::Slice& record);

ObjectInfo objectInfo(const Poco::JSON::Object::Ptr& o);
ContainerInfo containerInfo(const std::string& name, const Poco::JSON::Object::Ptr& record);
DatasetInfo datasetInfo(const RocksDbArrayStore::Dataset& d);

}  // namespace strata::rocksdb
