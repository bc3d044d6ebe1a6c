#pragma once
// The annotations role: typed key -> list-of-values on any target id (a dataset, a file, an
// HDF object...). Values of one key share one type.
//
// Contract (every backend):
// - Thread-safety: all methods may be called concurrently from any thread.
// - A key holds a non-empty list of values of one type; setting a key replaces its list.
// - Dates are milliseconds since the epoch (UTC). Blobs are raw bytes (any encoding such as
//   base64 is the caller's); they are stored and returned, never indexed or queried.
// - Etags: each target has one etag for all its annotations. Every write that leaves the
//   target with annotations gives it a fresh etag (never one it had before); a target without
//   annotations (never written, emptied, removeAll) has the etag kNoAnnotationsEtag. read()
//   returns the annotations and the etag of one state. replaceAll() with a non-empty ifMatch
//   is a compare-and-set: it succeeds only if the target's etag equals ifMatch at the moment
//   it writes, so of concurrent writers holding the same etag exactly one wins and the others
//   throw PreconditionFailed (code "etag_mismatch"). An empty ifMatch writes unconditionally.
//   Comparing with kNoAnnotationsEtag asks "only if the target has no annotations".
// - search(): clauses joined by AND (a clause holds if any value of its key satisfies it),
//   restricted to targets starting with a prefix, sorted by the target id or by one key's
//   values, paged, with the total number of matching targets. See AnnotationSearch for the
//   sort order of multi-valued and missing keys.
// - Errors: BadRequest for an empty target or key, an empty value list, values whose type
//   does not match the annotation's type, a clause with an empty key or a blob operand;
//   PreconditionFailed as above. Missing targets or keys are not errors (empty results,
//   remove of nothing is a no-op).
#include <strata/export.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace strata {

enum class AnnotationType { String, Double, Long, Date, Boolean, Blob };

STRATA_API const char* toString(AnnotationType type);
STRATA_API std::optional<AnnotationType> annotationTypeFromString(const std::string& name);

// The bytes of a Blob value: a type of its own so that a blob never passes for a string.
struct STRATA_API AnnotationBlob {
  std::string bytes;
  bool operator==(const AnnotationBlob& other) const { return bytes == other.bytes; }
  bool operator!=(const AnnotationBlob& other) const { return bytes != other.bytes; }
};

// String -> std::string, Double -> double, Long and Date -> int64_t, Boolean -> bool,
// Blob -> AnnotationBlob.
using AnnotationValue = std::variant<std::string, double, int64_t, bool, AnnotationBlob>;

struct STRATA_API Annotation {
  std::string key;
  AnnotationType type = AnnotationType::String;
  std::vector<AnnotationValue> values;
};

// Throws BadRequest if a value does not fit the type or the list is empty.
STRATA_API void validate(const Annotation& annotation);

// The etag of a target that has no annotations. Etags of written targets are UUIDs.
inline constexpr const char* kNoAnnotationsEtag = "0";

// All annotations of a target (sorted by key) and their etag, read from one state.
struct STRATA_API AnnotationSet {
  std::string etag = kNoAnnotationsEtag;
  std::vector<Annotation> annotations;
};

enum class AnnotationOp { Eq, Ne, Lt, Le, Gt, Ge };

// `key op value`: holds for a target if at least one value of its key satisfies it (so Ne
// holds if any value differs). A target without the key never satisfies a clause.
struct STRATA_API AnnotationClause {
  std::string key;
  AnnotationOp op = AnnotationOp::Eq;
  AnnotationValue value;
};

struct STRATA_API AnnotationSearch {
  std::vector<AnnotationClause> clauses;  // all must hold; none: every target (with the prefix)
  std::string targetPrefix;               // only targets whose id starts with it ("dataset/")
  // "" sorts by target id. Otherwise by the values of this key: a target sorts by its smallest
  // value when ascending and by its largest when descending; values order boolean < number <
  // string < blob, numbers numerically (NaN first), strings and blobs by bytes; targets without
  // the key come last in both directions. Ties break by target id, ascending.
  std::string sortKey;
  bool descending = false;
  uint64_t offset = 0;
  uint64_t limit = 100;  // 0: only the total
};

struct STRATA_API AnnotationPage {
  std::vector<std::string> targets;  // the page, in sort order
  uint64_t total = 0;                // matching targets, before paging
};

// One clause on every target, by target id: the shorthand of the first version of the role.
struct STRATA_API AnnotationQuery {
  using Op = AnnotationOp;
  std::string key;
  Op op = Op::Eq;
  AnnotationValue value;  // compared with each value of the key; any match selects the target
  uint64_t offset = 0;
  uint64_t limit = 100;
};

// True if `stored` op `operand` holds; values of different kinds never compare (false),
// except that Long/Date and Double compare numerically. Blobs never match.
STRATA_API bool matches(const AnnotationValue& stored, AnnotationOp op, const AnnotationValue& operand);

// The sort order of AnnotationSearch: a three-way comparison of two values (total order).
STRATA_API int compareAnnotationValues(const AnnotationValue& a, const AnnotationValue& b);
// The value a target with `annotation` (null: without the key) sorts by.
STRATA_API std::optional<AnnotationValue> annotationSortValue(const Annotation* annotation, bool descending);
// Whether target `ta` with sort value `a` comes before `tb` with `b` (missing values last,
// ties by target id ascending).
STRATA_API bool annotationSortsBefore(const std::optional<AnnotationValue>& a, const std::string& ta,
                                      const std::optional<AnnotationValue>& b, const std::string& tb,
                                      bool descending);
// Throws BadRequest for a search the contract refuses (an empty clause key, a blob operand).
STRATA_API void validate(const AnnotationSearch& search);

class STRATA_API AnnotationStore {
 public:
  virtual ~AnnotationStore();
  virtual void set(const std::string& target, const Annotation& annotation) = 0;
  // Replaces every annotation of the target at once, if its etag equals ifMatch (or
  // unconditionally for an empty ifMatch); returns the new etag (kNoAnnotationsEtag when `all`
  // is empty). Invalid annotations or a duplicate key: BadRequest, and nothing changes.
  virtual std::string replaceAll(const std::string& target, const std::vector<Annotation>& all,
                                 const std::string& ifMatch = "") = 0;
  // The annotations (sorted by key) and the etag of one state.
  virtual AnnotationSet read(const std::string& target) = 0;
  // Sorted by key.
  virtual std::vector<Annotation> list(const std::string& target) = 0;
  std::string etag(const std::string& target);
  virtual std::optional<Annotation> find(const std::string& target, const std::string& key) = 0;
  virtual void remove(const std::string& target, const std::string& key) = 0;
  virtual void removeAll(const std::string& target) = 0;
  virtual AnnotationPage search(const AnnotationSearch& search) = 0;
  // search() with one clause, by target id: the page only.
  std::vector<std::string> query(const AnnotationQuery& query);
  // Targets holding at least one annotation, ascending, starting after `after` ("" = from
  // the start), at most `limit` (0 = no limit). For copying a store and for listings.
  // Every backend in the tree implements it; the default throws NotImplemented.
  virtual std::vector<std::string> targets(const std::string& after, uint64_t limit);
};

}  // namespace strata
