// UFDL's `list` filter spec (§1.5 of the reference) turned into an entities-role query. See
// filter_spec.h.
//
// Parsing happens in two passes, so that the errors come in UFDL's order: first the whole
// body is checked against ufdl-json-messages' FilterSpec schema (keys, types, nesting: 400
// "Unable to parse JSON: <reason>"), then every field against the schemas below (400
// "Unknown field '<f>'"), and only then are dotted paths across records resolved, through
// queries of the related collections.
#include "filter_spec.h"

#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include <set>
#include <utility>

#include "ufdl_common.h"

namespace strata::ufdl {

// ---- the schemas

namespace {

ResourceSchema makeSchema(const std::string& collection, std::initializer_list<const char*> fields,
                          bool softDelete) {
  ResourceSchema s;
  s.collection = collection;
  for (const char* f : fields) s.fields[f] = f;
  s.softDelete = softDelete;
  return s;
}

}  // namespace

const ResourceSchema& userSchema() {
  // Never `password`: a filter on the hash would let anyone probe it.
  static const ResourceSchema s =
      makeSchema(kUsers,
                 {"pk", "username", "first_name", "last_name", "email", "is_staff", "is_superuser",
                  "is_active", "last_login", "date_joined"},
                 false);
  return s;
}

const ResourceSchema& teamSchema() {
  static const ResourceSchema s = [] {
    ResourceSchema t = makeSchema(kTeams, {"pk", "name", "creator", "creation_time", "deletion_time"}, true);
    t.relations["creator"] = &userSchema();
    return t;
  }();
  return s;
}

const ResourceSchema& projectSchema() {
  static const ResourceSchema s = [] {
    ResourceSchema p =
        makeSchema(kProjects, {"pk", "name", "team", "creator", "creation_time", "deletion_time"}, true);
    p.relations["team"] = &teamSchema();
    p.relations["creator"] = &userSchema();
    return p;
  }();
  return s;
}

const ResourceSchema& licenceSchema() {
  // permissions, conditions, limitations and domains are arrays of names: `contains` on them
  // tests for an element (EntityFilter::Op::Contains on an array), `exact` compares the whole.
  static const ResourceSchema s = makeSchema(
      kLicences, {"pk", "name", "url", "permissions", "conditions", "limitations", "domains"}, false);
  return s;
}

const ResourceSchema& datasetSchema() {
  static const ResourceSchema s = [] {
    ResourceSchema d =
        makeSchema(kDatasets,
                   {"pk", "name", "previous_version", "description", "project", "licence", "is_public",
                    "domain", "tags", "creator", "creation_time", "deletion_time"},
                   true);
    d.fields["version"] = "dataset_version";  // see kDatasets
    d.relations["project"] = &projectSchema();
    d.relations["licence"] = &licenceSchema();
    d.relations["creator"] = &userSchema();
    return d;
  }();
  return s;
}

// ---- indexes

// Declared at start-up (ufdl_plugin.cpp), so that the rocksdb backend answers the lists the
// routes make most with an index range scan instead of a scan of the collection:
// - datasets by "project" (the visibility of a non-staff caller's list, `project In ...` after a
//   `project.team...` path, copies and the unique (name, version, project) checks), by "name"
//   (clients find the versions of a dataset by name) and by "is_public" (anonymous callers
//   see public datasets only; with "project", the visibility of other callers is the union of
//   two index lookups) and by "licence" (a licence in use cannot be deleted);
// - projects by "team" (a team's projects, the resolution of `project.team...` paths);
// - memberships by "user" (teamsOf: the teams of a caller, on every list) and "team" (a
//   team's members).
// A top-level `exact` on one of these fields goes into EntityQuery::filters (see
// parseFilterSpec), where an index answers it. A dataset's files need no index: their ids
// start with the dataset's (filesPrefix), one range scan.
void declareIndexes(Context& ctx) {
  ctx.entities->declareIndex(kDatasets, "project");
  ctx.entities->declareIndex(kDatasets, "name");
  ctx.entities->declareIndex(kDatasets, "is_public");
  ctx.entities->declareIndex(kDatasets, "licence");
  ctx.entities->declareIndex(kProjects, "team");
  ctx.entities->declareIndex(kMemberships, "user");
  ctx.entities->declareIndex(kMemberships, "team");
}

// ---- parsing

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

[[noreturn]] void parseError(const std::string& reason) {
  throw BadRequest("ufdl", "Unable to parse JSON: " + reason);
}

[[noreturn]] void unknownField(const std::string& field) {
  throw BadRequest("ufdl", "Unknown field '" + field + "'");
}

bool isObject(const Var& v) { return v.type() == typeid(Object::Ptr) && !v.extract<Object::Ptr>().isNull(); }
bool isArray(const Var& v) { return v.type() == typeid(Array::Ptr) && !v.extract<Array::Ptr>().isNull(); }
bool isBool(const Var& v) { return !v.isEmpty() && v.isBoolean(); }
// JSON numbers (a bool is no number here, though Poco counts it as one).
bool isNumber(const Var& v) { return !v.isEmpty() && !v.isBoolean() && v.isNumeric(); }
bool isString(const Var& v) { return !v.isEmpty() && v.isString(); }

const char* kindOf(const Var& v) {
  if (v.isEmpty()) return "null";
  if (isBool(v)) return "a boolean";
  if (isNumber(v)) return "a number";
  if (isString(v)) return "a string";
  if (isArray(v)) return "an array";
  if (isObject(v)) return "an object";
  return "a value of unknown type";
}

// One expression as the FilterSpec schema has it, checked but not yet resolved.
struct Expression {
  std::string type;  // exact contains isnull compare and or
  std::string field;
  Var value;              // exact, compare: the value; contains: sub_string
  std::string compareOp;  // compare: < > <= >=
  bool caseInsensitive = false;
  bool invert = false;
  std::vector<Expression> subs;  // and, or
};

// Refuses any key of `obj` not in `allowed`, and a missing required key.
void checkKeys(const Object& obj, const std::string& what, const std::set<std::string>& allowed,
               const std::set<std::string>& required) {
  for (const auto& [key, value] : obj)
    if (!allowed.count(key)) parseError("unexpected key '" + key + "' in " + what);
  for (const auto& key : required)
    if (!obj.has(key)) parseError(what + " is missing '" + key + "'");
}

bool optionalBool(const Object& obj, const std::string& what, const std::string& key) {
  if (!obj.has(key)) return false;
  const Var v = obj.get(key);
  if (!isBool(v)) parseError("'" + key + "' of " + what + " must be a boolean, not " + kindOf(v));
  return v.convert<bool>();
}

std::string requiredString(const Object& obj, const std::string& what, const std::string& key) {
  const Var v = obj.get(key);
  if (!isString(v)) parseError("'" + key + "' of " + what + " must be a string, not " + kindOf(v));
  return v.convert<std::string>();
}

// `where`: "expression", "'and' sub-expression" or "'or' sub-expression" (for the nesting
// rules: an `and` holds field expressions only, an `or` field expressions and `and`s).
Expression parseExpression(const Var& v, const std::string& where) {
  if (!isObject(v)) parseError(where + " must be an object, not " + kindOf(v));
  const Object& obj = *v.extract<Object::Ptr>();
  if (!obj.has("type")) parseError(where + " is missing 'type'");
  const Var typeVar = obj.get("type");
  if (!isString(typeVar)) parseError("'type' of " + where + " must be a string, not " + kindOf(typeVar));
  Expression e;
  e.type = typeVar.convert<std::string>();
  const std::string what = "'" + e.type + "' " + where;

  if (e.type == "exact") {
    checkKeys(obj, what, {"type", "field", "value", "case_insensitive", "invert"}, {"field", "value"});
    e.value = obj.get("value");
    if (!isString(e.value) && !isNumber(e.value) && !isBool(e.value))
      parseError("'value' of " + what + " must be a string, number or boolean, not " + kindOf(e.value));
    e.caseInsensitive = optionalBool(obj, what, "case_insensitive");
  } else if (e.type == "contains") {
    checkKeys(obj, what, {"type", "field", "sub_string", "case_insensitive", "invert"},
              {"field", "sub_string"});
    e.value = requiredString(obj, what, "sub_string");
    if (e.value.extract<std::string>().empty()) parseError("'sub_string' of " + what + " must not be empty");
    e.caseInsensitive = optionalBool(obj, what, "case_insensitive");
  } else if (e.type == "isnull") {
    checkKeys(obj, what, {"type", "field", "invert"}, {"field"});
  } else if (e.type == "compare") {
    checkKeys(obj, what, {"type", "field", "operator", "value", "invert"}, {"field", "operator", "value"});
    e.compareOp = requiredString(obj, what, "operator");
    if (e.compareOp != "<" && e.compareOp != ">" && e.compareOp != "<=" && e.compareOp != ">=")
      parseError("'operator' of " + what + " must be one of <, >, <=, >=, not '" + e.compareOp + "'");
    e.value = obj.get("value");
    if (!isString(e.value) && !isNumber(e.value))
      parseError("'value' of " + what + " must be a string or number, not " + kindOf(e.value));
  } else if (e.type == "and" || e.type == "or") {
    checkKeys(obj, what, {"type", "sub_expressions", "invert"}, {"sub_expressions"});
    const Var subs = obj.get("sub_expressions");
    if (!isArray(subs)) parseError("'sub_expressions' of " + what + " must be an array, not " + kindOf(subs));
    const Array& list = *subs.extract<Array::Ptr>();
    if (list.size() < 2)
      parseError("'sub_expressions' of " + what + " must hold at least 2 expressions, not " +
                 std::to_string(list.size()));
    if (e.type == "and" && where != "expression" && where != "'or' sub-expression")
      parseError("an 'and' expression cannot be nested in an 'and' expression");
    if (e.type == "or" && where != "expression")
      parseError("an 'or' expression can only be a top-level expression");
    for (std::size_t i = 0; i < list.size(); ++i)
      e.subs.push_back(parseExpression(list.get(i), "'" + e.type + "' sub-expression"));
  } else {
    parseError("unknown expression type '" + e.type +
               "' (expected exact, contains, isnull, compare, and or or)");
  }
  if (e.type != "and" && e.type != "or") {
    e.field = requiredString(obj, what, "field");
    if (e.field.empty()) parseError("'field' of " + what + " must not be empty");
  }
  e.invert = optionalBool(obj, what, "invert");
  return e;
}

struct OrderKey {
  std::string field;
  bool ascending = true;
  std::optional<bool> nullsFirst;
};

OrderKey parseOrderKey(const Var& v) {
  if (!isObject(v)) parseError("an 'order_by' entry must be an object, not " + std::string(kindOf(v)));
  const Object& obj = *v.extract<Object::Ptr>();
  const std::string what = "an 'order_by' entry";
  checkKeys(obj, what, {"field", "ascending", "nulls_first"}, {"field"});
  OrderKey k;
  k.field = requiredString(obj, what, "field");
  if (k.field.empty()) parseError("'field' of " + what + " must not be empty");
  if (obj.has("ascending")) k.ascending = optionalBool(obj, what, "ascending");
  // nulls_first is optional (null: not given, where the database decides).
  if (obj.has("nulls_first") && !obj.get("nulls_first").isEmpty())
    k.nullsFirst = optionalBool(obj, what, "nulls_first");
  return k;
}

std::vector<std::string> splitPath(const std::string& field) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = field.find('.', start);
    parts.push_back(field.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// Throws "Unknown field" unless `field` names a field of `schema`, each dotted step but the
// last going through a relation.
void checkField(const ResourceSchema& schema, const std::string& field) {
  const ResourceSchema* s = &schema;
  const auto parts = splitPath(field);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!s->fields.count(parts[i])) unknownField(field);
    if (i + 1 == parts.size()) break;
    const auto rel = s->relations.find(parts[i]);
    if (rel == s->relations.end()) unknownField(field);
    s = rel->second;
  }
}

void checkFields(const ResourceSchema& schema, const Expression& e) {
  if (!e.field.empty()) checkField(schema, e.field);
  for (const auto& sub : e.subs) checkFields(schema, sub);
}

EntityFilter leafFilter(const Expression& e, const std::string& storedField) {
  EntityFilter f;
  f.field = storedField;
  f.value = e.value;
  f.caseInsensitive = e.caseInsensitive;
  if (e.type == "exact") {
    f.op = EntityFilter::Op::Eq;
  } else if (e.type == "contains") {
    f.op = EntityFilter::Op::Contains;
  } else if (e.type == "isnull") {
    f.op = EntityFilter::Op::IsNull;
    f.value.clear();
  } else if (e.compareOp == "<") {
    f.op = EntityFilter::Op::Lt;
  } else if (e.compareOp == "<=") {
    f.op = EntityFilter::Op::Le;
  } else if (e.compareOp == ">") {
    f.op = EntityFilter::Op::Gt;
  } else {
    f.op = EntityFilter::Op::Ge;
  }
  return f;
}

// The filter a field expression makes on `schema` (its field checked by checkField). A dotted
// path across a relation becomes `<foreign key> In [pks of the related records that match the
// rest of the path]`, resolved now (soft-deleted related records included, as a join would;
// a record whose foreign key is null is in no such set).
EntityFilter resolveLeaf(const Context& ctx, const ResourceSchema& schema, const Expression& e,
                         const std::vector<std::string>& parts, std::size_t at) {
  const std::string& name = parts[at];
  const std::string& stored = schema.fields.at(name);
  if (at + 1 == parts.size()) return leafFilter(e, stored);
  const ResourceSchema& related = *schema.relations.at(name);
  EntityQuery q;
  q.filters.push_back(resolveLeaf(ctx, related, e, parts, at + 1));
  std::vector<Var> pks;
  for (const auto& r : listAll(ctx, related.collection, q)) pks.push_back(Var(intField(*r.body, "pk")));
  EntityFilter in;
  in.field = stored;
  in.op = EntityFilter::Op::In;
  in.value = pks;
  return in;
}

EntityCondition resolve(const Context& ctx, const ResourceSchema& schema, const Expression& e) {
  EntityCondition c;
  c.negate = e.invert;
  if (e.type == "and" || e.type == "or") {
    c.kind = e.type == "and" ? EntityCondition::Kind::And : EntityCondition::Kind::Or;
    for (const auto& sub : e.subs) c.operands.push_back(resolve(ctx, schema, sub));
  } else {
    c.kind = EntityCondition::Kind::Filter;
    c.filter = resolveLeaf(ctx, schema, e, splitPath(e.field), 0);
  }
  return c;
}

}  // namespace

ListSpec parseFilterSpec(const Context& ctx, const Poco::Dynamic::Var& body, const ResourceSchema& schema) {
  ListSpec spec;
  if (body.isEmpty()) return spec;
  if (!isObject(body)) parseError("the filter spec must be an object, not " + std::string(kindOf(body)));
  const Object& obj = *body.extract<Object::Ptr>();
  checkKeys(obj, "the filter spec", {"expressions", "order_by", "include_inactive"}, {});

  // Pass 1: the schema of the body.
  std::vector<Expression> expressions;
  if (obj.has("expressions")) {
    const Var v = obj.get("expressions");
    if (!isArray(v)) parseError("'expressions' must be an array, not " + std::string(kindOf(v)));
    const Array& list = *v.extract<Array::Ptr>();
    for (std::size_t i = 0; i < list.size(); ++i)
      expressions.push_back(parseExpression(list.get(i), "expression"));
  }
  std::vector<OrderKey> order;
  if (obj.has("order_by")) {
    const Var v = obj.get("order_by");
    if (!isArray(v)) parseError("'order_by' must be an array, not " + std::string(kindOf(v)));
    const Array& list = *v.extract<Array::Ptr>();
    for (std::size_t i = 0; i < list.size(); ++i) order.push_back(parseOrderKey(list.get(i)));
  }
  spec.includeInactive = optionalBool(obj, "the filter spec", "include_inactive");

  // Pass 2: the fields. Sorting is on the record's own fields only.
  for (const auto& e : expressions) checkFields(schema, e);
  for (const auto& k : order)
    if (!schema.fields.count(k.field)) unknownField(k.field);

  // Pass 3: the query. Expressions are stages that must all hold; a plain exact on a local
  // field is a filter (which an index may answer), and so is the `In` a dotted path resolves
  // to when not inverted (an `Eq` when it names one record, so that an index on the foreign
  // key answers it too); anything else is a condition.
  for (const auto& e : expressions) {
    const bool leaf = e.type != "and" && e.type != "or";
    const bool dotted = e.field.find('.') != std::string::npos;
    if (leaf && !dotted && e.type == "exact" && !e.invert && !e.caseInsensitive) {
      spec.filters.push_back(leafFilter(e, schema.fields.at(e.field)));
    } else if (leaf && dotted && !e.invert) {
      EntityFilter in = resolveLeaf(ctx, schema, e, splitPath(e.field), 0);
      const auto& pks = in.value.extract<std::vector<Var>>();
      if (pks.size() == 1) {
        const Var pk = pks.front();
        in.op = EntityFilter::Op::Eq;
        in.value = pk;
      }
      spec.filters.push_back(in);
    } else {
      spec.conditions.push_back(resolve(ctx, schema, e));
    }
  }
  for (const auto& k : order) {
    EntityOrder o;
    o.field = schema.fields.at(k.field);
    o.descending = !k.ascending;
    // Without nulls_first, nulls sort as PostgreSQL (UFDL's database) sorts them: as the
    // largest values, last ascending and first descending.
    const bool nullsFirst = k.nullsFirst.value_or(!k.ascending);
    o.nulls = nullsFirst ? EntityOrder::Nulls::First : EntityOrder::Nulls::Last;
    spec.order.push_back(o);
  }
  return spec;
}

EntityQuery listQuery(const ListSpec& spec, const ResourceSchema& schema,
                      const std::vector<EntityCondition>& extra) {
  EntityQuery q;
  q.filters = spec.filters;
  q.conditions = spec.conditions;
  if (schema.softDelete && !spec.includeInactive) {
    EntityFilter active;
    active.field = "deletion_time";
    active.op = EntityFilter::Op::IsNull;
    q.filters.push_back(active);
  }
  for (const auto& c : extra) q.conditions.push_back(c);
  q.orderBy = spec.order;
  if (q.orderBy.empty()) q.orderBy.push_back(EntityOrder{"id", false, EntityOrder::Nulls::Default});
  q.limit = std::numeric_limits<uint64_t>::max();
  return q;
}

}  // namespace strata::ufdl
