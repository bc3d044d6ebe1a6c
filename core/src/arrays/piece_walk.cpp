#include <strata/arrays/piece_walk.h>
#include <strata/arrays/validation.h>

#include <algorithm>

namespace strata::arrays {

namespace {

// Where the run starting at selected index `first` along a dimension ends: after at most
// `group` indices, and on a chunk boundary when one lies in between.
uint64_t alignedEnd(uint64_t start, uint64_t step, uint64_t chunk, uint64_t first, uint64_t group,
                    uint64_t count) {
  const uint64_t end = std::min(count, first + group);
  if (end == count) return end;
  const uint64_t x = start + first * step;
  const uint64_t boundary = (start + end * step) / chunk * chunk;
  if (boundary <= x) return end;
  return first + (boundary - x + step - 1) / step;
}

}  // namespace

void splitHyperslab(const Hyperslab& h, const PiecePlan& plan,
                    const std::function<void(const Hyperslab& part, uint64_t elements)>& fn) {
  const std::size_t rank = h.count.size();
  if (rank == 0) {
    fn(h, 1);
    return;
  }
  for (uint64_t c : h.count) {
    if (c == 0) return;
  }
  const uint64_t elementBytes = std::max<uint64_t>(1, plan.elementBytes);
  const uint64_t target = std::max<uint64_t>(1, plan.maxBytes / elementBytes);
  // inner[d]: elements of one index step along dimension d (the selection's size is checked to
  // fit in 64 bits, so these products do).
  std::vector<uint64_t> inner(rank, 1);
  for (std::size_t d = rank; d-- > 1;) inner[d - 1] = inner[d] * h.count[d];
  // k: the outermost dimension that is cut; those before it go one index at a time, those
  // after it whole.
  std::size_t k = 0;
  while (inner[k] > target) ++k;  // inner[rank - 1] == 1 <= target
  uint64_t group = std::max<uint64_t>(1, target / inner[k]);
  const uint64_t step = h.step[k];
  const bool aligned = plan.chunks.size() == rank && plan.chunks[k] > 0;
  const uint64_t chunk = aligned ? plan.chunks[k] : 1;
  if (aligned) {
    const uint64_t span = step >= chunk ? 1 : (chunk + step - 1) / step;
    const uint64_t cap = std::max<uint64_t>(1, plan.maxAlignedBytes / elementBytes);
    if (group < span && span <= cap / inner[k]) group = span;
  }

  Hyperslab part = h;
  std::vector<uint64_t> outer(k, 0);
  for (std::size_t i = 0; i < k; ++i) part.count[i] = 1;
  for (;;) {
    for (std::size_t i = 0; i < k; ++i) part.start[i] = h.start[i] + outer[i] * h.step[i];
    for (uint64_t first = 0; first < h.count[k];) {
      const uint64_t end = aligned ? alignedEnd(h.start[k], step, chunk, first, group, h.count[k])
                                   : std::min(h.count[k], first + group);
      part.start[k] = h.start[k] + first * step;
      part.count[k] = end - first;
      fn(part, (end - first) * inner[k]);
      first = end;
    }
    std::size_t i = k;
    for (;;) {
      if (i == 0) return;
      --i;
      if (++outer[i] < h.count[i]) break;
      outer[i] = 0;
    }
  }
}

PieceWalk::PieceWalk(const Selection& sel, ShapeClass cls, const std::vector<uint64_t>& dims,
                     const std::string& what)
    : sel_(sel), cls_(cls), elements_(checkSelection(sel, cls, dims, what)) {}

void PieceWalk::forEach(const PiecePlan& plan, const PieceFn& fn) const {
  if (cls_ == ShapeClass::Null || elements_ == 0) return;
  if (cls_ == ShapeClass::Scalar) {
    static const Selection scalar = Selection::all({});
    fn(Piece{scalar, 0, 1});
    return;
  }
  const uint64_t per = std::max<uint64_t>(1, plan.maxBytes / std::max<uint64_t>(1, plan.elementBytes));
  if (sel_.kind() == Selection::Kind::Points) {
    if (elements_ <= per) {
      fn(Piece{sel_, 0, elements_});
      return;
    }
    const auto& points = sel_.pointList();
    for (uint64_t first = 0; first < elements_; first += per) {
      const uint64_t n = std::min(per, elements_ - first);
      const auto begin = points.begin() + static_cast<std::ptrdiff_t>(first);
      const Selection part = Selection::points({begin, begin + static_cast<std::ptrdiff_t>(n)}, sel_.rank());
      fn(Piece{part, first, n});
    }
    return;
  }
  uint64_t next = 0;
  splitHyperslab(sel_.slab(), plan, [&](const Hyperslab& h, uint64_t n) {
    if (n == elements_) {
      fn(Piece{sel_, 0, n});
    } else {
      const Selection part = Selection::hyperslab(h);
      fn(Piece{part, next, n});
    }
    next += n;
  });
}

void PieceWalk::forEachRun(const std::vector<uint64_t>& dims,
                           const std::function<void(uint64_t first, uint64_t length)>& fn) const {
  if (cls_ == ShapeClass::Scalar) {
    if (elements_ != 0) fn(0, 1);
    return;
  }
  if (cls_ == ShapeClass::Simple) sel_.runsUnchecked(dims, fn);
}

void PieceWalk::forEachChunk(const Piece& piece, const std::vector<uint64_t>& dims,
                             const std::vector<uint64_t>& chunkDims,
                             const std::function<void(const Selection::ChunkPiece&)>& fn) const {
  piece.selection.chunksUnchecked(dims, chunkDims, fn);
}

}  // namespace strata::arrays
