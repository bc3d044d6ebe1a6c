// UFDL's `list` body (ufdl-json-messages' FilterSpec, §1.5 of the reference) turned into an
// entities-role query: expressions into EntityConditions (and top-level plain `exact`
// expressions into EntityFilters, which a declared index answers), `order_by` into EntityOrders,
// API field names into stored body paths, and dotted paths across records
// (`project.team.name`) into an `In` on the foreign key, resolved by querying the related
// collection first. Strict as UFDL: unknown keys, wrong types, an `and` of fewer than two
// expressions, an `and` inside an `and`, an `or` inside an `or`, and (unlike UFDL, which
// answers 500) unknown fields are 400 {"detail": "Unable to parse JSON: ..."} or
// {"detail": "Unknown field '<f>'"}.
// `order_by` takes the record's own fields only; without `nulls_first`, nulls sort as on
// PostgreSQL (last ascending, first descending). Without `order_by`, records come by pk.
// declareIndexes() (ufdl_common.h) is in filter_spec.cpp, next to the filters it serves.
#pragma once
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <strata/stores/entity_store.h>

#include <map>
#include <string>
#include <vector>

namespace strata::ufdl {

struct Context;

// A kind of record as the filter sees it.
struct ResourceSchema {
  std::string collection;  // kDatasets, ...
  // API field name -> stored body path ("version" -> "dataset_version", "name" -> "name").
  // Only these fields may be filtered and sorted on (so that no secret, such as a user's
  // password hash, can be probed).
  std::map<std::string, std::string> fields;
  // API field name of a foreign key -> the related resource ("project" -> projects). The
  // field itself must be in `fields` as well (its stored path holds the related pk).
  std::map<std::string, const ResourceSchema*> relations;
  bool softDelete = false;  // has deletion_time: include_inactive applies
};

// The schemas of UFDL's core records (filter_spec.cpp).
const ResourceSchema& userSchema();
const ResourceSchema& teamSchema();
const ResourceSchema& projectSchema();
const ResourceSchema& licenceSchema();
const ResourceSchema& datasetSchema();

struct ListSpec {
  std::vector<EntityFilter> filters;
  std::vector<EntityCondition> conditions;
  std::vector<EntityOrder> order;  // empty: by pk
  bool includeInactive = false;
};

// Parses a `list` request body (an empty body or {} is no filter). Cross-record paths are
// resolved here, through ctx.entities.
ListSpec parseFilterSpec(const Context& ctx, const Poco::Dynamic::Var& body, const ResourceSchema& schema);
// The query a ListSpec makes on `schema` (deletion_time IsNull unless includeInactive, plus
// `extra` conditions such as visibility), and every record it selects.
EntityQuery listQuery(const ListSpec& spec, const ResourceSchema& schema,
                      const std::vector<EntityCondition>& extra = {});

}  // namespace strata::ufdl
