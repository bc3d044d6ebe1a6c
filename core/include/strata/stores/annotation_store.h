#pragma once
// The annotations role: typed key -> list-of-values on any target id (a dataset, a file, an
// HDF object...). Values of one key share one type.
//
// Contract (every backend):
// - Thread-safety: all methods may be called concurrently from any thread.
// - A key holds a non-empty list of values of one type; setting a key replaces its list.
// - Dates are milliseconds since the epoch (UTC).
// - Query by key and value returns target ids in ascending order, paged.
// - Errors: BadRequest for an empty target or key, an empty value list, or values whose type
//   does not match the annotation's type; missing targets or keys are not errors (empty
//   results, remove of nothing is a no-op).
#include <strata/export.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace strata {

enum class AnnotationType { String, Double, Long, Date, Boolean };

STRATA_API const char* toString(AnnotationType type);
STRATA_API std::optional<AnnotationType> annotationTypeFromString(const std::string& name);

// String -> std::string, Double -> double, Long and Date -> int64_t, Boolean -> bool.
using AnnotationValue = std::variant<std::string, double, int64_t, bool>;

struct STRATA_API Annotation {
  std::string key;
  AnnotationType type = AnnotationType::String;
  std::vector<AnnotationValue> values;
};

// Throws BadRequest if a value does not fit the type or the list is empty.
STRATA_API void validate(const Annotation& annotation);

struct STRATA_API AnnotationQuery {
  std::string key;
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge } op = Op::Eq;
  AnnotationValue value;  // compared with each value of the key; any match selects the target
  uint64_t offset = 0;
  uint64_t limit = 100;
};

// True if `stored` op `operand` holds; values of different kinds never compare (false),
// except that Long/Date and Double compare numerically.
STRATA_API bool matches(const AnnotationValue& stored, AnnotationQuery::Op op,
                        const AnnotationValue& operand);

class STRATA_API AnnotationStore {
 public:
  virtual ~AnnotationStore();
  virtual void set(const std::string& target, const Annotation& annotation) = 0;
  // Replaces every annotation of the target at once.
  virtual void replaceAll(const std::string& target, const std::vector<Annotation>& all) = 0;
  // Sorted by key.
  virtual std::vector<Annotation> list(const std::string& target) = 0;
  virtual std::optional<Annotation> find(const std::string& target, const std::string& key) = 0;
  virtual void remove(const std::string& target, const std::string& key) = 0;
  virtual void removeAll(const std::string& target) = 0;
  virtual std::vector<std::string> query(const AnnotationQuery& query) = 0;
  // Targets holding at least one annotation, ascending, starting after `after` ("" = from
  // the start), at most `limit` (0 = no limit). For copying a store and for listings.
  // Every backend in the tree implements it; the default throws NotImplemented.
  virtual std::vector<std::string> targets(const std::string& after, uint64_t limit);
};

}  // namespace strata
