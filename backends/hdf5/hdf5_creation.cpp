#include "hdf5_creation.h"

#include "hdf5_file_refs.h"

#include <strata/errors.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cmath>

namespace strata::hdf5 {

using arrays::Datatype;

namespace {

H5Z_SO_scale_type_t scaleTypeOf(const std::string& name, const Datatype& type) {
  if (name == "H5Z_SO_INT") return H5Z_SO_INT;
  if (name == "H5Z_SO_FLOAT_DSCALE") return H5Z_SO_FLOAT_DSCALE;
  if (name == "H5Z_SO_FLOAT_ESCALE") return H5Z_SO_FLOAT_ESCALE;
  if (name.empty()) return type.cls == arrays::TypeClass::Float ? H5Z_SO_FLOAT_DSCALE : H5Z_SO_INT;
  throw BadRequest("unknown scaleoffset scaleType '" + name + "'");
}

// A filter's name for error messages: hdf5-json's class and the id.
std::string filterLabel(int id) {
  const char* cls = id == H5Z_FILTER_SZIP   ? "H5Z_FILTER_SZIP"
                    : id == H5Z_FILTER_NBIT ? "H5Z_FILTER_NBIT"
                    : id == 32000           ? "H5Z_FILTER_LZF"
                                            : nullptr;
  return cls ? std::string(cls) + " (" + std::to_string(id) + ")" : std::to_string(id);
}

const char* scaleTypeName(unsigned v) {
  switch (v) {
    case H5Z_SO_FLOAT_DSCALE:
      return "H5Z_SO_FLOAT_DSCALE";
    case H5Z_SO_FLOAT_ESCALE:
      return "H5Z_SO_FLOAT_ESCALE";
    default:
      return "H5Z_SO_INT";
  }
}

// The layout and the allocation and fill times of a dataset's creation property list.
void readCreationTimes(hid_t dcpl, DatasetInfo& info) {
  switch (H5Pget_layout(dcpl)) {
    case H5D_CHUNKED:
      info.layout = Layout::Chunked;
      break;
    case H5D_COMPACT:
      info.layout = Layout::Compact;
      break;
    default:
      info.layout = Layout::Contiguous;
      break;
  }
  H5D_alloc_time_t alloc;
  if (H5Pget_alloc_time(dcpl, &alloc) >= 0) {
    info.allocTime = alloc == H5D_ALLOC_TIME_EARLY  ? AllocTime::Early
                     : alloc == H5D_ALLOC_TIME_LATE ? AllocTime::Late
                     : alloc == H5D_ALLOC_TIME_INCR ? AllocTime::Incremental
                                                    : AllocTime::Default;
  }
  H5D_fill_time_t fillTime;
  if (H5Pget_fill_time(dcpl, &fillTime) >= 0) {
    info.fillTime = fillTime == H5D_FILL_TIME_ALLOC   ? FillTime::Alloc
                    : fillTime == H5D_FILL_TIME_NEVER ? FillTime::Never
                                                      : FillTime::IfSet;
  }
}

}  // namespace

std::function<std::string(hid_t)> committedNamer(H5File& f, Poco::Logger& logger) {
  return [&f, &logger](hid_t type) -> std::string {
    H5O_info_t oi;
    if (H5Oget_info2(type, &oi, H5O_INFO_BASIC) < 0) return "";
    ensureObjects(f, logger);
    auto it = f.objects.find(oi.addr);
    if (it == f.objects.end() || it->second != ObjectKind::Datatype)
      return "";  // deleted: show its structure
    return f.idOf(oi.addr);
  };
}

// The type to create a dataset or attribute with: the committed type itself when the
// Datatype names one (so the object shares it, as HDF5 files do), else a transient type.
Hid creationType(H5File& f, const Datatype& type, Poco::Logger& logger) {
  if (!type.committedId.empty()) {
    const ObjRef ref = resolveKind(f, type.committedId, ObjectKind::Datatype, logger);
    return openByAddr(f, ref.addr);
  }
  return hdf5::toHdf5(type);
}

// h5py's chunk guess: aim at 16 KiB..1 MiB chunks, growing with the dataset, halving
// dimensions in turn until the chunk fits.
std::vector<hsize_t> guessChunks(const Shape& shape, std::size_t typeSize) {
  const std::size_t rank = shape.dims.size();
  std::vector<double> chunks(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const uint64_t maxd = shape.maxdims.empty() ? shape.dims[i] : shape.maxdims[i];
    double d = static_cast<double>(shape.dims[i]);
    if (d == 0) d = maxd == kUnlimited ? 1024 : static_cast<double>(std::max<uint64_t>(1, maxd));
    chunks[i] = d;
  }
  const double base = 16 * 1024, minBytes = 8 * 1024, maxBytes = 1024 * 1024;
  double size = static_cast<double>(typeSize);
  for (double c : chunks) size *= c;
  double target = base * std::pow(2.0, std::log10(size / (1024.0 * 1024.0)));
  target = std::min(maxBytes, std::max(minBytes, target));
  for (std::size_t idx = 0;; ++idx) {
    double bytes = static_cast<double>(typeSize);
    double count = 1;
    for (double c : chunks) {
      bytes *= c;
      count *= c;
    }
    if ((bytes < target || std::abs(bytes - target) / target < 0.5) && bytes < maxBytes) break;
    if (count <= 1) break;
    double& c = chunks[idx % rank];
    c = std::ceil(c / 2.0);
  }
  std::vector<hsize_t> out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    out[i] = static_cast<hsize_t>(std::max(1.0, chunks[i]));
    if (!shape.maxdims.empty() && shape.maxdims[i] != kUnlimited && shape.maxdims[i] > 0) {
      out[i] = std::min<hsize_t>(out[i], shape.maxdims[i]);
    }
  }
  return out;
}

void addFilter(hid_t dcpl, const Filter& filter, const Datatype& type) {
  switch (filter.kind) {
    case Filter::Kind::Deflate:
      if (filter.level < 0 || filter.level > 9) throw BadRequest("deflate level must be 0..9");
      check<BadRequest>(H5Pset_deflate(dcpl, static_cast<unsigned>(filter.level)),
                        "adding the deflate filter");
      return;
    case Filter::Kind::Shuffle:
      check<BadRequest>(H5Pset_shuffle(dcpl), "adding the shuffle filter");
      return;
    case Filter::Kind::Fletcher32:
      check<BadRequest>(H5Pset_fletcher32(dcpl), "adding the fletcher32 filter");
      return;
    case Filter::Kind::ScaleOffset:
      check<BadRequest>(H5Pset_scaleoffset(dcpl, scaleTypeOf(filter.scaleType, type), filter.scaleOffset),
                        "adding the scaleoffset filter");
      return;
    case Filter::Kind::Other: {
      const auto id = static_cast<H5Z_filter_t>(filter.id);
      const std::string name = filterLabel(filter.id);
      if (H5Zfilter_avail(id) <= 0) {
        throw BadRequest("filter " + name + " is not available in this server's HDF5 library" +
                         (filter.id == 32000 ? " (its HDF5 plugin is not installed)" : ""));
      }
      unsigned config = 0;
      if (H5Zget_filter_info(id, &config) >= 0 && !(config & H5Z_FILTER_CONFIG_ENCODE_ENABLED))
        throw BadRequest("filter " + name + " can only decode in this server's HDF5 library");
      if (filter.id == H5Z_FILTER_SZIP) {
        // [options mask, pixels per block]; H5Pset_szip adds the options HDF5 needs.
        if (filter.parameters.size() < 2)
          throw BadRequest("filter " + name + " needs a coding and pixelsPerBlock");
        check<BadRequest>(H5Pset_szip(dcpl, filter.parameters[0], filter.parameters[1]),
                          "adding filter " + name);
        return;
      }
      check<BadRequest>(
          H5Pset_filter(dcpl, id, H5Z_FLAG_MANDATORY, filter.parameters.size(), filter.parameters.data()),
          "adding filter " + name);
      return;
    }
  }
}

// Packs the one element of a buffer read with codec.memType() and frees HDF5's vlen memory.
std::string packOne(const hdf5::ValueCodec& codec, std::vector<char>& buf, hdf5::RefResolver& refs) {
  std::string out;
  Hid scalar = own(H5Screate(H5S_SCALAR), "creating a scalar dataspace");
  try {
    codec.pack(buf.data(), refs, out);
  } catch (...) {
    if (!codec.direct()) H5Dvlen_reclaim(codec.memType(), scalar, H5P_DEFAULT, buf.data());
    throw;
  }
  if (!codec.direct()) H5Dvlen_reclaim(codec.memType(), scalar, H5P_DEFAULT, buf.data());
  return out;
}

Hid datasetCreationPlist(H5File& f, const DatasetSpec& spec, const ValueCodec& codec, Poco::Logger& logger) {
  Hid dcpl = own(H5Pcreate(H5P_DATASET_CREATE), "creating dataset properties");

  const bool simple = spec.shape.cls == ShapeClass::Simple;
  std::vector<hsize_t> chunks(spec.chunks.begin(), spec.chunks.end());
  if (!chunks.empty()) {
    if (!simple) throw BadRequest("only datasets with a simple shape can be chunked");
    if (chunks.size() != spec.shape.dims.size())
      throw BadRequest("the chunk shape must have the dataset's rank");
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i] == 0) throw BadRequest("chunk dimensions must be positive");
      const uint64_t maxd =
          spec.shape.maxdims.size() == chunks.size() ? spec.shape.maxdims[i] : spec.shape.dims[i];
      if (maxd != kUnlimited && chunks[i] > maxd) {
        throw BadRequest("chunk dimension " + std::to_string(i) + " is larger than the maximum dimension");
      }
    }
  } else if (simple) {
    bool extendable = false;
    for (std::size_t i = 0; i < spec.shape.maxdims.size() && i < spec.shape.dims.size(); ++i) {
      extendable = extendable || spec.shape.maxdims[i] != spec.shape.dims[i];
    }
    if (extendable || !spec.filters.empty()) chunks = guessChunks(spec.shape, codec.memSize());
  } else if (!spec.filters.empty()) {
    throw BadRequest("filters need a dataset with a simple shape");
  }
  if (!chunks.empty()) {
    check<BadRequest>(H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()),
                      "setting the chunk shape");
  }
  for (const auto& filter : spec.filters) addFilter(dcpl, filter, *spec.type);
  // Storage is filled when it is allocated, with the fill value or zeros. HDF5's default
  // (fill only a fill value set by the user) leaves the bytes that were in the file: a
  // contiguous dataset whose storage lands in the space of a deleted one showed that one's
  // values where nothing was written yet. Not for elements over 1 MiB: HDF5 1.10 fills those
  // with bytes of its conversion buffer past the first MiB (a known limit, docs/hdf5-backend.md).
  if (codec.memSize() <= (1u << 20))
    check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), "setting the fill time");

  if (!spec.fillValue.empty()) {
    FileRefs refs(f, logger);
    hdf5::SpanReader in(spec.fillValue.data(), spec.fillValue.size());
    hdf5::VlenArena arena;
    std::vector<char> buf(codec.memSize(), 0);
    codec.unpack(in, refs, arena, buf.data());
    if (in.consumed() != spec.fillValue.size()) throw BadRequest("the fill value is longer than one element");
    check<BadRequest>(H5Pset_fill_value(dcpl, codec.memType(), buf.data()), "setting the fill value");
  }
  return dcpl;
}

DatasetInfo datasetInfo(H5File& f, hid_t dset, haddr_t addr, Poco::Logger& logger) {
  DatasetInfo info;
  info.object = objectInfo(f, dset, addr, ObjectKind::Dataset);
  Hid ftype = own(H5Dget_type(dset), "reading a dataset's type");
  info.type = hdf5::toDatatype(ftype, committedNamer(f, logger));
  Hid space = own(H5Dget_space(dset), "reading a dataset's dataspace");
  info.shape = shapeOf(space);
  Hid dcpl = own(H5Dget_create_plist(dset), "reading a dataset's creation properties");
  readCreationTimes(dcpl, info);
  if (info.layout == Layout::Chunked) {
    std::vector<hsize_t> chunk(H5S_MAX_RANK);
    const int rank = check(H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk.data()), "reading a dataset's chunks");
    info.chunks.assign(chunk.begin(), chunk.begin() + rank);
  }
  const int nfilters = check(H5Pget_nfilters(dcpl), "reading a dataset's filters");
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t n = 32;
    std::vector<unsigned> cd(n);
    char name[128] = {0};
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, cd.data(), sizeof name, name, &config);
    if (id < 0) hdf5::fail<InternalError>("reading a dataset's filters");
    cd.resize(std::min<std::size_t>(n, cd.size()));
    Filter filter;
    filter.id = id;
    switch (id) {
      case H5Z_FILTER_DEFLATE:
        filter.kind = Filter::Kind::Deflate;
        filter.level = cd.empty() ? 6 : static_cast<int>(cd[0]);
        break;
      case H5Z_FILTER_SHUFFLE:
        filter.kind = Filter::Kind::Shuffle;
        break;
      case H5Z_FILTER_FLETCHER32:
        filter.kind = Filter::Kind::Fletcher32;
        break;
      case H5Z_FILTER_SCALEOFFSET:
        filter.kind = Filter::Kind::ScaleOffset;
        filter.scaleType = scaleTypeName(cd.empty() ? 2 : cd[0]);
        filter.scaleOffset = cd.size() > 1 ? static_cast<int>(cd[1]) : 0;
        break;
      default:
        filter.kind = Filter::Kind::Other;
        filter.parameters = cd;
        break;
    }
    info.filters.push_back(std::move(filter));
  }
  H5D_fill_value_t fillState;
  if (H5Pfill_value_defined(dcpl, &fillState) >= 0 && fillState == H5D_FILL_VALUE_USER_DEFINED) {
    try {
      hdf5::ValueCodec codec(info.type);
      std::vector<char> buf(codec.memSize(), 0);
      check(H5Pget_fill_value(dcpl, codec.memType(), buf.data()), "reading a dataset's fill value");
      FileRefs refs(f, logger);
      info.fillValue = packOne(codec, buf, refs);
    } catch (const NotImplemented&) {
      throw;
    } catch (const Error& e) {
      logger.warning("hdf5: domain '" + f.name + "': dataset " + info.object.id +
                     ": fill value not readable: " + e.what());
    }
  }
  auto stored = f.props.find(info.object.id);
  if (stored != f.props.end()) {
    try {
      info.creationProperties = Poco::JSON::Parser().parse(stored->second).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      // A damaged sidecar line: the typed fields still say what the file holds.
    }
  }
  return info;
}

}  // namespace strata::hdf5
