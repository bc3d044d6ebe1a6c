#pragma once
// Turns an Error into a response in one API family's format. The core has one per family
// (errorRenderer("hdf"), ...); a plugin picks one for its routes, or subclasses ErrorRenderer
// for a format of its own.
#include <strata/errors.h>
#include <strata/export.h>

#include <memory>
#include <string>

namespace strata {

class Response;

class STRATA_API ErrorRenderer {
 public:
  virtual ~ErrorRenderer();
  // The response has not been sent yet when this is called.
  virtual void render(const Error& error, Response& response) const = 0;
};

// Built-in renderers by family:
//   "strata"  {"error": {"status": 404, "code": "not_found", "message": "..."}}  (default)
//   "hdf"     h5serv: the message is also the HTTP reason phrase; body {"status": 404, "message": "..."}
//   "synapse" {"concreteType": "org.sagebionetworks.repo.model.ErrorResponse", "reason": "..."}
//   "ufdl"    {"detail": "..."}
//   "slycat"  {"message": "...", "status": 404}
// Throws StartupError for an unknown family.
STRATA_API std::shared_ptr<const ErrorRenderer> errorRenderer(const std::string& family);

}  // namespace strata
