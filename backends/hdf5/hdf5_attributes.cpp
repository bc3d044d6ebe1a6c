// The hdf5 arrays store, attributes on any object.
#include "hdf5_array_store.h"
#include "hdf5_creation.h"
#include "hdf5_file_refs.h"
#include "hdf5_objects.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <exception>
#include <vector>

namespace strata::hdf5 {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::Selection;

namespace {

AttributeInfo attributeInfo(H5File& f, hid_t attr, haddr_t objAddr, const std::string& name,
                            int64_t fallbackTime, Poco::Logger& logger) {
  AttributeInfo info;
  info.name = name;
  Hid type = own(H5Aget_type(attr), "reading attribute '" + name + "'");
  info.type = hdf5::toDatatype(type, committedNamer(f, logger));
  Hid space = own(H5Aget_space(attr), "reading attribute '" + name + "'");
  info.shape = shapeOf(space);
  auto it = f.attributeCreated.find({objAddr, name});
  info.created = it != f.attributeCreated.end() ? it->second : fallbackTime;
  return info;
}

}  // namespace

// ---- attributes

std::vector<AttributeInfo> Hdf5ArrayStore::listAttributes(const std::string& c, const std::string& obj,
                                                          const Page& page) {
  return inspect(c, [&](H5File& hf) {
    const ObjRef ref = resolve(hf, obj, logger_);
    Hid o = openByAddr(hf, ref.addr);
    PageCollect ctx{&page, {}, {}};
    hsize_t idx = 0;
    check(H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, collectAttribute, &ctx),
          "listing the attributes of " + obj);
    const int64_t fallback = createdTime(hf, o, ref.addr);
    std::vector<AttributeInfo> out;
    for (const auto& name : ctx.names) {
      Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
      out.push_back(attributeInfo(hf, a, ref.addr, name, fallback, logger_));
    }
    return out;
  });
}

AttributeInfo Hdf5ArrayStore::attribute(const std::string& c, const std::string& obj,
                                        const std::string& name) {
  return inspect(c, [&](H5File& hf) {
    const ObjRef ref = resolve(hf, obj, logger_);
    Hid o = openByAddr(hf, ref.addr);
    if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
      throw NotFound("attribute '" + name + "' not found on " + obj);
    }
    Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
    return attributeInfo(hf, a, ref.addr, name, createdTime(hf, o, ref.addr), logger_);
  });
}

std::string Hdf5ArrayStore::attributeValue(const std::string& c, const std::string& obj,
                                           const std::string& name) {
  return inspect(c, [&](H5File& hf) -> std::string {
    const ObjRef ref = resolve(hf, obj, logger_);
    Hid o = openByAddr(hf, ref.addr);
    if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
      throw NotFound("attribute '" + name + "' not found on " + obj);
    }
    Hid a = own(H5Aopen(o, name.c_str(), H5P_DEFAULT), "opening attribute '" + name + "'");
    Hid ftype = own(H5Aget_type(a), "reading the type of attribute '" + name + "'");
    Hid space = own(H5Aget_space(a), "reading the dataspace of attribute '" + name + "'");
    const Shape shape = shapeOf(space);
    if (shape.cls == ShapeClass::Null) return "";
    const uint64_t n = shape.elements();
    hdf5::ValueCodec codec(hdf5::toDatatype(ftype));
    const hid_t memType = codec.direct() ? ftype.get() : codec.memType();
    const std::size_t esize = codec.direct() ? H5Tget_size(ftype) : codec.memSize();
    std::vector<char> buf(n * esize, 0);
    if (n == 0) return "";
    if (H5Aread(a, memType, buf.data()) < 0)
      hdf5::fail<InternalError>("reading attribute '" + name + "' of " + obj);
    if (codec.direct()) return std::string(buf.data(), buf.size());
    FileRefs refs(hf, logger_);
    std::string out;
    std::exception_ptr error;
    try {
      for (uint64_t i = 0; i < n; ++i) codec.pack(buf.data() + i * esize, refs, out);
    } catch (...) {
      error = std::current_exception();
    }
    H5Dvlen_reclaim(memType, space, H5P_DEFAULT, buf.data());
    if (error) std::rethrow_exception(error);
    return out;
  });
}

void Hdf5ArrayStore::createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                                     const std::string& packedValue, bool replace) {
  if (info.name.empty()) throw BadRequest("an attribute needs a name");
  if (!info.type) throw BadRequest("attribute '" + info.name + "' needs a type");
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolve(hf, obj, logger_);
    requireWritable(hf);
    Hid o = openByAddr(hf, ref.addr);
    const bool exists =
        check(H5Aexists(o, info.name.c_str()), "looking up attribute '" + info.name + "'") > 0;
    if (exists && !replace) throw Conflict("attribute '" + info.name + "' already exists on " + obj);

    // Everything that can fail on bad input happens before an old attribute is replaced.
    Hid type = creationType(hf, *info.type, logger_);
    hdf5::ValueCodec codec(info.type);
    Hid space = makeSpace(info.shape, false);
    const uint64_t n = info.shape.elements();
    std::vector<char> buf(n * codec.memSize(), 0);
    FileRefs refs(hf, logger_);
    hdf5::VlenArena arena;
    if (info.shape.cls != ShapeClass::Null) {
      if (info.type->fixedSize() && packedValue.size() != n * info.type->size) {
        throw BadRequest("expected " + std::to_string(n * info.type->size) + " bytes for attribute '" +
                         info.name + "', got " + std::to_string(packedValue.size()));
      }
      hdf5::SpanReader in(packedValue.data(), packedValue.size());
      for (uint64_t i = 0; i < n; ++i) codec.unpack(in, refs, arena, buf.data() + i * codec.memSize());
      if (in.consumed() != packedValue.size()) {
        throw BadRequest("the value of attribute '" + info.name + "' is longer than its shape needs");
      }
    }

    if (exists) check(H5Adelete(o, info.name.c_str()), "replacing attribute '" + info.name + "'");
    Hid acpl = namePlist(H5P_ATTRIBUTE_CREATE, info.name);
    const hid_t a = H5Acreate2(o, info.name.c_str(), type, space, acpl, H5P_DEFAULT);
    if (a < 0) hdf5::failRequest("creating attribute '" + info.name + "' on " + obj);
    Hid attr(a);
    if (info.shape.cls != ShapeClass::Null && n > 0 && H5Awrite(attr, codec.memType(), buf.data()) < 0) {
      hdf5::failRequest("writing attribute '" + info.name + "' on " + obj);
    }
    const int64_t now = nowMillis();
    hf.attributeCreated[{ref.addr, info.name}] = now;
    hf.touched[ref.addr] = now;
  });
}

void Hdf5ArrayStore::deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) {
  change(c, [&](H5File& hf) {
    const ObjRef ref = resolve(hf, obj, logger_);
    Hid o = openByAddr(hf, ref.addr);
    if (name.empty() || check(H5Aexists(o, name.c_str()), "looking up attribute '" + name + "'") <= 0) {
      throw NotFound("attribute '" + name + "' not found on " + obj);
    }
    requireWritable(hf);
    check(H5Adelete(o, name.c_str()), "deleting attribute '" + name + "' of " + obj);
    hf.attributeCreated.erase({ref.addr, name});
    hf.touched[ref.addr] = nowMillis();
  });
}

}  // namespace strata::hdf5
