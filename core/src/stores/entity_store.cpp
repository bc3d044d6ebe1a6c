// The entities role: the base class's defaults and the filter and sort rules (stores/entity_store.h
// states them).
#include <strata/errors.h>
#include <strata/stores/entity_store.h>

#include <Poco/JSON/Stringifier.h>

#include <cmath>
#include <sstream>

namespace strata {

EntityStore::~EntityStore() = default;

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

Var entityField(const std::string& id, int64_t created, int64_t modified, int64_t version,
                const Poco::JSON::Object& body, const std::string& field) {
  if (field == "id") return Var(id);
  if (field == "created") return Var(static_cast<Poco::Int64>(created));
  if (field == "modified") return Var(static_cast<Poco::Int64>(modified));
  if (field == "version") return Var(static_cast<Poco::Int64>(version));
  return body.get(field);
}

bool entityFilterHolds(const Var& field, EntityFilter::Op op, const Var& value) {
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
  }
  return false;
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

}  // namespace strata
