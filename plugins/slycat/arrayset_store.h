// One arrayset as it lies in the arrays store role: the container `slycat/<storage id>` in
// Slycat's file layout (/array/<i>/metadata/*, /array/<i>/attribute/<j>). It finds the arrays,
// reads their metadata and attribute values, and is the ArraysetReader that Hyperchunks
// evaluation reads through. Data routes, metadata queries and the list form of the metadata
// all find objects through it (docs/slycat.md, "Storage").
//
// Thread-safety: one instance per request; the store itself is shared.
#pragma once
#include <strata/arrays/datatype.h>
#include <strata/stores/array_store.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hyperchunks.h"

namespace strata::slycat {

// The datatype of a Slycat attribute type name (int8 .. uint64, float32, float64, string), or
// null for any other name.
arrays::DatatypePtr attributeType(const std::string& name);

struct Dimension {
  std::string name, type;
  int64_t begin = 0, end = 0;
};

// Everything one array's metadata datasets hold.
struct ArrayMetadata {
  std::string groupId;  // the /array/<i> group
  std::vector<Dimension> dimensions;
  ArrayInfo info;  // shape and attributes (name, Slycat type)
};

class StoredArrayset : public ArraysetReader {
 public:
  // NotFound if the container is missing.
  StoredArrayset(ArrayStore& store, std::string container);

  const std::string& container() const { return container_; }
  ArrayStore& store() const { return store_; }
  // The id of the /array group.
  const std::string& arrayGroup() const { return arrayGroup_; }

  std::vector<int64_t> arrays() const override;
  ArrayInfo array(int64_t id) const override;
  // The whole attribute, decoded: numbers as doubles, strings as UTF-8 text.
  Column read(int64_t array, int64_t attribute) const override;

  // One array's metadata; NotFound ("Unknown array: <i>") if it does not exist.
  const ArrayMetadata& metadata(int64_t array) const;
  // The dataset of /array/<i>/attribute/<j>; `attribute` must be in range.
  std::string attributeDataset(int64_t array, int64_t attribute) const;
  // The dataset behind /array/<i>/<group>/<j> if it exists (the caches), else "".
  std::string findDataset(int64_t array, const std::string& group, int64_t attribute) const;
  // Drops what is cached about attribute <j> of array <i> (/array/<i>/unique/<j>, which holds
  // the sorted distinct values and, as attributes, min, max and the distinct count; and the
  // sort index /array/<i>/index/<j>). Every write of attribute data calls it after writing.
  void dropCaches(int64_t array, int64_t attribute) const;

 private:
  ArrayStore& store_;
  std::string container_;
  std::string arrayGroup_;
  mutable bool listed_ = false;
  mutable std::map<int64_t, std::string> groups_;  // array index -> group id
  mutable std::map<int64_t, ArrayMetadata> metadata_;
};

// Reads a whole 1-D dataset of strings or integers (the metadata datasets).
std::vector<std::string> readStrings(ArrayStore& store, const std::string& container, const std::string& id);
std::vector<int64_t> readIntegers(ArrayStore& store, const std::string& container, const std::string& id);

// Decodes packed elements of an integer or float type into doubles (appending).
void decodeNumbers(const arrays::Datatype& type, const char* data, std::size_t count,
                   std::vector<double>& out);

}  // namespace strata::slycat
