#pragma once
// The `query=` parameter of GET /datasets/<id>/value on one-dimensional compound datasets:
// numpy-style conditions on field names, as h5serv and HSDS take them:
//
//   expr    := or
//   or      := and ( ('|' | 'or') and )*
//   and     := unary ( ('&' | 'and') unary )*
//   unary   := ('~' | 'not') unary | '(' expr ')' | compare
//   compare := operand ( '==' | '!=' | '<' | '<=' | '>' | '>=' ) operand
//   operand := field name | number | 'string' | "string" | b'bytes' | True | False
//
// e.g. "date == 23", "(date >= 22) & (date <= 24)", "wind == b'W 5'". Numbers compare with
// numeric fields (integers exactly, otherwise as doubles), strings with string fields.
#include <Poco/Dynamic/Var.h>
#include <strata/arrays/datatype.h>

#include <memory>
#include <string>

namespace strata::hdf {

class Query {
 public:
  // Throws BadRequest for a syntax error, an unknown field, a field that cannot be compared
  // (compound, array, vlen, opaque, reference) or a comparison of a string with a number.
  static Query parse(const std::string& text, const arrays::Datatype& compound);

  // `row` is one decoded element of the compound type: its field values in field order.
  bool matches(const Poco::Dynamic::Var& row) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace strata::hdf
