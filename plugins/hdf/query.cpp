#include "query.h"

#include <Poco/JSON/Array.h>
#include <strata/errors.h>

#include <cctype>
#include <cmath>
#include <vector>

namespace strata::hdf {

using arrays::TypeClass;
using Poco::Dynamic::Var;

namespace {

enum class Kind { Number, String, Bool };

struct Operand {
  bool isField = false;
  std::size_t field = 0;  // index in the compound
  Kind kind = Kind::Number;
  // literal
  bool integral = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

enum class Op { Eq, Ne, Lt, Le, Gt, Ge };

// The value of one side of a comparison for one row.
struct Value {
  Kind kind = Kind::Number;
  bool integral = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

Var fieldOf(const Var& row, std::size_t index) {
  if (row.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto a = row.extract<Poco::JSON::Array::Ptr>();
    if (!a || index >= a->size()) throw InternalError("query: decoded row has too few fields");
    return a->get(static_cast<unsigned>(index));
  }
  if (row.type() == typeid(Poco::JSON::Array)) {
    const auto& a = row.extract<Poco::JSON::Array>();
    if (index >= a.size()) throw InternalError("query: decoded row has too few fields");
    return a.get(static_cast<unsigned>(index));
  }
  if (row.isArray() && index < row.size()) return row[index];
  throw InternalError("query: a decoded compound element is not a list of field values");
}

Value toValue(const Var& v, Kind kind) {
  Value out;
  out.kind = kind;
  if (kind == Kind::String) {
    out.s = v.isEmpty() ? std::string() : v.convert<std::string>();
    return out;
  }
  if (v.type() == typeid(bool)) {
    out.integral = true;
    out.i = v.extract<bool>() ? 1 : 0;
    out.d = static_cast<double>(out.i);
    out.kind = Kind::Number;
    return out;
  }
  if (v.isInteger()) {
    out.integral = true;
    if (v.isSigned()) {
      out.i = v.convert<int64_t>();
      out.d = static_cast<double>(out.i);
    } else {
      const auto u = v.convert<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        out.integral = false;
        out.d = static_cast<double>(u);
      } else {
        out.i = static_cast<int64_t>(u);
        out.d = static_cast<double>(out.i);
      }
    }
  } else if (v.isString()) {
    // NaN and infinities may come as strings from the value encoder.
    const std::string s = v.convert<std::string>();
    out.d = s == "NaN" ? NAN : s == "Infinity" ? INFINITY : s == "-Infinity" ? -INFINITY : std::stod(s);
  } else {
    out.d = v.convert<double>();
  }
  out.kind = Kind::Number;
  return out;
}

template <typename T>
bool cmp(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::Eq:
      return a == b;
    case Op::Ne:
      return a != b;
    case Op::Lt:
      return a < b;
    case Op::Le:
      return a <= b;
    case Op::Gt:
      return a > b;
    case Op::Ge:
      return a >= b;
  }
  return false;
}

bool compare(Op op, const Value& a, const Value& b) {
  if (a.kind == Kind::String) return cmp(op, a.s, b.s);
  if (a.integral && b.integral) return cmp(op, a.i, b.i);
  return cmp(op, a.d, b.d);
}

}  // namespace

struct Query::Node {
  enum class Type { And, Or, Not, Compare } type = Type::Compare;
  std::shared_ptr<const Node> left, right;
  Operand lhs, rhs;
  Op op = Op::Eq;
  Kind kind = Kind::Number;  // of the comparison

  bool eval(const Var& row) const {
    switch (type) {
      case Type::And:
        return left->eval(row) && right->eval(row);
      case Type::Or:
        return left->eval(row) || right->eval(row);
      case Type::Not:
        return !left->eval(row);
      case Type::Compare:
        break;
    }
    auto side = [&](const Operand& o) {
      if (!o.isField) {
        Value v;
        v.kind = kind;
        v.integral = o.integral;
        v.i = o.i;
        v.d = o.d;
        v.s = o.s;
        return v;
      }
      return toValue(fieldOf(row, o.field), kind);
    };
    return compare(op, side(lhs), side(rhs));
  }
};

namespace {

class Parser {
 public:
  Parser(const std::string& text, const arrays::Datatype& type) : text_(text), type_(type) {}

  std::shared_ptr<const Query::Node> parse() {
    auto n = parseOr();
    skipSpace();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_, 10) + "'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw BadRequest("Bad Request: invalid query '" + text_ + "': " + what + " (at character " +
                     std::to_string(pos_ + 1) + ")");
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(const std::string& tok) {
    skipSpace();
    if (text_.compare(pos_, tok.size(), tok) != 0) return false;
    // Word operators must end at a word boundary.
    if (std::isalpha(static_cast<unsigned char>(tok[0])) && pos_ + tok.size() < text_.size()) {
      const char next = text_[pos_ + tok.size()];
      if (std::isalnum(static_cast<unsigned char>(next)) || next == '_') return false;
    }
    pos_ += tok.size();
    return true;
  }

  std::shared_ptr<const Query::Node> binary(Query::Node::Type t, std::shared_ptr<const Query::Node> l,
                                            std::shared_ptr<const Query::Node> r) {
    auto n = std::make_shared<Query::Node>();
    n->type = t;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  std::shared_ptr<const Query::Node> parseOr() {
    auto left = parseAnd();
    while (accept("|") || accept("or")) left = binary(Query::Node::Type::Or, left, parseAnd());
    return left;
  }

  std::shared_ptr<const Query::Node> parseAnd() {
    auto left = parseUnary();
    while (true) {
      skipSpace();
      // "&&"/"||" are not numpy, but accepting them costs nothing.
      if (accept("&&") || accept("&") || accept("and"))
        left = binary(Query::Node::Type::And, left, parseUnary());
      else
        return left;
    }
  }

  std::shared_ptr<const Query::Node> parseUnary() {
    // Client input: bound the recursion of '(' and '~'.
    if (++depth_ > kMaxDepth) fail("nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (accept("~") || accept("not")) {
      auto n = std::make_shared<Query::Node>();
      n->type = Query::Node::Type::Not;
      n->left = parseUnary();
      return n;
    }
    skipSpace();
    if (accept("(")) {
      auto n = parseOr();
      if (!accept(")")) fail("missing ')'");
      return n;
    }
    return parseCompare();
  }

  std::shared_ptr<const Query::Node> parseCompare() {
    auto n = std::make_shared<Query::Node>();
    n->lhs = parseOperand();
    if (accept("=="))
      n->op = Op::Eq;
    else if (accept("!="))
      n->op = Op::Ne;
    else if (accept("<="))
      n->op = Op::Le;
    else if (accept(">="))
      n->op = Op::Ge;
    else if (accept("<"))
      n->op = Op::Lt;
    else if (accept(">"))
      n->op = Op::Gt;
    else
      fail("expected a comparison operator (==, !=, <, <=, >, >=)");
    n->rhs = parseOperand();
    if (!n->lhs.isField && !n->rhs.isField) fail("a comparison needs at least one field name");
    const Kind a = n->lhs.kind, b = n->rhs.kind;
    auto numeric = [](Kind k) { return k == Kind::Number || k == Kind::Bool; };
    if (a == Kind::String || b == Kind::String) {
      if (a != b) fail("cannot compare a string with a number");
      n->kind = Kind::String;
    } else if (numeric(a) && numeric(b)) {
      n->kind = Kind::Number;
    }
    return n;
  }

  Operand parseOperand() {
    skipSpace();
    if (pos_ >= text_.size()) fail("expected a field name or a value");
    Operand o;
    char c = text_[pos_];
    // String and bytes literals.
    if ((c == 'b' || c == 'B') && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '"')) {
      ++pos_;
      c = text_[pos_];
    }
    if (c == '\'' || c == '"') {
      const char quote = c;
      ++pos_;
      std::string s;
      while (pos_ < text_.size() && text_[pos_] != quote) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        s.push_back(text_[pos_++]);
      }
      if (pos_ >= text_.size()) fail("unterminated string");
      ++pos_;
      o.kind = Kind::String;
      o.s = s;
      return o;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      const std::size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              ((text_[pos_] == '-' || text_[pos_] == '+') &&
               (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
        ++pos_;
      const std::string num = text_.substr(start, pos_ - start);
      std::size_t used = 0;
      try {
        if (num.find_first_of(".eE") == std::string::npos && num.find_first_of("nN") == std::string::npos) {
          o.i = std::stoll(num, &used);
          o.d = static_cast<double>(o.i);
          o.integral = true;
        } else {
          o.d = std::stod(num, &used);
        }
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != num.size()) fail("'" + num + "' is not a number");
      o.kind = Kind::Number;
      return o;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      const std::string name = text_.substr(start, pos_ - start);
      if (name == "True" || name == "true" || name == "False" || name == "false") {
        o.kind = Kind::Bool;
        o.integral = true;
        o.i = (name[0] == 'T' || name[0] == 't') ? 1 : 0;
        o.d = static_cast<double>(o.i);
        return o;
      }
      for (std::size_t i = 0; i < type_.fields.size(); ++i) {
        if (type_.fields[i].name != name) continue;
        const auto& ft = *type_.fields[i].type;
        o.isField = true;
        o.field = i;
        switch (ft.cls) {
          case TypeClass::Integer:
          case TypeClass::Float:
          case TypeClass::Enum:
            o.kind = Kind::Number;
            break;
          case TypeClass::String:
            o.kind = Kind::String;
            break;
          default:
            fail("field '" + name + "' has a type that queries cannot compare");
        }
        return o;
      }
      fail("no field named '" + name + "'");
    }
    fail(std::string("unexpected '") + c + "'");
  }

  static constexpr int kMaxDepth = 64;
  const std::string& text_;
  const arrays::Datatype& type_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Query Query::parse(const std::string& text, const arrays::Datatype& compound) {
  if (compound.cls != TypeClass::Compound)
    throw BadRequest("Bad Request: query selection is only supported for compound types");
  Query q;
  q.root_ = Parser(text, compound).parse();
  return q;
}

bool Query::matches(const Poco::Dynamic::Var& row) const { return root_->eval(row); }

}  // namespace strata::hdf
