// What datasets.cpp (records: create, list, get, update, delete, clear) and dataset_versions.cpp
// (copy, merge, hard delete, reinstate) share: the uniqueness key of active datasets and the
// access checks on a dataset.
#pragma once
#include <strata/errors.h>

#include <cstdint>
#include <string>

#include "ufdl_common.h"

namespace strata::ufdl {

// The id of a dataset's key entity in kDatasetKeys: uniqueKey({name, version, project}). Only
// active datasets have one (body keyBody(<dataset pk>)), so that creating it fails with
// Conflict when an active dataset already has that (name, version, project).
std::string datasetKeyId(const std::string& name, int64_t version, int64_t project);
std::string datasetKeyId(const Poco::JSON::Object& dataset);
// Appends the removal of the dataset's key entity to `batch` if it exists and is this
// dataset's (a dataset made before keys were kept, or a soft-deleted one, has none).
void removeDatasetKey(const Context& ctx, const Poco::JSON::Object& dataset, EntityBatch& batch);
// The fields of a new dataset record (kDatasets' layout, ufdl_common.h).
struct NewDataset {
  int64_t pk = 0;
  std::string name;
  int64_t version = 1;
  int64_t previousVersion = -1;
  std::string description;
  int64_t project = 0;
  Poco::Dynamic::Var licence;
  bool isPublic = false;
  Poco::Dynamic::Var domain;  // null: a core dataset
  std::string tags;
};
// The record of a new dataset in kDatasets' field order, made by `creator` now, active.
Poco::JSON::Object::Ptr datasetRecord(const NewDataset& d, int64_t creator);

// 400 {"non_field_errors": ["The fields name, version, project must make a unique set."]}.
[[noreturn]] void throwNotUnique();

// The routes of dataset_versions.cpp: copy, merge, hard delete, reinstate.
void addDatasetVersionRoutes(RouteRegistry& routes, Context& ctx);

}  // namespace strata::ufdl
