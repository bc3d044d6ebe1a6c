#include "data_read.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <strata/arrays/datatype.h>
#include <strata/arrays/selection.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "arrayset_store.h"
#include "hyperchunks.h"
#include "json_text.h"

namespace strata::slycat {

namespace {

using arrays::Datatype;
using arrays::DatatypePtr;
using arrays::TypeClass;

constexpr std::size_t kBlock = kResponseBlockBytes;

[[noreturn]] void bad(const std::string& message) { throw BadRequest("hyperchunks: " + message); }

// ---- parameters ---------------------------------------------------------------------------

struct Params {
  std::string hyperchunks;
  std::optional<std::string> byteorder;  // "little" or "big"
};

void checkByteorder(const std::optional<std::string>& byteorder) {
  if (byteorder && *byteorder != "little" && *byteorder != "big")
    throw BadRequest("optional byteorder argument must be big or little.");
}

Params queryParams(const Request& req) {
  const auto h = req.query("hyperchunks");
  if (!h) throw BadRequest("Missing 'hyperchunks' parameter.");
  Params p{*h, req.query("byteorder")};
  checkByteorder(p.byteorder);
  return p;
}

Params bodyParams(Request& req, uint64_t maxBytes) {
  const auto body = req.jsonObject(maxBytes);
  Params p;
  bool have = false;
  for (const auto& [name, value] : *body) {
    if (name == "hyperchunks") {
      if (!value.isString()) throw BadRequest("'hyperchunks' parameter must be a string.");
      p.hyperchunks = value.extract<std::string>();
      have = true;
    } else if (name == "byteorder") {
      if (value.isEmpty()) continue;  // null: no byte order, as when left out
      if (!value.isString()) throw BadRequest("optional byteorder argument must be big or little.");
      p.byteorder = value.extract<std::string>();
    } else if (name != "include_nans") {
      throw BadRequest("Unexpected parameter '" + name + "'.");
    }
  }
  if (!have) throw BadRequest("Missing 'hyperchunks' parameter.");
  checkByteorder(p.byteorder);
  return p;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// 406 unless an Accept header, if any, allows `type` (exactly, as */* or as application/*).
void checkAccept(const Request& req, const std::string& type) {
  const auto header = req.header("Accept");
  if (!header || trim(*header).empty()) return;
  std::size_t pos = 0;
  while (pos <= header->size()) {
    std::size_t comma = header->find(',', pos);
    if (comma == std::string::npos) comma = header->size();
    const std::string range = header->substr(pos, comma - pos);
    pos = comma + 1;
    const std::size_t semi = range.find(';');
    const std::string media = lower(trim(range.substr(0, semi)));
    bool refused = false;  // q=0
    for (std::size_t p = semi; p != std::string::npos && p < range.size();) {
      const std::size_t next = range.find(';', p + 1);
      const std::string param =
          lower(trim(range.substr(p + 1, next == std::string::npos ? std::string::npos : next - p - 1)));
      if (param.rfind("q=", 0) == 0) {
        const std::string q = trim(param.substr(2));
        refused = !q.empty() && q.find_first_not_of("0.") == std::string::npos;
      }
      p = next;
    }
    if (!refused && (media == type || media == "*/*" || media == "application/*")) return;
  }
  throw NotAcceptable("Your client sent this Accept header: " + *header +
                      ". But this resource only emits these media types: " + type + ".");
}

// ---- output -------------------------------------------------------------------------------

// Gathers formatted output into blocks of about kBlock bytes for the BodyWriter.
class Output {
 public:
  explicit Output(BodyWriter& w) : w_(w) { buf_.reserve(kBlock + 256); }
  std::string& buf() { return buf_; }
  void maybeFlush() {
    if (buf_.size() >= kBlock) flush();
  }
  void flush() {
    if (!buf_.empty()) w_.write(buf_.data(), buf_.size());
    buf_.clear();
  }
  void raw(const char* data, std::size_t n) {
    if (buf_.size() + n > kBlock) {
      flush();
      if (n >= kBlock) {
        w_.write(data, n);
        return;
      }
    }
    buf_.append(data, n);
  }

 private:
  BodyWriter& w_;
  std::string buf_;
};

// Writes the brackets and separators of one element's nested lists around its values in C
// order; a shape without dimensions is a single value.
class Nest {
 public:
  Nest(Output& out, const std::vector<uint64_t>& shape) : out_(out), shape_(shape), at_(shape.size(), 0) {}
  uint64_t size() const {
    uint64_t n = 1;
    for (uint64_t d : shape_) n *= d;
    return n;
  }
  void begin() {
    if (size() == 0) return empty(0);
    out_.buf().append(shape_.size(), '[');
  }
  // Before each value.
  void next() {
    if (first_) {
      first_ = false;
      return;
    }
    std::size_t closed = 0;
    for (std::size_t d = shape_.size(); d-- > 0;) {
      if (++at_[d] < shape_[d]) break;
      at_[d] = 0;
      ++closed;
    }
    std::string& b = out_.buf();
    b.append(closed, ']');
    b += ", ";
    b.append(closed, '[');
  }
  void end() {
    if (size() != 0) out_.buf().append(shape_.size(), ']');
  }

 private:
  // The nested empty lists of a shape without elements, as numpy's tolist() gives them.
  void empty(std::size_t d) {
    std::string& b = out_.buf();
    b += '[';
    if (shape_[d] != 0) {
      for (uint64_t i = 0; i < shape_[d]; ++i) {
        if (i) b += ", ";
        empty(d + 1);
        out_.maybeFlush();
      }
    }
    b += ']';
  }

  Output& out_;
  const std::vector<uint64_t>& shape_;
  std::vector<uint64_t> at_;
  bool first_ = true;
};

// ---- stored attributes (the fast path) ----------------------------------------------------

struct StoredAttribute {
  std::string dataset;
  DatatypePtr type;
};

bool streamable(const Datatype& t) {
  if (t.cls == TypeClass::Integer) return t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8;
  if (t.cls == TypeClass::Float) return t.size == 4 || t.size == 8;
  return t.cls == TypeClass::String && t.variable;
}

// Cuts a stream of packed elements into whole ones, whatever the store's block boundaries.
class Elements {
 public:
  explicit Elements(const Datatype& t) : t_(t) {}
  // fixed(data, count) for runs of fixed-size elements; text(data, n) for each vlen string.
  template <typename Fixed, typename Text>
  void feed(const char* data, std::size_t n, Fixed&& fixed, Text&& text) {
    if (t_.variable) return feedStrings(data, n, text);
    const std::size_t size = t_.size;
    if (!carry_.empty()) {
      const std::size_t take = std::min(n, size - carry_.size());
      carry_.append(data, take);
      data += take;
      n -= take;
      if (carry_.size() < size) return;
      fixed(carry_.data(), std::size_t{1});
      carry_.clear();
    }
    const std::size_t whole = n / size;
    if (whole) fixed(data, whole);
    carry_.assign(data + whole * size, n - whole * size);
  }

 private:
  template <typename Text>
  void feedStrings(const char* data, std::size_t n, Text& text) {
    while (n) {
      if (need_ == 0 && !inLength_) {
        inLength_ = true;
        carry_.clear();
      }
      if (inLength_) {
        const std::size_t take = std::min(n, 8 - carry_.size());
        carry_.append(data, take);
        data += take;
        n -= take;
        if (carry_.size() < 8) return;
        uint64_t len = 0;
        for (int b = 0; b < 8; ++b) len |= uint64_t(static_cast<unsigned char>(carry_[b])) << (8 * b);
        carry_.clear();
        inLength_ = false;
        need_ = len;
        if (len == 0) {
          text("", std::size_t{0});
          continue;
        }
      }
      if (carry_.empty() && n >= need_) {
        text(data, static_cast<std::size_t>(need_));
        data += need_;
        n -= need_;
        need_ = 0;
        continue;
      }
      const std::size_t take = std::min<uint64_t>(n, need_ - carry_.size());
      carry_.append(data, take);
      data += take;
      n -= take;
      if (carry_.size() == need_) {
        text(carry_.data(), carry_.size());
        carry_.clear();
        need_ = 0;
      }
    }
  }

  const Datatype& t_;
  std::string carry_;
  bool inLength_ = false;
  uint64_t need_ = 0;
};

// Formats `count` packed numbers of type `t` as JSON values.
void formatNumbers(const Datatype& t, const char* data, std::size_t count, Nest& nest, Output& out) {
  const bool swap = t.order == arrays::ByteOrder::Big;
  const std::size_t size = t.size;
  unsigned char b[8];
  for (std::size_t i = 0; i < count; ++i) {
    const char* p = data + i * size;
    for (std::size_t k = 0; k < size; ++k) b[k] = static_cast<unsigned char>(p[swap ? size - 1 - k : k]);
    nest.next();
    std::string& s = out.buf();
    if (t.cls == TypeClass::Float) {
      if (size == 4) {
        float f;
        std::memcpy(&f, b, 4);
        appendFloat(s, static_cast<double>(f));
      } else {
        double d;
        std::memcpy(&d, b, 8);
        appendFloat(s, d);
      }
    } else {
      uint64_t u = 0;
      for (std::size_t k = 0; k < size; ++k) u |= uint64_t(b[k]) << (8 * k);
      if (t.isSigned) {
        if (size < 8 && ((u >> (8 * size - 1)) & 1)) u |= ~uint64_t(0) << (8 * size);
        appendInteger(s, static_cast<int64_t>(u));
      } else {
        appendInteger(s, u);
      }
    }
    out.maybeFlush();
  }
}

// ---- computed values (the evaluator's columns) --------------------------------------------

// The packed size of one value of a column type in binary output.
std::size_t binarySize(const std::string& type) {
  if (type == "bool" || type == "int8" || type == "uint8") return 1;
  if (type == "int16" || type == "uint16") return 2;
  if (type == "int32" || type == "uint32" || type == "float32") return 4;
  return 8;
}

void appendBinary(std::string& out, const std::string& type, double v, bool big) {
  unsigned char b[8];
  const std::size_t size = binarySize(type);
  uint64_t u = 0;
  if (type == "bool") {
    u = v != 0 ? 1 : 0;
  } else if (type == "float32") {
    const auto f = static_cast<float>(v);
    uint32_t w;
    std::memcpy(&w, &f, 4);
    u = w;
  } else if (type == "float64") {
    std::memcpy(&u, &v, 8);
  } else if (type[0] == 'u') {
    u = toUnsigned(v);
  } else {
    u = static_cast<uint64_t>(toSigned(v));
  }
  for (std::size_t k = 0; k < size; ++k) b[big ? size - 1 - k : k] = static_cast<unsigned char>(u >> (8 * k));
  out.append(reinterpret_cast<const char*>(b), size);
}

// ---- validation ---------------------------------------------------------------------------

std::string attributeTypeOf(const ArrayInfo& info, int64_t array, int64_t attribute) {
  const auto count = static_cast<int64_t>(info.attributes.size());
  if (attribute < 0 || attribute >= count) {
    bad("attribute a" + std::to_string(attribute) + " out of range: array " + std::to_string(array) +
        " has " + std::to_string(count) + " attributes");
  }
  return info.attributes[static_cast<std::size_t>(attribute)].type;
}

// The type of an expression's value, with every check the Evaluator makes while evaluating it,
// so that evaluation cannot fail once the response has begun.
std::string expressionType(const ArrayInfo& info, int64_t array, const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kAttribute:
      return attributeTypeOf(info, array, e.integer);
    case Expr::Kind::kSlice:
      if (e.slice.kind == Slice::Kind::kIndex) return attributeTypeOf(info, array, e.slice.index);
      break;
    case Expr::Kind::kCall: {
      const auto& args = e.children;
      if (e.text == "index") {
        if (args.size() != 1 || args[0].kind != Expr::Kind::kInteger)
          bad(toString(e) + ": index() takes one argument, the integer number of a dimension");
        if (args[0].integer < 0 || args[0].integer >= static_cast<int64_t>(info.shape.size())) {
          bad(toString(e) + ": dimension " + std::to_string(args[0].integer) + " out of range: array " +
              std::to_string(array) + " has " + std::to_string(info.shape.size()) + " dimensions");
        }
        return "int64";
      }
      if (e.text == "rank") {
        if (args.size() != 2 || args[1].kind != Expr::Kind::kString ||
            (args[1].text != "asc" && args[1].text != "desc"))
          bad(toString(e) + ": rank() takes two arguments, an expression and \"asc\" or \"desc\"");
        if (info.shape.size() != 1) {
          bad(toString(e) + ": rank() needs a 1-dimensional array; array " + std::to_string(array) + " has " +
              std::to_string(info.shape.size()) + " dimensions");
        }
        expressionType(info, array, args[0]);
        return "int64";
      }
      bad("unknown function " + e.text + " in " + toString(e));
    }
    case Expr::Kind::kCompare:
      if (attributeTypeOf(info, array, e.children[0].integer) == "string") {
        bad(toString(e) + ": a" + std::to_string(e.children[0].integer) +
            " holds strings, which compare only with in [...]");
      }
      return "bool";
    case Expr::Kind::kIn:
    case Expr::Kind::kNotIn:
      attributeTypeOf(info, array, e.children[0].integer);
      return "bool";
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr:
      for (const Expr& c : e.children) {
        if (expressionType(info, array, c) != "bool") bad(toString(c) + " is not a condition");
      }
      return "bool";
    default:
      break;
  }
  bad(toString(e) + " is not an attribute, a function call or a comparison");
}

// An order that is a permutation by construction: rank(...) or index(0) (1-D arrays only).
bool surePermutation(const Expr& order) {
  return order.kind == Expr::Kind::kCall && (order.text == "rank" || order.text == "index");
}

// ---- the read -----------------------------------------------------------------------------

class DataRead {
 public:
  DataRead(StoredArrayset& set, const Params& params, const Limits& limits)
      : set_(set),
        params_(params),
        chunks_(parseHyperchunks(params.hyperchunks, limits)),
        items_(expandHyperchunks(chunks_, set, limits)),
        evaluator_(set) {}

  // Every check, before the response begins.
  void validate() {
    std::set<std::pair<std::size_t, int64_t>> orders;  // (hyperchunk, array) checked
    for (const Item& item : items_) {
      if (!item.hasAttribute || !item.hyperslice) continue;
      const ArrayInfo& info = set_.metadata(item.array).info;
      const Hyperchunk& chunk = chunks_[item.hyperchunk];
      std::string type;
      if (fast(item)) {
        type = attributeTypeOf(info, item.array, item.attribute);
        const StoredAttribute& a = stored(item.array, item.attribute);
        if (a.type->cls == TypeClass::String) type = "string";
      } else {
        type = item.expression ? expressionType(info, item.array, *item.expression)
                               : attributeTypeOf(info, item.array, item.attribute);
        if (chunk.order) {
          if (info.shape.size() != 1) {
            bad("order:" + toString(*chunk.order) + " on array " + std::to_string(item.array) +
                ", which has " + std::to_string(info.shape.size()) +
                " dimensions; order: needs a 1-dimensional array");
          }
          if (expressionType(info, item.array, *chunk.order) == "string")
            bad("order:" + toString(*chunk.order) + " is not a permutation of the rows");
          // Other orders are evaluated now, once per array, to learn whether they permute.
          if (!surePermutation(*chunk.order) && orders.insert({item.hyperchunk, item.array}).second)
            evaluator_.evaluate(chunks_, item);
        }
      }
      const ResolvedHyperslice r = resolveHyperslice(info.shape, *item.hyperslice);
      binaryBytes_ +=
          r.size() * (fast(item) ? stored(item.array, item.attribute).type->size : binarySize(type));
      if (params_.byteorder && type == "string") {
        throw BadRequest("byteorder cannot be used with string attributes (array " +
                         std::to_string(item.array) + "); leave it out to read strings as JSON.");
      }
    }
  }

  // The length of a binary answer (byteorder given), known once validate() has run, so that
  // it goes out with a Content-Length rather than chunked.
  uint64_t binaryBytes() const { return binaryBytes_; }

  void write(BodyWriter& writer) {
    Output out(writer);
    const bool json = !params_.byteorder;
    bool first = true;
    if (json) out.buf() += '[';
    for (const Item& item : items_) {
      if (!item.hasAttribute || !item.hyperslice) continue;
      if (json && !first) out.buf() += ", ";
      first = false;
      if (fast(item))
        writeStored(item, out);
      else
        writeComputed(item, out);
      out.maybeFlush();
    }
    if (json) out.buf() += ']';
    out.flush();
  }

 private:
  bool fast(const Item& item) {
    if (item.expression || chunks_[item.hyperchunk].order) return false;
    return streamable(*stored(item.array, item.attribute).type);
  }

  const StoredAttribute& stored(int64_t array, int64_t attribute) {
    const auto key = std::make_pair(array, attribute);
    if (const auto it = stored_.find(key); it != stored_.end()) return it->second;
    const ArrayInfo& info = set_.metadata(array).info;
    attributeTypeOf(info, array, attribute);
    StoredAttribute a;
    a.dataset = set_.attributeDataset(array, attribute);
    const DatasetInfo d = set_.store().dataset(set_.container(), a.dataset);
    if (d.shape.dims != info.shape) {
      throw InternalError("arrayset " + set_.container() + ": attribute " + std::to_string(attribute) +
                          " of array " + std::to_string(array) + " does not have the array's shape");
    }
    a.type = d.type;
    return stored_.emplace(key, std::move(a)).first->second;
  }

  void writeStored(const Item& item, Output& out) {
    const ArrayInfo& info = set_.metadata(item.array).info;
    const StoredAttribute& a = stored(item.array, item.attribute);
    const Datatype& t = *a.type;
    const ResolvedHyperslice r = resolveHyperslice(info.shape, *item.hyperslice);
    const auto selection = arrays::Selection::hyperslab({r.start, r.count, r.step});
    Elements elements(t);
    if (params_.byteorder) {
      if (r.size() == 0) return;
      const bool big = *params_.byteorder == "big";
      const bool swap = t.size > 1 && (t.order == arrays::ByteOrder::Big) != big;
      set_.store().read(set_.container(), a.dataset, selection, [&](const char* data, std::size_t n) {
        if (!swap) return out.raw(data, n);
        elements.feed(
            data, n,
            [&](const char* e, std::size_t count) {
              const std::size_t per = std::max<std::size_t>(1, kBlock / t.size);
              for (std::size_t done = 0; done < count; done += per) {
                const std::size_t k = std::min(per, count - done);
                std::string& b = out.buf();
                const std::size_t at = b.size();
                b.append(e + done * t.size, k * t.size);
                arrays::swapByteOrder(t, b.data() + at, k);
                out.maybeFlush();
              }
            },
            [](const char*, std::size_t) {});
      });
      return;
    }
    Nest nest(out, r.shape);
    nest.begin();
    if (r.size() != 0) {
      set_.store().read(set_.container(), a.dataset, selection, [&](const char* data, std::size_t n) {
        elements.feed(
            data, n, [&](const char* e, std::size_t count) { formatNumbers(t, e, count, nest, out); },
            [&](const char* s, std::size_t len) {
              nest.next();
              appendString(out.buf(), s, len);
              out.maybeFlush();
            });
      });
    }
    nest.end();
  }

  void writeComputed(const Item& item, Output& out) {
    const Values v = evaluator_.evaluate(chunks_, item);
    const Column& c = v.column;
    if (params_.byteorder) {
      const bool big = *params_.byteorder == "big";
      for (const double x : c.numbers) {
        appendBinary(out.buf(), c.type, x, big);
        out.maybeFlush();
      }
      return;
    }
    Nest nest(out, v.shape);
    nest.begin();
    for (std::size_t i = 0; i < c.size(); ++i) {
      nest.next();
      if (c.isString())
        appendString(out.buf(), c.strings[i].data(), c.strings[i].size());
      else
        appendJsonValue(out.buf(), c.type, c.numbers[i]);
      out.maybeFlush();
    }
    nest.end();
  }

  StoredArrayset& set_;
  const Params& params_;
  Hyperchunks chunks_;
  std::vector<Item> items_;
  Evaluator evaluator_;
  std::map<std::pair<int64_t, int64_t>, StoredAttribute> stored_;
  uint64_t binaryBytes_ = 0;
};

void serve(Request& req, Response& res, Arraysets& arraysets, const Poco::JSON::Object& doc,
           const Params& params) {
  const std::string type = params.byteorder ? "application/octet-stream" : "application/json";
  checkAccept(req, type);
  StoredArrayset set(arraysets.store(), arraysets.container(doc, req.param("aid")));
  DataRead read(set, params, Limits());
  read.validate();
  auto writer = res.beginBody(type, params.byteorder ? static_cast<int64_t>(read.binaryBytes()) : -1);
  read.write(*writer);
  writer->close();
}

}  // namespace

void addDataReadRoutes(RouteRegistry& routes, const std::string& prefix, Projects& projects,
                       Arraysets& arraysets) {
  // A POST body holds the hyperchunks text (at most Limits::maxInputBytes) and a few keys.
  const uint64_t maxBody = Limits().maxInputBytes + (64u << 10);
  const std::string path = prefix + "/models/{mid}/arraysets/{aid}/data";

  routes.add(
      "GET", path,
      [&projects, &arraysets](Request& req, Response& res) {
        const auto doc = projects.model(req.principal(), req.param("mid"), Need::Read);
        serve(req, res, arraysets, *doc, queryParams(req));
      },
      RouteOptions{Access::User, 0, nullptr});

  routes.add(
      "POST", path,
      [&projects, &arraysets, maxBody](Request& req, Response& res) {
        const auto doc = projects.model(req.principal(), req.param("mid"), Need::Read);  // before the body
        serve(req, res, arraysets, *doc, bodyParams(req, maxBody));
      },
      RouteOptions{Access::User, maxBody, nullptr});
}

}  // namespace strata::slycat
