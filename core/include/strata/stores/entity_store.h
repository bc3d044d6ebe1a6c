#pragma once
// The entities role: JSON documents in named collections.
//
// Contract (every backend):
// - Thread-safety: all methods may be called concurrently from any thread.
// - Each entity has an id (unique within its collection), an etag that changes on every
//   write, a version that starts at 1 and grows by one per update, and created/modified
//   times in milliseconds since the epoch, set by the store.
// - Conditional writes: update() and remove() with a non-empty `ifMatch` succeed only if the
//   stored etag equals it, atomically: of concurrent updates carrying the same etag exactly
//   one succeeds, the others throw PreconditionFailed (code "etag_mismatch").
// - Errors: NotFound for a missing entity, Conflict (code "exists") when create() meets an
//   existing id, BadRequest for an empty collection or id, PreconditionFailed as above.
//   Backends translate their own failures into these and ServiceUnavailable/InternalError.
// - Ownership: returned values are copies; the store keeps no reference to arguments.
// - list() pages without loading a whole collection where the backend can; `total` may be
//   computed by counting.
// - Queries: an EntityQuery selects the entities whose id starts with `idPrefix` and for which
//   every filter and every condition holds, orders them by its sort keys (ties by id,
//   ascending) and returns one page and the total. entityMatches() and compareEntityOrder()
//   below are the reference; a backend may use indexes or key ranges for what it can answer
//   from them (rocksdb: idPrefix is one range scan, `id In` point lookups) but must return
//   exactly what they define.
// - Filters and sorting follow these rules, which the functions at the end of this header
//   implement for backends to call:
//   - Values compare within their kind only: numbers numerically (integers exactly, mixed
//     with doubles through long double; NaN below every number), strings by bytes, booleans
//     false < true, objects and arrays by their compact JSON text.
//   - A filter on a missing or null field never holds, except that a filter whose value is
//     null (an empty Var) tests presence: Eq holds for missing/null fields, Ne for present
//     ones; and IsNull holds exactly for missing/null fields. A filter whose value is of
//     another kind than the field's never holds.
//   - In holds if the field equals (as Eq) one of the listed values. Contains holds for a
//     string field that contains the value (a non-empty string) and for an array field with
//     an element equal to the value. caseInsensitive makes Eq, Ne, In and Contains (and the
//     order comparisons) compare strings after Unicode lower-casing (Poco::UTF8::toLower).
//   - A field is "id", "created", "modified" or "version" (the entity's own), or a path into
//     the body: dots separate the members of nested objects ("owner.team.name"); a path that
//     meets a non-object or a missing member is missing. The own names shadow body members
//     of the same name, and a top-level member whose name holds a dot cannot be filtered on.
//   - Sorting orders kinds null/missing < boolean < number < string < object/array, so
//     missing fields come first in ascending order unless an EntityOrder says where nulls
//     go; ties break by id, ascending.
#include <strata/export.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata {

struct STRATA_API Entity {
  std::string collection;
  std::string id;
  std::string etag;
  int64_t version = 0;
  int64_t created = 0;           // ms since epoch
  int64_t modified = 0;          // ms since epoch
  Poco::JSON::Object::Ptr body;  // never null on entities a store returns
};

struct STRATA_API EntityFilter {
  // "id", "created", "modified" or "version" (the entity's own fields), or a dotted path into
  // the body ("name", "owner.team.name").
  std::string field;
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge, In, Contains, IsNull } op = Op::Eq;
  // The operand. In: the candidates, as a Poco::JSON::Array::Ptr or a std::vector<Var>.
  // IsNull: unused.
  Poco::Dynamic::Var value;
  bool caseInsensitive = false;  // strings compare lower-cased (every operator but IsNull)
};

// A boolean expression over filters: a filter, or the And / Or of its operands; negate is a
// logical NOT of the whole. (UFDL's exact/contains/isnull/compare map to filters, its
// and/or to And/Or, invert to negate.) And of nothing holds, Or of nothing does not.
struct STRATA_API EntityCondition {
  enum class Kind { Filter, And, Or } kind = Kind::Filter;
  EntityFilter filter;                    // Kind::Filter
  std::vector<EntityCondition> operands;  // And, Or
  bool negate = false;
};

// One sort key.
struct STRATA_API EntityOrder {
  std::string field;  // as in EntityFilter
  bool descending = false;
  // Default: missing/null values are the smallest (first ascending, last descending).
  enum class Nulls { Default, First, Last } nulls = Nulls::Default;
};

struct STRATA_API EntityQuery {
  std::vector<EntityFilter> filters;        // all must hold
  std::vector<EntityCondition> conditions;  // all must hold too
  std::string idPrefix;                     // only entities whose id starts with it ("" = all)
  std::string sortBy = "id";                // one sort key: a field as in EntityFilter
  bool descending = false;
  std::vector<EntityOrder> orderBy;  // if not empty: the sort keys in turn (sortBy is ignored)
  uint64_t offset = 0;
  uint64_t limit = 100;
};

struct STRATA_API EntityPage {
  std::vector<Entity> items;
  uint64_t total = 0;  // entities matching the filters
};

// One write in an EntityBatch.
struct STRATA_API EntityOperation {
  enum class Kind {
    Create,  // Conflict "exists" if the id exists; an empty id asks for a UUID; ifMatch unused
    Update,  // replaces the body (version + 1, new etag); NotFound if missing
    Remove,  // NotFound if missing
    Check,   // writes nothing: NotFound if missing, PreconditionFailed if ifMatch differs
  } kind = Kind::Create;
  std::string collection;
  std::string id;
  Poco::JSON::Object::Ptr body;  // Create, Update (null means {})
  std::string ifMatch;           // Update, Remove, Check: "" = unconditional
};

struct STRATA_API EntityBatch {
  std::vector<EntityOperation> operations;
  // Convenience builders, appending one operation each and returning *this.
  EntityBatch& create(const std::string& collection, const std::string& id,
                      const Poco::JSON::Object::Ptr& body);
  EntityBatch& update(const std::string& collection, const std::string& id,
                      const Poco::JSON::Object::Ptr& body, const std::string& ifMatch = "");
  EntityBatch& remove(const std::string& collection, const std::string& id, const std::string& ifMatch = "");
  EntityBatch& check(const std::string& collection, const std::string& id, const std::string& ifMatch = "");
};

class STRATA_API EntityStore {
 public:
  virtual ~EntityStore();
  // Creates an entity; an empty id asks the store to generate one (a UUID).
  virtual Entity create(const std::string& collection, const std::string& id,
                        const Poco::JSON::Object::Ptr& body) = 0;
  virtual std::optional<Entity> find(const std::string& collection, const std::string& id) = 0;
  // find() or NotFound.
  Entity get(const std::string& collection, const std::string& id);
  // Replaces the body. An empty ifMatch makes the update unconditional.
  virtual Entity update(const std::string& collection, const std::string& id,
                        const Poco::JSON::Object::Ptr& body, const std::string& ifMatch) = 0;
  virtual void remove(const std::string& collection, const std::string& id, const std::string& ifMatch) = 0;
  virtual EntityPage list(const std::string& collection, const EntityQuery& query) = 0;
  // Names of the collections holding at least one entity.
  virtual std::vector<std::string> collections() = 0;
  // The next value of the sequence `name` (usually a collection's name, for integer ids):
  // 1 the first time, then one more each call. BadRequest for an empty name. The base class
  // throws NotImplemented; every backend in this tree implements it.
  virtual int64_t nextSequence(const std::string& name);
  // Applies every operation of the batch or none (see the contract above). Returns one entity
  // per operation, in order: Create and Update the entity as written (its new etag), Remove
  // the entity as it was before removal, Check the entity as it is. An empty batch does
  // nothing. The base class throws NotImplemented; every backend in this tree implements it.
  virtual std::vector<Entity> apply(const EntityBatch& batch);
  // Declares an index on a body field of a collection (see the contract above). The base
  // class throws NotImplemented; every backend in this tree implements it.
  virtual void declareIndex(const std::string& collection, const std::string& field);
};

// ---- batches

// "batch operation <index> (<kind> '<id>' in '<collection>'): ", the start of the message of
// an error a batch operation throws (kind: create, update, remove, check).
STRATA_API std::string entityOperationLabel(std::size_t index, const EntityOperation& operation);
// Throws BadRequest (labelled as above) for an operation the contract refuses: an empty
// collection, or an empty id on anything but a create.
STRATA_API void validate(const EntityBatch& batch);
// Throws BadRequest for an index declareIndex() refuses (see the contract above).
STRATA_API void validateIndex(const std::string& collection, const std::string& field);

// ---- the contract's filter and sort rules

// The value a filter or a sort on `field` sees: the entity's own "id", "created", "modified"
// or "version", or else the body's top-level field (empty if missing).
STRATA_API Poco::Dynamic::Var entityField(const Entity& entity, const std::string& field);
// The same, from an entity's parts.
STRATA_API Poco::Dynamic::Var entityField(const std::string& id, int64_t created, int64_t modified,
                                          int64_t version, const Poco::JSON::Object& body,
                                          const std::string& field);

// Whether `field op value` holds.
STRATA_API bool entityFilterHolds(const Poco::Dynamic::Var& field, EntityFilter::Op op,
                                  const Poco::Dynamic::Var& value);
// The same, with the filter's options (caseInsensitive).
STRATA_API bool entityFilterHolds(const Poco::Dynamic::Var& field, const EntityFilter& filter);
// Whether the entity (or its parts) is selected by the query: idPrefix, filters, conditions.
STRATA_API bool entityMatches(const Entity& entity, const EntityQuery& query);
STRATA_API bool entityMatches(const std::string& id, int64_t created, int64_t modified, int64_t version,
                              const Poco::JSON::Object& body, const EntityQuery& query);
// The candidates of an In filter's value (a JSON array or a vector of Vars), or nullopt.
STRATA_API std::optional<std::vector<Poco::Dynamic::Var>> entityFilterList(const Poco::Dynamic::Var& value);
// Throws BadRequest for a query the contract refuses: an empty field, an In whose value is
// not a list, a Contains whose value is not a non-empty string or a scalar, an empty sort field.
STRATA_API void validate(const EntityQuery& query);

// A field's value reduced to what sorting needs: its kind, and the value itself for scalars
// or its compact JSON text for objects and arrays, so that a key keeps no parsed body alive
// and comparing keys writes no JSON.
struct STRATA_API EntitySortKey {
  int kind = 0;
  Poco::Dynamic::Var value;
};
STRATA_API EntitySortKey entitySortKey(const Poco::Dynamic::Var& value);
// Three-way comparison (<0, 0, >0) in the ascending sort order; ties by id are the caller's.
STRATA_API int compareEntitySortKeys(const EntitySortKey& a, const EntitySortKey& b);

// The query's sort keys: orderBy, or else {sortBy, descending}.
STRATA_API std::vector<EntityOrder> entityOrder(const EntityQuery& query);
// An entity's sort keys under `order`, one per EntityOrder.
STRATA_API std::vector<EntitySortKey> entitySortKeys(const Entity& entity,
                                                     const std::vector<EntityOrder>& order);
// Three-way comparison of two entities' sort keys under `order` (directions and nulls
// applied); ties by id are the caller's.
STRATA_API int compareEntityOrder(const std::vector<EntitySortKey>& a, const std::vector<EntitySortKey>& b,
                                  const std::vector<EntityOrder>& order);
// True if the order is by id alone (the key order of a store that keeps entities by id).
STRATA_API bool entityOrderIsById(const std::vector<EntityOrder>& order);

}  // namespace strata
