// The arrays role contract for datasets: which specs are valid, how a dataset reports its
// creation, values of every type read and written by hyperslab and points, fill values,
// resizing, and concurrent writers.

#include "contract/array_store_contract_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- datasets: validation

TEST_P(ArrayStoreContract, RejectsInvalidDatasetSpecs) {
  const auto i32 = arrays::intType(4, true);
  EXPECT_THROW(create(spec(nullptr, {3})), BadRequest);
  EXPECT_THROW(create(spec(i32, {})), BadRequest) << "simple shape without dimensions";
  EXPECT_THROW(create(spec(i32, {3}, {2})), BadRequest) << "maxdims below dims";
  EXPECT_THROW(create(spec(i32, {3, 4}, {3, 3})), BadRequest) << "maxdims below dims";
  EXPECT_THROW(create(spec(i32, {3}, {5, 5})), BadRequest) << "maxdims of another rank";
  EXPECT_THROW(create(spec(i32, {3}, {}, {2, 2})), BadRequest) << "chunks of another rank";
  EXPECT_THROW(create(spec(i32, {3, 3}, {}, {0, 1})), BadRequest) << "zero chunk";
  EXPECT_THROW(create(spec(i32, {3}, {}, {5})), BadRequest) << "chunk above a fixed maxdim";
  EXPECT_THROW(create(spec(i32, {3}, {4}, {5})), BadRequest) << "chunk above a fixed maxdim";
  EXPECT_THROW(create(spec(i32, {3}, {}, {}, "abc")), BadRequest) << "fill value of 3 bytes";
  EXPECT_THROW(create(spec(i32, {3}, {}, {}, "abcde")), BadRequest) << "fill value of 5 bytes";
  EXPECT_TRUE(store_->listObjects(c_, ObjectKind::Dataset, {}).empty());

  // Valid edge cases: a chunk larger than an unlimited dimension's extent, an empty extent.
  const std::string a = create(spec(i32, {3}, {kUnlimited}, {5}));
  const std::string b = create(spec(i32, {0, 4}, {kUnlimited, 4}, {2, 4}));
  EXPECT_EQ(readAll(a), std::string(12, '\0'));
  EXPECT_EQ(readAll(b), "");
  EXPECT_EQ(store_->dataset(c_, b).shape.dims, (Dims{0, 4}));
}

TEST_P(ArrayStoreContract, ReportsHowADatasetWasCreated) {
  const auto i32 = arrays::intType(4, true);
  DatasetSpec s = spec(i32, {10, 20}, {kUnlimited, 40}, {5, 10}, le32(42));
  Filter deflate;
  deflate.kind = Filter::Kind::Deflate;
  deflate.id = 1;
  deflate.level = 9;
  s.filters = {deflate};
  Poco::JSON::Object::Ptr props = new Poco::JSON::Object;
  Poco::JSON::Object::Ptr layout = new Poco::JSON::Object;
  layout->set("class", "H5D_CHUNKED");
  Poco::JSON::Array::Ptr dims = new Poco::JSON::Array;
  dims->add(5);
  dims->add(10);
  layout->set("dims", dims);
  props->set("layout", layout);
  props->set("fillValue", 42);
  s.creationProperties = props;
  const DatasetInfo created = store_->createDataset(c_, s);
  EXPECT_EQ(created.object.kind, ObjectKind::Dataset);

  const DatasetInfo info = store_->dataset(c_, created.object.id);
  EXPECT_EQ(info.object.id, created.object.id);
  EXPECT_EQ(info.object.kind, ObjectKind::Dataset);
  EXPECT_GT(info.object.created, 0);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *i32);
  EXPECT_EQ(info.shape.cls, ShapeClass::Simple);
  EXPECT_EQ(info.shape.dims, (Dims{10, 20}));
  EXPECT_EQ(info.shape.maxdims, (Dims{kUnlimited, 40}));
  EXPECT_EQ(info.chunks, (Dims{5, 10}));
  EXPECT_EQ(info.layout, Layout::Chunked);
  EXPECT_EQ(info.fillValue, le32(42));
  ASSERT_EQ(info.filters.size(), 1u);
  EXPECT_EQ(info.filters[0].kind, Filter::Kind::Deflate);
  EXPECT_EQ(info.filters[0].level, 9);
  ASSERT_TRUE(info.creationProperties);
  std::ostringstream sent, got;
  Poco::JSON::Stringifier::stringify(props, sent);
  Poco::JSON::Stringifier::stringify(info.creationProperties, got);
  EXPECT_EQ(got.str(), sent.str());

  // maxdims left empty reads back as the dims; no chunks and no fill value read back empty.
  const DatasetInfo plain = store_->dataset(c_, create(spec(i32, {3, 4})));
  EXPECT_EQ(plain.shape.maxdims, (Dims{3, 4}));
  EXPECT_TRUE(plain.chunks.empty());
  EXPECT_EQ(plain.layout, Layout::Contiguous);
  EXPECT_TRUE(plain.fillValue.empty());
  // Creation properties the client did not send are not made up by the store: the typed
  // fields say what the dataset is.
  EXPECT_FALSE(plain.creationProperties);

  const auto listed = store_->listObjects(c_, ObjectKind::Dataset, {});
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            (std::set<std::string>{created.object.id, plain.object.id}));
}

// ---------------------------------------------------------------- datasets: values

TEST_P(ArrayStoreContract, Int32LittleEndianByHyperslabAndPoints) {
  const std::string d = create(spec(arrays::intType(4, true, ByteOrder::Little), {4, 6}));
  const auto v = [](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 10 + j) - 7; };
  const std::string all = each(24, [&](uint64_t k) { return le32(v(k / 6, k % 6)); });
  EXPECT_EQ(readAll(d), std::string(96, '\0')) << "unwritten values without a fill value are 0";
  write(d, Selection::all({4, 6}), all);
  EXPECT_EQ(readAll(d), all);

  // Rows 0 and 2, columns 1, 3, 5: in C order over the selection.
  EXPECT_EQ(read(d, slab({0, 1}, {2, 3}, {2, 2})),
            le32(v(0, 1)) + le32(v(0, 3)) + le32(v(0, 5)) + le32(v(2, 1)) + le32(v(2, 3)) + le32(v(2, 5)));
  // One column.
  EXPECT_EQ(read(d, slab({0, 4}, {4, 1})), le32(v(0, 4)) + le32(v(1, 4)) + le32(v(2, 4)) + le32(v(3, 4)));
  // Points come back in request order, repeats included.
  EXPECT_EQ(read(d, points({{3, 5}, {0, 0}, {2, 3}, {3, 5}})),
            le32(v(3, 5)) + le32(v(0, 0)) + le32(v(2, 3)) + le32(v(3, 5)));
  // An empty selection reads nothing.
  EXPECT_EQ(read(d, slab({1, 1}, {0, 3})), "");

  // Write rows 1 and 3 at columns 0, 2, 4.
  write(d, slab({1, 0}, {2, 3}, {2, 2}),
        le32(100) + le32(101) + le32(102) + le32(103) + le32(104) + le32(105));
  std::string expected = all;
  const auto put = [&](uint64_t i, uint64_t j, int32_t x) { expected.replace((i * 6 + j) * 4, 4, le32(x)); };
  put(1, 0, 100);
  put(1, 2, 101);
  put(1, 4, 102);
  put(3, 0, 103);
  put(3, 2, 104);
  put(3, 4, 105);
  EXPECT_EQ(readAll(d), expected);

  write(d, points({{0, 5}, {2, 1}}), le32(-1) + le32(-2));
  put(0, 5, -1);
  put(2, 1, -2);
  EXPECT_EQ(readAll(d), expected);
  EXPECT_EQ(read(d, points({{2, 1}})), le32(-2));
}

TEST_P(ArrayStoreContract, Int32BigEndianKeepsItsByteOrder) {
  const auto type = arrays::intType(4, true, ByteOrder::Big);
  const std::string d = create(spec(type, {5}, {}, {}, be32(7)));
  EXPECT_TRUE(*store_->dataset(c_, d).type == *type);
  EXPECT_EQ(readAll(d), each(5, [](uint64_t) { return be32(7); }));
  write(d, slab({1}, {2}, {2}), be32(0x01020304) + be32(-2));
  EXPECT_EQ(readAll(d), be32(7) + be32(0x01020304) + be32(7) + be32(-2) + be32(7));
  EXPECT_EQ(read(d, points({{1}})), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(read(d, points({{3}})), std::string("\xff\xff\xff\xfe", 4));
}

TEST_P(ArrayStoreContract, Float64ThreeDimensionalChunked) {
  const std::string d = create(spec(arrays::floatType(8), {2, 3, 4}, {}, {1, 2, 3}));
  const auto v = [](uint64_t i, uint64_t j, uint64_t k) { return (i * 12 + j * 4 + k) * 0.5 - 1.25; };
  write(d, Selection::all({2, 3, 4}),
        each(24, [&](uint64_t n) { return f64le(v(n / 12, n / 4 % 3, n % 4)); }));
  EXPECT_EQ(read(d, slab({1, 0, 1}, {1, 3, 2}, {1, 1, 2})), f64le(v(1, 0, 1)) + f64le(v(1, 0, 3)) +
                                                                f64le(v(1, 1, 1)) + f64le(v(1, 1, 3)) +
                                                                f64le(v(1, 2, 1)) + f64le(v(1, 2, 3)));
  EXPECT_EQ(read(d, points({{1, 2, 3}, {0, 0, 0}})), f64le(v(1, 2, 3)) + f64le(v(0, 0, 0)));
}

TEST_P(ArrayStoreContract, FixedLengthStrings) {
  const auto type = arrays::fixedStringType(5);
  const std::string d = create(spec(type, {3}));
  write(d, Selection::all({3}), fixedStr("ab", 5) + "hello" + fixedStr("xyz", 5));
  EXPECT_EQ(readAll(d), fixedStr("ab", 5) + "hello" + fixedStr("xyz", 5));
  EXPECT_EQ(read(d, points({{2}, {0}})), fixedStr("xyz", 5) + fixedStr("ab", 5));
  write(d, points({{1}}), "world");
  EXPECT_EQ(read(d, slab({1}, {1})), "world");
}

TEST_P(ArrayStoreContract, VariableLengthStrings) {
  const std::string d = create(spec(arrays::vlenStringType(), {4}));
  // Never-written elements are empty strings.
  EXPECT_EQ(readAll(d), each(4, [](uint64_t) { return vlenStr(""); }));

  write(d, points({{2}, {0}}), vlenStr("second") + vlenStr("first \xc3\xa9"));
  EXPECT_EQ(readAll(d), vlenStr("first \xc3\xa9") + vlenStr("") + vlenStr("second") + vlenStr(""));

  const std::string longer(10000, 'L');
  write(d, slab({1}, {2}, {2}), vlenStr("one") + vlenStr(longer));
  EXPECT_EQ(readAll(d), vlenStr("first \xc3\xa9") + vlenStr("one") + vlenStr("second") + vlenStr(longer));
  EXPECT_EQ(read(d, slab({0}, {2}, {2})), vlenStr("first \xc3\xa9") + vlenStr("second"));
  EXPECT_EQ(read(d, points({{3}, {1}})), vlenStr(longer) + vlenStr("one"));

  // Overwritten with an empty string, it reads back empty.
  write(d, points({{3}}), vlenStr(""));
  EXPECT_EQ(read(d, slab({2}, {2})), vlenStr("second") + vlenStr(""));

  // Too few or too many elements for the selection. A rejected write changes nothing: the
  // element count is known before anything needs writing.
  EXPECT_THROW(write(d, slab({0}, {2}), vlenStr("only one")), BadRequest);
  EXPECT_THROW(write(d, slab({0}, {1}), vlenStr("one") + vlenStr("two")), BadRequest);
  EXPECT_EQ(read(d, slab({0}, {2})), vlenStr("first \xc3\xa9") + vlenStr("one"));
}

TEST_P(ArrayStoreContract, CompoundWithAnArrayField) {
  const auto type = pointType();
  const std::string d = create(spec(type, {2, 2}));
  const std::string p00 = pointValue(1, 0.5, -1, 2, "abc");
  const std::string p01 = pointValue(-2, 1e10, 3.25, -0.0, "d");
  const std::string p10 = pointValue(3, 7, 8, 9, "");
  const std::string p11 = pointValue(0x7fffffff, -1e-3, 0, 1, "xyz");
  ASSERT_EQ(p00.size(), 31u);
  write(d, Selection::all({2, 2}), p00 + p01 + p10 + p11);
  EXPECT_EQ(readAll(d), p00 + p01 + p10 + p11);
  EXPECT_EQ(read(d, points({{1, 0}})), p10);

  const std::string q01 = pointValue(10, 11, 12, 13, "q01");
  const std::string q11 = pointValue(20, 21, 22, 23, "q11");
  write(d, slab({0, 1}, {2, 1}), q01 + q11);
  EXPECT_EQ(readAll(d), p00 + q01 + p10 + q11);
  const DatasetInfo info = store_->dataset(c_, d);
  ASSERT_TRUE(info.type);
  EXPECT_TRUE(*info.type == *type);
}

TEST_P(ArrayStoreContract, EnumWithAFillValue) {
  const auto type = colorType();
  const std::string d = create(spec(type, {6}, {}, {}, "\x02"));
  EXPECT_EQ(readAll(d), std::string(6, '\x02'));
  write(d, points({{1}, {4}}), std::string("\x00\x01", 2));
  EXPECT_EQ(readAll(d), std::string("\x02\x00\x02\x02\x01\x02", 6));
  EXPECT_TRUE(*store_->dataset(c_, d).type == *type);
}

TEST_P(ArrayStoreContract, FillValuesFillWhatWasNeverWritten) {
  const std::string i = create(spec(arrays::intType(4, true), {5}, {}, {}, le32(42)));
  write(i, slab({1}, {2}), le32(1) + le32(2));
  EXPECT_EQ(readAll(i), le32(42) + le32(1) + le32(2) + le32(42) + le32(42));
  EXPECT_EQ(store_->dataset(c_, i).fillValue, le32(42));

  const std::string f = create(spec(arrays::floatType(8), {2, 2}, {}, {1, 2}, f64le(-1.5)));
  write(f, points({{1, 0}}), f64le(3));
  EXPECT_EQ(readAll(f), f64le(-1.5) + f64le(-1.5) + f64le(3) + f64le(-1.5));

  const std::string c = create(spec(pointType(), {2}, {}, {}, pointValue(999, 9, 9, 9, "N")));
  EXPECT_EQ(readAll(c), pointValue(999, 9, 9, 9, "N") + pointValue(999, 9, 9, 9, "N"));
}

TEST_P(ArrayStoreContract, VariableLengthFillValue) {
  const std::string d = create(spec(arrays::vlenStringType(), {3}, {}, {}, vlenStr("n/a")));
  write(d, points({{1}}), vlenStr("set"));
  EXPECT_EQ(readAll(d), vlenStr("n/a") + vlenStr("set") + vlenStr("n/a"));
}

TEST_P(ArrayStoreContract, ScalarAndNullShapes) {
  const std::string s = create(scalarSpec(arrays::floatType(8)));
  const DatasetInfo info = store_->dataset(c_, s);
  EXPECT_EQ(info.shape.cls, ShapeClass::Scalar);
  EXPECT_TRUE(info.shape.dims.empty());
  EXPECT_EQ(read(s, Selection::all({})), f64le(0));
  write(s, Selection::all({}), f64le(2.5));
  EXPECT_EQ(read(s, Selection::all({})), f64le(2.5));
  EXPECT_THROW(write(s, Selection::all({}), f64le(1) + f64le(2)), BadRequest);
  EXPECT_THROW(read(s, Selection::all({1})), BadRequest);
  EXPECT_THROW(store_->resize(c_, s, {2}), BadRequest);

  const std::string vs = create(scalarSpec(arrays::vlenStringType()));
  write(vs, Selection::all({}), vlenStr("scalar string"));
  EXPECT_EQ(read(vs, Selection::all({})), vlenStr("scalar string"));

  DatasetSpec null;
  null.type = arrays::intType(4, true);
  null.shape.cls = ShapeClass::Null;
  const std::string n = create(null);
  EXPECT_EQ(store_->dataset(c_, n).shape.cls, ShapeClass::Null);
  EXPECT_THROW(read(n, Selection::all({})), BadRequest);
  EXPECT_THROW(write(n, Selection::all({}), le32(1)), BadRequest);
  EXPECT_THROW(write(n, Selection::all({}), ""), BadRequest);
}

TEST_P(ArrayStoreContract, ChunkedAndContiguousGiveIdenticalResults) {
  const auto i32 = arrays::intType(4, true);
  const Dims dims{7, 9};
  const std::string contiguous = create(spec(i32, dims));
  const std::string chunked = create(spec(i32, dims, {}, {3, 4}));
  EXPECT_EQ(store_->dataset(c_, chunked).chunks, (Dims{3, 4}));
  std::vector<int32_t> model(63, 0);
  const auto modelBytes = [&](const std::vector<uint64_t>& indices) {
    std::string s;
    for (auto k : indices) s += le32(model[k]);
    return s;
  };

  int32_t next = 1;
  const auto writeSlab = [&](Dims start, Dims count, Dims step) {
    std::string bytes;
    for (uint64_t a = 0; a < count[0]; ++a)
      for (uint64_t b = 0; b < count[1]; ++b) {
        model[(start[0] + a * step[0]) * 9 + start[1] + b * step[1]] = next;
        bytes += le32(next++);
      }
    for (const auto& id : {contiguous, chunked}) write(id, slab(start, count, step), bytes);
  };
  writeSlab({0, 0}, {7, 9}, {1, 1});
  writeSlab({1, 2}, {3, 3}, {2, 3});  // crosses chunk borders in both dimensions
  writeSlab({5, 0}, {2, 9}, {1, 1});
  writeSlab({0, 8}, {7, 1}, {1, 1});
  std::string pointBytes;
  std::vector<Dims> pts{{6, 8}, {0, 0}, {3, 4}, {2, 7}};
  for (const auto& p : pts) {
    model[p[0] * 9 + p[1]] = next;
    pointBytes += le32(next++);
  }
  for (const auto& id : {contiguous, chunked}) write(id, points(pts), pointBytes);

  std::vector<uint64_t> everything(63);
  for (uint64_t k = 0; k < 63; ++k) everything[k] = k;
  for (const auto& id : {contiguous, chunked}) {
    SCOPED_TRACE(id == chunked ? "chunked" : "contiguous");
    EXPECT_EQ(readAll(id), modelBytes(everything));
    // Rows 1 and 4, columns 1, 3, 5, 7.
    EXPECT_EQ(read(id, slab({1, 1}, {2, 4}, {3, 2})), modelBytes({10, 12, 14, 16, 37, 39, 41, 43}));
    EXPECT_EQ(read(id, points({{6, 8}, {3, 5}, {0, 1}})), modelBytes({62, 32, 1}));
  }
  EXPECT_EQ(read(chunked, slab({2, 3}, {5, 6})), read(contiguous, slab({2, 3}, {5, 6})));
}

TEST_P(ArrayStoreContract, ResizeKeepsValuesAtTheirCoordinates) {
  const std::string d = create(spec(arrays::intType(4, true), {3, 4}, {kUnlimited, 6}, {2, 2}, le32(-1)));
  const auto v = [](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 10 + j); };
  write(d, Selection::all({3, 4}), each(12, [&](uint64_t k) { return le32(v(k / 4, k % 4)); }));

  store_->resize(c_, d, {5, 6});
  DatasetInfo info = store_->dataset(c_, d);
  EXPECT_EQ(info.shape.dims, (Dims{5, 6}));
  EXPECT_EQ(info.shape.maxdims, (Dims{kUnlimited, 6}));
  // Growing the last dimension moves every row: values keep coordinates, not linear indices.
  EXPECT_EQ(readAll(d), each(30, [&](uint64_t k) {
              const uint64_t i = k / 6, j = k % 6;
              return le32(i < 3 && j < 4 ? v(i, j) : -1);
            }));

  EXPECT_THROW(store_->resize(c_, d, {5, 7}), BadRequest) << "past maxdims";
  EXPECT_THROW(store_->resize(c_, d, {5}), BadRequest) << "wrong rank";
  EXPECT_THROW(store_->resize(c_, d, {5, 6, 1}), BadRequest) << "wrong rank";
  EXPECT_EQ(store_->dataset(c_, d).shape.dims, (Dims{5, 6}));

  // Unlimited grows as far as asked; then shrinking drops what falls outside.
  store_->resize(c_, d, {100, 6});
  EXPECT_EQ(read(d, slab({99, 0}, {1, 6})), each(6, [](uint64_t) { return le32(-1); }));
  EXPECT_EQ(read(d, slab({2, 0}, {1, 6})),
            le32(v(2, 0)) + le32(v(2, 1)) + le32(v(2, 2)) + le32(v(2, 3)) + le32(-1) + le32(-1));
  store_->resize(c_, d, {2, 3});
  EXPECT_EQ(readAll(d),
            le32(v(0, 0)) + le32(v(0, 1)) + le32(v(0, 2)) + le32(v(1, 0)) + le32(v(1, 1)) + le32(v(1, 2)));
  EXPECT_THROW(read(d, slab({2, 0}, {1, 1})), BadRequest) << "outside the new extent";
  store_->resize(c_, d, {3, 4});
  EXPECT_EQ(readAll(d), each(12, [&](uint64_t k) {
              const uint64_t i = k / 4, j = k % 4;
              return le32(i < 2 && j < 3 ? v(i, j) : -1);
            }));

  // Without maxdims the creation extent is the limit.
  const std::string fixed = create(spec(arrays::intType(4, true), {4}));
  EXPECT_THROW(store_->resize(c_, fixed, {5}), BadRequest);
}

TEST_P(ArrayStoreContract, ResizeVariableLength) {
  const std::string d = create(spec(arrays::vlenStringType(), {2, 2}, {4, 4}, {1, 2}));
  write(d, Selection::all({2, 2}), vlenStr("a") + vlenStr("b") + vlenStr("c") + vlenStr("d"));
  store_->resize(c_, d, {3, 3});
  EXPECT_EQ(readAll(d), vlenStr("a") + vlenStr("b") + vlenStr("") + vlenStr("c") + vlenStr("d") +
                            vlenStr("") + vlenStr("") + vlenStr("") + vlenStr(""));
}

TEST_P(ArrayStoreContract, WrongValueSizesAreBadRequests) {
  const std::string d = create(spec(arrays::intType(4, true), {4}));
  const std::string ok = le32(1) + le32(2) + le32(3) + le32(4);
  EXPECT_THROW(write(d, Selection::all({4}), ok.substr(0, 12)), BadRequest);
  EXPECT_THROW(write(d, Selection::all({4}), ok + le32(5)), BadRequest);
  EXPECT_THROW(write(d, slab({0}, {2}, {2}), ok), BadRequest);
  EXPECT_THROW(write(d, points({{1}}), ""), BadRequest);
  EXPECT_EQ(readAll(d), std::string(16, '\0')) << "a rejected write changes nothing";
  try {
    write(d, Selection::all({4}), ok.substr(0, 8));
    ADD_FAILURE() << "no BadRequest";
  } catch (const BadRequest& e) {
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  // The source ends before the announced size.
  EXPECT_THROW(ops_->writeAnnounced(d, Selection::all({4}), ok.substr(0, 10), 16), BadRequest);
  write(d, Selection::all({4}), ok);
  EXPECT_EQ(readAll(d), ok);
}

TEST_P(ArrayStoreContract, OutOfRangeSelectionsAreBadRequests) {
  const std::string d = create(spec(arrays::intType(4, true), {4, 6}));
  const std::vector<Selection> bad{
      slab({3, 0}, {2, 1}),          // past the end of dimension 0
      slab({0, 0}, {1, 3}, {1, 3}),  // 0, 3, 6: the step overshoots dimension 1
      slab({0, 6}, {1, 1}),
      slab({0}, {1}),  // wrong rank
      points({{4, 0}}),
      points({{0, 0}, {1, 6}}),
      points({{1}}),  // wrong rank
      Selection::all({5, 6}),
      Selection::all({4, 6, 1}),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_THROW(read(d, bad[i]), BadRequest) << "selection " << i;
    const uint64_t n = bad[i].size();
    EXPECT_THROW(write(d, bad[i], std::string(n * 4, '\x01')), BadRequest) << "selection " << i;
  }
  EXPECT_EQ(readAll(d), std::string(96, '\0'));
}

TEST_P(ArrayStoreContract, LargeValuesStreamInAndOut) {
  const uint64_t n = 1500000;  // 6 MB of int32: more than one block each way
  const std::string d = create(spec(arrays::intType(4, true), {n}));
  const std::string bytes = randomBytes(n * 4, 21);
  ops_->write(d, Selection::all({n}), bytes, 1 << 20);
  std::string got;
  uint64_t calls = 0;
  store_->read(c_, d, Selection::all({n}), [&](const char* data, std::size_t k) {
    ++calls;
    got.append(data, k);
  });
  EXPECT_TRUE(got == bytes);
  EXPECT_GE(calls, 1u);
  std::string strided;
  for (uint64_t k = 1; k < n; k += 3) strided += bytes.substr(k * 4, 4);
  EXPECT_TRUE(read(d, slab({1}, {(n - 1 + 2) / 3}, {3})) == strided);
}

TEST_P(ArrayStoreContract, WritesUpdateModified) {
  const DatasetInfo created = store_->createDataset(c_, spec(arrays::intType(4, true), {2}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write(created.object.id, Selection::all({2}), le32(1) + le32(2));
  const DatasetInfo after = store_->dataset(c_, created.object.id);
  EXPECT_EQ(after.object.created, created.object.created);
  EXPECT_GT(after.object.modified, created.object.modified);
}

// Metadata read between changes reflects every change (a backend may keep metadata answers,
// as the hdf5 backend does; none may serve a stale one).
TEST_P(ArrayStoreContract, MetadataReadBetweenChangesIsNeverStale) {
  const std::string d = create(spec(arrays::intType(4, true), {2}, {kUnlimited}, {2}));
  const DatasetInfo first = store_->dataset(c_, d);
  EXPECT_EQ(store_->object(c_, root_).linkCount, 0u);
  EXPECT_EQ(store_->object(c_, d).attributeCount, 0u);
  const int64_t containerModified = store_->container(c_).modified;

  store_->createLink(c_, root_, hardLink("d", d));
  EXPECT_EQ(store_->object(c_, root_).linkCount, 1u);
  store_->createAttribute(c_, d, attr("a", arrays::intType(4, true), ShapeClass::Scalar), le32(1), false);
  EXPECT_EQ(store_->object(c_, d).attributeCount, 1u);
  EXPECT_EQ(store_->dataset(c_, d).object.attributeCount, 1u);
  store_->resize(c_, d, {7});
  EXPECT_EQ(store_->dataset(c_, d).shape.dims, (Dims{7}));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write(d, slab({0}, {1}), le32(9));
  const DatasetInfo written = store_->dataset(c_, d);
  EXPECT_GT(written.object.modified, first.object.modified);
  EXPECT_GE(store_->container(c_).modified, containerModified);
  store_->deleteAttribute(c_, d, "a");
  EXPECT_EQ(store_->object(c_, d).attributeCount, 0u);
  store_->deleteLink(c_, root_, "d");
  EXPECT_EQ(store_->object(c_, root_).linkCount, 0u);
  store_->deleteObject(c_, d);
  EXPECT_THROW(store_->dataset(c_, d), Gone);
  EXPECT_THROW(store_->object(c_, d), Gone);

  // A container deleted and created again is a new container with a new root.
  store_->deleteContainer(c_);
  EXPECT_FALSE(store_->findContainer(c_));
  const std::string newRoot = store_->createContainer(c_).rootId;
  EXPECT_EQ(store_->container(c_).rootId, newRoot);
  EXPECT_NE(newRoot, root_);
  EXPECT_THROW(store_->object(c_, root_), Error);
}

// ---------------------------------------------------------------- concurrency

TEST_P(ArrayStoreContract, ConcurrentWritersToDisjointHyperslabs) {
  const uint64_t rows = 400, cols = 256;
  const std::string d = create(spec(arrays::intType(4, true), {rows, cols}, {}, {50, 64}));
  const auto value = [&](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 1000 + j + 1); };
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  std::string error;
  const auto fail = [&](const std::string& what) {
    std::lock_guard lock(errorMutex);
    error += what + "\n";
    failed = true;
  };

  std::vector<std::thread> threads;
  std::atomic<int> writersLeft{4};
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        ArrayOps ops(*store_, c_);
        // Thread t owns rows t, t+4, t+8, ...: interleaved, so every chunk has four writers.
        for (uint64_t w = 0; w < 10; ++w) {
          const uint64_t first = t + 40 * w;
          std::string bytes;
          for (uint64_t k = 0; k < 10; ++k)
            for (uint64_t j = 0; j < cols; ++j) bytes += le32(value(first + 4 * k, j));
          ops.write(d, slab({first, 0}, {10, cols}, {4, 1}), bytes, 4093);
          // Metadata traffic on the same container at the same time.
          const std::string g = store_->createGroup(c_).id;
          store_->createLink(c_, root_, hardLink("t" + std::to_string(t) + "-" + std::to_string(w), g));
        }
      } catch (const std::exception& e) {
        fail(std::string("writer: ") + e.what());
      }
      --writersLeft;
    });
  }
  // A reader meanwhile sees every element either unwritten or final, never torn.
  threads.emplace_back([&] {
    try {
      ArrayOps ops(*store_, c_);
      do {
        const std::string got = ops.read(d, Selection::all({rows, cols}));
        if (got.size() != rows * cols * 4) return fail("reader: wrong size");
        for (uint64_t k = 0; k < rows * cols; ++k) {
          int32_t x;
          std::memcpy(&x, got.data() + 4 * k, 4);  // little-endian host, as the packed form
          if (x != 0 && x != value(k / cols, k % cols))
            return fail("reader: torn value at " + std::to_string(k));
        }
      } while (writersLeft > 0);
    } catch (const std::exception& e) {
      fail(std::string("reader: ") + e.what());
    }
  });
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed) << error;

  EXPECT_TRUE(readAll(d) == each(rows * cols, [&](uint64_t k) { return le32(value(k / cols, k % cols)); }));
  EXPECT_EQ(store_->listLinks(c_, root_, {}).size(), 40u);
  EXPECT_EQ(store_->listObjects(c_, ObjectKind::Group, {}).size(), 40u);
}

}  // namespace
}  // namespace strata::test
