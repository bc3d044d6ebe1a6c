// What the rocksdb backend's arrays store promises beyond the arrays contract: everything
// survives closing and reopening the database; a selection reads and writes only the chunks it
// touches (counted with RocksDB's own per-thread perf counters); values larger than a slab or a
// write batch stream through in pieces; and random sequences of writes, point writes and
// resizes (shrinking cuts through chunks) leave exactly what the memory store holds.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/memory_stores.h>
#include <strata/stores/entity_store.h>
#include <strata/util.h>

#include "contract/packed_values.h"
#include "contract/rocksdb_perf.h"
#include "contract/store_contract_support.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

namespace strata::test {
namespace {

using arrays::Selection;
using Dims = std::vector<uint64_t>;
using Names = std::vector<std::string>;

Selection slab(Dims start, Dims count, Dims step = {}) {
  if (step.empty()) step.assign(start.size(), 1);
  return Selection::hyperslab({std::move(start), std::move(count), std::move(step)});
}

std::string readSel(ArrayStore& store, const std::string& c, const std::string& id, const Selection& sel) {
  std::string out;
  store.read(c, id, sel, [&](const char* data, std::size_t n) { out.append(data, n); });
  return out;
}

std::string readAll(ArrayStore& store, const std::string& c, const std::string& id) {
  return readSel(store, c, id, Selection::all(store.dataset(c, id).shape.dims));
}

void writeSel(ArrayStore& store, const std::string& c, const std::string& id, const Selection& sel,
              const std::string& bytes) {
  store.write(c, id, sel, sourceOf(bytes, std::size_t{5003}), bytes.size());
}

std::map<std::string, std::string> arraysAt(const std::string& path) {
  return {{"stores.arrays.t.backend", "rocksdb"},
          {"stores.arrays.t.path", path},
          {"stores.entities.t.backend", "rocksdb"},
          {"stores.entities.t.path", path}};
}

// ---------------------------------------------------------------- reopening

TEST(RocksDbArrays, EverythingSurvivesReopeningTheDatabase) {
  TempDir dir;
  const std::string path = dir.file("db");
  const std::string c = "home/alice/data";
  const auto i32 = arrays::intType(4, true);
  std::string root, group, gone, fixed, vlen, scalar, type;
  std::vector<std::string> groups;
  std::string fixedValues;
  Poco::JSON::Object::Ptr props = new Poco::JSON::Object;
  props->set("fillValue", 9);
  {
    OpenStores stores(arraysAt(path));
    auto store = stores.registry().arrays("t");
    // Another role on the same database, in its own column family.
    stores.registry().entities("t")->create("col", "e1", new Poco::JSON::Object);
    root = store->createContainer(c).rootId;
    store->createContainer("home/bob");
    for (int i = 0; i < 4; ++i) groups.push_back(store->createGroup(c).id);
    group = groups[1];
    gone = groups[2];
    store->createLink(c, root, hardLink("g", group));
    Link soft;
    soft.name = "s";
    soft.cls = LinkClass::Soft;
    soft.h5path = "/g/x";
    store->createLink(c, group, soft);

    DatasetSpec s = spec(i32, {6, 7}, {kUnlimited, 7}, {4, 3}, le32(9));
    s.creationProperties = props;
    fixed = store->createDataset(c, s).object.id;
    for (int k = 0; k < 42; ++k) fixedValues += le32(k * 3 - 50);
    writeSel(*store, c, fixed, Selection::all({6, 7}), fixedValues);
    store->resize(c, fixed, {9, 7});
    vlen = store->createDataset(c, spec(arrays::vlenStringType(), {5}, {}, {2}, vlenStr("-"))).object.id;
    writeSel(*store, c, vlen, slab({1}, {2}, {2}), vlenStr("one") + vlenStr("three"));
    DatasetSpec sc;
    sc.type = arrays::floatType(8);
    sc.shape.cls = ShapeClass::Scalar;
    scalar = store->createDataset(c, sc).object.id;
    writeSel(*store, c, scalar, Selection::all({}), le(0x4004000000000000ull, 8));  // 2.5
    type = store->createDatatype(c, arrays::fixedStringType(3)).id;
    AttributeInfo a;
    a.name = "units";
    a.type = arrays::fixedStringType(6);
    a.shape.cls = ShapeClass::Scalar;
    store->createAttribute(c, fixed, a, "metres", false);
    store->deleteObject(c, gone);
  }
  OpenStores stores(arraysAt(path));
  auto store = stores.registry().arrays("t");
  EXPECT_TRUE(stores.registry().entities("t")->find("col", "e1"));
  EXPECT_EQ(store->listContainers(), (Names{"home/alice/data", "home/bob"}));
  EXPECT_EQ(store->container(c).rootId, root);
  EXPECT_EQ(store->listObjects(c, ObjectKind::Group, {}), (Names{groups[0], groups[1], groups[3]}));
  Page page;
  page.marker = gone;  // a deleted marker still pages on
  EXPECT_EQ(store->listObjects(c, ObjectKind::Group, page), Names{groups[3]});
  EXPECT_EQ(store->listObjects(c, ObjectKind::Dataset, {}), (Names{fixed, vlen, scalar}));
  EXPECT_THROW(store->object(c, gone), Gone);
  EXPECT_EQ(store->link(c, root, "g").id, group);
  EXPECT_EQ(store->link(c, root, "g").kind, ObjectKind::Group);
  EXPECT_EQ(store->link(c, group, "s").h5path, "/g/x");
  EXPECT_EQ(store->object(c, root).linkCount, 1u);

  const DatasetInfo info = store->dataset(c, fixed);
  EXPECT_EQ(info.shape.dims, (Dims{9, 7}));
  EXPECT_EQ(info.shape.maxdims, (Dims{kUnlimited, 7}));
  EXPECT_EQ(info.chunks, (Dims{4, 3}));
  EXPECT_EQ(info.fillValue, le32(9));
  EXPECT_EQ(info.object.attributeCount, 1u);
  ASSERT_TRUE(info.creationProperties);
  std::ostringstream sent, got;
  Poco::JSON::Stringifier::stringify(props, sent);
  Poco::JSON::Stringifier::stringify(info.creationProperties, got);
  EXPECT_EQ(got.str(), sent.str());
  std::string expected = fixedValues;
  for (int k = 0; k < 21; ++k) expected += le32(9);
  EXPECT_EQ(readAll(*store, c, fixed), expected);
  EXPECT_EQ(readAll(*store, c, vlen),
            vlenStr("-") + vlenStr("one") + vlenStr("-") + vlenStr("three") + vlenStr("-"));
  EXPECT_EQ(readSel(*store, c, scalar, Selection::all({})), le(0x4004000000000000ull, 8));
  EXPECT_EQ(store->attributeValue(c, fixed, "units"), "metres");
  EXPECT_TRUE(*store->datatype(c, type) == *arrays::fixedStringType(3));

  // Deleting a container and creating it again starts empty, after reopening too.
  store->deleteContainer(c);
  const std::string again = store->createContainer(c).rootId;
  EXPECT_NE(again, root);
  EXPECT_TRUE(store->listObjects(c, ObjectKind::Dataset, {}).empty());
  EXPECT_THROW(store->dataset(c, fixed), NotFound);
}

TEST(RocksDbArrays, CompoundsWithPaddingKeepTheirLayout) {
  // As the hdf5 backend reports a compound read from a file (store_copy may bring one here):
  // {"a": int32 @0, "b": float64 @8}, 16 bytes with 4 of padding, which the JSON form of the
  // type does not describe; and an array of two of them.
  auto padded = std::make_shared<arrays::Datatype>();
  padded->cls = arrays::TypeClass::Compound;
  padded->fields = {{"a", arrays::intType(4, true), 0}, {"b", arrays::floatType(8), 8}};
  padded->size = 16;
  auto pair = std::make_shared<arrays::Datatype>();
  pair->cls = arrays::TypeClass::Array;
  pair->base = padded;
  pair->dims = {2};
  pair->size = 32;
  TempDir dir;
  const std::string path = dir.file("db"), c = "files/padded";
  const std::string values = randomBytes(3 * 16, 5), attribute = randomBytes(32, 6);
  std::string d, t;
  {
    OpenStores stores(arraysAt(path));
    auto store = stores.registry().arrays("t");
    store->createContainer(c);
    d = store->createDataset(c, spec(padded, {3}, {}, {2})).object.id;
    writeSel(*store, c, d, Selection::all({3}), values);
    AttributeInfo a;
    a.name = "pair";
    a.type = pair;
    a.shape.cls = ShapeClass::Scalar;
    store->createAttribute(c, d, a, attribute, false);
    t = store->createDatatype(c, padded).id;
  }
  OpenStores stores(arraysAt(path));
  auto store = stores.registry().arrays("t");
  const DatasetInfo info = store->dataset(c, d);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *padded);
  EXPECT_EQ(info.type->size, 16u);
  EXPECT_EQ(info.type->fields[1].offset, 8u);
  EXPECT_EQ(readAll(*store, c, d), values);
  EXPECT_EQ(readSel(*store, c, d, Selection::points({{2}}, 1)), values.substr(32));
  EXPECT_TRUE(*store->attribute(c, d, "pair").type == *pair);
  EXPECT_EQ(store->attributeValue(c, d, "pair"), attribute);
  EXPECT_TRUE(*store->datatype(c, t) == *padded);
}

// ---------------------------------------------------------------- chunk locality

TEST(RocksDbArrays, ASelectionTouchesOnlyItsChunks) {
  TempDir dir;
  OpenStores stores(arraysAt(dir.file("db")));
  auto store = stores.registry().arrays("t");
  RocksDbPerf perf;
  ASSERT_TRUE(perf.found()) << "RocksDB's get_perf_context/SetPerfLevel not found";
  const std::string c = "big";
  store->createContainer(c);
  // 4 GiB of int32 in chunks of 1 MiB (4096 of them), never written as a whole.
  const uint64_t chunk = 1 << 18, n = uint64_t{1} << 30;
  const std::string d =
      store->createDataset(c, spec(arrays::intType(4, true), {n}, {}, {chunk}, le32(-7))).object.id;
  const auto values = [](uint64_t first, uint64_t count) {
    std::string s;
    s.reserve(count * 4);
    for (uint64_t k = first; k < first + count; ++k) s += le32(static_cast<int32_t>(k));
    return s;
  };
  // 30 scattered chunks and chunks 1500-1501: 32 MiB, well inside one memtable. Whole,
  // aligned chunks are written without reading them.
  for (uint64_t k = 0; k < 30; ++k) {
    const uint64_t first = (k * 100 + 7) * chunk;
    const auto counts =
        perf.count([&] { writeSel(*store, c, d, slab({first}, {chunk}), values(first, chunk)); });
    EXPECT_LT(counts.valueBytes, 64u << 10) << "an aligned chunk write read a chunk";
  }
  writeSel(*store, c, d, slab({1500 * chunk}, {2 * chunk}), values(1500 * chunk, 2 * chunk));

  // A 1 MiB selection across chunks 1500 and 1501: two chunk lookups, 2 MiB of chunks, no
  // scans. (The rest of the lookups are the domain record and the dataset document.)
  const uint64_t mid = 1500 * chunk + chunk / 2;
  std::string got;
  auto counts = perf.count([&] { got = readSel(*store, c, d, slab({mid}, {chunk})); });
  EXPECT_TRUE(got == values(mid, chunk));
  EXPECT_GE(counts.valueBytes, 2u << 20);
  EXPECT_LT(counts.valueBytes, (2u << 20) + (64u << 10));
  EXPECT_EQ(counts.iterBytes, 0u);
  EXPECT_LE(counts.gets, 2u + 4u);

  // Never written: the fill value, from two lookups that find nothing.
  const uint64_t empty = 3000 * chunk + chunk / 2;
  counts = perf.count([&] { got = readSel(*store, c, d, slab({empty}, {chunk})); });
  std::string fill;
  for (uint64_t k = 0; k < chunk; ++k) fill += le32(-7);
  EXPECT_TRUE(got == fill);
  EXPECT_LT(counts.valueBytes, 64u << 10);
  EXPECT_EQ(counts.iterBytes, 0u);
  EXPECT_LE(counts.gets, 2u + 4u);

  // A strided selection over a wide range reads only the chunks its elements fall in.
  counts = perf.count([&] { got = readSel(*store, c, d, slab({7 * chunk + 1}, {3}, {100 * chunk})); });
  EXPECT_EQ(got, le32(static_cast<int32_t>(7 * chunk + 1)) + le32(static_cast<int32_t>(107 * chunk + 1)) +
                     le32(static_cast<int32_t>(207 * chunk + 1)));
  EXPECT_GE(counts.valueBytes, 3u << 20);
  EXPECT_LT(counts.valueBytes, (3u << 20) + (64u << 10));
  EXPECT_LE(counts.gets, 3u + 4u);

  // A misaligned 1 MiB write reads the two chunks it changes in part, and nothing else.
  const uint64_t at = 1501 * chunk - chunk / 4;
  counts = perf.count([&] { writeSel(*store, c, d, slab({at}, {chunk}), values(at + 1, chunk)); });
  EXPECT_GE(counts.valueBytes, 2u << 20);
  EXPECT_LT(counts.valueBytes, (2u << 20) + (64u << 10));
  EXPECT_EQ(counts.iterBytes, 0u);
  EXPECT_LE(counts.gets, 2u + 6u);
  EXPECT_TRUE(readSel(*store, c, d, slab({1500 * chunk}, {2 * chunk})) ==
              values(1500 * chunk, chunk - chunk / 4) + values(at + 1, chunk) +
                  values(1501 * chunk + 3 * chunk / 4, chunk / 4));
  // The last element, far from anything written.
  EXPECT_EQ(readSel(*store, c, d, slab({n - 1}, {1})), le32(-7));
}

// ---------------------------------------------------------------- large values

// The byte at `offset` of int32 values 0, 1, 2, ... (little-endian).
char countingByte(uint64_t offset) {
  return static_cast<char>((static_cast<uint32_t>(offset / 4) >> (8 * (offset % 4))) & 0xff);
}

TEST(RocksDbArrays, ValuesLargerThanABatchStreamInSlabs) {
  TempDir dir;
  OpenStores stores(arraysAt(dir.file("db")));
  auto store = stores.registry().arrays("t");
  const std::string c = "large";
  store->createContainer(c);
  // 72 MiB of int32: more than one write batch (64 MiB), several read slabs.
  const uint64_t rows = 4608, cols = 4096, total = rows * cols * 4;
  const std::string d =
      store->createDataset(c, spec(arrays::intType(4, true), {rows, cols}, {}, {512, 512})).object.id;
  uint64_t fed = 0;
  store->write(
      c, d, Selection::all({rows, cols}),
      [&](char* out, std::size_t n) {
        const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, total - fed));
        for (std::size_t i = 0; i < k; ++i) out[i] = countingByte(fed + i);
        fed += k;
        return k;
      },
      total);

  uint64_t seen = 0, wrong = 0;
  std::size_t largest = 0;
  store->read(c, d, Selection::all({rows, cols}), [&](const char* data, std::size_t n) {
    largest = std::max(largest, n);
    for (std::size_t i = 0; i < n; ++i) wrong += data[i] != countingByte(seen + i);
    seen += n;
  });
  EXPECT_EQ(seen, total);
  EXPECT_EQ(wrong, 0u);
  EXPECT_LE(largest, std::size_t{4} << 20) << "a read hands out blocks of at most 4 MiB";

  // Every other row from row 1, every fourth column from column 3.
  const uint64_t r = 2000, k = 1000;
  std::string got = readSel(*store, c, d, slab({1, 3}, {r, k}, {2, 4}));
  ASSERT_EQ(got.size(), r * k * 4);
  wrong = 0;
  for (uint64_t i = 0; i < r; ++i)
    for (uint64_t j = 0; j < k; ++j) {
      uint32_t v;
      std::memcpy(&v, got.data() + (i * k + j) * 4, 4);
      wrong += v != (1 + 2 * i) * cols + 3 + 4 * j;
    }
  EXPECT_EQ(wrong, 0u);
  // The last column, top to bottom.
  got = readSel(*store, c, d, slab({0, cols - 1}, {rows, 1}));
  ASSERT_EQ(got.size(), rows * 4);
  wrong = 0;
  for (uint64_t i = 0; i < rows; ++i) {
    uint32_t v;
    std::memcpy(&v, got.data() + i * 4, 4);
    wrong += v != i * cols + cols - 1;
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(RocksDbArrays, VariableLengthRowsLargerThanASlab) {
  TempDir dir;
  OpenStores stores(arraysAt(dir.file("db")));
  auto store = stores.registry().arrays("t");
  const std::string c = "vlen";
  store->createContainer(c);
  // Rows of 300000 elements: each read and write goes one row at a time, in pieces.
  const uint64_t rows = 3, cols = 300000;
  const auto text = [](uint64_t i, uint64_t j) { return std::to_string((i * 7919 + j) % 100003); };
  const std::string d = store->createDataset(c, spec(arrays::vlenStringType(), {rows, cols})).object.id;
  std::string all;
  for (uint64_t i = 0; i < rows; ++i)
    for (uint64_t j = 0; j < cols; ++j) all += vlenStr(text(i, j));
  writeSel(*store, c, d, Selection::all({rows, cols}), all);
  EXPECT_TRUE(readAll(*store, c, d) == all);
  std::string expected;
  for (uint64_t i = 0; i < rows; ++i)
    for (uint64_t j = 5; j < cols; j += 3) expected += vlenStr(text(i, j));
  EXPECT_TRUE(readSel(*store, c, d, slab({0, 5}, {rows, (cols - 5 + 2) / 3}, {1, 3})) == expected);
  // Overwrite a strided block spanning many chunks, then read a row back.
  std::string block;
  for (uint64_t j = 0; j < 100000; ++j) block += vlenStr("w" + std::to_string(j));
  writeSel(*store, c, d, slab({1, 1}, {1, 100000}, {1, 2}), block);
  expected.clear();
  for (uint64_t j = 0; j < cols; ++j)
    expected += vlenStr(j % 2 == 1 && j < 200000 ? "w" + std::to_string(j / 2) : text(1, j));
  EXPECT_TRUE(readSel(*store, c, d, slab({1, 0}, {1, cols})) == expected);
}

// ---------------------------------------------------------------- against the memory store

// Random operations on the same dataset in both stores; after each one, both hold the same.
class Twins {
 public:
  Twins(ArrayStore& rocks, ArrayStore& memory, const DatasetSpec& s, unsigned seed)
      : rocks_(rocks), memory_(memory), type_(*s.type), rng_(seed) {
    rocks_.createContainer(c_);
    memory_.createContainer(c_);
    rocksId_ = rocks_.createDataset(c_, s).object.id;
    memoryId_ = memory_.createDataset(c_, s).object.id;
    maxdims_ = s.shape.maxdims.empty() ? s.shape.dims : s.shape.maxdims;
  }

  void step() {
    const Dims dims = memory_.dataset(c_, memoryId_).shape.dims;
    const unsigned op = pick(10);
    std::ostringstream what;
    if (op < 5) {
      const Selection sel = randomSlab(dims, what);
      write(sel, what);
    } else if (op < 8 && !empty(dims)) {
      const Selection sel = randomPoints(dims, what);
      write(sel, what);
    } else {
      Dims next(dims.size());
      for (std::size_t i = 0; i < dims.size(); ++i) {
        const uint64_t limit = maxdims_[i] == kUnlimited ? dims[i] * 2 + 5 : maxdims_[i];
        next[i] = pick(std::min<uint64_t>(limit, 40) + 1);
      }
      what << "resize to " << text(next);
      rocks_.resize(c_, rocksId_, next);
      memory_.resize(c_, memoryId_, next);
    }
    history_ += what.str() + "\n";
    compare();
  }

  const std::string& history() const { return history_; }

 private:
  uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  static bool empty(const Dims& dims) {
    return std::any_of(dims.begin(), dims.end(), [](uint64_t d) { return d == 0; });
  }
  static std::string text(const Dims& dims) {
    std::string s;
    for (auto d : dims) s += std::to_string(d) + " ";
    return s;
  }

  Selection randomSlab(const Dims& dims, std::ostringstream& what) {
    Dims start(dims.size()), count(dims.size()), step(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) {
      step[i] = 1 + pick(3);
      if (dims[i] == 0) {
        start[i] = 0;
        count[i] = 0;
        continue;
      }
      start[i] = pick(dims[i]);
      count[i] = 1 + pick((dims[i] - 1 - start[i]) / step[i] + 1);
    }
    what << "slab " << text(start) << "/ " << text(count) << "/ " << text(step);
    return slab(start, count, step);
  }

  Selection randomPoints(const Dims& dims, std::ostringstream& what) {
    std::vector<Dims> points(1 + pick(8));
    what << "points";
    for (auto& p : points) {
      for (auto d : dims) p.push_back(pick(d));
      what << " (" << text(p) << ")";
    }
    return Selection::points(points, dims.size());
  }

  std::string randomValues(uint64_t n) {
    std::string out;
    for (uint64_t k = 0; k < n; ++k) {
      if (type_.fixedSize()) {
        for (std::size_t b = 0; b < type_.size; ++b) out.push_back(static_cast<char>(pick(256)));
      } else {
        out += vlenStr(std::string(pick(13), static_cast<char>('a' + pick(26))));
      }
    }
    return out;
  }

  void write(const Selection& sel, std::ostringstream& what) {
    const std::string bytes = randomValues(sel.size());
    writeSel(rocks_, c_, rocksId_, sel, bytes);
    writeSel(memory_, c_, memoryId_, sel, bytes);
    what << " (" << sel.size() << " values)";
  }

  void compare() {
    const Dims dims = memory_.dataset(c_, memoryId_).shape.dims;
    ASSERT_EQ(rocks_.dataset(c_, rocksId_).shape.dims, dims) << history_;
    ASSERT_TRUE(readAll(rocks_, c_, rocksId_) == readAll(memory_, c_, memoryId_)) << history_;
    std::ostringstream what;
    const Selection sel = randomSlab(dims, what);
    ASSERT_TRUE(readSel(rocks_, c_, rocksId_, sel) == readSel(memory_, c_, memoryId_, sel))
        << history_ << what.str();
    if (!empty(dims)) {
      const Selection pts = randomPoints(dims, what);
      ASSERT_TRUE(readSel(rocks_, c_, rocksId_, pts) == readSel(memory_, c_, memoryId_, pts))
          << history_ << what.str();
    }
  }

  ArrayStore& rocks_;
  ArrayStore& memory_;
  const arrays::Datatype& type_;
  const std::string c_ = "twins";
  std::string rocksId_, memoryId_;
  Dims maxdims_;
  std::mt19937_64 rng_;
  std::string history_;
};

TEST(RocksDbArrays, RandomWritesAndResizesMatchTheMemoryStore) {
  const std::vector<DatasetSpec> specs{
      spec(arrays::intType(2, true), {13, 17}, {kUnlimited, 40}, {4, 5}, le(7, 2)),
      spec(arrays::vlenStringType(), {9, 11}, {20, 20}, {3, 4}, vlenStr("x")),
      spec(arrays::floatType(8), {5, 6, 7}, {kUnlimited, kUnlimited, kUnlimited}, {2, 3, 4}),
      spec(arrays::fixedStringType(3), {30}, {kUnlimited}, {}, "abc"),
      spec(arrays::vlenStringType(), {4, 5, 3}, {8, 9, 10}),
  };
  for (std::size_t s = 0; s < specs.size(); ++s) {
    SCOPED_TRACE("dataset spec " + std::to_string(s));
    TempDir dir;
    OpenStores stores(arraysAt(dir.file("db")));
    auto rocks = stores.registry().arrays("t");
    auto memory = makeMemoryArrayStore();
    Twins twins(*rocks, *memory, specs[s], static_cast<unsigned>(1234 + s));
    for (int i = 0; i < 80; ++i) {
      twins.step();
      if (testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace strata::test
