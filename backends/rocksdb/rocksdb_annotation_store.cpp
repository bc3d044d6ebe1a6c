// Layout: two column families.
//
//   "annotations"        key   = target \0 \1 key                    (one record per key)
//                        value = 0x01, type, count (u32), values     (binary, big-endian)
//                        key   = target \0 \1                        (the target's etag record,
//                        value = the etag                             first of its range)
//   "annotations_index"  key   = key \0 \1 encodedValue target       (one entry per value;
//                        value = empty                                blobs are not indexed)
//
// The etag record exists exactly while the target has annotations; a target without one has
// the etag kNoAnnotationsEtag. (A database written before etags existed has targets with
// annotations and no etag record: they read as etag "unversioned" until their next write.)
//
// (Components escaped as in rocksdb_keys.h.) encodedValue keeps the kinds apart and sorts by
// value within each, so that queries are range scans of the index:
//
//   'B' 0|1                                   booleans
//   'N' approx(8) kind(1) exact(8)            Long, Date and Double values together: approx
//                                             is the value rounded to a double in an order-
//                                             preserving form, kind 'L' or 'D', exact the
//                                             int64 or the double itself
//   'S' value \0 \1                           strings
//
// Rounding to double is monotonic, so a Gt/Ge scan may start at the operand's approx and an
// Lt/Le scan may stop after it; entries that share the approx are checked exactly with the
// core's matches(), which keeps the contract's exact long/double comparison (2^53 + 1 is not
// 2^53). Eq on a string or boolean is one prefix whose targets come out sorted and unique,
// and unique; every other clause is a range whose targets may repeat.
//
// search() drives the query from one clause: the one whose index range RocksDB estimates the
// smallest (GetApproximateSizes, memtables included; Eq clauses win ties). It scans that
// range (narrowed by the target prefix when the clause is an exact string or boolean value),
// and checks each new target against the other clauses and reads its sort key with one point
// lookup each, from one snapshot. A search without clauses walks the targets of the prefix in
// the records family, one seek per target. Every match is counted for the total; the best
// offset+limit are kept in a bounded set, so memory is O(offset+limit), plus the set of
// targets already seen for a range clause.
//
// Writes to one target (set, replaceAll, remove, removeAll) read its old values to delete
// their index entries, under a striped mutex keyed by the target, and apply records and index
// entries in one WriteBatch, so a query never sees one without the other.
#include "rocksdb_annotation_store.h"

#include "rocksdb_keys.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Logger.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_set>

namespace strata::rocksdb {

namespace {

constexpr char kRecordVersion = 1;

void requireTarget(const std::string& target) {
  if (target.empty()) throw BadRequest("an annotation target must not be empty");
}

void requireKey(const std::string& key) {
  if (key.empty()) throw BadRequest("an annotation key must not be empty");
}

std::string recordKey(const std::string& target, const std::string& key) {
  std::string k = component(target);
  k += key;
  return k;
}

uint64_t doubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

double bitsDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

std::string encodeRecord(const Annotation& a) {
  std::string out;
  out.push_back(kRecordVersion);
  out.push_back(static_cast<char>(a.type));
  appendBigEndian32(out, static_cast<uint32_t>(a.values.size()));
  for (const auto& v : a.values) {
    switch (v.index()) {
      case 0: {
        const auto& s = std::get<std::string>(v);
        appendBigEndian32(out, static_cast<uint32_t>(s.size()));
        out += s;
        break;
      }
      case 1:
        appendBigEndian64(out, doubleBits(std::get<double>(v)));
        break;
      case 2:
        appendBigEndian64(out, static_cast<uint64_t>(std::get<int64_t>(v)));
        break;
      case 3:
        out.push_back(std::get<bool>(v) ? 1 : 0);
        break;
      case 4: {
        const auto& b = std::get<AnnotationBlob>(v).bytes;
        appendBigEndian32(out, static_cast<uint32_t>(b.size()));
        out += b;
        break;
      }
    }
  }
  return out;
}

constexpr const char* kUnversionedEtag = "unversioned";

// Kind tags of the index.
constexpr char kBoolTag = 'B';
constexpr char kNumberTag = 'N';
constexpr char kStringTag = 'S';
constexpr char kLongKind = 'L';
constexpr char kDoubleKind = 'D';

char tagOf(const AnnotationValue& v) {
  switch (v.index()) {
    case 0:
      return kStringTag;
    case 3:
      return kBoolTag;
    default:
      return kNumberTag;
  }
}

// The order-preserving approximation of a number: the nearest double, with -0 folded into +0
// (they compare equal).
uint64_t approxOf(const AnnotationValue& v) {
  double d = v.index() == 1 ? std::get<double>(v) : static_cast<double>(std::get<int64_t>(v));
  if (d == 0) d = 0;
  return orderedDouble(d);
}

// Appends the tag and the encoded value.
void appendIndexValue(std::string& key, const AnnotationValue& v) {
  key.push_back(tagOf(v));
  switch (v.index()) {
    case 0:
      appendComponent(key, std::get<std::string>(v));
      break;
    case 1:
      appendBigEndian64(key, approxOf(v));
      key.push_back(kDoubleKind);
      appendBigEndian64(key, orderedDouble(std::get<double>(v)));
      break;
    case 2:
      appendBigEndian64(key, approxOf(v));
      key.push_back(kLongKind);
      appendBigEndian64(key, orderedInt64(std::get<int64_t>(v)));
      break;
    case 3:
      key.push_back(std::get<bool>(v) ? 1 : 0);
      break;
  }
}

std::string indexKey(const std::string& key, const AnnotationValue& v, const std::string& target) {
  std::string k = component(key);
  appendIndexValue(k, v);
  k += target;
  return k;
}

// Decodes the value and target of an index key after its `skip` bytes (the key component).
bool decodeIndexEntry(std::string_view k, std::size_t skip, AnnotationValue& value, std::string& target) {
  std::size_t pos = skip;
  if (pos >= k.size()) return false;
  const char tag = k[pos++];
  if (tag == kStringTag) {
    std::string s;
    if (!readComponent(k, pos, s)) return false;
    value = std::move(s);
  } else if (tag == kNumberTag) {
    if (k.size() < pos + 17) return false;
    const char kind = k[pos + 8];
    const uint64_t exact = readBigEndian64(k.data() + pos + 9);
    if (kind == kLongKind)
      value = fromOrderedInt64(exact);
    else if (kind == kDoubleKind)
      value = fromOrderedDouble(exact);
    else
      return false;
    pos += 17;
  } else if (tag == kBoolTag) {
    if (k.size() < pos + 1) return false;
    value = k[pos++] != 0;
  } else {
    return false;
  }
  target.assign(k.data() + pos, k.size() - pos);
  return true;
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max() : a + b;
}

std::string_view view(const ::rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace

RocksDbAnnotationStore::RocksDbAnnotationStore(std::shared_ptr<RocksDb> db, const StoreOptions& options)
    : db_(std::move(db)),
      claim_(db_->claimRole("annotations", options.configPrefix)),
      records_(db_->family(kAnnotations)),
      index_(db_->family(kAnnotationsIndex)) {
  write_.sync = options.sync;
}

Annotation RocksDbAnnotationStore::decode(const std::string& target, const std::string& key,
                                          const ::rocksdb::Slice& value) const {
  const auto corrupt = [&]() -> InternalError {
    db_->logger().error("RocksDB %s: unreadable annotation record '%s' of target '%s'", db_->path(), key,
                        target);
    return InternalError("the RocksDB database at " + db_->path() +
                         " holds a corrupt record for annotation '" + key + "' of '" + target + "'");
  };
  const char* p = value.data();
  const char* end = p + value.size();
  if (end - p < 6 || p[0] != kRecordVersion || static_cast<unsigned char>(p[1]) > 5) throw corrupt();
  Annotation a;
  a.key = key;
  a.type = static_cast<AnnotationType>(p[1]);
  const uint32_t count = readBigEndian32(p + 2);
  p += 6;
  a.values.reserve(std::min<uint32_t>(count, 1 << 16));
  for (uint32_t i = 0; i < count; ++i) {
    switch (a.type) {
      case AnnotationType::String:
      case AnnotationType::Blob: {
        if (end - p < 4) throw corrupt();
        const uint32_t n = readBigEndian32(p);
        p += 4;
        if (static_cast<uint64_t>(end - p) < n) throw corrupt();
        if (a.type == AnnotationType::Blob)
          a.values.emplace_back(AnnotationBlob{std::string(p, n)});
        else
          a.values.emplace_back(std::string(p, n));
        p += n;
        break;
      }
      case AnnotationType::Double:
        if (end - p < 8) throw corrupt();
        a.values.emplace_back(bitsDouble(readBigEndian64(p)));
        p += 8;
        break;
      case AnnotationType::Long:
      case AnnotationType::Date:
        if (end - p < 8) throw corrupt();
        a.values.emplace_back(static_cast<int64_t>(readBigEndian64(p)));
        p += 8;
        break;
      case AnnotationType::Boolean:
        if (end - p < 1) throw corrupt();
        a.values.emplace_back(*p != 0);
        p += 1;
        break;
    }
  }
  return a;
}

void RocksDbAnnotationStore::put(const std::string& target, const Annotation& a,
                                 ::rocksdb::WriteBatch& batch) {
  db_->check(batch.Put(records_, recordKey(target, a.key), encodeRecord(a)), "batching an annotation");
  if (a.type == AnnotationType::Blob) return;
  for (const auto& v : a.values)
    db_->check(batch.Put(index_, indexKey(a.key, v, target), ::rocksdb::Slice()),
               "batching an annotation index entry");
}

void RocksDbAnnotationStore::deleteOne(const std::string& target, const Annotation& stored,
                                       ::rocksdb::WriteBatch& batch) {
  db_->check(batch.Delete(records_, recordKey(target, stored.key)), "batching a deletion");
  if (stored.type == AnnotationType::Blob) return;
  for (const auto& v : stored.values)
    db_->check(batch.Delete(index_, indexKey(stored.key, v, target)), "batching a deletion");
}

void RocksDbAnnotationStore::deleteAllOf(const std::string& target, ::rocksdb::WriteBatch& batch) {
  scan(*db_, records_, ::rocksdb::ReadOptions(), component(target), "",
       "reading the annotations of '" + target + "'",
       [&](const std::string& key, const ::rocksdb::Slice& value) {
         if (key.empty())
           db_->check(batch.Delete(records_, component(target)), "batching a deletion");
         else
           deleteOne(target, decode(target, key, value), batch);
         return true;
       });
}

std::string RocksDbAnnotationStore::etagOf(const std::string& target, const ::rocksdb::ReadOptions& ro) {
  std::string etag;
  const ::rocksdb::Status s = db_->db().Get(ro, records_, component(target), &etag);
  if (s.ok()) return etag;
  if (!s.IsNotFound()) db_->fail(s, "reading the etag of the annotations of '" + target + "'");
  bool any = false;
  scan(*db_, records_, ro, component(target), "", "reading the annotations of '" + target + "'",
       [&](const std::string&, const ::rocksdb::Slice&) {
         any = true;
         return false;
       });
  return any ? kUnversionedEtag : kNoAnnotationsEtag;
}

bool RocksDbAnnotationStore::hasOtherKeys(const std::string& target, const std::string& key) {
  bool other = false;
  scan(*db_, records_, ::rocksdb::ReadOptions(), component(target), "",
       "reading the annotations of '" + target + "'", [&](const std::string& k, const ::rocksdb::Slice&) {
         other = !k.empty() && k != key;
         return !other;
       });
  return other;
}

void RocksDbAnnotationStore::set(const std::string& target, const Annotation& annotation) {
  requireTarget(target);
  validate(annotation);
  const std::string key = recordKey(target, annotation.key);
  ::rocksdb::WriteBatch batch;
  std::lock_guard lock(stripes_.forKey(target));
  std::string old;
  const ::rocksdb::Status s = db_->db().Get(::rocksdb::ReadOptions(), records_, key, &old);
  if (s.ok())
    deleteOne(target, decode(target, annotation.key, old), batch);
  else if (!s.IsNotFound())
    db_->fail(s, "reading annotation '" + annotation.key + "' of '" + target + "'");
  put(target, annotation, batch);
  db_->check(batch.Put(records_, component(target), newUuid()), "batching an etag");
  db_->write(write_, batch, "writing annotation '" + annotation.key + "' of '" + target + "'");
}

std::string RocksDbAnnotationStore::replaceAll(const std::string& target, const std::vector<Annotation>& all,
                                               const std::string& ifMatch) {
  requireTarget(target);
  // Validate everything first so that a bad annotation leaves the old set untouched.
  std::set<std::string> seen;
  for (const auto& a : all) {
    validate(a);
    if (!seen.insert(a.key).second) throw BadRequest("annotation key '" + a.key + "' appears twice");
  }
  const std::string etag = all.empty() ? std::string(kNoAnnotationsEtag) : newUuid();
  ::rocksdb::WriteBatch batch;
  std::lock_guard lock(stripes_.forKey(target));
  // The stripe serialises every writer of this target, and this process is the database's only
  // writer (its LOCK file): the etag read here is the one the batch replaces.
  if (!ifMatch.empty() && etagOf(target, ::rocksdb::ReadOptions()) != ifMatch)
    throw PreconditionFailed("etag_mismatch",
                             "the annotations of '" + target + "' have changed (etag mismatch)");
  deleteAllOf(target, batch);
  for (const auto& a : all) put(target, a, batch);
  if (!all.empty()) db_->check(batch.Put(records_, component(target), etag), "batching an etag");
  if (batch.Count() > 0) db_->write(write_, batch, "replacing the annotations of '" + target + "'");
  return etag;
}

AnnotationSet RocksDbAnnotationStore::read(const std::string& target) {
  requireTarget(target);
  AnnotationSet out;
  bool etagSeen = false;
  SnapshotRead snap(*db_);
  scan(*db_, records_, snap.options(), component(target), "", "listing the annotations of '" + target + "'",
       [&](const std::string& key, const ::rocksdb::Slice& value) {
         if (key.empty()) {
           out.etag = value.ToString();
           etagSeen = true;
         } else {
           out.annotations.push_back(decode(target, key, value));
         }
         return true;
       });
  if (!etagSeen && !out.annotations.empty()) out.etag = kUnversionedEtag;
  return out;
}

std::vector<Annotation> RocksDbAnnotationStore::list(const std::string& target) {
  return read(target).annotations;
}

std::optional<Annotation> RocksDbAnnotationStore::find(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  return findIn(target, key, ::rocksdb::ReadOptions());
}

void RocksDbAnnotationStore::remove(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  std::lock_guard lock(stripes_.forKey(target));
  auto old = find(target, key);
  if (!old) return;
  ::rocksdb::WriteBatch batch;
  deleteOne(target, *old, batch);
  // The last key takes the etag record with it.
  if (hasOtherKeys(target, key))
    db_->check(batch.Put(records_, component(target), newUuid()), "batching an etag");
  else
    db_->check(batch.Delete(records_, component(target)), "batching a deletion");
  db_->write(write_, batch, "removing annotation '" + key + "' of '" + target + "'");
}

void RocksDbAnnotationStore::removeAll(const std::string& target) {
  requireTarget(target);
  ::rocksdb::WriteBatch batch;
  std::lock_guard lock(stripes_.forKey(target));
  deleteAllOf(target, batch);
  if (batch.Count() == 0) return;
  db_->write(write_, batch, "removing the annotations of '" + target + "'");
}

namespace {

// The index keys a clause may match: [lower, upper). `exact` ranges hold only matching entries,
// each target once and in target order; the others are checked value by value.
struct ClauseRange {
  std::string lower;
  std::string upper;
  bool exact = false;
  bool empty = false;  // matches nothing (a NaN operand)
};

ClauseRange clauseRange(const AnnotationClause& clause, const std::string& targetPrefix) {
  using Op = AnnotationOp;
  ClauseRange r;
  const AnnotationValue& operand = clause.value;
  if (operand.index() == 1 && std::isnan(std::get<double>(operand))) {
    r.empty = true;
    return r;
  }
  const std::string keyPrefix = component(clause.key);
  const char tag = tagOf(operand);
  if (tag != kNumberTag && (clause.op == Op::Eq || (tag == kBoolTag && clause.op == Op::Ne))) {
    // One exact value: its targets follow it raw, so the target prefix narrows the range too.
    std::string prefix = keyPrefix;
    appendIndexValue(prefix, clause.op == Op::Ne ? AnnotationValue(!std::get<bool>(operand)) : operand);
    prefix += targetPrefix;
    r.lower = prefix;
    r.upper = prefixEnd(prefix);
    r.exact = true;
    return r;
  }
  std::string base = keyPrefix;
  base.push_back(tag);
  r.lower = base;
  r.upper = prefixEnd(base);
  if (tag == kNumberTag) {
    std::string at = base;
    appendBigEndian64(at, approxOf(operand));
    if (clause.op == Op::Eq || clause.op == Op::Gt || clause.op == Op::Ge) r.lower = at;
    if (clause.op == Op::Eq || clause.op == Op::Lt || clause.op == Op::Le) r.upper = prefixEnd(at);
  } else if (tag == kStringTag) {
    std::string at = base;
    appendComponent(at, std::get<std::string>(operand));
    if (clause.op == Op::Gt || clause.op == Op::Ge) r.lower = at;
    if (clause.op == Op::Lt || clause.op == Op::Le) r.upper = prefixEnd(at);
  }
  return r;
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::optional<Annotation> RocksDbAnnotationStore::findIn(const std::string& target, const std::string& key,
                                                         const ::rocksdb::ReadOptions& ro) {
  ::rocksdb::PinnableSlice value;
  const ::rocksdb::Status s = db_->db().Get(ro, records_, recordKey(target, key), &value);
  if (s.IsNotFound()) return std::nullopt;
  db_->check(s, "reading annotation '" + key + "' of '" + target + "'");
  return decode(target, key, value);
}

AnnotationPage RocksDbAnnotationStore::search(const AnnotationSearch& search) {
  validate(search);
  AnnotationPage page;
  std::vector<ClauseRange> ranges;
  for (const auto& c : search.clauses) {
    ranges.push_back(clauseRange(c, search.targetPrefix));
    if (ranges.back().empty) return page;
  }
  SnapshotRead snap(*db_);
  const ::rocksdb::ReadOptions& ro = snap.options();

  // The driving clause: the smallest estimated range.
  std::size_t driver = 0;
  if (ranges.size() > 1) {
    // Every range has an upper bound: its lower bound ends with a tag or a value.
    std::vector<::rocksdb::Range> rs;
    for (const auto& r : ranges) rs.emplace_back(r.lower, r.upper);
    std::vector<uint64_t> sizes(rs.size(), 0);
    ::rocksdb::SizeApproximationOptions options;
    options.include_memtables = true;
    options.include_files = true;
    db_->check(
        db_->db().GetApproximateSizes(options, index_, rs.data(), static_cast<int>(rs.size()), sizes.data()),
        "estimating an annotation query");
    // Among equal estimates (a fresh memtable's are coarse) an Eq clause, one value, wins.
    const auto rank = [&](std::size_t i) {
      return std::make_pair(sizes[i], search.clauses[i].op == AnnotationOp::Eq ? 0 : 1);
    };
    for (std::size_t i = 1; i < ranges.size(); ++i)
      if (rank(i) < rank(driver)) driver = i;
  }

  struct Hit {
    std::optional<AnnotationValue> sortValue;
    std::string target;
  };
  const bool descending = search.descending;
  const auto before = [descending](const Hit& a, const Hit& b) {
    return annotationSortsBefore(a.sortValue, a.target, b.sortValue, b.target, descending);
  };
  std::set<Hit, decltype(before)> best(before);
  const uint64_t keep = saturatingAdd(search.offset, search.limit);

  // Checks a candidate against the clauses other than the driver, and keeps it if it matches.
  const auto consider = [&](const std::string& target) {
    for (std::size_t i = 0; i < search.clauses.size(); ++i) {
      if (i == driver) continue;
      const auto& clause = search.clauses[i];
      const auto a = findIn(target, clause.key, ro);
      if (!a) return;
      bool hit = false;
      for (const auto& v : a->values)
        if ((hit = matches(v, clause.op, clause.value))) break;
      if (!hit) return;
    }
    ++page.total;
    if (keep == 0) return;
    // By target id: the id is the value.
    Hit hit{AnnotationValue(target), target};
    if (!search.sortKey.empty()) {
      const auto a = findIn(target, search.sortKey, ro);
      hit.sortValue = annotationSortValue(a ? &*a : nullptr, descending);
    }
    if (best.size() >= keep && !before(hit, *best.rbegin())) return;
    best.insert(std::move(hit));
    if (best.size() > keep) best.erase(std::prev(best.end()));
  };

  if (search.clauses.empty()) {
    // Every target of the prefix: one seek per target in the records family.
    std::string start = component(search.targetPrefix);
    start.resize(start.size() - 2);  // the escaped prefix, without its terminator
    const std::string end = prefixEnd(start);
    const ::rocksdb::Slice upper(end);
    ::rocksdb::ReadOptions scanOptions = ro;
    if (!end.empty()) scanOptions.iterate_upper_bound = &upper;
    std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(scanOptions, records_));
    std::string target;
    for (it->Seek(start); it->Valid();) {
      std::size_t pos = 0;
      if (!readComponent(view(it->key()), pos, target)) {
        db_->logger().error("RocksDB %s: malformed annotation key, skipped", db_->path());
        it->Next();
        continue;
      }
      if (!startsWith(target, search.targetPrefix)) break;
      consider(target);
      it->Seek(prefixEnd(component(target)));
    }
    db_->check(it->status(), "searching annotations");
  } else {
    const ClauseRange& range = ranges[driver];
    const AnnotationClause& clause = search.clauses[driver];
    const std::size_t skip = component(clause.key).size();
    const ::rocksdb::Slice upper(range.upper);
    ::rocksdb::ReadOptions scanOptions = ro;
    if (!range.upper.empty()) scanOptions.iterate_upper_bound = &upper;
    std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(scanOptions, index_));
    std::unordered_set<std::string> seen;  // range clauses meet a target once per value in range
    AnnotationValue stored;
    std::string target;
    for (it->Seek(range.lower); it->Valid(); it->Next()) {
      if (!decodeIndexEntry(view(it->key()), skip, stored, target)) {
        db_->logger().error("RocksDB %s: malformed annotation index key, skipped", db_->path());
        continue;
      }
      if (!startsWith(target, search.targetPrefix) || !matches(stored, clause.op, clause.value)) continue;
      if (!range.exact && !seen.insert(target).second) continue;
      consider(target);
    }
    db_->check(it->status(), "searching annotations");
  }

  uint64_t i = 0;
  for (const auto& hit : best)
    if (i++ >= search.offset) page.targets.push_back(hit.target);
  return page;
}

std::vector<std::string> RocksDbAnnotationStore::targets(const std::string& after, uint64_t limit) {
  std::vector<std::string> out;
  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(::rocksdb::ReadOptions(), records_));
  // The escaping keeps the targets' own order; one seek per target skips its keys.
  if (after.empty())
    it->SeekToFirst();
  else
    it->Seek(prefixEnd(component(after)));
  std::string target;
  while (it->Valid() && (limit == 0 || out.size() < limit)) {
    std::size_t pos = 0;
    if (!readComponent(view(it->key()), pos, target)) {
      db_->logger().error("RocksDB %s: malformed annotation key, skipped", db_->path());
      it->Next();
      continue;
    }
    out.push_back(target);
    it->Seek(prefixEnd(component(target)));
  }
  db_->check(it->status(), "listing annotation targets");
  return out;
}

}  // namespace strata::rocksdb
