#pragma once
// One EntityFilter in one expression, for the entity store and query tests.
#include <strata/stores/entity_store.h>

#include <string>
#include <utility>

namespace strata::test {

inline EntityFilter filter(const std::string& field, EntityFilter::Op op, Poco::Dynamic::Var value = {},
                           bool caseInsensitive = false) {
  EntityFilter f;
  f.field = field;
  f.op = op;
  f.value = std::move(value);
  f.caseInsensitive = caseInsensitive;
  return f;
}

}  // namespace strata::test
