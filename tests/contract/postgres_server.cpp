// A PostgreSQL server for the sql backend's contract runs, started by the tests themselves from
// Debian's packages: initdb into a temporary directory (as the unprivileged user `nobody` when
// the tests run as root, which PostgreSQL refuses to run as), pg_ctl on a free port on
// 127.0.0.1, one fresh schema per test directory. Started on first use, stopped at exit.
// Where it cannot be started (PostgreSQL not installed, no unprivileged user) the tests on it
// are skipped with the reason.
#include "contract/store_contract_support.h"

#include <Poco/File.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <filesystem>
#include <mutex>
#include <unistd.h>

namespace strata::test {
namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

class PostgresServer {
 public:
  static PostgresServer& instance() {
    static PostgresServer server;
    return server;
  }
  ~PostgresServer() {
    if (started_)
      runCommand(as_ + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_.file("data")) + " -m immediate stop");
  }

  // Why no server runs, or "".
  const std::string& unavailable() const { return why_; }

  // The connection string of a test directory's own database: a schema of its own (much faster
  // to create than a database), created on its first use.
  std::string connection(const std::string& dir) {
    std::lock_guard lock(mutex_);
    auto it = schemas_.find(dir);
    if (it == schemas_.end()) {
      const std::string name = "t" + std::to_string(schemas_.size());
      const auto [rc, out] =
          runCommand(quote(bin_ + "/psql") + " -q -h 127.0.0.1 -p " + std::to_string(port_) +
                     " -U strata -d postgres -c 'CREATE SCHEMA " + name + "' 2>&1");
      if (rc != 0) throw std::runtime_error("creating a PostgreSQL schema failed: " + out);
      it = schemas_.emplace(dir, name).first;
    }
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " user=strata dbname=postgres options=-csearch_path=" + it->second;
  }

 private:
  PostgresServer() {
    // The newest installed server.
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec_))
      if (Poco::File(entry.path().string() + "/bin/initdb").exists() && entry.path().string() + "/bin" > bin_)
        bin_ = entry.path().string() + "/bin";
    if (bin_.empty()) {
      why_ = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb; scripts/setup.sh installs it)";
      return;
    }
    if (geteuid() == 0) {
      if (runCommand("id nobody >/dev/null 2>&1").first != 0) {
        why_ = "running as root and no unprivileged user 'nobody' to run PostgreSQL as";
        return;
      }
      as_ = "runuser -u nobody -- ";
      runCommand("chown nobody " + quote(dir_.path()));
    }
    const std::string data = dir_.file("data");
    auto [rc, out] = runCommand(as_ + quote(bin_ + "/initdb") + " -D " + quote(data) +
                                " -A trust -U strata -E UTF8 --locale=C --no-sync 2>&1");
    if (rc != 0) {
      why_ = "initdb failed: " + out;
      return;
    }
    for (int attempt = 0; attempt < 3 && !started_; ++attempt) {
      port_ = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)).address().port();
      std::tie(rc, out) = runCommand(as_ + quote(bin_ + "/pg_ctl") + " -D " + quote(data) + " -l " +
                                     quote(dir_.file("log")) + " -w -t 30 -o " +
                                     quote("-p " + std::to_string(port_) + " -k " + dir_.path() +
                                           " -c listen_addresses=127.0.0.1 -c fsync=off -c "
                                           "synchronous_commit=off -c full_page_writes=off") +
                                     " start 2>&1");
      started_ = rc == 0;
    }
    if (!started_) why_ = "pg_ctl start failed: " + out + readLog();
  }

  std::string readLog() const {
    try {
      return readFile(dir_.file("log"));
    } catch (...) {
      return "";
    }
  }

  std::error_code ec_;
  TempDir dir_;
  std::string bin_, as_, why_;
  int port_ = 0;
  bool started_ = false;
  std::mutex mutex_;
  std::map<std::string, std::string> schemas_;  // test directory -> schema name
};

}  // namespace

BackendParam sqlPostgresBackend() {
  BackendParam param;
  param.backend = "sql";
  param.label = "sql_postgresql";
  param.keys = [](const std::string& dir) {
    return std::map<std::string, std::string>{{"connector", "postgresql"},
                                              {"connection", PostgresServer::instance().connection(dir)}};
  };
  param.unavailable = [] { return PostgresServer::instance().unavailable(); };
  return param;
}

}  // namespace strata::test
