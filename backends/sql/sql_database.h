#pragma once
// The sql backend's connection to one database through Poco::Data: a pool of sessions, the
// dialect differences between SQLite and PostgreSQL, transactions, schema versions and the
// translation of database failures into the store errors. See docs/storage.md.
#include <strata/config_section.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace Poco {
class Logger;
}

namespace strata::sql {

enum class Connector { SQLite, PostgreSQL };

struct SqlOptions {
  Connector connector = Connector::SQLite;
  std::string connection;    // the Poco::Data connection string (sqlite: a file path)
  std::string configPrefix;  // "stores.entities.default", for messages
  bool sync = false;         // sqlite: synchronous=FULL instead of NORMAL
  std::size_t maxSessions = 16;
};

// Reads the backend's keys of a store's section (connector, connection, sync, maxSessions).
SqlOptions readSqlOptions(const ConfigSection& section);

// Bytes bound as a BLOB (BYTEA): names and ids, which may hold any byte, NUL included (Poco's
// text extraction stops at a NUL, and PostgreSQL text cannot hold one), and compare by bytes.
struct Bytes {
  std::string value;
};

// A bound parameter of a statement.
using SqlValue = std::variant<std::string, int64_t, double, Bytes>;

// The bytes of a BLOB column's value.
std::string bytesOf(const Poco::Data::BLOB& blob);

// `sql` as the session's database wants it: on PostgreSQL (whose Poco connector passes the text
// through) the `?` placeholders become $1, $2, ... (the SQL texts of this backend hold `?`
// nowhere else).
std::string sqlText(Poco::Data::Session& session, const std::string& sql);

class SqlDatabase {
 public:
  // Connects (creating a SQLite file if missing) and checks that the database answers; throws
  // StartupError, without the connection string (it may hold a password), if it cannot.
  SqlDatabase(const SqlOptions& options, Poco::Logger& logger);
  ~SqlDatabase();
  SqlDatabase(const SqlDatabase&) = delete;
  SqlDatabase& operator=(const SqlDatabase&) = delete;

  Connector connector() const { return options_.connector; }
  bool postgres() const { return options_.connector == Connector::PostgreSQL; }
  Poco::Logger& logger() const { return logger_; }
  // "sqlite database <path>" or "postgresql database of stores.x.y": for messages, never the
  // credentials.
  const std::string& describe() const { return description_; }

  enum class Mode {
    Single,  // no transaction: one statement that reads
    Read,    // a consistent snapshot of the database for the whole transaction
    Write,   // SQLite: BEGIN IMMEDIATE (the database's one writer); PostgreSQL: READ COMMITTED,
             // rows read for a later write locked with forUpdate()
  };
  // Runs `body` in a transaction on a pooled session and commits, or rolls back and rethrows.
  // strata errors pass through; database failures become ServiceUnavailable (busy, gone) or
  // InternalError, with `what` in the message. A session whose connection was lost is closed
  // with the idle ones (the next request connects anew); a request whose first statement found
  // its pooled connection lost runs once more on a new one.
  void transaction(Mode mode, const std::string& what, const std::function<void(Poco::Data::Session&)>& body);

  // " FOR UPDATE" on PostgreSQL, nothing on SQLite (whose write transactions exclude others).
  const char* forUpdate() const { return postgres() ? " FOR UPDATE" : ""; }

  // Brings the schema of `component` (a row of strata_schema) to `steps.size()`: step i (from
  // 0) migrates version i to i + 1 and runs in the same transaction as the version's update.
  // Throws StartupError if the database holds a newer version than steps.size().
  void migrate(const std::string& component,
               const std::vector<std::function<void(Poco::Data::Session&)>>& steps);

 private:
  std::unique_ptr<Poco::Data::Session> connect();
  // A pooled session, or a new one (`fresh`).
  std::unique_ptr<Poco::Data::Session> acquire(bool& fresh);
  void release(std::unique_ptr<Poco::Data::Session> session);
  // Closes the idle sessions (after one of them found the server gone).
  void dropIdle();

  SqlOptions options_;
  Poco::Logger& logger_;
  std::string description_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idle_;
  std::size_t open_ = 0;  // sessions in use or idle
};

// Executes a statement that returns nothing (through the session's cache of prepared
// statements, see sql_statements.h).
void execute(Poco::Data::Session& session, const std::string& sql, const std::vector<SqlValue>& values = {});

}  // namespace strata::sql
