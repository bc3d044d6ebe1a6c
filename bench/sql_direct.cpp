// strata_sql_direct: the direct baseline of bench/sql_bench.sh. It runs, through the
// databases' own C libraries (sqlite3 and libpq) and nothing of Strata's, the same SQL
// statements, in the same transactions, that the sql backend runs for each operation of
// strata_sql_store_bench, on the same data (bench/sql_common.h), with every statement prepared
// once and reused (the best a hand-written client does):
//
//   strata_sql_direct sqlite|postgresql LOCATION N    prints "create get list annotate search"
//
// LOCATION: the SQLite file (must not exist) or the libpq connection string of an empty
// database. The schema is the backend's (see the CREATE statements below, copied from
// backends/sql). What each phase runs:
//   create    BEGIN IMMEDIATE (PostgreSQL: BEGIN); INSERT ... ON CONFLICT DO NOTHING; COMMIT
//   get       SELECT of the row by (collection, id), outside a transaction
//   list      a read transaction (SQLite: BEGIN; PostgreSQL: BEGIN ISOLATION LEVEL REPEATABLE
//             READ READ ONLY) with the backend's SELECT of the group's rows, ordered by id,
//             and COMMIT
//   annotate  the statements of SqlAnnotationStore::replaceAll without an etag, in its write
//             transaction
//   search    the statements of SqlAnnotationStore::search for one Eq clause, in its read
//             transaction
// The values fetched are copied out of the result (as the store must), nothing more: no JSON
// is parsed or written.
#include <Poco/Data/LOB.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "sql_common.h"

namespace {

namespace b = strata::bench;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_sql_direct: %s\n", message.c_str());
  std::exit(1);
}

struct Blob {
  std::string bytes;
};
using Value = std::variant<std::string, int64_t, double, Blob>;
using Row = std::vector<std::string>;

// The two databases behind one small interface: run a statement (prepared on first use, by
// its text) with bound values and collect the rows' columns as bytes.
class Db {
 public:
  virtual ~Db() = default;
  virtual void exec(const std::string& sql, const std::vector<Value>& values = {},
                    std::vector<Row>* rows = nullptr) = 0;
  virtual bool postgres() const = 0;
  // Rows changed by the last exec (INSERT ... ON CONFLICT DO NOTHING tells an existing id).
  virtual int64_t changes() = 0;
};

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) die("cannot open " + path);
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL", {}, nullptr);
    exec("PRAGMA synchronous=NORMAL", {}, nullptr);
  }
  ~SqliteDb() override {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }
  bool postgres() const override { return false; }
  int64_t changes() override { return sqlite3_changes(db_); }

  void exec(const std::string& sql, const std::vector<Value>& values, std::vector<Row>* rows) override {
    sqlite3_stmt*& statement = statements_[sql];
    if (!statement && sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
      die("prepare: " + std::string(sqlite3_errmsg(db_)) + ": " + sql);
    sqlite3_reset(statement);
    int i = 0;
    for (const auto& v : values) {
      ++i;
      if (const auto* s = std::get_if<std::string>(&v))
        sqlite3_bind_text(statement, i, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      else if (const auto* n = std::get_if<int64_t>(&v))
        sqlite3_bind_int64(statement, i, *n);
      else if (const auto* d = std::get_if<double>(&v))
        sqlite3_bind_double(statement, i, *d);
      else {
        const auto& blob = std::get<Blob>(v).bytes;
        sqlite3_bind_blob(statement, i, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
      }
    }
    for (;;) {
      const int rc = sqlite3_step(statement);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) die("step: " + std::string(sqlite3_errmsg(db_)) + ": " + sql);
      if (!rows) continue;
      Row row;
      const int columns = sqlite3_column_count(statement);
      for (int c = 0; c < columns; ++c) {
        const void* data = sqlite3_column_blob(statement, c);
        const int size = sqlite3_column_bytes(statement, c);
        row.emplace_back(data ? static_cast<const char*>(data) : "", static_cast<std::size_t>(size));
      }
      rows->push_back(std::move(row));
    }
    sqlite3_clear_bindings(statement);
  }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
};

class PostgresDb final : public Db {
 public:
  explicit PostgresDb(const std::string& connection) : conn_(PQconnectdb(connection.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) die("cannot connect: " + std::string(PQerrorMessage(conn_)));
    exec("SET client_min_messages TO WARNING", {}, nullptr);
  }
  ~PostgresDb() override { PQfinish(conn_); }
  bool postgres() const override { return true; }
  int64_t changes() override { return changes_; }

  void exec(const std::string& sql, const std::vector<Value>& values, std::vector<Row>* rows) override {
    // The backend's texts use ? placeholders; PostgreSQL's are $1, $2, ...
    auto it = names_.find(sql);
    if (it == names_.end()) {
      std::string text;
      int n = 0;
      for (char c : sql) text += c == '?' ? "$" + std::to_string(++n) : std::string(1, c);
      const std::string name = "s" + std::to_string(names_.size());
      PGresult* r = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) die("prepare: " + std::string(PQerrorMessage(conn_)) + text);
      PQclear(r);
      it = names_.emplace(sql, name).first;
    }
    std::vector<std::string> texts(values.size());
    std::vector<const char*> params(values.size());
    std::vector<int> lengths(values.size()), formats(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Value& v = values[i];
      if (const auto* s = std::get_if<std::string>(&v))
        texts[i] = *s;
      else if (const auto* n = std::get_if<int64_t>(&v))
        texts[i] = std::to_string(*n);
      else if (const auto* d = std::get_if<double>(&v))
        texts[i] = std::to_string(*d);
      else {
        texts[i] = std::get<Blob>(v).bytes;
        formats[i] = 1;  // binary: a bytea's raw bytes
      }
      params[i] = texts[i].data();
      lengths[i] = static_cast<int>(texts[i].size());
    }
    PGresult* r = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), params.data(),
                                 lengths.data(), formats.data(), 1);
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      die("exec: " + std::string(PQerrorMessage(conn_)) + sql);
    const char* affected = PQcmdTuples(r);
    changes_ = *affected ? std::atoll(affected) : 0;
    if (rows) {
      for (int t = 0; t < PQntuples(r); ++t) {
        Row row;
        for (int c = 0; c < PQnfields(r); ++c)
          row.emplace_back(PQgetvalue(r, t, c), static_cast<std::size_t>(PQgetlength(r, t, c)));
        rows->push_back(std::move(row));
      }
    }
    PQclear(r);
  }

 private:
  PGconn* conn_;
  std::map<std::string, std::string> names_;
  int64_t changes_ = 0;
};

// The same statements through Poco::Data, each prepared once and run again with its parameters
// bound by reference and columns extracted into vectors (what backends/sql/sql_statements.cpp
// does; here every column as text: PostgreSQL's text form of a bytea, SQLite's bytes):
// what Poco's connectors cost on their own, without the stores' work (JSON, entities, checks).
class PocoDb final : public Db {
 public:
  PocoDb(const std::string& connector, const std::string& connection)
      : postgres_(connector == "postgresql"), session_(connector, connection) {
    if (postgres_)
      session_ << "SET client_min_messages TO WARNING", Poco::Data::Keywords::now;
    else {
      session_ << "PRAGMA journal_mode=WAL", Poco::Data::Keywords::now;
      session_ << "PRAGMA synchronous=NORMAL", Poco::Data::Keywords::now;
    }
  }
  bool postgres() const override { return postgres_; }
  int64_t changes() override { return changes_; }

  void exec(const std::string& sql, const std::vector<Value>& values, std::vector<Row>* rows) override {
    std::string key = sql + '\0';
    for (const auto& v : values) key += static_cast<char>('0' + v.index());
    auto& cached = statements_[key];
    if (!cached) {
      cached = std::make_unique<Cached>(session_);
      std::string text;
      int n = 0;
      for (char c : sql) text += (postgres_ && c == '?') ? "$" + std::to_string(++n) : std::string(1, c);
      cached->statement << text;
      for (const auto& v : values) {
        if (std::holds_alternative<std::string>(v))
          cached->slots.emplace_back(std::string());
        else if (std::holds_alternative<int64_t>(v))
          cached->slots.emplace_back(Poco::Int64(0));
        else if (std::holds_alternative<double>(v))
          cached->slots.emplace_back(0.0);
        else
          cached->slots.emplace_back(Poco::Data::BLOB());
        std::visit([&](auto& slot) { cached->statement.addBind(Poco::Data::Keywords::use(slot)); },
                   cached->slots.back());
      }
      // The columns of a SELECT: as many as its select list has (the statements here have no
      // commas inside it but between columns).
      if (sql.rfind("SELECT ", 0) == 0) {
        const std::string list = sql.substr(7, sql.find(" FROM ") - 7);
        const std::size_t n = 1 + static_cast<std::size_t>(std::count(list.begin(), list.end(), ','));
        for (std::size_t c = 0; c < n; ++c) {
          cached->columns.emplace_back();
          cached->statement.addExtract(Poco::Data::Keywords::into(cached->columns.back()));
        }
      }
    }
    for (auto& column : cached->columns) column.clear();
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Value& v = values[i];
      if (const auto* s = std::get_if<std::string>(&v))
        std::get<std::string>(cached->slots[i]) = *s;
      else if (const auto* n = std::get_if<int64_t>(&v))
        std::get<Poco::Int64>(cached->slots[i]) = *n;
      else if (const auto* d = std::get_if<double>(&v))
        std::get<double>(cached->slots[i]) = *d;
      else
        std::get<Poco::Data::BLOB>(cached->slots[i])
            .assignRaw(reinterpret_cast<const unsigned char*>(std::get<Blob>(v).bytes.data()),
                       std::get<Blob>(v).bytes.size());
    }
    changes_ = static_cast<int64_t>(cached->statement.execute());
    if (rows) {
      const std::size_t columns = cached->columns.size();
      const std::size_t count = columns ? cached->columns[0].size() : 0;
      for (std::size_t r = 0; r < count; ++r) {
        Row row;
        for (std::size_t c = 0; c < columns; ++c) {
          row.push_back(cached->columns[c][r]);
        }
        rows->push_back(std::move(row));
      }
    }
  }

 private:
  struct Cached {
    explicit Cached(Poco::Data::Session& session) : statement(session) {}
    Poco::Data::Statement statement;
    std::deque<std::variant<std::string, Poco::Int64, double, Poco::Data::BLOB>> slots;
    std::deque<std::vector<std::string>> columns;  // every column extracted as text
  };
  bool postgres_;
  Poco::Data::Session session_;
  std::map<std::string, std::unique_ptr<Cached>> statements_;
  int64_t changes_ = 0;
};

// A UUID-shaped etag (the backend draws random ones; the cost of drawing is not the database's).
std::string etag(uint64_t i) {
  char text[40];
  std::snprintf(text, sizeof text, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(i));
  return text;
}

constexpr const char* kColumns = "id, etag, version, created, modified, body";

// The tables and indexes the store bench's stores have (schema versions 2 of backends/sql).
void createSchema(Db& db) {
  const std::string bytes = db.postgres() ? "BYTEA" : "BLOB";
  const std::string withoutRowid = db.postgres() ? "" : " WITHOUT ROWID";
  const std::string real = db.postgres() ? "DOUBLE PRECISION" : "REAL";
  db.exec("CREATE TABLE strata_entities (collection " + bytes + " NOT NULL, id " + bytes +
          " NOT NULL, etag TEXT NOT NULL, version BIGINT NOT NULL, created BIGINT NOT NULL, "
          "modified BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (collection, id))" +
          withoutRowid);
  db.exec("CREATE TABLE strata_entity_indexes (collection " + bytes + " NOT NULL, field " + bytes +
          " NOT NULL, PRIMARY KEY (collection, field))" + withoutRowid);
  db.exec("CREATE TABLE strata_entity_values (collection " + bytes + " NOT NULL, field " + bytes +
          " NOT NULL, id " + bytes + " NOT NULL, kind INTEGER NOT NULL, num " + real + ", str " + bytes +
          ")");
  db.exec("CREATE INDEX strata_entity_values_str ON strata_entity_values (collection, field, str, id)");
  db.exec("CREATE INDEX strata_entity_values_num ON strata_entity_values (collection, field, kind, num, id)");
  db.exec("CREATE INDEX strata_entity_values_id ON strata_entity_values (collection, id)");
  db.exec("INSERT INTO strata_entity_indexes (collection, field) VALUES (?, ?)",
          {Blob{"bench"}, Blob{"group"}});
  db.exec("CREATE TABLE strata_annotation_targets (target " + bytes + " PRIMARY KEY, etag TEXT NOT NULL)" +
          withoutRowid);
  db.exec("CREATE TABLE strata_annotations (target " + bytes + " NOT NULL, key " + bytes +
          " NOT NULL, type INTEGER NOT NULL, vals " + bytes + " NOT NULL, PRIMARY KEY (target, key))" +
          withoutRowid);
  db.exec("CREATE TABLE strata_annotation_values (target " + bytes + " NOT NULL, key " + bytes +
          " NOT NULL, kind INTEGER NOT NULL, num " + real + ", str " + bytes + ")");
  db.exec("CREATE INDEX strata_annotation_values_num ON strata_annotation_values (key, kind, num, target)");
  db.exec("CREATE INDEX strata_annotation_values_str ON strata_annotation_values (key, str, target)");
  db.exec("CREATE INDEX strata_annotation_values_target ON strata_annotation_values (target, key)");
}

struct Rates {
  double create = 0, get = 0, list = 0, annotate = 0, search = 0;
};

std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// The (collection) advisory lock key of backends/sql/sql_entity_index.cpp.
int64_t lockKey(const std::string& collection) {
  uint32_t h = 2166136261u;
  for (unsigned char c : collection) h = (h ^ c) * 16777619u;
  return static_cast<int32_t>(h);
}

void phases(Db& db, uint64_t n, Rates& rates) {
  const Blob collection{"bench"};
  const char* beginWrite = db.postgres() ? "BEGIN" : "BEGIN IMMEDIATE";
  const char* beginRead = db.postgres() ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
  std::vector<std::string> bodies(n);
  for (uint64_t i = 0; i < n; ++i) bodies[i] = b::groupedBody(i);
  std::vector<Row> rows;

  auto t0 = b::Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t now = 1700000000000 + static_cast<int64_t>(i);
    db.exec(beginWrite);
    if (db.postgres()) {
      rows.clear();
      db.exec(
          "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock_shared(CAST(? AS INTEGER), CAST(? AS "
          "INTEGER))) "
          "AS locked",
          {int64_t{0x53544958}, lockKey("bench")}, &rows);
    }
    rows.clear();
    db.exec("SELECT field FROM strata_entity_indexes WHERE collection = ?", {collection}, &rows);
    db.exec(
        "INSERT INTO strata_entities (collection, id, etag, version, created, modified, body) "
        "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (collection, id) DO NOTHING",
        {collection, Blob{b::entityId(i)}, etag(i), now, now, bodies[i]});
    if (db.changes() != 1) die("entity " + b::entityId(i) + " was not created");
    db.exec("INSERT INTO strata_entity_values (collection, field, id, kind, str) VALUES (?, ?, ?, ?, ?)",
            {collection, Blob{"group"}, Blob{b::entityId(i)}, int64_t{0}, Blob{"s" + b::group(i)}});
    db.exec("COMMIT");
  }
  rates.create = static_cast<double>(n) / b::seconds(t0, b::Clock::now());

  b::XorShift random;
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = random.next(n);
    rows.clear();
    db.exec(std::string("SELECT ") + kColumns + " FROM strata_entities WHERE collection = ? AND id = ?",
            {collection, Blob{b::entityId(i)}}, &rows);
    if (rows.size() != 1 || rows[0][5] != bodies[i])
      die("get " + b::entityId(i) + ": " + (rows.empty() ? std::string("no row") : rows[0][5]));
  }
  rates.get = static_cast<double>(n) / b::seconds(t0, b::Clock::now());

  const uint64_t queries = std::max<uint64_t>(1, n / 10);
  const uint64_t groups = std::min<uint64_t>(b::kGroups, n);
  const std::string where =
      "collection = ? AND (id IN (SELECT id FROM strata_entity_values WHERE collection = ? AND field = ? AND "
      "(str = ?)))";
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < queries; ++k) {
    const uint64_t g = random.next(groups);
    std::vector<Value> values{collection, collection, Blob{"group"}, Blob{"s" + b::groupName(g)}};
    db.exec(beginRead);
    rows.clear();
    db.exec("SELECT COUNT(*) FROM strata_entities WHERE " + where, values, &rows);
    if (rows.empty()) die("list of group " + b::groupName(g) + " found nothing");
    values.emplace_back(int64_t{100});
    values.emplace_back(int64_t{0});
    rows.clear();
    db.exec(std::string("SELECT ") + kColumns + " FROM strata_entities WHERE " + where +
                " ORDER BY id LIMIT ? OFFSET ?",
            values, &rows);
    db.exec("COMMIT");
    if (rows.empty()) die("list of group " + b::groupName(g) + " found nothing");
  }
  rates.list = static_cast<double>(queries) / b::seconds(t0, b::Clock::now());

  // replaceAll without an etag: the old rows go, each annotation and its search rows are
  // written, the target's etag row is written.
  const uint64_t targets = std::max<uint64_t>(1, n / 2);
  t0 = b::Clock::now();
  for (uint64_t t = 0; t < targets; ++t) {
    const Blob target{b::targetId(t)};
    const std::string species = b::species(t);
    const int64_t size = b::sizeOf(t);
    const double score = b::scoreOf(t);
    uint64_t scoreBits = 0;
    std::memcpy(&scoreBits, &score, 8);
    db.exec(beginWrite);
    db.exec("DELETE FROM strata_annotations WHERE target = ?", {target});
    db.exec("DELETE FROM strata_annotation_values WHERE target = ?", {target});
    const auto annotation = [&](const char* key, int64_t type, const std::string& vals,
                                const Value& indexed) {
      db.exec(
          "INSERT INTO strata_annotations (target, key, type, vals) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (target, key) DO UPDATE SET type = excluded.type, vals = excluded.vals",
          {target, Blob{key}, type, Blob{vals}});
      db.exec("DELETE FROM strata_annotation_values WHERE target = ? AND key = ?", {target, Blob{key}});
      const bool str = std::holds_alternative<Blob>(indexed);
      db.exec(std::string("INSERT INTO strata_annotation_values (target, key, kind, ") +
                  (str ? "str" : "num") + ") VALUES (?, ?, ?, ?)",
              {target, Blob{key}, int64_t{str ? 0 : 1}, indexed});
    };
    annotation("species", 0, le64(species.size()) + species, Blob{"s" + species});
    annotation("size", 2, le64(static_cast<uint64_t>(size)), static_cast<double>(size));
    annotation("score", 1, le64(scoreBits), score);
    rows.clear();
    db.exec("SELECT COUNT(*) FROM strata_annotations WHERE target = ?", {target}, &rows);
    db.exec(
        "INSERT INTO strata_annotation_targets (target, etag) VALUES (?, ?) "
        "ON CONFLICT (target) DO UPDATE SET etag = excluded.etag",
        {target, etag(t)});
    db.exec("COMMIT");
  }
  rates.annotate = static_cast<double>(targets) / b::seconds(t0, b::Clock::now());

  // One statement, outside a transaction: the clause's key rows of the candidate targets.
  const uint64_t species = std::min<uint64_t>(b::kSpecies, targets);
  t0 = b::Clock::now();
  for (uint64_t k = 0; k < queries; ++k) {
    const uint64_t sp = random.next(species);
    rows.clear();
    db.exec(
        "SELECT target, key, type, vals FROM strata_annotations WHERE key IN (?) AND target IN (SELECT "
        "target FROM "
        "strata_annotation_values WHERE key = ? AND str = ? AND target >= ? AND target < ?)",
        {Blob{"species"}, Blob{"species"}, Blob{"s" + b::speciesName(sp)}, Blob{"dataset/"},
         Blob{"dataset0"}},
        &rows);
    if (rows.empty()) die("search of species " + b::speciesName(sp) + " found nothing");
  }
  rates.search = static_cast<double>(queries) / b::seconds(t0, b::Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) die("usage: strata_sql_direct sqlite|postgresql|poco-sqlite|poco-postgresql LOCATION N");
  const std::string kind = argv[1], location = argv[2];
  const uint64_t n = std::strtoull(argv[3], nullptr, 10);
  if (n == 0) die("N must be a positive number");
  std::unique_ptr<Db> db;
  if (kind == "sqlite")
    db = std::make_unique<SqliteDb>(location);
  else if (kind == "postgresql")
    db = std::make_unique<PostgresDb>(location);
  else if (kind == "poco-sqlite" || kind == "poco-postgresql") {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::PostgreSQL::Connector::registerConnector();
    db = std::make_unique<PocoDb>(kind.substr(5), location);
  } else
    die("unknown database " + kind);
  createSchema(*db);
  Rates rates;
  phases(*db, n, rates);
  std::printf("%.0f %.0f %.1f %.0f %.1f\n", rates.create, rates.get, rates.list, rates.annotate,
              rates.search);
  return 0;
}
