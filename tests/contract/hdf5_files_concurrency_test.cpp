// Concurrent writers keep one hdf5 file intact, and big selections stream in bounded blocks.

#include "contract/hdf5_files_fixture.h"

namespace strata::test {
namespace {

// ---------------------------------------------------------------- concurrency and size

const char* kConcurrentChecker = R"PY(
import sys
import numpy as np
import h5py
with h5py.File(sys.argv[1], 'r') as f:
    d = f['grid'][...]
    rows, cols = d.shape
    expect = (np.arange(rows)[:, None] * 1000 + np.arange(cols)[None, :] + 1).astype('<i4')
    if not (d == expect).all():
        print('FAILED: values differ at', np.argwhere(d != expect)[:5]); sys.exit(1)
    if len(f['marks'].attrs) != 32:
        print('FAILED: attributes', len(f['marks'].attrs)); sys.exit(1)
print('OK')
)PY";

TEST_F(Hdf5Files, ConcurrentWritersToOneFileKeepItIntact) {
  ArrayStore& store = open();
  const std::string c = "busy";
  const std::string root = store.createContainer(c).rootId;
  const uint64_t rows = 256, cols = 300;
  const std::string d =
      store.createDataset(c, spec(arrays::intType(4, true), {rows, cols}, {}, {32, 64})).object.id;
  store.createLink(c, root, hardLink("grid", d));
  const std::string marks = store.createGroup(c).id;
  store.createLink(c, root, hardLink("marks", marks));
  const auto value = [&](uint64_t i, uint64_t j) { return static_cast<int32_t>(i * 1000 + j + 1); };

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      try {
        // Thread t writes rows t, t+4, ... in blocks of 8 rows, with attribute traffic between.
        for (uint64_t w = 0; w < 8; ++w) {
          const uint64_t first = t + 32 * w;
          std::string bytes;
          for (uint64_t k = 0; k < 8; ++k)
            for (uint64_t j = 0; j < cols; ++j) bytes += le32(value(first + 4 * k, j));
          store.write(c, d, Selection::hyperslab({{first, 0}, {8, cols}, {4, 1}}),
                      sourceOf(bytes, std::size_t{3001}), bytes.size());
          store.createAttribute(c, marks,
                                attr("t" + std::to_string(t) + "w" + std::to_string(w),
                                     arrays::intType(8, true), ShapeClass::Scalar),
                                le(w, 8), false);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "writer " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures, 0);
  if (!haveH5py()) {
    std::string expected;
    for (uint64_t k = 0; k < rows * cols; ++k) expected += le32(value(k / cols, k % cols));
    EXPECT_TRUE(readAll(c, d) == expected);
    return;
  }
  close();
  const std::string out = python(kConcurrentChecker, {data_ + "/busy.h5"});
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
}

TEST_F(Hdf5Files, BigSelectionsStreamInBoundedBlocks) {
  ArrayStore& store = open();
  const std::string c = "big";
  store.createContainer(c);
  const uint64_t rows = 6, cols = 1u << 20;  // 24 MiB of int32
  const std::string d = store.createDataset(c, spec(arrays::intType(4, true), {rows, cols})).object.id;
  const std::string bytes = randomBytes(rows * cols * 4, 9);
  write(c, d, Selection::all({rows, cols}), bytes);
  std::vector<std::size_t> blocks;
  std::string got;
  store.read(c, d, Selection::all({rows, cols}), [&](const char* p, std::size_t n) {
    blocks.push_back(n);
    got.append(p, n);
  });
  EXPECT_TRUE(got == bytes);
  EXPECT_GE(blocks.size(), 2u);
  for (auto n : blocks) EXPECT_LE(n, std::size_t{16} << 20);
  // A one-dimensional dataset bigger than a block splits along its only dimension.
  const std::string flat = store.createDataset(c, spec(arrays::intType(4, true), {rows * cols})).object.id;
  write(c, flat, Selection::all({rows * cols}), bytes);
  blocks.clear();
  got.clear();
  store.read(c, flat, Selection::hyperslab({{1}, {rows * cols / 2}, {2}}), [&](const char* p, std::size_t n) {
    blocks.push_back(n);
    got.append(p, n);
  });
  EXPECT_EQ(got.size(), rows * cols * 2);
  EXPECT_EQ(got.substr(0, 8), bytes.substr(4, 4) + bytes.substr(12, 4));
  for (auto n : blocks) EXPECT_LE(n, std::size_t{16} << 20);
}

}  // namespace
}  // namespace strata::test
