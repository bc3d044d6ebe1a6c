// The hyperchunks parser: a recursive-descent reading of the grammar in docs/slycat.md. Every
// alternative is an ordered choice that commits to the first alternative that matches, with no
// backtracking into it later, as Slycat's pyparsing grammar does; so the inputs accepted and
// refused are Slycat's. Conversions that Slycat attempts after matching and that fail (a float
// such as "1.5e", a nan-word such as "nana") are refused at once.
#include "hyperchunks.h"

#include <strata/errors.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace strata::slycat {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string describe(const std::string& text, std::size_t pos) {
  if (pos >= text.size()) return "unexpected end of input";
  unsigned char c = static_cast<unsigned char>(text[pos]);
  if (c < 0x20 || c >= 0x7f) return "unexpected byte " + std::to_string(c);
  return std::string("unexpected '") + text[pos] + "'";
}

class Parser {
 public:
  Parser(const std::string& text, const Limits& limits) : s_(text), limits_(limits) {}

  Hyperchunks parseAll() {
    Hyperchunks chunks;
    auto first = hyperchunk();
    if (!first) syntaxError();
    chunks.push_back(std::move(*first));
    while (true) {
      std::size_t save = pos_;
      if (!literal(";")) break;
      auto next = hyperchunk();
      if (!next) {
        pos_ = save;
        break;
      }
      chunks.push_back(std::move(*next));
    }
    skipSpace();
    if (pos_ != s_.size()) {
      note(pos_);
      syntaxError();
    }
    return chunks;
  }

 private:
  // --- lexical helpers -------------------------------------------------------------------

  void skipSpace() {
    while (pos_ < s_.size() && isSpace(s_[pos_])) ++pos_;
  }
  void note(std::size_t pos) {
    if (pos > furthest_) furthest_ = pos;
  }
  [[noreturn]] void syntaxError() {
    throw BadRequest("hyperchunks: " + describe(s_, furthest_) + " at position " + std::to_string(furthest_));
  }
  [[noreturn]] void valueError(std::size_t pos, const std::string& what) {
    throw BadRequest("hyperchunks: " + what + " at position " + std::to_string(pos));
  }

  // Matches a literal after optional whitespace; on failure consumes nothing.
  bool literal(const char* lit) {
    std::size_t save = pos_;
    skipSpace();
    std::size_t n = std::char_traits<char>::length(lit);
    if (s_.compare(pos_, n, lit) == 0) {
      pos_ += n;
      return true;
    }
    note(pos_);
    pos_ = save;
    return false;
  }

  // A run of digits after optional whitespace (empty when none).
  std::string digits() {
    std::size_t save = pos_;
    skipSpace();
    std::size_t begin = pos_;
    while (pos_ < s_.size() && isDigit(s_[pos_])) ++pos_;
    if (pos_ == begin) {
      note(begin);
      pos_ = save;
      return {};
    }
    return s_.substr(begin, pos_ - begin);
  }

  int64_t toInt64(const std::string& text, std::size_t at) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == ERANGE || *end != '\0') valueError(at, "integer " + text + " out of range");
    return static_cast<int64_t>(v);
  }

  // integer = ["-"] digit1to9 {digit} | "0". "-0" and "00" are not integers ("00" is 0 with
  // a "0" left over).
  std::optional<int64_t> integer() {
    std::size_t save = pos_;
    skipSpace();
    std::size_t at = pos_;
    bool negative = literal("-");
    skipSpace();
    if (pos_ < s_.size() && s_[pos_] >= '1' && s_[pos_] <= '9') {
      std::size_t begin = pos_;
      while (pos_ < s_.size() && isDigit(s_[pos_])) ++pos_;
      return toInt64((negative ? "-" : "") + s_.substr(begin, pos_ - begin), at);
    }
    note(pos_);
    pos_ = at;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
      return 0;
    }
    pos_ = save;
    return std::nullopt;
  }

  // --- slices ----------------------------------------------------------------------------

  std::optional<Slice> range() {
    std::size_t save = pos_;
    auto start = integer();
    if (!literal(":")) {
      pos_ = save;
      return std::nullopt;
    }
    auto stop = integer();
    // "1::" and "1:" are the same slice: an empty step is no step.
    std::optional<int64_t> step;
    if (literal(":")) step = integer();
    return Slice::ofRange(start, stop, step);
  }

  std::optional<Slice> slice() {
    if (auto r = range()) return r;
    if (literal("...")) return Slice::ellipsis();
    if (auto k = integer()) return Slice::ofIndex(*k);
    return std::nullopt;
  }

  std::optional<Hyperslice> hyperslice() {
    auto first = slice();
    if (!first) return std::nullopt;
    Hyperslice h{*first};
    while (true) {
      std::size_t save = pos_;
      if (!literal(",")) break;
      auto next = slice();
      if (!next) {
        pos_ = save;
        break;
      }
      h.push_back(*next);
    }
    return h;
  }

  // --- numbers, strings, lists -----------------------------------------------------------

  // float = ["-"] digits "." [digits] ["e"] ["-"] [digits] | ["-"] digits "e" ["-"] digits.
  // The first form matches broken text ("1.5e", "1.5-3"); converting it is then an error.
  std::optional<double> floatNumber() {
    std::size_t save = pos_;
    skipSpace();
    std::size_t at = pos_;
    std::string text;
    if (literal("-")) text += "-";
    std::string whole = digits();
    if (whole.empty()) {
      pos_ = save;
      return std::nullopt;
    }
    text += whole;
    std::size_t afterWhole = pos_;
    if (literal(".")) {
      text += ".";
      text += digits();
      std::size_t p = pos_;
      if (literal("e"))
        text += "e";
      else
        pos_ = p;
      p = pos_;
      if (literal("-"))
        text += "-";
      else
        pos_ = p;
      text += digits();
    } else {
      pos_ = afterWhole;
      if (!literal("e")) {
        pos_ = save;
        return std::nullopt;
      }
      text += "e";
      std::size_t p = pos_;
      if (literal("-"))
        text += "-";
      else
        pos_ = p;
      std::string exponent = digits();
      if (exponent.empty()) {
        pos_ = save;
        return std::nullopt;
      }
      text += exponent;
    }
    return convertFloat(text, at);
  }

  // Python's float() of the matched text: digits, optional fraction, optional exponent.
  double convertFloat(const std::string& text, std::size_t at) {
    std::size_t i = text[0] == '-' ? 1 : 0;
    std::size_t n = text.size();
    std::size_t intBegin = i;
    while (i < n && isDigit(text[i])) ++i;
    bool ok = i > intBegin;
    if (ok && i < n && text[i] == '.') ++i;
    while (i < n && isDigit(text[i])) ++i;
    if (ok && i < n && text[i] == 'e') {
      ++i;
      if (i < n && text[i] == '-') ++i;
      std::size_t expBegin = i;
      while (i < n && isDigit(text[i])) ++i;
      ok = i > expBegin;
    }
    if (!ok || i != n) valueError(at, "malformed number " + text);
    // strtod gives +-HUGE_VAL on overflow and a correctly rounded subnormal or 0 on underflow,
    // as Python's float() does.
    return std::strtod(text.c_str(), nullptr);
  }

  // float | integer, as an expression.
  std::optional<Expr> numericLiteral() {
    Expr e;
    if (auto f = floatNumber()) {
      e.kind = Expr::Kind::kFloat;
      e.number = *f;
      return e;
    }
    if (auto k = integer()) {
      e.kind = Expr::Kind::kInteger;
      e.integer = *k;
      return e;
    }
    return std::nullopt;
  }

  std::optional<Expr> number() {
    if (auto literal = numericLiteral()) return literal;
    // Slycat's nan is any run of the letters n and a; only "nan" itself converts.
    std::size_t save = pos_;
    skipSpace();
    std::size_t at = pos_;
    while (pos_ < s_.size() && (s_[pos_] == 'n' || s_[pos_] == 'a')) ++pos_;
    if (pos_ == at) {
      note(at);
      pos_ = save;
      return std::nullopt;
    }
    std::string word = s_.substr(at, pos_ - at);
    if (word != "nan") valueError(at, "malformed number " + word);
    Expr e;
    e.kind = Expr::Kind::kFloat;
    e.number = std::numeric_limits<double>::quiet_NaN();
    return e;
  }

  // '"' chars '"' with backslash escapes (\t \n \r \f as whitespace, \x as x), one line.
  std::optional<Expr> string() {
    std::size_t save = pos_;
    skipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '"') {
      note(pos_);
      pos_ = save;
      return std::nullopt;
    }
    std::size_t i = pos_ + 1;
    std::string value;
    while (i < s_.size() && s_[i] != '"' && s_[i] != '\n' && s_[i] != '\r') {
      if (s_[i] == '\\') {
        if (i + 1 >= s_.size() || s_[i + 1] == '\n' || s_[i + 1] == '\r') break;
        char c = s_[i + 1];
        value += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f' : c;
        i += 2;
      } else {
        value += s_[i++];
      }
    }
    if (i >= s_.size() || s_[i] != '"') {
      note(i);
      pos_ = save;
      return std::nullopt;
    }
    pos_ = i + 1;
    Expr e;
    e.kind = Expr::Kind::kString;
    e.text = std::move(value);
    return e;
  }

  std::optional<Expr> list() {
    std::size_t save = pos_;
    if (!literal("[")) return std::nullopt;
    Expr e;
    e.kind = Expr::Kind::kList;
    bool strings = false;
    if (auto first = number()) {
      e.children.push_back(std::move(*first));
    } else if (auto firstString = string()) {
      strings = true;
      e.children.push_back(std::move(*firstString));
    } else {
      pos_ = save;
      return std::nullopt;
    }
    moreAfterCommas(e, [&] { return strings ? string() : number(); });
    if (!literal("]")) {
      pos_ = save;
      return std::nullopt;
    }
    return e;
  }

  // Appends the items that follow commas, as many as there are; a comma that no item follows
  // is left unread.
  template <class Item>
  void moreAfterCommas(Expr& e, Item item) {
    while (true) {
      const std::size_t before = pos_;
      if (!literal(",")) return;
      auto next = item();
      if (!next) {
        pos_ = before;
        return;
      }
      e.children.push_back(std::move(*next));
    }
  }

  // --- attribute expressions -------------------------------------------------------------

  // attribute_id = "a" digit {digit}; leading zeros allowed (a01 is a1).
  std::optional<Expr> attributeId() {
    std::size_t save = pos_;
    skipSpace();
    std::size_t at = pos_;
    if (pos_ >= s_.size() || s_[pos_] != 'a') {
      note(pos_);
      pos_ = save;
      return std::nullopt;
    }
    std::size_t i = pos_ + 1;
    while (i < s_.size() && isDigit(s_[i])) ++i;
    if (i == pos_ + 1) {
      note(i);
      pos_ = save;
      return std::nullopt;
    }
    Expr e;
    e.kind = Expr::Kind::kAttribute;
    e.integer = toInt64(s_.substr(pos_ + 1, i - pos_ - 1), at);
    pos_ = i;
    return e;
  }

  struct DepthGuard {
    DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > p_.limits_.maxDepth)
        p_.valueError(p_.pos_, "nesting deeper than " + std::to_string(p_.limits_.maxDepth));
    }
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

  // function_call = identifier "(" [fn_arg {"," fn_arg}] ")"
  std::optional<Expr> functionCall() {
    std::size_t save = pos_;
    skipSpace();
    std::size_t begin = pos_;
    if (pos_ >= s_.size() || !isLetter(s_[pos_])) {
      note(pos_);
      pos_ = save;
      return std::nullopt;
    }
    while (pos_ < s_.size() && (isLetter(s_[pos_]) || isDigit(s_[pos_]))) ++pos_;
    Expr e;
    e.kind = Expr::Kind::kCall;
    e.text = s_.substr(begin, pos_ - begin);
    if (!literal("(")) {
      pos_ = save;
      return std::nullopt;
    }
    DepthGuard guard(*this);
    if (auto first = functionArgument()) {
      e.children.push_back(std::move(*first));
      moreAfterCommas(e, [&] { return functionArgument(); });
    }
    if (!literal(")")) {
      pos_ = save;
      return std::nullopt;
    }
    return e;
  }

  // fn_arg = function_call | attribute_id | string | float | integer
  std::optional<Expr> functionArgument() {
    if (auto call = functionCall()) return call;
    if (auto attribute = attributeId()) return attribute;
    if (auto text = string()) return text;
    return numericLiteral();
  }

  // comparison = attribute_id cmp_op number | attribute_id ["not"] "in" list
  std::optional<Expr> comparison() {
    std::size_t save = pos_;
    auto attribute = attributeId();
    if (!attribute) return std::nullopt;
    static const char* const kOps[] = {"==", ">=", "<=", "!=", "<", ">"};
    for (const char* op : kOps) {
      if (literal(op)) {
        auto value = number();
        if (!value) {
          pos_ = save;
          return std::nullopt;
        }
        Expr e;
        e.kind = Expr::Kind::kCompare;
        e.text = op;
        e.children.push_back(std::move(*attribute));
        e.children.push_back(std::move(*value));
        return e;
      }
    }
    bool negated = literal("not");
    if (literal("in")) {
      if (auto values = list()) {
        Expr e;
        e.kind = negated ? Expr::Kind::kNotIn : Expr::Kind::kIn;
        e.children.push_back(std::move(*attribute));
        e.children.push_back(std::move(*values));
        return e;
      }
    }
    pos_ = save;
    return std::nullopt;
  }

  // operand = comparison | "(" or_expr ")"
  std::optional<Expr> operand() {
    if (auto c = comparison()) return c;
    std::size_t save = pos_;
    if (!literal("(")) return std::nullopt;
    DepthGuard guard(*this);
    auto inner = orExpression();
    if (!inner || !literal(")")) {
      pos_ = save;
      return std::nullopt;
    }
    return inner;
  }

  std::optional<Expr> chain(Expr::Kind kind, const char* keyword) {
    auto first = kind == Expr::Kind::kAnd ? operand() : chain(Expr::Kind::kAnd, "and");
    if (!first) return std::nullopt;
    Expr node;
    node.kind = kind;
    node.children.push_back(std::move(*first));
    while (true) {
      std::size_t before = pos_;
      if (!literal(keyword)) break;
      auto next = kind == Expr::Kind::kAnd ? operand() : chain(Expr::Kind::kAnd, "and");
      if (!next) {
        pos_ = before;
        break;
      }
      node.children.push_back(std::move(*next));
    }
    if (node.children.size() == 1) return std::move(node.children[0]);
    return node;
  }

  std::optional<Expr> orExpression() { return chain(Expr::Kind::kOr, "or"); }

  // attr_expr = logical_expr | function_call | attribute_id | slice
  std::optional<Expr> attributeExpression() {
    if (auto logical = orExpression()) return logical;
    if (auto call = functionCall()) return call;
    if (auto attribute = attributeId()) return attribute;
    if (auto s = slice()) {
      Expr e;
      e.kind = Expr::Kind::kSlice;
      e.slice = *s;
      return e;
    }
    return std::nullopt;
  }

  // --- hyperchunks -----------------------------------------------------------------------

  template <typename T, typename F>
  std::optional<std::vector<T>> barList(F item) {
    auto first = (this->*item)();
    if (!first) return std::nullopt;
    std::vector<T> items;
    items.push_back(std::move(*first));
    while (true) {
      std::size_t before = pos_;
      if (!literal("|")) break;
      auto next = (this->*item)();
      if (!next) {
        pos_ = before;
        break;
      }
      items.push_back(std::move(*next));
    }
    return items;
  }

  std::optional<Hyperchunk> hyperchunk() {
    Hyperchunk chunk;
    auto arrays = barList<Slice>(&Parser::slice);
    if (!arrays) return std::nullopt;
    chunk.arrays = std::move(*arrays);
    std::size_t before = pos_;
    if (!literal("/")) return chunk;
    auto attributes = barList<Expr>(&Parser::attributeExpression);
    if (!attributes) {
      pos_ = before;
      return chunk;
    }
    chunk.attributes = std::move(*attributes);
    before = pos_;
    if (literal("/") && literal("order:")) {
      // The literal "order:" has no inner whitespace: skipSpace() runs only before it.
      if (auto call = functionCall()) {
        chunk.order = std::move(*call);
      } else {
        pos_ = before;
      }
    } else {
      pos_ = before;
    }
    before = pos_;
    if (literal("/")) {
      if (auto hyperslices = barList<Hyperslice>(&Parser::hyperslice)) {
        chunk.hyperslices = std::move(*hyperslices);
      } else {
        pos_ = before;
      }
    }
    return chunk;
  }

  const std::string& s_;
  const Limits& limits_;
  std::size_t pos_ = 0;
  std::size_t furthest_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace

Hyperchunks parseHyperchunks(const std::string& text, const Limits& limits) {
  if (text.size() > limits.maxInputBytes) {
    throw PayloadTooLarge("hyperchunks: " + std::to_string(text.size()) + " bytes, more than the " +
                          std::to_string(limits.maxInputBytes) + " allowed");
  }
  return Parser(text, limits).parseAll();
}

}  // namespace strata::slycat
