#include "support/postgres_server.h"

#include <Poco/File.h>
#include <gtest/gtest.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace strata::test {
namespace {

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer(const Options& options) : options_(options) {
  // The newest installed server.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
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
  std::string auth = " -A trust";
  if (!options_.password.empty()) {
    writeFile(dir_.file("pwfile"), options_.password + "\n");
    auth = " --auth-local=trust --auth-host=scram-sha-256 --pwfile=" + quote(dir_.file("pwfile"));
  }
  auto [rc, out] = runCommand(as_ + quote(bin_ + "/initdb") + " -D " + quote(dir_.file("data")) + auth +
                              " -U strata -E UTF8 --locale=C --no-sync 2>&1");
  if (rc != 0) {
    why_ = "initdb failed: " + out;
    return;
  }
  std::string problem;
  for (int attempt = 0; attempt < 3 && !running_; ++attempt) {
    port_ = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)).address().port();
    problem = start();
  }
  if (!running_) why_ = "pg_ctl start failed: " + problem;
}

PostgresServer::~PostgresServer() {
  if (running_)
    runCommand(as_ + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_.file("data")) + " -m immediate stop");
}

std::string PostgresServer::start() {
  const auto [rc, out] = runCommand(as_ + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_.file("data")) +
                                    " -l " + quote(dir_.file("log")) + " -w -t 30 -o " +
                                    quote("-p " + std::to_string(port_) + " -k " + dir_.path() +
                                          " -c listen_addresses=127.0.0.1 -c fsync=off -c "
                                          "synchronous_commit=off -c full_page_writes=off") +
                                    " start 2>&1");
  running_ = rc == 0;
  return rc == 0 ? "" : out + log();
}

std::string PostgresServer::stop() {
  const auto [rc, out] =
      runCommand(as_ + quote(bin_ + "/pg_ctl") + " -D " + quote(dir_.file("data")) + " -w -m fast stop 2>&1");
  if (rc != 0) return out;
  running_ = false;
  return "";
}

std::string PostgresServer::log() const {
  try {
    return readFile(dir_.file("log"));
  } catch (...) {
    return "";
  }
}

std::string PostgresServer::psql(const std::string& sql) {
  // Through the Unix socket, which trusts its local users in both authentication modes.
  const auto [rc, out] =
      runCommand(quote(bin_ + "/psql") + " -q -h " + quote(dir_.path()) + " -p " + std::to_string(port_) +
                 " -U strata -d postgres -c " + quote(sql) + " 2>&1");
  if (rc != 0) throw std::runtime_error("psql '" + sql + "' failed: " + out);
  return out;
}

std::string PostgresServer::connection(const std::string& key, const std::string* password) {
  std::lock_guard lock(mutex_);
  if (!why_.empty()) throw std::runtime_error("no PostgreSQL server: " + why_);
  auto it = schemas_.find(key);
  if (it == schemas_.end()) {
    const std::string name = "t" + std::to_string(schemas_.size());
    psql("CREATE SCHEMA " + name);
    it = schemas_.emplace(key, name).first;
  }
  std::string s = "host=127.0.0.1 port=" + std::to_string(port_) +
                  " user=strata dbname=postgres options=-csearch_path=" + it->second;
  const std::string& pw = password ? *password : options_.password;
  if (!pw.empty()) s += " password=" + pw;
  return s;
}

std::string psql(const TempDir& dir, const std::string& connection, const std::string& sql) {
  std::string bin;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec))
    if (std::filesystem::exists(entry.path() / "bin/psql") && (entry.path() / "bin/psql").string() > bin)
      bin = (entry.path() / "bin/psql").string();
  writeFile(dir.file("query.sql"), sql);
  const auto [rc, out] = runCommand("'" + bin + "' -X -At -v ON_ERROR_STOP=1 '" + connection + "' -f '" +
                                    dir.file("query.sql") + "' 2>&1");
  EXPECT_EQ(rc, 0) << out;
  return out;
}

}  // namespace strata::test
