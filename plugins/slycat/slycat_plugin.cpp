// The slycat endpoint plugin: Slycat's projects and models over the entities store role, and
// their arraysets over the arrays store role (arraysets and arrays, data read and written through
// Hyperchunks, metadata queries, storage shared between models). Every route is served with and
// without the /api prefix, as Slycat's samples use both. See docs/slycat.md.
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <strata/endpoint_plugin.h>
#include <strata/error_renderer.h>
#include <strata/errors.h>
#include <strata/http.h>

#include <memory>
#include <string>

#include "arraysets.h"
#include "data_read.h"
#include "data_write.h"
#include "model_inputs.h"
#include "projects.h"
#include "storage_refs.h"

namespace strata::slycat {

namespace {

// Slycat's error format: {"message": "...", "status": N}, the message also in the reason phrase.
class SlycatErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    r.setStatus(e.status(), reasonPhrase(e.what()));
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("message", std::string(e.what()));
    body->set("status", e.status());
    r.sendJson(body);
  }
};

Poco::JSON::Object::Ptr idBody(const std::string& id) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", id);
  return o;
}

class SlycatPlugin : public EndpointPlugin {
 public:
  void configure(PluginContext& ctx) override {
    const ConfigSection& cfg = ctx.config();
    Settings settings;
    if (cfg.has("modelTypes")) {
      settings.modelTypes = cfg.getList("modelTypes");
      if (settings.modelTypes.empty())
        throw StartupError("plugins.slycat.modelTypes must name at least one model type");
    }
    if (cfg.has("markings")) {
      settings.markings.clear();
      for (const auto& m : cfg.getList("markings")) settings.markings.push_back(m == "\"\"" ? "" : m);
      if (settings.markings.empty())
        throw StartupError("plugins.slycat.markings must name at least one marking (\"\" for none)");
    }
    const Authenticator& auth = ctx.authenticator();
    projects_ = std::make_unique<Projects>(std::move(settings), ctx.entities(),
                                           [&auth](const std::string& user) { return auth.hasUser(user); });
    refs_ = std::make_unique<StorageRefs>(ctx.entities(), ctx.arrays());
    // Last releases that a stop interrupted (counts of 0) are completed before serving.
    if (const uint64_t n = refs_->finishReleases())
      ctx.logger().information("slycat: completed " + std::to_string(n) + " interrupted storage release(s)");
    arraysets_ = std::make_unique<Arraysets>(*projects_, *refs_, ctx.arrays());
    artifacts_ = std::make_unique<ModelArtifacts>(*projects_, *refs_, ctx.arrays());
    DataWriteSettings writeSettings;
    writeSettings.maxJsonDataBytes = cfg.getSize("maxJsonDataBytes", writeSettings.maxJsonDataBytes);
    dataWrite_ = std::make_unique<DataWrite>(*projects_, *arraysets_, ctx.arrays(), writeSettings);
  }

  void registerRoutes(RouteRegistry& routes) override {
    routes.setErrorRenderer(std::make_shared<SlycatErrors>());
    for (const std::string prefix : {"/api", ""}) addRoutes(routes, prefix);
  }

 private:
  void addRoutes(RouteRegistry& routes, const std::string& prefix) {
    Projects& p = *projects_;
    Arraysets& a = *arraysets_;
    ModelArtifacts& shared = *artifacts_;
    const uint64_t maxJson = p.settings().maxJsonBytes;
    const RouteOptions read{Access::User, 0, nullptr};
    const RouteOptions write{Access::User, maxJson, nullptr};

    routes.add(
        "POST", prefix + "/projects",
        [&p, maxJson](Request& req, Response& res) {
          const auto body = req.jsonObject(maxJson);
          res.sendJson(idBody(p.createProject(req.principal(), *body)), 201);
        },
        write);

    routes.add(
        "GET", prefix + "/projects/{pid}",
        [&p](Request& req, Response& res) { res.sendJson(p.project(req.principal(), req.param("pid"))); },
        read);

    routes.add(
        "PUT", prefix + "/projects/{pid}",
        [&p, maxJson](Request& req, Response& res) {
          const std::string pid = req.param("pid");
          p.checkProject(req.principal(), pid, Need::Write);  // before the body is read
          const auto body = req.jsonObject(maxJson);
          p.updateProject(req.principal(), pid, *body);
          res.sendEmpty(204);
        },
        write);

    routes.add(
        "POST", prefix + "/projects/{pid}/models",
        [&p, maxJson, prefix](Request& req, Response& res) {
          const std::string pid = req.param("pid");
          p.checkProject(req.principal(), pid, Need::Write);  // before the body is read
          const auto body = req.jsonObject(maxJson);
          const std::string mid = p.createModel(req.principal(), pid, *body);
          res.setHeader("Location", prefix + "/models/" + mid);
          res.sendJson(idBody(mid), 201);
        },
        write);

    routes.add(
        "GET", prefix + "/projects/{pid}/models",
        [&p](Request& req, Response& res) {
          const std::string pid = req.param("pid");
          p.checkProject(req.principal(), pid, Need::Read);
          res.sendJson(p.models(pid));
        },
        read);

    routes.add(
        "GET", prefix + "/models/{mid}",
        [&p](Request& req, Response& res) {
          res.sendJson(p.model(req.principal(), req.param("mid"), Need::Read));
        },
        read);

    // Deleting and sharing artifacts (model_inputs.h): arrayset storage is reference counted.
    routes.add(
        "DELETE", prefix + "/models/{mid}",
        [&shared](Request& req, Response& res) {
          shared.deleteModel(req.principal(), req.param("mid"));
          res.sendEmpty(204);
        },
        write);

    routes.add(
        "DELETE", prefix + "/delete-artifact/{mid}/{aid}",
        [&shared](Request& req, Response& res) {
          shared.deleteArtifact(req.principal(), req.param("mid"), req.param("aid"));
          res.sendEmpty(204);
        },
        write);

    routes.add(
        "PUT", prefix + "/models/{mid}/inputs",
        [&p, &shared, maxJson](Request& req, Response& res) {
          const auto target = p.model(req.principal(), req.param("mid"), Need::Write);  // before the body
          const auto body = req.jsonObject(maxJson);
          shared.copyInputs(req.principal(), *target, *body);
          res.sendText("", "text/html", 200);
        },
        write);

    // Arraysets. Slycat answers these PUTs with 200 and an empty body.
    routes.add(
        "PUT", prefix + "/models/{mid}/arraysets/{aid}",
        [&p, &a, maxJson](Request& req, Response& res) {
          const auto doc = p.model(req.principal(), req.param("mid"), Need::Write);  // before the body
          const auto body = req.jsonObject(maxJson);
          a.create(doc, req.param("aid"), *body);
          res.sendText("", "text/html", 200);
        },
        write);

    routes.add(
        "PUT", prefix + "/models/{mid}/arraysets/{aid}/arrays/{array}",
        [&p, &a, maxJson](Request& req, Response& res) {
          const auto doc = p.model(req.principal(), req.param("mid"), Need::Write);  // before the body
          const auto body = req.jsonObject(maxJson);
          a.createArray(*doc, req.param("aid"), req.param("array"), *body);
          res.sendText("", "text/html", 200);
        },
        write);

    // A multipart body of any size (server.maxBodyBytes), streamed: see data_write.h.
    const DataWrite& w = *dataWrite_;
    routes.add(
        "PUT", prefix + "/models/{mid}/arraysets/{aid}/data",
        [&w](Request& req, Response& res) { w.handle(req, res); }, RouteOptions{Access::User, 0, nullptr});

    routes.add(
        "GET", prefix + "/models/{mid}/arraysets/{aid}/metadata",
        [&p, &a](Request& req, Response& res) {
          const auto doc = p.model(req.principal(), req.param("mid"), Need::Read);
          const auto arrays = req.query("arrays"), statistics = req.query("statistics"),
                     unique = req.query("unique");
          if (!arrays && !statistics && !unique) return res.sendJson(a.metadata(*doc, req.param("aid")));
          res.sendText(a.metadataQuery(*doc, req.param("aid"), arrays, statistics, unique),
                       "application/json");
        },
        read);

    addDataReadRoutes(routes, prefix, p, a);
  }

  std::unique_ptr<Projects> projects_;
  std::unique_ptr<StorageRefs> refs_;
  std::unique_ptr<Arraysets> arraysets_;
  std::unique_ptr<DataWrite> dataWrite_;
  std::unique_ptr<ModelArtifacts> artifacts_;
};

}  // namespace

}  // namespace strata::slycat

STRATA_ENDPOINT_PLUGIN(strata::slycat::SlycatPlugin, "slycat", "0.1.0")
