#pragma once
// The entities role's filter and sort semantics, as core/src/memory_entity_store.cpp defines
// them (the contract suite holds every backend to them):
// - values compare within their kind only: numbers numerically (integers exactly, mixed with
//   doubles through long double), strings by bytes, booleans false < true, objects and arrays
//   by their compact JSON text;
// - a filter on a missing or null field never holds, except that a null filter value tests
//   presence (Eq: missing/null, Ne: present); a value of another kind never holds;
// - sorting orders kinds null/missing < boolean < number < string < object/array.
//
// A copy, not a call: the core keeps these functions private to its memory store, and sharing
// them would mean a new header under core/include/strata (an ABI change).
#include <strata/stores/entity_store.h>

#include <Poco/Dynamic/Var.h>

#include <string>

namespace strata::rdb {

// The value of `field` for an entity: its own fields ("id", "created", "modified",
// "version") or a top-level field of the body (empty if missing).
Poco::Dynamic::Var entityField(const Entity& entity, const std::string& field);

bool filterHolds(const Poco::Dynamic::Var& field, EntityFilter::Op op,
                 const Poco::Dynamic::Var& value);

// A field's value reduced to what sorting needs, so that keeping many of them does not keep
// their parsed bodies alive: scalars as they are, objects and arrays as their compact JSON.
struct SortKey {
  int kind = 0;
  Poco::Dynamic::Var value;
};
SortKey sortKeyOf(const Poco::Dynamic::Var& value);
// Three-way comparison in the sort order above.
int compareSortKeys(const SortKey& a, const SortKey& b);

}  // namespace strata::rdb
