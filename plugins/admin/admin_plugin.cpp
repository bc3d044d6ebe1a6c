// The admin endpoint plugin: health, introspection (plugins, routes, stores), Prometheus
// metrics, token issue, and a small content-addressed blob API over the blobs store.
#include <strata/endpoint_plugin.h>
#include <strata/errors.h>
#include <strata/http.h>
#include <strata/util.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <initializer_list>
#include <sstream>
#include <utility>
#include <vector>

#include "byte_range.h"

namespace strata::admin {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr blobJson(const BlobInfo& info) {
  Object::Ptr o = new Object;
  o->set("id", info.id);
  o->set("size", info.size);
  o->set("refs", info.refs);
  return o;
}

Object::Ptr stringsJson(std::initializer_list<std::pair<const char*, std::string>> fields) {
  Object::Ptr o = new Object;
  for (const auto& [key, value] : fields) o->set(key, value);
  return o;
}

// Sends a JSON array with one object per item, as `toJson` makes it.
template <typename Items, typename ToJson>
void sendList(Response& res, const Items& items, ToJson toJson) {
  Array::Ptr a = new Array;
  for (const auto& item : items) a->add(toJson(item));
  res.sendJson(a);
}

class AdminPlugin : public EndpointPlugin {
 public:
  void configure(PluginContext& ctx) override {
    server_ = &ctx.server();
    auth_ = &ctx.authenticator();
    if (ctx.config().getBool("blobs", true)) blobs_ = ctx.blobs();
  }

  void registerRoutes(RouteRegistry& routes) override {
    routes.add("GET", "/strata/health", [this](Request&, Response& res) { health(res); }, {Access::Public});
    routes.add("GET", "/strata/plugins", [this](Request&, Response& res) { plugins(res); });
    routes.add("GET", "/strata/routes", [this](Request&, Response& res) { listRoutes(res); });
    routes.add("GET", "/strata/stores", [this](Request&, Response& res) { stores(res); });
    routes.add("GET", "/strata/metrics", [this](Request&, Response& res) { metrics(res); });
    routes.add("POST", "/strata/token", [this](Request& req, Response& res) { token(req, res); },
               {Access::User});
    if (blobs_) {
      routes.add("GET", "/strata/blobs", [this](Request&, Response& res) { listBlobs(res); });
      // A write: it needs a user unless auth.anonymousWrites (Access::Default for POST).
      routes.add("POST", "/strata/blobs", [this](Request& req, Response& res) { putBlob(req, res); });
      routes.add("GET", "/strata/blobs/{id}", [this](Request& req, Response& res) { getBlob(req, res); });
      routes.add("DELETE", "/strata/blobs/{id}",
                 [this](Request& req, Response& res) { releaseBlob(req, res); }, {Access::Admin});
    }
  }

 private:
  // While the server shuts down the core answers 503 before any handler runs, so this only
  // ever reports a running server.
  void health(Response& res) {
    Object::Ptr o = new Object;
    o->set("status", "ok");
    o->set("uptime_ms", nowMillis() - server_->startedAt());
    res.sendJson(o);
  }

  void plugins(Response& res) {
    sendList(res, server_->plugins(), [](const auto& p) {
      return stringsJson({{"name", p.name}, {"kind", p.kind}, {"version", p.version}});
    });
  }

  void listRoutes(Response& res) {
    sendList(res, server_->routes(), [](const auto& r) {
      return stringsJson({{"method", r.method}, {"pattern", r.pattern}, {"plugin", r.plugin}});
    });
  }

  void stores(Response& res) {
    sendList(res, server_->stores(), [](const auto& s) {
      return stringsJson({{"role", s.role}, {"instance", s.instance}, {"backend", s.backend}});
    });
  }

  void metrics(Response& res) {
    std::ostringstream os;
    server_->writeMetrics(os);
    res.sendText(os.str(), "text/plain; version=0.0.4");
  }

  void token(Request& req, Response& res) {
    // A token must not renew itself: a leaked one would otherwise never expire.
    if (req.principal().via != Principal::Via::Basic)
      throw Forbidden("tokens are issued for a user name and password (HTTP Basic), not for a token");
    Object::Ptr o = new Object;
    o->set("token", auth_->issueToken(req.principal()));
    o->set("token_type", "Bearer");
    o->set("user", req.principal().name);
    res.sendJson(o);
  }

  void listBlobs(Response& res) { sendList(res, blobs_->list(), blobJson); }

  void putBlob(Request& req, Response& res) {
    if (req.contentLength() < 0 && !req.hasBody())
      throw BadRequest("a blob upload needs a body (Content-Length or chunked)");
    const BlobInfo info = blobs_->put(req.body(), req.contentLength(), UINT64_MAX);
    res.setHeader("Location", "/strata/blobs/" + info.id);
    res.sendJson(blobJson(info), 201);
  }

  std::string blobId(Request& req) {
    const std::string& id = req.param("id");
    if (!isBlobId(id)) throw BadRequest("'" + id + "' is not a blob id (64 lower-case hex digits)");
    return id;
  }

  void getBlob(Request& req, Response& res) {
    const std::string id = blobId(req);
    auto reader = blobs_->open(id);
    const uint64_t size = reader->size();
    uint64_t first = 0, last = size ? size - 1 : 0;
    bool partial = false;
    if (auto range = req.header("Range")) {
      try {
        partial = parseRange(*range, size, first, last);
      } catch (const RangeNotSatisfiable&) {
        res.setHeader("Content-Range", "bytes */" + std::to_string(size));
        throw;
      }
    }
    res.setHeader("ETag", "\"" + id + "\"");
    res.setHeader("Accept-Ranges", "bytes");
    if (auto inm = req.header("If-None-Match"); inm && Poco::trim(*inm) == "\"" + id + "\"") {
      res.sendEmpty(304);
      return;
    }
    const uint64_t length = size == 0 ? 0 : last - first + 1;
    if (partial) {
      res.setStatus(206);
      res.setHeader("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                         std::to_string(size));
    }
    auto out = res.beginBody("application/octet-stream", static_cast<int64_t>(length));
    if (!res.headRequest()) {
      std::vector<char> buf(kResponseBlockBytes);
      uint64_t offset = first;
      uint64_t left = length;
      while (left > 0) {
        const std::size_t n = reader->read(offset, buf.data(), std::min<uint64_t>(left, buf.size()));
        if (n == 0) throw InternalError("blob " + id + " ended early");
        out->write(buf.data(), n);
        offset += n;
        left -= n;
      }
    }
    out->close();
  }

  void releaseBlob(Request& req, Response& res) {
    const uint64_t left = blobs_->release(blobId(req));
    Object::Ptr o = new Object;
    o->set("refs", left);
    res.sendJson(o);
  }

  const ServerInfo* server_ = nullptr;
  const Authenticator* auth_ = nullptr;
  std::shared_ptr<BlobStore> blobs_;
};

}  // namespace
}  // namespace strata::admin

STRATA_ENDPOINT_PLUGIN(strata::admin::AdminPlugin, "admin", "0.1.0")
