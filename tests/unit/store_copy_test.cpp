// strata-admin copy's engine: content copied from store to store of one role arrives whole and,
// for arrays, bit-identical. Each case opens its stores through their backend plugins.
#include "contract/store_contract_support.h"

#include <strata/arrays/datatype.h>
#include <strata/errors.h>
#include <strata/stores/store_copy.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace strata::test {
namespace {

using arrays::Selection;

// Content is made in the chain's first store, then copied hop by hop: stores[0] -> stores[1]
// -> ... A chain that returns to where it began (hdf5 -> rocksdb -> hdf5) tests both directions,
// and each store is compared with the first.
struct CopyChain {
  std::vector<BackendParam> stores;
};

CopyChain chain(std::initializer_list<BackendParam> stores) { return CopyChain{stores}; }

std::string chainName(const testing::TestParamInfo<CopyChain>& info) {
  std::string name;
  for (const auto& b : info.param.stores) name += (name.empty() ? "" : "_to_") + b.backend;
  return name;
}

std::string instance(std::size_t i) { return "s" + std::to_string(i); }

// Every store of the chain in one registry: instances s0, s1, ... of `role`, each in its own
// directory (so two rocksdb stores of a chain are two databases at two paths).
std::map<std::string, std::string> chainStores(const std::string& role, const CopyChain& chain,
                                               const TempDir& dir) {
  std::map<std::string, std::string> cfg;
  for (std::size_t i = 0; i < chain.stores.size(); ++i) {
    const std::string prefix = "stores." + role + "." + instance(i) + ".";
    for (const auto& [k, v] : chain.stores[i].keys(dir.file(instance(i)))) cfg[prefix + k] = v;
    cfg[prefix + "backend"] = chain.stores[i].backend;
  }
  return cfg;
}

std::string json(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(v, os);
  return os.str();
}

std::string readAll(ArrayStore& s, const std::string& c, const std::string& id) {
  std::string out;
  const auto info = s.dataset(c, id);
  if (info.shape.cls == ShapeClass::Null) return out;
  s.read(c, id,
         Selection::all(info.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : info.shape.dims),
         [&](const char* d, std::size_t n) { out.append(d, n); });
  return out;
}

void writeAll(ArrayStore& s, const std::string& c, const std::string& id, const std::vector<uint64_t>& dims,
              const std::string& bytes) {
  s.write(c, id, Selection::all(dims), sourceOf(bytes), bytes.size());
}

// Describes everything reachable from the root by links, with ids replaced by paths, so two
// containers in different stores can be compared.
void describe(ArrayStore& s, const std::string& c, const std::string& id, const std::string& path,
              std::set<std::string>& seen, std::ostringstream& out) {
  if (!seen.insert(id).second) {
    out << path << " -> (seen)\n";
    return;
  }
  const auto obj = s.object(c, id);
  out << path << " kind=" << collectionName(obj.kind) << " attrs=" << obj.attributeCount << "\n";
  Page all;
  for (const auto& a : s.listAttributes(c, id, all)) {
    const auto info = s.attribute(c, id, a.name);
    const std::string value = s.attributeValue(c, id, a.name);
    out << path << "@" << a.name << " type=" << json(arrays::typeToJson(*info.type))
        << " dims=" << info.shape.dims.size() << " value=" << value.size()
        << ":"
        // References name ids, which are each store's own; the test checks them on their own.
        << (info.type->cls == arrays::TypeClass::Reference ? 0 : std::hash<std::string>()(value)) << "\n";
  }
  if (obj.kind == ObjectKind::Dataset) {
    const auto d = s.dataset(c, id);
    out << path << " type=" << json(arrays::typeToJson(*d.type))
        << " committed=" << !d.type->committedId.empty() << " shape=" << static_cast<int>(d.shape.cls) << ":"
        << d.shape.dims.size();
    for (auto x : d.shape.dims) out << "," << x;
    for (auto x : d.shape.maxdims) out << ",m" << x;
    out << " chunks=";
    for (auto x : d.chunks) out << x << ",";
    out << " layout=" << static_cast<int>(d.layout);
    const std::string values = readAll(s, c, id);
    out << " fill=" << d.fillValue.size() << " values=" << values.size() << ":"
        << std::hash<std::string>()(values) << "\n";
  }
  if (obj.kind == ObjectKind::Group) {
    for (const auto& l : s.listLinks(c, id, all)) {
      if (l.cls == LinkClass::Hard)
        describe(s, c, l.id, path + "/" + l.name, seen, out);
      else
        out << path << "/" << l.name << " class=" << static_cast<int>(l.cls) << " " << l.h5path << " "
            << l.h5domain << "\n";
    }
  }
}

std::string describe(ArrayStore& s, const std::string& c) {
  std::ostringstream out;
  std::set<std::string> seen;
  describe(s, c, s.container(c).rootId, "", seen, out);
  return out.str();
}

// The object reference attribute "origin" of /pi names the container's own /g1.
void expectOriginNamesG1(ArrayStore& s, const std::string& c) {
  const auto root = s.container(c).rootId;
  const auto g1 = s.link(c, root, "g1").id;
  const auto pi = s.link(c, root, "pi").id;
  const std::string ref = s.attributeValue(c, pi, "origin");
  EXPECT_EQ(std::string(ref.c_str()), "groups/" + g1);
}

class StoreCopy : public ::testing::TestWithParam<CopyChain> {};

TEST_P(StoreCopy, ArraysContainerArrivesBitIdentical) {
  TempDir dir;
  const auto& chain = GetParam();
  OpenStores stores(chainStores("arrays", chain, dir));
  auto a = stores.registry().arrays(instance(0));
  const std::string c = "test/tall";
  const auto root = a->createContainer(c).rootId;

  const auto g1 = a->createGroup(c).id;
  a->createLink(c, root, Link{"g1", LinkClass::Hard, g1, ObjectKind::Group});
  a->createLink(c, g1, Link{"soft", LinkClass::Soft, "", ObjectKind::Group, "/g1"});
  a->createLink(c, g1, Link{"ext", LinkClass::External, "", ObjectKind::Group, "/x", "other.h5"});

  // A committed big-endian type used by a chunked, deflated dataset with a fill value.
  const auto be = arrays::intType(4, true, arrays::ByteOrder::Big);
  const auto t = a->createDatatype(c, be).id;
  auto committed = std::make_shared<arrays::Datatype>(*be);
  committed->committedId = t;
  DatasetSpec spec;
  spec.type = committed;
  spec.shape = {ShapeClass::Simple, {40, 30}, {kUnlimited, 30}};
  spec.chunks = {8, 16};
  std::string fill;
  arrays::encodeElement(*be, Poco::Dynamic::Var(-7), fill);
  spec.fillValue = fill;
  Filter deflate;
  spec.filters = {deflate};
  const auto d1 = a->createDataset(c, spec).object.id;
  a->createLink(c, g1, Link{"d1", LinkClass::Hard, d1, ObjectKind::Dataset});
  const std::string bytes = randomBytes(20 * 30 * 4, 3);
  {
    arrays::Hyperslab h{{0, 0}, {20, 30}, {1, 1}};
    a->write(c, d1, Selection::hyperslab(h), sourceOf(bytes), bytes.size());
  }
  // A vlen string dataset and a scalar float, each with attributes.
  DatasetSpec strings;
  strings.type = arrays::vlenStringType();
  strings.shape = {ShapeClass::Simple, {3}, {}};
  const auto d2 = a->createDataset(c, strings).object.id;
  a->createLink(c, root, Link{"names", LinkClass::Hard, d2, ObjectKind::Dataset});
  std::string packed;
  arrays::encodeJson(*strings.type, {3}, Poco::JSON::Parser().parse("[\"a\",\"\\u00e9t\\u00e9\",\"\"]"),
                     packed);
  writeAll(*a, c, d2, {3}, packed);
  DatasetSpec scalar;
  scalar.type = arrays::floatType(8);
  scalar.shape = {ShapeClass::Scalar, {}, {}};
  const auto d3 = a->createDataset(c, scalar).object.id;
  a->createLink(c, root, Link{"pi", LinkClass::Hard, d3, ObjectKind::Dataset});
  std::string pi;
  arrays::encodeElement(*scalar.type, Poco::Dynamic::Var(3.14159), pi);
  writeAll(*a, c, d3, {}, pi);

  std::string attr;
  arrays::encodeJson(*arrays::intType(2, false), {2}, Poco::JSON::Parser().parse("[1, 65535]"), attr);
  a->createAttribute(c, root,
                     AttributeInfo{"counts", arrays::intType(2, false), {ShapeClass::Simple, {2}, {}}}, attr,
                     false);
  a->createAttribute(c, d1, AttributeInfo{"units", arrays::fixedStringType(5), {ShapeClass::Scalar, {}, {}}},
                     std::string("m/s\0\0", 5), false);
  // An object reference to the group, which must follow the group into the new store.
  std::string ref(arrays::kRefBytes, '\0');
  const std::string refText = "groups/" + g1;
  std::memcpy(&ref[0], refText.data(), refText.size());
  auto refType = std::make_shared<arrays::Datatype>();
  refType->cls = arrays::TypeClass::Reference;
  refType->size = arrays::kRefBytes;
  a->createAttribute(c, d3, AttributeInfo{"origin", refType, {ShapeClass::Scalar, {}, {}}}, ref, false);

  const std::string original = describe(*a, c);
  for (std::size_t i = 1; i < chain.stores.size(); ++i) {
    SCOPED_TRACE("copy " + std::to_string(i) + " into " + chain.stores[i].backend);
    auto from = stores.registry().arrays(instance(i - 1));
    auto to = stores.registry().arrays(instance(i));
    const auto report = copyContainer(*from, *to, c);
    // The root, g1, the committed type and the three datasets.
    EXPECT_EQ(report.items, 6u);
    EXPECT_EQ(describe(*to, c), original);
    // The reference names the copy's group.
    expectOriginNamesG1(*to, c);
    // A second copy into the same store is a conflict, and changes nothing.
    EXPECT_THROW(copyContainer(*from, *to, c), Conflict);
    EXPECT_EQ(describe(*to, c), original);
    EXPECT_EQ(to->listContainers(), std::vector<std::string>{c});
    // Within one store under another name (the slycat plugin's deep copy).
    const std::string twin = "copies/tall";
    EXPECT_EQ(copyContainer(*to, *to, c, twin).items, 6u);
    EXPECT_EQ(describe(*to, twin), original);
    expectOriginNamesG1(*to, twin);
    EXPECT_EQ(to->listContainers(), (std::vector<std::string>{twin, c}));
    to->deleteContainer(twin);
    EXPECT_EQ(describe(*to, c), original);
  }
  // Copying leaves the source as it was.
  EXPECT_EQ(describe(*a, c), original);
}

class StoreCopyRecords : public ::testing::TestWithParam<CopyChain> {};

TEST_P(StoreCopyRecords, EntitiesAndAnnotationsArriveWhole) {
  TempDir dir;
  const auto& chain = GetParam();
  // Entities and annotations of one instance share a directory: on rocksdb, one database.
  std::map<std::string, std::string> cfg = chainStores("entities", chain, dir);
  for (const auto& [k, v] : chainStores("annotations", chain, dir)) cfg[k] = v;
  OpenStores stores(cfg);
  auto& registry = stores.registry();

  auto first = registry.entities(instance(0));
  for (int i = 0; i < 1203; ++i) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("n", i);
    body->set("name", "entity \xc3\xa9" + std::to_string(i));
    first->create(i % 2 ? "odd" : "even", "e" + std::to_string(i), body);
  }
  auto annotations = registry.annotations(instance(0));
  for (int i = 0; i < 1500; ++i)
    annotations->set("target" + std::to_string(i),
                     Annotation{"k", AnnotationType::Long, {AnnotationValue(int64_t(i))}});
  annotations->set("target7",
                   Annotation{"tags",
                              AnnotationType::String,
                              {AnnotationValue(std::string("a")), AnnotationValue(std::string("b"))}});
  annotations->set("target7",
                   Annotation{"when", AnnotationType::Date, {AnnotationValue(int64_t(1700000000123))}});
  annotations->set(
      "target8", Annotation{"x", AnnotationType::Double, {AnnotationValue(0.1), AnnotationValue(-2.5e300)}});
  annotations->set("target9", Annotation{"ok", AnnotationType::Boolean, {AnnotationValue(true)}});

  for (std::size_t i = 1; i < chain.stores.size(); ++i) {
    SCOPED_TRACE("copy " + std::to_string(i) + " into " + chain.stores[i].backend);
    auto from = registry.entities(instance(i - 1));
    auto to = registry.entities(instance(i));
    EXPECT_EQ(copyEntities(*from, *to).items, 1203u);
    EXPECT_EQ(to->collections(), (std::vector<std::string>{"even", "odd"}));
    EntityQuery q;
    EXPECT_EQ(to->list("even", q).total, 602u);
    EXPECT_EQ(to->list("odd", q).total, 601u);
    for (int n = 0; n < 1203; ++n) {
      const std::string collection = n % 2 ? "odd" : "even", id = "e" + std::to_string(n);
      EXPECT_EQ(json(to->get(collection, id).body), json(first->get(collection, id).body)) << id;
    }

    auto afrom = registry.annotations(instance(i - 1));
    auto ato = registry.annotations(instance(i));
    EXPECT_EQ(copyAnnotations(*afrom, *ato).items, 1500u);
    auto found = ato->find("target1499", "k");
    ASSERT_TRUE(found);
    EXPECT_EQ(std::get<int64_t>(found->values.at(0)), 1499);
    // Every target's annotations, with their types and values, as the first store has them.
    for (const std::string t : {"target0", "target7", "target8", "target9", "target1499"}) {
      const auto want = annotations->list(t);
      const auto got = ato->list(t);
      ASSERT_EQ(got.size(), want.size()) << t;
      for (std::size_t k = 0; k < want.size(); ++k) {
        EXPECT_EQ(got[k].key, want[k].key) << t;
        EXPECT_EQ(got[k].type, want[k].type) << t;
        EXPECT_EQ(got[k].values, want[k].values) << t << " " << want[k].key;
      }
    }
    EXPECT_EQ(ato->targets("", 2000).size(), 1500u);
    // The copy's index answers queries.
    AnnotationQuery tagged{"tags", AnnotationQuery::Op::Eq, AnnotationValue(std::string("b"))};
    EXPECT_EQ(ato->query(tagged), std::vector<std::string>{"target7"});
    AnnotationQuery high{"k", AnnotationQuery::Op::Ge, AnnotationValue(int64_t(1498))};
    EXPECT_EQ(ato->query(high), (std::vector<std::string>{"target1498", "target1499"}));
  }
}

// hdf5 serves arrays only.
INSTANTIATE_TEST_SUITE_P(Chains, StoreCopyRecords,
                         ::testing::Values(chain({memoryBackend(), memoryBackend()}),
                                           chain({memoryBackend(), rocksdbBackend(), rocksdbBackend(),
                                                  memoryBackend()})),
                         chainName);

class StoreCopyBlobs : public ::testing::TestWithParam<CopyChain> {};

TEST_P(StoreCopyBlobs, ContentAndReferenceCountsArriveWhole) {
  TempDir dir;
  const auto& chain = GetParam();
  OpenStores stores(chainStores("blobs", chain, dir));
  auto first = stores.registry().blobs(instance(0));
  // Three whole 1 MiB chunks and a part of one (rocksdb keeps content in 1 MiB chunks).
  const std::string content = randomBytes((3 << 20) + 17, 9);
  std::string big;
  for (int i = 0; i < 2; ++i) {
    std::istringstream in(content);
    big = first->put(in, static_cast<int64_t>(content.size()), UINT64_MAX).id;
  }
  std::istringstream small("small");
  const std::string smallId = first->put(small, 5, UINT64_MAX).id;
  const std::map<std::string, std::pair<std::string, uint64_t>> want{{big, {content, 2}},
                                                                     {smallId, {"small", 1}}};

  for (std::size_t i = 1; i < chain.stores.size(); ++i) {
    SCOPED_TRACE("copy " + std::to_string(i) + " into " + chain.stores[i].backend);
    auto to = stores.registry().blobs(instance(i));
    const auto report = copyBlobs(*stores.registry().blobs(instance(i - 1)), *to);
    EXPECT_EQ(report.items, 2u);
    EXPECT_EQ(report.bytes, content.size() + 5);
    auto list = to->list();
    ASSERT_EQ(list.size(), 2u);
    for (const auto& info : list) {
      ASSERT_EQ(want.count(info.id), 1u) << info.id;
      const auto& [bytes, refs] = want.at(info.id);
      EXPECT_EQ(info.refs, refs);
      EXPECT_EQ(info.size, bytes.size());
      auto reader = to->open(info.id);
      std::string got(reader->size(), '\0');
      ASSERT_EQ(reader->read(0, &got[0], got.size()), got.size());
      EXPECT_TRUE(got == bytes) << info.id;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Chains, StoreCopyBlobs,
                         ::testing::Values(chain({memoryBackend(), fsBackend()}),
                                           chain({fsBackend(), rocksdbBackend(), fsBackend()})),
                         chainName);

BackendParam hdf5Files() {
  return {"hdf5", [](const std::string& dir) { return std::map<std::string, std::string>{{"path", dir}}; }};
}

INSTANTIATE_TEST_SUITE_P(
    Chains, StoreCopy,
    ::testing::Values(chain({memoryBackend(), memoryBackend()}), chain({memoryBackend(), hdf5Files()}),
                      chain({hdf5Files(), memoryBackend()}),
                      chain({hdf5Files(), rocksdbBackend(), hdf5Files()}),
                      chain({memoryBackend(), rocksdbBackend(), rocksdbBackend(), memoryBackend()})),
    chainName);

}  // namespace
}  // namespace strata::test
