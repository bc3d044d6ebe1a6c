#include "server.h"

#include "deadline_socket.h"
#include "login_limiter.h"
#include "metrics.h"
#include "plugin_loader.h"
#include "router.h"
#include "store_registry.h"
#include "users_authenticator.h"

#include <strata/errors.h>
#include <strata/http.h>
#include <strata/util.h>

#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Stopwatch.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <future>
#include <optional>
#include <set>
#include <thread>

namespace strata {

// ------------------------------------------------------------------ plugin context

class Server::Context : public PluginContext {
 public:
  Context(Server& server, std::string name)
      : server_(server),
        name_(std::move(name)),
        section_(server.config_, "plugins." + name_),
        logger_(Poco::Logger::get("strata.plugin." + name_)) {}

  const std::string& name() const override { return name_; }
  const ConfigSection& config() const override { return section_; }
  std::shared_ptr<EntityStore> entities() override { return server_.stores_->entities(instance("entities")); }
  std::shared_ptr<AnnotationStore> annotations() override {
    return server_.stores_->annotations(instance("annotations"));
  }
  std::shared_ptr<BlobStore> blobs() override { return server_.stores_->blobs(instance("blobs")); }
  std::shared_ptr<ArrayStore> arrays() override { return server_.stores_->arrays(instance("arrays")); }
  const Authenticator& authenticator() const override { return *server_.auth_; }
  void addUserDirectory(std::shared_ptr<const UserDirectory> directory) override {
    if (!directory) throw InternalError("plugin '" + name_ + "' added a null user directory");
    if (server_.http_) throw InternalError("plugin '" + name_ + "' added a user directory after configure()");
    server_.auth_->addUserDirectory(std::move(directory));
  }
  const ServerInfo& server() const override { return server_; }
  Poco::Logger& logger() const override { return logger_; }

 private:
  std::string instance(const std::string& role) const {
    return section_.section("stores").getString(role, "default");
  }
  Server& server_;
  std::string name_;
  ConfigSection section_;
  Poco::Logger& logger_;
};

// ------------------------------------------------------------------ request dispatch

namespace {

// What a browser may send cross-origin: a fixed list, never the request's own.
const char* const kCorsAllowHeaders = "Authorization, Content-Type, Accept, If-Match, If-None-Match, Range";

// Reads and discards what a client is still sending after a response that did not read the
// request body (413, 401, errors), after closing our sending side: closing a socket with
// unread data makes the kernel send a reset, and the client would lose the response.
void lingeringClose(Poco::Net::StreamSocket& socket) {
  try {
    socket.shutdownSend();
    socket.setReceiveTimeout(Poco::Timespan(0, 500000));
    std::vector<char> buf(64 * 1024);
    uint64_t drained = 0;
    Poco::Stopwatch clock;
    clock.start();
    while (drained < (64u << 20) && clock.elapsedSeconds() < 5) {
      const int n = socket.receiveBytes(buf.data(), static_cast<int>(buf.size()));
      if (n <= 0) break;
      drained += static_cast<uint64_t>(n);
    }
  } catch (...) {
  }
}

// The token a route lets a request carry outside the Authorization header, if any.
std::optional<std::string> tokenElsewhere(const Request& request, const TokenPlaces& places) {
  for (const auto& name : places.headers)
    if (auto v = request.header(name); v && !v->empty()) return v;
  for (const auto& name : places.queryParameters)
    if (auto v = request.query(name); v && !v->empty()) return v;
  return std::nullopt;
}

// Whether a query parameter's name says that its value is a secret, whatever the route: a
// client may send a token or a password where the route does not expect one.
bool secretName(const std::string& name) {
  const std::string n = Poco::toLower(name);
  for (const char* word : {"token", "password", "passwd", "secret", "apikey", "api_key", "signature"})
    if (n.find(word) != std::string::npos) return true;
  return false;
}

// The request target for the logs, with the values of the query parameters that carry tokens
// (the route's, and every parameter whose name says it holds a secret) masked.
std::string maskTokens(const std::string& uri, const std::vector<std::string>* names) {
  if (uri.find('?') == std::string::npos) return uri;
  try {
    Poco::URI parsed(uri);
    auto params = parsed.getQueryParameters();
    bool masked = false;
    for (auto& [key, value] : params)
      if (secretName(key) || (names && std::find(names->begin(), names->end(), key) != names->end())) {
        value = "REDACTED";
        masked = true;
      }
    if (!masked) return uri;
    parsed.setQueryParameters(params);
    return parsed.toString();
  } catch (const Poco::Exception&) {
    return uri.substr(0, uri.find('?')) + "?REDACTED";
  }
}

}  // namespace

class Server::Dispatcher : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(Server& server) : server_(server) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    Poco::Net::StreamSocket& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
    // Poco only bounds receiving; a client that stops reading a download must not hold its
    // thread forever.
    socket.setSendTimeout(Poco::Timespan(server_.timeout_, 0));
    // The headers are in; from here the body's deadline applies (server.requestBodyTimeout).
    deadline_ = dynamic_cast<DeadlineSocketImpl*>(socket.impl());
    if (deadline_) deadline_->startBody();
    {
      std::lock_guard<std::mutex> lock(server_.activeMutex_);
      server_.active_.insert(&socket);
    }
    struct Unregister {
      Server& server;
      Poco::Net::StreamSocket* socket;
      ~Unregister() {
        std::lock_guard<std::mutex> lock(server.activeMutex_);
        server.active_.erase(socket);
      }
    } unregister{server_, &socket};
    handle(req, res);
    if (unreadBody_) {
      if (deadline_) deadline_->stop();  // lingeringClose has bounds of its own
      lingeringClose(socket);
    } else if (deadline_) {
      deadline_->startHeaders();
    }
  }

 private:
  void handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) {
    Poco::Stopwatch clock;
    clock.start();
    // Password checks made for this request count against this address (auth.maxFailedLogins).
    const std::string clientAddress = server_.clientAddress(req);
    const LoginClientScope client(clientAddress);
    const bool overLimit = res.getStatus() == Poco::Net::HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE;
    res.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    Response response(res, req);
    std::unique_ptr<Request> request;
    std::string routeLabel = "unmatched";
    std::shared_ptr<const ErrorRenderer> errors = server_.router_->find("GET", {}).errors;
    std::string user;
    const std::vector<std::string>* maskedQuery = nullptr;  // query parameters that held tokens

    const bool cors = server_.setCorsOrigin(req, res);
    try {
      const std::string& uri = req.getURI();
      const auto qpos = uri.find('?');
      const std::string rawPath = uri.substr(0, qpos);
      if (rawPath.empty() || rawPath[0] != '/')
        throw BadRequest("the request target must be an absolute path");
      const auto segments = Router::splitPath(rawPath);
      std::string path;
      for (const auto& s : segments) path += "/" + s;
      if (path.empty()) path = "/";

      Poco::Net::NameValueCollection query;
      if (qpos != std::string::npos) {
        try {
          Poco::URI parsed("/?" + uri.substr(qpos + 1));
          for (const auto& [k, v] : parsed.getQueryParameters()) query.add(k, v);
        } catch (const Poco::Exception&) {
          throw BadRequest("malformed query string");
        }
      }

      const auto lookup = server_.router_->find(req.getMethod(), segments);
      errors = lookup.errors;
      const uint64_t limit = server_.bodyLimit(lookup);
      request = std::make_unique<Request>(req, path, std::move(query), limit);
      Request* reqPtr = request.get();
      response.setBeforeSend([reqPtr, &response]() {
        if (!reqPtr->bodyConsumed()) response.closeConnection();
      });

      if (server_.draining_) {
        response.closeConnection();
        throw ServiceUnavailable("the server is shutting down");
      }
      if (overLimit)
        throw PayloadTooLarge("the request body of " + std::to_string(req.getContentLength64()) +
                              " bytes is larger than the limit of " + std::to_string(limit) + " bytes");
      if (!lookup.pathKnown) throw NotFound("no resource at " + path);
      const std::string allow = Poco::cat(std::string(", "), lookup.allow.begin(), lookup.allow.end());
      if (req.getMethod() == "OPTIONS" && !lookup.route) {
        res.set("Allow", allow);
        if (cors) {
          res.set("Access-Control-Allow-Methods", allow);
          res.set("Access-Control-Allow-Headers", kCorsAllowHeaders);
          res.set("Access-Control-Max-Age", "86400");
        }
        routeLabel = "OPTIONS";
        response.sendEmpty(204);
      } else {
        if (!lookup.route) {
          res.set("Allow", allow);
          throw MethodNotAllowed("method " + req.getMethod() + " is not allowed on " + path +
                                 " (allowed: " + allow + ")");
        }
        const auto& route = *lookup.route;
        routeLabel = route.pattern;

        std::optional<Principal> principal;
        maskedQuery = &route.options.tokenPlaces.queryParameters;
        if (req.has("Authorization"))
          principal = server_.auth_->authenticate(req.get("Authorization"));
        else if (auto token = tokenElsewhere(*request, route.options.tokenPlaces))
          principal = server_.auth_->authenticate("Bearer " + *token);
        const bool anonymousOk = anonymousAdmitted(route.options.access, req.getMethod());
        if (!principal && !anonymousOk) throw Unauthorized("authentication required");
        if (principal && route.options.access == Access::Admin && !principal->inGroup(kAdminGroup))
          throw Forbidden("this resource is for members of the admin group");
        if (principal) {
          user = principal->name;
          request->setPrincipal(*principal);
        }
        request->setParams(lookup.params);
        route.handler(*request, response);
        if (!response.sent()) throw InternalError("the handler of " + route.pattern + " sent no response");
      }
    } catch (const Error& e) {
      if (e.status() >= 500)
        server_.logger_.error("%d %s (%s %s)", e.status(), std::string(e.what()), req.getMethod(),
                              maskTokens(req.getURI(), maskedQuery));
      renderError(e, errors, response);
    } catch (const Poco::Net::NetException& e) {
      // Mostly a client that went away mid-transfer: not the server's fault.
      server_.logger_.information("connection lost during %s %s: %s", req.getMethod(),
                                  maskTokens(req.getURI(), maskedQuery), e.displayText());
      renderError(internal(req, e.displayText(), false, maskedQuery), errors, response);
    } catch (const Poco::Exception& e) {
      renderError(internal(req, e.displayText(), true, maskedQuery), errors, response);
    } catch (const std::exception& e) {
      renderError(internal(req, e.what(), true, maskedQuery), errors, response);
    } catch (...) {
      renderError(internal(req, "unknown exception", true, maskedQuery), errors, response);
    }

    const double seconds = static_cast<double>(clock.elapsed()) / 1e6;
    const uint64_t bytesIn = request ? request->bytesRead() : 0;
    static const std::set<std::string> methods = {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"};
    server_.metrics_->record(methods.count(req.getMethod()) ? req.getMethod() : "OTHER", routeLabel,
                             res.getStatus(), seconds, bytesIn, response.bytesWritten());
    if (server_.accessLogOn_ && server_.accessLog_.information()) {
      std::string line = clientAddress + " " + (user.empty() ? "-" : user) + " \"" + req.getMethod() + " " +
                         maskTokens(req.getURI(), maskedQuery) + " " + req.getVersion() + "\" " +
                         std::to_string(res.getStatus()) + " " + std::to_string(response.bytesWritten()) +
                         " " + std::to_string(clock.elapsed() / 1000) + "ms";
      for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      server_.accessLog_.information(line);
    }
    unreadBody_ = request ? !request->bodyConsumed() : req.getContentLength64() > 0;
  }

  bool anonymousAdmitted(Access access, const std::string& method) const {
    const Authenticator& auth = *server_.auth_;
    switch (access) {
      case Access::Public:
        return true;
      case Access::Read:
        return auth.anonymousAllowed();
      case Access::Default:
        if (method == "GET" || method == "HEAD" || method == "OPTIONS") return auth.anonymousAllowed();
        return auth.anonymousAllowed() && auth.anonymousWritesAllowed();
      case Access::User:
      case Access::Admin:
        return false;
    }
    return false;
  }

  // Details of unexpected failures go to the log under a number, not to the client.
  // The target's secret query parameters are masked.
  InternalError internal(const Poco::Net::HTTPServerRequest& req, const std::string& detail, bool log,
                         const std::vector<std::string>* maskedQuery) {
    const uint64_t n = ++server_.errorSeq_;
    if (log)
      server_.logger_.error("internal error #%Lu during %s %s: %s", static_cast<Poco::UInt64>(n),
                            req.getMethod(), maskTokens(req.getURI(), maskedQuery), detail);
    return InternalError("internal server error (logged as #" + std::to_string(n) + ")");
  }

  void renderError(const Error& error, const std::shared_ptr<const ErrorRenderer>& errors,
                   Response& response) {
    // Whatever the handler made of a body that stopped arriving in time, the answer is 408.
    const Error timedOut(408, "request_timeout",
                         "the request body did not arrive in time (server.requestBodyTimeout, "
                         "server.minBodyRate)");
    const Error& e = deadline_ && deadline_->bodyExpired() ? timedOut : error;
    if (response.sent()) {
      // Headers (and maybe part of the body) are out: the only honest answer left is to cut
      // the connection, so the client sees a truncated transfer.
      response.abort();
      return;
    }
    try {
      if (e.status() == 401) {
        response.setHeader("WWW-Authenticate", "Basic realm=\"" + server_.auth_->realm() +
                                                   "\", Bearer realm=\"" + server_.auth_->realm() + "\"");
      }
      if (const auto* throttled = dynamic_cast<const LoginsThrottled*>(&e))
        response.setHeader("Retry-After", std::to_string(throttled->retryAfterSeconds()));
      if (e.status() == 408 || e.status() == 413 || e.status() == 503) response.closeConnection();
      errors->render(e, response);
    } catch (...) {
      response.abort();
    }
  }

  Server& server_;
  bool unreadBody_ = false;
  DeadlineSocketImpl* deadline_ = nullptr;  // the connection's deadlines (null if not accepted by us)
};

class Server::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Server& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& req) override {
    // Decided here, before the handler runs, so that Poco does not send "100 Continue" and the
    // client does not send a body that will be refused.
    const int64_t length = req.getContentLength64();
    if (length > 0 && static_cast<uint64_t>(length) > server_.bodyLimit(req))
      req.response().setStatus(Poco::Net::HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
    return new Dispatcher(server_);
  }

 private:
  Server& server_;
};

// ------------------------------------------------------------------ server

namespace {

// scheme://host[:port], as a browser sends it in Origin: lower-case scheme, no path.
bool validOrigin(const std::string& origin) {
  const auto sep = origin.find("://");
  if (sep == std::string::npos || sep == 0) return false;
  for (std::size_t i = 0; i < sep; ++i)
    if (!std::islower(static_cast<unsigned char>(origin[i]))) return false;
  const std::string rest = origin.substr(sep + 3);
  if (rest.empty()) return false;
  for (char c : rest)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
          c == ']'))
      return false;
  return true;
}

// The answer to a request whose headers did not arrive within server.requestHeaderTimeout: the
// route is not known, so it is a plain strata error.
std::string headerTimeoutResponse(int64_t seconds) {
  const std::string body =
      "{\"error\":{\"status\":408,\"code\":\"request_timeout\",\"message\":"
      "\"the request headers did not arrive within " +
      std::to_string(seconds) + " s (server.requestHeaderTimeout)\"}}";
  return "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

bool Server::setCorsOrigin(const Poco::Net::HTTPServerRequest& req,
                           Poco::Net::HTTPServerResponse& res) const {
  if (corsOrigins_.empty()) return false;
  if (corsOrigins_.count("*")) {
    res.set("Access-Control-Allow-Origin", "*");
  } else {
    // The answer depends on Origin: caches must not hand it to another origin.
    res.set("Vary", "Origin");
    const std::string origin = req.get("Origin", "");
    if (origin.empty() || !corsOrigins_.count(origin)) return false;
    res.set("Access-Control-Allow-Origin", origin);
  }
  res.set("Access-Control-Expose-Headers", "ETag, Location, Content-Length, Content-Range");
  return true;
}

namespace {
// An address in one spelling (IPv6 compressed, lower case); nullopt if `text` is none.
std::optional<std::string> normalisedAddress(const std::string& text) {
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(Poco::trim(text), address)) return std::nullopt;
  return address.toString();
}
}  // namespace

std::string Server::clientAddress(const Poco::Net::HTTPServerRequest& req) const {
  std::string client = req.clientAddress().host().toString();
  if (trustedProxies_.empty() || !trustedProxies_.count(client) || !req.has("X-Forwarded-For")) return client;
  // Each proxy appends the address it got the request from: read from the right, past our
  // own proxies. Whatever the client wrote itself further left is not believed.
  const std::string forwarded = req.get("X-Forwarded-For");
  std::size_t end = forwarded.size();
  while (end > 0) {
    const std::size_t comma = forwarded.rfind(',', end - 1);
    const std::size_t start = comma == std::string::npos ? 0 : comma + 1;
    const auto address = normalisedAddress(forwarded.substr(start, end - start));
    if (!address) break;  // malformed: the last good hop stands
    client = *address;
    if (!trustedProxies_.count(client)) break;
    if (comma == std::string::npos) break;
    end = comma;
  }
  return client;
}

Server::Server(const Poco::Util::AbstractConfiguration& config, std::string defaultPluginDir)
    : config_(config),
      defaultPluginDir_(std::move(defaultPluginDir)),
      logger_(Poco::Logger::get("strata")),
      accessLog_(Poco::Logger::get("strata.access")),
      metrics_(std::make_unique<Metrics>()) {}

Server::~Server() { stop(); }

uint64_t Server::bodyLimit(const Router::Lookup& lookup) const {
  // A route's own limit can only lower server.maxBodyBytes, which bounds every body.
  return lookup.route && lookup.route->options.maxBodyBytes
             ? std::min(lookup.route->options.maxBodyBytes, maxBodyBytes_)
             : maxBodyBytes_;
}

uint64_t Server::bodyLimit(const Poco::Net::HTTPServerRequest& req) const {
  try {
    const std::string& uri = req.getURI();
    return bodyLimit(router_->find(req.getMethod(), Router::splitPath(uri.substr(0, uri.find('?')))));
  } catch (...) {
    return maxBodyBytes_;  // the dispatcher reports the malformed path
  }
}

void Server::validateTopLevel() const {
  static const std::set<std::string> known = {"server",  "plugins",     "stores", "auth",
                                              "logging", "application", "system"};
  Poco::Util::AbstractConfiguration::Keys top;
  config_.keys("", top);
  for (const auto& k : top)
    if (!known.count(k))
      throw StartupError("unknown configuration key '" + k +
                         "' (top-level sections: server, plugins, stores, auth, logging)");
}

void Server::start() {
  validateTopLevel();
  ConfigSection server(config_, "server");
  const std::string address = server.getString("address", "127.0.0.1");
  const int64_t port = server.getInt("port", 8080);
  if (port < 0 || port > 65535) throw StartupError("server.port must be between 0 and 65535");
  const std::string portFile = server.getString("portFile", "");
  const int64_t threads = server.getInt("threads", 64);
  if (threads < 1 || threads > 10000) throw StartupError("server.threads must be between 1 and 10000");
  const int64_t queue = server.getInt("queue", 2 * threads);
  const int64_t keepAlive = server.getInt("keepAliveTimeout", 5);
  const int64_t maxKeepAliveRequests = server.getInt("maxKeepAliveRequests", 0);
  const int64_t timeout = server.getInt("timeout", 60);
  timeout_ = timeout;
  maxBodyBytes_ = server.getSize("maxBodyBytes", 4ull << 30);
  shutdownTimeout_ = server.getInt("shutdownTimeout", 10);
  auto deadlines = std::make_shared<RequestDeadlines>();
  deadlines->headerSeconds = server.getInt("requestHeaderTimeout", deadlines->headerSeconds);
  deadlines->bodySeconds = server.getInt("requestBodyTimeout", deadlines->bodySeconds);
  deadlines->minBodyRate = server.getSize("minBodyRate", deadlines->minBodyRate);
  const auto atLeast = [](const char* key, int64_t value, int64_t min) {
    if (value < min)
      throw StartupError(std::string("server.") + key + " must be at least " + std::to_string(min));
  };
  atLeast("queue", queue, 1);
  atLeast("keepAliveTimeout", keepAlive, 1);
  atLeast("maxKeepAliveRequests", maxKeepAliveRequests, 0);
  atLeast("timeout", timeout, 1);
  atLeast("shutdownTimeout", shutdownTimeout_, 0);
  atLeast("requestHeaderTimeout", deadlines->headerSeconds, 1);
  atLeast("requestBodyTimeout", deadlines->bodySeconds, 1);
  deadlines->headerTimeoutResponse = headerTimeoutResponse(deadlines->headerSeconds);
  corsOrigins_.clear();
  for (const auto& origin : server.getList("cors")) {
    if (origin != "*" && !validOrigin(origin))
      throw StartupError(
          "server.cors holds '" + origin +
          "': each entry must be an origin such as https://app.example.org (scheme://host[:port], "
          "no path) or *");
    corsOrigins_.insert(origin);
  }
  trustedProxies_.clear();
  for (const auto& proxy : server.getList("trustedProxies")) {
    const auto address = normalisedAddress(proxy);
    if (!address)
      throw StartupError("server.trustedProxies holds '" + proxy + "': each entry must be an IP address");
    trustedProxies_.insert(*address);
  }
  accessLogOn_ = server.getBool("accessLog", true);
  router_ = std::make_unique<Router>(strataErrorRenderer());
  for (const auto& key : server.unreadKeys()) throw StartupError("unknown configuration key " + key);

  ConfigSection authSection(config_, "auth");
  auth_ = makeAuthenticator(authSection);
  for (const auto& key : authSection.unreadKeys()) throw StartupError("unknown configuration key " + key);

  ConfigSection plugins(config_, "plugins");
  std::vector<std::string> path = plugins.getList("path");
  if (path.empty()) path.push_back(defaultPluginDir_);
  loader_ = std::make_unique<PluginLoader>(path);
  stores_ = std::make_unique<StoreRegistry>(config_, *loader_, logger_);
  stores_->createAll();

  const auto names = plugins.getList("load");
  std::set<std::string> loadedNames;
  for (const auto& name : names) {
    if (!loadedNames.insert(name).second)
      throw StartupError("plugin '" + name + "' is listed twice in plugins.load");
    LoadedPlugin& loaded = loader_->load("endpoint", name);
    auto* endpoint = static_cast<EndpointPlugin*>(loaded.plugin.get());
    contexts_.push_back(std::make_unique<Context>(*this, name));
    Context& ctx = *contexts_.back();
    try {
      endpoint->configure(ctx);
      auto registry = router_->scope(name);
      endpoint->registerRoutes(*registry);
    } catch (const StartupError& e) {
      throw StartupError("plugin '" + name + "' could not be configured: " + e.what());
    } catch (const std::exception& e) {
      throw StartupError("plugin '" + name + "' failed in configure: " + e.what());
    } catch (...) {
      throw StartupError("plugin '" + name + "' failed in configure (unknown exception)");
    }
    endpoints_.push_back(endpoint);
    for (const auto& key : ctx.config().unreadKeys())
      throw StartupError("unknown configuration key " + key + " (plugin '" + name + "' does not use it)");
    logger_.information("plugin %s %s loaded from %s", name, loaded.info.version, loaded.info.file);
  }
  // Sections of plugins that are not loaded are most likely mistakes.
  Poco::Util::AbstractConfiguration::Keys pluginKeys;
  config_.keys("plugins", pluginKeys);
  for (const auto& k : pluginKeys)
    if (k != "path" && k != "load" && !loadedNames.count(k))
      throw StartupError("configuration section plugins." + k +
                         " belongs to no loaded plugin (plugins.load = " +
                         Poco::cat(std::string(", "), names.begin(), names.end()) + ")");

  DeadlineServerSocket socket(std::move(deadlines));
  try {
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second server on the same port
    // must fail instead of silently sharing the connections.
    socket.bind(Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(port)), true, false);
    socket.listen(static_cast<int>(std::max<int64_t>(queue, 64)));
  } catch (const Poco::Exception& e) {
    throw StartupError("cannot listen on " + address + ":" + std::to_string(port) + ": " + e.displayText());
  }
  port_ = socket.address().port();

  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(static_cast<int>(threads));
  params->setMaxQueued(static_cast<int>(queue));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(keepAlive, 0));
  params->setMaxKeepAliveRequests(static_cast<int>(maxKeepAliveRequests));
  params->setTimeout(Poco::Timespan(timeout, 0));
  params->setServerName("Strata");
  params->setSoftwareVersion("Strata/0.1");
  // A dedicated pool: Poco's default pool holds 16 threads, and with thread-per-connection the
  // 17th keep-alive connection would wait without service.
  // (At least 1 and at most `threads` kept: Poco asserts min <= max, so server.threads = 1 failed
  // start-up with "Assertion violation".)
  pool_ = std::make_unique<Poco::ThreadPool>(static_cast<int>(std::min<int64_t>(2, threads)),
                                             static_cast<int>(threads), 60);
  http_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
  // Before the first request can read it (ThreadSanitizer saw /strata/health read it while it
  // was written here after start()).
  startedAt_ = nowMillis();
  http_->start();

  if (!portFile.empty()) {
    const std::string tmp = portFile + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << port_ << "\n";
      if (!out) throw StartupError("cannot write server.portFile " + portFile);
    }
    Poco::File(tmp).renameTo(portFile);
  }
  logger_.notice("Strata listening on %s:%hu with %d threads", address, port_, static_cast<int>(threads));
}

void Server::stop() noexcept {
  if (stopped_) return;
  stopped_ = true;
  draining_ = true;
  try {
    if (http_) {
      http_->stop();  // stop accepting
      // stopAll(false) waits for each in-flight request to finish; past the deadline the
      // remaining connections are aborted.
      auto done = std::async(std::launch::async, [this] { http_->stopAll(false); });
      if (done.wait_for(std::chrono::seconds(shutdownTimeout_)) != std::future_status::ready) {
        logger_.warning("requests still running after %d s; cutting their connections",
                        static_cast<int>(shutdownTimeout_));
        // Poco's stopAll(true) cannot overtake the stopAll(false) that is waiting for these
        // requests, so the sockets are cut here directly. The handlers' next writes fail.
        std::lock_guard<std::mutex> lock(activeMutex_);
        for (auto* socket : active_) {
          try {
            socket->shutdown();
          } catch (...) {
          }
        }
      }
      done.wait();
      pool_->joinAll();
    }
  } catch (const std::exception& e) {
    logger_.error("error while stopping the HTTP server: %s", std::string(e.what()));
  }
  for (auto it = endpoints_.rbegin(); it != endpoints_.rend(); ++it) (*it)->shutdown();
  // The directories' code lives in the plugins' modules: drop them before those go.
  if (auth_) auth_->clearUserDirectories();
  endpoints_.clear();
  contexts_.clear();
  if (loader_) loader_->destroy("endpoint");
  if (stores_) stores_->close();
  http_.reset();
  logger_.notice("Strata stopped");
}

std::vector<PluginInfo> Server::plugins() const {
  std::vector<PluginInfo> out;
  if (loader_)
    for (const auto& p : loader_->loaded()) out.push_back(p->info);
  return out;
}

std::vector<RouteInfo> Server::routes() const {
  return router_ ? router_->routes() : std::vector<RouteInfo>{};
}
std::vector<StoreInfo> Server::stores() const { return stores_ ? stores_->list() : std::vector<StoreInfo>{}; }
void Server::writeMetrics(std::ostream& out) const { metrics_->write(out); }

}  // namespace strata
