// The selection engine: parses h5serv/HSDS selections and maps them onto contiguous or chunked
// C-order storage as runs, with work proportional to the runs (and chunks) touched.
#include <strata/arrays/selection.h>
#include <strata/errors.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>
#include <utility>

namespace strata::arrays {
namespace {

[[noreturn]] void fail(const std::string& message) { throw BadRequest(message); }

std::string forDimension(const std::string& what, std::size_t dim) {
  return what + " for dimension: " + std::to_string(dim);
}

uint64_t checkedProduct(const std::vector<uint64_t>& factors, const char* what) {
  uint64_t product = 1;
  for (uint64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) fail(std::string(what) + " has too many elements");
  }
  return product;
}

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\n\f\v";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

enum class Number { Ok, Empty, Negative, Garbage, Overflow };

// Digits with an optional sign (Python's int() accepts "+3" too). Negative values are told
// apart from garbage so that the message can name the offending parameter, as h5serv does.
Number parseNumber(std::string_view text, uint64_t& value) {
  text = trim(text);
  if (text.empty()) return Number::Empty;
  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
    if (text.empty()) return Number::Garbage;
  }
  uint64_t v = 0;
  bool overflow = false;
  for (char c : text) {
    if (c < '0' || c > '9') return Number::Garbage;
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, uint64_t(c - '0'), &v)) {
      overflow = true;  // keep scanning: garbage later in the text is the better message
    }
  }
  if (negative && (v != 0 || overflow)) return Number::Negative;
  if (overflow) return Number::Overflow;
  value = v;
  return Number::Ok;
}

// Reads one optional start/stop/step field of dimension `dim`; keeps `value` (the default)
// when the field is empty.
void readParameter(std::string_view text, const char* name, std::size_t dim, uint64_t& value) {
  uint64_t parsed = 0;
  switch (parseNumber(text, parsed)) {
    case Number::Ok:
      value = parsed;
      return;
    case Number::Empty:
      return;
    case Number::Negative:
      fail(forDimension(std::string("Invalid selection ") + name + " parameter (negative)", dim));
    case Number::Overflow:
      fail(forDimension(std::string("Invalid selection ") + name + " parameter (number too large)", dim));
    case Number::Garbage:
      break;
  }
  fail(forDimension("Invalid selection parameter (can't convert to int)", dim));
}

// Validates start:stop:step against the extent (in h5serv's order of checks) and appends the
// dimension to `slab`. start == stop is a legal empty selection.
void appendDimension(Hyperslab& slab, uint64_t start, uint64_t stop, uint64_t step, uint64_t extent,
                     std::size_t dim) {
  if (start > extent) fail(forDimension("Invalid selection start parameter", dim));
  if (stop > extent) fail(forDimension("Invalid selection stop parameter", dim));
  if (step == 0) fail(forDimension("Invalid selection step parameter", dim));
  if (start > stop) fail(forDimension("Invalid selection: start is greater than stop", dim));
  slab.start.push_back(start);
  slab.count.push_back(start == stop ? 0 : (stop - start - 1) / step + 1);
  slab.step.push_back(step);
}

void parseDimension(std::string_view field, uint64_t extent, std::size_t dim, Hyperslab& slab) {
  auto colons = std::count(field.begin(), field.end(), ':');
  if (colons == 0) {
    // A bare index n means n:n+1, as in HSDS (h5serv's start = stop = n selects nothing).
    uint64_t index = 0;
    readParameter(field, "index", dim, index);
    if (index >= extent) fail(forDimension("Invalid selection index", dim));
    appendDimension(slab, index, index + 1, 1, extent, dim);
    return;
  }
  if (colons > 2) fail(forDimension("Too many ':' separators", dim));
  auto first = field.find(':');
  auto second = field.find(':', first + 1);
  uint64_t start = 0, stop = extent, step = 1;
  readParameter(field.substr(0, first), "start", dim, start);
  readParameter(
      field.substr(first + 1, second == std::string_view::npos ? std::string_view::npos : second - first - 1),
      "stop", dim, stop);
  if (second != std::string_view::npos) readParameter(field.substr(second + 1), "step", dim, step);
  appendDimension(slab, start, stop, step, extent, dim);
}

std::vector<uint64_t> cOrderStrides(const std::vector<uint64_t>& shape) {
  std::vector<uint64_t> strides(shape.size());
  uint64_t stride = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

// Holds back each run until the next one shows it cannot be extended, so that callers see
// maximal runs even where the generators' structural merging stops (e.g. the last element
// of one row of a strided selection followed by the first of the next row).
template <class Sink>
class Coalescer {
 public:
  explicit Coalescer(Sink& sink) : sink_(sink) {}
  void add(uint64_t storage, uint64_t value, uint64_t length) {
    if (length_ != 0 && storage == storage_ + length_ && value == value_ + length_) {
      length_ += length;
      return;
    }
    flush();
    storage_ = storage;
    value_ = value;
    length_ = length;
  }
  void flush() {
    if (length_ != 0) sink_(storage_, value_, length_);
    length_ = 0;
  }

 private:
  Sink& sink_;
  uint64_t storage_ = 0, value_ = 0, length_ = 0;
};

// Walks a hyperslab laid over one C-order storage block (the whole dataset, or one chunk)
// and emits runs contiguous both in storage and in value order. The trailing dimensions
// that together form such a run are folded into one length, so the loop runs once per run,
// never once per element. Scratch space is kept across calls (one walker per chunk loop).
class SlabWalker {
 public:
  explicit SlabWalker(std::size_t rank) : rank_(rank), storageStride_(rank), index_(rank) {}

  // extent: the block's shape; start/count: local to the block; selCount: the whole
  // selection's count (a dimension the block holds only part of breaks value contiguity);
  // valueStride/valueBase: where the block's first selected element sits in value order.
  template <class Add>
  void walk(const uint64_t* extent, const uint64_t* start, const uint64_t* count, const uint64_t* step,
            const uint64_t* selCount, const uint64_t* valueStride, uint64_t valueBase, Add& add) {
    uint64_t stride = 1;
    for (std::size_t d = rank_; d-- > 0;) {
      storageStride_[d] = stride;
      stride *= extent[d];
    }
    // Dimensions [inner, rank) make up one run. A dimension joins when it adds no iteration
    // (count 1) or when it has step 1 and everything inside it covers whole rows both of
    // the block and of the selection.
    std::size_t inner = rank_;
    uint64_t runLength = 1;
    bool wholeRows = true;
    while (inner > 0) {
      std::size_t d = inner - 1;
      if (count[d] > 1 && !(step[d] == 1 && wholeRows)) break;
      runLength *= count[d];
      wholeRows = wholeRows && count[d] == extent[d] && count[d] == selCount[d];
      inner = d;
    }
    uint64_t storage = 0;
    for (std::size_t d = 0; d < rank_; ++d) storage += start[d] * storageStride_[d];
    uint64_t value = valueBase;
    std::fill(index_.begin(), index_.begin() + inner, 0);
    for (;;) {
      add(storage, value, runLength);
      // Odometer over the outer dimensions; unsigned wrap-around on the rewind is harmless
      // because the same amounts were added before.
      std::size_t d = inner;
      for (;;) {
        if (d == 0) return;
        --d;
        if (++index_[d] < count[d]) {
          storage += step[d] * storageStride_[d];
          value += valueStride[d];
          break;
        }
        index_[d] = 0;
        storage -= (count[d] - 1) * step[d] * storageStride_[d];
        value -= (count[d] - 1) * valueStride[d];
      }
    }
  }

 private:
  std::size_t rank_;
  std::vector<uint64_t> storageStride_;
  std::vector<uint64_t> index_;
};

// The chunks one dimension of a hyperslab touches, and which of its selection indices fall
// in each: [first, end).
struct DimensionChunk {
  uint64_t chunk;
  uint64_t first;
  uint64_t end;
};

std::vector<DimensionChunk> touchedChunks(uint64_t start, uint64_t count, uint64_t step, uint64_t chunkDim) {
  std::vector<DimensionChunk> touched;
  uint64_t i = 0;
  while (i < count) {
    uint64_t coord = start + i * step;
    uint64_t chunk = coord / chunkDim;
    uint64_t leftInChunk = chunkDim - (coord - chunk * chunkDim);  // >= 1
    // Jump straight to the first index past this chunk: a step larger than the chunk skips
    // chunks without visiting them.
    uint64_t inChunk = (leftInChunk - 1) / step + 1;
    uint64_t end = inChunk >= count - i ? count : i + inChunk;
    touched.push_back({chunk, i, end});
    i = end;
  }
  return touched;
}

}  // namespace

Selection Selection::all(const std::vector<uint64_t>& dims) {
  Selection sel;
  sel.kind_ = Kind::All;
  sel.rank_ = dims.size();
  sel.slab_.start.assign(dims.size(), 0);
  sel.slab_.count = dims;
  sel.slab_.step.assign(dims.size(), 1);
  return sel;
}

Selection Selection::hyperslab(Hyperslab slab) {
  if (slab.start.size() != slab.count.size() || slab.step.size() != slab.count.size()) {
    fail("Invalid hyperslab: start, count and step must have one entry per dimension");
  }
  for (std::size_t d = 0; d < slab.step.size(); ++d) {
    if (slab.step[d] == 0) fail(forDimension("Invalid selection step parameter", d));
  }
  Selection sel;
  sel.kind_ = Kind::Hyperslab;
  sel.rank_ = slab.count.size();
  sel.slab_ = std::move(slab);
  return sel;
}

Selection Selection::points(std::vector<std::vector<uint64_t>> points, std::size_t rank) {
  if (rank == 0) fail("Point selection is not supported on scalar datasets");
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != rank) {
      fail("Invalid point selection: point " + std::to_string(i) + " has " +
           std::to_string(points[i].size()) + " coordinates for a dataset of rank " + std::to_string(rank));
    }
  }
  Selection sel;
  sel.kind_ = Kind::Points;
  sel.rank_ = rank;
  sel.points_ = std::move(points);
  return sel;
}

Selection Selection::parse(const std::string& text, const std::vector<uint64_t>& dims) {
  std::string_view body = trim(text);
  bool opens = !body.empty() && body.front() == '[';
  bool closes = !body.empty() && body.back() == ']';
  if (opens && !closes) fail("Invalid selection: missing end bracket");
  if (closes && !opens) fail("Invalid selection: missing start bracket");
  if (opens) body = trim(body.substr(1, body.size() - 2));

  // HSDS's per-dimension coordinate lists ([[1,5,7],0:10]) are not supported; say so rather
  // than report the commas inside the list as extra dimensions.
  auto bracket = body.find_first_of("[]");
  if (bracket != std::string_view::npos) {
    auto dim = std::count(body.begin(), body.begin() + bracket, ',');
    fail(forDimension("Invalid selection: coordinate lists are not supported", dim));
  }

  std::vector<std::string_view> fields;
  if (!body.empty()) {
    std::size_t from = 0;
    for (;;) {
      auto comma = body.find(',', from);
      fields.push_back(trim(body.substr(from, comma == std::string_view::npos ? comma : comma - from)));
      if (comma == std::string_view::npos) break;
      from = comma + 1;
    }
  }
  // Empty entries first, so that "[2:5,]" is reported as the stray comma it is rather than
  // as a rank mismatch.
  for (std::size_t d = 0; d < fields.size(); ++d) {
    if (fields[d].empty()) fail(forDimension("Invalid selection: missing entry (stray comma?)", d));
  }
  if (fields.size() != dims.size()) {
    fail("Invalid selection: " + std::to_string(fields.size()) + " dimensions given for a dataset of rank " +
         std::to_string(dims.size()));
  }
  if (dims.empty()) return all(dims);

  Hyperslab slab;
  for (std::size_t d = 0; d < dims.size(); ++d) parseDimension(fields[d], dims[d], d, slab);
  return hyperslab(std::move(slab));
}

Selection Selection::fromStartStopStep(const std::vector<int64_t>* start, const std::vector<int64_t>* stop,
                                       const std::vector<int64_t>* step, const std::vector<uint64_t>& dims) {
  auto checkLength = [&](const std::vector<int64_t>* values, const char* name) {
    if (values != nullptr && values->size() != dims.size()) {
      fail(std::string("Invalid selection: ") + name + " has " + std::to_string(values->size()) +
           " entries for a dataset of rank " + std::to_string(dims.size()));
    }
  };
  checkLength(start, "start");
  checkLength(stop, "stop");
  checkLength(step, "step");
  if (dims.empty()) return all(dims);

  Hyperslab slab;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    auto read = [&](const std::vector<int64_t>* values, const char* name, uint64_t fallback) {
      if (values == nullptr) return fallback;
      int64_t v = (*values)[d];
      if (v < 0) fail(forDimension(std::string("Invalid selection ") + name + " parameter (negative)", d));
      return static_cast<uint64_t>(v);
    };
    appendDimension(slab, read(start, "start", 0), read(stop, "stop", dims[d]), read(step, "step", 1),
                    dims[d], d);
  }
  return hyperslab(std::move(slab));
}

uint64_t Selection::size() const {
  if (kind_ == Kind::Points) return points_.size();
  return checkedProduct(slab_.count, "Selection");
}

std::vector<uint64_t> Selection::shape() const {
  if (kind_ == Kind::Points) return {points_.size()};
  return slab_.count;
}

void Selection::validate(const std::vector<uint64_t>& dims) const {
  if (dims.size() != rank_) {
    fail("Invalid selection: rank " + std::to_string(rank_) + " does not match the dataset's rank " +
         std::to_string(dims.size()));
  }
  if (kind_ == Kind::Points) {
    for (std::size_t i = 0; i < points_.size(); ++i) {
      for (std::size_t d = 0; d < rank_; ++d) {
        if (points_[i][d] >= dims[d]) {
          fail("Invalid point selection: point " + std::to_string(i) +
               " is out of range for dimension: " + std::to_string(d));
        }
      }
    }
    return;
  }
  for (std::size_t d = 0; d < rank_; ++d) {
    uint64_t start = slab_.start[d], count = slab_.count[d], step = slab_.step[d];
    if (count == 0) {
      if (start > dims[d]) fail(forDimension("Invalid selection start parameter", d));
      continue;
    }
    // The last selected index, start + (count - 1) * step, must be < dims[d]; written so
    // that it cannot overflow.
    if (start >= dims[d] || (count - 1) > (dims[d] - 1 - start) / step) {
      fail(forDimension("Invalid selection: past the dataset's extent", d));
    }
  }
}

void Selection::forEachRun(const std::vector<uint64_t>& dims,
                           const std::function<void(uint64_t first, uint64_t length)>& fn) const {
  validate(dims);
  runsUnchecked(dims, fn);
}

void Selection::runsUnchecked(const std::vector<uint64_t>& dims,
                              const std::function<void(uint64_t first, uint64_t length)>& fn) const {
  // Linear indices must be representable; a contiguous dataset that large cannot exist.
  checkedProduct(dims, "Dataset");
  if (size() == 0) return;

  auto sink = [&fn](uint64_t storage, uint64_t, uint64_t length) { fn(storage, length); };
  Coalescer<decltype(sink)> out(sink);
  auto add = [&out](uint64_t storage, uint64_t value, uint64_t length) { out.add(storage, value, length); };

  if (kind_ == Kind::Points) {
    auto strides = cOrderStrides(dims);
    for (std::size_t i = 0; i < points_.size(); ++i) {
      uint64_t offset = 0;
      for (std::size_t d = 0; d < rank_; ++d) offset += points_[i][d] * strides[d];
      out.add(offset, i, 1);
    }
  } else {
    auto valueStrides = cOrderStrides(slab_.count);
    SlabWalker walker(rank_);
    walker.walk(dims.data(), slab_.start.data(), slab_.count.data(), slab_.step.data(), slab_.count.data(),
                valueStrides.data(), 0, add);
  }
  out.flush();
}

void Selection::forEachChunk(const std::vector<uint64_t>& dims, const std::vector<uint64_t>& chunkDims,
                             const std::function<void(const ChunkPiece&)>& fn) const {
  validate(dims);
  chunksUnchecked(dims, chunkDims, fn);
}

void Selection::chunksUnchecked(const std::vector<uint64_t>& dims, const std::vector<uint64_t>& chunkDims,
                                const std::function<void(const ChunkPiece&)>& fn) const {
  if (chunkDims.size() != rank_) {
    throw InternalError("Chunk layout rank " + std::to_string(chunkDims.size()) + " does not match rank " +
                        std::to_string(rank_));
  }
  for (std::size_t d = 0; d < rank_; ++d) {
    if (chunkDims[d] == 0) throw InternalError(forDimension("Chunk size 0", d));
  }
  if (size() == 0) return;

  ChunkPiece piece;
  piece.chunk.resize(rank_);
  auto sink = [&piece](uint64_t storage, uint64_t value, uint64_t length) {
    piece.runs.push_back({storage, value, length});
  };
  Coalescer<decltype(sink)> out(sink);
  auto add = [&out](uint64_t storage, uint64_t value, uint64_t length) { out.add(storage, value, length); };

  if (kind_ == Kind::Points) {
    // Group by chunk, ascending in row-major chunk order; the stable sort keeps request order
    // within a chunk. Chunk coordinates are compared as tuples: a linear chunk number could
    // overflow for extensible dimensions.
    const std::size_t n = points_.size();
    std::vector<uint64_t> chunkOf(n * rank_);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t d = 0; d < rank_; ++d) chunkOf[i * rank_ + d] = points_[i][d] / chunkDims[d];
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto chunkBegin = [&](std::size_t i) { return chunkOf.begin() + i * rank_; };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::lexicographical_compare(chunkBegin(a), chunkBegin(a) + rank_, chunkBegin(b),
                                          chunkBegin(b) + rank_);
    });
    auto chunkStrides = cOrderStrides(chunkDims);
    for (std::size_t k = 0; k < n;) {
      std::size_t group = order[k];
      std::copy(chunkBegin(group), chunkBegin(group) + rank_, piece.chunk.begin());
      piece.runs.clear();
      for (; k < n && std::equal(chunkBegin(order[k]), chunkBegin(order[k]) + rank_, chunkBegin(group));
           ++k) {
        std::size_t i = order[k];
        uint64_t offset = 0;
        for (std::size_t d = 0; d < rank_; ++d) {
          offset += (points_[i][d] - piece.chunk[d] * chunkDims[d]) * chunkStrides[d];
        }
        out.add(offset, i, 1);
      }
      out.flush();
      fn(piece);
    }
    return;
  }

  // A hyperslab touches the cartesian product of the chunks each dimension touches, so
  // walking that product visits exactly the touched chunks, in row-major order.
  std::vector<std::vector<DimensionChunk>> perDim(rank_);
  for (std::size_t d = 0; d < rank_; ++d) {
    perDim[d] = touchedChunks(slab_.start[d], slab_.count[d], slab_.step[d], chunkDims[d]);
  }
  auto valueStrides = cOrderStrides(slab_.count);
  std::vector<std::size_t> position(rank_, 0);
  std::vector<uint64_t> localStart(rank_), localCount(rank_);
  SlabWalker walker(rank_);
  for (;;) {
    uint64_t valueBase = 0;
    for (std::size_t d = 0; d < rank_; ++d) {
      const DimensionChunk& dc = perDim[d][position[d]];
      piece.chunk[d] = dc.chunk;
      localStart[d] = slab_.start[d] + dc.first * slab_.step[d] - dc.chunk * chunkDims[d];
      localCount[d] = dc.end - dc.first;
      valueBase += dc.first * valueStrides[d];
    }
    piece.runs.clear();
    walker.walk(chunkDims.data(), localStart.data(), localCount.data(), slab_.step.data(), slab_.count.data(),
                valueStrides.data(), valueBase, add);
    out.flush();
    fn(piece);

    std::size_t d = rank_;
    for (;;) {
      if (d == 0) return;
      --d;
      if (++position[d] < perDim[d].size()) break;
      position[d] = 0;
    }
  }
}

}  // namespace strata::arrays
