// The hdf5 arrays store, dataset values: reads and writes walk the selection with the core's
// engine (strata/arrays/piece_walk.h) and move each piece through a pooled buffer.
#include "hdf5_array_store.h"
#include "hdf5_file_refs.h"
#include "hdf5_objects.h"

#include <strata/arrays/piece_walk.h>
#include <strata/arrays/validation.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace strata::hdf5 {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;

namespace {

// Reads and writes go to HDF5 in pieces of arrays::kPieceBytes of memory buffer
// (piece_walk.h), so a selection of any size needs bounded memory.
constexpr std::size_t kSlabBytes = arrays::kPieceBytes;

// Piece buffers of kSlabBytes, kept between requests: a fresh 16 MiB block costs 4096 page
// faults to fill, and glibc returns freed blocks of that size to the kernel. At most kKeep
// are kept (kKeep * 16 MiB of resident memory once the server has served big selections).
class PieceBuffers {
 public:
  static constexpr std::size_t kKeep = 2;
  // Small requests get a block of their own size; those of a quarter piece or more a
  // kept one (or a new one that will be kept).
  class Lease {
   public:
    explicit Lease(PieceBuffers& pool) : pool_(pool) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pooled_) pool_.give(std::move(data_));
    }
    // At least n bytes, uninitialised; the previous contents are not kept.
    char* get(std::size_t n) {
      if (data_ && n <= capacity_) return data_.get();
      if (pooled_) pool_.give(std::move(data_));
      pooled_ = n >= kSlabBytes / 4 && n <= kSlabBytes;
      capacity_ = pooled_ ? kSlabBytes : n;
      data_ = pooled_ ? pool_.take() : nullptr;
      if (!data_) data_.reset(new char[capacity_]);
      return data_.get();
    }

   private:
    PieceBuffers& pool_;
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    bool pooled_ = false;
  };

 private:
  std::unique_ptr<char[]> take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (spare_.empty()) return nullptr;
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  void give(std::unique_ptr<char[]> b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (b && spare_.size() < kKeep) spare_.push_back(std::move(b));
  }
  std::mutex mu_;
  std::vector<std::unique_ptr<char[]>> spare_;
};

PieceBuffers pieceBuffers;

// Selects the piece in the dataset's space and returns the matching memory space. A scalar
// dataset has nothing to select: the caller passes H5S_ALL for both.
Hid selectPiece(hid_t fileSpace, const arrays::Piece& p, bool scalar) {
  if (scalar) return Hid();
  const Selection& sel = p.selection;
  if (sel.kind() == Selection::Kind::Points) {
    const std::size_t rank = sel.rank();
    std::vector<hsize_t> coords(p.elements * rank);
    std::size_t at = 0;
    for (const auto& pt : sel.pointList()) {
      for (std::size_t d = 0; d < rank; ++d) coords[at++] = pt[d];
    }
    check<BadRequest>(H5Sselect_elements(fileSpace, H5S_SELECT_SET, p.elements, coords.data()),
                      "selecting points");
    const hsize_t n = p.elements;
    return own(H5Screate_simple(1, &n, nullptr), "creating a memory dataspace");
  }
  const arrays::Hyperslab& h = sel.slab();
  const std::vector<hsize_t> start(h.start.begin(), h.start.end());
  const std::vector<hsize_t> stride(h.step.begin(), h.step.end());
  const std::vector<hsize_t> count(h.count.begin(), h.count.end());
  check<BadRequest>(
      H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.data(), stride.data(), count.data(), nullptr),
      "selecting a hyperslab");
  // A memory space of the piece's own shape: with a 1-D one, HDF5 1.10 maps the selection
  // to chunks element by element (measured: 2-4% of direct H5Dread speed).
  return own(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
             "creating a memory dataspace");
}

// A dataset opened for its values: the handles and shape read() and write() both start from.
struct ValueHandles {
  Hid d, ftype, fspace;
  Shape shape;
};

ValueHandles openValues(H5File& f, const ObjRef& ref, const std::string& id) {
  ValueHandles h;
  h.d = openByAddr(f, ref.addr);
  h.ftype = own(H5Dget_type(h.d), "reading the type of dataset " + id);
  h.fspace = own(H5Dget_space(h.d), "reading the dataspace of dataset " + id);
  h.shape = shapeOf(h.fspace);
  return h;
}

// What read() and write() both set up before the walk: the selection, checked once against the
// dataset's shape; the codec; and one element's layout in a piece buffer (fixed-size types
// travel with the stored type, no conversion, bytes as stored; the others through the codec's
// memory type).
struct ValueIo {
  ValueIo(const ValueHandles& h, const Selection& sel, const std::string& id)
      : walk(sel, h.shape.cls, h.shape.dims, "dataset " + id),
        codec(hdf5::toDatatype(h.ftype)),
        memType(codec.direct() ? h.ftype.get() : codec.memType()),
        esize(codec.direct() ? H5Tget_size(h.ftype) : codec.memSize()),
        scalar(h.shape.cls == ShapeClass::Scalar) {
    plan.elementBytes = esize;
  }
  const arrays::PieceWalk walk;
  const hdf5::ValueCodec codec;
  const hid_t memType;
  const std::size_t esize;
  const bool scalar;
  arrays::PiecePlan plan;
};

// One piece's dataspaces for H5Dread/H5Dwrite: the piece selected in the file's dataspace and
// a memory dataspace of its size; a scalar dataset uses H5S_ALL for both.
class PieceSpaces {
 public:
  PieceSpaces(const Hid& fspace, const arrays::Piece& p, bool scalar)
      : mspace_(selectPiece(fspace, p, scalar)), fspace_(fspace.get()), scalar_(scalar) {}
  hid_t memory() const { return scalar_ ? H5S_ALL : mspace_.get(); }
  hid_t file() const { return scalar_ ? H5S_ALL : fspace_; }
  // The dataspace H5Dvlen_reclaim walks: the buffer's shape.
  hid_t reclaim() const { return scalar_ ? fspace_ : mspace_.get(); }

 private:
  Hid mspace_;
  hid_t fspace_;
  bool scalar_;
};

}  // namespace

void Hdf5ArrayStore::read(const std::string& c, const std::string& id, const Selection& sel,
                          const ByteSink& sink) {
  auto f = file(c);
  std::unique_lock<std::mutex> lock(f->mu);
  ValueHandles h = openValues(*f, resolveKind(*f, id, ObjectKind::Dataset, logger_), id);
  const ValueIo io(h, sel, id);
  lock.unlock();

  FileRefs refs(*f, logger_);
  PieceBuffers::Lease lease(pieceBuffers);
  std::string packed;
  io.walk.forEach(io.plan, [&](const arrays::Piece& p) {
    const std::size_t n = p.elements * io.esize;
    char* buf = lease.get(n);
    // Variable-length members are pointers HDF5 fills in: start them null.
    if (!io.codec.direct()) std::memset(buf, 0, n);
    std::unique_lock<std::mutex> pieceLock(f->mu);
    const PieceSpaces spaces(h.fspace, p, io.scalar);
    if (H5Dread(h.d, io.memType, spaces.memory(), spaces.file(), H5P_DEFAULT, buf) < 0) {
      hdf5::fail<InternalError>("reading dataset " + id + " of domain '" + c + "'");
    }
    if (io.codec.direct()) {
      pieceLock.unlock();
      sink(buf, n);
      return;
    }
    packed.clear();
    std::exception_ptr error;
    try {
      for (uint64_t i = 0; i < p.elements; ++i) io.codec.pack(buf + i * io.esize, refs, packed);
    } catch (...) {
      error = std::current_exception();
    }
    H5Dvlen_reclaim(io.memType, spaces.reclaim(), H5P_DEFAULT, buf);
    pieceLock.unlock();
    if (error) std::rethrow_exception(error);
    sink(packed.data(), packed.size());
  });
}

void Hdf5ArrayStore::write(const std::string& c, const std::string& id, const Selection& sel,
                           const ByteSource& source, uint64_t bytes) {
  auto f = file(c);
  std::unique_lock<std::mutex> lock(f->mu);
  ChangeGuard changeGuard{*f};
  const ObjRef ref = resolveKind(*f, id, ObjectKind::Dataset, logger_);
  requireWritable(*f);
  ValueHandles h = openValues(*f, ref, id);
  const ValueIo io(h, sel, id);
  const uint64_t elements = io.walk.elements();
  arrays::checkValueBytes(io.codec.type(), elements, bytes);
  lock.unlock();

  FileRefs refs(*f, logger_);
  hdf5::SourceReader in(source);
  hdf5::VlenArena arena;
  PieceBuffers::Lease lease(pieceBuffers);
  uint64_t done = 0;
  io.walk.forEach(io.plan, [&](const arrays::Piece& p) {
    const std::size_t size = p.elements * io.esize;
    char* buf = lease.get(size);
    std::unique_lock<std::mutex> pieceLock(f->mu, std::defer_lock);
    if (io.codec.direct()) {
      // Pull the piece's bytes outside the lock: the source may be a slow client.
      std::size_t got = 0;
      while (got < size) {
        const std::size_t n = source(buf + got, size - got);
        if (n == 0) throw BadRequest("the value ended after " + std::to_string(got) + " bytes of a piece");
        got += n;
      }
      pieceLock.lock();
    } else {
      std::memset(buf, 0, size);
      // References resolve against the file's maps: convert under the lock.
      pieceLock.lock();
      for (uint64_t i = 0; i < p.elements; ++i) io.codec.unpack(in, refs, arena, buf + i * io.esize);
      done += p.elements;
      // Extra bytes are found before the last piece is written, so a value with too many
      // elements changes nothing (if it fits one piece, as JSON-sized values do).
      if (done == elements && (in.consumed() != bytes || !in.atEnd())) {
        throw BadRequest("the value has more bytes than the selection needs");
      }
    }
    const PieceSpaces spaces(h.fspace, p, io.scalar);
    const herr_t rc = H5Dwrite(h.d, io.memType, spaces.memory(), spaces.file(), H5P_DEFAULT, buf);
    arena.clear();
    if (rc < 0) hdf5::failRequest("writing dataset " + id + " of domain '" + c + "'");
  });
  if (!io.codec.direct() && elements == 0 && !in.atEnd()) {
    throw BadRequest("the value has more bytes than the selection needs");
  }
  lock.lock();
  f->touched[ref.addr] = nowMillis();
  f->flush();
}

}  // namespace strata::hdf5
