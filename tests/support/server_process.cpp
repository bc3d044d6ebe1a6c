#include "support/server_process.h"

#include <strata/auth.h>

#include <Poco/Base64Encoder.h>
#include <Poco/File.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/String.h>
#include <Poco/Thread.h>

#include <chrono>
#include <fstream>
#include <cctype>
#include <sstream>
#include <thread>
#include <signal.h>
#include <sys/wait.h>

namespace strata::test {

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(Poco::toLower(name));
  return it == headers.end() ? "" : it->second;
}

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string basicAuth(const std::string& user, const std::string& password) {
  std::ostringstream os;
  Poco::Base64Encoder enc(os);
  enc.rdbuf()->setLineLength(0);
  enc << user << ":" << password;
  enc.close();
  return "Basic " + os.str();
}

std::string ServerProcess::usersLine(const std::string& name, const std::string& password,
                                     const std::string& groups) {
  // Few iterations: the tests check the mechanism, not the cost.
  return name + ":" + strata::hashPassword(password, 1000) + (groups.empty() ? "" : ":" + groups);
}

namespace {
void writeConfig(const std::string& file, const std::map<std::string, std::string>& config) {
  std::ofstream out(file, std::ios::trunc);
  for (const auto& [k, v] : config) out << k << " = " << v << "\n";
}

int launch(const std::string& dir, const std::string& configFile,
           std::unique_ptr<Poco::ProcessHandle>& handle) {
  // Output goes to a file in the test directory (a pipe could fill up and block the server).
  Poco::Process::Args args = {"--config", configFile};
  const std::string logFile = dir + "/server.log";
  // Poco::Process cannot redirect to a file directly; use a shell.
  Poco::Process::Args shellArgs = {"-c", std::string("exec '") + STRATA_SERVER_BIN + "' --config '" +
                                             configFile + "' >>'" + logFile + "' 2>&1"};
  handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", shellArgs, dir));
  return 0;
}
}  // namespace

ServerProcess::ServerProcess(std::map<std::string, std::string> config, bool startNow)
    : config_(std::move(config)) {
  config_.emplace("server.address", "127.0.0.1");
  config_.emplace("server.port", "0");
  config_.emplace("server.portFile", dir_.file("port"));
  config_.emplace("plugins.path", STRATA_PLUGIN_DIR);
  if (startNow && !start()) throw std::runtime_error("strata-server did not start:\n" + log());
}

ServerProcess::~ServerProcess() {
  if (handle_ && !exitCode_) {
    try {
      stop(SIGKILL);
    } catch (...) {
    }
  }
  if (handle_) expectNoSanitizerReport(log(), "strata-server");
}

bool ServerProcess::start() {
  if (Poco::File(dir_.file("port")).exists()) Poco::File(dir_.file("port")).remove(false);
  writeConfig(dir_.file("strata.properties"), config_);
  exitCode_.reset();
  launch(dir_.path(), dir_.file("strata.properties"), handle_);
  for (int i = 0; i < 300; ++i) {
    if (Poco::File(dir_.file("port")).exists()) {
      std::ifstream in(dir_.file("port"));
      int p = 0;
      in >> p;
      if (p > 0) {
        port_ = static_cast<uint16_t>(p);
        return true;
      }
    }
    if (!running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool ServerProcess::running() {
  if (!handle_ || exitCode_) return false;
  int status = 0;
  const pid_t r = waitpid(handle_->id(), &status, WNOHANG);
  if (r == 0) return true;
  exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int ServerProcess::stop(int sig) {
  if (!handle_) return -1;
  if (exitCode_) return *exitCode_;
  ::kill(handle_->id(), sig);
  int status = 0;
  for (int i = 0; i < 600; ++i) {
    const pid_t r = waitpid(handle_->id(), &status, WNOHANG);
    if (r == handle_->id()) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return *exitCode_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(handle_->id(), SIGKILL);
  waitpid(handle_->id(), &status, 0);
  exitCode_ = 137;
  return *exitCode_;
}

void ServerProcess::kill() { stop(SIGKILL); }

std::string ServerProcess::log() const {
  try {
    return readFile(dir_.file("server.log"));
  } catch (...) {
    return "";
  }
}

HttpResult ServerProcess::request(const std::string& method, const std::string& path, const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port_);
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT")
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& os = session.sendRequest(req);
  os.write(body.data(), static_cast<std::streamsize>(body.size()));
  Poco::Net::HTTPResponse res;
  std::istream& is = session.receiveResponse(res);
  HttpResult out;
  out.status = res.getStatus();
  out.reason = res.getReason();
  for (const auto& [k, v] : res) out.headers[Poco::toLower(k)] = v;
  if (method != "HEAD") {
    std::ostringstream ss;
    ss << is.rdbuf();
    out.body = ss.str();
  }
  return out;
}

std::pair<int, std::string> runServerExpectingExit(const std::map<std::string, std::string>& config,
                                                   int seconds) {
  ServerProcess p(config, false);
  p.start();
  for (int i = 0; i < seconds * 20 && p.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int code = p.running() ? p.stop(SIGKILL) : p.stop();
  return {code, p.log()};
}

std::string rawExchange(uint16_t port, const std::string& bytes, int timeoutMs) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(0, timeoutMs * 1000));
  s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  char buf[4096];
  try {
    while (true) {
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      if (out.find("\r\n\r\n") != std::string::npos) {
        // Headers complete; read a little more for the body, then stop.
        s.setReceiveTimeout(Poco::Timespan(0, 300000));
      }
    }
  } catch (const Poco::TimeoutException&) {
  } catch (const Poco::Exception&) {
  }
  return out;
}

}  // namespace strata::test
