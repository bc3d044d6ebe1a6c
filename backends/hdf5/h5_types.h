#pragma once
// The type model of datatype.h against HDF5 types, both ways, and the codec that moves
// element values between HDF5 memory buffers and the packed form.
//
// "Direct" types are those whose packed form is byte for byte HDF5's own layout: integers,
// floats, enums, opaque, fixed strings, and compounds and arrays made only of those. They are
// read and written with the stored type as the memory type, so no conversion runs and the
// bytes keep the stored byte order. Everything else (vlen strings and sequences, references,
// and compounds or arrays holding them) goes through a memory type of char* / hvl_t /
// hobj_ref_t / hdset_reg_ref_t members that the codec converts to and from the packed form.
//
// Thread-safety: call under the owning file's mutex (the RefResolver reads its id maps).
#include "h5_handle.h"

#include <strata/arrays/datatype.h>

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace strata::hdf5 {

// Builds the Datatype of an HDF5 type. `committedName` names a committed (named) type from
// its hid (the top level only; nested members are copied structurally). Throws
// NotImplemented for classes the model lacks (H5T_TIME).
arrays::DatatypePtr toDatatype(hid_t type, const std::function<std::string(hid_t)>& committedName = {});

// A transient HDF5 type for a Datatype (committedId is not resolved here). The layout is the
// memory layout the codec uses; HDF5 turns it into its file form when a dataset, attribute
// or committed type is created with it. Throws BadRequest for types HDF5 cannot represent.
Hid toHdf5(const arrays::Datatype& type);

// True if the packed form equals HDF5's layout of the type (see above).
bool isDirect(const arrays::Datatype& type);

// Resolves references while values are converted; implemented by the store for one file.
class RefResolver {
 public:
  virtual ~RefResolver() = default;
  // "groups/<id>", "datasets/<id>", "datatypes/<id>", or "" for a null reference.
  virtual std::string objectRefText(hobj_ref_t ref) = 0;
  // Parses such text ("" or all NUL for null); throws BadRequest/NotFound/Gone.
  virtual hobj_ref_t objectRefFromText(const std::string& text) = 0;
  // The h5serv JSON text of a region reference ({"id","select_type","selection"}), "" if null.
  virtual std::string regionRefText(const hdset_reg_ref_t& ref) = 0;
  virtual void regionRefFromText(const std::string& text, hdset_reg_ref_t& ref) = 0;
};

// Pulls packed bytes: from a ByteSource in bounded pieces, or from memory.
class PackedReader {
 public:
  virtual ~PackedReader() = default;
  // n contiguous bytes, valid until the next call; throws BadRequest if the input ends.
  virtual const char* take(std::size_t n) = 0;
};

class SpanReader final : public PackedReader {
 public:
  SpanReader(const char* data, std::size_t size) : data_(data), size_(size) {}
  const char* take(std::size_t n) override;
  std::size_t consumed() const { return pos_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

class SourceReader final : public PackedReader {
 public:
  using Source = std::function<std::size_t(char*, std::size_t)>;
  explicit SourceReader(Source source) : source_(std::move(source)) {}
  const char* take(std::size_t n) override;
  // Bytes handed out by take().
  uint64_t consumed() const { return consumed_; }
  // True if the source has nothing beyond what take() handed out (pulls once to find out).
  bool atEnd();

 private:
  bool fill(std::size_t need);
  Source source_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  uint64_t consumed_ = 0;
  bool eof_ = false;
};

// Owns the memory that unpack() allocates for vlen data (HDF5 only reads it).
class VlenArena {
 public:
  char* alloc(std::size_t n);
  void clear() { blocks_.clear(); }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
};

// Converts elements of one type between an HDF5 memory buffer (of memType()) and the packed
// form.
class ValueCodec {
 public:
  explicit ValueCodec(arrays::DatatypePtr type);
  ~ValueCodec();
  ValueCodec(const ValueCodec&) = delete;
  ValueCodec& operator=(const ValueCodec&) = delete;

  const arrays::Datatype& type() const { return *type_; }
  hid_t memType() const { return mem_.get(); }
  std::size_t memSize() const { return memSize_; }
  bool direct() const { return direct_; }

  // Appends the packed form of the element at `mem`.
  void pack(const char* mem, RefResolver& refs, std::string& out) const;
  // Fills the element at `mem` (memSize() bytes, zeroed by the caller) from `in`.
  void unpack(PackedReader& in, RefResolver& refs, VlenArena& arena, char* mem) const;

 private:
  struct Member {
    std::size_t memOffset;
    std::size_t packedOffset;
    std::unique_ptr<ValueCodec> codec;
  };
  arrays::DatatypePtr type_;
  Hid mem_;
  std::size_t memSize_ = 0;
  bool direct_ = false;
  std::vector<Member> members_;       // compound
  std::unique_ptr<ValueCodec> base_;  // array, vlen
  uint64_t count_ = 0;                // array elements
};

}  // namespace strata::hdf5
