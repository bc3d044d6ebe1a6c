#include "synapse_model.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cctype>

#include "synapse_common.h"

namespace strata::synapse {

namespace {

using Kind = Field::Kind;

Field writable(Kind kind, const std::string& name) {
  Field f;
  f.kind = kind;
  f.name = name;
  return f;
}
Field readOnly(Kind kind, const std::string& name) {
  Field f = writable(kind, name);
  f.readOnly = true;
  return f;
}

bool isBool(const Poco::Dynamic::Var& v) { return v.type() == typeid(bool); }

Poco::JSON::Object::Ptr typed(const std::string& type) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("type", type);
  return o;
}

}  // namespace

const Field* Model::find(const std::string& name) const {
  for (const Field& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

const Model& datasetModel() {
  static const Model model = [] {
    Model m;
    m.className = "Dataset";
    m.javaClass = "org.sagebionetworks.repo.model.Dataset";
    Field name = writable(Kind::String, "name");
    name.required = true;
    Field version = writable(Kind::String, "version");
    version.dflt = "0.0.1";
    m.fields = {readOnly(Kind::String, "id"),
                readOnly(Kind::Uri, "uri"),
                readOnly(Kind::String, "etag"),
                name,
                writable(Kind::String, "description"),
                readOnly(Kind::String, "creator"),
                readOnly(Kind::Date, "creationDate"),
                writable(Kind::String, "status"),
                writable(Kind::Date, "releaseDate"),
                version,
                writable(Kind::Bool, "hasExpressionData"),
                writable(Kind::Bool, "hasGeneticData"),
                writable(Kind::Bool, "hasClinicalData"),
                readOnly(Kind::Uri, "annotations"),
                readOnly(Kind::Uri, "layer"),
                readOnly(Kind::Previews, "layers")};
    return m;
  }();
  return model;
}

const Model& layerModel() {
  static const Model model = [] {
    Model m;
    m.className = "InputDataLayer";
    m.javaClass = "org.sagebionetworks.repo.model.InputDataLayer";
    Field name = writable(Kind::String, "name");
    name.required = true;
    Field type = writable(Kind::LayerType, "type");
    type.required = true;
    Field version = writable(Kind::String, "version");
    version.dflt = "0.0.1";
    m.fields = {readOnly(Kind::String, "id"),
                readOnly(Kind::Uri, "uri"),
                readOnly(Kind::String, "etag"),
                name,
                writable(Kind::String, "description"),
                readOnly(Kind::Date, "creationDate"),
                version,
                writable(Kind::Date, "publicationDate"),
                writable(Kind::String, "releaseNotes"),
                type,
                writable(Kind::String, "tissueType"),
                writable(Kind::String, "platform"),
                writable(Kind::String, "processingFacility"),
                writable(Kind::String, "qcBy"),
                writable(Kind::Date, "qcDate"),
                writable(Kind::String, "status"),
                writable(Kind::Long, "numSamples"),
                readOnly(Kind::Uri, "annotations"),
                readOnly(Kind::Uri, "preview"),
                readOnly(Kind::UriList, "locations")};
    return m;
  }();
  return model;
}

Poco::JSON::Object::Ptr readJsonBody(Request& req, uint64_t maxBytes) {
  const std::string text = req.bodyText(maxBytes);
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }))
    throw BadRequest("No content to map to Object due to end of input");
  const Poco::Dynamic::Var v = parseJsonBody(text);
  if (v.type() != typeid(Poco::JSON::Object::Ptr)) throw BadRequest("the body must be a JSON object");
  return v.extract<Poco::JSON::Object::Ptr>();
}

void checkKnownFields(const Poco::JSON::Object& body, const std::vector<std::string>& allowed,
                      const std::string& javaClass) {
  for (const auto& [key, value] : body) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw BadRequest("Unrecognized field \"" + key + "\" (Class " + javaClass +
                       "), not marked as ignorable");
  }
}

Poco::JSON::Object::Ptr decodeModel(const Model& model, const Poco::JSON::Object& body) {
  std::vector<std::string> names;
  for (const Field& f : model.fields) names.push_back(f.name);
  checkKnownFields(body, names, model.javaClass);
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
  for (const Field& f : model.fields) {
    if (f.readOnly) continue;
    const Poco::Dynamic::Var v = body.has(f.name) ? body.get(f.name) : Poco::Dynamic::Var();
    if (v.isEmpty()) {
      if (f.kind == Kind::LayerType) throw BadRequest("'type' must be one of: E G C");
      if (f.required) throw BadRequest("'" + f.name + "' is a required property for " + model.className);
      if (f.kind == Kind::String && f.dflt) out->set(storedName(f.name), std::string(f.dflt));
      if (f.kind == Kind::Bool) out->set(storedName(f.name), f.boolDefault);
      continue;
    }
    switch (f.kind) {
      case Kind::String:
        if (!v.isString()) throw BadRequest("'" + f.name + "' must be a string");
        if (f.required && v.extract<std::string>().empty())
          throw BadRequest("'" + f.name + "' is a required property for " + model.className);
        out->set(storedName(f.name), v.extract<std::string>());
        break;
      case Kind::LayerType: {
        const std::string t = v.isString() ? v.extract<std::string>() : "";
        if (t != "E" && t != "G" && t != "C") throw BadRequest("'type' must be one of: E G C");
        out->set(storedName(f.name), t);
        break;
      }
      case Kind::Date:
        out->set(storedName(f.name), parseDate(v, f.name));
        break;
      case Kind::Bool:
        if (!isBool(v)) throw BadRequest("'" + f.name + "' must be true or false");
        out->set(storedName(f.name), v.extract<bool>());
        break;
      case Kind::Long: {
        if (!v.isInteger() || isBool(v)) throw BadRequest("'" + f.name + "' must be an integer");
        try {
          out->set(storedName(f.name), v.convert<int64_t>());
        } catch (const Poco::Exception&) {
          throw BadRequest("'" + f.name + "' must be an integer");
        }
        break;
      }
      default:
        break;
    }
  }
  return out;
}

std::string newEntityId() {
  static std::atomic<uint64_t> last{0};
  const uint64_t now = static_cast<uint64_t>(nowMillis()) * 1000;
  uint64_t prev = last.load();
  uint64_t next = 0;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  char head[17];
  std::snprintf(head, sizeof head, "%016llx", static_cast<unsigned long long>(next));
  std::string random = newUuid();
  random.erase(std::remove(random.begin(), random.end(), '-'), random.end());
  return std::string(head) + random.substr(random.size() - 16);
}

std::string storedName(const std::string& field) { return field == "version" ? kStoredVersion : field; }

void showStoredNames(Poco::JSON::Object& record) {
  if (!record.has(kStoredVersion)) return;
  record.set("version", record.get(kStoredVersion));
  record.remove(kStoredVersion);
}

std::vector<EntityOrder> collectionOrder(const Model& model, const std::string& sort, bool ascending) {
  std::vector<EntityOrder> order;
  const auto key = [&](const std::string& field) {
    EntityOrder o;
    o.field = field;
    o.descending = !ascending;
    order.push_back(o);
  };
  if (sort == "NONE") {
    key("id");
    order.front().descending = false;
    return order;
  }
  std::string field = sort;
  if (sort == "creationDate") {
    field = "created";
  } else if (sort != "id") {
    const Field* f = model.find(sort);
    if (!f || f->kind == Kind::Uri || f->kind == Kind::UriList || f->kind == Kind::Previews || sort == "etag")
      throw BadRequest("cannot sort " + model.className + " by '" + sort + "': not a field of " +
                       model.className);
    field = storedName(sort);
  }
  key(field);
  if (field != "id") key("id");
  return order;
}

Poco::JSON::Object::Ptr modelSchema(const Model& model) {
  Poco::JSON::Object::Ptr properties = new Poco::JSON::Object;
  Poco::JSON::Array::Ptr required = new Poco::JSON::Array;
  for (const Field& f : model.fields) {
    Poco::JSON::Object::Ptr p;
    switch (f.kind) {
      case Kind::String:
        p = typed("string");
        break;
      case Kind::Uri:
        p = typed("string");
        p->set("format", "uri");
        break;
      case Kind::Date:
        p = typed("integer");
        p->set("format", "utc-millisec");
        break;
      case Kind::Bool:
        p = typed("boolean");
        break;
      case Kind::Long:
        p = typed("integer");
        break;
      case Kind::LayerType: {
        p = typed("string");
        Poco::JSON::Array::Ptr values = new Poco::JSON::Array;
        values->add("E");
        values->add("G");
        values->add("C");
        p->set("enum", values);
        break;
      }
      case Kind::UriList: {
        p = typed("array");
        Poco::JSON::Object::Ptr item = typed("string");
        item->set("format", "uri");
        p->set("items", item);
        break;
      }
      case Kind::Previews: {
        p = typed("array");
        Poco::JSON::Object::Ptr item = typed("object");
        Poco::JSON::Object::Ptr itemProps = new Poco::JSON::Object;
        itemProps->set("id", typed("string"));
        itemProps->set("type", typed("string"));
        Poco::JSON::Object::Ptr uri = typed("string");
        uri->set("format", "uri");
        itemProps->set("uri", uri);
        item->set("properties", itemProps);
        p->set("items", item);
        break;
      }
    }
    if (f.readOnly) p->set("readonly", true);
    if (f.dflt) p->set("default", std::string(f.dflt));
    if (f.kind == Kind::Bool) p->set("default", f.boolDefault);
    if (f.required) required->add(f.name);
    properties->set(f.name, p);
  }
  Poco::JSON::Object::Ptr schema = typed("object");
  schema->set("title", model.className);
  schema->set("properties", properties);
  schema->set("required", required);
  schema->set("additionalProperties", false);
  return schema;
}

Poco::JSON::Object::Ptr annotationsSchema() {
  Poco::JSON::Object::Ptr properties = new Poco::JSON::Object;
  properties->set("id", typed("string"));
  Poco::JSON::Object::Ptr uri = typed("string");
  uri->set("format", "uri");
  properties->set("uri", uri);
  properties->set("etag", typed("string"));
  Poco::JSON::Object::Ptr date = typed("integer");
  date->set("format", "utc-millisec");
  properties->set("creationDate", date);
  const auto map = [](Poco::JSON::Object::Ptr item) {
    Poco::JSON::Object::Ptr list = typed("array");
    list->set("items", item);
    Poco::JSON::Object::Ptr m = typed("object");
    m->set("additionalProperties", list);
    return m;
  };
  properties->set("stringAnnotations", map(typed("string")));
  properties->set("doubleAnnotations", map(typed("number")));
  properties->set("floatAnnotations", map(typed("number")));
  properties->set("longAnnotations", map(typed("integer")));
  Poco::JSON::Object::Ptr dateItem = typed("integer");
  dateItem->set("format", "utc-millisec");
  properties->set("dateAnnotations", map(dateItem));
  Poco::JSON::Object::Ptr blob = typed("string");
  blob->set("contentEncoding", "base64");
  properties->set("blobAnnotations", map(blob));
  Poco::JSON::Object::Ptr schema = typed("object");
  schema->set("title", "Annotations");
  schema->set("properties", properties);
  schema->set("additionalProperties", false);
  return schema;
}

}  // namespace strata::synapse
