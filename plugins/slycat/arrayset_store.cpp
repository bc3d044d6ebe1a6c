#include "arrayset_store.h"

#include <strata/arrays/selection.h>
#include <strata/errors.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

namespace strata::slycat {

namespace {

bool decimal(const std::string& s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string readAll(ArrayStore& store, const std::string& c, const std::string& id, DatasetInfo& info) {
  info = store.dataset(c, id);
  std::string bytes;
  store.read(c, id, arrays::Selection::all(info.shape.dims),
             [&bytes](const char* data, std::size_t n) { bytes.append(data, n); });
  return bytes;
}

uint64_t elements(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

std::string linkTarget(ArrayStore& store, const std::string& c, const std::string& group,
                       const std::string& name) {
  const Link l = store.link(c, group, name);
  if (l.cls != LinkClass::Hard) throw InternalError("arrayset " + c + ": '" + name + "' is not a hard link");
  return l.id;
}

}  // namespace

arrays::DatatypePtr attributeType(const std::string& name) {
  static const std::map<std::string, std::pair<std::size_t, bool>> ints = {
      {"int8", {1, true}},   {"int16", {2, true}},   {"int32", {4, true}},   {"int64", {8, true}},
      {"uint8", {1, false}}, {"uint16", {2, false}}, {"uint32", {4, false}}, {"uint64", {8, false}}};
  if (const auto it = ints.find(name); it != ints.end())
    return arrays::intType(it->second.first, it->second.second);
  if (name == "float32") return arrays::floatType(4);
  if (name == "float64") return arrays::floatType(8);
  if (name == "string") return arrays::vlenStringType(arrays::CharSet::Utf8);
  return nullptr;
}

void decodeNumbers(const arrays::Datatype& type, const char* data, std::size_t count,
                   std::vector<double>& out) {
  const std::size_t size = type.size;
  const bool swap = type.order == arrays::ByteOrder::Big;
  out.reserve(out.size() + count);
  unsigned char buf[8];
  for (std::size_t i = 0; i < count; ++i) {
    const char* p = data + i * size;
    for (std::size_t b = 0; b < size; ++b) buf[b] = static_cast<unsigned char>(p[swap ? size - 1 - b : b]);
    double v = 0;
    if (type.cls == arrays::TypeClass::Float) {
      if (size == 4) {
        float f;
        std::memcpy(&f, buf, 4);
        v = f;
      } else {
        std::memcpy(&v, buf, 8);
      }
    } else {
      uint64_t u = 0;
      for (std::size_t b = 0; b < size; ++b) u |= uint64_t(buf[b]) << (8 * b);
      if (type.isSigned && size < 8 && (u >> (8 * size - 1)) & 1) u |= ~uint64_t(0) << (8 * size);
      v = type.isSigned ? static_cast<double>(static_cast<int64_t>(u)) : static_cast<double>(u);
    }
    out.push_back(v);
  }
}

std::vector<std::string> readStrings(ArrayStore& store, const std::string& c, const std::string& id) {
  DatasetInfo info;
  const std::string bytes = readAll(store, c, id, info);
  std::vector<std::string> out;
  std::size_t pos = 0;
  const uint64_t n = elements(info.shape.dims);
  for (uint64_t i = 0; i < n; ++i) {
    const auto v = arrays::decodeElement(*info.type, bytes.data(), bytes.size(), pos);
    out.push_back(v.isString() ? v.extract<std::string>() : v.toString());
  }
  return out;
}

std::vector<int64_t> readIntegers(ArrayStore& store, const std::string& c, const std::string& id) {
  DatasetInfo info;
  const std::string bytes = readAll(store, c, id, info);
  std::vector<int64_t> out;
  std::size_t pos = 0;
  const uint64_t n = elements(info.shape.dims);
  for (uint64_t i = 0; i < n; ++i)
    out.push_back(arrays::decodeElement(*info.type, bytes.data(), bytes.size(), pos).convert<int64_t>());
  return out;
}

StoredArrayset::StoredArrayset(ArrayStore& store, std::string container)
    : store_(store), container_(std::move(container)) {
  const ContainerInfo info = store_.container(container_);
  arrayGroup_ = linkTarget(store_, container_, info.rootId, "array");
}

std::vector<int64_t> StoredArrayset::arrays() const {
  if (!listed_) {
    for (const Link& l : store_.listLinks(container_, arrayGroup_, Page{}))
      if (l.cls == LinkClass::Hard && l.kind == ObjectKind::Group && decimal(l.name))
        groups_[std::stoll(l.name)] = l.id;
    listed_ = true;
  }
  std::vector<int64_t> ids;
  for (const auto& [i, g] : groups_) ids.push_back(i);
  return ids;
}

const ArrayMetadata& StoredArrayset::metadata(int64_t array) const {
  if (const auto it = metadata_.find(array); it != metadata_.end()) return it->second;
  arrays();
  const auto g = groups_.find(array);
  if (g == groups_.end()) throw NotFound("Unknown array: " + std::to_string(array) + ".");
  ArrayMetadata m;
  m.groupId = g->second;
  const std::string meta = linkTarget(store_, container_, m.groupId, "metadata");
  auto ds = [&](const char* name) { return linkTarget(store_, container_, meta, name); };
  const auto attrNames = readStrings(store_, container_, ds("attribute-names"));
  const auto attrTypes = readStrings(store_, container_, ds("attribute-types"));
  const auto dimNames = readStrings(store_, container_, ds("dimension-names"));
  const auto dimTypes = readStrings(store_, container_, ds("dimension-types"));
  const auto begins = readIntegers(store_, container_, ds("dimension-begin"));
  const auto ends = readIntegers(store_, container_, ds("dimension-end"));
  if (attrTypes.size() != attrNames.size() || dimTypes.size() != dimNames.size() ||
      begins.size() != dimNames.size() || ends.size() != dimNames.size())
    throw InternalError("arrayset " + container_ + ": array " + std::to_string(array) +
                        " has inconsistent metadata");
  for (std::size_t k = 0; k < dimNames.size(); ++k) {
    m.dimensions.push_back({dimNames[k], dimTypes[k], begins[k], ends[k]});
    m.info.shape.push_back(static_cast<uint64_t>(std::max<int64_t>(0, ends[k] - begins[k])));
  }
  for (std::size_t k = 0; k < attrNames.size(); ++k)
    m.info.attributes.push_back({attrNames[k], attrTypes[k]});
  return metadata_.emplace(array, std::move(m)).first->second;
}

ArrayInfo StoredArrayset::array(int64_t id) const { return metadata(id).info; }

std::string StoredArrayset::attributeDataset(int64_t array, int64_t attribute) const {
  const ArrayMetadata& m = metadata(array);
  if (attribute < 0 || attribute >= static_cast<int64_t>(m.info.attributes.size()))
    throw BadRequest("Attribute " + std::to_string(attribute) + " out of range for array " +
                     std::to_string(array) + ".");
  const std::string group = linkTarget(store_, container_, m.groupId, "attribute");
  return linkTarget(store_, container_, group, std::to_string(attribute));
}

std::string StoredArrayset::findDataset(int64_t array, const std::string& group, int64_t attribute) const {
  const ArrayMetadata& m = metadata(array);
  try {
    const std::string g = linkTarget(store_, container_, m.groupId, group);
    return linkTarget(store_, container_, g, std::to_string(attribute));
  } catch (const NotFound&) {
    return "";
  } catch (const Gone&) {
    return "";
  }
}

void StoredArrayset::dropCaches(int64_t array, int64_t attribute) const {
  const ArrayMetadata& m = metadata(array);
  const std::string name = std::to_string(attribute);
  for (const char* group : {"unique", "index"}) {
    try {
      const std::string g = linkTarget(store_, container_, m.groupId, group);
      const Link l = store_.link(container_, g, name);
      store_.deleteLink(container_, g, name);
      if (l.cls == LinkClass::Hard) store_.deleteObject(container_, l.id);
    } catch (const NotFound&) {
    } catch (const Gone&) {
    }
  }
}

Column StoredArrayset::read(int64_t array, int64_t attribute) const {
  const std::string id = attributeDataset(array, attribute);
  Column col;
  col.type = metadata(array).info.attributes[static_cast<std::size_t>(attribute)].type;
  DatasetInfo info = store_.dataset(container_, id);
  const arrays::Datatype& type = *info.type;
  if (type.cls == arrays::TypeClass::Integer || type.cls == arrays::TypeClass::Float) {
    col.numbers.reserve(elements(info.shape.dims));
    std::string carry;  // a partial element at the end of a block
    store_.read(container_, id, arrays::Selection::all(info.shape.dims),
                [&](const char* data, std::size_t n) {
                  if (!carry.empty()) {
                    const std::size_t take = std::min(n, type.size - carry.size());
                    carry.append(data, take);
                    data += take;
                    n -= take;
                    if (carry.size() < type.size) return;
                    decodeNumbers(type, carry.data(), 1, col.numbers);
                    carry.clear();
                  }
                  const std::size_t whole = n / type.size;
                  decodeNumbers(type, data, whole, col.numbers);
                  carry.assign(data + whole * type.size, n - whole * type.size);
                });
    return col;
  }
  // Strings (and anything else, as its JSON text). readAll reads the dataset's info again, which
  // replaces info.type: `type` no longer refers to a live object after it.
  col.type = "string";
  const std::string bytes = readAll(store_, container_, id, info);
  std::size_t pos = 0;
  const uint64_t n = elements(info.shape.dims);
  for (uint64_t i = 0; i < n; ++i) {
    const auto v = arrays::decodeElement(*info.type, bytes.data(), bytes.size(), pos);
    col.strings.push_back(v.isString() ? v.extract<std::string>() : v.toString());
  }
  return col;
}

}  // namespace strata::slycat
