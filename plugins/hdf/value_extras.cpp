#include "value_extras.h"

#include <Poco/NumberParser.h>
#include <strata/errors.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "values.h"

namespace strata::hdf {

std::optional<FieldProjection> fieldsOf(const std::optional<std::string>& text,
                                        const arrays::Datatype& type) {
  if (!text) return std::nullopt;
  if (type.cls != arrays::TypeClass::Compound)
    throw BadRequest("Bad Request: fields= is only valid for compound types");
  if (!type.fixedSize()) throw BadRequest("Bad Request: fields= needs a compound type of fixed size");
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const auto pos = text->find(':', start);
    names.push_back(text->substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  FieldProjection p;
  p.sourceSize = type.size;
  auto out = std::make_shared<arrays::Datatype>();
  out->cls = arrays::TypeClass::Compound;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& name = names[i];
    if (std::find(names.begin(), names.begin() + i, name) != names.begin() + i)
      throw BadRequest("Bad Request: fields= names '" + name + "' twice");
    const auto f = std::find_if(type.fields.begin(), type.fields.end(),
                                [&](const arrays::Field& x) { return x.name == name; });
    if (f == type.fields.end()) throw BadRequest("Bad Request: '" + name + "' is not a field of the type");
    arrays::Field field = *f;
    field.offset = out->size;
    out->size += f->type->size;
    out->fields.push_back(field);
    p.parts.emplace_back(f->offset, f->type->size);
  }
  p.type = out;
  return p;
}

ByteSink projectFields(const FieldProjection& p, ByteSink out) {
  // The state lives in the closure: a partial element between two calls, and the output.
  auto pending = std::make_shared<std::string>();
  auto batch = std::make_shared<std::string>();
  return [p, out = std::move(out), pending, batch](const char* data, std::size_t n) {
    batch->clear();
    const auto element = [&](const char* e) {
      for (const auto& [offset, size] : p.parts) batch->append(e + offset, size);
    };
    if (!pending->empty()) {
      const std::size_t take = std::min(n, p.sourceSize - pending->size());
      pending->append(data, take);
      data += take;
      n -= take;
      if (pending->size() < p.sourceSize) return;
      element(pending->data());
      pending->clear();
    }
    for (; n >= p.sourceSize; data += p.sourceSize, n -= p.sourceSize) element(data);
    pending->assign(data, n);
    if (!batch->empty()) out(batch->data(), batch->size());
  };
}

std::vector<uint64_t> squeezedDims(const std::vector<uint64_t>& dims) {
  if (dims.size() <= 1) return dims;
  std::vector<uint64_t> out;
  for (auto d : dims)
    if (d != 1) out.push_back(d);
  return out;
}

namespace {

uint64_t parseCount(const std::string& text, const std::string& what, bool allowZero) {
  Poco::UInt64 n = 0;
  if (!Poco::NumberParser::tryParseUnsigned64(text, n) || (!allowZero && n == 0))
    throw BadRequest("Bad Request: invalid " + what + " '" + text + "'");
  return n;
}

uint64_t countFromJson(const Poco::Dynamic::Var& v, const std::string& what) {
  if (v.isString()) return parseCount(v.convert<std::string>(), what, true);
  return toCount(v, what);
}

}  // namespace

std::optional<uint64_t> elementCountOf(const Request& req) {
  const auto text = req.query("element_count");
  if (!text) return std::nullopt;
  return parseCount(*text, "element_count", false);
}

std::vector<uint64_t> broadcastDims(const std::vector<uint64_t>& dims, uint64_t count) {
  if (count == 1) return {1};
  uint64_t product = 1;
  for (std::size_t i = dims.size(); i-- > 0;) {
    product *= dims[i];
    if (product == count)
      return std::vector<uint64_t>(dims.begin() + static_cast<std::ptrdiff_t>(i), dims.end());
    if (product > count) break;
  }
  std::string shape;
  for (auto d : dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  throw BadRequest("Bad Request: element_count " + std::to_string(count) +
                   " not compatible with selection shape: [" + shape + "]");
}

std::optional<Append> appendOf(const Request& req, const Poco::JSON::Object* body) {
  Append a;
  if (const auto rows = req.query("append"); rows && !rows->empty())
    a.rows = parseCount(*rows, "append query param", true);
  if (const auto dim = req.query("append_dim"); dim && !dim->empty())
    a.dim = parseCount(*dim, "append_dim", true);
  if (body) {
    if (body->has("append") && !body->get("append").isEmpty())
      a.rows = countFromJson(body->get("append"), "append value in body");
    if (body->has("append_dim") && !body->get("append_dim").isEmpty())
      a.dim = countFromJson(body->get("append_dim"), "append_dim");
  }
  if (a.rows == 0) return std::nullopt;
  if (req.query("select"))
    throw BadRequest("Bad Request: select query parameter can not be used with append");
  if (body) {
    for (const char* key : {"start", "stop", "step", "select"})
      if (body->has(key))
        throw BadRequest(std::string("Bad Request: body key ") + key + " can not be used with append");
    if (body->has("points")) throw BadRequest("Bad Request: points not valid with append update");
  }
  return a;
}

std::vector<uint64_t> appendedDims(const Shape& shape, const Append& a) {
  if (shape.cls != ShapeClass::Simple)
    throw BadRequest("Bad Request: append needs a dataset with dimensions");
  const auto& max = shape.maxdims.empty() ? shape.dims : shape.maxdims;
  bool extensible = false;
  for (std::size_t i = 0; i < shape.dims.size(); ++i)
    extensible |= max[i] == kUnlimited || max[i] > shape.dims[i];
  if (!extensible) throw BadRequest("Bad Request: Dataset shape must be extensible for packet updates");
  if (a.dim >= shape.dims.size()) throw BadRequest("Bad Request: invalid append_dim");
  std::vector<uint64_t> grown = shape.dims;
  if (max[a.dim] != kUnlimited && (a.rows > max[a.dim] || grown[a.dim] > max[a.dim] - a.rows))
    throw Conflict("Conflict: unable to append " + std::to_string(a.rows) + " to dimension " +
                   std::to_string(a.dim) + " (its maximum is " + std::to_string(max[a.dim]) + ")");
  grown[a.dim] += a.rows;
  return grown;
}

arrays::Selection appendedSelection(const std::vector<uint64_t>& grown, const Append& a) {
  arrays::Hyperslab slab;
  for (std::size_t i = 0; i < grown.size(); ++i) {
    slab.start.push_back(i == a.dim ? grown[i] - a.rows : 0);
    slab.count.push_back(i == a.dim ? a.rows : grown[i]);
    slab.step.push_back(1);
  }
  return arrays::Selection::hyperslab(slab);
}

}  // namespace strata::hdf
