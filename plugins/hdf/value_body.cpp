#include "value_body.h"

#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>
#include <strata/errors.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "values.h"

namespace strata::hdf {

using Poco::Dynamic::Var;

namespace {

std::string_view trimLeft(std::string_view s, std::string_view chars) {
  const auto at = s.find_first_not_of(chars);
  return at == std::string_view::npos ? std::string_view() : s.substr(at);
}

// Records where each member of the root object lies in the text; the value of "value" is not
// looked at beyond its syntax (numbers are only scanned, not converted).
//
// RapidJSON reads strings and numbers through a local copy of the stream (which lets it scan
// them with SSE2) and moves the stream itself only after the handler call; so during a Key
// event the stream is still at the key's opening quote. A member is therefore known to end
// where the next one starts (or at the closing brace of the root object).
class MemberScanner : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, MemberScanner> {
 public:
  struct Member {
    std::string key;
    std::string_view raw;    // `"key": value` as written
    std::string_view value;  // the value as written
    bool isString = false;
    bool escaped = false;  // the string had escapes: `copy` holds it unescaped
    std::string copy;
  };

  MemberScanner(const std::string& text, const rapidjson::StringStream& in) : text_(text), in_(in) {}

  bool StartObject() {
    if (depth_ == 0) rootObject_ = true;
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (--depth_ == 0 && open_) {
      // The stream is past the closing brace.
      memberEnds(in_.Tell() - 1);
    }
    return true;
  }
  bool StartArray() {
    if (depth_ == 0) return false;  // not an object: the Poco path gives the message
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ != 1) return true;
    const std::size_t at = in_.Tell();
    if (open_) memberEnds(at);
    Member m;
    m.key.assign(s, n);
    members_.push_back(std::move(m));
    start_ = at;
    open_ = true;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == 0) return false;
    if (depth_ == 1) {
      Member& m = members_.back();
      m.isString = true;
      // The stream is at the opening quote: without escapes the text there is the string.
      const std::size_t at = in_.Tell() + 1;
      if (text_.size() < at + n + 1 || text_.compare(at, n, s, n) != 0 || text_[at + n] != '"') {
        m.escaped = true;
        m.copy.assign(s, n);
      }
    }
    return true;
  }
  bool Default() { return depth_ != 0; }

  bool rootObject() const { return rootObject_; }
  std::vector<Member>& members() { return members_; }

 private:
  // The open member ends before `end` (the next key's quote, or the root's closing brace).
  void memberEnds(std::size_t end) {
    std::string_view raw = std::string_view(text_).substr(start_, end - start_);
    const auto last = raw.find_last_not_of(" \t\n\r,");
    raw = raw.substr(0, last == std::string_view::npos ? 0 : last + 1);
    Member& m = members_.back();
    m.raw = raw;
    // The key is a JSON string: its end is the first quote not escaped.
    std::size_t i = 1;
    while (i < raw.size() && raw[i] != '"') i += raw[i] == '\\' ? 2 : 1;
    m.value = trimLeft(raw.substr(std::min(i + 1, raw.size())), " \t\n\r:");
    open_ = false;
  }

  const std::string& text_;
  const rapidjson::StringStream& in_;
  int depth_ = 0;
  bool rootObject_ = false;
  bool open_ = false;
  std::size_t start_ = 0;
  std::vector<Member> members_;
};

// Encodes a JSON value of numbers straight into packed elements of type T, recording the
// shape as it goes (rectangular lists only). Returns false (through the reader) on anything it
// does not take exactly as the type model would: the caller then asks the type model.
template <class T, bool kSwap>
class NumberEncoder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, NumberEncoder<T, kSwap>> {
 public:
  static constexpr uint64_t kUnset = ~uint64_t{0};
  static constexpr std::size_t kMaxDepth = 64;

  NumberEncoder(char* out, uint64_t capacity, const char* text, const rapidjson::StringStream& in)
      : out_(out), capacity_(capacity), text_(text), in_(in) {}

  bool Default() { return false; }
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Int64(int64_t i) {
    if constexpr (std::is_floating_point_v<T>) {
      return put(static_cast<T>(static_cast<double>(i)));
    } else {
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min())) return false;
      if (i > 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return false;
      return put(static_cast<T>(i));
    }
  }
  bool Uint64(uint64_t u) {
    if constexpr (std::is_floating_point_v<T>) {
      return put(static_cast<T>(static_cast<double>(u)));
    } else {
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
      return put(static_cast<T>(u));
    }
  }
  bool Double(double d) {
    if constexpr (std::is_floating_point_v<T>) {
      if (d != 0 && zeroDigits()) return false;
      if constexpr (sizeof(T) == 4) {
        if (std::isfinite(d) && std::fabs(d) > FLT_MAX) return false;
      }
      return put(static_cast<T>(d));
    } else {
      return false;  // integral doubles ("3.0") are rare: the type model takes them
    }
  }
  bool StartArray() {
    if (leafDepth_ >= 0 && depth_ >= static_cast<std::size_t>(leafDepth_)) return false;
    if (depth_ > 0) ++counts_[depth_ - 1];
    if (++depth_ > kMaxDepth) return false;
    if (counts_.size() < depth_) counts_.resize(depth_);
    counts_[depth_ - 1] = 0;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    const uint64_t n = counts_[depth_];
    if (lens_.size() <= depth_) lens_.resize(depth_ + 1, kUnset);
    if (lens_[depth_] == kUnset)
      lens_[depth_] = n;
    else if (lens_[depth_] != n)
      return false;
    return true;
  }

  // The shape of the value, if it was rectangular with at least one element.
  std::optional<std::vector<uint64_t>> shape() const {
    if (leafDepth_ < 0 || lens_.size() != static_cast<std::size_t>(leafDepth_)) return std::nullopt;
    uint64_t product = 1;
    for (uint64_t n : lens_) product *= n;
    if (product != count_) return std::nullopt;
    return lens_;
  }
  uint64_t count() const { return count_; }

 private:
  bool put(T v) {
    if (leafDepth_ < 0) {
      if (lens_.size() > depth_) return false;
      leafDepth_ = static_cast<int>(depth_);
    } else if (static_cast<std::size_t>(leafDepth_) != depth_) {
      return false;
    }
    if (count_ == capacity_) return false;
    if (depth_ > 0) ++counts_[depth_ - 1];
    if constexpr (kSwap) {
      std::reverse(reinterpret_cast<char*>(&v), reinterpret_cast<char*>(&v) + sizeof v);
    }
    std::memcpy(out_ + count_ * sizeof(T), &v, sizeof(T));
    ++count_;
    return true;
  }

  // Whether the number just read (it ends where the stream is) has only zeros before its
  // exponent. RapidJSON 1.1.0's full-precision conversion gives such a number with many
  // decimals ("0.000000000000000000000000000000000000000000000") a value that is not zero (it
  // normalizes a zero significand with __builtin_clzll(0); found by fuzz/hdf_value): Double()
  // hands a non-zero value of such a number to the type model.
  bool zeroDigits() const {
    const char* end = text_ + in_.Tell();
    const char* p = end;
    const auto numeric = [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
    };
    while (p > text_ && numeric(p[-1])) --p;
    for (; p < end && *p != 'e' && *p != 'E'; ++p)
      if (*p >= '1' && *p <= '9') return false;
    return true;
  }

  char* out_;
  uint64_t capacity_;
  const char* text_;
  const rapidjson::StringStream& in_;
  uint64_t count_ = 0;
  std::size_t depth_ = 0;
  int leafDepth_ = -1;
  std::vector<uint64_t> counts_;  // elements so far in the open list at each depth
  std::vector<uint64_t> lens_;    // the length every list at each depth has
};

std::vector<uint64_t> squeeze(const std::vector<uint64_t>& dims) {
  std::vector<uint64_t> out;
  for (uint64_t d : dims)
    if (d != 1) out.push_back(d);
  return out;
}

template <class T, bool kSwap>
bool encodeNumbers(const std::vector<uint64_t>& dims, std::string_view text, std::string& out) {
  uint64_t count = 1;
  for (uint64_t d : dims) count *= d;
  // Every element takes at least one character: a larger selection cannot match the text.
  if (count == 0 || count > text.size()) return false;
  out.assign(count * sizeof(T), '\0');
  rapidjson::Reader reader;
  rapidjson::StringStream in(text.data());
  NumberEncoder<T, kSwap> encoder(out.data(), count, text.data(), in);
  constexpr unsigned kFlags = rapidjson::kParseFullPrecisionFlag | rapidjson::kParseStopWhenDoneFlag;
  if (reader.Parse<kFlags>(in, encoder).IsError()) return false;
  if (in.Tell() > text.size()) return false;
  const auto shape = encoder.shape();
  if (!shape || encoder.count() != count) return false;
  return dims.empty() ? shape->empty() : (*shape == dims || *shape == squeeze(dims));
}

template <class T>
bool encodeOrdered(const arrays::Datatype& type, const std::vector<uint64_t>& dims, std::string_view text,
                   std::string& out) {
  constexpr bool kHostLittle = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  if ((type.order == arrays::ByteOrder::Little) == kHostLittle)
    return encodeNumbers<T, false>(dims, text, out);
  return encodeNumbers<T, true>(dims, text, out);
}

// U: the unsigned type of the integer's size; its signed twin serves signed types.
template <typename U>
bool encodeInteger(const arrays::Datatype& type, const std::vector<uint64_t>& dims, std::string_view text,
                   std::string& out) {
  return type.isSigned ? encodeOrdered<std::make_signed_t<U>>(type, dims, text, out)
                       : encodeOrdered<U>(type, dims, text, out);
}

bool encodeFast(const arrays::Datatype& type, const std::vector<uint64_t>& dims, std::string_view text,
                std::string& out) {
  if (type.cls == arrays::TypeClass::Float) {
    if (type.size == 4) return encodeOrdered<float>(type, dims, text, out);
    if (type.size == 8) return encodeOrdered<double>(type, dims, text, out);
    return false;
  }
  if (type.cls != arrays::TypeClass::Integer) return false;
  switch (type.size) {
    case 1:
      return encodeInteger<uint8_t>(type, dims, text, out);
    case 2:
      return encodeInteger<uint16_t>(type, dims, text, out);
    case 4:
      return encodeInteger<uint32_t>(type, dims, text, out);
    case 8:
      return encodeInteger<uint64_t>(type, dims, text, out);
    default:
      return false;
  }
}

}  // namespace

std::string encodeValueText(const arrays::Datatype& type, const std::vector<uint64_t>& dims,
                            std::string_view text) {
  std::string out;
  if (encodeFast(type, dims, text, out)) return out;
  // The type model decides, with its messages. The brackets let Poco parse any value.
  Var list;
  try {
    Poco::JSON::Parser parser;
    list = parser.parse("[" + std::string(text) + "]");
  } catch (const Poco::Exception& e) {
    throw BadRequest("invalid_json", "malformed JSON in the request body: " + e.message());
  }
  const auto array = list.extract<Poco::JSON::Array::Ptr>();
  if (array->size() != 1) throw BadRequest("invalid_json", "malformed JSON in the request body");
  return encodeValue(type, dims, array->get(0));
}

ValueBody ValueBody::read(Request& req, uint64_t maxBytes) { return parse(req.bodyText(maxBytes)); }

ValueBody ValueBody::parse(std::string text) {
  ValueBody body;
  auto held = std::make_unique<std::string>(std::move(text));
  // RapidJSON's SSE2 scanning reads aligned 16-byte blocks up to the terminating NUL, which may
  // run up to 15 bytes past it: reserve them, so that every read stays inside the allocation
  // (AddressSanitizer reported a heap-buffer-overflow here).
  held->reserve(held->size() + 16);
  body.text_ = std::move(held);
  const std::string& whole = *body.text_;
  rapidjson::StringStream in(whole.c_str());
  MemberScanner scanner(whole, in);
  rapidjson::Reader reader;
  bool scanned = !reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, scanner).IsError() &&
                 scanner.rootObject() && in.Tell() == whole.size();
  // Repeated value members are left to Poco, whose last one counts.
  int values = 0, base64s = 0;
  for (const auto& m : scanner.members()) {
    values += m.key == "value";
    base64s += m.key == "value_base64";
  }
  if (values > 1 || base64s > 1) scanned = false;
  if (scanned) {
    std::string rest = "{";
    for (auto& m : scanner.members()) {
      if (m.key == "value") {
        body.hasValue_ = true;
        body.valueText_ = m.value;
        continue;
      }
      if (m.key == "value_base64" && m.isString) {
        if (!m.escaped) {
          body.base64_ = m.value.substr(1, m.value.size() - 2);
        } else {
          body.base64Copy_ = std::make_unique<const std::string>(std::move(m.copy));
          body.base64_ = *body.base64Copy_;
        }
        continue;
      }
      if (rest.size() > 1) rest += ',';
      rest.append(m.raw);
    }
    rest += '}';
    try {
      Poco::JSON::Parser parser;
      const Var v = parser.parse(rest);
      body.members_ = v.extract<Poco::JSON::Object::Ptr>();
      return body;
    } catch (const Poco::Exception&) {
      // The two parsers disagree about this body: let Poco judge all of it, below.
    }
  }
  const Var v = parseJsonBody(whole);
  if (v.type() != typeid(Poco::JSON::Object::Ptr))
    throw BadRequest("invalid_json", "the request body must be a JSON object");
  body.members_ = v.extract<Poco::JSON::Object::Ptr>();
  body.base64_.reset();
  body.hasValue_ = body.members_->has("value");
  if (body.hasValue_) {
    body.valueVar_ = body.members_->get("value");
    body.members_->remove("value");
  }
  return body;
}

std::string ValueBody::encodeValue(const arrays::Datatype& type, const std::vector<uint64_t>& dims) const {
  if (valueVar_) return hdf::encodeValue(type, dims, *valueVar_);
  return encodeValueText(type, dims, valueText_);
}

}  // namespace strata::hdf
