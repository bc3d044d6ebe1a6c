#pragma once
// Turns an Error into a response in one API family's format.
//
// The core knows one format, its own ("strata", below). Every other error shape belongs to the
// endpoint plugin whose API family uses it: the plugin subclasses ErrorRenderer in its own
// sources and registers it for its routes with RouteRegistry::setErrorRenderer (or for one
// route with RouteOptions::errors). The router then renders every error of those routes, and
// its own 404/405 answers on paths that lead into them, with that renderer. A third-party
// plugin gets its own shape exactly the same way. See docs/writing-plugins.md, "Error format".
#include <strata/errors.h>
#include <strata/export.h>

#include <memory>
#include <string>

namespace strata {

class Response;

class STRATA_API ErrorRenderer {
 public:
  virtual ~ErrorRenderer();
  // Called with a response whose headers have not been sent. It must send a complete
  // response (status, headers, body) and must not throw for any Error.
  virtual void render(const Error& error, Response& response) const = 0;
};

// The core's format, {"error": {"status": 404, "code": "not_found", "message": "..."}}: for paths
// that belong to no plugin and for routes of plugins that register no format of their own.
STRATA_API std::shared_ptr<const ErrorRenderer> strataErrorRenderer();

// `message` made fit for an HTTP reason phrase: one line of visible ASCII, at most 200
// characters. For formats that repeat the message there, as h5serv does.
STRATA_API std::string reasonPhrase(const std::string& message);

}  // namespace strata
