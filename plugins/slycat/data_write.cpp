#include "data_write.h"

#include <rapidjson/error/en.h>
#include <rapidjson/filereadstream.h>
#include <rapidjson/reader.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrayset_store.h"
#include "hyperchunks.h"
#include "multipart_form.h"

namespace strata::slycat {

namespace {

const char* const kByteorderMessage = "optional byteorder argument must be big or little.";

// An unnamed temporary file: removed by the system as soon as it is created, closed on scope exit.
struct TempFile {
  std::FILE* f = nullptr;
  TempFile() {
    f = std::tmpfile();
    if (!f) throw InsufficientStorage("could not create a temporary file for the uploaded data");
  }
  ~TempFile() {
    if (f) std::fclose(f);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void flush() const {
    if (std::fflush(f) != 0)
      throw InsufficientStorage("could not write the uploaded data to a temporary file");
  }
};

// One (array, attribute, hyperslice) item that receives data.
struct Target {
  int64_t array = 0, attribute = 0;
  std::string dataset;
  arrays::DatatypePtr type;  // the dataset's own type (its byte order is the packed form's)
  ResolvedHyperslice slab;
  uint64_t elements = 0;
  uint64_t offset = 0, bytes = 0;  // where its packed bytes lie in the spool
  bool isString() const {
    return type->cls != arrays::TypeClass::Integer && type->cls != arrays::TypeClass::Float;
  }
};

std::string describe(const Target& t) {
  return "array " + std::to_string(t.array) + ", attribute " + std::to_string(t.attribute);
}

// The items of the hyperchunks that take data, each checked against the arrayset: a computed
// attribute other than aN is a 400, aN out of range a 400, the hyperslice resolved with h5py's
// rules (an index out of range, a step below 1, too many entries: 400). Items without
// attributes or hyperslices take no data (Slycat writes nothing for them).
std::vector<Target> planTargets(const StoredArrayset& set, const std::string& text) {
  const Hyperchunks chunks = parseHyperchunks(text);
  const std::vector<Item> items = expandHyperchunks(chunks, set);
  std::map<std::pair<int64_t, int64_t>, std::pair<std::string, arrays::DatatypePtr>> datasets;
  std::vector<Target> targets;
  for (const Item& item : items) {
    if (!item.hasAttribute || !item.hyperslice) continue;
    int64_t j = item.attribute;
    if (item.expression) {
      if (item.expression->kind != Expr::Kind::kAttribute)
        throw BadRequest("Cannot assign data to computed attributes.");
      j = item.expression->integer;
    }
    const ArrayMetadata& m = set.metadata(item.array);
    if (j < 0 || j >= static_cast<int64_t>(m.info.attributes.size()))
      throw BadRequest("Attribute " + std::to_string(j) + " out of range for array " +
                       std::to_string(item.array) + ".");
    Target t;
    t.array = item.array;
    t.attribute = j;
    t.slab = resolveHyperslice(m.info.shape, *item.hyperslice);
    t.elements = t.slab.size();
    auto it = datasets.find({item.array, j});
    if (it == datasets.end()) {
      const std::string id = set.attributeDataset(item.array, j);
      const DatasetInfo info = set.store().dataset(set.container(), id);
      const arrays::Datatype& type = *info.type;
      const bool numeric = (type.cls == arrays::TypeClass::Integer || type.cls == arrays::TypeClass::Float) &&
                           type.size >= 1 && type.size <= 8;
      const bool isText = type.cls == arrays::TypeClass::String && type.variable;
      if (!numeric && !isText)
        throw InternalError("arrayset " + set.container() + ": attribute dataset of " + describe(t) +
                            " has an unexpected type");
      it = datasets.emplace(std::make_pair(item.array, j), std::make_pair(id, info.type)).first;
    }
    t.dataset = it->second.first;
    t.type = it->second.second;
    targets.push_back(std::move(t));
  }
  return targets;
}

// The byte count of binary data for the targets; nullopt if one of them is a string attribute.
std::optional<uint64_t> binaryBytes(const std::vector<Target>& targets) {
  uint64_t total = 0;
  for (const Target& t : targets) {
    if (t.isString()) return std::nullopt;
    const uint64_t size = t.type->size;
    if (t.elements > (std::numeric_limits<uint64_t>::max() / 2 - total) / size)
      throw PayloadTooLarge("the hyperchunks select more data than can be written at once");
    total += t.elements * size;
  }
  return total;
}

// Reads an item's bytes from a spool file, byte-swapping elements of `swapSize` bytes (0: none).
class SpoolSource {
 public:
  SpoolSource(int fd, uint64_t offset, uint64_t bytes, std::size_t swapSize)
      : fd_(fd), next_(offset), left_(bytes), swap_(swapSize), buf_(1 << 20) {}

  std::size_t read(char* out, std::size_t n) {
    if (pos_ == end_) refill();
    const std::size_t take = std::min(n, end_ - pos_);
    std::memcpy(out, buf_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  void refill() {
    pos_ = end_ = 0;
    std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(buf_.size(), left_));
    while (end_ < want) {
      const ssize_t got = ::pread(fd_, buf_.data() + end_, want - end_, static_cast<off_t>(next_));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw InternalError("could not read the spooled upload back");
      end_ += static_cast<std::size_t>(got);
      next_ += static_cast<uint64_t>(got);
    }
    left_ -= end_;
    if (swap_ > 1)
      for (std::size_t e = 0; e + swap_ <= end_; e += swap_)
        std::reverse(buf_.begin() + e, buf_.begin() + e + swap_);
  }

  int fd_;
  uint64_t next_, left_;
  std::size_t swap_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
};

// Appends `size` bytes of u in the given byte order.
void putUnsigned(std::string& out, uint64_t u, std::size_t size, bool big) {
  char b[8];
  for (std::size_t i = 0; i < size; ++i) b[big ? size - 1 - i : i] = static_cast<char>((u >> (8 * i)) & 0xff);
  out.append(b, size);
}

// One JSON scalar as the SAX reader delivers it.
struct Scalar {
  enum class Kind { Null, Bool, Int, Uint, Double, String } kind = Kind::Null;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  const char* s = nullptr;
  std::size_t n = 0;
};

// Converts JSON data (a list with one element per target) into the packed form of each
// target's type, appended to a spool file; records each target's offset and byte count.
// Accepts per element: nested lists of exactly the hyperslice's shape, a flat list of its
// element count, or a bare value when it holds one element.
class JsonConverter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonConverter> {
 public:
  JsonConverter(std::vector<Target>& targets, std::FILE* out) : targets_(targets), out_(out) {}

  const std::string& error() const { return error_; }
  void finish() { flush(); }

  bool Null() { return scalar(Scalar{}); }
  bool Bool(bool) {
    Scalar v;
    v.kind = Scalar::Kind::Bool;
    return scalar(v);
  }
  bool Int(int i) { return Int64(i); }
  bool Int64(int64_t i) {
    Scalar v;
    v.kind = Scalar::Kind::Int;
    v.i = i;
    return scalar(v);
  }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Uint64(uint64_t u) {
    Scalar v;
    v.kind = Scalar::Kind::Uint;
    v.u = u;
    return scalar(v);
  }
  bool Double(double d) {
    Scalar v;
    v.kind = Scalar::Kind::Double;
    v.d = d;
    return scalar(v);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    Scalar v;
    v.kind = Scalar::Kind::String;
    v.s = s;
    v.n = n;
    return scalar(v);
  }
  bool StartObject() {
    return topOpen_ ? fail("JSON objects cannot be written")
                    : failData("data must be a JSON list with one element per hyperslice");
  }

  bool StartArray() {
    if (!topOpen_) {
      topOpen_ = true;
      return true;
    }
    if (depth_ == 0) {
      if (!beginElement()) return false;
      depth_ = 1;
      return true;
    }
    const Target& t = targets_[k_];
    const std::size_t rank = t.slab.shape.size();
    if (mode_ == Mode::Flat) return fail("a flat list must hold values only");
    if (mode_ == Mode::Undecided) {
      if (rank < 2) return fail("lists are nested deeper than the hyperslice's " + shapeText(t));
      mode_ = Mode::Nested;
    }
    if (depth_ >= rank) return fail("lists are nested deeper than the hyperslice's " + shapeText(t));
    if (++counts_[depth_ - 1] > t.slab.shape[depth_ - 1])
      return fail("the lists do not match the " + shapeText(t));
    counts_[depth_] = 0;
    ++depth_;
    return true;
  }

  bool EndArray(rapidjson::SizeType) {
    if (depth_ == 0) {
      if (k_ != targets_.size())
        return failData("data holds " + std::to_string(k_) + " elements, but the hyperchunks name " +
                        std::to_string(targets_.size()) + " hyperslices");
      return true;
    }
    const Target& t = targets_[k_];
    if (mode_ == Mode::Nested) {
      if (counts_[depth_ - 1] != t.slab.shape[depth_ - 1])
        return fail("the lists do not match the " + shapeText(t));
    } else if (written_ != t.elements) {
      return fail("a list of " + std::to_string(written_) + " values, but the hyperslice holds " +
                  std::to_string(t.elements));
    }
    if (--depth_ == 0) return endElement();
    return true;
  }

 private:
  enum class Mode { Undecided, Flat, Nested };

  static std::string shapeText(const Target& t) {
    std::string s = "shape (";
    for (std::size_t d = 0; d < t.slab.shape.size(); ++d)
      s += (d ? ", " : "") + std::to_string(t.slab.shape[d]);
    return s + (t.slab.shape.size() == 1 ? ",)" : ")");
  }

  // An error in the current element.
  bool fail(const std::string& message) {
    if (!topOpen_ || k_ >= targets_.size()) return failData(message);
    if (error_.empty())
      error_ = "data element " + std::to_string(k_) + " (" + describe(targets_[k_]) + "): " + message + ".";
    return false;
  }
  // An error of the data as a whole.
  bool failData(const std::string& message) {
    if (error_.empty()) error_ = message + ".";
    return false;
  }

  bool beginElement() {
    if (k_ >= targets_.size())
      return failData("data holds more elements than the " + std::to_string(targets_.size()) +
                      " hyperslices the hyperchunks name");
    const Target& t = targets_[k_];
    targets_[k_].offset = offset_;
    written_ = 0;
    mode_ = Mode::Undecided;
    counts_.assign(std::max<std::size_t>(t.slab.shape.size(), 1), 0);
    return true;
  }

  bool endElement() {
    targets_[k_].bytes = offset_ - targets_[k_].offset;
    ++k_;
    return true;
  }

  bool scalar(const Scalar& v) {
    if (!topOpen_) return failData("data must be a JSON list with one element per hyperslice");
    if (depth_ == 0) {
      if (!beginElement()) return false;
      const Target& t = targets_[k_];
      if (t.elements != 1)
        return fail("a single value, but the hyperslice holds " + std::to_string(t.elements) + " values");
      written_ = 1;
      return put(t, v) && endElement();
    }
    const Target& t = targets_[k_];
    if (mode_ == Mode::Undecided) mode_ = Mode::Flat;
    if (mode_ == Mode::Flat) {
      if (++written_ > t.elements)
        return fail("more values than the " + std::to_string(t.elements) + " the hyperslice holds");
    } else {
      if (depth_ != t.slab.shape.size()) return fail("a value where the " + shapeText(t) + " needs a list");
      if (++counts_[depth_ - 1] > t.slab.shape[depth_ - 1])
        return fail("the lists do not match the " + shapeText(t));
      ++written_;
    }
    return put(t, v);
  }

  bool put(const Target& t, const Scalar& v) {
    const arrays::Datatype& type = *t.type;
    const bool big = type.order == arrays::ByteOrder::Big;
    if (t.isString()) {
      if (v.kind != Scalar::Kind::String) return fail("a string attribute takes strings only");
      if (std::memchr(v.s, 0, v.n)) return fail("strings may not contain NUL characters");
      putUnsigned(buf_, v.n, 8, false);
      buf_.append(v.s, v.n);
      offset_ += 8 + v.n;
    } else if (type.cls == arrays::TypeClass::Float) {
      double d = 0;
      switch (v.kind) {
        case Scalar::Kind::Null:
          d = std::numeric_limits<double>::quiet_NaN();
          break;
        case Scalar::Kind::Int:
          d = static_cast<double>(v.i);
          break;
        case Scalar::Kind::Uint:
          d = static_cast<double>(v.u);
          break;
        case Scalar::Kind::Double:
          d = v.d;
          break;
        default:
          return fail("a float attribute takes numbers or null only");
      }
      if (type.size == 4) {
        if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
          return fail("a value out of the float32 range");
        const float f = static_cast<float>(d);
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        putUnsigned(buf_, bits, 4, big);
      } else {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        putUnsigned(buf_, bits, 8, big);
      }
      offset_ += type.size;
    } else {
      uint64_t bits = 0;
      if (!integerBits(type, v, bits)) return false;
      putUnsigned(buf_, bits, type.size, big);
      offset_ += type.size;
    }
    if (buf_.size() >= (1u << 20)) flush();
    return true;
  }

  // An integer value in the type's range: JSON integers, and floats without a fraction.
  bool integerBits(const arrays::Datatype& type, const Scalar& v, uint64_t& bits) {
    const unsigned width = static_cast<unsigned>(type.size * 8);
    const uint64_t umax = width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1;
    const int64_t smax = static_cast<int64_t>(umax >> 1);
    const int64_t smin = -smax - 1;
    auto outOfRange = [&] {
      return fail("a value out of the " + std::string(type.isSigned ? "int" : "uint") +
                  std::to_string(width) + " range");
    };
    switch (v.kind) {
      case Scalar::Kind::Int:
        if (type.isSigned ? (v.i < smin || v.i > smax) : (v.i < 0 || static_cast<uint64_t>(v.i) > umax))
          return outOfRange();
        bits = static_cast<uint64_t>(v.i);
        return true;
      case Scalar::Kind::Uint:
        if (v.u > (type.isSigned ? static_cast<uint64_t>(smax) : umax)) return outOfRange();
        bits = v.u;
        return true;
      case Scalar::Kind::Double: {
        if (!std::isfinite(v.d) || std::trunc(v.d) != v.d)
          return fail("an integer attribute takes integers only, not " + floatRepr(v.d));
        const double limit = std::ldexp(1.0, static_cast<int>(type.isSigned ? width - 1 : width));
        if (type.isSigned ? (v.d < -limit || v.d >= limit) : (v.d < 0 || v.d >= limit)) return outOfRange();
        bits = type.isSigned ? static_cast<uint64_t>(static_cast<int64_t>(v.d)) : static_cast<uint64_t>(v.d);
        return true;
      }
      default:
        return fail("an integer attribute takes integers only");
    }
  }

  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size())
      throw InsufficientStorage("could not write the converted data to a temporary file");
    buf_.clear();
  }

  std::vector<Target>& targets_;
  std::FILE* out_;
  std::string buf_;
  uint64_t offset_ = 0;
  std::string error_;
  bool topOpen_ = false;
  std::size_t k_ = 0;      // the current element
  std::size_t depth_ = 0;  // lists open inside the current element
  Mode mode_ = Mode::Undecided;
  std::vector<uint64_t> counts_;  // entries seen per open list level (nested mode)
  uint64_t written_ = 0;          // values of the current element
};

void convertJson(std::FILE* in, std::vector<Target>& targets, std::FILE* out) {
  std::rewind(in);
  std::vector<char> buffer(256 * 1024);
  rapidjson::FileReadStream stream(in, buffer.data(), buffer.size());
  JsonConverter handler(targets, out);
  rapidjson::Reader reader;
  constexpr unsigned kFlags =
      rapidjson::kParseNanAndInfFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  const rapidjson::ParseResult ok = reader.Parse<kFlags>(stream, handler);
  if (!ok) {
    if (!handler.error().empty()) throw BadRequest(handler.error());
    throw BadRequest(std::string("data is not valid JSON: ") + rapidjson::GetParseError_En(ok.Code()) +
                     " (at byte " + std::to_string(ok.Offset()) + ").");
  }
  handler.finish();
}

}  // namespace

DataWrite::DataWrite(Projects& projects, Arraysets& arraysets, std::shared_ptr<ArrayStore> arrays,
                     DataWriteSettings settings)
    : projects_(projects), arraysets_(arraysets), arrays_(std::move(arrays)), settings_(settings) {}

void DataWrite::handle(Request& req, Response& res) const {
  const std::string mid = req.param("mid");
  const std::string aid = req.param("aid");
  const auto doc = projects_.model(req.principal(), mid, Need::Write);  // before the body is read
  const std::string c = arraysets_.container(*doc, aid);
  const StoredArrayset set(*arrays_, c);

  MultipartForm form(req.body(), req.header("Content-Type").value_or(""));
  const Limits limits;
  std::optional<std::string> hyperchunks, byteorder;
  std::optional<std::vector<Target>> targets;
  TempFile raw;
  bool haveData = false, dataTooLong = false;
  uint64_t dataBytes = 0, dataCap = 0;
  while (form.next()) {
    const std::string name = form.name();
    if (name == "hyperchunks" || name == "byteorder") {
      auto& slot = name == "hyperchunks" ? hyperchunks : byteorder;
      if (slot) throw BadRequest("The form field '" + name + "' is given more than once.");
      std::string value;
      if (name == "hyperchunks") {
        if (!form.readField(value, limits.maxInputBytes))
          throw PayloadTooLarge("hyperchunks: the input is longer than " +
                                std::to_string(limits.maxInputBytes) + " bytes");
      } else if (!form.readField(value, 16) || (value != "little" && value != "big")) {
        throw BadRequest(kByteorderMessage);
      }
      slot = std::move(value);
    } else if (name == "data") {
      if (haveData) throw BadRequest("The form field 'data' is given more than once.");
      haveData = true;
      // Every item is checked before the data is read, when the hyperchunks came first (as
      // Slycat's clients send them).
      dataCap = std::numeric_limits<uint64_t>::max() - 1;
      if (hyperchunks) {
        targets = planTargets(set, *hyperchunks);
        const auto binary = binaryBytes(*targets);
        if (byteorder && !binary)
          throw BadRequest("Binary data (byteorder) cannot be written to string attributes.");
        if (byteorder)
          dataCap = *binary;
        else
          dataCap = std::max(settings_.maxJsonDataBytes, binary.value_or(0));
      }
      dataTooLong = !form.copyTo(raw.f, dataCap, dataBytes);
      // The rest of an over-long part is not read: the request ends here.
      if (dataTooLong && byteorder)
        throw BadRequest("data holds more than the " + std::to_string(dataCap) +
                         " bytes the hyperchunks select.");
      if (dataTooLong)
        throw PayloadTooLarge("JSON data may hold at most " + std::to_string(settings_.maxJsonDataBytes) +
                              " bytes");
    } else {
      throw BadRequest("Unexpected parameter '" + name + "'.");
    }
  }

  std::string missing;
  if (!hyperchunks) missing = "hyperchunks";
  if (!haveData) missing += std::string(missing.empty() ? "" : ", ") + "data";
  if (!missing.empty()) throw BadRequest("Missing parameters: " + missing);
  if (!targets) targets = planTargets(set, *hyperchunks);
  raw.flush();

  std::optional<TempFile> packed;
  bool swap = false;
  if (byteorder) {
    const auto binary = binaryBytes(*targets);
    if (!binary) throw BadRequest("Binary data (byteorder) cannot be written to string attributes.");
    if (dataTooLong || dataBytes != *binary)
      throw BadRequest("data holds " + std::string(dataTooLong ? "more than " : "") +
                       std::to_string(dataBytes) + " bytes, but the hyperchunks select " +
                       std::to_string(*binary) + " bytes.");
    uint64_t offset = 0;
    for (Target& t : *targets) {
      t.offset = offset;
      t.bytes = t.elements * t.type->size;
      offset += t.bytes;
    }
    swap = *byteorder == "big";
  } else {
    if (dataTooLong || dataBytes > settings_.maxJsonDataBytes)
      throw PayloadTooLarge("JSON data may hold at most " + std::to_string(settings_.maxJsonDataBytes) +
                            " bytes");
    packed.emplace();
    convertJson(raw.f, *targets, packed->f);
    packed->flush();
  }

  // Everything is checked: write.
  const int fd = fileno(packed ? packed->f : raw.f);
  for (std::size_t k = 0; k < targets->size(); ++k) {
    const Target& t = (*targets)[k];
    if (t.elements > 0) {
      // Binary data comes in the requested order; the stores take the dataset type's order.
      const bool typeBig = t.type->order == arrays::ByteOrder::Big;
      SpoolSource source(fd, t.offset, t.bytes, packed || swap == typeBig ? 0 : t.type->size);
      arrays_->write(
          c, t.dataset, arrays::Selection::hyperslab({t.slab.start, t.slab.count, t.slab.step}),
          [&source](char* data, std::size_t n) { return source.read(data, n); }, t.bytes);
    }
    const bool lastOfAttribute = k + 1 == targets->size() || (*targets)[k + 1].array != t.array ||
                                 (*targets)[k + 1].attribute != t.attribute;
    if (lastOfAttribute) set.dropCaches(t.array, t.attribute);
  }

  projects_.changeModel(mid, [&aid](Poco::JSON::Object& model) {
    model.set("message", "Storing data to array set " + aid + ".");
  });
  res.sendText("", "text/html", 200);
}

}  // namespace strata::slycat
