#pragma once
// Statements prepared once per session and run again with new values: queryRows() and run().
//
// Poco::Data prepares a statement when it first executes and, on PostgreSQL, deallocates it
// when the Statement object goes: a statement built for each call costs four round trips
// (prepare, describe, execute, deallocate) where a prepared one costs one, and on SQLite a
// parse and plan per call. So every session of the pool keeps the statements it ran, keyed by
// their SQL text and the kinds of their values and columns, with their parameters bound to
// slots of their own: a call stores its values in the slots and executes.
//
// The cache of a session is reached through the thread that runs a transaction on it
// (SqlDatabase::transaction sets it for its body, StatementScope); a statement run on a session
// without one (outside a transaction body) is prepared for that call alone. A statement whose
// execution failed is dropped from the cache (its state is unknown); so are all of a session's
// statements when the session is closed (forgetStatements), before the session goes.
#include "sql_database.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

namespace strata::sql {

// The kind of a result column, as queryRows() extracts it.
enum class SqlType {
  Bytes,    // BLOB / BYTEA
  Text,     // TEXT
  Integer,  // INTEGER / BIGINT
  Real,     // DOUBLE PRECISION / REAL
};

// The rows a query returned, copied out of the statement (valid after it runs again).
class SqlRows {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string bytes(std::size_t row, std::size_t column) const;
  const std::string& text(std::size_t row, std::size_t column) const;
  int64_t integer(std::size_t row, std::size_t column) const;
  double real(std::size_t row, std::size_t column) const;

  using Column = std::variant<std::vector<Poco::Data::BLOB>, std::vector<std::string>,
                              std::vector<Poco::Int64>, std::vector<double>>;
  std::vector<Column> columns;
  std::size_t size_ = 0;
};

// Runs a statement that returns rows, whose columns have the kinds `types`, with `values`
// bound to its `?` placeholders in order.
SqlRows queryRows(Poco::Data::Session& session, const std::string& sql, const std::vector<SqlValue>& values,
                  std::initializer_list<SqlType> types);

// Runs a statement that returns no rows; returns the rows it changed.
std::size_t run(Poco::Data::Session& session, const std::string& sql,
                const std::vector<SqlValue>& values = {});

// While it lives, queryRows() and run() on `session` in this thread use the session's cache.
class StatementScope {
 public:
  explicit StatementScope(Poco::Data::Session& session);
  ~StatementScope();
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  void* previousSession_;
  void* previousCache_;
};

// Drops the statements cached for `session` (call before closing it).
void forgetStatements(Poco::Data::Session& session);

}  // namespace strata::sql
