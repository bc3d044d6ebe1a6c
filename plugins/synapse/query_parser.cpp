#include "query_parser.h"

#include <strata/errors.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace strata::synapse {

const char* toString(QueryOp op) {
  switch (op) {
    case QueryOp::Eq:
      return "==";
    case QueryOp::Ne:
      return "!=";
    case QueryOp::Gt:
      return ">";
    case QueryOp::Ge:
      return ">=";
    case QueryOp::Lt:
      return "<";
    case QueryOp::Le:
      return "<=";
  }
  return "?";
}

namespace {

enum class Tok { Ident, String, Number, Op, Star, Dot, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // identifiers and numbers as written, strings unescaped, operators
  int column = 0;    // 1-based
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void lexicalError(int column, const std::string& what) {
  throw BadRequest("query_syntax",
                   "Lexical error at line 1, column " + std::to_string(column) + ". Encountered: " + what);
}

std::vector<Token> tokenize(const std::string& text) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto isIdentStart = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto isIdent = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  auto isDigit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  while (i < n) {
    const char c = text[i];
    const int column = static_cast<int>(i) + 1;
    if (std::isspace(static_cast<unsigned char>(c)) || c == '+') {
      ++i;
      continue;
    }
    if (isIdentStart(c)) {
      std::size_t j = i;
      while (j < n && isIdent(text[j])) ++j;
      out.push_back({Tok::Ident, text.substr(i, j - i), column});
      i = j;
      continue;
    }
    if (isDigit(c) || (c == '-' && i + 1 < n && (isDigit(text[i + 1]) || text[i + 1] == '.')) ||
        (c == '.' && i + 1 < n && isDigit(text[i + 1]) && !out.empty() && out.back().kind == Tok::Op)) {
      std::size_t j = i;
      if (text[j] == '-') ++j;
      while (j < n && isDigit(text[j])) ++j;
      if (j < n && text[j] == '.') {
        ++j;
        while (j < n && isDigit(text[j])) ++j;
      }
      if (j < n && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < n && isDigit(text[k])) {
          while (k < n && isDigit(text[k])) ++k;
          j = k;
        }
      }
      if (j < n && isIdent(text[j]))
        lexicalError(static_cast<int>(j) + 1, "\"" + std::string(1, text[j]) + "\" after a number");
      out.push_back({Tok::Number, text.substr(i, j - i), column});
      i = j;
      continue;
    }
    if (c == '"') {
      std::string value;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < n) {
        if (text[j] == '\\') {
          if (j + 1 < n && (text[j + 1] == '"' || text[j + 1] == '\\')) {
            value += text[j + 1];
            j += 2;
            continue;
          }
          lexicalError(static_cast<int>(j) + 1, "\"\\\" (only \\\" and \\\\ are escapes)");
        }
        if (text[j] == '"') {
          closed = true;
          ++j;
          break;
        }
        value += text[j++];
      }
      if (!closed) lexicalError(column, "<EOF> inside a string that starts here");
      out.push_back({Tok::String, value, column});
      i = j;
      continue;
    }
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      const bool eq = i + 1 < n && text[i + 1] == '=';
      if ((c == '=' || c == '!') && !eq)
        lexicalError(column, "\"" + std::string(1, c) + "\" (operators are == != > >= < <=)");
      out.push_back({Tok::Op, eq ? text.substr(i, 2) : std::string(1, c), column});
      i += eq ? 2 : 1;
      continue;
    }
    if (c == '*') {
      out.push_back({Tok::Star, "*", column});
      ++i;
      continue;
    }
    if (c == '.') {
      out.push_back({Tok::Dot, ".", column});
      ++i;
      continue;
    }
    std::string shown(1, c);
    if (static_cast<unsigned char>(c) < 0x20) shown = "character " + std::to_string(static_cast<int>(c));
    lexicalError(column, "\"" + shown + "\"");
  }
  out.push_back({Tok::End, "", static_cast<int>(n) + 1});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  ParsedQuery parse() {
    ParsedQuery q;
    keyword("select");
    if (peek().kind != Tok::Star) fail("'*' (only 'select *' is supported)");
    ++pos_;
    keyword("from");
    if (peek().kind != Tok::Ident) fail("'dataset' or 'layer'");
    q.table = lower(peek().text);
    if (q.table != "dataset" && q.table != "layer") fail("'dataset' or 'layer'");
    ++pos_;
    if (isKeyword("where")) {
      ++pos_;
      q.where.push_back(clause());
      while (isKeyword("and")) {
        ++pos_;
        q.where.push_back(clause());
      }
    }
    if (isKeyword("order")) {
      ++pos_;
      keyword("by");
      q.orderBy = field();
      if (isKeyword("asc")) {
        ++pos_;
      } else if (isKeyword("desc")) {
        q.descending = true;
        ++pos_;
      }
    }
    bool haveLimit = false, haveOffset = false;
    while (true) {
      if (!haveLimit && isKeyword("limit")) {
        ++pos_;
        haveLimit = true;
        q.limit = count("pagination limit must be 1 or greater");
      } else if (!haveOffset && isKeyword("offset")) {
        ++pos_;
        haveOffset = true;
        q.offset = count("pagination offset must be 1 or greater");
      } else {
        break;
      }
    }
    if (peek().kind != Tok::End) {
      std::string expected;
      const bool tail = q.orderBy || haveLimit || haveOffset;
      if (!tail) expected = q.where.empty() ? "'where', 'order by', " : "'and', 'order by', ";
      if (!haveLimit) expected += "'limit', ";
      if (!haveOffset) expected += "'offset', ";
      fail(expected + "or the end of the query");
    }
    return q;
  }

 private:
  const Token& peek() const { return t_[pos_]; }

  bool isKeyword(const char* word) const { return peek().kind == Tok::Ident && lower(peek().text) == word; }

  void keyword(const char* word) {
    if (!isKeyword(word)) fail(std::string("'") + word + "'");
    ++pos_;
  }

  [[noreturn]] void fail(const std::string& expected) const {
    const Token& t = peek();
    const std::string found = t.kind == Tok::End      ? "the end of the query"
                              : t.kind == Tok::String ? "\"" + t.text + "\""
                                                      : "'" + t.text + "'";
    throw BadRequest("query_syntax", "Syntax error at line 1, column " + std::to_string(t.column) +
                                         ": found " + found + ", expected " + expected);
  }

  QueryField field() {
    QueryField f;
    const Token& first = peek();
    if (first.kind == Tok::String) {
      if (first.text.empty()) fail("a field name (not an empty string)");
      f.name = first.text;
      ++pos_;
      return f;
    }
    if (first.kind != Tok::Ident) fail("a field: name, dataset.name, \"Some Name\" or dataset.\"Some Name\"");
    ++pos_;
    if (peek().kind != Tok::Dot) {
      f.name = first.text;
      return f;
    }
    ++pos_;
    const Token& second = peek();
    if ((second.kind != Tok::Ident && second.kind != Tok::String) || second.text.empty())
      fail("a field name after '" + first.text + ".'");
    f.qualifier = lower(first.text);
    f.name = second.text;
    ++pos_;
    return f;
  }

  QueryClause clause() {
    QueryClause c;
    c.column = peek().column;
    c.field = field();
    if (peek().kind != Tok::Op) fail("an operator: == != > >= < <=");
    const std::string op = peek().text;
    c.op = op == "=="   ? QueryOp::Eq
           : op == "!=" ? QueryOp::Ne
           : op == ">"  ? QueryOp::Gt
           : op == ">=" ? QueryOp::Ge
           : op == "<"  ? QueryOp::Lt
                        : QueryOp::Le;
    ++pos_;
    c.value = literal();
    return c;
  }

  QueryLiteral literal() {
    const Token& t = peek();
    QueryLiteral v;
    if (t.kind == Tok::String) {
      v.kind = QueryLiteral::Kind::String;
      v.text = t.text;
    } else if (t.kind == Tok::Number) {
      const bool integral = t.text.find_first_of(".eE") == std::string::npos;
      errno = 0;
      if (integral) {
        char* end = nullptr;
        const long long x = std::strtoll(t.text.c_str(), &end, 10);
        if (errno == ERANGE) fail("a number that fits in 64 bits");
        v.kind = QueryLiteral::Kind::Long;
        v.integer = x;
      } else {
        char* end = nullptr;
        const double x = std::strtod(t.text.c_str(), &end);
        if (errno == ERANGE || !std::isfinite(x)) fail("a finite number");
        v.kind = QueryLiteral::Kind::Double;
        v.number = x;
      }
    } else if (t.kind == Tok::Ident && (lower(t.text) == "true" || lower(t.text) == "false")) {
      v.kind = QueryLiteral::Kind::Boolean;
      v.boolean = lower(t.text) == "true";
    } else {
      fail("a value: a string in double quotes, a number, true or false");
    }
    ++pos_;
    return v;
  }

  uint64_t count(const char* belowOne) {
    const Token& t = peek();
    if (t.kind != Tok::Number || t.text.find_first_of(".eE") != std::string::npos) fail("a whole number");
    if (t.text[0] == '-') throw BadRequest(belowOne);
    errno = 0;
    const unsigned long long x = std::strtoull(t.text.c_str(), nullptr, 10);
    if (errno == ERANGE || x > (1ull << 53)) fail("a smaller number");
    if (x < 1) throw BadRequest(belowOne);
    ++pos_;
    return x;
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
};

}  // namespace

ParsedQuery parseQuery(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n+") == std::string::npos)
    throw BadRequest("query_syntax", "the 'query' parameter is empty: select * from dataset ...");
  return Parser(tokenize(text)).parse();
}

}  // namespace strata::synapse
