#include <strata/error_renderer.h>
#include <strata/http.h>

#include <Poco/JSON/Object.h>

namespace strata {

ErrorRenderer::~ErrorRenderer() = default;

std::string reasonPhrase(const std::string& message) {
  std::string out;
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : ' ');
  }
  if (out.size() > 200) out.resize(200);
  return out;
}

namespace {

class StrataErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    Poco::JSON::Object::Ptr inner = new Poco::JSON::Object;
    inner->set("status", e.status());
    inner->set("code", e.code());
    inner->set("message", std::string(e.what()));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", inner);
    r.sendJson(body, e.status());
  }
};

}  // namespace

std::shared_ptr<const ErrorRenderer> strataErrorRenderer() {
  static const auto renderer = std::make_shared<const StrataErrors>();
  return renderer;
}

}  // namespace strata
