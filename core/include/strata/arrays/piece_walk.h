#pragma once
// The selection/IO engine of the arrays role, once for every arrays backend and for
// `strata-admin copy`: a selection enters a store through a PieceWalk, which checks it against
// the dataset once and then cuts it into pieces of bounded memory, in value order. A backend
// implements only "read/write this piece"; it never walks a selection itself.
//
// How a backend uses it (docs/storage.md has the longer form):
//
//   PieceWalk walk(sel, shape.cls, shape.dims, "dataset '" + id + "'");  // BadRequest here
//   checkValueBytes(type, walk.elements(), bytes);                        // writes
//   PiecePlan plan;
//   plan.elementBytes = bytes one element takes in the backend's piece buffer;
//   walk.forEach(plan, [&](const Piece& p) { read or write p.selection; });
//
// Contract:
// - The constructor runs arrays::checkSelection (validation.h): a selection of the wrong rank,
//   past the extent, points on a scalar, anything on a null dataset throws BadRequest naming
//   `what`. Nothing after it checks bounds again: pieces are built from a checked selection.
// - forEach calls fn once per piece, in value order: the pieces' values concatenated are the
//   selection's values. Piece::firstValue is the piece's first element's index in value order,
//   so pieces tile [0, elements()) without gaps. An empty selection has no pieces (a null
//   dataset never gets past the constructor); a scalar dataset has one piece,
//   Selection::all({}), of one element.
// - A piece holds at most max(1, plan.maxBytes / plan.elementBytes) elements, except that with
//   plan.chunks a piece may grow up to plan.maxAlignedBytes to cover a whole chunk.
// - Hyperslabs (and `all`) are cut into hyperslabs: the trailing dimensions that fit stay
//   whole, the dimensions before the split one go one index at a time, the split dimension in
//   runs. With plan.chunks (the dataset's chunk shape) runs along the split dimension end on
//   chunk boundaries where one lies inside them, so that a chunk is visited by one piece only
//   when a row of chunks fits the bound. Point selections are cut into consecutive runs of
//   points.
// - fn is called through std::function once per piece (pieces are large); the per-element and
//   per-run work is the backend's own, in its own loops.
//
// Thread-safety: value types and functions of their arguments; the walk holds a reference to
// the selection, which must outlive it.
#include <strata/arrays/selection.h>
#include <strata/export.h>
#include <strata/stores/array_store.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata::arrays {

// The memory bound of one piece, by default: large enough that per-piece costs (an HDF5
// selection, a chunk lookup, a sink call) vanish, small enough to keep a few per request.
inline constexpr uint64_t kPieceBytes = uint64_t{16} << 20;

// Bytes assumed per element of a variable-length type when a plan needs an element size.
inline constexpr uint64_t kVariableElementGuess = 64;

struct STRATA_API PiecePlan {
  // Bytes one element takes in the backend's buffer (a guess for variable-length types); 0
  // is taken as 1.
  uint64_t elementBytes = 1;
  uint64_t maxBytes = kPieceBytes;
  // The dataset's chunk shape (one entry per dimension) to align pieces to, or empty.
  std::vector<uint64_t> chunks;
  // With chunks: how far a piece may grow to cover a whole row of chunks (0: not at all).
  uint64_t maxAlignedBytes = 0;
};

struct STRATA_API Piece {
  // This piece, as a selection of the dataset: the walk's own selection when one piece covers
  // it (no copy), else a part of it that lives for the call.
  const Selection& selection;
  uint64_t firstValue;  // index of its first element in the whole selection's value order
  uint64_t elements;
};

using PieceFn = std::function<void(const Piece& piece)>;

class STRATA_API PieceWalk {
 public:
  // Checks `sel` against a dataset of shape class `cls` and extent `dims` (BadRequest naming
  // `what`, "dataset '<id>'").
  PieceWalk(const Selection& sel, ShapeClass cls, const std::vector<uint64_t>& dims, const std::string& what);

  uint64_t elements() const { return elements_; }
  const Selection& selection() const { return sel_; }

  void forEach(const PiecePlan& plan, const PieceFn& fn) const;

  // Selection::forEachRun over the whole selection and Selection::forEachChunk over one of
  // this walk's pieces, without checking again: `dims` must be the extent the walk was
  // checked against. For stores that keep values contiguous (runs) or chunked (chunks).
  void forEachRun(const std::vector<uint64_t>& dims,
                  const std::function<void(uint64_t first, uint64_t length)>& fn) const;
  void forEachChunk(const Piece& piece, const std::vector<uint64_t>& dims,
                    const std::vector<uint64_t>& chunkDims,
                    const std::function<void(const Selection::ChunkPiece&)>& fn) const;

 private:
  const Selection& sel_;
  ShapeClass cls_;
  uint64_t elements_ = 0;
};

// The hyperslab splitter under PieceWalk::forEach, for callers that hold a checked hyperslab:
// calls fn(part, elements) for consecutive parts of `slab` in value order, bounded as above.
STRATA_API void splitHyperslab(const Hyperslab& slab, const PiecePlan& plan,
                               const std::function<void(const Hyperslab& part, uint64_t elements)>& fn);

}  // namespace strata::arrays
