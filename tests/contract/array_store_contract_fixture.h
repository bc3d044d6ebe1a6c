#pragma once
// The arrays role contract (core/include/strata/stores/array_store.h), run against every backend
// that serves the role through the StoreRegistry, as the server opens it: the fixture and helpers
// that array_store_*_contract.cpp and memory_array_store_test.cpp share.
//
// Expected values are built by hand in the packed form (datatype.h), byte by byte, so a backend
// that swaps, pads, reorders or misplaces anything fails. Only the public interface is used:
// another backend joins by adding one BackendParam to INSTANTIATE_TEST_SUITE_P (in
// array_store_objects_contract.cpp, the suite's one instantiation).

#include "contract/packed_values.h"
#include "contract/store_contract_support.h"

#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/stores/array_store.h>
#include <strata/util.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace strata::test {

// Helpers of these tests only, apart from other tests' helpers of the same names.
namespace array_contract {

using arrays::ByteOrder;
using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;
using arrays::TypeClass;
using Dims = std::vector<uint64_t>;

// ---- packed bytes, by hand

inline std::string fixedStr(const std::string& s, std::size_t length) {
  std::string out = s.substr(0, length);
  out.resize(length, '\0');
  return out;
}

template <typename F>
std::string each(uint64_t n, F f) {
  std::string out;
  for (uint64_t i = 0; i < n; ++i) out += f(i);
  return out;
}

// ---- types the helpers of datatype.h do not build

inline DatatypePtr arrayOf(DatatypePtr base, Dims dims) {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Array;
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  t->size = base->size * n;
  t->base = std::move(base);
  t->dims = std::move(dims);
  return t;
}

// {"id": int32 LE @0, "xyz": float64 LE [3] @4, "tag": string(3) @28}: 31 bytes, packed.
inline DatatypePtr pointType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Compound;
  t->fields = {{"id", arrays::intType(4, true), 0},
               {"xyz", arrayOf(arrays::floatType(8), {3}), 4},
               {"tag", arrays::fixedStringType(3), 28}};
  t->size = 31;
  return t;
}
inline std::string pointValue(int32_t id, double x, double y, double z, const std::string& tag) {
  return le32(id) + f64le(x) + f64le(y) + f64le(z) + fixedStr(tag, 3);
}

inline DatatypePtr colorType() {
  auto t = std::make_shared<Datatype>();
  t->cls = TypeClass::Enum;
  t->base = arrays::intType(1, false);
  t->size = 1;
  t->isSigned = false;
  t->members = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
  return t;
}

// ---- selections

inline Selection slab(Dims start, Dims count, Dims step = {}) {
  if (step.empty()) step.assign(start.size(), 1);
  return Selection::hyperslab({std::move(start), std::move(count), std::move(step)});
}
inline Selection points(std::vector<Dims> list) {
  const std::size_t rank = list.empty() ? 0 : list[0].size();
  return Selection::points(std::move(list), rank);
}

inline DatasetSpec scalarSpec(DatatypePtr type) {
  DatasetSpec s;
  s.type = std::move(type);
  s.shape.cls = ShapeClass::Scalar;
  return s;
}

inline std::vector<std::string> linkNames(const std::vector<Link>& links) {
  std::vector<std::string> names;
  for (const auto& l : links) names.push_back(l.name);
  return names;
}

inline std::vector<std::string> attributeNames(const std::vector<AttributeInfo>& list) {
  std::vector<std::string> names;
  for (const auto& a : list) names.push_back(a.name);
  return names;
}

using Names = std::vector<std::string>;

// Store operations on one container, with sources that hand out odd-sized pieces (a backend
// must not assume a source fills its whole buffer) and sinks that collect every block.
class ArrayOps {
 public:
  ArrayOps(ArrayStore& store, std::string container) : store_(store), c_(std::move(container)) {}

  std::string read(const std::string& id, const Selection& sel) {
    std::string out;
    store_.read(c_, id, sel, [&](const char* data, std::size_t n) { out.append(data, n); });
    return out;
  }
  std::string readAll(const std::string& id) {
    const DatasetInfo info = store_.dataset(c_, id);
    return read(id, Selection::all(info.shape.dims));
  }
  void write(const std::string& id, const Selection& sel, const std::string& bytes, std::size_t piece = 7) {
    writeAnnounced(id, sel, bytes, bytes.size(), piece);
  }
  void writeAnnounced(const std::string& id, const Selection& sel, const std::string& bytes,
                      uint64_t announced, std::size_t piece = 7) {
    store_.write(c_, id, sel, sourceOf(bytes, piece), announced);
  }
  std::string create(const DatasetSpec& s) { return store_.createDataset(c_, s).object.id; }

 private:
  ArrayStore& store_;
  std::string c_;
};

}  // namespace array_contract
using namespace array_contract;

class ArrayStoreContract : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    stores_ = std::make_unique<OpenStores>(storeConfig("arrays", GetParam(), dir_.path()));
    store_ = stores_->registry().arrays("t");
    ASSERT_TRUE(store_);
    root_ = store_->createContainer(c_).rootId;
    ops_ = std::make_unique<ArrayOps>(*store_, c_);
  }
  void TearDown() override {
    ops_.reset();
    store_.reset();
    stores_.reset();
  }

  std::string read(const std::string& id, const Selection& sel) { return ops_->read(id, sel); }
  std::string readAll(const std::string& id) { return ops_->readAll(id); }
  void write(const std::string& id, const Selection& sel, const std::string& bytes) {
    ops_->write(id, sel, bytes);
  }
  std::string create(const DatasetSpec& s) { return ops_->create(s); }

  TempDir dir_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<ArrayStore> store_;
  const std::string c_ = "test/contract";
  std::string root_;
  std::unique_ptr<ArrayOps> ops_;
};

}  // namespace strata::test
