// core/src/arrays/selection.cpp: parsing, validation, and the runs and chunk pieces that the
// engine produces, checked against brute-force enumeration.
#include <strata/arrays/selection.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace strata::arrays {
namespace {

using Dims = std::vector<uint64_t>;
using LinearRun = std::pair<uint64_t, uint64_t>;            // (first, length)
using PieceRun = std::tuple<uint64_t, uint64_t, uint64_t>;  // (chunkOffset, valueOffset, length)
using Pieces = std::vector<std::pair<Dims, std::vector<PieceRun>>>;

// Expects BadRequest whose message contains `fragment`.
void expectBadRequest(const std::function<void()>& action, const std::string& fragment) {
  try {
    action();
    ADD_FAILURE() << "no BadRequest; expected one mentioning \"" << fragment << "\"";
  } catch (const BadRequest& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << fragment << "\"";
  }
}

void expectParseError(const std::string& text, const Dims& dims, const std::string& fragment) {
  SCOPED_TRACE("select=" + text);
  expectBadRequest([&] { Selection::parse(text, dims); }, fragment);
}

std::vector<LinearRun> runsOf(const Selection& sel, const Dims& dims) {
  std::vector<LinearRun> runs;
  sel.forEachRun(dims, [&](uint64_t first, uint64_t length) { runs.emplace_back(first, length); });
  return runs;
}

Pieces piecesOf(const Selection& sel, const Dims& dims, const Dims& chunkDims) {
  Pieces pieces;
  sel.forEachChunk(dims, chunkDims, [&](const Selection::ChunkPiece& piece) {
    std::vector<PieceRun> runs;
    for (const auto& r : piece.runs) runs.emplace_back(r.chunkOffset, r.valueOffset, r.length);
    pieces.emplace_back(piece.chunk, runs);
  });
  return pieces;
}

uint64_t linearIndex(const Dims& coords, const Dims& shape) {
  uint64_t index = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) index = index * shape[d] + coords[d];
  return index;
}

// Every selected element's coordinates, in value order, by plain enumeration.
std::vector<Dims> elementsOf(const Selection& sel) {
  if (sel.kind() == Selection::Kind::Points) return sel.pointList();
  const Hyperslab& slab = sel.slab();
  std::vector<Dims> elements;
  if (sel.size() == 0) return elements;
  Dims index(sel.rank(), 0);
  for (;;) {
    Dims coords(sel.rank());
    for (std::size_t d = 0; d < sel.rank(); ++d) coords[d] = slab.start[d] + index[d] * slab.step[d];
    elements.push_back(coords);
    std::size_t d = sel.rank();
    for (;;) {
      if (d == 0) return elements;
      --d;
      if (++index[d] < slab.count[d]) break;
      index[d] = 0;
    }
  }
}

// Maximal runs of elements adjacent both in storage and in value order.
std::vector<LinearRun> referenceRuns(const Selection& sel, const Dims& dims) {
  std::vector<LinearRun> runs;
  for (const Dims& e : elementsOf(sel)) {
    uint64_t at = linearIndex(e, dims);
    if (!runs.empty() && runs.back().first + runs.back().second == at) {
      ++runs.back().second;
    } else {
      runs.emplace_back(at, 1);
    }
  }
  return runs;
}

// Each element goes to its chunk (std::map orders chunk coordinates row-major), at its C-order
// offset over the full chunk shape; within a chunk, elements stay in value order and merge
// when adjacent both in the chunk and in value order.
Pieces referencePieces(const Selection& sel, const Dims& chunkDims) {
  std::map<Dims, std::vector<PieceRun>> byChunk;
  auto elements = elementsOf(sel);
  for (uint64_t v = 0; v < elements.size(); ++v) {
    Dims chunk(chunkDims.size()), local(chunkDims.size());
    for (std::size_t d = 0; d < chunkDims.size(); ++d) {
      chunk[d] = elements[v][d] / chunkDims[d];
      local[d] = elements[v][d] % chunkDims[d];
    }
    uint64_t offset = linearIndex(local, chunkDims);
    auto& runs = byChunk[chunk];
    if (!runs.empty()) {
      auto& [c, val, len] = runs.back();
      if (c + len == offset && val + len == v) {
        ++len;
        continue;
      }
    }
    runs.emplace_back(offset, v, 1);
  }
  return Pieces(byChunk.begin(), byChunk.end());
}

uint64_t uniform(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {  // inclusive
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

Dims randomDims(std::mt19937_64& rng) {
  Dims dims(uniform(rng, 1, 4));
  for (auto& d : dims) d = uniform(rng, 1, 7);
  return dims;
}

Selection randomHyperslab(std::mt19937_64& rng, const Dims& dims) {
  Hyperslab slab;
  for (uint64_t extent : dims) {
    // Mostly full or near-full dimensions, so that rows merge often enough to matter.
    uint64_t start = uniform(rng, 0, 3) == 0 ? uniform(rng, 0, extent) : 0;
    uint64_t stop = uniform(rng, 0, 2) == 0 ? uniform(rng, start, extent) : extent;
    uint64_t step = uniform(rng, 0, 2) == 0 ? uniform(rng, 1, 4) : 1;
    slab.start.push_back(start);
    slab.count.push_back(start == stop ? 0 : (stop - start - 1) / step + 1);
    slab.step.push_back(step);
  }
  return Selection::hyperslab(slab);
}

// ---- parsing

TEST(SelectionParse, ExamplesFromTheReference) {
  auto sel = Selection::parse("[0:4:2,1:3]", {10, 10});
  EXPECT_EQ(sel.kind(), Selection::Kind::Hyperslab);
  EXPECT_EQ(sel.slab().start, (Dims{0, 1}));
  EXPECT_EQ(sel.slab().count, (Dims{2, 2}));
  EXPECT_EQ(sel.slab().step, (Dims{2, 1}));
  EXPECT_EQ(sel.shape(), (Dims{2, 2}));
  EXPECT_EQ(sel.size(), 4u);

  sel = Selection::parse("[0:10:3,::4]", {10, 10});
  EXPECT_EQ(sel.shape(), (Dims{4, 3}));

  sel = Selection::parse("[:,::4]", {5, 9});
  EXPECT_EQ(sel.slab().start, (Dims{0, 0}));
  EXPECT_EQ(sel.slab().count, (Dims{5, 3}));
  EXPECT_EQ(sel.slab().step, (Dims{1, 4}));
}

TEST(SelectionParse, BareIndexSelectsOneElementLikeHsds) {
  auto sel = Selection::parse("[1,0:4]", {10, 10});
  EXPECT_EQ(sel.slab().start, (Dims{1, 0}));
  EXPECT_EQ(sel.slab().count, (Dims{1, 4}));
  EXPECT_EQ(sel.size(), 4u);
  EXPECT_EQ(Selection::parse("[9]", {10}).slab().start, (Dims{9}));
}

TEST(SelectionParse, BracketsOptionalAndWhitespaceTolerated) {
  for (const char* text : {"0:4:2,1:3", " [ 0 : 4 : 2 , 1:3 ] ", "\t0:4:2 ,1 :3\n", "[+0:4:2,1:+3]"}) {
    SCOPED_TRACE(text);
    auto sel = Selection::parse(text, {10, 10});
    EXPECT_EQ(sel.slab().start, (Dims{0, 1}));
    EXPECT_EQ(sel.slab().count, (Dims{2, 2}));
    EXPECT_EQ(sel.slab().step, (Dims{2, 1}));
  }
}

TEST(SelectionParse, DefaultsAndEdges) {
  auto sel = Selection::parse("[:5,3:,::,:]", {10, 10, 10, 10});
  EXPECT_EQ(sel.slab().start, (Dims{0, 3, 0, 0}));
  EXPECT_EQ(sel.slab().count, (Dims{5, 7, 10, 10}));
  EXPECT_EQ(sel.slab().step, (Dims{1, 1, 1, 1}));
  // Step larger than the range selects the start only; the last partial step counts.
  EXPECT_EQ(Selection::parse("[2:5:10]", {10}).shape(), (Dims{1}));
  EXPECT_EQ(Selection::parse("[0:10:3]", {10}).shape(), (Dims{4}));
  EXPECT_EQ(Selection::parse("[0:9:3]", {10}).shape(), (Dims{3}));
}

TEST(SelectionParse, StartEqualStopIsAnEmptySelection) {
  auto sel = Selection::parse("[3:3,:]", {10, 4});
  EXPECT_EQ(sel.size(), 0u);
  EXPECT_EQ(sel.shape(), (Dims{0, 4}));
  EXPECT_EQ(Selection::parse("[10:10]", {10}).size(), 0u);
  EXPECT_EQ(Selection::parse("[10:]", {10}).size(), 0u);
  EXPECT_TRUE(runsOf(sel, {10, 4}).empty());
  EXPECT_TRUE(piecesOf(sel, {10, 4}, {3, 3}).empty());
}

TEST(SelectionParse, ZeroExtentDimension) {
  auto sel = Selection::parse("[:,0:0]", {4, 0});
  EXPECT_EQ(sel.size(), 0u);
  expectParseError("[:,0]", {4, 0}, "dimension: 1");
}

TEST(SelectionParse, WrongRank) {
  expectParseError("[0:4]", {10, 10}, "1 dimensions given for a dataset of rank 2");
  expectParseError("[0:4,:,:]", {10, 10}, "3 dimensions given for a dataset of rank 2");
  expectParseError("", {10}, "0 dimensions given for a dataset of rank 1");
  expectParseError("[]", {10, 10}, "0 dimensions given");
}

TEST(SelectionParse, Garbage) {
  expectParseError("[a:4,1:3]", {10, 10}, "can't convert to int) for dimension: 0");
  expectParseError("[0:4,1:x]", {10, 10}, "can't convert to int) for dimension: 1");
  expectParseError("[0:4,1:3:z]", {10, 10}, "can't convert to int) for dimension: 1");
  expectParseError("[0:4,1.5]", {10, 10}, "can't convert to int) for dimension: 1");
  expectParseError("[1 2]", {10}, "can't convert to int) for dimension: 0");
  expectParseError("[-]", {10}, "can't convert to int) for dimension: 0");
  expectParseError("[0:4:1:2]", {10}, "Too many ':' separators for dimension: 0");
  expectParseError("[0:4", {10}, "missing end bracket");
  expectParseError("0:4]", {10}, "missing start bracket");
  expectParseError("[[1,5,7],0:10]", {10, 10}, "coordinate lists are not supported for dimension: 0");
  expectParseError("[0:10,[1,5]]", {10, 10}, "coordinate lists are not supported for dimension: 1");
}

TEST(SelectionParse, StrayCommas) {
  expectParseError("[2:5,]", {10, 10}, "missing entry (stray comma?) for dimension: 1");
  expectParseError("[2:5,]", {10}, "for dimension: 1");
  expectParseError("[,2:5]", {10, 10}, "for dimension: 0");
  expectParseError("[1,,2]", {10, 10, 10}, "for dimension: 1");
  expectParseError(",", {10, 10}, "for dimension: 0");
}

TEST(SelectionParse, BadStep) {
  expectParseError("[0:4:0]", {10}, "Invalid selection step parameter for dimension: 0");
  expectParseError("[:,0:4:-1]", {10, 10}, "Invalid selection step parameter (negative) for dimension: 1");
}

TEST(SelectionParse, StartAfterStop) {
  expectParseError("[:,5:3]", {10, 10}, "start is greater than stop for dimension: 1");
}

TEST(SelectionParse, PastTheExtent) {
  expectParseError("[0:11]", {10}, "Invalid selection stop parameter for dimension: 0");
  expectParseError("[:,11:]", {10, 10}, "Invalid selection start parameter for dimension: 1");
  expectParseError("[:,10]", {10, 10}, "Invalid selection index for dimension: 1");
}

TEST(SelectionParse, NegativeNumbers) {
  expectParseError("[-1:4]", {10}, "Invalid selection start parameter (negative) for dimension: 0");
  expectParseError("[:,0:-1]", {10, 10}, "Invalid selection stop parameter (negative) for dimension: 1");
  expectParseError("[:,-1]", {10, 10}, "Invalid selection index parameter (negative) for dimension: 1");
}

TEST(SelectionParse, NumbersOverflowingUint64) {
  // 2^64 and beyond; 2^64 - 1 parses but is past any extent.
  expectParseError("[18446744073709551616:]", {10}, "start parameter (number too large) for dimension: 0");
  expectParseError("[:,0:99999999999999999999999]", {10, 10},
                   "stop parameter (number too large) for dimension: 1");
  expectParseError("[::18446744073709551616]", {10}, "step parameter (number too large) for dimension: 0");
  expectParseError("[18446744073709551615]", {10}, "Invalid selection index for dimension: 0");
  expectParseError("[-99999999999999999999999:]", {10}, "start parameter (negative) for dimension: 0");
  // A huge step is fine on its own: it selects the start.
  EXPECT_EQ(Selection::parse("[3::18446744073709551615]", {10}).shape(), (Dims{1}));
}

TEST(SelectionParse, ScalarDatasetsTakeOnlyAnEmptySelection) {
  for (const char* text : {"", "[]", " [ ] "}) {
    SCOPED_TRACE(text);
    auto sel = Selection::parse(text, {});
    EXPECT_EQ(sel.kind(), Selection::Kind::All);
    EXPECT_EQ(sel.rank(), 0u);
    EXPECT_EQ(sel.size(), 1u);
  }
  expectParseError("[0]", {}, "1 dimensions given for a dataset of rank 0");
  expectParseError(":", {}, "1 dimensions given for a dataset of rank 0");
  expectParseError("[,]", {}, "dimension: 0");
}

// ---- body start/stop/step

TEST(SelectionFromStartStopStep, DefaultsAndValues) {
  std::vector<int64_t> start{1, 0}, stop{5, 6}, step{2, 3};
  auto sel = Selection::fromStartStopStep(&start, &stop, &step, {10, 10});
  EXPECT_EQ(sel.slab().start, (Dims{1, 0}));
  EXPECT_EQ(sel.slab().count, (Dims{2, 2}));
  EXPECT_EQ(sel.slab().step, (Dims{2, 3}));

  sel = Selection::fromStartStopStep(nullptr, nullptr, nullptr, {10, 7});
  EXPECT_EQ(sel.slab().start, (Dims{0, 0}));
  EXPECT_EQ(sel.slab().count, (Dims{10, 7}));
  EXPECT_EQ(sel.slab().step, (Dims{1, 1}));

  sel = Selection::fromStartStopStep(&start, nullptr, nullptr, {10, 7});
  EXPECT_EQ(sel.slab().count, (Dims{9, 7}));
  sel = Selection::fromStartStopStep(nullptr, &stop, nullptr, {10, 7});
  EXPECT_EQ(sel.slab().count, (Dims{5, 6}));
  sel = Selection::fromStartStopStep(nullptr, nullptr, &step, {10, 7});
  EXPECT_EQ(sel.slab().count, (Dims{5, 3}));

  std::vector<int64_t> same{4, 4};
  EXPECT_EQ(Selection::fromStartStopStep(&same, &same, nullptr, {10, 10}).size(), 0u);
}

TEST(SelectionFromStartStopStep, Errors) {
  Dims dims{10, 10};
  std::vector<int64_t> one{1}, ok{1, 1}, negative{1, -1}, zero{1, 0}, past{11, 10}, big{2, 8}, small{2, 3};
  expectBadRequest([&] { Selection::fromStartStopStep(&one, nullptr, nullptr, dims); },
                   "start has 1 entries for a dataset of rank 2");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, &one, nullptr, dims); }, "stop has 1 entries");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, nullptr, &one, dims); }, "step has 1 entries");
  expectBadRequest([&] { Selection::fromStartStopStep(&negative, nullptr, nullptr, dims); },
                   "start parameter (negative) for dimension: 1");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, &negative, nullptr, dims); },
                   "stop parameter (negative) for dimension: 1");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, nullptr, &negative, dims); },
                   "step parameter (negative) for dimension: 1");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, nullptr, &zero, dims); },
                   "Invalid selection step parameter for dimension: 1");
  expectBadRequest([&] { Selection::fromStartStopStep(&past, nullptr, nullptr, dims); },
                   "Invalid selection start parameter for dimension: 0");
  expectBadRequest([&] { Selection::fromStartStopStep(nullptr, &past, nullptr, dims); },
                   "Invalid selection stop parameter for dimension: 0");
  expectBadRequest([&] { Selection::fromStartStopStep(&big, &small, nullptr, dims); },
                   "start is greater than stop for dimension: 1");
  EXPECT_NO_THROW(Selection::fromStartStopStep(&ok, &ok, &ok, dims));
}

TEST(SelectionFromStartStopStep, Scalar) {
  auto sel = Selection::fromStartStopStep(nullptr, nullptr, nullptr, {});
  EXPECT_EQ(sel.size(), 1u);
  std::vector<int64_t> empty, one{0};
  EXPECT_EQ(Selection::fromStartStopStep(&empty, &empty, &empty, {}).size(), 1u);
  expectBadRequest([&] { Selection::fromStartStopStep(&one, nullptr, nullptr, {}); },
                   "start has 1 entries for a dataset of rank 0");
}

// ---- construction, size, shape, validate

TEST(SelectionBasics, AllSizesAndShapes) {
  auto sel = Selection::all({3, 4, 5});
  EXPECT_EQ(sel.kind(), Selection::Kind::All);
  EXPECT_EQ(sel.rank(), 3u);
  EXPECT_EQ(sel.size(), 60u);
  EXPECT_EQ(sel.shape(), (Dims{3, 4, 5}));
  EXPECT_EQ(Selection::all({3, 0}).size(), 0u);
}

TEST(SelectionBasics, HyperslabChecksItsVectors) {
  expectBadRequest([] { Selection::hyperslab({{0, 0}, {1}, {1, 1}}); }, "one entry per dimension");
  expectBadRequest(
      [] {
        Selection::hyperslab({{0, 0}, {1, 1}, {1, 0}});
      },
      "Invalid selection step parameter for dimension: 1");
}

TEST(SelectionBasics, Points) {
  auto sel = Selection::points({{1, 2}, {3, 4}, {0, 0}}, 2);
  EXPECT_EQ(sel.kind(), Selection::Kind::Points);
  EXPECT_EQ(sel.rank(), 2u);
  EXPECT_EQ(sel.size(), 3u);
  EXPECT_EQ(sel.shape(), (Dims{3}));
  EXPECT_EQ(Selection::points({}, 1).size(), 0u);
  EXPECT_EQ(Selection::points({}, 1).shape(), (Dims{0}));
  expectBadRequest(
      [] {
        Selection::points({{1, 2}, {3}}, 2);
      },
      "point 1 has 1 coordinates for a dataset of rank 2");
  expectBadRequest([] { Selection::points({{}}, 0); }, "not supported on scalar datasets");
}

TEST(SelectionBasics, ValidateHyperslab) {
  auto sel = Selection::hyperslab({{2, 0}, {3, 4}, {3, 1}});  // rows 2, 5, 8
  EXPECT_NO_THROW(sel.validate({9, 4}));
  expectBadRequest([&] { sel.validate({8, 4}); }, "past the dataset's extent for dimension: 0");
  expectBadRequest([&] { sel.validate({9, 3}); }, "past the dataset's extent for dimension: 1");
  expectBadRequest([&] { sel.validate({9}); }, "rank 2 does not match the dataset's rank 1");
  // No overflow in the check itself.
  auto huge = Selection::hyperslab({{1}, {3}, {UINT64_MAX / 2}});
  expectBadRequest([&] { huge.validate({UINT64_MAX}); }, "dimension: 0");
  // An empty dimension only needs its start within the extent.
  EXPECT_NO_THROW(Selection::hyperslab({{4}, {0}, {1}}).validate({4}));
  expectBadRequest([&] { Selection::hyperslab({{5}, {0}, {1}}).validate({4}); }, "dimension: 0");
  // An All selection made for a larger extent (before a shrink) no longer fits.
  expectBadRequest([] { Selection::all({10, 10}).validate({5, 10}); }, "dimension: 0");
}

TEST(SelectionBasics, ValidatePointsNamesThePoint) {
  auto sel = Selection::points({{0, 0}, {9, 9}, {3, 10}}, 2);
  EXPECT_NO_THROW(sel.validate({10, 11}));
  expectBadRequest([&] { sel.validate({10, 10}); }, "point 2 is out of range for dimension: 1");
  expectBadRequest([&] { sel.validate({10}); }, "does not match");
  expectBadRequest([&] { sel.forEachRun({10, 10}, [](uint64_t, uint64_t) {}); }, "point 2");
  expectBadRequest(
      [&] {
        sel.forEachChunk({10, 10}, {5, 5}, [](const Selection::ChunkPiece&) {});
      },
      "point 2");
}

TEST(SelectionBasics, ScalarAll) {
  auto sel = Selection::all({});
  EXPECT_EQ(sel.rank(), 0u);
  EXPECT_EQ(sel.size(), 1u);
  EXPECT_TRUE(sel.shape().empty());
  EXPECT_EQ(runsOf(sel, {}), (std::vector<LinearRun>{{0, 1}}));
  Pieces pieces = piecesOf(sel, {}, {});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_TRUE(pieces[0].first.empty());
  EXPECT_EQ(pieces[0].second, (std::vector<PieceRun>{{0, 0, 1}}));
}

// ---- forEachRun

TEST(SelectionRuns, FullWidthRowsAreOneRun) {
  EXPECT_EQ(runsOf(Selection::parse("[2:5,:]", {10, 8}), {10, 8}), (std::vector<LinearRun>{{16, 24}}));
  EXPECT_EQ(runsOf(Selection::all({10, 8}), {10, 8}), (std::vector<LinearRun>{{0, 80}}));
  EXPECT_EQ(runsOf(Selection::parse("[1:3,:,:]", {4, 3, 5}), {4, 3, 5}), (std::vector<LinearRun>{{15, 30}}));
}

TEST(SelectionRuns, PartialRowsGiveOneRunPerRow) {
  EXPECT_EQ(runsOf(Selection::parse("[0:3,2:5]", {10, 8}), {10, 8}),
            (std::vector<LinearRun>{{2, 3}, {10, 3}, {18, 3}}));
  // Full rows within strided outer planes: one run per plane.
  EXPECT_EQ(runsOf(Selection::parse("[0:4:2,:,:]", {4, 2, 3}), {4, 2, 3}),
            (std::vector<LinearRun>{{0, 6}, {12, 6}}));
}

TEST(SelectionRuns, StepInTheLastDimensionGivesSingleElements) {
  auto runs = runsOf(Selection::parse("[:,::2]", {4, 8}), {4, 8});
  ASSERT_EQ(runs.size(), 16u);
  for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i], (LinearRun{(i / 4) * 8 + (i % 4) * 2, 1}));
}

TEST(SelectionRuns, RowEndMeetingNextRowStartMerges) {
  // Elements 0, 2 | 3, 5: the 2 and the 3 are adjacent in storage and in value order.
  EXPECT_EQ(runsOf(Selection::parse("[:,::2]", {2, 3}), {2, 3}),
            (std::vector<LinearRun>{{0, 1}, {2, 2}, {5, 1}}));
}

TEST(SelectionRuns, PointsAreSingleElementsMergedOnlyWhenConsecutive) {
  auto sel = Selection::points({{0, 0}, {0, 1}, {0, 2}, {5, 5}, {0, 3}, {5, 6}, {5, 6}}, 2);
  EXPECT_EQ(runsOf(sel, {10, 10}), (std::vector<LinearRun>{{0, 3}, {55, 1}, {3, 1}, {56, 1}, {56, 1}}));
  EXPECT_EQ(runsOf(Selection::points({{7}, {8}, {2}}, 1), {10}), (std::vector<LinearRun>{{7, 2}, {2, 1}}));
}

TEST(SelectionRuns, MatchBruteForceOnRandomHyperslabs) {
  std::mt19937_64 rng(20240611);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    Dims dims = randomDims(rng);
    Selection sel = randomHyperslab(rng, dims);
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    ASSERT_EQ(runsOf(sel, dims), referenceRuns(sel, dims));
  }
}

TEST(SelectionRuns, MatchBruteForceOnRandomPoints) {
  std::mt19937_64 rng(7);
  for (int iteration = 0; iteration < 500; ++iteration) {
    Dims dims = randomDims(rng);
    std::vector<Dims> points(uniform(rng, 0, 20));
    for (auto& p : points) {
      for (uint64_t extent : dims) p.push_back(uniform(rng, 0, extent - 1));
    }
    Selection sel = Selection::points(points, dims.size());
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    ASSERT_EQ(runsOf(sel, dims), referenceRuns(sel, dims));
  }
}

// ---- forEachChunk

TEST(SelectionChunks, EdgeChunksKeepTheFullChunkLayout) {
  // 10x7 in 4x4 chunks: the last chunk row holds rows 8-9, the last column columns 4-6, yet
  // offsets inside them still count 4 elements per row.
  Pieces pieces = piecesOf(Selection::all({10, 7}), {10, 7}, {4, 4});
  ASSERT_EQ(pieces.size(), 6u);
  EXPECT_EQ(pieces[0].first, (Dims{0, 0}));
  EXPECT_EQ(pieces[1].first, (Dims{0, 1}));
  EXPECT_EQ(pieces[5].first, (Dims{2, 1}));
  // Chunk (0,0): four rows of four, value rows 7 apart.
  EXPECT_EQ(pieces[0].second, (std::vector<PieceRun>{{0, 0, 4}, {4, 7, 4}, {8, 14, 4}, {12, 21, 4}}));
  // Chunk (2,1): rows 8-9, columns 4-6.
  EXPECT_EQ(pieces[5].second, (std::vector<PieceRun>{{0, 60, 3}, {4, 67, 3}}));
}

TEST(SelectionChunks, WholeChunkIsOneRun) {
  Pieces pieces = piecesOf(Selection::parse("[4:8,:]", {10, 4}), {10, 4}, {4, 4});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].first, (Dims{1, 0}));
  EXPECT_EQ(pieces[0].second, (std::vector<PieceRun>{{0, 0, 16}}));
  // Rows past the dataset's edge in an edge chunk: still one run (rows 8-9 of chunk 2).
  pieces = piecesOf(Selection::parse("[8:10,:]", {10, 4}), {10, 4}, {4, 4});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].second, (std::vector<PieceRun>{{0, 0, 8}}));
}

TEST(SelectionChunks, StepsSkipUntouchedChunks) {
  // Columns 0, 10, 20 of 30, chunked by 4: chunks 0, 2 and 5 only.
  Pieces pieces = piecesOf(Selection::parse("[0:1,::10]", {1, 30}), {1, 30}, {1, 4});
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].first, (Dims{0, 0}));
  EXPECT_EQ(pieces[1].first, (Dims{0, 2}));
  EXPECT_EQ(pieces[2].first, (Dims{0, 5}));
  EXPECT_EQ(pieces[1].second, (std::vector<PieceRun>{{2, 1, 1}}));
  EXPECT_EQ(pieces[2].second, (std::vector<PieceRun>{{0, 2, 1}}));
}

TEST(SelectionChunks, PointsGroupedByChunkInRequestOrder) {
  auto sel = Selection::points({{9, 9}, {0, 0}, {0, 1}, {6, 1}, {0, 2}, {4, 4}}, 2);
  Pieces pieces = piecesOf(sel, {10, 10}, {5, 5});
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].first, (Dims{0, 0}));
  // (0,0) and (0,1) are consecutive in the request and in the chunk: one run; (0,2) follows
  // (0,1) in the chunk but not in the request.
  EXPECT_EQ(pieces[0].second, (std::vector<PieceRun>{{0, 1, 2}, {2, 4, 1}, {24, 5, 1}}));
  EXPECT_EQ(pieces[1].first, (Dims{1, 0}));
  EXPECT_EQ(pieces[1].second, (std::vector<PieceRun>{{6, 3, 1}}));
  EXPECT_EQ(pieces[2].first, (Dims{1, 1}));
  EXPECT_EQ(pieces[2].second, (std::vector<PieceRun>{{24, 0, 1}}));
}

TEST(SelectionChunks, RejectsABadChunkLayout) {
  auto sel = Selection::all({4, 4});
  auto ignore = [](const Selection::ChunkPiece&) {};
  EXPECT_THROW(sel.forEachChunk({4, 4}, {2}, ignore), InternalError);
  EXPECT_THROW(sel.forEachChunk({4, 4}, {2, 0}, ignore), InternalError);
}

TEST(SelectionChunks, MatchBruteForceOnRandomHyperslabs) {
  std::mt19937_64 rng(42);
  for (int iteration = 0; iteration < 3000; ++iteration) {
    Dims dims = randomDims(rng);
    Dims chunkDims;
    for (uint64_t extent : dims) chunkDims.push_back(uniform(rng, 1, extent + 2));
    Selection sel = randomHyperslab(rng, dims);
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    ASSERT_EQ(piecesOf(sel, dims, chunkDims), referencePieces(sel, chunkDims));
  }
}

TEST(SelectionChunks, MatchBruteForceOnRandomPoints) {
  std::mt19937_64 rng(99);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    Dims dims = randomDims(rng);
    Dims chunkDims;
    for (uint64_t extent : dims) chunkDims.push_back(uniform(rng, 1, extent + 1));
    std::vector<Dims> points(uniform(rng, 0, 25));
    for (auto& p : points) {
      for (uint64_t extent : dims) p.push_back(uniform(rng, 0, extent - 1));
    }
    Selection sel = Selection::points(points, dims.size());
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    ASSERT_EQ(piecesOf(sel, dims, chunkDims), referencePieces(sel, chunkDims));
  }
}

TEST(SelectionChunks, RoundTripThroughChunkedStorage) {
  // Write a selection's values into chunk buffers, read them back through the same pieces,
  // and check every dataset element holds what the selection's value order says.
  std::mt19937_64 rng(5);
  for (int iteration = 0; iteration < 300; ++iteration) {
    Dims dims = randomDims(rng);
    Dims chunkDims;
    uint64_t chunkSize = 1;
    for (uint64_t extent : dims) {
      chunkDims.push_back(uniform(rng, 1, extent));
      chunkSize *= chunkDims.back();
    }
    Selection sel = randomHyperslab(rng, dims);
    std::map<Dims, std::vector<int64_t>> chunks;
    sel.forEachChunk(dims, chunkDims, [&](const Selection::ChunkPiece& piece) {
      auto& buffer = chunks.try_emplace(piece.chunk, chunkSize, -1).first->second;
      for (const auto& r : piece.runs) {
        for (uint64_t k = 0; k < r.length; ++k) buffer[r.chunkOffset + k] = int64_t(r.valueOffset + k);
      }
    });
    auto elements = elementsOf(sel);
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    uint64_t written = 0;
    for (const auto& [chunk, buffer] : chunks) {
      for (int64_t v : buffer) written += v >= 0;
    }
    ASSERT_EQ(written, elements.size());
    for (uint64_t v = 0; v < elements.size(); ++v) {
      Dims chunk(dims.size()), local(dims.size());
      for (std::size_t d = 0; d < dims.size(); ++d) {
        chunk[d] = elements[v][d] / chunkDims[d];
        local[d] = elements[v][d] % chunkDims[d];
      }
      ASSERT_EQ(chunks.at(chunk)[linearIndex(local, chunkDims)], int64_t(v));
    }
  }
}

// ---- scale: a 1 MiB selection (128 x 1024 float64) in a 4 GiB dataset

TEST(SelectionScale, OneMebibyteInAHugeDatasetVisitsOnlyItsChunks) {
  const Dims dims{65536, 8192};
  const Dims chunkDims{256, 256};
  auto sel = Selection::parse("[1000:1128,4000:5024]", dims);
  ASSERT_EQ(sel.size() * 8, uint64_t{1} << 20);

  // Rows 1000-1127 lie in chunk rows 3-4; columns 4000-5023 in chunk columns 15-19.
  std::vector<Dims> visited;
  uint64_t runs = 0, elements = 0;
  bool ordered = true;
  sel.forEachChunk(dims, chunkDims, [&](const Selection::ChunkPiece& piece) {
    if (!visited.empty() && !(visited.back() < piece.chunk)) ordered = false;
    visited.push_back(piece.chunk);
    runs += piece.runs.size();
    for (const auto& r : piece.runs) elements += r.length;
  });
  EXPECT_TRUE(ordered);
  ASSERT_EQ(visited.size(), 10u);
  EXPECT_EQ(visited.front(), (Dims{3, 15}));
  EXPECT_EQ(visited.back(), (Dims{4, 19}));
  EXPECT_EQ(elements, sel.size());
  EXPECT_EQ(runs, 128u * 5u);  // one run per selected row per chunk column

  // Contiguous: one run per row.
  uint64_t contiguousRuns = 0;
  sel.forEachRun(dims, [&](uint64_t, uint64_t length) {
    ++contiguousRuns;
    EXPECT_EQ(length, 1024u);
  });
  EXPECT_EQ(contiguousRuns, 128u);

  // Full-width rows of a chunk-row layout collapse to one run per chunk.
  auto rows = Selection::parse("[256:768,:]", dims);
  Pieces pieces = piecesOf(rows, dims, {256, 8192});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[1].second, (std::vector<PieceRun>{{0, 256 * 8192, 256 * 8192}}));
  EXPECT_EQ(runsOf(Selection::all(dims), dims), (std::vector<LinearRun>{{0, 65536ull * 8192}}));
}

}  // namespace
}  // namespace strata::arrays
