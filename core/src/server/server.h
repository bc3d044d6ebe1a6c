#pragma once
// The server: reads the configuration, loads backends and creates the stores, loads and
// configures the endpoint plugins, and serves their routes over HTTP until stop().
//
// Start-up order: validate top-level keys -> authenticator -> stores (backends load on
// demand) -> endpoint plugins: configure(), registerRoutes() -> unread plugin keys are errors
// -> bind and start. Shutdown order is the reverse: stop accepting, finish in-flight requests
// up to server.shutdownTimeout, plugin shutdown(), destroy endpoints, close stores, shut
// backends down.
#include <strata/export.h>
#include <strata/backend_plugin.h>
#include <strata/endpoint_plugin.h>
#include <strata/server_info.h>

#include "router.h"
#include "users_authenticator.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace Poco {
class Logger;
class ThreadPool;
namespace Util {
class AbstractConfiguration;
}
namespace Net {
class HTTPServer;
class HTTPServerRequest;
class HTTPServerResponse;
class StreamSocket;
}  // namespace Net
}  // namespace Poco

namespace strata {

class Metrics;
class PluginLoader;
class StoreRegistry;

class STRATA_API Server : public ServerInfo {
 public:
  // `defaultPluginDir` is used when plugins.path is not set.
  Server(const Poco::Util::AbstractConfiguration& config, std::string defaultPluginDir);
  ~Server() override;

  // Throws StartupError with a message for the operator.
  void start();
  uint16_t port() const { return port_; }
  void stop() noexcept;

  std::vector<PluginInfo> plugins() const override;
  std::vector<RouteInfo> routes() const override;
  std::vector<StoreInfo> stores() const override;
  void writeMetrics(std::ostream& out) const override;
  int64_t startedAt() const override { return startedAt_; }
  bool draining() const override { return draining_; }

 private:
  class Context;
  class Dispatcher;
  class Factory;
  friend class Dispatcher;
  friend class Factory;

  void validateTopLevel() const;
  // The body limit of the route a request goes to: its own, else server.maxBodyBytes.
  uint64_t bodyLimit(const Router::Lookup& lookup) const;
  uint64_t bodyLimit(const Poco::Net::HTTPServerRequest& req) const;
  // Sets the CORS headers every response carries when the request's Origin is allowed;
  // returns whether it did (preflight answers then add theirs).
  bool setCorsOrigin(const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) const;
  // The client's address: the peer's, or behind a proxy of server.trustedProxies the last
  // address of X-Forwarded-For that is not such a proxy.
  std::string clientAddress(const Poco::Net::HTTPServerRequest& req) const;

  const Poco::Util::AbstractConfiguration& config_;
  std::string defaultPluginDir_;
  Poco::Logger& logger_;
  Poco::Logger& accessLog_;
  std::unique_ptr<PluginLoader> loader_;
  std::unique_ptr<StoreRegistry> stores_;
  std::unique_ptr<CoreAuthenticator> auth_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<EndpointPlugin*> endpoints_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  std::atomic<bool> draining_{false};
  // Sockets of requests being handled, so that shutdown can cut them at its deadline.
  std::mutex activeMutex_;
  std::set<Poco::Net::StreamSocket*> active_;
  bool stopped_ = false;
  uint16_t port_ = 0;
  int64_t startedAt_ = 0;

  // From the "server" section.
  uint64_t maxBodyBytes_ = 0;
  // server.cors: allowed origins ("*": any, answered with "*"); empty: no CORS headers.
  std::set<std::string> corsOrigins_;
  std::set<std::string> trustedProxies_;  // normalised addresses
  bool accessLogOn_ = true;
  int64_t shutdownTimeout_ = 10;
  int64_t timeout_ = 60;
  std::atomic<uint64_t> errorSeq_{0};
};

}  // namespace strata
