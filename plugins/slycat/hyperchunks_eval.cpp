// The hyperchunks evaluator: attribute expressions over one array's columns, the order clause,
// and hyperslices.
#include "hyperchunks.h"

#include <strata/errors.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_set>

namespace strata::slycat {
namespace {

uint64_t product(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

[[noreturn]] void bad(const std::string& message) { throw BadRequest("hyperchunks: " + message); }

Column boolColumn(std::size_t n) {
  Column c;
  c.type = "bool";
  c.numbers.assign(n, 0.0);
  return c;
}

bool compare(double x, const std::string& op, double v) {
  if (op == "==") return std::isnan(v) ? std::isnan(x) : x == v;  // `== nan` tests for nan
  if (op == "!=") return x != v;
  if (op == "<") return x < v;
  if (op == "<=") return x <= v;
  if (op == ">") return x > v;
  return x >= v;
}

}  // namespace

uint64_t ResolvedHyperslice::size() const { return product(count); }

ResolvedHyperslice resolveHyperslice(const std::vector<uint64_t>& shape, const Hyperslice& hyperslice) {
  const std::size_t ndim = shape.size();
  std::size_t ellipses = 0;
  for (const Slice& s : hyperslice) ellipses += s.kind == Slice::Kind::kEllipsis ? 1 : 0;
  if (ellipses > 1) bad("more than one ... in hyperslice " + toString(hyperslice));
  const std::size_t explicitEntries = hyperslice.size() - ellipses;
  if (explicitEntries > ndim) {
    bad("hyperslice " + toString(hyperslice) + " has " + std::to_string(explicitEntries) + " entries for a " +
        std::to_string(ndim) + "-dimensional array");
  }
  ResolvedHyperslice r;
  auto add = [&r](uint64_t start, uint64_t count, uint64_t step, bool kept) {
    r.start.push_back(start);
    r.count.push_back(count);
    r.step.push_back(step);
    r.kept.push_back(kept);
    if (kept) r.shape.push_back(count);
  };
  auto full = [&]() { add(0, shape[r.start.size()], 1, true); };
  for (const Slice& s : hyperslice) {
    const std::size_t d = r.start.size();
    if (s.kind == Slice::Kind::kEllipsis) {
      for (std::size_t i = 0; i < ndim - explicitEntries; ++i) full();
    } else if (s.kind == Slice::Kind::kIndex) {
      const auto n = static_cast<int64_t>(shape[d]);
      const int64_t k = s.index < 0 ? s.index + n : s.index;
      if (k < 0 || k >= n) {
        bad("index " + std::to_string(s.index) + " out of range for dimension " + std::to_string(d) +
            " of size " + std::to_string(n));
      }
      add(static_cast<uint64_t>(k), 1, 1, false);
    } else {
      // Python's slice(start, stop, step).indices(n), for a step of at least 1.
      const int64_t step = s.step.value_or(1);
      if (step < 1) {
        bad("step " + std::to_string(step) + " in hyperslice entry " + toString(s) + " (dimension " +
            std::to_string(d) + "); a hyperslice step must be at least 1");
      }
      const auto n = static_cast<int64_t>(shape[d]);
      auto clamp = [&](std::optional<int64_t> bound, int64_t otherwise) {
        if (!bound) return otherwise;
        const int64_t b = *bound < 0 ? *bound + n : *bound;
        return b < 0 ? 0 : b > n ? n : b;
      };
      const int64_t start = clamp(s.start, 0);
      const int64_t stop = clamp(s.stop, n);
      const uint64_t count = stop > start ? static_cast<uint64_t>((stop - start + step - 1) / step) : 0;
      add(static_cast<uint64_t>(start), count, static_cast<uint64_t>(step), true);
    }
  }
  while (r.start.size() < ndim) full();
  return r;
}

Values Evaluator::applyHyperslice(const Column& column, const std::vector<uint64_t>& shape,
                                  const Hyperslice& hyperslice) {
  const ResolvedHyperslice r = resolveHyperslice(shape, hyperslice);
  const std::size_t ndim = shape.size();
  Values out;
  out.column.type = column.type;
  out.shape = r.shape;
  const uint64_t total = r.size();
  std::vector<uint64_t> strides(ndim, 1);
  for (std::size_t d = ndim; d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  if (column.isString())
    out.column.strings.reserve(total);
  else
    out.column.numbers.reserve(total);
  std::vector<uint64_t> at(ndim, 0);
  for (uint64_t n = 0; n < total; ++n) {
    uint64_t offset = 0;
    for (std::size_t d = 0; d < ndim; ++d) offset += (r.start[d] + at[d] * r.step[d]) * strides[d];
    if (column.isString())
      out.column.strings.push_back(column.strings[offset]);
    else
      out.column.numbers.push_back(column.numbers[offset]);
    for (std::size_t d = ndim; d-- > 0;) {
      if (++at[d] < r.count[d]) break;
      at[d] = 0;
    }
  }
  return out;
}

const ArrayInfo& Evaluator::arrayInfo(int64_t array) {
  if (array != cachedArray_) {
    cachedInfo_ = reader_.array(array);
    cachedColumns_.assign(cachedInfo_.attributes.size(), std::nullopt);
    cachedArray_ = array;
  }
  return cachedInfo_;
}

const Column& Evaluator::attributeColumn(int64_t array, int64_t attribute) {
  const ArrayInfo& info = arrayInfo(array);
  auto count = static_cast<int64_t>(info.attributes.size());
  if (attribute < 0 || attribute >= count) {
    bad("attribute a" + std::to_string(attribute) + " out of range: array " + std::to_string(array) +
        " has " + std::to_string(count) + " attributes");
  }
  auto& slot = cachedColumns_[static_cast<std::size_t>(attribute)];
  if (!slot) {
    slot = reader_.read(array, attribute);
    if (slot->size() != product(info.shape)) {
      throw InternalError("hyperchunks: attribute " + std::to_string(attribute) + " of array " +
                          std::to_string(array) + " has " + std::to_string(slot->size()) +
                          " values, not one per cell");
    }
  }
  return *slot;
}

Column Evaluator::evaluateExpression(int64_t array, const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kAttribute:
      return attributeColumn(array, expr.integer);
    case Expr::Kind::kCall:
      return evaluateCall(array, expr);
    case Expr::Kind::kCompare:
    case Expr::Kind::kIn:
    case Expr::Kind::kNotIn:
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr:
      return evaluateBoolean(array, expr);
    case Expr::Kind::kSlice:
      if (expr.slice.kind == Slice::Kind::kIndex) return attributeColumn(array, expr.slice.index);
      break;
    default:
      break;
  }
  bad(toString(expr) + " is not an attribute, a function call or a comparison");
}

Column Evaluator::evaluateCall(int64_t array, const Expr& call) {
  const std::vector<Expr>& args = call.children;
  const std::vector<uint64_t> shape = arrayInfo(array).shape;
  if (call.text == "index") {
    if (args.size() != 1 || args[0].kind != Expr::Kind::kInteger) {
      bad(toString(call) + ": index() takes one argument, the integer number of a dimension");
    }
    int64_t d = args[0].integer;
    if (d < 0 || d >= static_cast<int64_t>(shape.size())) {
      bad(toString(call) + ": dimension " + std::to_string(d) + " out of range: array " +
          std::to_string(array) + " has " + std::to_string(shape.size()) + " dimensions");
    }
    uint64_t stride = 1;
    for (std::size_t i = static_cast<std::size_t>(d) + 1; i < shape.size(); ++i) stride *= shape[i];
    uint64_t size = shape[static_cast<std::size_t>(d)];
    Column out;
    out.type = "int64";
    uint64_t total = product(shape);
    out.numbers.resize(total);
    for (uint64_t i = 0; i < total; ++i) out.numbers[i] = static_cast<double>((i / stride) % size);
    return out;
  }
  if (call.text == "rank") {
    if (args.size() != 2 || args[1].kind != Expr::Kind::kString ||
        (args[1].text != "asc" && args[1].text != "desc")) {
      bad(toString(call) + ": rank() takes two arguments, an expression and \"asc\" or \"desc\"");
    }
    if (shape.size() != 1) {
      bad(toString(call) + ": rank() needs a 1-dimensional array; array " + std::to_string(array) + " has " +
          std::to_string(shape.size()) + " dimensions");
    }
    Column values = evaluateExpression(array, args[0]);
    bool descending = args[1].text == "desc";
    std::vector<uint64_t> order(values.size());
    std::iota(order.begin(), order.end(), uint64_t{0});
    if (values.isString()) {
      const auto& v = values.strings;
      std::stable_sort(order.begin(), order.end(),
                       [&](uint64_t a, uint64_t b) { return descending ? v[b] < v[a] : v[a] < v[b]; });
    } else {
      // nan sorts last ascending and first descending, as the reversed argsort of Slycat does.
      const auto& v = values.numbers;
      std::stable_sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
        double x = v[a], y = v[b];
        if (descending) return std::isnan(x) ? !std::isnan(y) : !std::isnan(y) && x > y;
        return std::isnan(y) ? !std::isnan(x) : !std::isnan(x) && x < y;
      });
    }
    Column out;
    out.type = "int64";
    out.numbers.assign(order.begin(), order.end());
    return out;
  }
  bad("unknown function " + call.text + " in " + toString(call));
}

Column Evaluator::evaluateBoolean(int64_t array, const Expr& expr) {
  if (expr.kind == Expr::Kind::kAnd || expr.kind == Expr::Kind::kOr) {
    Column out = evaluateBoolean(array, expr.children[0]);
    for (std::size_t i = 1; i < expr.children.size(); ++i) {
      Column next = evaluateBoolean(array, expr.children[i]);
      for (std::size_t j = 0; j < out.numbers.size(); ++j) {
        bool a = out.numbers[j] != 0, b = next.numbers[j] != 0;
        out.numbers[j] = (expr.kind == Expr::Kind::kAnd ? a && b : a || b) ? 1.0 : 0.0;
      }
    }
    return out;
  }
  const Column& column = attributeColumn(array, expr.children[0].integer);
  const Expr& right = expr.children[1];
  Column out = boolColumn(column.size());
  if (expr.kind == Expr::Kind::kCompare) {
    if (column.isString()) {
      bad(toString(expr) + ": a" + std::to_string(expr.children[0].integer) +
          " holds strings, which compare only with in [...]");
    }
    double v = right.kind == Expr::Kind::kInteger ? static_cast<double>(right.integer) : right.number;
    for (std::size_t i = 0; i < column.numbers.size(); ++i)
      out.numbers[i] = compare(column.numbers[i], expr.text, v) ? 1.0 : 0.0;
    return out;
  }
  // in / not in: values of the other kind than the column's never match.
  bool listOfStrings = right.children[0].kind == Expr::Kind::kString;
  bool invert = expr.kind == Expr::Kind::kNotIn;
  if (column.isString() && listOfStrings) {
    std::unordered_set<std::string> set;
    for (const Expr& e : right.children) set.insert(e.text);
    for (std::size_t i = 0; i < column.strings.size(); ++i)
      out.numbers[i] = (set.count(column.strings[i]) > 0) != invert ? 1.0 : 0.0;
  } else if (!column.isString() && !listOfStrings) {
    std::vector<double> set;
    for (const Expr& e : right.children)
      set.push_back(e.kind == Expr::Kind::kInteger ? static_cast<double>(e.integer) : e.number);
    std::sort(set.begin(), set.end());  // nan never matches, wherever it sorts
    for (std::size_t i = 0; i < column.numbers.size(); ++i) {
      double x = column.numbers[i];
      bool found = !std::isnan(x) && std::binary_search(set.begin(), set.end(), x);
      out.numbers[i] = found != invert ? 1.0 : 0.0;
    }
  } else {
    for (double& b : out.numbers) b = invert ? 1.0 : 0.0;
  }
  return out;
}

Values Evaluator::evaluate(const Hyperchunks& chunks, const Item& item) {
  if (!item.hasAttribute || item.hyperslice == nullptr || item.hyperchunk >= chunks.size()) {
    throw std::invalid_argument("hyperchunks: evaluate() needs an item with an attribute and a hyperslice");
  }
  const Hyperchunk& chunk = chunks[item.hyperchunk];
  const std::vector<uint64_t> shape = arrayInfo(item.array).shape;
  Column computed;
  const Column* values;
  if (item.expression) {
    computed = evaluateExpression(item.array, *item.expression);
    values = &computed;
  } else {
    values = &attributeColumn(item.array, item.attribute);
  }
  if (!chunk.order) return applyHyperslice(*values, shape, *item.hyperslice);

  if (orderChunk_ != item.hyperchunk || orderArray_ != item.array) {
    if (shape.size() != 1) {
      bad("order:" + toString(*chunk.order) + " on array " + std::to_string(item.array) + ", which has " +
          std::to_string(shape.size()) + " dimensions; order: needs a 1-dimensional array");
    }
    Column permutation = evaluateExpression(item.array, *chunk.order);
    uint64_t n = shape[0];
    std::vector<bool> seen(n, false);
    bool ok = !permutation.isString() && permutation.size() == n;
    order_.clear();
    for (std::size_t i = 0; ok && i < n; ++i) {
      double v = permutation.numbers[i];
      ok = v >= 0 && v < static_cast<double>(n) && v == std::floor(v) && !seen[static_cast<std::size_t>(v)];
      if (ok) {
        seen[static_cast<std::size_t>(v)] = true;
        order_.push_back(static_cast<uint64_t>(v));
      }
    }
    if (!ok) bad("order:" + toString(*chunk.order) + " is not a permutation of the rows");
    orderChunk_ = item.hyperchunk;
    orderArray_ = item.array;
  }
  Column ordered;
  ordered.type = values->type;
  for (uint64_t i : order_) {
    if (values->isString())
      ordered.strings.push_back(values->strings[i]);
    else
      ordered.numbers.push_back(values->numbers[i]);
  }
  return applyHyperslice(ordered, shape, *item.hyperslice);
}

}  // namespace strata::slycat
