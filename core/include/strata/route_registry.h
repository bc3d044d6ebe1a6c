#pragma once
// The route registry. Endpoint plugins declare routes (method + pattern) in registerRoutes();
// the core owns the one router that serves them.
//
// Patterns are absolute paths whose segments are literals, `{name}` (one segment) or, as the
// last segment only, `{name...}` (the rest of the path, slashes included). A literal segment
// wins over a parameter at the same position. Registering the same method and pattern shape
// twice is a start-up error naming both plugins.
//
// The router answers by itself: 404 for an unknown path, 405 with an Allow header for a known
// path with another method, HEAD for every GET route (same headers, no body), OPTIONS for
// every path (204 with Allow, and CORS headers for allowed origins when server.cors is set).
#include <strata/error_renderer.h>
#include <strata/export.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace strata {

class Request;
class Response;

using Handler = std::function<void(Request&, Response&)>;

// Who may call a route. Requests without credentials that a route does not admit get 401.
enum class Access {
  // GET, HEAD and OPTIONS: anonymous allowed if auth.anonymous. Any other method writes:
  // anonymous allowed only if auth.anonymousWrites too.
  Default,
  Public,  // never asks for credentials (health checks); bad credentials still give 401
  User,    // always needs an authenticated principal
  Admin,   // needs a principal in the "admin" group (403 otherwise)
  // A route that only reads whatever its method (a query sent as POST): as Default for GET.
  Read,
};

// Where a request may carry a token for a route besides `Authorization: Bearer <token>`, for
// APIs whose clients send it elsewhere: header names (Synapse's `sessionToken`) and query
// parameters (`access_token`). Only when the request has no Authorization header, the core
// takes the first of these places that is present and not empty (headers first, each list in
// order) and authenticates its value exactly as a Bearer token, before the access check: a bad
// token is 401, a good one sets Request::principal(). The access log shows the values of the
// declared query parameters as REDACTED.
struct STRATA_API TokenPlaces {
  std::vector<std::string> headers;
  std::vector<std::string> queryParameters;
};

struct STRATA_API RouteOptions {
  Access access = Access::Default;
  // The body limit for this route; 0 means the server's `server.maxBodyBytes`.
  uint64_t maxBodyBytes = 0;
  // Error format; nullptr means the registering plugin's default (see setErrorRenderer).
  std::shared_ptr<const ErrorRenderer> errors;
  // Other places of a Bearer token for this route (none by default).
  TokenPlaces tokenPlaces;
};

struct STRATA_API RouteInfo {
  std::string method;
  std::string pattern;
  std::string plugin;
};

class STRATA_API RouteRegistry {
 public:
  virtual ~RouteRegistry();
  virtual void add(const std::string& method, const std::string& pattern, Handler handler,
                   RouteOptions options = {}) = 0;
  // The error format for the routes this plugin adds after the call (call it first), and for
  // 404/405 answers on paths that lead into them.
  virtual void setErrorRenderer(std::shared_ptr<const ErrorRenderer> renderer) = 0;
};

}  // namespace strata
