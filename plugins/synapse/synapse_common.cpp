#include "synapse_common.h"

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <strata/auth.h>
#include <strata/errors.h>

#include <cctype>
#include <regex>

namespace strata::synapse {

namespace {

class SynapseErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    std::string reason = e.what();
    if (e.status() == 404 && reason.empty()) reason = kNotFoundReason;
    r.setStatus(e.status(), reasonPhrase(reason));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("reason", reason);
    r.sendJson(body);
  }
};

std::optional<uint64_t> positive(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  uint64_t v = 0;
  if (text->empty() || text->size() > 18 || !Poco::NumberParser::tryParseUnsigned64(*text, v)) return 0;
  return v;
}

}  // namespace

RouteOptions readOptions(const Context& ctx) {
  RouteOptions o;
  o.access = Access::Read;
  o.maxBodyBytes = 0;
  o.tokenPlaces = ctx.tokenPlaces;
  return o;
}

RouteOptions writeOptions(const Context& ctx) {
  RouteOptions o;
  o.access = Access::User;
  o.maxBodyBytes = ctx.maxJsonBytes;
  o.tokenPlaces = ctx.tokenPlaces;
  return o;
}

Entity findDataset(const Context& ctx, const std::string& datasetId) {
  auto e = ctx.entities->find(kDatasets, datasetId);
  if (!e) throw NotFound(kNotFoundReason);
  return *e;
}

Entity findLayer(const Context& ctx, const std::string& datasetId, const std::string& layerId) {
  auto e = ctx.entities->find(kLayers, layerEntityId(datasetId, layerId));
  if (!e) throw NotFound(kNotFoundReason);
  return *e;
}

std::string datasetTarget(const std::string& datasetId) { return "dataset/" + datasetId; }
std::string layerTarget(const std::string& datasetId, const std::string& layerId) {
  return "layer/" + layerEntityId(datasetId, layerId);
}
std::string layerEntityId(const std::string& datasetId, const std::string& layerId) {
  return datasetId + "/" + layerId;
}

std::string datasetUri(const std::string& datasetId) {
  return std::string(kPrefix) + "/dataset/" + datasetId;
}
std::string layerUri(const std::string& datasetId, const std::string& layerId) {
  return datasetUri(datasetId) + "/layer/" + layerId;
}

std::shared_ptr<const ErrorRenderer> synapseErrors() { return std::make_shared<SynapseErrors>(); }

std::string conflictReason(const std::string& id) {
  return "entity with id " + id +
         " was updated since you last fetched it, retrieve it again and reapply the update";
}

int64_t parseDate(const Poco::Dynamic::Var& value, const std::string& field) {
  if (value.isInteger() && value.type() != typeid(bool)) return value.convert<int64_t>();
  if (value.isString()) {
    const std::string text = value.extract<std::string>();
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    static const std::regex dateTime(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z?)");
    try {
      int tz = 0;
      if (std::regex_match(text, date)) {
        const Poco::DateTime d = Poco::DateTimeParser::parse("%Y-%m-%d", text, tz);
        return d.timestamp().epochMicroseconds() / 1000;
      }
      if (std::regex_match(text, dateTime)) {
        std::string t = text;
        if (t.back() == 'Z') t.pop_back();
        if (t.size() == 16) t += ":00";  // hours and minutes only
        const std::size_t dot = t.find('.');
        int64_t millis = 0;
        if (dot != std::string::npos) {
          std::string frac = t.substr(dot + 1, 3);
          while (frac.size() < 3) frac += '0';
          millis = std::stoll(frac);
          t.erase(dot);
        }
        const Poco::DateTime d = Poco::DateTimeParser::parse("%Y-%m-%dT%H:%M:%S", t, tz);
        return d.timestamp().epochMicroseconds() / 1000 + millis;
      }
    } catch (const Poco::Exception&) {
    }
  }
  throw BadRequest("'" + field +
                   "' must be a date: epoch milliseconds or an RFC 3339 date such as 2011-01-31 or " +
                   "2011-01-31T22:00:00");
}

std::string requestEtag(const Request& req) {
  std::optional<std::string> etag = req.header("ETag");
  if (!etag) etag = req.header("If-Match");
  if (!etag) throw BadRequest("Missing header 'ETag' of type [java.lang.Integer]");
  std::string e = *etag;
  if (e.rfind("W/", 0) == 0) e.erase(0, 2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  // An empty etag would make the store's conditional write unconditional: it counts as none.
  if (e.empty()) throw BadRequest("Missing header 'ETag' of type [java.lang.Integer]");
  return e;
}

void setEtag(Response& res, const std::string& etag) { res.setHeader("ETag", etag); }

void checkWriter(const Principal& who, const Poco::JSON::Object& record) {
  if (who.anonymous()) throw Unauthorized("authentication required");
  if (who.inGroup(kAdminGroup)) return;
  if (record.has("creator") && record.get("creator").isString() &&
      record.getValue<std::string>("creator") == who.name)
    return;
  throw Forbidden(kForbiddenReason);
}

Paging parsePaging(const Request& req) {
  Paging p;
  if (const auto o = positive(req.query("offset"))) {
    if (*o < 1) throw BadRequest("pagination offset must be 1 or greater");
    p.offset = *o;
  }
  if (const auto l = positive(req.query("limit"))) {
    if (*l < 1) throw BadRequest("pagination limit must be 1 or greater");
    p.limit = *l;
  }
  if (const auto s = req.query("sort"); s && !s->empty()) p.sort = *s;
  if (const auto a = req.query("ascending")) {
    if (*a == "true")
      p.ascending = true;
    else if (*a == "false")
      p.ascending = false;
    else
      throw BadRequest("'ascending' must be true or false");
  }
  return p;
}

Poco::JSON::Object::Ptr pageJson(const std::string& basePath, const Paging& paging, uint64_t total,
                                 const Poco::JSON::Array::Ptr& results) {
  const std::string sortSuffix =
      paging.sort == "NONE" ? ""
                            : "&sort=" + paging.sort + "&ascending=" + (paging.ascending ? "true" : "false");
  Poco::JSON::Object::Ptr links = new Poco::JSON::Object;
  if (paging.offset > 1) {
    const uint64_t previous = paging.offset > paging.limit ? paging.offset - paging.limit : 1;
    links->set("previous", basePath + "?offset=" + std::to_string(previous) +
                               "&limit=" + std::to_string(paging.limit) + sortSuffix);
  }
  if (paging.offset + paging.limit <= total) {
    links->set("next", basePath + "?offset=" + std::to_string(paging.offset + paging.limit) +
                           "&limit=" + std::to_string(paging.limit) + sortSuffix);
  }
  Poco::JSON::Object::Ptr page = new Poco::JSON::Object;
  page->set("totalNumberOfResults", total);
  page->set("results", results);
  page->set("paging", links);
  return page;
}

}  // namespace strata::synapse
