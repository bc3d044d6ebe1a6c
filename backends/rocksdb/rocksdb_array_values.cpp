// The rocksdb arrays store, part 2: dataset values (metadata is in rocksdb_array_store.cpp).
//
// Layout of column family "arrays_chunks", one key per chunk, as HSDS keeps one object per
// chunk:
//
//   <container>\0\1 <dataset id>\0\1 <chunk coordinates: one big-endian uint64 per dimension>
//
// so a dataset's chunks sort together in row-major chunk order, and deleting a dataset or a
// container is one DeleteRange. Datasets are always chunked: in the chunk shape the client
// gave (halved while a chunk would exceed 16 MiB) or, for contiguous datasets, one chosen
// near 1 MiB (rocksdb_array_store.cpp, chooseLayout); DatasetInfo::chunks still reports what
// the client asked for. A scalar dataset is one chunk of one element, with no coordinates.
// - Fixed-size types: a chunk is the packed bytes of all its elements in C order over the chunk
//   shape; edge chunks are stored full-size.
// - Variable-length types: a chunk is the packed forms of all its elements back to back (each
//   is self-delimiting).
// A chunk never written is not stored and reads as the fill value (or zeros). Every stored cell
// outside the dataset's current extent holds that value too (writes never touch such cells and
// shrinking clears them), so growing a dataset needs no chunk work. Compression is RocksDB's, per
// column family (the store's `compression` setting); the filters a client asks for are recorded
// and reported but not applied.
//
// Reads take a snapshot, so one read sees one state of the dataset and its chunks, whatever
// writers do meanwhile. A selection is processed in pieces (arrays/piece_walk.h), in value
// order, each holding at most ~16 MiB of values (up to 64 MiB when that lets a piece cover a
// whole row of chunks, so that no chunk is read twice); within a piece, PieceWalk::forEachChunk
// visits exactly the chunks the piece touches, one Get each. A read holds one piece and one
// chunk. A selection whose rows are larger than the piece bound reads some chunks once per piece
// that crosses them: clients that page by chunk rows (h5pyd does) never pay that.
//
// Writes run under the dataset's stripe of datasetLocks_ (read-modify-write of partial chunks),
// after every check that can refuse them: a write that is refused changes nothing. Fixed-size
// values stream from the source piece by piece; variable-length values are pulled whole first
// (their elements must all be counted before anything is written). Changed chunks are kept
// until 64 MiB are pending, then committed in one WriteBatch, each batch checking under the
// container's lock that the dataset still exists; the last batch also carries the dataset's new
// modified time. A write that fits in one batch is atomic; a larger one whose source fails part
// way leaves its earlier batches written, as an HDF5 write would.
#include <Poco/JSON/Array.h>
#include <strata/arrays/block_sink.h>
#include <strata/arrays/piece_walk.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "rocksdb_array_store.h"
#include "rocksdb_array_support.h"

namespace strata::rocksdb {

using arrays::Datatype;
using arrays::Selection;

namespace {

using Run = Selection::ChunkPiece::Run;
using Coords = std::vector<uint64_t>;

constexpr uint64_t kMaxSlabBytes = 64 << 20;  // what a piece may grow to, to cover a row of chunks
constexpr uint64_t kBatchBytes = 64 << 20;    // chunk bytes per WriteBatch

uint64_t chunkBytes(const RocksDbArrayStore::Dataset& d) { return d.chunkElements * d.type->size; }

// Pieces of ~kPieceBytes of values, aligned to the stored chunk shape (see the top of the file).
arrays::PiecePlan piecePlan(const RocksDbArrayStore::Dataset& d) {
  arrays::PiecePlan plan;
  plan.elementBytes = d.type->fixedSize() ? d.type->size : kVariableElementGuess;
  plan.chunks = d.layout;
  plan.maxAlignedBytes = kMaxSlabBytes;
  return plan;
}

// Calls fn(chunk coordinates, runs) for each chunk a piece of `walk` touches, in chunk order.
template <typename Fn>
void forEachChunkOf(const RocksDbArrayStore::Dataset& d, const arrays::PieceWalk& walk,
                    const arrays::Piece& part, Fn&& fn) {
  if (d.cls == ShapeClass::Scalar) {
    static const Coords none;
    const std::vector<Run> runs{{0, 0, 1}};
    fn(none, runs);
    return;
  }
  walk.forEachChunk(part, d.dims, d.layout, [&](const Selection::ChunkPiece& p) { fn(p.chunk, p.runs); });
}

// Calls fn(first, length) for the runs of cells (C order over `shape`) that lie outside
// `inside` (the part of the chunk within the extent, per dimension), in ascending order.
template <typename Fn>
void forEachOutsideRun(const Coords& shape, const Coords& inside, Fn&& fn) {
  const std::size_t rank = shape.size();
  const uint64_t row = shape[rank - 1];
  uint64_t rows = 1;
  for (std::size_t i = 0; i + 1 < rank; ++i) rows *= shape[i];
  Coords at(rank, 0);
  for (uint64_t r = 0; r < rows; ++r) {
    bool rowOutside = false;
    for (std::size_t i = 0; i + 1 < rank; ++i) rowOutside = rowOutside || at[i] >= inside[i];
    if (rowOutside)
      fn(r * row, row);
    else if (inside[rank - 1] < row)
      fn(r * row + inside[rank - 1], row - inside[rank - 1]);
    for (std::size_t i = rank - 1; i-- > 0;) {
      if (++at[i] < shape[i]) break;
      at[i] = 0;
    }
  }
}

}  // namespace

// ------------------------------------------------------------------ committing chunks

// The chunks a write or resize changes, committed in batches of about kBatchBytes.
class RocksDbArrayStore::ChunkWriter {
 public:
  ChunkWriter(RocksDbArrayStore& store, const std::string& c, const Dataset& d)
      : store_(store), c_(c), d_(d) {}

  // The chunk at `key`, to change in place: as pending, as stored, or all unwritten. With
  // `whole` the caller replaces every element, so the stored chunk is not read (fixed-size
  // types get chunkBytes of zeros, variable-length ones an empty string).
  std::string& chunk(const std::string& key, bool whole) {
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      if (!it->second) it->second = unwrittenChunk();
      return *it->second;
    }
    std::string value;
    if (whole) {
      if (d_.type->fixedSize()) value.assign(chunkBytes(d_), '\0');
    } else {
      ::rocksdb::PinnableSlice stored;
      if (store_.fetchChunk(::rocksdb::ReadOptions(), key, stored)) {
        if (d_.type->fixedSize() && stored.size() != chunkBytes(d_)) corruptChunk(stored.size());
        value.assign(stored.data(), stored.size());
      } else {
        value = unwrittenChunk();
      }
    }
    pendingBytes_ += value.size();
    return *pending_.emplace(key, std::move(value)).first->second;
  }

  void put(const std::string& key, std::string value) {
    pendingBytes_ += value.size();
    pending_[key] = std::move(value);
  }
  void drop(const std::string& key) { pending_[key] = std::nullopt; }
  // A pending chunk grew or shrank by (after - before) bytes.
  void resized(std::size_t before, std::size_t after) { pendingBytes_ += after - before; }

  // Commits a batch once enough is pending (between chunks, never inside one).
  void maybeCommit() {
    if (pendingBytes_ >= kBatchBytes) commit(nullptr);
  }

  // Commits the rest with the dataset's new modified time, after update(document) (if given).
  void finish(const std::function<void(Poco::JSON::Object::Ptr)>& update) {
    const std::function<void(Poco::JSON::Object::Ptr)> none = [](const auto&) {};
    commit(update ? &update : &none);
  }

  [[noreturn]] void corruptChunk(std::size_t size) const {
    store_.corrupt(
        c_, "chunk of dataset '" + d_.object.id + "'",
        "it holds " + std::to_string(size) + " bytes instead of " + std::to_string(chunkBytes(d_)));
  }

 private:
  std::string unwrittenChunk() const {
    std::string value(static_cast<std::size_t>(d_.chunkElements * d_.unwritten.size()), '\0');
    repeatElement(d_.unwritten, d_.chunkElements, value.data());
    return value;
  }

  // `last`: the final batch, with the dataset document. Earlier batches only check, under
  // the container's lock, that the dataset still exists: one deleted meanwhile (with its
  // container, which takes no dataset lock) gets no chunks written after its deletion.
  void commit(const std::function<void(Poco::JSON::Object::Ptr)>* last) {
    ::rocksdb::WriteBatch batch;
    const std::string what = "writing dataset '" + d_.object.id + "' of domain '" + c_ + "'";
    // Moved into the batch one by one, so that a chunk is never held twice.
    for (auto it = pending_.begin(); it != pending_.end(); it = pending_.erase(it)) {
      if (it->second)
        store_.db_->check(batch.Put(store_.chunks_, it->first, *it->second), what);
      else
        store_.db_->check(batch.Delete(store_.chunks_, it->first), what);
    }
    pendingBytes_ = 0;
    const ::rocksdb::ReadOptions ro;
    const ObjectKind kind = ObjectKind::Dataset;
    if (!last) {
      if (batch.Count() == 0) return;
      std::shared_lock lock(store_.containerLock(c_));
      store_.requireContainer(c_, ro);
      store_.findObject(c_, d_.object.id, ro, &kind);
      store_.db_->write(store_.interim_, batch, what);
      return;
    }
    std::unique_lock lock(store_.containerLock(c_));
    Poco::JSON::Object::Ptr record = store_.requireContainer(c_, ro);
    ObjectDoc doc = store_.findObject(c_, d_.object.id, ro, &kind);
    (*last)(doc.json);
    store_.touch(c_, doc, record, nowMillis(), batch);
    store_.db_->write(store_.write_, batch, what);
  }

  RocksDbArrayStore& store_;
  const std::string& c_;
  const Dataset& d_;
  // Chunk key -> new value, or nullopt to delete it.
  std::map<std::string, std::optional<std::string>> pending_;
  uint64_t pendingBytes_ = 0;
};

// ------------------------------------------------------------------ values

arrays::PieceWalk RocksDbArrayStore::walk(const Dataset& d, const Selection& sel) {
  return arrays::PieceWalk(sel, d.cls, d.dims, "dataset '" + d.object.id + "'");
}

bool RocksDbArrayStore::fetchChunk(const ::rocksdb::ReadOptions& ro, const std::string& key,
                                   ::rocksdb::PinnableSlice& value) {
  value.Reset();
  const ::rocksdb::Status s = db_->db().Get(ro, chunks_, key, &value);
  if (s.IsNotFound()) return false;
  db_->check(s, "reading a dataset chunk");
  return true;
}

void RocksDbArrayStore::read(const std::string& c, const std::string& id, const Selection& sel,
                             const ByteSink& sink) {
  const SnapshotRead view(*db_);
  const ::rocksdb::ReadOptions& ro = view.options();
  requireContainer(c, ro);
  const Dataset d = loadDataset(c, id, ro);
  const arrays::PieceWalk pieces = walk(d, sel);
  if (pieces.elements() == 0) return;
  if (d.type->fixedSize())
    readFixed(c, d, pieces, ro, sink);
  else
    readVariable(c, d, pieces, ro, sink);
}

void RocksDbArrayStore::readFixed(const std::string& c, const Dataset& d, const arrays::PieceWalk& pieces,
                                  const ::rocksdb::ReadOptions& ro, const ByteSink& sink) {
  const std::size_t size = d.type->size;
  std::string out;
  ::rocksdb::PinnableSlice chunk;
  pieces.forEach(piecePlan(d), [&](const arrays::Piece& part) {
    out.resize(static_cast<std::size_t>(part.elements * size));
    forEachChunkOf(d, pieces, part, [&](const Coords& coords, const std::vector<Run>& runs) {
      const bool found = fetchChunk(ro, chunkKey(d.chunkPrefix, coords), chunk);
      if (found && chunk.size() != chunkBytes(d))
        corrupt(c, "chunk of dataset '" + d.object.id + "'",
                "it holds " + std::to_string(chunk.size()) + " bytes instead of " +
                    std::to_string(chunkBytes(d)));
      for (const Run& r : runs) {
        char* to = out.data() + r.valueOffset * size;
        if (found)
          std::memcpy(to, chunk.data() + r.chunkOffset * size, r.length * size);
        else
          repeatElement(d.unwritten, r.length, to);
      }
    });
    for (std::size_t pos = 0; pos < out.size(); pos += arrays::kSinkBlock)
      sink(out.data() + pos, std::min(arrays::kSinkBlock, out.size() - pos));
  });
}

void RocksDbArrayStore::readVariable(const std::string& c, const Dataset& d, const arrays::PieceWalk& pieces,
                                     const ::rocksdb::ReadOptions& ro, const ByteSink& sink) {
  arrays::BlockSink out(sink);
  std::string arena;                                 // the piece's elements, as found
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // per value: offset and size in arena
  ::rocksdb::PinnableSlice chunk;
  pieces.forEach(piecePlan(d), [&](const arrays::Piece& part) {
    arena.clear();
    spans.assign(static_cast<std::size_t>(part.elements), {0, 0});
    uint64_t unwrittenAt = std::numeric_limits<uint64_t>::max();
    forEachChunkOf(d, pieces, part, [&](const Coords& coords, const std::vector<Run>& runs) {
      std::vector<uint64_t> offsets;
      const bool found = fetchChunk(ro, chunkKey(d.chunkPrefix, coords), chunk);
      if (found) {
        try {
          offsets = splitElements(*d.type, chunk.data(), chunk.size(), d.chunkElements);
        } catch (const BadRequest& e) {
          corrupt(c, "chunk of dataset '" + d.object.id + "'", e.what());
        }
      } else if (unwrittenAt == std::numeric_limits<uint64_t>::max()) {
        unwrittenAt = arena.size();
        arena += d.unwritten;
      }
      for (const Run& r : runs) {
        for (uint64_t j = 0; j < r.length; ++j) {
          auto& span = spans[r.valueOffset + j];
          if (found) {
            const uint64_t at = offsets[r.chunkOffset + j];
            span = {arena.size(), offsets[r.chunkOffset + j + 1] - at};
            arena.append(chunk.data() + at, span.second);
          } else {
            span = {unwrittenAt, d.unwritten.size()};
          }
        }
      }
    });
    for (const auto& [at, size] : spans) out.put(arena.data() + at, size);
  });
  out.flush();
}

void RocksDbArrayStore::write(const std::string& c, const std::string& id, const Selection& sel,
                              const ByteSource& source, uint64_t bytes) {
  std::lock_guard valueLock(datasetLock(c, id));
  const ::rocksdb::ReadOptions ro;
  requireContainer(c, ro);
  const Dataset d = loadDataset(c, id, ro);
  const arrays::PieceWalk pieces = walk(d, sel);
  const uint64_t count = pieces.elements();
  const Datatype& type = *d.type;
  const bool points = sel.kind() == Selection::Kind::Points;
  ChunkWriter writer(*this, c, d);

  if (type.fixedSize()) {
    const std::size_t size = type.size;
    arrays::checkValueBytes(type, count, bytes);
    std::string in;
    uint64_t pulled = 0;
    pieces.forEach(piecePlan(d), [&](const arrays::Piece& part) {
      const uint64_t n = part.elements;
      in.resize(static_cast<std::size_t>(n * size));
      arrays::pullBytes(source, in.data(), n * size, pulled, bytes);
      forEachChunkOf(d, pieces, part, [&](const Coords& coords, const std::vector<Run>& runs) {
        uint64_t covered = 0;
        for (const Run& r : runs) covered += r.length;
        // A hyperslab selects each cell once: covering as many cells as the chunk holds means
        // covering all of them. Points may repeat.
        const bool whole = !points && covered == d.chunkElements;
        std::string& chunk = writer.chunk(chunkKey(d.chunkPrefix, coords), whole);
        for (const Run& r : runs)
          std::memcpy(chunk.data() + r.chunkOffset * size, in.data() + r.valueOffset * size, r.length * size);
        writer.maybeCommit();
      });
    });
  } else {
    // Elements are self-delimiting and must all be counted before anything is written (a
    // refused write changes nothing), so the value is pulled whole; callers bound the size of
    // variable-length requests.
    std::string in;
    in.reserve(static_cast<std::size_t>(std::min<uint64_t>(bytes, kBatchBytes)));
    uint64_t pulled = 0;
    std::string piece(static_cast<std::size_t>(std::min<uint64_t>(std::max<uint64_t>(bytes, 1), 1 << 20)),
                      '\0');
    while (pulled < bytes) {
      const uint64_t want = std::min<uint64_t>(bytes - pulled, piece.size());
      arrays::pullBytes(source, piece.data(), want, pulled, bytes);
      in.append(piece.data(), static_cast<std::size_t>(want));
    }
    const std::vector<uint64_t> values = splitElements(type, in.data(), in.size(), count);
    pieces.forEach(piecePlan(d), [&](const arrays::Piece& part) {
      const uint64_t base = part.firstValue;
      forEachChunkOf(d, pieces, part, [&](const Coords& coords, const std::vector<Run>& runs) {
        uint64_t covered = 0;
        for (const Run& r : runs) covered += r.length;
        const bool whole = !points && covered == d.chunkElements;
        std::string& chunk = writer.chunk(chunkKey(d.chunkPrefix, coords), whole);
        // The chunk's elements as (data, size), old ones first, then the new ones over them.
        std::vector<std::pair<const char*, uint64_t>> elements(static_cast<std::size_t>(d.chunkElements),
                                                               {nullptr, 0});
        if (!whole) {
          std::vector<uint64_t> offsets;
          try {
            offsets = splitElements(type, chunk.data(), chunk.size(), d.chunkElements);
          } catch (const BadRequest& e) {
            corrupt(c, "chunk of dataset '" + d.object.id + "'", e.what());
          }
          for (uint64_t k = 0; k < d.chunkElements; ++k)
            elements[k] = {chunk.data() + offsets[k], offsets[k + 1] - offsets[k]};
        }
        for (const Run& r : runs)
          for (uint64_t j = 0; j < r.length; ++j) {
            const uint64_t v = base + r.valueOffset + j;
            elements[r.chunkOffset + j] = {in.data() + values[v], values[v + 1] - values[v]};
          }
        std::size_t total = 0;
        for (const auto& e : elements) total += e.second;
        std::string updated;
        updated.reserve(total);
        for (const auto& e : elements) updated.append(e.first, e.second);
        writer.resized(chunk.size(), updated.size());
        chunk = std::move(updated);
        writer.maybeCommit();
      });
    });
  }
  writer.finish(nullptr);
}

void RocksDbArrayStore::resize(const std::string& c, const std::string& id,
                               const std::vector<uint64_t>& dims) {
  std::lock_guard valueLock(datasetLock(c, id));
  const ::rocksdb::ReadOptions ro;
  requireContainer(c, ro);
  const Dataset d = loadDataset(c, id, ro);
  arrays::checkResize("dataset '" + id + "'", d.cls, d.dims, d.maxdims, dims);
  if (dims == d.dims) return;
  const std::size_t rank = d.dims.size();

  ChunkWriter writer(*this, c, d);
  // Shrinking: chunks wholly outside the new extent go; those it cuts through get the cells
  // outside set to the unwritten element (the invariant that lets growing skip the chunks).
  // `reach[i]`: the first chunk coordinate along a shrinking dimension i that has cells past
  // the new extent; only chunks at or past it in some shrinking dimension are visited.
  std::vector<uint64_t> reach(rank, std::numeric_limits<uint64_t>::max());
  std::size_t lastShrinking = rank;
  for (std::size_t i = 0; i < rank; ++i)
    if (dims[i] < d.dims[i]) {
      reach[i] = dims[i] / d.layout[i];
      lastShrinking = i;
    }
  if (lastShrinking != rank) {
    const std::string end = prefixEnd(d.chunkPrefix);
    const ::rocksdb::Slice upper(end);
    ::rocksdb::ReadOptions iro;
    iro.iterate_upper_bound = &upper;
    std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(iro, chunks_));
    Coords coords(rank), origin(rank), inside(rank);
    it->Seek(d.chunkPrefix);
    while (it->Valid()) {
      const ::rocksdb::Slice key = it->key();
      if (key.size() != d.chunkPrefix.size() + 8 * rank)
        corrupt(c, "chunk key of dataset '" + id + "'", "wrong length");
      bool cut = false, outside = false;
      for (std::size_t i = 0; i < rank; ++i) {
        coords[i] = readBigEndian64(key.data() + d.chunkPrefix.size() + 8 * i);
        origin[i] = coords[i] * d.layout[i];
        cut = cut || coords[i] >= reach[i];
        outside = outside || origin[i] >= dims[i];
      }
      if (!cut) {
        // Skip to the next chunk that reaches past the extent in the last shrinking
        // dimension; no chunk in between does in any.
        Coords next(coords.begin(), coords.begin() + lastShrinking);
        next.push_back(reach[lastShrinking]);
        next.resize(rank, 0);
        it->Seek(chunkKey(d.chunkPrefix, next));
        continue;
      }
      const std::string k = key.ToString();
      if (outside) {
        writer.drop(k);
      } else {
        for (std::size_t i = 0; i < rank; ++i) inside[i] = std::min(d.layout[i], dims[i] - origin[i]);
        std::string value = it->value().ToString();
        if (d.type->fixedSize()) {
          if (value.size() != chunkBytes(d)) writer.corruptChunk(value.size());
          const std::size_t size = d.type->size;
          forEachOutsideRun(d.layout, inside, [&](uint64_t first, uint64_t n) {
            repeatElement(d.unwritten, n, value.data() + first * size);
          });
        } else {
          std::vector<uint64_t> offsets;
          try {
            offsets = splitElements(*d.type, value.data(), value.size(), d.chunkElements);
          } catch (const BadRequest& e) {
            corrupt(c, "chunk of dataset '" + id + "'", e.what());
          }
          std::string updated;
          uint64_t kept = 0;  // elements copied so far
          forEachOutsideRun(d.layout, inside, [&](uint64_t first, uint64_t n) {
            updated.append(value, offsets[kept], offsets[first] - offsets[kept]);
            for (uint64_t j = 0; j < n; ++j) updated += d.unwritten;
            kept = first + n;
          });
          updated.append(value, offsets[kept], offsets[d.chunkElements] - offsets[kept]);
          value = std::move(updated);
        }
        writer.put(k, std::move(value));
      }
      writer.maybeCommit();
      it->Next();
    }
    db_->check(it->status(), "reading the chunks of dataset '" + id + "'");
  }
  writer.finish([&](Poco::JSON::Object::Ptr doc) {
    Poco::JSON::Object::Ptr shape = doc->getObject("shape");
    if (!shape) corrupt(c, "document of dataset '" + id + "'", "no shape");
    shape->set("dims", u64Array(dims));
  });
}

}  // namespace strata::rocksdb
