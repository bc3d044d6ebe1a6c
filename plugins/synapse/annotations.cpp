// GET|PUT /repo/v1/dataset/{did}/annotations and /repo/v1/dataset/{did}/layer/{lid}/annotations:
// the typed annotation maps of §2.1.3 over the annotations role, with the role's per-target
// etag and its conditional replaceAll. See docs/synapse.md "Annotations".
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "synapse_common.h"

namespace strata::synapse {

namespace {

constexpr const char* kStrings = "stringAnnotations";
constexpr const char* kDoubles = "doubleAnnotations";
constexpr const char* kFloats = "floatAnnotations";
constexpr const char* kLongs = "longAnnotations";
constexpr const char* kDates = "dateAnnotations";
constexpr const char* kBlobs = "blobAnnotations";

// ---- base64 (RFC 4648, with padding; whitespace is not allowed)

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string toBase64(const std::string& bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool fromBase64(const std::string& text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int d[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        d[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      d[k] = digit(c);
      if (d[k] < 0) return false;
    }
    const uint32_t v = (d[0] << 18) | (d[1] << 12) | (d[2] << 6) | d[3];
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return true;
}

// ---- JSON <-> annotations

[[noreturn]] void badValue(const std::string& map, const std::string& key, const std::string& must) {
  throw BadRequest("'" + map + "' value of '" + key + "' " + must);
}

Poco::JSON::Array::Ptr listOf(const Poco::Dynamic::Var& value, const std::string& map,
                              const std::string& key) {
  if (value.type() == typeid(Poco::JSON::Array::Ptr)) return value.extract<Poco::JSON::Array::Ptr>();
  badValue(map, key, "must be a list of values, such as [\"x\"] or [1]");
}

// The annotations of one PUT body; BadRequest for anything it cannot take.
std::vector<Annotation> decodeAnnotations(const Poco::JSON::Object& body) {
  static const std::set<std::string> readOnly = {"id", "uri", "etag", "creationDate"};
  static const std::set<std::string> maps = {kStrings, kDoubles, kFloats, kLongs, kDates, kBlobs};
  for (const auto& [name, value] : body) {
    if (readOnly.count(name) || maps.count(name)) continue;
    throw BadRequest("Unrecognized field \"" + name +
                     "\" (Class org.sagebionetworks.repo.model.Annotations), not marked as ignorable");
  }
  std::map<std::string, Annotation> byKey;
  std::map<std::string, std::string> mapOfKey;  // which map a key came from
  for (const char* map : {kStrings, kDoubles, kLongs, kDates, kBlobs, kFloats}) {
    if (!body.has(map)) continue;
    const std::string m = map;
    const Poco::Dynamic::Var v = body.get(map);
    if (v.isEmpty()) continue;  // null: no annotations of this type
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
      throw BadRequest("'" + std::string(map) +
                       "' must be an object of lists, such as {\"key\": [\"value\"]}");
    const auto object = v.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [key, value] : *object) {
      if (key.empty()) throw BadRequest("'" + std::string(map) + "' has an empty key");
      const auto list = listOf(value, map, key);
      Annotation a;
      a.key = key;
      std::vector<double> numbers;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Poco::Dynamic::Var x = list->get(i);
        const bool isBool = x.type() == typeid(bool);
        if (m == kStrings) {
          if (!x.isString()) badValue(map, key, "must hold strings");
          a.type = AnnotationType::String;
          a.values.emplace_back(x.extract<std::string>());
        } else if (m == kDoubles || m == kFloats) {
          if (!x.isNumeric() || isBool) badValue(map, key, "must hold numbers");
          const double d = x.convert<double>();
          a.type = AnnotationType::Double;
          a.values.emplace_back(d);
          numbers.push_back(d);
        } else if (m == kLongs) {
          if (!x.isInteger() || isBool) badValue(map, key, "must hold integers");
          if (!x.isSigned() && x.convert<uint64_t>() > uint64_t(INT64_MAX))
            badValue(map, key, "must hold integers of 64 bits");
          a.type = AnnotationType::Long;
          a.values.emplace_back(x.convert<int64_t>());
        } else if (m == kDates) {
          a.type = AnnotationType::Date;
          a.values.emplace_back(parseDate(x, std::string(map) + "." + key));
        } else {  // blobs
          std::string bytes;
          if (!x.isString() || !fromBase64(x.extract<std::string>(), bytes))
            badValue(map, key, "must hold base64 strings");
          a.type = AnnotationType::Blob;
          a.values.emplace_back(AnnotationBlob{std::move(bytes)});
        }
      }
      if (m == kFloats && mapOfKey.count(key) && mapOfKey[key] == kDoubles) {
        // in both floatAnnotations and doubleAnnotations: they must agree
        const auto stored = byKey.find(key);
        const std::size_t size = stored == byKey.end() ? 0 : stored->second.values.size();
        bool same = size == numbers.size();
        for (std::size_t i = 0; same && i < numbers.size(); ++i)
          same = std::get<double>(stored->second.values[i]) == numbers[i];
        if (!same)
          throw BadRequest("'" + key +
                           "' is in both floatAnnotations and doubleAnnotations with different values");
        continue;
      }
      if (mapOfKey.count(key))
        throw BadRequest("'" + key + "' is in both " + mapOfKey[key] + " and " + map +
                         ": a key has one type");
      mapOfKey[key] = map;
      if (a.values.empty()) continue;  // an empty list: no annotation
      byKey[key] = std::move(a);
    }
  }
  std::vector<Annotation> all;
  all.reserve(byKey.size());
  for (auto& [key, a] : byKey) all.push_back(std::move(a));
  return all;
}

Poco::JSON::Object::Ptr encodeAnnotations(const AnnotationSet& set, const std::string& id,
                                          const std::string& uri, int64_t creationDate) {
  Poco::JSON::Object::Ptr strings = new Poco::JSON::Object, doubles = new Poco::JSON::Object,
                          floats = new Poco::JSON::Object, longs = new Poco::JSON::Object,
                          dates = new Poco::JSON::Object, blobs = new Poco::JSON::Object;
  for (const Annotation& a : set.annotations) {
    const Poco::JSON::Array::Ptr list = annotationValuesJson(a);
    switch (a.type) {
      case AnnotationType::String:
        strings->set(a.key, list);
        break;
      case AnnotationType::Double:
        doubles->set(a.key, list);
        floats->set(a.key, list);
        break;
      case AnnotationType::Long:
        longs->set(a.key, list);
        break;
      case AnnotationType::Date:
        dates->set(a.key, list);
        break;
      case AnnotationType::Blob:
        blobs->set(a.key, list);
        break;
      case AnnotationType::Boolean:  // not in the 2011 API (another plugin may set them)
        break;
    }
  }
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
  out->set("id", id);
  out->set("uri", uri);
  out->set("etag", set.etag);
  out->set("creationDate", creationDate);
  out->set(kStrings, strings);
  out->set(kDoubles, doubles);
  out->set(kLongs, longs);
  out->set(kDates, dates);
  out->set(kBlobs, blobs);
  out->set(kFloats, floats);
  return out;
}

// The entity's creationDate: the record's field, or the store's creation time.
int64_t creationDateOf(const Entity& e) {
  if (e.body && e.body->has("creationDate")) {
    const Poco::Dynamic::Var v = e.body->get("creationDate");
    if (v.isInteger()) return v.convert<int64_t>();
  }
  return e.created;
}

// Which annotations a route is about.
struct Subject {
  std::string id;      // the entity's id as the API shows it
  std::string target;  // the annotations role target
  std::string uri;     // of the annotations resource
  Entity entity;       // the dataset or layer
  Entity owner;        // the record whose creator may write: the dataset
};

Subject subjectOf(const Context& ctx, const Request& req, bool layer) {
  const std::string did = req.param("did");
  Subject s;
  s.owner = findDataset(ctx, did);
  if (layer) {
    const std::string lid = req.param("lid");
    s.entity = findLayer(ctx, did, lid);
    s.id = lid;
    s.target = layerTarget(did, lid);
    s.uri = layerUri(did, lid) + "/annotations";
  } else {
    s.entity = s.owner;
    s.id = did;
    s.target = datasetTarget(did);
    s.uri = datasetUri(did) + "/annotations";
  }
  return s;
}

void getAnnotations(Context& ctx, Request& req, Response& res, bool layer) {
  const Subject s = subjectOf(ctx, req, layer);
  const AnnotationSet set = ctx.annotations->read(s.target);
  setEtag(res, set.etag);
  res.sendJson(encodeAnnotations(set, s.id, s.uri, creationDateOf(s.entity)), 200);
}

void putAnnotations(Context& ctx, Request& req, Response& res, bool layer) {
  const Subject s = subjectOf(ctx, req, layer);
  checkWriter(req.principal(), *s.owner.body);  // 403 before the body and before the etag
  const std::string etag = requestEtag(req);
  if (!req.hasBody()) throw BadRequest("No content to map to Object due to end of input");
  const Poco::JSON::Object::Ptr body = req.jsonObject(ctx.maxJsonBytes);
  const std::vector<Annotation> all = decodeAnnotations(*body);
  // requestEtag() refuses an empty etag, which would make the write unconditional. An etag the
  // target does not have (another resource's, a stale one) fails the compare-and-set.
  try {
    ctx.annotations->replaceAll(s.target, all, etag);
  } catch (const PreconditionFailed&) {
    throw PreconditionFailed(conflictReason(s.id));
  }
  // The entity may have been deleted meanwhile: then its annotations go with it.
  if (!ctx.entities->find(layer ? kLayers : kDatasets, s.entity.id)) {
    ctx.annotations->removeAll(s.target);
    throw NotFound(kNotFoundReason);
  }
  const AnnotationSet set = ctx.annotations->read(s.target);
  setEtag(res, set.etag);
  res.sendJson(encodeAnnotations(set, s.id, s.uri, creationDateOf(s.entity)), 200);
}

}  // namespace

void addAnnotationRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  routes.add(
      "GET", std::string(kPrefix) + "/dataset/{did}/annotations",
      [c](Request& req, Response& res) { getAnnotations(*c, req, res, false); }, readOptions(ctx));
  routes.add(
      "PUT", std::string(kPrefix) + "/dataset/{did}/annotations",
      [c](Request& req, Response& res) { putAnnotations(*c, req, res, false); }, writeOptions(ctx));
  routes.add(
      "GET", std::string(kPrefix) + "/dataset/{did}/layer/{lid}/annotations",
      [c](Request& req, Response& res) { getAnnotations(*c, req, res, true); }, readOptions(ctx));
  routes.add(
      "PUT", std::string(kPrefix) + "/dataset/{did}/layer/{lid}/annotations",
      [c](Request& req, Response& res) { putAnnotations(*c, req, res, true); }, writeOptions(ctx));
}

Poco::JSON::Array::Ptr annotationValuesJson(const Annotation& a) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const AnnotationValue& v : a.values) {
    if (const auto* s = std::get_if<std::string>(&v)) list->add(*s);
    if (const auto* d = std::get_if<double>(&v)) list->add(*d);
    if (const auto* l = std::get_if<int64_t>(&v)) list->add(*l);
    if (const auto* b = std::get_if<bool>(&v)) list->add(*b);
    if (const auto* b = std::get_if<AnnotationBlob>(&v)) list->add(toBase64(b->bytes));
  }
  return list;
}

}  // namespace strata::synapse
