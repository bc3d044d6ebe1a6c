// The 2011 Synapse query language (§2.1.4 of the reference; docs/synapse.md "Query"):
//
//   select * from dataset|layer
//     [where <field> <op> <literal> [and <field> <op> <literal>]...]
//     [order by <field> [asc|desc]] [limit N] [offset M]
//
// Fields: `name`, `dataset.name`, `"Number of Samples"`, `dataset."Number of Samples"`.
// Operators: == != > >= < <=. Literals: strings in double quotes (\" and \\ escape), numbers
// (integers, decimals, exponents, with an optional minus), true and false. Keywords are
// case-insensitive. `+` outside a string counts as a space (a query string encoded as a form).
// limit >= 1 (default 10), offset >= 1 (1-based, default 1).
//
// A small static library (strata_synapse_query) so that the unit tests link it directly.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::synapse {

enum class QueryOp { Eq, Ne, Gt, Ge, Lt, Le };
const char* toString(QueryOp op);

struct QueryLiteral {
  enum class Kind { String, Long, Double, Boolean } kind = Kind::String;
  std::string text;  // String
  int64_t integer = 0;
  double number = 0;
  bool boolean = false;
};

// A field as written: `qualifier` is the table before the dot ("" when there is none).
struct QueryField {
  std::string qualifier;
  std::string name;
};

struct QueryClause {
  QueryField field;
  QueryOp op = QueryOp::Eq;
  QueryLiteral value;
  int column = 0;  // where the clause starts (1-based), for error texts
};

struct ParsedQuery {
  std::string table;  // "dataset" or "layer"
  std::vector<QueryClause> where;
  std::optional<QueryField> orderBy;
  bool descending = false;
  uint64_t limit = 10;
  uint64_t offset = 1;
};

// Parses a query (already URL-decoded). Throws BadRequest with a text that names the line and
// column of a lexical or syntax error, or "pagination limit must be 1 or greater" /
// "pagination offset must be 1 or greater".
ParsedQuery parseQuery(const std::string& text);

}  // namespace strata::synapse
