#pragma once
// Runs a real strata-server process for HTTP tests: writes its configuration into a temporary
// directory, starts it on 127.0.0.1 with an ephemeral port (server.port = 0, read back from
// server.portFile), and stops it with SIGTERM.
#include "support/test_support.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Process.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace strata::test {

struct HttpResult {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const;
};

class ServerProcess {
 public:
  // `config` is added to defaults (address, port, portFile, plugin path, access log off).
  // Relative store paths in `config` are relative to dir().
  explicit ServerProcess(std::map<std::string, std::string> config, bool start = true);
  ~ServerProcess();

  // Starts the server and waits until it listens; returns false (with log()) if it exits.
  bool start();
  // Sends SIGTERM and waits; returns the exit code.
  int stop(int signal = 15);
  // SIGKILL.
  void kill();
  bool running();

  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string log() const;  // the server's stdout+stderr so far

  HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  HttpResult get(const std::string& path, const std::map<std::string, std::string>& headers = {}) {
    return request("GET", path, "", headers);
  }

  // Adds a user to the users file (call before start()): writes auth.usersFile.
  static std::string usersLine(const std::string& name, const std::string& password,
                               const std::string& groups = "");

 private:
  TempDir dir_;
  std::map<std::string, std::string> config_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  uint16_t port_ = 0;
  std::optional<int> exitCode_;
};

// Runs strata-server with `config` and returns (exit code, output) without waiting for it to
// listen: for start-up failures. Kills it after `seconds` if it keeps running.
std::pair<int, std::string> runServerExpectingExit(const std::map<std::string, std::string>& config,
                                                   int seconds = 20);

// Sends raw bytes on a new connection and returns what the server answers before it closes or
// `timeoutMs` passes (once the headers are in, 300 ms of silence also ends it).
std::string rawExchange(uint16_t port, const std::string& bytes, int timeoutMs = 5000);

std::string basicAuth(const std::string& user, const std::string& password);

// Percent-encodes everything but unreserved characters (RFC 3986), for query parameters.
std::string urlEncode(const std::string& s);

}  // namespace strata::test
