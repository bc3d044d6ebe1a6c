#include "metadata_queries.h"

#include <strata/arrays/selection.h>
#include <strata/errors.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "arraysets.h"
#include "json_text.h"

namespace strata::slycat {

namespace {

constexpr const char* kSourceModified = "source-modified";

void appendValue(std::string& out, const Column& c, std::size_t i) {
  if (c.isString())
    appendJsonString(out, c.strings[i]);
  else
    appendJsonValue(out, c.type, c.numbers[i]);
}

// Packs a column of a stored attribute's type (for the cache dataset).
std::string pack(const Column& c, const arrays::Datatype& type) {
  std::string out;
  if (c.isString()) {
    for (const auto& s : c.strings) {
      const uint64_t n = s.size();
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
      out += s;
    }
    return out;
  }
  out.resize(c.numbers.size() * type.size);
  for (std::size_t i = 0; i < c.numbers.size(); ++i) {
    char* p = out.data() + i * type.size;
    const double v = c.numbers[i];
    unsigned char bytes[8] = {};
    if (type.cls == arrays::TypeClass::Float && type.size == 4) {
      const auto f = static_cast<float>(v);
      std::memcpy(bytes, &f, 4);
    } else if (type.cls == arrays::TypeClass::Float) {
      std::memcpy(bytes, &v, 8);
    } else {
      const uint64_t u =
          type.isSigned ? static_cast<uint64_t>(static_cast<int64_t>(v)) : static_cast<uint64_t>(v);
      for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<unsigned char>((u >> (8 * b)) & 0xff);
    }
    for (std::size_t b = 0; b < type.size; ++b)
      p[b] = static_cast<char>(bytes[type.order == arrays::ByteOrder::Big ? type.size - 1 - b : b]);
  }
  return out;
}

std::string packInt64(int64_t v) {
  std::string out;
  const auto u = static_cast<uint64_t>(v);
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
  return out;
}

int64_t unpackInt64(const std::string& bytes) {
  uint64_t u = 0;
  for (std::size_t b = 0; b < 8 && b < bytes.size(); ++b)
    u |= uint64_t(static_cast<unsigned char>(bytes[b])) << (8 * b);
  return static_cast<int64_t>(u);
}

// The cached distinct values, if the cache exists and was computed from the attribute as it is.
std::optional<Column> cached(const StoredArrayset& set, int64_t array, int64_t attribute, int64_t modified) {
  const std::string id = set.findDataset(array, "unique", attribute);
  if (id.empty()) return std::nullopt;
  ArrayStore& store = set.store();
  try {
    if (unpackInt64(store.attributeValue(set.container(), id, kSourceModified)) != modified)
      return std::nullopt;
    const DatasetInfo info = store.dataset(set.container(), id);
    Column c;
    c.type = set.metadata(array).info.attributes[static_cast<std::size_t>(attribute)].type;
    if (c.isString()) {
      c.strings = readStrings(store, set.container(), id);
    } else {
      std::string bytes;
      store.read(set.container(), id, arrays::Selection::all(info.shape.dims),
                 [&bytes](const char* d, std::size_t n) { bytes.append(d, n); });
      decodeNumbers(*info.type, bytes.data(), bytes.size() / info.type->size, c.numbers);
    }
    return c;
  } catch (const NotFound&) {
    return std::nullopt;  // dropped while we looked
  } catch (const Gone&) {
    return std::nullopt;
  }
}

// Stores the cache; losing a race with another request or a writer is harmless (the next
// request recomputes), so failures to store are ignored except engine failures.
void store(const StoredArrayset& set, int64_t array, int64_t attribute, int64_t modified,
           const Column& values) {
  ArrayStore& s = set.store();
  const std::string& c = set.container();
  set.dropCaches(array, attribute);
  const std::string group = set.metadata(array).groupId;
  std::string uniqueGroup;
  try {
    uniqueGroup = s.link(c, group, "unique").id;
  } catch (const NotFound&) {
    const ObjectInfo g = s.createGroup(c);
    Link l;
    l.name = "unique";
    l.id = g.id;
    try {
      s.createLink(c, group, l);
      uniqueGroup = g.id;
    } catch (const Conflict&) {
      s.deleteObject(c, g.id);
      uniqueGroup = s.link(c, group, "unique").id;
    }
  }
  const DatasetInfo source = s.dataset(c, set.attributeDataset(array, attribute));
  DatasetSpec spec;
  spec.type = source.type;
  spec.shape.cls = ShapeClass::Simple;
  spec.shape.dims = {values.size()};
  const DatasetInfo d = s.createDataset(c, spec);
  const std::string packed = pack(values, *source.type);
  if (!packed.empty()) {
    std::size_t pos = 0;
    s.write(
        c, d.object.id, arrays::Selection::all(spec.shape.dims),
        [&](char* out, std::size_t n) {
          const std::size_t k = std::min(n, packed.size() - pos);
          std::memcpy(out, packed.data() + pos, k);
          pos += k;
          return k;
        },
        packed.size());
  }
  strata::AttributeInfo attr;
  attr.name = kSourceModified;
  attr.type = arrays::intType(8, true);
  attr.shape.cls = ShapeClass::Scalar;
  s.createAttribute(c, d.object.id, attr, packInt64(modified), true);
  Link l;
  l.name = std::to_string(attribute);
  l.id = d.object.id;
  l.kind = ObjectKind::Dataset;
  try {
    s.createLink(c, uniqueGroup, l);
  } catch (const Conflict&) {
    s.deleteObject(c, d.object.id);  // another request cached it first
  }
}

std::vector<Item> expand(const std::string& text, const StoredArrayset& set, const Limits& limits,
                         Hyperchunks& chunks) {
  chunks = parseHyperchunks(text, limits);
  return expandHyperchunks(chunks, set, limits);
}

}  // namespace

Column sortedDistinct(const Column& column) {
  Column out;
  out.type = column.type;
  if (column.isString()) {
    out.strings = column.strings;
    std::sort(out.strings.begin(), out.strings.end());
    out.strings.erase(std::unique(out.strings.begin(), out.strings.end()), out.strings.end());
    return out;
  }
  out.numbers.reserve(column.numbers.size());
  for (double v : column.numbers)
    if (!std::isnan(v)) out.numbers.push_back(v);
  std::sort(out.numbers.begin(), out.numbers.end());
  out.numbers.erase(std::unique(out.numbers.begin(), out.numbers.end()), out.numbers.end());
  return out;
}

Column distinctValues(const StoredArrayset& set, int64_t array, int64_t attribute) {
  const int64_t modified =
      set.store().dataset(set.container(), set.attributeDataset(array, attribute)).object.modified;
  if (auto c = cached(set, array, attribute, modified)) return *c;
  // `modified` was read before the values: a write in between leaves a cache that the next
  // request finds out of date.
  Column values = sortedDistinct(set.read(array, attribute));
  try {
    store(set, array, attribute, modified, values);
  } catch (const Forbidden&) {
    // a read-only container: answer without caching
  }
  return values;
}

std::string metadataQuery(const StoredArrayset& set, const std::optional<std::string>& arrays,
                          const std::optional<std::string>& statistics,
                          const std::optional<std::string>& unique, const Limits& limits) {
  std::string out = "{";
  if (arrays) {
    Hyperchunks chunks = parseHyperchunks(*arrays, limits);
    for (auto& chunk : chunks) {  // only the arrays part counts
      chunk.attributes.reset();
      chunk.order.reset();
      chunk.hyperslices.reset();
    }
    out += "\"arrays\": [";
    bool first = true;
    for (const Item& item : expandHyperchunks(chunks, set, limits)) {
      Poco::JSON::Object::Ptr e = arrayMetadataJson(set.metadata(item.array));
      e->set("index", item.array);
      std::ostringstream text;
      e->stringify(text);
      out += (first ? "" : ", ") + text.str();
      first = false;
    }
    out += "]";
  }
  if (statistics) {
    Hyperchunks chunks;
    const std::vector<Item> items = expand(*statistics, set, limits, chunks);
    Evaluator evaluator(set);
    out += std::string(arrays ? ", " : "") + "\"statistics\": [";
    bool first = true;
    for (const Item& item : items) {
      if (!item.hasAttribute) continue;
      // hyperslices are ignored: one entry per (array, attribute)
      if (item.hyperslice && item.hyperslice != &chunks[item.hyperchunk].hyperslices->front()) continue;
      const Column values = item.expression
                                ? sortedDistinct(evaluator.evaluateExpression(item.array, *item.expression))
                                : distinctValues(set, item.array, item.attribute);
      out += first ? "{" : ", {";
      first = false;
      out += "\"array\": " + std::to_string(item.array);
      if (!item.expression) out += ", \"attribute\": " + std::to_string(item.attribute);
      out += ", \"min\": ";
      if (values.size() == 0) {
        out += "null, \"max\": null, \"unique\": null}";
        continue;
      }
      appendValue(out, values, 0);
      out += ", \"max\": ";
      appendValue(out, values, values.size() - 1);
      out += ", \"unique\": " + std::to_string(values.size()) + "}";
    }
    out += "]";
  }
  if (unique) {
    Hyperchunks chunks;
    const std::vector<Item> items = expand(*unique, set, limits, chunks);
    Evaluator evaluator(set);
    out += std::string(arrays || statistics ? ", " : "") + "\"unique\": [";
    bool first = true;
    Column values;
    // One entry per (array, attribute), with one list of values per hyperslice (all of them
    // without one).
    for (const Item& item : items) {
      if (!item.hasAttribute) continue;
      const Hyperslice* h = item.hyperslice;
      const auto& slices = chunks[item.hyperchunk].hyperslices;
      if (!h || h == &slices->front()) {
        values = item.expression ? sortedDistinct(evaluator.evaluateExpression(item.array, *item.expression))
                                 : distinctValues(set, item.array, item.attribute);
        out += first ? "{" : ", {";
        first = false;
        out += "\"array\": " + std::to_string(item.array);
        if (!item.expression) out += ", \"attribute\": " + std::to_string(item.attribute);
        out += ", \"values\": [";
      } else {
        out += ", ";
      }
      if (!h) {
        out += "[";
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (i) out += ", ";
          appendValue(out, values, i);
        }
        out += "]";
      } else {
        const ResolvedHyperslice r = resolveHyperslice({values.size()}, *h);
        if (!r.kept[0]) {
          appendValue(out, values, r.start[0]);
        } else {
          out += "[";
          for (uint64_t i = 0; i < r.count[0]; ++i) {
            if (i) out += ", ";
            appendValue(out, values, r.start[0] + i * r.step[0]);
          }
          out += "]";
        }
      }
      if (!h || h == &slices->back()) out += "]}";
    }
    out += "]";
  }
  return out + "}";
}

}  // namespace strata::slycat
