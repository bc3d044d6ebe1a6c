// GET /repo/v1/query?query=select * from dataset|layer where ... order by ... limit N offset M:
// the 2011 query service (§2.1.4) over the records' own fields (the entities role) and their
// annotations (the annotations role). See docs/synapse.md "Query" for what is an index lookup
// and what is a scan.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "query_parser.h"
#include "synapse_model.h"
#include "synapse_common.h"

namespace strata::synapse {

namespace {

constexpr uint64_t kAll = std::numeric_limits<uint64_t>::max() / 4;

const std::set<std::string>& datasetFields() {
  static const std::set<std::string> f = {
      "id",          "name",    "description",       "creator",        "creationDate",   "status",
      "releaseDate", "version", "hasExpressionData", "hasGeneticData", "hasClinicalData"};
  return f;
}
const std::set<std::string>& layerFields() {
  static const std::set<std::string> f = {
      "id",           "name",       "description",     "creator",
      "creationDate", "version",    "publicationDate", "releaseNotes",
      "type",         "tissueType", "platform",        "processingFacility",
      "qcBy",         "qcDate",     "status",          "numSamples"};
  return f;
}
bool isDateField(const std::string& name) {
  return name == "creationDate" || name == "releaseDate" || name == "publicationDate" || name == "qcDate";
}
// Record members a query result leaves out (URIs of other resources, etags).
bool excludedMember(const std::string& name) {
  return name == "uri" || name == "etag" || name == "annotations" || name == "layer" || name == "layers" ||
         name == "preview" || name == "locations" || name == "id";
}

// Where a field is in the stored record: the creation date is the entity's own "created", the
// record's version its `versionLabel` (synapse_model.h).
std::string storedField(const std::string& name) {
  return name == "creationDate" ? "created" : storedName(name);
}

constexpr const char* kLayerRule =
    "java.lang.IllegalArgumentException: Layer queries must include a 'WHERE dataset.id == <the id>' clause";

struct Plan {
  bool layers = false;
  std::string datasetId;  // layer queries: the dataset
  bool empty = false;     // a clause on dataset.id that no layer of the dataset can meet
  std::vector<EntityFilter> fieldFilters;
  std::vector<AnnotationClause> annotationClauses;
  enum class Order { None, Field, Annotation } order = Order::None;
  std::string orderName;  // an entity field or an annotation key
  bool descending = false;
  uint64_t offset = 0;  // 0-based
  uint64_t limit = 10;
};

EntityFilter::Op entityOp(QueryOp op) {
  switch (op) {
    case QueryOp::Eq:
      return EntityFilter::Op::Eq;
    case QueryOp::Ne:
      return EntityFilter::Op::Ne;
    case QueryOp::Gt:
      return EntityFilter::Op::Gt;
    case QueryOp::Ge:
      return EntityFilter::Op::Ge;
    case QueryOp::Lt:
      return EntityFilter::Op::Lt;
    case QueryOp::Le:
      return EntityFilter::Op::Le;
  }
  return EntityFilter::Op::Eq;
}

AnnotationOp annotationOp(QueryOp op) {
  switch (op) {
    case QueryOp::Eq:
      return AnnotationOp::Eq;
    case QueryOp::Ne:
      return AnnotationOp::Ne;
    case QueryOp::Gt:
      return AnnotationOp::Gt;
    case QueryOp::Ge:
      return AnnotationOp::Ge;
    case QueryOp::Lt:
      return AnnotationOp::Lt;
    case QueryOp::Le:
      return AnnotationOp::Le;
  }
  return AnnotationOp::Eq;
}

Poco::Dynamic::Var entityValue(const QueryLiteral& v, const std::string& field) {
  switch (v.kind) {
    case QueryLiteral::Kind::String:
      if (isDateField(field)) {
        try {
          return parseDate(v.text, field);  // dates are stored as epoch ms
        } catch (const BadRequest&) {
        }
      }
      return v.text;
    case QueryLiteral::Kind::Long:
      return v.integer;
    case QueryLiteral::Kind::Double:
      return v.number;
    case QueryLiteral::Kind::Boolean:
      return v.boolean;
  }
  return {};
}

AnnotationValue annotationValue(const QueryLiteral& v) {
  switch (v.kind) {
    case QueryLiteral::Kind::String:
      return v.text;
    case QueryLiteral::Kind::Long:
      return v.integer;
    case QueryLiteral::Kind::Double:
      return v.number;
    case QueryLiteral::Kind::Boolean:
      return v.boolean;
  }
  return std::string();
}

bool holds(const std::string& actual, QueryOp op, const QueryLiteral& v) {
  if (v.kind != QueryLiteral::Kind::String) return false;
  const int c = actual.compare(v.text);
  switch (op) {
    case QueryOp::Eq:
      return c == 0;
    case QueryOp::Ne:
      return c != 0;
    case QueryOp::Gt:
      return c > 0;
    case QueryOp::Ge:
      return c >= 0;
    case QueryOp::Lt:
      return c < 0;
    case QueryOp::Le:
      return c <= 0;
  }
  return false;
}

Plan plan(const ParsedQuery& q) {
  Plan p;
  p.layers = q.table == "layer";
  p.offset = q.offset - 1;
  p.limit = q.limit;
  const auto& fields = p.layers ? layerFields() : datasetFields();
  // Layer queries: the dataset first.
  if (p.layers) {
    for (const QueryClause& c : q.where) {
      if (c.field.qualifier == "dataset" && c.field.name == "id" && c.op == QueryOp::Eq &&
          c.value.kind == QueryLiteral::Kind::String) {
        p.datasetId = c.value.text;
        break;
      }
    }
    if (p.datasetId.empty()) throw BadRequest(kLayerRule);
  }
  auto checkQualifier = [&](const QueryField& f) {
    if (f.qualifier.empty() || f.qualifier == q.table) return;
    if (f.qualifier == "dataset" && p.layers) {
      if (f.name == "id") return;
      throw BadRequest("a layer query refers to its dataset only as dataset.id, not dataset." + f.name);
    }
    throw BadRequest("'" + f.qualifier + "." + f.name + "' is not a field of " + q.table + ": use " +
                     q.table + "." + f.name + " or " + f.name);
  };
  for (const QueryClause& c : q.where) {
    checkQualifier(c.field);
    if (p.layers && c.field.qualifier == "dataset") {  // dataset.id
      if (!holds(p.datasetId, c.op, c.value)) p.empty = true;
      continue;
    }
    if (fields.count(c.field.name)) {
      EntityFilter f;
      f.field = storedField(c.field.name);
      f.op = entityOp(c.op);
      f.value = entityValue(c.value, c.field.name);
      if (p.layers && f.field == "id") {
        // a layer's entity id is "<dataset id>/<layer id>": the same order within the dataset
        f.value = layerEntityId(p.datasetId, c.value.kind == QueryLiteral::Kind::String
                                                 ? c.value.text
                                                 : f.value.convert<std::string>());
      }
      if (f.field == "id" && f.op == EntityFilter::Op::Eq && f.value.isString()) {
        // `id == x` as `id In [x]`: a point lookup rather than a scan of the collection
        f.op = EntityFilter::Op::In;
        f.value = std::vector<Poco::Dynamic::Var>{f.value};
      }
      p.fieldFilters.push_back(std::move(f));
    } else {
      AnnotationClause a;
      a.key = c.field.name;
      a.op = annotationOp(c.op);
      a.value = annotationValue(c.value);
      p.annotationClauses.push_back(std::move(a));
    }
  }
  if (q.orderBy) {
    checkQualifier(*q.orderBy);
    if (p.layers && q.orderBy->qualifier == "dataset") {
      p.order = Plan::Order::None;  // every layer has the same dataset
    } else {
      const bool field = fields.count(q.orderBy->name) > 0;
      p.order = field ? Plan::Order::Field : Plan::Order::Annotation;
      p.orderName = field ? storedField(q.orderBy->name) : q.orderBy->name;
    }
    p.descending = q.descending;
  }
  return p;
}

std::string targetOf(const Plan& p, const std::string& entityId) {
  return p.layers ? "layer/" + entityId : datasetTarget(entityId);
}

std::string entityIdOfTarget(const std::string& target) { return target.substr(target.find('/') + 1); }

class Executor {
 public:
  Executor(const Context& ctx, const Plan& p) : ctx_(ctx), p_(p) {}

  // The page of entities and the total.
  std::pair<std::vector<Entity>, uint64_t> run() {
    if (p_.empty) return {{}, 0};
    const bool noFields = p_.fieldFilters.empty();
    if (p_.annotationClauses.empty() && p_.order != Plan::Order::Annotation) {
      // Fields only: one entity query.
      EntityPage page = ctx_.entities->list(collection(), entityQuery({}, p_.offset, p_.limit));
      return {std::move(page.items), page.total};
    }
    if (!p_.annotationClauses.empty() && noFields && p_.order != Plan::Order::Field) {
      // Annotations only: the annotation search pages and counts; then one lookup per result.
      AnnotationSearch s = search(p_.offset, p_.limit);
      AnnotationPage page = ctx_.annotations->search(s);
      std::vector<std::string> ids;
      for (const auto& t : page.targets) ids.push_back(entityIdOfTarget(t));
      return {lookup(ids), page.total};
    }
    if (!p_.annotationClauses.empty()) {
      // Both: the annotation search first (index ranges), then the entity query on those ids.
      AnnotationPage page = ctx_.annotations->search(search(0, kAll));
      std::vector<Poco::Dynamic::Var> ids;
      ids.reserve(page.targets.size());
      for (const auto& t : page.targets) ids.emplace_back(entityIdOfTarget(t));
      if (ids.empty()) return {{}, 0};
      if (p_.order != Plan::Order::Annotation) {
        EntityPage ep = ctx_.entities->list(collection(), entityQuery(ids, p_.offset, p_.limit));
        return {std::move(ep.items), ep.total};
      }
      // Sorted by an annotation: keep the search's order, drop what the fields refuse.
      EntityPage ep = ctx_.entities->list(collection(), entityQuery(ids, 0, kAll));
      std::unordered_map<std::string, Entity*> byId;
      for (Entity& e : ep.items) byId[e.id] = &e;
      std::vector<Entity> out;
      uint64_t index = 0;
      for (const auto& t : page.targets) {
        auto it = byId.find(entityIdOfTarget(t));
        if (it == byId.end()) continue;
        if (index >= p_.offset && out.size() < p_.limit) out.push_back(*it->second);
        ++index;
      }
      return {std::move(out), index};
    }
    // Sorted by an annotation without annotation clauses: every selected entity, then its
    // sort value, sorted here (a scan of the selected entities).
    EntityPage ep = ctx_.entities->list(collection(), entityQuery({}, 0, kAll));
    std::vector<std::pair<std::optional<AnnotationValue>, std::size_t>> keyed;
    keyed.reserve(ep.items.size());
    for (std::size_t i = 0; i < ep.items.size(); ++i) {
      const auto a = ctx_.annotations->find(targetOf(p_, ep.items[i].id), p_.orderName);
      keyed.emplace_back(annotationSortValue(a ? &*a : nullptr, p_.descending), i);
    }
    std::sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
      return annotationSortsBefore(x.first, ep.items[x.second].id, y.first, ep.items[y.second].id,
                                   p_.descending);
    });
    std::vector<Entity> out;
    for (uint64_t i = p_.offset; i < keyed.size() && out.size() < p_.limit; ++i)
      out.push_back(ep.items[keyed[i].second]);
    return {std::move(out), keyed.size()};
  }

 private:
  const char* collection() const { return p_.layers ? kLayers : kDatasets; }

  EntityQuery entityQuery(const std::vector<Poco::Dynamic::Var>& ids, uint64_t offset, uint64_t limit) const {
    EntityQuery q;
    q.filters = p_.fieldFilters;
    if (p_.layers) q.idPrefix = layerEntityId(p_.datasetId, "");
    if (!ids.empty()) {
      EntityFilter in;
      in.field = "id";
      in.op = EntityFilter::Op::In;
      in.value = ids;
      q.filters.push_back(std::move(in));
    }
    if (p_.order == Plan::Order::Field) {
      q.sortBy = p_.orderName;
      q.descending = p_.descending;
    }
    q.offset = offset;
    q.limit = limit;
    return q;
  }

  AnnotationSearch search(uint64_t offset, uint64_t limit) const {
    AnnotationSearch s;
    s.clauses = p_.annotationClauses;
    s.targetPrefix = p_.layers ? "layer/" + layerEntityId(p_.datasetId, "") : "dataset/";
    if (p_.order == Plan::Order::Annotation) {
      s.sortKey = p_.orderName;
      s.descending = p_.descending;
    }
    s.offset = offset;
    s.limit = limit;
    return s;
  }

  std::vector<Entity> lookup(const std::vector<std::string>& ids) const {
    std::vector<Entity> out;
    for (const auto& id : ids)
      if (auto e = ctx_.entities->find(collection(), id)) out.push_back(std::move(*e));
    return out;
  }

  const Context& ctx_;
  const Plan& p_;
};

Poco::JSON::Object::Ptr resultRow(const Context& ctx, const Plan& p, const Entity& e) {
  const std::string table = p.layers ? "layer." : "dataset.";
  Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
  row->set(table + "id", p.layers ? e.id.substr(p.datasetId.size() + 1) : e.id);
  Poco::JSON::Object record(*e.body);
  showStoredNames(record);
  for (const auto& [name, value] : record) {
    if (excludedMember(name)) continue;
    row->set(table + name, value);
  }
  if (!e.body->has("creationDate")) row->set(table + "creationDate", e.created);
  const AnnotationSet set = ctx.annotations->read(targetOf(p, e.id));
  for (const Annotation& a : set.annotations) {
    if (a.type == AnnotationType::Blob || row->has(table + a.key)) continue;  // fields win
    row->set(table + a.key, annotationValuesJson(a));
  }
  return row;
}

void query(const Context& ctx, Request& req, Response& res) {
  const auto text = req.query("query");
  if (!text) throw BadRequest("the 'query' parameter is required: select * from dataset ...");
  const ParsedQuery parsed = parseQuery(*text);
  const Plan p = plan(parsed);
  auto [entities, total] = Executor(ctx, p).run();
  Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
  for (const Entity& e : entities) results->add(resultRow(ctx, p, e));
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
  out->set("totalNumberOfResults", total);
  out->set("results", results);
  res.sendJson(out, 200);
}

}  // namespace

void addQueryRoutes(RouteRegistry& routes, Context& ctx) {
  const Context* c = &ctx;
  routes.add(
      "GET", std::string(kPrefix) + "/query", [c](Request& req, Response& res) { query(*c, req, res); },
      readOptions(ctx));
}

}  // namespace strata::synapse
