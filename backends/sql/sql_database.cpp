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

// The text of the exception being handled.
std::string currentMessage() {
  try {
    throw;
  } catch (const Poco::Exception& e) {
    return e.displayText();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "";
  }
}

// Whether libpq's message says the connection to the server is gone.
bool connectionLostMessage(const std::string& message) {
  for (const char* sign :
       {"server closed the connection", "terminating connection", "no connection to the server",
        "could not connect", "could not receive data", "could not send data"})
    if (message.find(sign) != std::string::npos) return true;
  return false;
}

// Whether a PostgreSQL session that failed is no longer connected (the server went away,
// restarted or ended the session): the failure was the database's absence, not the statement's.
bool connectionLost(Session& session, const std::string& message) {
  try {
    if (!session.isConnected()) return true;
  } catch (...) {
    return true;
  }
  return connectionLostMessage(message);
}

// Rethrows the exception being handled as a strata error (see SqlDatabase::transaction);
// `lost`: the session's connection to the server was lost.
[[noreturn]] void translate(const SqlDatabase& db, const std::string& what, bool lost = false) {
  if (lost) {
    try {
      throw;
    } catch (const Error&) {
      throw;
    } catch (...) {
    }
    db.logger().error("%s: %s: the connection to the server was lost: %s", db.describe(), what,
                      currentMessage());
    throw ServiceUnavailable("database_unavailable", what + ": the " + db.describe() + " is unavailable");
  }
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
    {
      std::lock_guard lock(mutex_);
      ++open_;  // counted like a session acquire() opened: the pool's first idle one
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

std::unique_ptr<Session> SqlDatabase::acquire(bool& fresh) {
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < options_.maxSessions; });
    if (!idle_.empty()) {
      auto session = std::move(idle_.back());
      idle_.pop_back();
      fresh = false;
      return session;
    }
    ++open_;
  }
  fresh = true;
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

void SqlDatabase::dropIdle() {
  std::vector<std::unique_ptr<Session>> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(idle_);
    open_ -= dropped.size();
    available_.notify_all();
  }
  for (auto& session : dropped) {
    forgetStatements(*session);
    try {
      session->close();
    } catch (...) {
    }
  }
}

void SqlDatabase::transaction(Mode mode, const std::string& what, const std::function<void(Session&)>& body) {
  const char* begin = nullptr;
  if (mode == Mode::Single)
    begin = nullptr;
  else if (postgres())
    begin = mode == Mode::Read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
  else
    begin = mode == Mode::Read ? "BEGIN" : "BEGIN IMMEDIATE";
  // A pooled session whose server went away (restarted, or ended idle sessions) fails on its
  // first statement: when that statement was BEGIN, or the one read of a Single body, nothing
  // was done, so the other pooled sessions (from before the outage too) are dropped and the
  // request runs once more on a new connection.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Session> session;
    bool fresh = false;
    try {
      session = acquire(fresh);
    } catch (...) {
      // acquire() gave back the slot it took. A server that is going away can accept the
      // connection and close it under the session's first statement: unavailable too.
      translate(*this, what, postgres() && connectionLostMessage(currentMessage()));
    }
    StatementScope statements(*session);
    bool begun = false;
    try {
      if (begin) {
        execute(*session, begin);
        begun = true;
      }
      body(*session);
      if (begun) execute(*session, "COMMIT");
      release(std::move(session));
      return;
    } catch (...) {
      bool reusable = false;
      bool lost = false;
      try {
        throw;
      } catch (const Error&) {
        reusable = true;  // the store refused the request; the session is fine
      } catch (...) {
        lost = postgres() && connectionLost(*session, currentMessage());
      }
      if (begun && !lost) {
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
      if (lost) {
        dropIdle();
        const bool nothingDone = begin ? !begun : mode == Mode::Single;
        if (nothingDone && !fresh && attempt == 0) {
          logger_.warning("%s: %s: a pooled connection to the server was lost; reconnecting", describe(),
                          what);
          continue;
        }
      }
      translate(*this, what, lost);
    }
  }
}

void SqlDatabase::migrate(const std::string& component,
                          const std::vector<std::function<void(Session&)>>& steps) {
  const int64_t known = static_cast<int64_t>(steps.size());
  std::string problem;
  transaction(Mode::Write, "migrating the schema of " + component, [&](Session& s) {
    if (postgres()) {
      // Nodes starting together on one database take turns (CREATE TABLE IF NOT EXISTS is not
      // safe against a concurrent one); the lock ends with the transaction.
      queryRows(s, "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(?)) AS l",
                {int64_t{0x5374726174610001}}, {SqlType::Integer});
    }
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
