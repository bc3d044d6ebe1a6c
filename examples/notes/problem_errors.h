#pragma once
// The notes API's error format: RFC 9457 problem details, sent as application/problem+json:
//
//   {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no note 'x'"}
//
// This is the one place where the example chooses its error format; notes_plugin.cpp hands it
// to the route registry once, in registerRoutes().
#include <strata/error_renderer.h>

namespace notes {

class ProblemErrors final : public strata::ErrorRenderer {
 public:
  void render(const strata::Error& error, strata::Response& response) const override;
};

}  // namespace notes
