// Schema (component "annotations" of strata_schema, version 2):
//
//   strata_annotation_targets (target primary key, etag): one row exactly while the target
//                             has annotations
//   strata_annotations        (target, key, type, vals) primary key (target, key); vals is
//                             the key's values in a binary form (below)
//   strata_annotation_values  (target, key, kind, num, str), version 2: one row per distinct
//                             searchable value of a key (kIndexString: str, kIndexNumber:
//                             num, kIndexBoolean: num 0 or 1; NaN and blobs, which no clause
//                             matches, have none), indexed by (key, kind, num, target),
//                             (key, str, target) and (target, key). str is 's' and the
//                             string's first kIndexStringPrefix bytes (never an empty BLOB);
//                             numbers are doubles (Long and Date values rounded).
//
// Targets and keys are BLOBs (BYTEA), as the entities store's names. A write to a target is
// one transaction that also gives the target a fresh etag (a UUID) or, when it leaves no
// annotation, deletes its row (etag kNoAnnotationsEtag); the conditional replaceAll() reads
// the etag inside the transaction (PostgreSQL: FOR UPDATE), so of writers holding one etag
// exactly one wins.
//
// search() with clauses is answered from strata_annotation_values' indexes: each clause
// becomes `target IN (SELECT target FROM strata_annotation_values WHERE key = ? AND ...)`, a
// range of one index that selects at least the targets the clause holds for (rounded numbers
// and string prefixes compare with <= and >= where the contract has < and >), and the rows
// of the clause and sort keys of those targets alone are read (by primary key) and checked
// with the core's matches(), then sorted with annotationSortsBefore(): the results are the
// contract's exactly. Without clauses it reads the targets of the prefix (a primary key range)
// and the sort key's rows of the prefix.
//
// vals: per value, by type: String and Blob an 8-byte little-endian length and the bytes;
// Double, Long and Date 8 bytes (the double's or the int64's bits, little-endian); Boolean
// one byte.
#include "sql_annotation_store.h"

#include "sql_index_values.h"
#include "sql_statements.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/Data/Session.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::BLOB;
using Poco::Data::Session;

namespace {

void requireTarget(const std::string& target) {
  if (target.empty()) throw BadRequest("an annotation needs a non-empty target");
}

void requireKey(const std::string& key) {
  if (key.empty()) throw BadRequest("an annotation needs a non-empty key");
}

void put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get64(const std::string& in, std::size_t& pos) {
  if (pos + 8 > in.size()) throw std::runtime_error("truncated");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  pos += 8;
  return v;
}

std::string encode(const Annotation& a) {
  std::string out;
  for (const auto& v : a.values) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      put64(out, s->size());
      out += *s;
    } else if (const auto* b = std::get_if<AnnotationBlob>(&v)) {
      put64(out, b->bytes.size());
      out += b->bytes;
    } else if (const auto* d = std::get_if<double>(&v)) {
      uint64_t bits = 0;
      std::memcpy(&bits, d, 8);
      put64(out, bits);
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
      put64(out, static_cast<uint64_t>(*i));
    } else {
      out += std::get<bool>(v) ? '\1' : '\0';
    }
  }
  return out;
}

std::vector<AnnotationValue> decode(AnnotationType type, const std::string& in) {
  std::vector<AnnotationValue> out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    switch (type) {
      case AnnotationType::String:
      case AnnotationType::Blob: {
        const uint64_t n = get64(in, pos);
        if (n > in.size() - pos) throw std::runtime_error("truncated");
        std::string bytes = in.substr(pos, n);
        pos += n;
        if (type == AnnotationType::String)
          out.emplace_back(std::move(bytes));
        else
          out.emplace_back(AnnotationBlob{std::move(bytes)});
        break;
      }
      case AnnotationType::Double: {
        const uint64_t bits = get64(in, pos);
        double d = 0;
        std::memcpy(&d, &bits, 8);
        out.emplace_back(d);
        break;
      }
      case AnnotationType::Long:
      case AnnotationType::Date:
        out.emplace_back(static_cast<int64_t>(get64(in, pos)));
        break;
      case AnnotationType::Boolean:
        out.emplace_back(in[pos++] != '\0');
        break;
    }
  }
  return out;
}

// Rows of (target, key, type, vals).
struct Rows {
  std::vector<BLOB> target, key, vals;
  std::vector<int> type;
};

void select(Session& s, const std::string& sql, const std::vector<SqlValue>& values, Rows& rows) {
  using T = SqlType;
  SqlRows r = queryRows(s, sql, values, {T::Bytes, T::Bytes, T::Integer, T::Bytes});
  rows.target = std::move(std::get<std::vector<BLOB>>(r.columns[0]));
  rows.key = std::move(std::get<std::vector<BLOB>>(r.columns[1]));
  for (const auto t : std::get<std::vector<Poco::Int64>>(r.columns[2]))
    rows.type.push_back(static_cast<int>(t));
  rows.vals = std::move(std::get<std::vector<BLOB>>(r.columns[3]));
}

Annotation annotationOf(const SqlDatabase& db, const Rows& rows, std::size_t i) {
  Annotation a;
  a.key = bytesOf(rows.key[i]);
  const int type = rows.type[i];
  try {
    if (type < 0 || type > static_cast<int>(AnnotationType::Blob)) throw std::runtime_error("bad type");
    a.type = static_cast<AnnotationType>(type);
    a.values = decode(a.type, bytesOf(rows.vals[i]));
    if (a.values.empty()) throw std::runtime_error("no values");
  } catch (const std::exception&) {
    throw InternalError("the " + db.describe() + " holds a corrupt annotation '" + a.key + "' of target '" +
                        bytesOf(rows.target[i]) + "'");
  }
  return a;
}

constexpr const char* kColumns = "target, key, type, vals";

// The end of the range of ids starting with `prefix` ("" if there is none).
std::string prefixEnd(std::string end) {
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// The target's etag, read for a write (PostgreSQL: locked), or kNoAnnotationsEtag.
std::string currentEtag(const SqlDatabase& db, Session& s, const std::string& target) {
  const SqlRows etag = queryRows(
      s, std::string("SELECT etag FROM strata_annotation_targets WHERE target = ?") + db.forUpdate(),
      {Bytes{target}}, {SqlType::Text});
  return etag.empty() ? kNoAnnotationsEtag : etag.text(0, 0);
}

// Gives the target a fresh etag if it has annotations, or deletes its row; returns the etag.
std::string touch(Session& s, const std::string& target) {
  const int64_t count = queryRows(s, "SELECT COUNT(*) FROM strata_annotations WHERE target = ?",
                                  {Bytes{target}}, {SqlType::Integer})
                            .integer(0, 0);
  if (count == 0) {
    execute(s, "DELETE FROM strata_annotation_targets WHERE target = ?", {Bytes{target}});
    return kNoAnnotationsEtag;
  }
  const std::string etag = newUuid();
  execute(s,
          "INSERT INTO strata_annotation_targets (target, etag) VALUES (?, ?) "
          "ON CONFLICT (target) DO UPDATE SET etag = excluded.etag",
          {Bytes{target}, etag});
  return etag;
}

// ---- the search table (version 2)

constexpr std::size_t kRowsPerInsert = 64;

// Inserts the searchable values of `a` into strata_annotation_values, a few rows per statement.
void insertValues(Session& s, const std::string& target, const Annotation& a) {
  std::set<std::string> strings;
  std::set<std::pair<int64_t, double>> numbers;  // (kind, num)
  for (const auto& v : a.values) {
    if (const auto* str = std::get_if<std::string>(&v))
      strings.insert(indexedString(*str));
    else if (const auto* d = std::get_if<double>(&v)) {
      if (!std::isnan(*d)) numbers.emplace(kIndexNumber, *d);
    } else if (const auto* i = std::get_if<int64_t>(&v))
      numbers.emplace(kIndexNumber, static_cast<double>(*i));
    else if (const auto* b = std::get_if<bool>(&v))
      numbers.emplace(kIndexBoolean, *b ? 1.0 : 0.0);
  }
  const auto flush = [&](const char* columns, std::vector<SqlValue>& values, std::size_t rows) {
    if (rows == 0) return;
    std::string sql = std::string("INSERT INTO strata_annotation_values (target, key, kind, ") + columns +
                      ") VALUES (?, ?, ?, ?)";
    for (std::size_t i = 1; i < rows; ++i) sql += ", (?, ?, ?, ?)";
    execute(s, sql, values);
    values.clear();
  };
  std::vector<SqlValue> values;
  std::size_t rows = 0;
  for (const auto& str : strings) {
    values.insert(values.end(), {Bytes{target}, Bytes{a.key}, kIndexString, Bytes{str}});
    if (++rows == kRowsPerInsert) flush("str", values, std::exchange(rows, 0));
  }
  flush("str", values, std::exchange(rows, 0));
  for (const auto& [kind, num] : numbers) {
    values.insert(values.end(), {Bytes{target}, Bytes{a.key}, kind, num});
    if (++rows == kRowsPerInsert) flush("num", values, std::exchange(rows, 0));
  }
  flush("num", values, std::exchange(rows, 0));
}

void insert(Session& s, const std::string& target, const Annotation& a) {
  execute(s,
          "INSERT INTO strata_annotations (target, key, type, vals) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (target, key) DO UPDATE SET type = excluded.type, vals = excluded.vals",
          {Bytes{target}, Bytes{a.key}, static_cast<int64_t>(a.type), Bytes{encode(a)}});
  execute(s, "DELETE FROM strata_annotation_values WHERE target = ? AND key = ?",
          {Bytes{target}, Bytes{a.key}});
  insertValues(s, target, a);
}

// The SQL selecting (at least) the targets for which clause `c` holds, within the prefix's
// range `range` (" AND target >= ? ..." with its values), or "" if none can.
std::string candidates(const AnnotationClause& c, const std::string& range,
                       const std::vector<SqlValue>& rangeValues, std::vector<SqlValue>& values) {
  std::string where = "key = ?";
  std::vector<SqlValue> own{Bytes{c.key}};
  const char* widened = nullptr;  // the comparison that holds for every value the clause does
  switch (c.op) {
    case AnnotationOp::Eq:
      widened = " = ?";
      break;
    case AnnotationOp::Lt:
    case AnnotationOp::Le:
      widened = " <= ?";
      break;
    case AnnotationOp::Gt:
    case AnnotationOp::Ge:
      widened = " >= ?";
      break;
    case AnnotationOp::Ne:
      break;
  }
  if (const auto* str = std::get_if<std::string>(&c.value)) {
    if (widened) {
      where += std::string(" AND str") + widened;
      own.emplace_back(Bytes{indexedString(*str)});
    } else {
      where += " AND str IS NOT NULL";
    }
  } else {
    int64_t kind = kIndexNumber;
    double num = 0;
    if (const auto* d = std::get_if<double>(&c.value)) {
      if (std::isnan(*d)) return "";  // NaN compares with nothing
      num = *d;
    } else if (const auto* i = std::get_if<int64_t>(&c.value)) {
      num = static_cast<double>(*i);
    } else if (const auto* b = std::get_if<bool>(&c.value)) {
      kind = kIndexBoolean;
      num = *b ? 1.0 : 0.0;
    } else {
      return "";  // blobs: refused by validate()
    }
    where += " AND kind = ?";
    own.emplace_back(kind);
    if (widened) {
      where += std::string(" AND num") + widened;
      own.emplace_back(num);
    }
  }
  values.insert(values.end(), own.begin(), own.end());
  values.insert(values.end(), rangeValues.begin(), rangeValues.end());
  return "SELECT target FROM strata_annotation_values WHERE " + where + range;
}

}  // namespace

SqlAnnotationStore::SqlAnnotationStore(std::shared_ptr<SqlDatabase> db) : db_(std::move(db)) {
  const std::string bytes = db_->postgres() ? "BYTEA" : "BLOB";
  const std::string withoutRowid = db_->postgres() ? "" : " WITHOUT ROWID";
  db_->migrate("annotations",
               {[&](Session& s) {
                  execute(s, "CREATE TABLE strata_annotation_targets (target " + bytes +
                                 " PRIMARY KEY, etag TEXT NOT NULL)" + withoutRowid);
                  execute(s, "CREATE TABLE strata_annotations (target " + bytes + " NOT NULL, key " + bytes +
                                 " NOT NULL, type INTEGER NOT NULL, vals " + bytes +
                                 " NOT NULL, PRIMARY KEY (target, key))" + withoutRowid);
                },
                [&](Session& s) {
                  execute(s, "CREATE TABLE strata_annotation_values (target " + bytes + " NOT NULL, key " +
                                 bytes + " NOT NULL, kind INTEGER NOT NULL, num DOUBLE PRECISION, str " +
                                 bytes + ")");
                  execute(s,
                          "CREATE INDEX strata_annotation_values_num ON "
                          "strata_annotation_values (key, kind, num, target)");
                  execute(s,
                          "CREATE INDEX strata_annotation_values_str ON "
                          "strata_annotation_values (key, str, target)");
                  execute(s,
                          "CREATE INDEX strata_annotation_values_target ON "
                          "strata_annotation_values (target, key)");
                  // The annotations of version 1, target by target.
                  std::vector<BLOB> targets;
                  s << "SELECT target FROM strata_annotation_targets", into(targets), now;
                  for (const auto& t : targets) {
                    const std::string target = bytesOf(t);
                    Rows rows;
                    select(s, std::string("SELECT ") + kColumns + " FROM strata_annotations WHERE target = ?",
                           {Bytes{target}}, rows);
                    for (std::size_t i = 0; i < rows.key.size(); ++i)
                      insertValues(s, target, annotationOf(*db_, rows, i));
                  }
                }});
}

void SqlAnnotationStore::set(const std::string& target, const Annotation& annotation) {
  requireTarget(target);
  validate(annotation);
  db_->transaction(SqlDatabase::Mode::Write, "annotating target '" + target + "'", [&](Session& s) {
    insert(s, target, annotation);
    touch(s, target);
  });
}

std::string SqlAnnotationStore::replaceAll(const std::string& target, const std::vector<Annotation>& all,
                                           const std::string& ifMatch) {
  requireTarget(target);
  std::set<std::string> keys;
  for (const auto& a : all) {
    validate(a);
    if (!keys.insert(a.key).second) throw BadRequest("annotation key '" + a.key + "' appears twice");
  }
  std::string etag;
  db_->transaction(
      SqlDatabase::Mode::Write, "replacing the annotations of target '" + target + "'", [&](Session& s) {
        if (!ifMatch.empty() && currentEtag(*db_, s, target) != ifMatch)
          throw PreconditionFailed("etag_mismatch",
                                   "the annotations of target '" + target + "' have changed (etag mismatch)");
        execute(s, "DELETE FROM strata_annotations WHERE target = ?", {Bytes{target}});
        execute(s, "DELETE FROM strata_annotation_values WHERE target = ?", {Bytes{target}});
        for (const auto& a : all) insert(s, target, a);
        etag = touch(s, target);
      });
  return etag;
}

AnnotationSet SqlAnnotationStore::read(const std::string& target) {
  requireTarget(target);
  AnnotationSet out;
  db_->transaction(
      SqlDatabase::Mode::Read, "reading the annotations of target '" + target + "'", [&](Session& s) {
        const SqlRows etag = queryRows(s, "SELECT etag FROM strata_annotation_targets WHERE target = ?",
                                       {Bytes{target}}, {SqlType::Text});
        out.etag = etag.empty() ? kNoAnnotationsEtag : etag.text(0, 0);
        Rows rows;
        select(s,
               std::string("SELECT ") + kColumns + " FROM strata_annotations WHERE target = ? ORDER BY key",
               {Bytes{target}}, rows);
        out.annotations.clear();
        for (std::size_t i = 0; i < rows.key.size(); ++i)
          out.annotations.push_back(annotationOf(*db_, rows, i));
      });
  return out;
}

std::vector<Annotation> SqlAnnotationStore::list(const std::string& target) {
  return read(target).annotations;
}

std::optional<Annotation> SqlAnnotationStore::find(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  Rows rows;
  db_->transaction(
      SqlDatabase::Mode::Single, "reading annotation '" + key + "' of target '" + target + "'",
      [&](Session& s) {
        select(s, std::string("SELECT ") + kColumns + " FROM strata_annotations WHERE target = ? AND key = ?",
               {Bytes{target}, Bytes{key}}, rows);
      });
  if (rows.key.empty()) return std::nullopt;
  return annotationOf(*db_, rows, 0);
}

void SqlAnnotationStore::remove(const std::string& target, const std::string& key) {
  requireTarget(target);
  requireKey(key);
  db_->transaction(SqlDatabase::Mode::Write, "removing annotation '" + key + "' of target '" + target + "'",
                   [&](Session& s) {
                     if (run(s, "DELETE FROM strata_annotations WHERE target = ? AND key = ?",
                             {Bytes{target}, Bytes{key}}) > 0) {
                       execute(s, "DELETE FROM strata_annotation_values WHERE target = ? AND key = ?",
                               {Bytes{target}, Bytes{key}});
                       touch(s, target);
                     }
                   });
}

void SqlAnnotationStore::removeAll(const std::string& target) {
  requireTarget(target);
  db_->transaction(SqlDatabase::Mode::Write, "removing the annotations of target '" + target + "'",
                   [&](Session& s) {
                     execute(s, "DELETE FROM strata_annotations WHERE target = ?", {Bytes{target}});
                     execute(s, "DELETE FROM strata_annotation_values WHERE target = ?", {Bytes{target}});
                     execute(s, "DELETE FROM strata_annotation_targets WHERE target = ?", {Bytes{target}});
                   });
}

AnnotationPage SqlAnnotationStore::search(const AnnotationSearch& search) {
  validate(search);
  // The keys whose values the search reads.
  std::set<std::string> keys;
  for (const auto& c : search.clauses) keys.insert(c.key);
  if (!search.sortKey.empty()) keys.insert(search.sortKey);
  // (An empty BLOB may bind as NULL: no bound prefix without one.)
  std::string range = " WHERE 1 = 1";
  std::vector<SqlValue> values;
  if (!search.targetPrefix.empty()) {
    range += " AND target >= ?";
    values.emplace_back(Bytes{search.targetPrefix});
    const std::string end = prefixEnd(search.targetPrefix);
    if (!end.empty()) {
      range += " AND target < ?";
      values.emplace_back(Bytes{end});
    }
  }
  std::vector<BLOB> targetRows;
  std::map<std::string, std::map<std::string, Annotation>> annotations;  // target -> key -> annotation
  // With clauses: the candidates of each clause, from the index.
  std::string chosen;
  std::vector<SqlValue> chosenValues;
  bool none = false;
  for (const auto& c : search.clauses) {
    const std::string sql =
        candidates(c, range.substr(std::string(" WHERE 1 = 1").size()), values, chosenValues);
    if (sql.empty()) {
      none = true;
      break;
    }
    chosen += " AND target IN (" + sql + ")";
  }
  if (none) return AnnotationPage{};
  // With clauses one statement reads everything: no transaction needed around it.
  const auto mode = search.clauses.empty() ? SqlDatabase::Mode::Read : SqlDatabase::Mode::Single;
  db_->transaction(mode, "searching annotations", [&](Session& s) {
    targetRows.clear();
    annotations.clear();
    if (search.clauses.empty()) {
      targetRows = std::move(std::get<std::vector<BLOB>>(
          queryRows(s, "SELECT target FROM strata_annotation_targets" + range + " ORDER BY target", values,
                    {SqlType::Bytes})
              .columns[0]));
      if (keys.empty()) return;
    }
    std::vector<SqlValue> params;
    std::string sql = std::string("SELECT ") + kColumns + " FROM strata_annotations WHERE key IN (?";
    for (const auto& k : keys) params.emplace_back(Bytes{k});
    for (std::size_t i = 1; i < keys.size(); ++i) sql += ", ?";
    sql += ")";
    if (search.clauses.empty()) {
      sql += range.substr(std::string(" WHERE 1 = 1").size());
      params.insert(params.end(), values.begin(), values.end());
    } else {
      sql += chosen;
      params.insert(params.end(), chosenValues.begin(), chosenValues.end());
    }
    Rows rows;
    select(s, sql, params, rows);
    for (std::size_t i = 0; i < rows.key.size(); ++i) {
      Annotation a = annotationOf(*db_, rows, i);
      annotations[bytesOf(rows.target[i])].emplace(a.key, std::move(a));
    }
  });
  if (!search.clauses.empty()) {
    // Every target a clause holds for has a row of its key: the candidates, in target order.
    for (const auto& [target, _] : annotations)
      targetRows.emplace_back(reinterpret_cast<const unsigned char*>(target.data()), target.size());
  }
  struct Hit {
    std::optional<AnnotationValue> sortValue;
    std::string target;
  };
  std::vector<Hit> hits;
  for (const auto& row : targetRows) {
    std::string target = bytesOf(row);
    const auto it = annotations.find(target);
    const auto annotation = [&](const std::string& key) -> const Annotation* {
      if (it == annotations.end()) return nullptr;
      const auto a = it->second.find(key);
      return a == it->second.end() ? nullptr : &a->second;
    };
    const bool holds =
        std::all_of(search.clauses.begin(), search.clauses.end(), [&](const AnnotationClause& c) {
          const Annotation* a = annotation(c.key);
          return a && std::any_of(a->values.begin(), a->values.end(),
                                  [&](const AnnotationValue& v) { return matches(v, c.op, c.value); });
        });
    if (!holds) continue;
    std::optional<AnnotationValue> sortValue;
    if (!search.sortKey.empty())
      sortValue = annotationSortValue(annotation(search.sortKey), search.descending);
    hits.push_back({std::move(sortValue), std::move(target)});
  }
  AnnotationPage page;
  page.total = hits.size();
  if (!search.sortKey.empty()) {
    std::sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
      return annotationSortsBefore(a.sortValue, a.target, b.sortValue, b.target, search.descending);
    });
  } else if (search.descending) {
    std::reverse(hits.begin(), hits.end());
  }
  for (uint64_t i = search.offset; i < hits.size() && page.targets.size() < search.limit; ++i)
    page.targets.push_back(hits[i].target);
  return page;
}

std::vector<std::string> SqlAnnotationStore::targets(const std::string& after, uint64_t limit) {
  std::vector<BLOB> rows;
  db_->transaction(SqlDatabase::Mode::Single, "listing annotated targets", [&](Session& s) {
    rows.clear();
    std::string sql = "SELECT target FROM strata_annotation_targets";
    std::vector<SqlValue> values;
    if (!after.empty()) {
      sql += " WHERE target > ?";
      values.emplace_back(Bytes{after});
    }
    sql += " ORDER BY target";
    if (limit > 0) {
      sql += " LIMIT ?";
      values.emplace_back(
          static_cast<int64_t>(std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max())));
    }
    rows = std::move(std::get<std::vector<BLOB>>(queryRows(s, sql, values, {SqlType::Bytes}).columns[0]));
  });
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(bytesOf(r));
  return out;
}

}  // namespace strata::sql
