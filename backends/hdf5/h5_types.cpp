#include "h5_types.h"

#include <algorithm>
#include <cstring>

namespace strata::hdf5 {

using arrays::ByteOrder;
using arrays::CharSet;
using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::RefKind;
using arrays::StrPad;
using arrays::TypeClass;

namespace {

// Frees strings HDF5 allocated for us (member names, tags).
struct H5String {
  char* p = nullptr;
  ~H5String() {
    if (p) H5free_memory(p);
  }
};

ByteOrder orderOf(hid_t t) { return H5Tget_order(t) == H5T_ORDER_BE ? ByteOrder::Big : ByteOrder::Little; }

CharSet charSetOf(hid_t t) { return H5Tget_cset(t) == H5T_CSET_UTF8 ? CharSet::Utf8 : CharSet::Ascii; }

StrPad strPadOf(hid_t t) {
  switch (H5Tget_strpad(t)) {
    case H5T_STR_NULLTERM:
      return StrPad::NullTerm;
    case H5T_STR_SPACEPAD:
      return StrPad::SpacePad;
    default:
      return StrPad::NullPad;
  }
}

// An integer held in `size` bytes of the given order and sign, widened to int64.
int64_t readInteger(const unsigned char* p, std::size_t size, ByteOrder order, bool isSigned) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < size && i < 8; ++i) {
    const unsigned char b = order == ByteOrder::Little ? p[i] : p[size - 1 - i];
    v |= uint64_t{b} << (8 * i);
  }
  if (isSigned && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~uint64_t{0} << (8 * size);
  return static_cast<int64_t>(v);
}

void writeInteger(int64_t value, unsigned char* p, std::size_t size, ByteOrder order) {
  const auto v = static_cast<uint64_t>(value);
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned char b = i < 8 ? static_cast<unsigned char>(v >> (8 * i)) : 0;
    if (order == ByteOrder::Little) {
      p[i] = b;
    } else {
      p[size - 1 - i] = b;
    }
  }
}

void appendU64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}

uint64_t takeU64(PackedReader& in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.take(8));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

DatatypePtr withCommitted(const DatatypePtr& type, std::string id) {
  auto copy = std::make_shared<Datatype>(*type);
  copy->committedId = std::move(id);
  return copy;
}

DatatypePtr fromHdf5(hid_t t) {
  const H5T_class_t cls = check(H5Tget_class(t), "reading a datatype's class");
  const std::size_t size = H5Tget_size(t);
  switch (cls) {
    case H5T_INTEGER:
      return arrays::intType(size, H5Tget_sign(t) == H5T_SGN_2, orderOf(t));
    case H5T_BITFIELD:
      // The model has no bitfield class; an unsigned integer of the same bytes reads alike.
      return arrays::intType(size, false, orderOf(t));
    case H5T_FLOAT:
      return arrays::floatType(size, orderOf(t));
    case H5T_STRING: {
      if (check(H5Tis_variable_str(t), "reading a string type") > 0) {
        auto s = std::make_shared<Datatype>(*arrays::vlenStringType(charSetOf(t)));
        s->strPad = strPadOf(t);
        return s;
      }
      return arrays::fixedStringType(size, charSetOf(t), strPadOf(t));
    }
    case H5T_COMPOUND: {
      auto c = std::make_shared<Datatype>();
      c->cls = TypeClass::Compound;
      const int n = check(H5Tget_nmembers(t), "reading a compound type");
      bool allDirect = true;
      bool variable = false;
      for (int i = 0; i < n; ++i) {
        H5String name{H5Tget_member_name(t, static_cast<unsigned>(i))};
        if (!name.p) fail<InternalError>("reading a compound member's name");
        Hid memberType =
            own(H5Tget_member_type(t, static_cast<unsigned>(i)), "reading a compound member's type");
        arrays::Field field;
        field.name = name.p;
        field.type = fromHdf5(memberType);
        field.offset = H5Tget_member_offset(t, static_cast<unsigned>(i));
        allDirect = allDirect && isDirect(*field.type);
        variable = variable || !field.type->fixedSize();
        c->fields.push_back(std::move(field));
      }
      if (allDirect) {
        // Byte for byte the stored layout, padding included.
        c->size = size;
      } else {
        // Packed members in order: fixed-size members keep a fixed layout (references grow
        // to kRefBytes); a variable-length member makes the whole element variable.
        std::size_t offset = 0;
        for (auto& field : c->fields) {
          field.offset = offset;
          offset += field.type->size;
        }
        c->size = variable ? 0 : offset;
      }
      return c;
    }
    case H5T_ARRAY: {
      auto a = std::make_shared<Datatype>();
      a->cls = TypeClass::Array;
      Hid base = own(H5Tget_super(t), "reading an array type's base");
      a->base = fromHdf5(base);
      const int rank = check(H5Tget_array_ndims(t), "reading an array type's rank");
      std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
      check(H5Tget_array_dims2(t, dims.data()), "reading an array type's dimensions");
      uint64_t count = 1;
      for (auto d : dims) {
        a->dims.push_back(d);
        count *= d;
      }
      a->size = a->base->fixedSize() ? a->base->size * count : 0;
      return a;
    }
    case H5T_VLEN: {
      auto v = std::make_shared<Datatype>();
      v->cls = TypeClass::Vlen;
      Hid base = own(H5Tget_super(t), "reading a vlen type's base");
      v->base = fromHdf5(base);
      v->size = 0;
      return v;
    }
    case H5T_ENUM: {
      auto e = std::make_shared<Datatype>();
      e->cls = TypeClass::Enum;
      Hid base = own(H5Tget_super(t), "reading an enum type's base");
      e->base = fromHdf5(base);
      e->size = e->base->size;
      e->isSigned = e->base->isSigned;
      e->order = e->base->order;
      const int n = check(H5Tget_nmembers(t), "reading an enum type");
      std::vector<unsigned char> value(std::max<std::size_t>(size, 8));
      for (int i = 0; i < n; ++i) {
        H5String name{H5Tget_member_name(t, static_cast<unsigned>(i))};
        if (!name.p) fail<InternalError>("reading an enum member's name");
        check(H5Tget_member_value(t, static_cast<unsigned>(i), value.data()),
              "reading an enum member's value");
        e->members.emplace_back(name.p, readInteger(value.data(), size, e->order, e->isSigned));
      }
      return e;
    }
    case H5T_OPAQUE: {
      auto o = std::make_shared<Datatype>();
      o->cls = TypeClass::Opaque;
      o->size = size;
      H5String tag{H5Tget_tag(t)};
      if (tag.p) o->tag = tag.p;
      return o;
    }
    case H5T_REFERENCE: {
      auto r = std::make_shared<Datatype>();
      r->cls = TypeClass::Reference;
      if (H5Tequal(t, H5T_STD_REF_OBJ) > 0) {
        r->ref = RefKind::Object;
        r->size = arrays::kRefBytes;
      } else if (H5Tequal(t, H5T_STD_REF_DSETREG) > 0) {
        r->ref = RefKind::Region;
        r->size = 0;
      } else {
        throw NotImplemented("unsupported HDF5 reference type");
      }
      return r;
    }
    case H5T_TIME:
      throw NotImplemented("the HDF5 time datatype (H5T_TIME) is not supported");
    default:
      throw NotImplemented("unsupported HDF5 datatype class " + std::to_string(static_cast<int>(cls)));
  }
}

Hid copyOf(hid_t predefined) { return own(H5Tcopy(predefined), "copying a predefined type"); }

Hid integerType(std::size_t size, bool isSigned, ByteOrder order) {
  const bool le = order == ByteOrder::Little;
  switch (size) {
    case 1:
      return copyOf(isSigned ? (le ? H5T_STD_I8LE : H5T_STD_I8BE) : (le ? H5T_STD_U8LE : H5T_STD_U8BE));
    case 2:
      return copyOf(isSigned ? (le ? H5T_STD_I16LE : H5T_STD_I16BE) : (le ? H5T_STD_U16LE : H5T_STD_U16BE));
    case 4:
      return copyOf(isSigned ? (le ? H5T_STD_I32LE : H5T_STD_I32BE) : (le ? H5T_STD_U32LE : H5T_STD_U32BE));
    case 8:
      return copyOf(isSigned ? (le ? H5T_STD_I64LE : H5T_STD_I64BE) : (le ? H5T_STD_U64LE : H5T_STD_U64BE));
    default:
      throw BadRequest("unsupported integer size " + std::to_string(size));
  }
}

Hid floatTypeHid(std::size_t size, ByteOrder order) {
  const bool le = order == ByteOrder::Little;
  if (size == 4) return copyOf(le ? H5T_IEEE_F32LE : H5T_IEEE_F32BE);
  if (size == 8) return copyOf(le ? H5T_IEEE_F64LE : H5T_IEEE_F64BE);
  if (size == 2) {
    // IEEE half precision, defined as h5py and numpy define float16.
    Hid t = copyOf(le ? H5T_IEEE_F32LE : H5T_IEEE_F32BE);
    check<BadRequest>(H5Tset_fields(t, 15, 10, 5, 0, 10), "defining a 16-bit float");
    check<BadRequest>(H5Tset_size(t, 2), "defining a 16-bit float");
    check<BadRequest>(H5Tset_ebias(t, 15), "defining a 16-bit float");
    return t;
  }
  throw BadRequest("unsupported float size " + std::to_string(size));
}

H5T_str_t padOf(StrPad pad) {
  switch (pad) {
    case StrPad::NullTerm:
      return H5T_STR_NULLTERM;
    case StrPad::SpacePad:
      return H5T_STR_SPACEPAD;
    case StrPad::NullPad:
      return H5T_STR_NULLPAD;
  }
  return H5T_STR_NULLPAD;
}

Hid stringType(const Datatype& t) {
  Hid s = copyOf(H5T_C_S1);
  if (t.variable) {
    check<BadRequest>(H5Tset_size(s, H5T_VARIABLE), "defining a variable-length string");
  } else {
    if (t.size == 0) throw BadRequest("a fixed-length string needs a length of at least 1");
    check<BadRequest>(H5Tset_size(s, t.size), "defining a fixed-length string");
  }
  check<BadRequest>(H5Tset_strpad(s, padOf(t.strPad)), "setting a string's padding");
  check<BadRequest>(H5Tset_cset(s, t.charSet == CharSet::Utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII),
                    "setting a string's character set");
  return s;
}

// Types whose packed form is their HDF5 layout and that have no members.
Hid leafType(const Datatype& t) {
  switch (t.cls) {
    case TypeClass::Integer:
      return integerType(t.size, t.isSigned, t.order);
    case TypeClass::Float:
      return floatTypeHid(t.size, t.order);
    case TypeClass::String:
      return stringType(t);
    case TypeClass::Opaque: {
      if (t.size == 0) throw BadRequest("an opaque type needs a size of at least 1");
      Hid o = own<BadRequest>(H5Tcreate(H5T_OPAQUE, t.size), "defining an opaque type");
      if (!t.tag.empty()) check<BadRequest>(H5Tset_tag(o, t.tag.c_str()), "setting an opaque type's tag");
      return o;
    }
    case TypeClass::Enum: {
      if (!t.base || t.base->cls != TypeClass::Integer)
        throw BadRequest("an enum needs an integer base type");
      Hid base = integerType(t.base->size, t.base->isSigned, t.base->order);
      Hid e = own<BadRequest>(H5Tenum_create(base), "defining an enum type");
      std::vector<unsigned char> value(t.base->size);
      for (const auto& [name, v] : t.members) {
        // H5Tenum_insert takes the value in the base type's own representation.
        writeInteger(v, value.data(), value.size(), t.base->order);
        check<BadRequest>(H5Tenum_insert(e, name.c_str(), value.data()), "adding enum member '" + name + "'");
      }
      return e;
    }
    default:
      throw InternalError("not a leaf type");
  }
}

std::size_t alignUp(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

}  // namespace

DatatypePtr toDatatype(hid_t type, const std::function<std::string(hid_t)>& committedName) {
  DatatypePtr t = fromHdf5(type);
  if (committedName && H5Tcommitted(type) > 0) {
    std::string id = committedName(type);
    if (!id.empty()) t = withCommitted(t, std::move(id));
  }
  return t;
}

bool isDirect(const Datatype& t) {
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float:
    case TypeClass::Enum:
    case TypeClass::Opaque:
      return true;
    case TypeClass::String:
      return !t.variable;
    case TypeClass::Array:
      return t.base && isDirect(*t.base);
    case TypeClass::Compound:
      return std::all_of(t.fields.begin(), t.fields.end(),
                         [](const arrays::Field& f) { return f.type && isDirect(*f.type); });
    case TypeClass::Vlen:
    case TypeClass::Reference:
      return false;
  }
  return false;
}

Hid toHdf5(const Datatype& type) {
  ValueCodec codec(std::make_shared<Datatype>(type));
  return own<BadRequest>(H5Tcopy(codec.memType()), "copying a datatype");
}

// ---- readers

const char* SpanReader::take(std::size_t n) {
  if (size_ - pos_ < n) throw BadRequest("the value is shorter than its type and shape need");
  const char* p = data_ + pos_;
  pos_ += n;
  return p;
}

bool SourceReader::fill(std::size_t need) {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t want = std::max<std::size_t>(need, 64 << 10);
  if (buf_.size() < want) buf_.resize(want);
  while (end_ < need) {
    if (eof_) return false;
    const std::size_t got = source_(buf_.data() + end_, buf_.size() - end_);
    if (got == 0) {
      eof_ = true;
      return false;
    }
    end_ += got;
  }
  return true;
}

const char* SourceReader::take(std::size_t n) {
  if (end_ - begin_ < n && !fill(n)) {
    throw BadRequest("the value is shorter than the selection needs (" + std::to_string(consumed_) +
                     " bytes read)");
  }
  const char* p = buf_.data() + begin_;
  begin_ += n;
  consumed_ += n;
  return p;
}

bool SourceReader::atEnd() {
  if (end_ > begin_) return false;
  return !fill(1);
}

char* VlenArena::alloc(std::size_t n) {
  blocks_.push_back(std::make_unique<char[]>(n == 0 ? 1 : n));  // value-initialised: zeroed
  return blocks_.back().get();
}

// ---- codec

ValueCodec::~ValueCodec() = default;

ValueCodec::ValueCodec(DatatypePtr type) : type_(std::move(type)) {
  if (!type_) throw BadRequest("missing datatype");
  const Datatype& t = *type_;
  switch (t.cls) {
    case TypeClass::Integer:
    case TypeClass::Float:
    case TypeClass::Enum:
    case TypeClass::Opaque:
      mem_ = leafType(t);
      direct_ = true;
      break;
    case TypeClass::String:
      mem_ = stringType(t);
      direct_ = !t.variable;
      break;
    case TypeClass::Reference:
      mem_ = copyOf(t.ref == RefKind::Object ? H5T_STD_REF_OBJ : H5T_STD_REF_DSETREG);
      direct_ = false;
      break;
    case TypeClass::Array: {
      if (!t.base) throw BadRequest("an array type needs a base type");
      if (t.dims.empty() || t.dims.size() > H5S_MAX_RANK)
        throw BadRequest("an array type needs 1 to 32 dimensions");
      base_ = std::make_unique<ValueCodec>(t.base);
      std::vector<hsize_t> dims(t.dims.begin(), t.dims.end());
      count_ = 1;
      for (auto d : t.dims) count_ *= d;
      mem_ =
          own<BadRequest>(H5Tarray_create2(base_->memType(), static_cast<unsigned>(dims.size()), dims.data()),
                          "defining an array type");
      direct_ = base_->direct();
      break;
    }
    case TypeClass::Vlen: {
      if (!t.base) throw BadRequest("a vlen type needs a base type");
      base_ = std::make_unique<ValueCodec>(t.base);
      mem_ = own<BadRequest>(H5Tvlen_create(base_->memType()), "defining a vlen type");
      direct_ = false;
      break;
    }
    case TypeClass::Compound: {
      if (t.fields.empty()) throw BadRequest("a compound type needs at least one field");
      bool allDirect = true;
      for (const auto& f : t.fields) {
        if (!f.type) throw BadRequest("compound field '" + f.name + "' has no type");
        Member m{0, f.offset, std::make_unique<ValueCodec>(f.type)};
        allDirect = allDirect && m.codec->direct();
        members_.push_back(std::move(m));
      }
      std::size_t total = 0;
      if (allDirect) {
        // The packed layout itself, offsets and padding as the type states them.
        for (std::size_t i = 0; i < members_.size(); ++i) {
          members_[i].memOffset = t.fields[i].offset;
          total = std::max(total, t.fields[i].offset + members_[i].codec->memSize());
        }
        if (total > t.size) {
          throw BadRequest("the fields of a compound type reach past its size of " + std::to_string(t.size));
        }
        total = t.size;
      } else {
        // Pointers (char*, hvl_t) and references live at 8-byte boundaries, where HDF5's
        // converters expect them.
        for (auto& m : members_) {
          const std::size_t align = m.codec->direct() ? 1 : 8;
          total = alignUp(total, align);
          m.memOffset = total;
          total += m.codec->memSize();
        }
        total = alignUp(total, 8);
      }
      mem_ = own<BadRequest>(H5Tcreate(H5T_COMPOUND, total), "defining a compound type");
      for (std::size_t i = 0; i < members_.size(); ++i) {
        check<BadRequest>(
            H5Tinsert(mem_, t.fields[i].name.c_str(), members_[i].memOffset, members_[i].codec->memType()),
            "adding compound field '" + t.fields[i].name + "'");
      }
      direct_ = allDirect;
      break;
    }
  }
  memSize_ = H5Tget_size(mem_);
  if (memSize_ == 0) fail<BadRequest>("sizing a datatype");
}

void ValueCodec::pack(const char* mem, RefResolver& refs, std::string& out) const {
  if (direct_) {
    out.append(mem, memSize_);
    return;
  }
  const Datatype& t = *type_;
  switch (t.cls) {
    case TypeClass::String: {  // variable-length
      const char* s = nullptr;
      std::memcpy(&s, mem, sizeof s);
      const std::size_t len = s ? std::strlen(s) : 0;
      appendU64(out, len);
      out.append(s ? s : "", len);
      return;
    }
    case TypeClass::Vlen: {
      hvl_t v;
      std::memcpy(&v, mem, sizeof v);
      appendU64(out, v.len);
      const char* p = static_cast<const char*>(v.p);
      for (std::size_t i = 0; i < v.len; ++i) base_->pack(p + i * base_->memSize(), refs, out);
      return;
    }
    case TypeClass::Array:
      for (uint64_t i = 0; i < count_; ++i) base_->pack(mem + i * base_->memSize(), refs, out);
      return;
    case TypeClass::Compound: {
      if (t.fixedSize()) {
        // Members at their packed offsets inside a zeroed element.
        const std::size_t start = out.size();
        out.append(t.size, '\0');
        std::string piece;
        for (const auto& m : members_) {
          piece.clear();
          m.codec->pack(mem + m.memOffset, refs, piece);
          if (m.packedOffset + piece.size() > t.size)
            throw InternalError("compound field outside its element");
          std::memcpy(&out[start + m.packedOffset], piece.data(), piece.size());
        }
      } else {
        for (const auto& m : members_) m.codec->pack(mem + m.memOffset, refs, out);
      }
      return;
    }
    case TypeClass::Reference: {
      if (t.ref == RefKind::Object) {
        hobj_ref_t r;
        std::memcpy(&r, mem, sizeof r);
        std::string text = r == 0 ? std::string() : refs.objectRefText(r);
        if (text.size() > arrays::kRefBytes) text.resize(arrays::kRefBytes);
        out.append(text);
        out.append(arrays::kRefBytes - text.size(), '\0');
      } else {
        hdset_reg_ref_t r;
        std::memcpy(&r, mem, sizeof r);
        const std::string text = refs.regionRefText(r);
        appendU64(out, text.size());
        out.append(text);
      }
      return;
    }
    default:
      throw InternalError("unexpected non-direct type");
  }
}

void ValueCodec::unpack(PackedReader& in, RefResolver& refs, VlenArena& arena, char* mem) const {
  if (direct_) {
    std::memcpy(mem, in.take(memSize_), memSize_);
    return;
  }
  const Datatype& t = *type_;
  switch (t.cls) {
    case TypeClass::String: {
      const uint64_t len = takeU64(in);
      char* s = arena.alloc(len + 1);
      std::memcpy(s, in.take(len), len);
      s[len] = '\0';
      std::memcpy(mem, &s, sizeof s);
      return;
    }
    case TypeClass::Vlen: {
      const uint64_t n = takeU64(in);
      char* p = arena.alloc(n * base_->memSize());
      for (uint64_t i = 0; i < n; ++i) base_->unpack(in, refs, arena, p + i * base_->memSize());
      hvl_t v{n, n ? p : nullptr};
      std::memcpy(mem, &v, sizeof v);
      return;
    }
    case TypeClass::Array:
      for (uint64_t i = 0; i < count_; ++i) base_->unpack(in, refs, arena, mem + i * base_->memSize());
      return;
    case TypeClass::Compound: {
      if (t.fixedSize()) {
        const std::string element(in.take(t.size), t.size);
        for (const auto& m : members_) {
          SpanReader part(element.data() + m.packedOffset, t.size - std::min(t.size, m.packedOffset));
          m.codec->unpack(part, refs, arena, mem + m.memOffset);
        }
      } else {
        for (const auto& m : members_) m.codec->unpack(in, refs, arena, mem + m.memOffset);
      }
      return;
    }
    case TypeClass::Reference: {
      if (t.ref == RefKind::Object) {
        const char* p = in.take(arrays::kRefBytes);
        std::string text(p, strnlen(p, arrays::kRefBytes));
        const hobj_ref_t r = text.empty() ? 0 : refs.objectRefFromText(text);
        std::memcpy(mem, &r, sizeof r);
      } else {
        const uint64_t len = takeU64(in);
        const std::string text(in.take(len), len);
        hdset_reg_ref_t r;
        std::memset(&r, 0, sizeof r);
        if (!text.empty()) refs.regionRefFromText(text, r);
        std::memcpy(mem, &r, sizeof r);
      }
      return;
    }
    default:
      throw InternalError("unexpected non-direct type");
  }
}

}  // namespace strata::hdf5
