#include <strata/error_renderer.h>
#include <strata/http.h>

#include <Poco/JSON/Object.h>

#include <map>

namespace strata {

ErrorRenderer::~ErrorRenderer() = default;

namespace {

// Reason phrases must stay on one line and in visible ASCII.
std::string reasonPhrase(const std::string& message) {
  std::string out;
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : ' ');
  }
  if (out.size() > 200) out.resize(200);
  return out;
}

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

// h5serv puts the message into the reason phrase, where h5pyd reads it; the body carries it
// as JSON too (h5serv sent a Python traceback there).
class HdfErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    r.setStatus(e.status(), reasonPhrase(e.what()));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", e.status());
    body->set("message", std::string(e.what()));
    r.sendJson(body);
  }
};

class SynapseErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("concreteType", "org.sagebionetworks.repo.model.ErrorResponse");
    body->set("reason", std::string(e.what()));
    r.sendJson(body, e.status());
  }
};

class UfdlErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("detail", std::string(e.what()));
    if (e.status() == 401 && e.code() == "token_not_valid") body->set("code", e.code());
    r.sendJson(body, e.status());
  }
};

class SlycatErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    r.setStatus(e.status(), reasonPhrase(e.what()));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", e.status());
    body->set("message", std::string(e.what()));
    r.sendJson(body);
  }
};

}  // namespace

std::shared_ptr<const ErrorRenderer> errorRenderer(const std::string& family) {
  static const std::map<std::string, std::shared_ptr<const ErrorRenderer>> renderers = {
      {"strata", std::make_shared<StrataErrors>()},   {"hdf", std::make_shared<HdfErrors>()},
      {"synapse", std::make_shared<SynapseErrors>()}, {"ufdl", std::make_shared<UfdlErrors>()},
      {"slycat", std::make_shared<SlycatErrors>()},
  };
  auto it = renderers.find(family);
  if (it == renderers.end())
    throw StartupError("unknown error format '" + family + "' (known: strata, hdf, synapse, ufdl, slycat)");
  return it->second;
}

}  // namespace strata
