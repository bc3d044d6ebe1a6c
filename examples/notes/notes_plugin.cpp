// The `notes` endpoint plugin: short text notes kept in the entities role.
//
//   GET    /notes                  {"notes": [...], "total": n}   ?offset=&limit= (1-1000)
//   POST   /notes                  {"text": "..."} -> 201, Location, ETag, the note
//   GET    /notes/{id}             the note, ETag
//   PUT    /notes/{id}             {"text": "..."}, optional If-Match -> 200 or 412
//   DELETE /notes/{id}             optional If-Match -> 204
//
// A note is {"id", "text", "version", "created", "modified"} (times in ISO 8601 UTC).
// Errors are problem details (problem_errors.h).
//
// Configuration (plugins.notes.*):
//   collection    the entities collection (default "notes")
//   maxTextBytes  the longest text accepted (default 64K)
//   stores.entities  the entities store instance (default "default")
#include "problem_errors.h"

#include <strata/endpoint_plugin.h>
#include <strata/errors.h>
#include <strata/http.h>
#include <strata/util.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

#include <memory>
#include <string>

namespace notes {

namespace {

using strata::Request;
using strata::Response;

Poco::JSON::Object::Ptr toJson(const strata::Entity& e) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", e.id);
  o->set("text", e.body->getValue<std::string>("text"));
  o->set("version", e.version);
  o->set("created", strata::isoTime(e.created));
  o->set("modified", strata::isoTime(e.modified));
  return o;
}

// The etag from an If-Match header: `"abc"` or `abc`; empty when absent.
std::string ifMatch(const Request& req) {
  std::string v = req.header("If-Match").value_or("");
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

uint64_t queryNumber(const Request& req, const std::string& name, uint64_t dflt, uint64_t min, uint64_t max) {
  const auto text = req.query(name);
  if (!text) return dflt;
  uint64_t value = 0;
  if (!Poco::NumberParser::tryParseUnsigned64(*text, value) || value < min || value > max)
    throw strata::BadRequest("query parameter '" + name + "' must be a whole number from " +
                             std::to_string(min) + " to " + std::to_string(max));
  return value;
}

}  // namespace

class NotesPlugin final : public strata::EndpointPlugin {
 public:
  void configure(strata::PluginContext& ctx) override {
    collection_ = ctx.config().getString("collection", "notes");
    if (collection_.empty())
      throw strata::StartupError(ctx.config().prefix() + ".collection must not be empty");
    maxTextBytes_ = ctx.config().getSize("maxTextBytes", 64 << 10);
    store_ = ctx.entities();
  }

  void registerRoutes(strata::RouteRegistry& routes) override {
    // Before add(): routes take the plugin's error format when they are added.
    routes.setErrorRenderer(std::make_shared<ProblemErrors>());

    routes.add("GET", "/notes", [this](Request& req, Response& res) {
      strata::EntityQuery query;
      query.sortBy = "created";
      query.offset = queryNumber(req, "offset", 0, 0, UINT32_MAX);
      query.limit = queryNumber(req, "limit", 100, 1, 1000);
      const strata::EntityPage page = store_->list(collection_, query);
      Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
      for (const auto& e : page.items) items->add(toJson(e));
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
      o->set("notes", items);
      o->set("total", page.total);
      res.sendJson(o);
    });

    routes.add("POST", "/notes", [this](Request& req, Response& res) {
      const strata::Entity e = store_->create(collection_, "", body(req));
      res.setHeader("Location", "/notes/" + e.id);
      send(e, res, 201);
    });

    routes.add("GET", "/notes/{id}",
               [this](Request& req, Response& res) { send(find(req.param("id")), res, 200); });

    routes.add("PUT", "/notes/{id}", [this](Request& req, Response& res) {
      const std::string id = find(req.param("id")).id;
      send(store_->update(collection_, id, body(req), ifMatch(req)), res, 200);
    });

    routes.add("DELETE", "/notes/{id}", [this](Request& req, Response& res) {
      const std::string id = find(req.param("id")).id;
      store_->remove(collection_, id, ifMatch(req));
      res.sendEmpty(204);
    });
  }

 private:
  // A note by id, or NotFound in the API's own words.
  strata::Entity find(const std::string& id) {
    auto e = store_->find(collection_, id);
    if (!e) throw strata::NotFound("no note '" + id + "'");
    return *e;
  }

  // The stored body of a note: {"text": <string of at most maxTextBytes>} and nothing else.
  Poco::JSON::Object::Ptr body(Request& req) {
    auto in = req.jsonObject(maxTextBytes_ + 4096);
    if (!in->has("text") || !in->get("text").isString())
      throw strata::BadRequest("a note needs a string field 'text'");
    const std::string text = in->getValue<std::string>("text");
    if (text.size() > maxTextBytes_)
      throw strata::PayloadTooLarge("a note's text is at most " + std::to_string(maxTextBytes_) + " bytes");
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("text", text);
    return out;
  }

  static void send(const strata::Entity& e, Response& res, int status) {
    res.setHeader("ETag", "\"" + e.etag + "\"");
    res.sendJson(toJson(e), status);
  }

  std::string collection_;
  uint64_t maxTextBytes_ = 64 << 10;
  std::shared_ptr<strata::EntityStore> store_;
};

}  // namespace notes

STRATA_ENDPOINT_PLUGIN(notes::NotesPlugin, "notes", "0.1.0")
