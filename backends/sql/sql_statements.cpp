#include "sql_statements.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Statement.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::BLOB;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

// At most this many statements per session; a session that needs more starts over (the texts
// built from lists of values, IN (?, ?, ...), make the set of texts open-ended).
constexpr std::size_t kMaxCached = 256;

// Values bound to a cached statement larger than this are let go after each call.
constexpr std::size_t kKeptBytes = 64 * 1024;

using Slot = std::variant<std::string, Poco::Int64, double, BLOB>;

// A statement with its parameters bound to its own slots and its columns to its own vectors.
struct Cached {
  Cached(Session& session, const std::string& sql, const std::vector<SqlValue>& values,
         std::initializer_list<SqlType> types)
      : statement(session) {
    statement << sqlText(session, sql);
    for (const auto& v : values) {
      if (std::holds_alternative<std::string>(v))
        slots.emplace_back(std::string());
      else if (std::holds_alternative<int64_t>(v))
        slots.emplace_back(Poco::Int64(0));
      else if (std::holds_alternative<double>(v))
        slots.emplace_back(0.0);
      else
        slots.emplace_back(BLOB());
      std::visit([&](auto& slot) { statement.addBind(use(slot)); }, slots.back());
    }
    columns.reserve(types.size());
    for (SqlType t : types) {
      switch (t) {
        case SqlType::Bytes:
          columns.emplace_back(std::vector<BLOB>());
          break;
        case SqlType::Text:
          columns.emplace_back(std::vector<std::string>());
          break;
        case SqlType::Integer:
          columns.emplace_back(std::vector<Poco::Int64>());
          break;
        case SqlType::Real:
          columns.emplace_back(std::vector<double>());
          break;
      }
    }
    // Bound after the vector of columns stops growing: the extractions keep their addresses.
    for (auto& column : columns) std::visit([&](auto& v) { statement.addExtract(into(v)); }, column);
  }

  std::size_t execute(const std::vector<SqlValue>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const SqlValue& v = values[i];
      if (const auto* s = std::get_if<std::string>(&v))
        std::get<std::string>(slots[i]) = *s;
      else if (const auto* n = std::get_if<int64_t>(&v))
        std::get<Poco::Int64>(slots[i]) = *n;
      else if (const auto* d = std::get_if<double>(&v))
        std::get<double>(slots[i]) = *d;
      else {
        const std::string& bytes = std::get<Bytes>(v).value;
        std::get<BLOB>(slots[i]).assignRaw(reinterpret_cast<const unsigned char*>(bytes.data()),
                                           bytes.size());
      }
    }
    for (auto& column : columns) std::visit([](auto& c) { c.clear(); }, column);
    const std::size_t count = statement.execute();
    // A cached statement keeps no large value (a blob's chunk) alive between calls.
    for (auto& slot : slots)
      if (auto* blob = std::get_if<BLOB>(&slot); blob && blob->size() > kKeptBytes) *blob = BLOB();
    return count;
  }

  Statement statement;
  std::deque<Slot> slots;  // a deque: bound slots never move
  std::vector<SqlRows::Column> columns;
};

// The key of a statement: its text and the kinds of its values and columns.
std::string keyOf(const std::string& sql, const std::vector<SqlValue>& values,
                  std::initializer_list<SqlType> types) {
  std::string key = sql;
  key += '\0';
  for (const auto& v : values) key += static_cast<char>('0' + v.index());
  key += '\0';
  for (SqlType t : types) key += static_cast<char>('0' + static_cast<int>(t));
  return key;
}

struct Cache {
  std::unordered_map<std::string, std::unique_ptr<Cached>> statements;
};

// The caches of the sessions that have one, by session.
std::mutex registryMutex;
std::unordered_map<const Session*, std::unique_ptr<Cache>>& registry() {
  static auto* caches = new std::unordered_map<const Session*, std::unique_ptr<Cache>>;
  return *caches;
}

// The PostgreSQL statements whose run failed (runCached), never destroyed.
std::vector<std::unique_ptr<Cached>>& abandoned() {
  static auto* statements = new std::vector<std::unique_ptr<Cached>>;
  return *statements;
}

thread_local const Session* tSession = nullptr;
thread_local Cache* tCache = nullptr;

// Runs the statement, from the session's cache if this thread has it in scope.
std::size_t runCached(Session& session, const std::string& sql, const std::vector<SqlValue>& values,
                      std::initializer_list<SqlType> types, SqlRows* rows) {
  Cached* cached = nullptr;
  std::unique_ptr<Cached> once;
  std::string key;
  if (tSession == &session && tCache) {
    key = keyOf(sql, values, types);
    auto it = tCache->statements.find(key);
    if (it == tCache->statements.end()) {
      if (tCache->statements.size() >= kMaxCached) tCache->statements.clear();
      it = tCache->statements.emplace(key, std::make_unique<Cached>(session, sql, values, types)).first;
    }
    cached = it->second.get();
  } else {
    once = std::make_unique<Cached>(session, sql, values, types);
    cached = once.get();
  }
  std::size_t count = 0;
  try {
    count = cached->execute(values);
  } catch (...) {
    if (!once) {
      auto it = tCache->statements.find(key);
      // Poco 1.11's PostgreSQL connector frees a statement's previous result when it runs it
      // again but keeps the pointer when that run fails, so that destroying the statement frees
      // the result a second time. A PostgreSQL statement whose run failed is therefore let go
      // without being destroyed (a few hundred bytes per failed run: the database gone, a
      // lock timeout), and its session, which a failure closes, deallocates it on the server.
      // Such statements are kept in a list that is never destroyed, so that a leak checker
      // (LeakSanitizer in the sanitizer build) sees them as kept on purpose, not lost.
      if (session.connector() == Poco::Data::PostgreSQL::Connector::KEY) {
        std::lock_guard<std::mutex> lock(registryMutex);
        abandoned().push_back(std::move(it->second));
      }
      tCache->statements.erase(it);
    }
    throw;
  }
  if (rows) {
    rows->columns.clear();
    rows->size_ = 0;
    for (auto& column : cached->columns) {
      rows->columns.emplace_back();
      std::visit(
          [&](auto& c) {
            rows->size_ = c.size();
            rows->columns.back() = std::move(c);
          },
          column);
      // The moved-from vector is bound to the statement: leave it a valid empty vector.
      std::visit([](auto& c) { c.clear(); }, column);
    }
  }
  return count;
}

}  // namespace

std::string SqlRows::bytes(std::size_t row, std::size_t column) const {
  return bytesOf(std::get<std::vector<BLOB>>(columns.at(column)).at(row));
}

const std::string& SqlRows::text(std::size_t row, std::size_t column) const {
  return std::get<std::vector<std::string>>(columns.at(column)).at(row);
}

int64_t SqlRows::integer(std::size_t row, std::size_t column) const {
  return std::get<std::vector<Poco::Int64>>(columns.at(column)).at(row);
}

double SqlRows::real(std::size_t row, std::size_t column) const {
  return std::get<std::vector<double>>(columns.at(column)).at(row);
}

SqlRows queryRows(Session& session, const std::string& sql, const std::vector<SqlValue>& values,
                  std::initializer_list<SqlType> types) {
  SqlRows rows;
  runCached(session, sql, values, types, &rows);
  return rows;
}

std::size_t run(Session& session, const std::string& sql, const std::vector<SqlValue>& values) {
  return runCached(session, sql, values, {}, nullptr);
}

StatementScope::StatementScope(Session& session)
    : previousSession_(const_cast<Session*>(tSession)), previousCache_(tCache) {
  std::lock_guard lock(registryMutex);
  auto& cache = registry()[&session];
  if (!cache) cache = std::make_unique<Cache>();
  tSession = &session;
  tCache = cache.get();
}

StatementScope::~StatementScope() {
  tSession = static_cast<const Session*>(previousSession_);
  tCache = static_cast<Cache*>(previousCache_);
}

void forgetStatements(Session& session) {
  std::unique_ptr<Cache> cache;
  {
    std::lock_guard lock(registryMutex);
    auto it = registry().find(&session);
    if (it == registry().end()) return;
    cache = std::move(it->second);
    registry().erase(it);
  }
  if (tCache == cache.get()) {
    tSession = nullptr;
    tCache = nullptr;
  }
  try {
    cache.reset();  // deallocates the statements on a session that may be gone: failures ignored
  } catch (...) {
  }
}

}  // namespace strata::sql
