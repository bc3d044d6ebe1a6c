// What the accounts routes (users.cpp, teams.cpp, projects.cpp, licences.cpp, auth.cpp) share:
// DRF's field decoding (CharField, BooleanField, PrimaryKeyRelatedField) with its error texts,
// handler wrapping, and batch helpers. Header-only, private to the ufdl plugin.
#pragma once
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <optional>
#include <string>
#include <vector>

#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl::accounts {

inline constexpr const char* kNotNull = "This field may not be null.";

// A new JSON object that keeps its keys in insertion order (UFDL's field order).
inline Poco::JSON::Object::Ptr ordered() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

// DRF's CharField: strings, and numbers (written as text); not booleans, null or containers.
// Whitespace is trimmed, then blank and max_length are checked. nullopt (with an error added)
// when invalid or (if `required`) missing; nullopt without an error when absent and optional.
inline std::optional<std::string> charField(const Poco::JSON::Object& body, const std::string& name,
                                            FieldErrors& errors, bool required, std::size_t maxLength,
                                            bool allowBlank = false) {
  if (!body.has(name)) {
    if (required) errors.add(name, kRequired);
    return std::nullopt;
  }
  const Poco::Dynamic::Var v = body.get(name);
  if (v.isEmpty()) {
    errors.add(name, kNotNull);
    return std::nullopt;
  }
  std::string text;
  if (v.isString()) {
    text = v.toString();
  } else if (v.isNumeric() && !v.isBoolean()) {
    text = v.toString();
  } else {
    errors.add(name, kNotAString);
    return std::nullopt;
  }
  const auto first = text.find_first_not_of(" \t\r\n\f\v");
  text =
      first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(" \t\r\n\f\v") - first + 1);
  if (text.empty() && !allowBlank) {
    errors.add(name, kBlank);
    return std::nullopt;
  }
  if (text.size() > maxLength) {
    errors.add(name, "Ensure this field has no more than " + std::to_string(maxLength) + " characters.");
    return std::nullopt;
  }
  return text;
}

// DRF's BooleanField: true/false, 1/0 and DRF's words ("true", "yes", "on", "1", ...).
inline std::optional<bool> boolField(const Poco::JSON::Object& body, const std::string& name,
                                     FieldErrors& errors, bool required = false) {
  if (!body.has(name)) {
    if (required) errors.add(name, kRequired);
    return std::nullopt;
  }
  const Poco::Dynamic::Var v = body.get(name);
  if (v.isBoolean()) return v.extract<bool>();
  if (v.isInteger() && !v.isBoolean()) {
    const int64_t n = v.convert<int64_t>();
    if (n == 0 || n == 1) return n == 1;
  }
  if (v.isString()) {
    static const std::vector<std::string> yes{"t",    "T",    "y",    "Y",  "yes", "Yes", "YES",
                                              "true", "True", "TRUE", "on", "On",  "ON",  "1"};
    static const std::vector<std::string> no{"f",     "F",     "n",     "N",   "no",  "No",  "NO",
                                             "false", "False", "FALSE", "off", "Off", "OFF", "0"};
    const std::string s = v.toString();
    for (const auto& w : yes)
      if (s == w) return true;
    for (const auto& w : no)
      if (s == w) return false;
  }
  errors.add(name, v.isEmpty() ? kNotNull : kNotABoolean);
  return std::nullopt;
}

// DRF's PrimaryKeyRelatedField, the type half: an integer or a string of digits. Existence is
// the caller's (invalidPk).
inline std::optional<int64_t> pkField(const Poco::JSON::Object& body, const std::string& name,
                                      FieldErrors& errors, bool required) {
  if (!body.has(name)) {
    if (required) errors.add(name, kRequired);
    return std::nullopt;
  }
  const Poco::Dynamic::Var v = body.get(name);
  if (v.isEmpty()) {
    errors.add(name, kNotNull);
    return std::nullopt;
  }
  if (v.isInteger() && !v.isBoolean()) return v.convert<int64_t>();
  if (v.isString()) {
    const std::string s = v.toString();
    if (!s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos)
      return std::stoll(s);
    errors.add(name, "Incorrect type. Expected pk value, received str.");
    return std::nullopt;
  }
  const char* type = v.isBoolean() ? "bool" : v.isNumeric() ? "float" : v.isArray() ? "list" : "dict";
  errors.add(name, std::string("Incorrect type. Expected pk value, received ") + type + ".");
  return std::nullopt;
}

// A record's field or null.
inline Poco::Dynamic::Var field(const Poco::JSON::Object& body, const std::string& name) {
  return body.has(name) ? body.get(name) : Poco::Dynamic::Var();
}

// A copy of a record body (so that a stored body is never changed in place).
inline Poco::JSON::Object::Ptr copyOf(const Poco::JSON::Object::Ptr& body) {
  Poco::JSON::Object::Ptr o = ordered();
  for (const auto& [k, v] : *body) o->set(k, v);
  return o;
}

inline bool isActive(const Entity& e) { return e.body->isNull("deletion_time"); }

// Whether a batch failed on its operation `index` (the core labels batch errors so).
inline bool failedAt(const Error& e, std::size_t index) {
  return std::string(e.what()).rfind("batch operation " + std::to_string(index) + " ", 0) == 0;
}

// Applies batches of at most 500 operations each (for cascades over many records).
inline void applyInChunks(const Context& ctx, const std::vector<EntityOperation>& ops) {
  EntityBatch batch;
  for (const auto& op : ops) {
    batch.operations.push_back(op);
    if (batch.operations.size() == 500) {
      ctx.entities->apply(batch);
      batch.operations.clear();
    }
  }
  if (!batch.operations.empty()) ctx.entities->apply(batch);
}

inline EntityOperation updateOp(const std::string& collection, const Entity& e,
                                const Poco::JSON::Object::Ptr& body) {
  EntityOperation op;
  op.kind = EntityOperation::Kind::Update;
  op.collection = collection;
  op.id = e.id;
  op.body = body;
  op.ifMatch = e.etag;
  return op;
}

// PUT (every writable field required) or PATCH (any subset).
inline bool isPut(const Request& req) { return req.method() == "PUT"; }

// The query of a `list` request: its FilterSpec body (filter_spec.h) on `schema`, and `extra`
// conditions (visibility).
inline EntityQuery filteredQuery(const Context& ctx, Request& req, const ResourceSchema& schema,
                                 const std::vector<EntityCondition>& extra = {}) {
  const auto body = jsonBody(ctx, req);
  return listQuery(parseFilterSpec(ctx, Poco::Dynamic::Var(body), schema), schema, extra);
}

}  // namespace strata::ufdl::accounts
