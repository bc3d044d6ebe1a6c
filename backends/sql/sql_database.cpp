// Sessions: a small pool of our own rather than Poco::Data::SessionPool, so that each session
// is configured once when it is opened (SQLite: busy timeout, synchronous) instead of on every
// borrow. A session that failed inside the database is closed rather than returned, so that a
// database that went away is reconnected to on the next request.
//
// Transactions are begun with explicit SQL, because Poco's Session::begin() cannot ask for
// SQLite's BEGIN IMMEDIATE: a deferred SQLite transaction that reads and then writes fails
// with SQLITE_BUSY when another connection wrote in between, where an immediate one waits (up
// to the busy timeout) for the write lock and then reads the current rows.
#include "sql_database.h"

#include "sql_statements.h"

#include <strata/errors.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/PostgreSQL/PostgreSQLException.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <mutex>

namespace strata::sql {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

// How long a SQLite writer waits for the write lock before giving up (503).
constexpr std::size_t kBusyTimeoutSeconds = 10;
// How long connecting to a PostgreSQL server may take.
constexpr std::size_t kConnectTimeoutSeconds = 10;

void registerConnectors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
  });
}

std::string connectorKey(Connector c) {
  return c == Connector::SQLite ? Poco::Data::SQLite::Connector::KEY : Poco::Data::PostgreSQL::Connector::KEY;
}

// Rethrows the exception being handled as a strata error (see SqlDatabase::transaction).
[[noreturn]] void translate(const SqlDatabase& db, const std::string& what) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const Poco::Data::SQLite::DBLockedException&) {
    throw ServiceUnavailable("database_busy", what + ": the " + db.describe() + " is busy; try again");
  } catch (const Poco::Data::SQLite::TableLockedException&) {
    throw ServiceUnavailable("database_busy", what + ": the " + db.describe() + " is busy; try again");
  } catch (const Poco::Data::SQLite::DatabaseFullException&) {
    throw InsufficientStorage(what + ": the " + db.describe() + " is full");
  } catch (const Poco::Data::PostgreSQL::ConnectionException& e) {
    db.logger().error("%s: %s: %s", db.describe(), what, e.displayText());
    throw ServiceUnavailable("database_unavailable", what + ": the " + db.describe() + " is unavailable");
  } catch (const Poco::Data::ConnectionFailedException& e) {
    db.logger().error("%s: %s: %s", db.describe(), what, e.displayText());
    throw ServiceUnavailable("database_unavailable", what + ": the " + db.describe() + " is unavailable");
  } catch (const Poco::Exception& e) {
    db.logger().error("%s: %s: %s", db.describe(), what, e.displayText());
    throw InternalError(what + ": the " + db.describe() + " failed: " + e.displayText());
  } catch (const std::exception& e) {
    throw InternalError(what + ": " + e.what());
  }
}

}  // namespace

SqlOptions readSqlOptions(const ConfigSection& section) {
  SqlOptions o;
  o.configPrefix = section.prefix();
  const std::string connector = section.getString("connector", "sqlite");
  if (connector == "sqlite")
    o.connector = Connector::SQLite;
  else if (connector == "postgresql")
    o.connector = Connector::PostgreSQL;
  else
    throw StartupError(section.prefix() + ".connector: '" + connector + "' is not sqlite or postgresql");
  o.connection = section.getString("connection");
  if (o.connection.empty()) throw StartupError(section.prefix() + ".connection must not be empty");
  o.sync = section.getBool("sync", false);
  const int64_t sessions = section.getInt("maxSessions", 16);
  if (sessions < 1 || sessions > 1024)
    throw StartupError(section.prefix() + ".maxSessions must be between 1 and 1024");
  o.maxSessions = static_cast<std::size_t>(sessions);
  return o;
}

std::string sqlText(Session& session, const std::string& sql) {
  if (session.connector() != Poco::Data::PostgreSQL::Connector::KEY) return sql;
  std::string text;
  int n = 0;
  for (char c : sql) {
    if (c == '?')
      text += "$" + std::to_string(++n);
    else
      text += c;
  }
  return text;
}

std::string bytesOf(const Poco::Data::BLOB& blob) {
  return blob.size() == 0 ? std::string()
                          : std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

void execute(Session& session, const std::string& sql, const std::vector<SqlValue>& values) {
  run(session, sql, values);
}

SqlDatabase::SqlDatabase(const SqlOptions& options, Poco::Logger& logger)
    : options_(options), logger_(logger) {
  registerConnectors();
  description_ = options_.connector == Connector::SQLite ? "sqlite database " + options_.connection
                                                         : "postgresql database of " + options_.configPrefix;
  try {
    if (options_.connector == Connector::SQLite) {
      const Poco::Path parent = Poco::Path(options_.connection).parent();
      if (!parent.toString().empty()) {
        Poco::File dir(parent);
        dir.createDirectories();
        if (!dir.isDirectory())
          throw StartupError(options_.configPrefix + ": cannot open the " + description_ + ": " +
                             parent.toString() + " is not a directory");
      }
    }
    auto session = connect();
    if (options_.connector == Connector::SQLite) {
      // WAL belongs to the file: readers never wait for the writer, and a commit is one append.
      std::string mode;
      *session << "PRAGMA journal_mode=WAL", into(mode), now;
      if (mode != "wal") throw StartupError(description_ + " cannot use write-ahead logging (" + mode + ")");
    }
    release(std::move(session));
  } catch (const StartupError&) {
    throw;
  } catch (const Poco::Exception& e) {
    // The message names the file or the server, user and database, never the password.
    throw StartupError(options_.configPrefix + ": cannot open the " + description_ + ": " + e.displayText());
  }
}

SqlDatabase::~SqlDatabase() {
  for (auto& session : idle_) forgetStatements(*session);
}

std::unique_ptr<Session> SqlDatabase::connect() {
  // Poco's SQLite connector retries a failed open until this timeout: a file that cannot be
  // opened fails at once instead of after a minute.
  const std::size_t timeout = options_.connector == Connector::SQLite ? 1 : kConnectTimeoutSeconds;
  auto session = std::make_unique<Session>(connectorKey(options_.connector), options_.connection, timeout);
  if (options_.connector == Connector::SQLite) {
    session->setConnectionTimeout(kBusyTimeoutSeconds);
    *session << (options_.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"), now;
  } else {
    // Notices ("relation already exists, skipping") would go to stderr.
    *session << "SET client_min_messages TO WARNING", now;
  }
  return session;
}

std::unique_ptr<Session> SqlDatabase::acquire() {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < options_.maxSessions; });
    if (!idle_.empty()) {
      auto session = std::move(idle_.back());
      idle_.pop_back();
      return session;
    }
    ++open_;
  }
  try {
    return connect();
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    throw;
  }
}

void SqlDatabase::release(std::unique_ptr<Session> session) {
  std::lock_guard lock(mutex_);
  if (session)
    idle_.push_back(std::move(session));
  else
    --open_;
  available_.notify_one();
}

void SqlDatabase::transaction(Mode mode, const std::string& what, const std::function<void(Session&)>& body) {
  std::unique_ptr<Session> session;
  try {
    session = acquire();
  } catch (...) {
    translate(*this, what);  // acquire() gave back the slot it took
  }
  const char* begin = nullptr;
  if (mode == Mode::Single)
    begin = nullptr;
  else if (postgres())
    begin = mode == Mode::Read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
  else
    begin = mode == Mode::Read ? "BEGIN" : "BEGIN IMMEDIATE";
  bool begun = false;
  StatementScope statements(*session);
  try {
    if (begin) {
      execute(*session, begin);
      begun = true;
    }
    body(*session);
    if (begun) execute(*session, "COMMIT");
    release(std::move(session));
  } catch (...) {
    bool reusable = false;
    try {
      throw;
    } catch (const Error&) {
      reusable = true;  // the store refused the request; the session is fine
    } catch (...) {
    }
    if (begun) {
      try {
        execute(*session, "ROLLBACK");
      } catch (...) {
        reusable = false;
      }
    }
    if (!reusable) {
      forgetStatements(*session);
      session.reset();
    }
    release(std::move(session));
    translate(*this, what);
  }
}

void SqlDatabase::migrate(const std::string& component,
                          const std::vector<std::function<void(Session&)>>& steps) {
  const int64_t known = static_cast<int64_t>(steps.size());
  std::string problem;
  transaction(Mode::Write, "migrating the schema of " + component, [&](Session& s) {
    execute(s,
            "CREATE TABLE IF NOT EXISTS strata_schema (component TEXT PRIMARY KEY, version BIGINT NOT NULL)");
    const SqlRows found = queryRows(s, "SELECT version FROM strata_schema WHERE component = ?", {component},
                                    {SqlType::Integer});
    const int64_t version = found.empty() ? 0 : found.integer(0, 0);
    if (version > known) {
      problem = "the " + describe() + " holds " + component + " schema version " + std::to_string(version) +
                ", newer than this server knows (" + std::to_string(known) + "); upgrade the server";
      return;
    }
    for (int64_t v = version; v < known; ++v) steps[static_cast<std::size_t>(v)](s);
    if (found.empty())
      execute(s, "INSERT INTO strata_schema (component, version) VALUES (?, ?)", {component, known});
    else if (version != known)
      execute(s, "UPDATE strata_schema SET version = ? WHERE component = ?", {known, component});
    if (version != known)
      logger_.information("%s: %s schema at version %s", describe(), component, std::to_string(known));
  });
  if (!problem.empty()) throw StartupError(options_.configPrefix + ": " + problem);
}

}  // namespace strata::sql
