#include "problem_errors.h"

#include <strata/http.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPResponse.h>

#include <sstream>

namespace notes {

void ProblemErrors::render(const strata::Error& error, strata::Response& response) const {
  const auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(error.status());
  Poco::JSON::Object problem;
  problem.set("type", "about:blank");
  problem.set("title", Poco::Net::HTTPResponse::getReasonForStatus(status));
  problem.set("status", error.status());
  problem.set("detail", std::string(error.what()));
  std::ostringstream body;
  Poco::JSON::Stringifier::condense(problem, body);
  response.sendText(body.str(), "application/problem+json", error.status());
}

}  // namespace notes
