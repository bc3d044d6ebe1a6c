#include <strata/errors.h>
#include <strata/stores/annotation_store.h>

#include <Poco/String.h>

#include <cmath>

namespace strata {

AnnotationStore::~AnnotationStore() = default;

}  // namespace strata

namespace strata {

const char* toString(AnnotationType type) {
  switch (type) {
    case AnnotationType::String:
      return "STRING";
    case AnnotationType::Double:
      return "DOUBLE";
    case AnnotationType::Long:
      return "LONG";
    case AnnotationType::Date:
      return "DATE";
    case AnnotationType::Boolean:
      return "BOOLEAN";
    case AnnotationType::Blob:
      return "BLOB";
  }
  return "?";
}

std::optional<AnnotationType> annotationTypeFromString(const std::string& name) {
  const std::string upper = Poco::toUpper(name);
  if (upper == "STRING") return AnnotationType::String;
  if (upper == "DOUBLE") return AnnotationType::Double;
  if (upper == "LONG") return AnnotationType::Long;
  if (upper == "DATE") return AnnotationType::Date;
  if (upper == "BOOLEAN") return AnnotationType::Boolean;
  if (upper == "BLOB") return AnnotationType::Blob;
  return std::nullopt;
}

namespace {

// The variant alternative each annotation type stores its values in.
std::size_t expectedIndex(AnnotationType type) {
  switch (type) {
    case AnnotationType::String:
      return 0;
    case AnnotationType::Double:
      return 1;
    case AnnotationType::Long:
    case AnnotationType::Date:
      return 2;
    case AnnotationType::Boolean:
      return 3;
    case AnnotationType::Blob:
      return 4;
  }
  return std::variant_npos;
}

const char* kindName(const AnnotationValue& value) {
  switch (value.index()) {
    case 0:
      return "a string";
    case 1:
      return "a double";
    case 2:
      return "an integer";
    case 3:
      return "a boolean";
    case 4:
      return "a blob";
  }
  return "an unknown value";
}

// Three-way comparison of a double and an int64 without the precision loss of converting a
// large int64 to double (2^53 + 1 must not equal 2^53). Unordered (NaN) yields nullopt.
std::optional<int> compareDoubleLong(double d, int64_t l) {
  if (std::isnan(d)) return std::nullopt;
  // [-2^63, 2^63) is exactly representable at its bounds as doubles.
  constexpr double kLow = -9223372036854775808.0;
  constexpr double kHigh = 9223372036854775808.0;
  if (d < kLow) return -1;
  if (d >= kHigh) return 1;
  const double whole = std::trunc(d);
  const auto wholeLong = static_cast<int64_t>(whole);
  if (wholeLong < l) return -1;
  if (wholeLong > l) return 1;
  // Same integral part: the fraction decides.
  if (d > whole) return 1;
  if (d < whole) return -1;
  return 0;
}

template <typename T>
int threeWay(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

std::optional<int> compare(const AnnotationValue& a, const AnnotationValue& b) {
  if (a.index() == b.index()) {
    switch (a.index()) {
      case 0:
        return threeWay(std::get<std::string>(a), std::get<std::string>(b));
      case 1: {
        const double x = std::get<double>(a), y = std::get<double>(b);
        if (std::isnan(x) || std::isnan(y)) return std::nullopt;
        return threeWay(x, y);
      }
      case 2:
        return threeWay(std::get<int64_t>(a), std::get<int64_t>(b));
      case 3:
        return threeWay(std::get<bool>(a), std::get<bool>(b));
    }
    return std::nullopt;
  }
  if (a.index() == 1 && b.index() == 2) return compareDoubleLong(std::get<double>(a), std::get<int64_t>(b));
  if (a.index() == 2 && b.index() == 1) {
    auto c = compareDoubleLong(std::get<double>(b), std::get<int64_t>(a));
    if (!c) return std::nullopt;
    return -*c;
  }
  return std::nullopt;
}

}  // namespace

void validate(const Annotation& annotation) {
  if (annotation.key.empty()) throw BadRequest("an annotation needs a non-empty key");
  if (annotation.values.empty())
    throw BadRequest("annotation '" + annotation.key + "' needs at least one value");
  const std::size_t want = expectedIndex(annotation.type);
  for (std::size_t i = 0; i < annotation.values.size(); ++i) {
    const auto& v = annotation.values[i];
    if (v.index() != want)
      throw BadRequest("annotation '" + annotation.key + "' is of type " + toString(annotation.type) +
                       " but value " + std::to_string(i) + " is " + kindName(v));
  }
}

bool matches(const AnnotationValue& stored, AnnotationOp op, const AnnotationValue& operand) {
  const auto c = compare(stored, operand);
  if (!c) return false;
  switch (op) {
    case AnnotationOp::Eq:
      return *c == 0;
    case AnnotationOp::Ne:
      return *c != 0;
    case AnnotationOp::Lt:
      return *c < 0;
    case AnnotationOp::Le:
      return *c <= 0;
    case AnnotationOp::Gt:
      return *c > 0;
    case AnnotationOp::Ge:
      return *c >= 0;
  }
  return false;
}

namespace {

// Kinds in sort order: boolean < number < string < blob.
int sortKind(const AnnotationValue& v) {
  switch (v.index()) {
    case 3:
      return 0;
    case 1:
    case 2:
      return 1;
    case 0:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

int compareAnnotationValues(const AnnotationValue& a, const AnnotationValue& b) {
  const int ka = sortKind(a), kb = sortKind(b);
  if (ka != kb) return ka < kb ? -1 : 1;
  if (a.index() == 4) return threeWay(std::get<AnnotationBlob>(a).bytes, std::get<AnnotationBlob>(b).bytes);
  if (auto c = compare(a, b)) return *c;
  // Only NaN is unordered: it sorts below every number, and equal to another NaN.
  const bool an = a.index() == 1 && std::isnan(std::get<double>(a));
  const bool bn = b.index() == 1 && std::isnan(std::get<double>(b));
  if (an && bn) return 0;
  return an ? -1 : 1;
}

std::optional<AnnotationValue> annotationSortValue(const Annotation* annotation, bool descending) {
  if (!annotation || annotation->values.empty()) return std::nullopt;
  const AnnotationValue* best = &annotation->values.front();
  for (const auto& v : annotation->values) {
    const int c = compareAnnotationValues(v, *best);
    if (descending ? c > 0 : c < 0) best = &v;
  }
  return *best;
}

bool annotationSortsBefore(const std::optional<AnnotationValue>& a, const std::string& ta,
                           const std::optional<AnnotationValue>& b, const std::string& tb, bool descending) {
  if (a && b) {
    const int c = compareAnnotationValues(*a, *b);
    if (c != 0) return descending ? c > 0 : c < 0;
  } else if (a || b) {
    return a.has_value();  // missing values last
  }
  return ta < tb;
}

void validate(const AnnotationSearch& search) {
  for (const auto& c : search.clauses) {
    if (c.key.empty()) throw BadRequest("an annotation query clause needs a non-empty key");
    if (c.value.index() == 4) throw BadRequest("blob annotations ('" + c.key + "') cannot be queried");
  }
}

std::string AnnotationStore::etag(const std::string& target) { return read(target).etag; }

std::vector<std::string> AnnotationStore::query(const AnnotationQuery& query) {
  AnnotationSearch s;
  s.clauses.push_back(AnnotationClause{query.key, query.op, query.value});
  s.offset = query.offset;
  s.limit = query.limit;
  return search(s).targets;
}

std::vector<std::string> AnnotationStore::targets(const std::string&, uint64_t) {
  throw NotImplemented("this annotations store cannot list its targets");
}

}  // namespace strata
