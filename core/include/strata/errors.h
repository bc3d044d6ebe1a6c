#pragma once
// The one exception hierarchy. Handlers and stores throw these; the router turns any of them
// (and any other exception) into an error response in the route's API family's format.
// Backends translate their engine's status codes into these at their own boundary.
#include <strata/export.h>

#include <stdexcept>
#include <string>

namespace strata {

class STRATA_API Error : public std::runtime_error {
 public:
  Error(int status, std::string code, const std::string& message);
  ~Error() override;
  int status() const noexcept { return status_; }
  // A short machine-readable code ("not_found", "etag_mismatch", ...).
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

#define STRATA_DECLARE_ERROR(Name)                             \
  class STRATA_API Name : public Error {                       \
   public:                                                     \
    explicit Name(const std::string& message);                 \
    Name(const std::string& code, const std::string& message); \
    ~Name() override;                                          \
  };

STRATA_DECLARE_ERROR(BadRequest)            // 400
STRATA_DECLARE_ERROR(Unauthorized)          // 401
STRATA_DECLARE_ERROR(Forbidden)             // 403
STRATA_DECLARE_ERROR(NotFound)              // 404
STRATA_DECLARE_ERROR(MethodNotAllowed)      // 405
STRATA_DECLARE_ERROR(NotAcceptable)         // 406
STRATA_DECLARE_ERROR(Conflict)              // 409
STRATA_DECLARE_ERROR(Gone)                  // 410
STRATA_DECLARE_ERROR(PreconditionFailed)    // 412
STRATA_DECLARE_ERROR(PayloadTooLarge)       // 413
STRATA_DECLARE_ERROR(UnsupportedMediaType)  // 415
STRATA_DECLARE_ERROR(RangeNotSatisfiable)   // 416
STRATA_DECLARE_ERROR(UnprocessableEntity)   // 422
STRATA_DECLARE_ERROR(InternalError)         // 500
STRATA_DECLARE_ERROR(NotImplemented)        // 501
STRATA_DECLARE_ERROR(ServiceUnavailable)    // 503
STRATA_DECLARE_ERROR(InsufficientStorage)   // 507

#undef STRATA_DECLARE_ERROR

// A start-up problem: bad configuration, a plugin that cannot be loaded or configured.
// Never reaches a client; the server prints it and exits non-zero.
class STRATA_API StartupError : public std::runtime_error {
 public:
  explicit StartupError(const std::string& message);
  ~StartupError() override;
};

}  // namespace strata
