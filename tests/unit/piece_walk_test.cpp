// core/src/arrays/piece_walk.cpp and block_sink.cpp: the engine every arrays backend and
// strata-admin copy walk selections with. Pieces are checked against the whole selection's own
// runs, so that order, coverage and the byte bound are asserted, not assumed.
#include <strata/arrays/block_sink.h>
#include <strata/arrays/piece_walk.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::arrays {
namespace {

using Dims = std::vector<uint64_t>;
using Runs = std::vector<std::pair<uint64_t, uint64_t>>;

// The linear indices a selection reads over `dims`, in value order, one per element.
std::vector<uint64_t> indices(const Selection& sel, const Dims& dims) {
  std::vector<uint64_t> out;
  sel.forEachRun(dims, [&](uint64_t first, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) out.push_back(first + i);
  });
  return out;
}

struct Walked {
  std::vector<uint64_t> indices;  // of all pieces, concatenated in call order
  std::vector<uint64_t> sizes;    // elements per piece
};

// Walks `sel` and checks what holds for every piece: firstValue tiles the value order and the
// piece's own element count matches its selection.
Walked walk(const Selection& sel, const Dims& dims, const PiecePlan& plan) {
  Walked w;
  const PieceWalk pieces(sel, ShapeClass::Simple, dims, "dataset 'd'");
  pieces.forEach(plan, [&](const Piece& p) {
    EXPECT_EQ(p.firstValue, w.indices.size());
    EXPECT_EQ(p.elements, p.selection.size());
    const auto part = indices(p.selection, dims);
    w.indices.insert(w.indices.end(), part.begin(), part.end());
    w.sizes.push_back(p.elements);
  });
  EXPECT_EQ(w.indices.size(), pieces.elements());
  return w;
}

Selection slab(Dims start, Dims count, Dims step) {
  return Selection::hyperslab(Hyperslab{std::move(start), std::move(count), std::move(step)});
}

TEST(PieceWalk, HyperslabPiecesKeepTheByteBoundAndTheValueOrder) {
  const Dims dims{40, 50, 60};
  const Selection sel = slab({1, 2, 3}, {13, 11, 19}, {3, 4, 3});
  PiecePlan plan;
  plan.elementBytes = 8;
  plan.maxBytes = 8 * 50;  // two whole rows of 19 (38 elements) fit, a plane of 209 does not
  const Walked w = walk(sel, dims, plan);
  EXPECT_EQ(w.indices, indices(sel, dims));
  ASSERT_FALSE(w.sizes.empty());
  for (uint64_t n : w.sizes) EXPECT_LE(n * plan.elementBytes, plan.maxBytes);
  // Split along the middle dimension: rows two at a time, each plane in ceil(11 / 2) pieces.
  EXPECT_EQ(w.sizes.size(), 13u * 6u);
  EXPECT_EQ(w.sizes.front(), 38u);
  EXPECT_EQ(w.sizes[5], 19u);
}

TEST(PieceWalk, ARowLargerThanTheBoundIsCutIntoRuns) {
  const Dims dims{4, 1000};
  const Selection sel = Selection::all(dims);
  PiecePlan plan;
  plan.elementBytes = 4;
  plan.maxBytes = 4 * 300;
  const Walked w = walk(sel, dims, plan);
  EXPECT_EQ(w.indices, indices(sel, dims));
  EXPECT_EQ(w.sizes, (std::vector<uint64_t>{300, 300, 300, 100, 300, 300, 300, 100, 300, 300, 300, 100, 300,
                                            300, 300, 100}));
}

TEST(PieceWalk, ASelectionWithinTheBoundIsOnePieceWithoutACopy) {
  const Dims dims{10, 10};
  const Selection sel = slab({0, 0}, {5, 5}, {2, 2});
  const PieceWalk pieces(sel, ShapeClass::Simple, dims, "dataset 'd'");
  int calls = 0;
  pieces.forEach(PiecePlan{}, [&](const Piece& p) {
    ++calls;
    EXPECT_EQ(&p.selection, &sel);
    EXPECT_EQ(p.firstValue, 0u);
    EXPECT_EQ(p.elements, 25u);
  });
  EXPECT_EQ(calls, 1);
}

TEST(PieceWalk, PointsAreCutInRequestOrder) {
  const Dims dims{10, 10};
  std::vector<Dims> points;
  for (uint64_t i = 0; i < 10; ++i) points.push_back({9 - i, (i * 7) % 10});
  const Selection sel = Selection::points(points, 2);
  PiecePlan plan;
  plan.elementBytes = 8;
  plan.maxBytes = 24;
  const Walked w = walk(sel, dims, plan);
  EXPECT_EQ(w.indices, indices(sel, dims));
  EXPECT_EQ(w.sizes, (std::vector<uint64_t>{3, 3, 3, 1}));
}

TEST(PieceWalk, ChunkAlignedPiecesEndOnChunkBoundaries) {
  const Dims dims{100};
  const Selection sel = Selection::all(dims);
  PiecePlan plan;
  plan.elementBytes = 1;
  plan.maxBytes = 25;
  plan.chunks = {10};
  Walked w = walk(sel, dims, plan);
  EXPECT_EQ(w.indices, indices(sel, dims));
  EXPECT_EQ(w.sizes, (std::vector<uint64_t>{20, 20, 20, 20, 20}));

  // Below one chunk, a piece may grow to maxAlignedBytes to cover a whole chunk.
  plan.maxBytes = 4;
  plan.maxAlignedBytes = 10;
  w = walk(sel, dims, plan);
  EXPECT_EQ(w.sizes, std::vector<uint64_t>(10, 10));
  // ... but not past it.
  plan.maxAlignedBytes = 9;
  w = walk(sel, dims, plan);
  EXPECT_EQ(w.sizes.size(), 30u);
  for (uint64_t n : w.sizes) EXPECT_LE(n, 4u);
}

TEST(PieceWalk, ScalarDatasetsHaveOnePieceAndEmptySelectionsNone) {
  const Selection scalar = Selection::all({});
  const PieceWalk one(scalar, ShapeClass::Scalar, {}, "dataset 's'");
  std::vector<uint64_t> sizes;
  one.forEach(PiecePlan{}, [&](const Piece& p) {
    EXPECT_EQ(p.selection.rank(), 0u);
    sizes.push_back(p.elements);
  });
  EXPECT_EQ(sizes, std::vector<uint64_t>{1});

  const Selection empty = slab({3}, {0}, {1});
  const PieceWalk none(empty, ShapeClass::Simple, {10}, "dataset 'e'");
  EXPECT_EQ(none.elements(), 0u);
  none.forEach(PiecePlan{}, [&](const Piece&) { ADD_FAILURE() << "a piece of an empty selection"; });
}

// Bounds are checked where the selection enters, once: the constructor refuses it with a
// BadRequest naming the dataset, before anything is walked.
TEST(PieceWalk, BoundsAreCheckedAtEntryWithABadRequest) {
  const auto refused = [](const Selection& sel, ShapeClass cls, const Dims& dims,
                          const std::string& fragment) {
    try {
      PieceWalk pieces(sel, cls, dims, "dataset 'x1'");
      ADD_FAILURE() << "accepted; expected BadRequest mentioning \"" << fragment << "\"";
    } catch (const BadRequest& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(fragment), std::string::npos) << what;
    }
  };
  refused(slab({0, 8}, {2, 3}, {1, 1}), ShapeClass::Simple, {4, 10}, "past the dataset's extent");
  refused(slab({0}, {2}, {1}), ShapeClass::Simple, {4, 10}, "rank");
  refused(Selection::points({{1, 1}, {4, 0}}, 2), ShapeClass::Simple, {4, 10}, "out of range");
  refused(Selection::all({}), ShapeClass::Null, {}, "x1");
}

// The runs and chunks a walk hands out are the selection's own, for the whole selection and for
// each piece.
TEST(PieceWalk, RunsAndChunksMatchTheSelections) {
  const Dims dims{12, 9};
  const Dims chunks{5, 4};
  const Selection sel = slab({1, 0}, {6, 5}, {2, 2});
  const PieceWalk pieces(sel, ShapeClass::Simple, dims, "dataset 'd'");
  Runs fromWalk, fromSelection;
  pieces.forEachRun(dims, [&](uint64_t first, uint64_t n) { fromWalk.emplace_back(first, n); });
  sel.forEachRun(dims, [&](uint64_t first, uint64_t n) { fromSelection.emplace_back(first, n); });
  EXPECT_EQ(fromWalk, fromSelection);

  using ChunkRuns = std::vector<std::pair<Dims, std::vector<uint64_t>>>;
  const auto flatten = [](ChunkRuns& out) {
    return [&out](const Selection::ChunkPiece& c) {
      std::vector<uint64_t> runs;
      for (const auto& r : c.runs) runs.insert(runs.end(), {r.chunkOffset, r.valueOffset, r.length});
      out.emplace_back(c.chunk, runs);
    };
  };
  PiecePlan plan;
  plan.maxBytes = 10;
  int count = 0;
  pieces.forEach(plan, [&](const Piece& p) {
    ChunkRuns a, b;
    pieces.forEachChunk(p, dims, chunks, flatten(a));
    p.selection.forEachChunk(dims, chunks, flatten(b));
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b);
    ++count;
  });
  EXPECT_EQ(count, 3);  // two rows of 5 per piece

  const Selection scalar = Selection::all({});
  const PieceWalk one(scalar, ShapeClass::Scalar, {}, "dataset 's'");
  Runs scalarRuns;
  one.forEachRun({}, [&](uint64_t first, uint64_t n) { scalarRuns.emplace_back(first, n); });
  EXPECT_EQ(scalarRuns, (Runs{{0, 1}}));
}

TEST(BlockSink, GathersSmallPutsIntoBlocksAndPassesLargeOnes) {
  std::vector<std::size_t> calls;
  std::string received;
  const ByteSink sink = [&](const char* data, std::size_t n) {
    calls.push_back(n);
    received.append(data, n);
  };
  std::string expected;
  {
    BlockSink out(sink);
    const std::string small(1000, 'a');
    for (std::size_t i = 0; i < kSinkBlock / 1000 + 1; ++i) {
      out.put(small.data(), small.size());
      expected += small;
    }
    EXPECT_EQ(calls, std::vector<std::size_t>{kSinkBlock});
    out.flush();
    const std::string large(2 * kSinkBlock + 5, 'b');
    out.put(large.data(), large.size());
    expected += large;
    out.flush();
    out.flush();  // nothing left: no empty call
  }
  EXPECT_EQ(received, expected);
  EXPECT_EQ(calls, (std::vector<std::size_t>{kSinkBlock, 1000 * (kSinkBlock / 1000 + 1) - kSinkBlock,
                                             kSinkBlock, kSinkBlock, 5}));
}

}  // namespace
}  // namespace strata::arrays
