#include <strata/errors.h>

namespace strata {

Error::Error(int status, std::string code, const std::string& message)
    : std::runtime_error(message), status_(status), code_(std::move(code)) {}
Error::~Error() = default;

#define STRATA_DEFINE_ERROR(Name, Status, Code)                                                     \
  Name::Name(const std::string& message) : Error(Status, Code, message) {}                          \
  Name::Name(const std::string& code, const std::string& message) : Error(Status, code, message) {} \
  Name::~Name() = default;

STRATA_DEFINE_ERROR(BadRequest, 400, "bad_request")
STRATA_DEFINE_ERROR(Unauthorized, 401, "unauthorized")
STRATA_DEFINE_ERROR(Forbidden, 403, "forbidden")
STRATA_DEFINE_ERROR(NotFound, 404, "not_found")
STRATA_DEFINE_ERROR(MethodNotAllowed, 405, "method_not_allowed")
STRATA_DEFINE_ERROR(NotAcceptable, 406, "not_acceptable")
STRATA_DEFINE_ERROR(Conflict, 409, "conflict")
STRATA_DEFINE_ERROR(Gone, 410, "gone")
STRATA_DEFINE_ERROR(PreconditionFailed, 412, "precondition_failed")
STRATA_DEFINE_ERROR(PayloadTooLarge, 413, "payload_too_large")
STRATA_DEFINE_ERROR(UnsupportedMediaType, 415, "unsupported_media_type")
STRATA_DEFINE_ERROR(RangeNotSatisfiable, 416, "range_not_satisfiable")
STRATA_DEFINE_ERROR(UnprocessableEntity, 422, "unprocessable_entity")
STRATA_DEFINE_ERROR(InternalError, 500, "internal_error")
STRATA_DEFINE_ERROR(NotImplemented, 501, "not_implemented")
STRATA_DEFINE_ERROR(ServiceUnavailable, 503, "service_unavailable")
STRATA_DEFINE_ERROR(InsufficientStorage, 507, "insufficient_storage")

StartupError::StartupError(const std::string& message) : std::runtime_error(message) {}
StartupError::~StartupError() = default;

}  // namespace strata
