#pragma once
// Selections of dataset elements and the engine that maps them onto storage: one selection
// model for every arrays backend and plugin.
//
// A selection is `all`, a hyperslab (start, count, step per dimension, as h5serv's
// select=[start:stop:step,...] after parsing) or a list of points (one coordinate vector per
// point, in request order). Values always travel in selection order: C order over the
// hyperslab's selected elements, or the points' order.
//
// Thread-safety: value types; no shared state.
#include <strata/export.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata::arrays {

class PieceWalk;

struct STRATA_API Hyperslab {
  std::vector<uint64_t> start;
  std::vector<uint64_t> count;  // elements selected per dimension
  std::vector<uint64_t> step;   // >= 1
};

class STRATA_API Selection {
 public:
  enum class Kind { All, Hyperslab, Points };

  static Selection all(const std::vector<uint64_t>& dims);
  static Selection hyperslab(Hyperslab slab);
  static Selection points(std::vector<std::vector<uint64_t>> points, std::size_t rank);

  // Parses h5serv/HSDS `select=` text: "[0:10:2,:,5]" (brackets optional), where each
  // dimension is start:stop:step, start:stop, ":" or a bare index n (n:n+1). Empty start is
  // 0, empty stop the extent. Throws BadRequest (wrong rank, garbage, zero or negative step,
  // start > stop, stop past the extent), naming the dimension.
  static Selection parse(const std::string& text, const std::vector<uint64_t>& dims);
  // From a JSON body's start/stop/step arrays (each optional; stop defaults to the extent).
  static Selection fromStartStopStep(const std::vector<int64_t>* start, const std::vector<int64_t>* stop,
                                     const std::vector<int64_t>* step, const std::vector<uint64_t>& dims);

  Kind kind() const { return kind_; }
  std::size_t rank() const { return rank_; }
  // Number of selected elements.
  uint64_t size() const;
  // Shape of the selected block for hyperslabs/all (count per dimension); {n} for points.
  std::vector<uint64_t> shape() const;
  const Hyperslab& slab() const { return slab_; }  // All and Hyperslab
  const std::vector<std::vector<uint64_t>>& pointList() const { return points_; }

  // Throws BadRequest unless every selected element lies inside `dims` (and rank matches).
  void validate(const std::vector<uint64_t>& dims) const;

  // Calls fn(linearIndex, runLength) for maximal runs of consecutive elements of a dataset
  // stored contiguously in C order with extent `dims`, in selection order.
  void forEachRun(const std::vector<uint64_t>& dims,
                  const std::function<void(uint64_t first, uint64_t length)>& fn) const;

  // One chunk's share of a selection over a dataset chunked with `chunkDims`.
  struct ChunkPiece {
    std::vector<uint64_t> chunk;  // chunk coordinates (element offset / chunk dims)
    // Runs inside the chunk: (element offset in the chunk in C order over chunkDims,
    // element offset in the selection's value order, length).
    struct Run {
      uint64_t chunkOffset;
      uint64_t valueOffset;
      uint64_t length;
    };
    std::vector<Run> runs;
  };
  // Calls fn once per chunk the selection touches, in ascending chunk order (row-major over
  // chunk coordinates). Work is proportional to the chunks and runs touched, not to the
  // dataset's size.
  void forEachChunk(const std::vector<uint64_t>& dims, const std::vector<uint64_t>& chunkDims,
                    const std::function<void(const ChunkPiece&)>& fn) const;

 private:
  // PieceWalk checks a selection once, where it enters a store, and walks it unchecked.
  friend class PieceWalk;
  void runsUnchecked(const std::vector<uint64_t>& dims,
                     const std::function<void(uint64_t first, uint64_t length)>& fn) const;
  void chunksUnchecked(const std::vector<uint64_t>& dims, const std::vector<uint64_t>& chunkDims,
                       const std::function<void(const ChunkPiece&)>& fn) const;

  Kind kind_ = Kind::All;
  std::size_t rank_ = 0;
  Hyperslab slab_;
  std::vector<std::vector<uint64_t>> points_;
};

}  // namespace strata::arrays
