// The entities role: the base class's defaults and the filter and sort rules (stores/entity_store.h
// states them).
#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/UTF8String.h>

#include <cmath>
#include <optional>
#include <sstream>

namespace strata {

EntityStore::~EntityStore() = default;

int64_t EntityStore::nextSequence(const std::string& name) {
  throw NotImplemented("this entities store keeps no sequences (asked for '" + name + "')");
}

std::vector<Entity> EntityStore::apply(const EntityBatch&) {
  throw NotImplemented("this entities store applies no batches");
}

void EntityStore::declareIndex(const std::string& collection, const std::string& field) {
  throw NotImplemented("this entities store keeps no indexes (asked for '" + field + "' in '" + collection +
                       "')");
}

void validateIndex(const std::string& collection, const std::string& field) {
  if (collection.empty()) throw BadRequest("an index needs a non-empty collection");
  if (field.empty()) throw BadRequest("an index needs a non-empty field");
  if (field == "id" || field == "created" || field == "modified" || field == "version")
    throw BadRequest("'" + field + "' is an entity's own field, not a body field to index");
}

EntityBatch& EntityBatch::create(const std::string& collection, const std::string& id,
                                 const Poco::JSON::Object::Ptr& body) {
  operations.push_back(EntityOperation{EntityOperation::Kind::Create, collection, id, body, ""});
  return *this;
}

EntityBatch& EntityBatch::update(const std::string& collection, const std::string& id,
                                 const Poco::JSON::Object::Ptr& body, const std::string& ifMatch) {
  operations.push_back(EntityOperation{EntityOperation::Kind::Update, collection, id, body, ifMatch});
  return *this;
}

EntityBatch& EntityBatch::remove(const std::string& collection, const std::string& id,
                                 const std::string& ifMatch) {
  operations.push_back(EntityOperation{EntityOperation::Kind::Remove, collection, id, nullptr, ifMatch});
  return *this;
}

EntityBatch& EntityBatch::check(const std::string& collection, const std::string& id,
                                const std::string& ifMatch) {
  operations.push_back(EntityOperation{EntityOperation::Kind::Check, collection, id, nullptr, ifMatch});
  return *this;
}

std::string entityOperationLabel(std::size_t index, const EntityOperation& operation) {
  static const char* const kinds[] = {"create", "update", "remove", "check"};
  const auto kind = static_cast<unsigned>(operation.kind);
  return "batch operation " + std::to_string(index) + " (" + (kind < 4 ? kinds[kind] : "?") + " '" +
         operation.id + "' in '" + operation.collection + "'): ";
}

void validate(const EntityBatch& batch) {
  for (std::size_t i = 0; i < batch.operations.size(); ++i) {
    const EntityOperation& op = batch.operations[i];
    const int kind = static_cast<int>(op.kind);
    if (kind < 0 || kind > static_cast<int>(EntityOperation::Kind::Check))
      throw BadRequest("batch operation " + std::to_string(i) + " has an unknown kind");
    if (op.collection.empty())
      throw BadRequest(entityOperationLabel(i, op) + "an entity needs a non-empty collection");
    if (op.id.empty() && op.kind != EntityOperation::Kind::Create)
      throw BadRequest(entityOperationLabel(i, op) + "an entity needs a non-empty id");
  }
}

Entity EntityStore::get(const std::string& collection, const std::string& id) {
  auto e = find(collection, id);
  if (!e) throw NotFound("no entity '" + id + "' in collection '" + collection + "'");
  return *e;
}

}  // namespace strata

namespace strata {

namespace {

using Poco::Dynamic::Var;

template <typename T>
int threeWay(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

enum Kind { kNull = 0, kBool = 1, kNumber = 2, kString = 3, kOther = 4 };

Kind kindOf(const Var& v) {
  if (v.isEmpty()) return kNull;
  // Before isNumeric(): Poco counts bool as numeric.
  if (v.isBoolean()) return kBool;
  if (v.isNumeric()) return kNumber;
  if (v.isString()) return kString;
  return kOther;
}

long double toLongDouble(const Var& v) {
  if (v.isInteger())
    return v.isSigned() ? static_cast<long double>(v.convert<Poco::Int64>())
                        : static_cast<long double>(v.convert<Poco::UInt64>());
  return static_cast<long double>(v.convert<double>());
}

int compareNumbers(const Var& a, const Var& b) {
  if (a.isInteger() && b.isInteger()) {
    // Converting a UInt64 above INT64_MAX to Int64 throws, hence the four cases.
    const bool as = a.isSigned(), bs = b.isSigned();
    if (as && bs) return threeWay(a.convert<Poco::Int64>(), b.convert<Poco::Int64>());
    if (!as && !bs) return threeWay(a.convert<Poco::UInt64>(), b.convert<Poco::UInt64>());
    if (as) {
      const Poco::Int64 x = a.convert<Poco::Int64>();
      return x < 0 ? -1 : threeWay(static_cast<Poco::UInt64>(x), b.convert<Poco::UInt64>());
    }
    const Poco::Int64 y = b.convert<Poco::Int64>();
    return y < 0 ? 1 : threeWay(a.convert<Poco::UInt64>(), static_cast<Poco::UInt64>(y));
  }
  // long double holds every int64 and uint64 exactly on the x86-64 and aarch64 ABIs we build
  // for; NaN sorts below every number so that sorting stays a strict weak order.
  const long double x = toLongDouble(a), y = toLongDouble(b);
  const bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return xn && yn ? 0 : (xn ? -1 : 1);
  return threeWay(x, y);
}

std::string compactJson(const Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

// Three-way comparison of two values of the same kind.
int compareSameKind(int kind, const Var& a, const Var& b) {
  switch (kind) {
    case kNull:
      return 0;
    case kBool:
      return threeWay(a.convert<bool>(), b.convert<bool>());
    case kNumber:
      return compareNumbers(a, b);
    case kString:
      return threeWay(a.convert<std::string>(), b.convert<std::string>());
    case kOther:
      return threeWay(compactJson(a), compactJson(b));
  }
  return 0;
}

}  // namespace

Var entityField(const Entity& entity, const std::string& field) {
  return entityField(entity.id, entity.created, entity.modified, entity.version, *entity.body, field);
}

namespace {

// The object a value holds, or null.
const Poco::JSON::Object* objectIn(const Var& v) {
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) return v.extract<Poco::JSON::Object::Ptr>().get();
  if (v.type() == typeid(Poco::JSON::Object)) return &v.extract<Poco::JSON::Object>();
  return nullptr;
}

// The elements of a list value (a JSON array or a vector of Vars), or nullopt.
std::optional<std::vector<Var>> listIn(const Var& v) {
  if (v.type() == typeid(std::vector<Var>)) return v.extract<std::vector<Var>>();
  const Poco::JSON::Array* array = nullptr;
  if (v.type() == typeid(Poco::JSON::Array::Ptr))
    array = v.extract<Poco::JSON::Array::Ptr>().get();
  else if (v.type() == typeid(Poco::JSON::Array))
    array = &v.extract<Poco::JSON::Array>();
  if (!array) return std::nullopt;
  std::vector<Var> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) out.push_back(array->get(static_cast<unsigned>(i)));
  return out;
}

}  // namespace

Var entityField(const std::string& id, int64_t created, int64_t modified, int64_t version,
                const Poco::JSON::Object& body, const std::string& field) {
  if (field == "id") return Var(id);
  if (field == "created") return Var(static_cast<Poco::Int64>(created));
  if (field == "modified") return Var(static_cast<Poco::Int64>(modified));
  if (field == "version") return Var(static_cast<Poco::Int64>(version));
  std::size_t dot = field.find('.');
  if (dot == std::string::npos) return body.get(field);
  // A path: each dot goes one object deeper.
  Var v = body.get(field.substr(0, dot));
  while (dot != std::string::npos) {
    const Poco::JSON::Object* o = objectIn(v);
    if (!o) return Var();
    const std::size_t start = dot + 1;
    dot = field.find('.', start);
    v = o->get(field.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
  }
  return v;
}

bool entityFilterHolds(const Var& field, EntityFilter::Op op, const Var& value) {
  if (op == EntityFilter::Op::In || op == EntityFilter::Op::Contains || op == EntityFilter::Op::IsNull) {
    EntityFilter f;
    f.op = op;
    f.value = value;
    return entityFilterHolds(field, f);
  }
  const Kind kf = kindOf(field), kv = kindOf(value);
  if (kv == kNull) {
    if (op == EntityFilter::Op::Eq) return kf == kNull;
    if (op == EntityFilter::Op::Ne) return kf != kNull;
    return false;
  }
  if (kf != kv) return false;
  const int c = compareSameKind(kf, field, value);
  switch (op) {
    case EntityFilter::Op::Eq:
      return c == 0;
    case EntityFilter::Op::Ne:
      return c != 0;
    case EntityFilter::Op::Lt:
      return c < 0;
    case EntityFilter::Op::Le:
      return c <= 0;
    case EntityFilter::Op::Gt:
      return c > 0;
    case EntityFilter::Op::Ge:
      return c >= 0;
    default:
      return false;
  }
}

namespace {

std::string lower(const Var& v) { return Poco::UTF8::toLower(v.convert<std::string>()); }

// Eq, Ne, Lt, Le, Gt, Ge with the filter's case rule.
bool compareHolds(const Var& field, EntityFilter::Op op, const Var& value, bool caseInsensitive) {
  if (caseInsensitive && kindOf(field) == kString && kindOf(value) == kString)
    return entityFilterHolds(Var(lower(field)), op, Var(lower(value)));
  return entityFilterHolds(field, op, value);
}

}  // namespace

bool entityFilterHolds(const Var& field, const EntityFilter& filter) {
  using Op = EntityFilter::Op;
  switch (filter.op) {
    case Op::IsNull:
      return kindOf(field) == kNull;
    case Op::In: {
      const auto candidates = listIn(filter.value);
      if (!candidates) return false;
      for (const auto& c : *candidates)
        if (kindOf(c) != kNull && compareHolds(field, Op::Eq, c, filter.caseInsensitive)) return true;
      return false;
    }
    case Op::Contains: {
      if (kindOf(filter.value) == kNull) return false;
      if (kindOf(field) == kString && kindOf(filter.value) == kString) {
        if (filter.caseInsensitive) return lower(field).find(lower(filter.value)) != std::string::npos;
        return field.convert<std::string>().find(filter.value.convert<std::string>()) != std::string::npos;
      }
      if (const auto elements = listIn(field))
        for (const auto& e : *elements)
          if (compareHolds(e, Op::Eq, filter.value, filter.caseInsensitive)) return true;
      return false;
    }
    default:
      return compareHolds(field, filter.op, filter.value, filter.caseInsensitive);
  }
}

namespace {

template <typename Get>
bool conditionHolds(const EntityCondition& c, const Get& get) {
  bool r = false;
  switch (c.kind) {
    case EntityCondition::Kind::Filter:
      r = entityFilterHolds(get(c.filter.field), c.filter);
      break;
    case EntityCondition::Kind::And:
      r = true;
      for (const auto& o : c.operands)
        if (!conditionHolds(o, get)) {
          r = false;
          break;
        }
      break;
    case EntityCondition::Kind::Or:
      for (const auto& o : c.operands)
        if (conditionHolds(o, get)) {
          r = true;
          break;
        }
      break;
  }
  return c.negate ? !r : r;
}

void validateFilter(const EntityFilter& f) {
  if (f.field.empty()) throw BadRequest("an entity filter needs a field");
  if (f.op == EntityFilter::Op::In && !listIn(f.value))
    throw BadRequest("the value of an In filter on '" + f.field + "' must be a list");
  if (f.op == EntityFilter::Op::Contains &&
      (kindOf(f.value) == kNull || kindOf(f.value) == kOther ||
       (kindOf(f.value) == kString && f.value.convert<std::string>().empty())))
    throw BadRequest("the value of a Contains filter on '" + f.field +
                     "' must be a non-empty string or a scalar");
}

void validateCondition(const EntityCondition& c) {
  if (c.kind == EntityCondition::Kind::Filter)
    validateFilter(c.filter);
  else
    for (const auto& o : c.operands) validateCondition(o);
}

}  // namespace

std::optional<std::vector<Var>> entityFilterList(const Var& value) { return listIn(value); }

bool entityMatches(const Entity& entity, const EntityQuery& query) {
  return entityMatches(entity.id, entity.created, entity.modified, entity.version, *entity.body, query);
}

bool entityMatches(const std::string& id, int64_t created, int64_t modified, int64_t version,
                   const Poco::JSON::Object& body, const EntityQuery& query) {
  if (id.compare(0, query.idPrefix.size(), query.idPrefix) != 0) return false;
  const auto get = [&](const std::string& field) {
    return entityField(id, created, modified, version, body, field);
  };
  for (const auto& f : query.filters)
    if (!entityFilterHolds(get(f.field), f)) return false;
  for (const auto& c : query.conditions)
    if (!conditionHolds(c, get)) return false;
  return true;
}

void validate(const EntityQuery& query) {
  for (const auto& f : query.filters) validateFilter(f);
  for (const auto& c : query.conditions) validateCondition(c);
  for (const auto& o : entityOrder(query))
    if (o.field.empty()) throw BadRequest("an entity sort key needs a field");
}

EntitySortKey entitySortKey(const Var& value) {
  const Kind kind = kindOf(value);
  if (kind == kOther) return EntitySortKey{kind, Var(compactJson(value))};
  return EntitySortKey{kind, value};
}

int compareEntitySortKeys(const EntitySortKey& a, const EntitySortKey& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  // kOther keys already hold their JSON text: compare them as strings.
  return compareSameKind(a.kind == kOther ? kString : a.kind, a.value, b.value);
}

std::vector<EntityOrder> entityOrder(const EntityQuery& query) {
  if (!query.orderBy.empty()) return query.orderBy;
  EntityOrder o;
  o.field = query.sortBy;
  o.descending = query.descending;
  return {o};
}

std::vector<EntitySortKey> entitySortKeys(const Entity& entity, const std::vector<EntityOrder>& order) {
  std::vector<EntitySortKey> keys;
  keys.reserve(order.size());
  for (const auto& o : order) keys.push_back(entitySortKey(entityField(entity, o.field)));
  return keys;
}

int compareEntityOrder(const std::vector<EntitySortKey>& a, const std::vector<EntitySortKey>& b,
                       const std::vector<EntityOrder>& order) {
  for (std::size_t i = 0; i < order.size() && i < a.size() && i < b.size(); ++i) {
    const auto& o = order[i];
    const bool an = a[i].kind == kNull, bn = b[i].kind == kNull;
    if (an != bn && o.nulls != EntityOrder::Nulls::Default) {
      const bool first = o.nulls == EntityOrder::Nulls::First;
      return an == first ? -1 : 1;
    }
    int c = compareEntitySortKeys(a[i], b[i]);
    if (o.descending) c = -c;
    if (c != 0) return c;
  }
  return 0;
}

bool entityOrderIsById(const std::vector<EntityOrder>& order) {
  return !order.empty() && order[0].field == "id";
}

}  // namespace strata
