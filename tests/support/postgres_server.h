#pragma once
// A PostgreSQL server for the tests, started by the tests themselves from Debian's packages:
// initdb into a temporary directory (as the unprivileged user `nobody` when the tests run as
// root, which PostgreSQL refuses to run as), pg_ctl on a free port on 127.0.0.1, one fresh
// schema per test directory. Where it cannot be started (PostgreSQL not installed, no
// unprivileged user) unavailable() says why and the tests on it are skipped with that reason.
//
// shared() is the one server of a test process (started on first use, stopped at exit), for
// the contract suites and the HTTP suites' "postgresql" variant. A test that stops and starts
// its database (an outage while serving) makes a server of its own instead.
#include "support/test_support.h"

#include <map>
#include <mutex>
#include <string>

namespace strata::test {

class PostgresServer {
 public:
  struct Options {
    // Host (TCP) connections authenticate with a password (scram-sha-256) instead of being
    // trusted; connection() then carries it.
    std::string password;
  };

  // The one shared server of this process (trust authentication).
  static PostgresServer& shared();

  // Starts a server of its own (see unavailable()).
  explicit PostgresServer(const Options& options);
  PostgresServer() : PostgresServer(Options{}) {}
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Why no server runs, or "".
  const std::string& unavailable() const { return why_; }
  int port() const { return port_; }

  // The libpq connection string of `key`'s own schema (a test directory: much faster to create
  // than a database), created on its first use. `password` overrides the server's password
  // (for a test of wrong credentials; the schema must exist already then).
  std::string connection(const std::string& key, const std::string* password = nullptr);

  // pg_ctl stop (fast: open sessions are ended) and start again on the same port and data.
  // Return pg_ctl's output on failure, "" on success.
  std::string stop();
  std::string start();

  // The server's own log so far.
  std::string log() const;

 private:
  std::string psql(const std::string& sql);

  Options options_;
  TempDir dir_;
  std::string bin_, as_, why_;
  int port_ = 0;
  bool running_ = false;
  std::mutex mutex_;
  std::map<std::string, std::string> schemas_;  // key -> schema name
};

// psql of the newest installed PostgreSQL, running `sql` (written to a file in `dir`) on
// `connection`; its output (unaligned, tuples only). A failure fails the calling test.
std::string psql(const TempDir& dir, const std::string& connection, const std::string& sql);

}  // namespace strata::test
