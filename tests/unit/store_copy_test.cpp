// strata-admin copy's engine: content copied between two stores of one role arrives whole and,
// for arrays, bit-identical. Each case opens both stores through their backend plugins.
#include "contract/store_contract_support.h"
#include "store_copy.h"

#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace strata::test {
namespace {

using arrays::Selection;

struct CopyPair {
  BackendParam from, to;
};

std::string pairName(const testing::TestParamInfo<CopyPair>& info) {
  return info.param.from.backend + "_to_" + info.param.to.backend;
}

// Both stores in one registry: instances "a" and "b" of `role`.
std::map<std::string, std::string> twoStores(const std::string& role, const CopyPair& p, const TempDir& dir) {
  std::map<std::string, std::string> cfg;
  for (const auto& [k, v] : p.from.keys(dir.path() + "/a")) cfg["stores." + role + ".a." + k] = v;
  for (const auto& [k, v] : p.to.keys(dir.path() + "/b")) cfg["stores." + role + ".b." + k] = v;
  cfg["stores." + role + ".a.backend"] = p.from.backend;
  cfg["stores." + role + ".b.backend"] = p.to.backend;
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
  s.read(c, id, Selection::all(info.shape.cls == ShapeClass::Scalar ? std::vector<uint64_t>{} : info.shape.dims),
         [&](const char* d, std::size_t n) { out.append(d, n); });
  return out;
}

void writeAll(ArrayStore& s, const std::string& c, const std::string& id, const std::vector<uint64_t>& dims,
              const std::string& bytes) {
  std::size_t pos = 0;
  s.write(c, id, Selection::all(dims),
          [&](char* d, std::size_t n) {
            const std::size_t k = std::min(n, bytes.size() - pos);
            std::memcpy(d, bytes.data() + pos, k);
            pos += k;
            return k;
          },
          bytes.size());
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
        << " dims=" << info.shape.dims.size() << " value=" << value.size() << ":"
        // References name ids, which are each store's own; the test checks them on their own.
        << (info.type->cls == arrays::TypeClass::Reference ? 0 : std::hash<std::string>()(value)) << "\n";
  }
  if (obj.kind == ObjectKind::Dataset) {
    const auto d = s.dataset(c, id);
    out << path << " type=" << json(arrays::typeToJson(*d.type)) << " committed=" << !d.type->committedId.empty()
        << " shape=" << static_cast<int>(d.shape.cls) << ":" << d.shape.dims.size();
    for (auto x : d.shape.dims) out << "," << x;
    for (auto x : d.shape.maxdims) out << ",m" << x;
    out << " chunks=";
    for (auto x : d.chunks) out << x << ",";
    const std::string values = readAll(s, c, id);
    out << " fill=" << d.fillValue.size() << " values=" << values.size() << ":" << std::hash<std::string>()(values) << "\n";
  }
  if (obj.kind == ObjectKind::Group) {
    for (const auto& l : s.listLinks(c, id, all)) {
      if (l.cls == LinkClass::Hard)
        describe(s, c, l.id, path + "/" + l.name, seen, out);
      else
        out << path << "/" << l.name << " class=" << static_cast<int>(l.cls) << " " << l.h5path << " " << l.h5domain << "\n";
    }
  }
}

std::string describe(ArrayStore& s, const std::string& c) {
  std::ostringstream out;
  std::set<std::string> seen;
  describe(s, c, s.container(c).rootId, "", seen, out);
  return out.str();
}

class StoreCopy : public ::testing::TestWithParam<CopyPair> {};

TEST_P(StoreCopy, ArraysContainerArrivesBitIdentical) {
  TempDir dir;
  OpenStores stores(twoStores("arrays", GetParam(), dir));
  auto a = stores.registry().arrays("a");
  auto b = stores.registry().arrays("b");
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
    std::size_t pos = 0;
    a->write(c, d1, Selection::hyperslab(h),
             [&](char* d, std::size_t n) {
               const std::size_t k = std::min(n, bytes.size() - pos);
               std::memcpy(d, bytes.data() + pos, k);
               pos += k;
               return k;
             },
             bytes.size());
  }
  // A vlen string dataset and a scalar float, each with attributes.
  DatasetSpec strings;
  strings.type = arrays::vlenStringType();
  strings.shape = {ShapeClass::Simple, {3}, {}};
  const auto d2 = a->createDataset(c, strings).object.id;
  a->createLink(c, root, Link{"names", LinkClass::Hard, d2, ObjectKind::Dataset});
  std::string packed;
  arrays::encodeJson(*strings.type, {3}, Poco::JSON::Parser().parse("[\"a\",\"\\u00e9t\\u00e9\",\"\"]"), packed);
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
  a->createAttribute(c, root, AttributeInfo{"counts", arrays::intType(2, false), {ShapeClass::Simple, {2}, {}}},
                     attr, false);
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

  const auto report = copyContainer(*a, *b, c);
  EXPECT_GE(report.items, 6u);
  EXPECT_EQ(describe(*a, c), describe(*b, c));
  // The reference names the copy's group.
  const auto bRoot = b->container(c).rootId;
  const auto bG1 = b->link(c, bRoot, "g1").id;
  std::string bPi;
  for (const auto& l : b->listLinks(c, bRoot, Page{}))
    if (l.name == "pi") bPi = l.id;
  const std::string copiedRef = b->attributeValue(c, bPi, "origin");
  EXPECT_EQ(std::string(copiedRef.c_str()), "groups/" + bG1);
  // A second copy into the same store is a conflict, and changes nothing.
  EXPECT_THROW(copyContainer(*a, *b, c), Conflict);
}

TEST_P(StoreCopy, EntitiesAnnotationsBlobs) {
  TempDir dir;
  const auto& p = GetParam();
  if (p.to.backend == "hdf5" || p.from.backend == "hdf5") GTEST_SKIP() << "hdf5 serves arrays only";
  std::map<std::string, std::string> cfg = twoStores("entities", p, dir);
  for (const auto& [k, v] : twoStores("annotations", p, dir)) cfg[k] = v;
  OpenStores stores(cfg);
  auto ea = stores.registry().entities("a");
  auto eb = stores.registry().entities("b");
  for (int i = 0; i < 1203; ++i) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("n", i);
    ea->create(i % 2 ? "odd" : "even", "e" + std::to_string(i), body);
  }
  EXPECT_EQ(copyEntities(*ea, *eb).items, 1203u);
  EXPECT_EQ(eb->get("odd", "e7").body->getValue<int>("n"), 7);
  EntityQuery q;
  EXPECT_EQ(eb->list("even", q).total, 602u);

  auto aa = stores.registry().annotations("a");
  auto ab = stores.registry().annotations("b");
  for (int i = 0; i < 1500; ++i)
    aa->set("target" + std::to_string(i), Annotation{"k", AnnotationType::Long, {AnnotationValue(int64_t(i))}});
  EXPECT_EQ(copyAnnotations(*aa, *ab).items, 1500u);
  auto found = ab->find("target1499", "k");
  ASSERT_TRUE(found);
  EXPECT_EQ(std::get<int64_t>(found->values.at(0)), 1499);
}

TEST(StoreCopyBlobs, MemoryToFsKeepsContentAndReferences) {
  TempDir dir;
  OpenStores stores({{"stores.blobs.a.backend", "memory"},
                     {"stores.blobs.b.backend", "fs"},
                     {"stores.blobs.b.path", dir.file("b")}});
  auto a = stores.registry().blobs("a");
  auto b = stores.registry().blobs("b");
  const std::string content = randomBytes(3 << 20, 9);
  for (int i = 0; i < 2; ++i) {
    std::istringstream in(content);
    a->put(in, static_cast<int64_t>(content.size()), UINT64_MAX);
  }
  std::istringstream small("small");
  a->put(small, 5, UINT64_MAX);
  EXPECT_EQ(copyBlobs(*a, *b).items, 2u);
  auto list = b->list();
  ASSERT_EQ(list.size(), 2u);
  for (const auto& info : list) {
    EXPECT_EQ(info.refs, a->stat(info.id)->refs);
    auto reader = b->open(info.id);
    std::string got(reader->size(), '\0');
    reader->read(0, &got[0], got.size());
    EXPECT_TRUE(got == content || got == "small");
  }
}

BackendParam hdf5Files() {
  return {"hdf5", [](const std::string& dir) { return std::map<std::string, std::string>{{"path", dir}}; }};
}

INSTANTIATE_TEST_SUITE_P(Pairs, StoreCopy,
                         ::testing::Values(CopyPair{memoryBackend(), memoryBackend()},
                                           CopyPair{memoryBackend(), hdf5Files()},
                                           CopyPair{hdf5Files(), memoryBackend()}),
                         pairName);

}  // namespace
}  // namespace strata::test
