// Dataset values: GET (select=, query=, Limit=; JSON or binary), POST (points), PUT (hyperslab
// or points, as JSON, base64 or a raw binary body).
#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>

#include <cstring>
#include <istream>
#include <memory>

#include "query.h"
#include "responses.h"
#include "routes.h"
#include "value_body.h"
#include "value_extras.h"
#include "values.h"

namespace strata::hdf {

namespace {

using arrays::Selection;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// The most elements a select= with coordinate lists may name (its points are held in memory).
constexpr uint64_t kMaxCoordinatePoints = 1u << 20;

bool acceptsBinary(const Request& req) {
  const auto accept = req.header("Accept");
  return accept && accept->find("application/octet-stream") != std::string::npos;
}

// Escapes what would end or split a query parameter value; keeps "[0:4:2,1:3]" readable.
std::string queryValueEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '&' || c == '#' || c == '+' || c == '%' || c == '=' || c == '"') {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Array::Ptr valueHrefs(const Scope& sc, const std::string& id, const std::string& selfQuery) {
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href("datasets/" + id + "/value", selfQuery));
  addHref(*hrefs, "root", sc.hrefs.href("groups/" + sc.root()));
  addHref(*hrefs, "owner", sc.hrefs.href("datasets/" + id));
  addHref(*hrefs, "home", sc.hrefs.href(""));
  return hrefs;
}

// How a read is answered besides its selection (HSDS's extras, see value_extras.h).
struct ReadForm {
  const std::vector<uint64_t>* dims = nullptr;  // the JSON value's shape if not the selection's
  const FieldProjection* fields = nullptr;      // fields=
  bool reduce = false;                          // reduce_dim
};

// Reads a selection and sends it: raw bytes when the client accepts them and the type has a
// fixed size, JSON {"value": ..., "hrefs": ...} otherwise.
void sendSelection(Request& req, Response& res, Scope& sc, const DatasetInfo& ds, const Selection& sel,
                   bool scalar, const Array::Ptr& hrefs, const ReadForm& form = {}) {
  const auto& type = form.fields ? *form.fields->type : *ds.type;
  const std::string& id = ds.object.id;
  const auto read = [&](ByteSink sink) {
    sc.store->read(sc.container, id, sel, form.fields ? projectFields(*form.fields, std::move(sink)) : sink);
  };
  if (acceptsBinary(req) && type.fixedSize()) {
    const uint64_t bytes = sel.size() * type.size;
    AdaptiveBody body(req, res, "application/octet-stream", static_cast<int64_t>(bytes));
    uint64_t got = 0;
    read([&](const char* data, std::size_t n) {
      got += n;
      if (got > bytes) throw InternalError("the store returned more bytes than were selected");
      body.write(data, n);
    });
    if (got != bytes)
      throw InternalError("the store returned " + std::to_string(got) + " of " + std::to_string(bytes) +
                          " bytes");
    body.finish();
    return;
  }
  AdaptiveBody body(req, res, "application/json");
  body.write("{\"value\":");
  std::vector<uint64_t> dims = scalar ? std::vector<uint64_t>{} : form.dims ? *form.dims : sel.shape();
  if (form.reduce) dims = squeezedDims(dims);
  JsonValueWriter writer(type, dims, [&](const char* data, std::size_t n) { body.write(data, n); });
  read([&](const char* data, std::size_t n) { writer.feed(data, n); });
  writer.finish();
  body.write(",\"hrefs\":" + toJsonText(hrefs) + "}");
  body.finish();
}

std::optional<uint64_t> limitOf(const Request& req) {
  const auto limit = req.query("Limit");
  if (!limit) return std::nullopt;
  Poco::UInt64 n = 0;
  if (!Poco::NumberParser::tryParseUnsigned64(*limit, n))
    throw BadRequest("Bad Request: invalid Limit '" + *limit + "' (expected a non-negative integer)");
  if (n == 0) return std::nullopt;  // as elsewhere: 0 means no limit
  return n;
}

// query= on a one-dimensional compound dataset: the rows of the selection that match, with
// their indexes, at most Limit of them. Rows are read in blocks so that a Limit stops early.
void queryValue(Request& req, Response& res, Scope& sc, const DatasetInfo& ds, const std::string& text,
                std::optional<uint64_t> limit, const Array::Ptr& hrefs) {
  const auto& type = *ds.type;
  if (type.cls != arrays::TypeClass::Compound)
    throw BadRequest("Bad Request: query selection is only supported for compound types");
  if (ds.shape.cls == ShapeClass::Scalar)
    throw BadRequest("Bad Request: query selection not valid with scalar dataset");
  if (ds.shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: query selection not valid with a null-space dataset");
  if (ds.shape.dims.size() != 1)
    throw BadRequest("Bad Request: query selection is only supported for one dimensional datasets");
  const Query query = Query::parse(text, type);
  const Selection sel = selectionFromText(req.query("select"), ds.shape);
  const uint64_t start = sel.slab().start.at(0), count = sel.slab().count.at(0), step = sel.slab().step.at(0);

  // The values are streamed as they match (a query may match most of a large dataset); the
  // indexes, a few bytes each, follow them.
  AdaptiveBody body(req, res, "application/json");
  body.write("{\"value\":[");
  std::string indexText = "[", valueText;
  uint64_t found = 0;
  constexpr uint64_t kBlock = 4096;
  std::string packed;
  for (uint64_t first = 0; first < count && (!limit || found < *limit); first += kBlock) {
    const uint64_t n = std::min(kBlock, count - first);
    arrays::Hyperslab slab{{start + first * step}, {n}, {step}};
    packed.clear();
    sc.store->read(sc.container, ds.object.id, Selection::hyperslab(slab),
                   [&](const char* data, std::size_t len) { packed.append(data, len); });
    std::size_t pos = 0;
    valueText.clear();
    for (uint64_t k = 0; k < n && (!limit || found < *limit); ++k) {
      const Var row = arrays::decodeElement(type, packed.data(), packed.size(), pos);
      if (!query.matches(row)) continue;
      if (found++) {
        indexText += ",";
        valueText += ",";
      }
      indexText += std::to_string(start + (first + k) * step);
      appendJson(row, valueText);
    }
    body.write(valueText);
  }
  body.write("],\"index\":" + indexText + "],\"hrefs\":" + toJsonText(hrefs) + "}");
  body.finish();
}

void getValue(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  const DatasetInfo ds = s.dataset(sc, id, Perm::Read);
  const auto limit = limitOf(req);
  const auto select = req.query("select");
  const auto query = req.query("query");
  std::string selfQuery;
  if (select) selfQuery = "select=" + queryValueEncode(*select);
  if (query) selfQuery += (selfQuery.empty() ? "" : "&") + std::string("query=") + queryValueEncode(*query);
  const auto hrefs = valueHrefs(sc, id, selfQuery);
  const auto fields = fieldsOf(req.query("fields"), *ds.type);
  if (query) {
    if (fields) throw BadRequest("Bad Request: fields= can not be used with query=");
    queryValue(req, res, sc, ds, *query, limit, hrefs);
    return;
  }
  if (ds.shape.cls == ShapeClass::Null) {
    auto o = newObject();
    o->set("value", Var());
    o->set("hrefs", hrefs);
    sendJson(req, res, o);
    return;
  }
  const ShapedSelection shaped = shapedSelectionFromText(select, ds.shape, kMaxCoordinatePoints);
  sendSelection(req, res, sc, ds, shaped.sel, ds.shape.cls == ShapeClass::Scalar, hrefs,
                {&shaped.dims, fields ? &*fields : nullptr, queryFlag(req, "reduce_dim")});
}

void postValue(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  const DatasetInfo ds = s.dataset(sc, id, Perm::Read);
  auto body = s.body(req);
  // h5pyd sends its query parameters (select, fields) as the body of a POST.
  std::optional<std::string> fieldsText = req.query("fields");
  if (body->has("fields")) {
    if (!body->get("fields").isString()) throw BadRequest("Bad Request: fields must be a string");
    fieldsText = body->getValue<std::string>("fields");
  }
  const auto fields = fieldsOf(fieldsText, *ds.type);
  const bool reduce = queryFlag(req, "reduce_dim");
  if (!body->has("points") && body->has("select")) {
    // HSDS: a long select= sent as {"select": "..."} in a POST, read as by GET.
    if (!body->get("select").isString()) throw BadRequest("Bad Request: select must be a string");
    const ShapedSelection shaped =
        shapedSelectionFromText(body->getValue<std::string>("select"), ds.shape, kMaxCoordinatePoints);
    sendSelection(req, res, sc, ds, shaped.sel, ds.shape.cls == ShapeClass::Scalar, valueHrefs(sc, id, ""),
                  {&shaped.dims, fields ? &*fields : nullptr, reduce});
    return;
  }
  if (!body->has("points")) throw BadRequest("Bad Request: value post request without points in body");
  if (ds.shape.cls == ShapeClass::Scalar)
    throw BadRequest("Bad Request: point selection is not supported on scalar datasets");
  if (ds.shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: point selection is not supported on Null Space datasets");
  const Selection sel = pointsFromJson(body->get("points"), ds.shape.dims);
  sendSelection(req, res, sc, ds, sel, false, valueHrefs(sc, id, ""), {nullptr, fields ? &*fields : nullptr});
}

// Where a PUT writes: its selection, the shape its value has, and for an append the dataset's
// dims once grown (the store is resized just before the write, and back if the write fails).
struct PutTarget {
  Selection sel;
  std::vector<uint64_t> dims;
  std::optional<std::vector<uint64_t>> grown;
};

// Writes `bytes` bytes from `source` to the target, growing the dataset first for an append.
void writeTarget(Scope& sc, const DatasetInfo& ds, const PutTarget& t, const ByteSource& source,
                 uint64_t bytes) {
  if (t.grown) sc.store->resize(sc.container, ds.object.id, *t.grown);
  try {
    sc.store->write(sc.container, ds.object.id, t.sel, source, bytes);
  } catch (...) {
    if (t.grown) {
      try {
        sc.store->resize(sc.container, ds.object.id, ds.shape.dims);
      } catch (...) {
        // The dataset keeps its grown extent; the error below is what the client needs.
      }
    }
    throw;
  }
}

// A source that repeats `packed` (element_count's broadcast) `times` times.
ByteSource repeating(const std::string& packed, uint64_t times) {
  auto offset = std::make_shared<uint64_t>(0);
  const uint64_t total = packed.size() * times;
  return [&packed, offset, total](char* data, std::size_t n) -> std::size_t {
    std::size_t done = 0;
    while (done < n && *offset < total) {
      const std::size_t at = static_cast<std::size_t>(*offset % packed.size());
      const std::size_t take = std::min(n - done, packed.size() - at);
      std::memcpy(data + done, packed.data() + at, take);
      done += take;
      *offset += take;
    }
    return done;
  };
}

uint64_t product(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

// A raw binary body (Content-Type: application/octet-stream), as HSDS and h5pyd send it: the
// selection comes from ?select= (or append), the bytes go to the store as they arrive. With
// element_count the body holds that many elements, read whole (at most maxJsonBytes).
void putBinaryValue(Request& req, Response& res, Scope& sc, const DatasetInfo& ds, const PutTarget& t,
                    std::optional<uint64_t> count, uint64_t maxBuffered) {
  const auto& type = *ds.type;
  if (!type.fixedSize()) throw BadRequest("binary data cannot be used with variable length types");
  uint64_t elements = t.sel.size();
  if (count && *count != elements) elements = product(broadcastDims(t.dims, *count));
  const uint64_t expected = elements * type.size;
  const int64_t length = req.contentLength();
  if (length >= 0 && static_cast<uint64_t>(length) != expected)
    throw BadRequest("Expected: " + std::to_string(expected) + " bytes, but got: " + std::to_string(length));
  std::istream& in = req.body();
  uint64_t got = 0;
  const ByteSource body = [&](char* data, std::size_t n) -> std::size_t {
    const auto want = static_cast<std::size_t>(std::min<uint64_t>(n, expected - got));
    if (want == 0) return 0;
    in.read(data, static_cast<std::streamsize>(want));
    const auto r = static_cast<std::size_t>(in.gcount());
    got += r;
    if (r == 0)
      throw BadRequest("Expected: " + std::to_string(expected) + " bytes, but got: " + std::to_string(got));
    return r;
  };
  const auto checkEnd = [&](const std::string& written) {
    if (!req.bodyConsumed() && in.peek() != std::char_traits<char>::eof())
      throw BadRequest("the request body is longer than the " + std::to_string(expected) +
                       " bytes of the selection" + written);
  };
  if (elements != t.sel.size()) {
    // element_count: the few elements first, then repeated over the selection.
    if (expected > maxBuffered)
      throw BadRequest("Bad Request: element_count " + std::to_string(*count) + " is more than " +
                       std::to_string(maxBuffered) + " bytes to repeat");
    std::string packed(static_cast<std::size_t>(expected), '\0');
    std::size_t at = 0;
    while (at < packed.size()) at += body(packed.data() + at, packed.size() - at);
    checkEnd("");
    writeTarget(sc, ds, t, repeating(packed, t.sel.size() / elements), t.sel.size() * type.size);
    res.sendEmpty(200);
    return;
  }
  writeTarget(sc, ds, t, body, expected);
  if (got != expected)
    throw BadRequest("Expected: " + std::to_string(expected) + " bytes, but got: " + std::to_string(got));
  checkEnd(" (the selection was written)");
  res.sendEmpty(200);
}

void putValue(Service& s, Request& req, Response& res) {
  Scope sc = s.open(req);
  const std::string& id = req.param("id");
  const bool binary = req.contentType() == "application/octet-stream";
  // Permission first, then the body: JSON bodies are read whole (bounded by maxJsonBytes) and
  // scanned without a DOM for the value: see value_body.h.
  const DatasetInfo ds = s.dataset(sc, id, Perm::Update);
  std::optional<ValueBody> parsed;
  Object::Ptr body;
  if (!binary) {
    if (!req.hasBody()) throw BadRequest("Bad Request: this request needs a JSON body");
    parsed.emplace(ValueBody::read(req, s.settings().maxJsonBytes));
    body = parsed->members();
  }
  if (ds.shape.cls == ShapeClass::Null)
    throw BadRequest("Bad Request: PUT value can't be used with Null Space datasets");
  const auto& type = *ds.type;
  const bool scalar = ds.shape.cls == ShapeClass::Scalar;
  const auto count = elementCountOf(req);
  const auto append = appendOf(req, body.get());

  std::optional<PutTarget> target;
  const bool hyperslab = body && (body->has("start") || body->has("stop") || body->has("step"));
  if (append) {
    auto grown = appendedDims(ds.shape, *append);
    Selection sel = appendedSelection(grown, *append);
    auto dims = sel.shape();
    target = PutTarget{std::move(sel), std::move(dims), std::move(grown)};
  } else if (body && body->has("points")) {
    if (hyperslab || body->has("select"))
      throw BadRequest("Bad Request: can't use hyperslab selection and points selection in one request");
    if (scalar) throw BadRequest("Bad Request: Point selection can't be used with scalar datasets");
    Selection sel = pointsFromJson(body->get("points"), ds.shape.dims);
    auto dims = sel.shape();
    target = PutTarget{std::move(sel), std::move(dims), std::nullopt};
  } else if (hyperslab) {
    if (scalar)
      throw BadRequest("Bad Request: start/stop/step option can't be used with Scalar Space datasets");
    const std::size_t rank = ds.shape.dims.size();
    std::optional<std::vector<int64_t>> start, stop, step;
    if (body->has("start")) start = intList(body->get("start"), "start", rank);
    if (body->has("stop")) stop = intList(body->get("stop"), "stop", rank);
    if (body->has("step")) step = intList(body->get("step"), "step", rank);
    Selection sel = Selection::fromStartStopStep(start ? &*start : nullptr, stop ? &*stop : nullptr,
                                                 step ? &*step : nullptr, ds.shape.dims);
    auto dims = sel.shape();
    target = PutTarget{std::move(sel), std::move(dims), std::nullopt};
  } else {
    // The selection of HSDS-style clients: "select" in the body or ?select= on the URL, with
    // HSDS's coordinate lists ("[[1,5,7],0:10]").
    std::optional<std::string> text = req.query("select");
    if (body && body->has("select")) {
      if (!body->get("select").isString()) throw BadRequest("Bad Request: select must be a string");
      text = body->getValue<std::string>("select");
    }
    ShapedSelection shaped = shapedSelectionFromText(text, ds.shape, kMaxCoordinatePoints);
    target = PutTarget{std::move(shaped.sel), scalar ? std::vector<uint64_t>{} : std::move(shaped.dims),
                       std::nullopt};
  }
  if (binary) {
    putBinaryValue(req, res, sc, ds, *target, count, s.settings().maxJsonBytes);
    return;
  }
  const bool hasValue = parsed->hasValue(), hasBase64 = parsed->hasBase64();
  if (!hasValue && !hasBase64) throw BadRequest("Bad Request: Value not specified");
  if (hasValue && hasBase64) throw BadRequest("Bad Request: give either value or value_base64, not both");

  // element_count: the value has the shape of the selection's last extents, repeated over it.
  const uint64_t total = target->sel.size();
  std::vector<uint64_t> valueDims = target->dims;
  uint64_t elements = total;
  if (count && *count != total) {
    valueDims = broadcastDims(scalar ? std::vector<uint64_t>{1} : target->dims, *count);
    elements = *count;
  }
  arrays::checkValueSize(type, elements, s.settings().maxValueBytes, "the value");
  std::string packed;
  if (hasBase64) {
    if (!type.fixedSize()) throw BadRequest("binary data cannot be used with variable length types");
    if (const auto text = parsed->base64()) {
      packed = decodeBase64(*text);
    } else {
      const Var b64 = body->get("value_base64");
      if (!b64.isString()) throw BadRequest("Bad Request: value_base64 must be a string");
      packed = decodeBase64(b64.extract<std::string>());
    }
    const uint64_t expected = elements * type.size;
    if (packed.size() != expected)
      throw BadRequest("Expected: " + std::to_string(expected) +
                       " bytes, but got: " + std::to_string(packed.size()));
  } else {
    packed = parsed->encodeValue(type, valueDims);
  }
  const uint64_t times = elements == total ? 1 : total / elements;
  writeTarget(sc, ds, *target, repeating(packed, times), packed.size() * times);
  res.sendEmpty(200);
}

}  // namespace

void addValueRoutes(Service& s, RouteRegistry& routes) {
  routes.add("GET", "/datasets/{id}/value", [&s](Request& req, Response& res) { getValue(s, req, res); });
  // A point selection read, sent as POST.
  routes.add("POST", "/datasets/{id}/value", [&s](Request& req, Response& res) { postValue(s, req, res); },
             {Access::Read});
  routes.add("PUT", "/datasets/{id}/value", [&s](Request& req, Response& res) { putValue(s, req, res); });
}

}  // namespace strata::hdf
