// Layout: two column families.
//
//   "annotations"        key   = target \0 \1 key                    (one record per key)
//                        value = 0x01, type, count (u32), values     (binary, big-endian)
//   "annotations_index"  key   = key \0 \1 encodedValue target       (one entry per value)
//                        value = empty
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
// so it streams and stops at the end of the page; every other query collects the matching
// targets of its range into a set bounded by offset+limit (a target matches once however many
// of its values do) and pages that.
//
// Writes to one target (set, replaceAll, remove, removeAll) read its old values to delete
// their index entries, under a striped mutex keyed by the target, and apply records and index
// entries in one WriteBatch, so a query never sees one without the other.
#include "rocksdb_annotation_store.h"

#include "rocksdb_keys.h"

#include <strata/errors.h>

#include <Poco/Logger.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

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
    }
  }
  return out;
}

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
  if (end - p < 6 || p[0] != kRecordVersion || static_cast<unsigned char>(p[1]) > 4) throw corrupt();
  Annotation a;
  a.key = key;
  a.type = static_cast<AnnotationType>(p[1]);
  const uint32_t count = readBigEndian32(p + 2);
  p += 6;
  a.values.reserve(std::min<uint32_t>(count, 1 << 16));
  for (uint32_t i = 0; i < count; ++i) {
    switch (a.type) {
      case AnnotationType::String: {
        if (end - p < 4) throw corrupt();
        const uint32_t n = readBigEndian32(p);
        p += 4;
        if (static_cast<uint64_t>(end - p) < n) throw corrupt();
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
  for (const auto& v : a.values)
    db_->check(batch.Put(index_, indexKey(a.key, v, target), ::rocksdb::Slice()),
               "batching an annotation index entry");
}

void RocksDbAnnotationStore::deleteOne(const std::string& target, const Annotation& stored,
                                       ::rocksdb::WriteBatch& batch) {
  db_->check(batch.Delete(records_, recordKey(target, stored.key)), "batching a deletion");
  for (const auto& v : stored.values)
    db_->check(batch.Delete(index_, indexKey(stored.key, v, target)), "batching a deletion");
}

void RocksDbAnnotationStore::deleteAllOf(const std::string& target, ::rocksdb::WriteBatch& batch) {
  scan(*db_, records_, ::rocksdb::ReadOptions(), component(target), "",
       "reading the annotations of '" + target + "'",
       [&](const std::string& key, const ::rocksdb::Slice& value) {
         deleteOne(target, decode(target, key, value), batch);
         return true;
       });
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
  db_->write(write_, batch, "writing annotation '" + annotation.key + "' of '" + target + "'");
}

void RocksDbAnnotationStore::replaceAll(const std::string& target, const std::vector<Annotation>& all) {
  requireTarget(target);
  // Validate everything first so that a bad annotation leaves the old set untouched.
  std::set<std::string> seen;
  for (const auto& a : all) {
    validate(a);
    if (!seen.insert(a.key).second) throw BadRequest("annotation key '" + a.key + "' appears twice");
  }
  ::rocksdb::WriteBatch batch;
  std::lock_guard lock(stripes_.forKey(target));
  deleteAllOf(target, batch);
  for (const auto& a : all) put(target, a, batch);
  if (batch.Count() == 0) return;
  db_->write(write_, batch, "replacing the annotations of '" + target + "'");
}

std::vector<Annotation> RocksDbAnnotationStore::list(const std::string& target) {
  requireTarget(target);
  std::vector<Annotation> out;
  scan(*db_, records_, ::rocksdb::ReadOptions(), component(target), "",
       "listing the annotations of '" + target + "'",
       [&](const std::string& key, const ::rocksdb::Slice& value) {
         out.push_back(decode(target, key, value));
         return true;
       });
  return out;
}

std::optional<Annotation> RocksDbAnnotationStore::find(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  ::rocksdb::PinnableSlice value;
  const ::rocksdb::Status s =
      db_->db().Get(::rocksdb::ReadOptions(), records_, recordKey(target, key), &value);
  if (s.IsNotFound()) return std::nullopt;
  db_->check(s, "reading annotation '" + key + "' of '" + target + "'");
  return decode(target, key, value);
}

void RocksDbAnnotationStore::remove(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  std::lock_guard lock(stripes_.forKey(target));
  auto old = find(target, key);
  if (!old) return;
  ::rocksdb::WriteBatch batch;
  deleteOne(target, *old, batch);
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

std::vector<std::string> RocksDbAnnotationStore::queryInOrder(const std::string& prefix, uint64_t offset,
                                                              uint64_t limit) {
  const std::string end = prefixEnd(prefix);
  const ::rocksdb::Slice upper(end);
  ::rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(ro, index_));
  std::vector<std::string> out;
  uint64_t skipped = 0;
  for (it->Seek(prefix); it->Valid() && out.size() < limit; it->Next()) {
    if (skipped < offset) {
      ++skipped;
      continue;
    }
    out.emplace_back(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
  db_->check(it->status(), "querying annotations");
  return out;
}

std::vector<std::string> RocksDbAnnotationStore::query(const AnnotationQuery& query) {
  using Op = AnnotationQuery::Op;
  requireKey(query.key);
  if (query.limit == 0) return {};
  const AnnotationValue& operand = query.value;
  // A NaN operand compares with nothing.
  if (operand.index() == 1 && std::isnan(std::get<double>(operand))) return {};

  const std::string keyPrefix = component(query.key);
  const char tag = tagOf(operand);
  std::string base = keyPrefix;
  base.push_back(tag);

  // One exact value: a single prefix, already in target order.
  if (tag != kNumberTag && (query.op == Op::Eq || (tag == kBoolTag && query.op == Op::Ne))) {
    std::string prefix = keyPrefix;
    if (query.op == Op::Ne)
      appendIndexValue(prefix, AnnotationValue(!std::get<bool>(operand)));
    else
      appendIndexValue(prefix, operand);
    return queryInOrder(prefix, query.offset, query.limit);
  }

  // The range of index keys that may match; every entry in it is checked exactly.
  std::string lower = base;
  std::string upper = prefixEnd(base);
  if (tag == kNumberTag) {
    std::string at = base;
    appendBigEndian64(at, approxOf(operand));
    if (query.op == Op::Eq || query.op == Op::Gt || query.op == Op::Ge) lower = at;
    if (query.op == Op::Eq || query.op == Op::Lt || query.op == Op::Le) upper = prefixEnd(at);
  } else if (tag == kStringTag) {
    std::string at = base;
    appendComponent(at, std::get<std::string>(operand));
    if (query.op == Op::Gt || query.op == Op::Ge) lower = at;
    if (query.op == Op::Lt || query.op == Op::Le) upper = prefixEnd(at);
  }

  const ::rocksdb::Slice upperSlice(upper);
  ::rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upperSlice;
  std::unique_ptr<::rocksdb::Iterator> it(db_->db().NewIterator(ro, index_));
  // The smallest offset+limit matching targets seen so far.
  const uint64_t keep = saturatingAdd(query.offset, query.limit);
  std::set<std::string> targets;
  AnnotationValue stored;
  std::string target;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    if (!decodeIndexEntry(view(it->key()), keyPrefix.size(), stored, target)) {
      db_->logger().error("RocksDB %s: malformed annotation index key, skipped", db_->path());
      continue;
    }
    if (!matches(stored, query.op, operand)) continue;
    if (targets.size() >= keep && target >= *targets.rbegin()) continue;
    targets.insert(target);
    if (targets.size() > keep) targets.erase(std::prev(targets.end()));
  }
  db_->check(it->status(), "querying annotations");
  std::vector<std::string> out;
  uint64_t i = 0;
  for (auto& t : targets) {
    if (i++ < query.offset) continue;
    out.push_back(t);
  }
  return out;
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
