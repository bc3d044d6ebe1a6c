#include "router.h"

#include <strata/errors.h>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>

namespace strata {

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> param;
  std::unique_ptr<Node> tail;
  std::map<std::string, Route> methods;
  // Error format for 404/405 answers at or below this node: the first plugin whose routes
  // pass through it.
  std::shared_ptr<const ErrorRenderer> errors;
  std::string errorsPlugin;
};

class ScopedRegistry : public RouteRegistry {
 public:
  ScopedRegistry(Router& router, std::string plugin) : router_(router), plugin_(std::move(plugin)) {}
  void add(const std::string& method, const std::string& pattern, Handler handler,
           RouteOptions options) override {
    router_.add(plugin_, method, pattern, std::move(handler), std::move(options));
  }
  void setErrorRenderer(std::shared_ptr<const ErrorRenderer> renderer) override {
    router_.pluginErrors_[plugin_] = std::move(renderer);
  }

 private:
  Router& router_;
  std::string plugin_;
};

Router::Router(std::shared_ptr<const ErrorRenderer> defaultErrors)
    : root_(std::make_unique<Node>()), defaultErrors_(std::move(defaultErrors)) {}
Router::~Router() = default;

std::unique_ptr<RouteRegistry> Router::scope(const std::string& plugin) {
  return std::make_unique<ScopedRegistry>(*this, plugin);
}

namespace {
bool isParam(const std::string& seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }
bool isTail(const std::string& seg) {
  return isParam(seg) && seg.size() > 5 && seg.compare(seg.size() - 4, 4, "...}") == 0;
}
}  // namespace

void Router::add(const std::string& plugin, const std::string& method, const std::string& pattern,
                 Handler handler, RouteOptions options) {
  static const std::vector<std::string> methods = {"GET",   "PUT",  "POST",   "DELETE",
                                                   "PATCH", "HEAD", "OPTIONS"};
  if (std::find(methods.begin(), methods.end(), method) == methods.end())
    throw StartupError("plugin '" + plugin + "' registers route " + method + " " + pattern +
                       " with an unsupported method");
  if (pattern.empty() || pattern[0] != '/')
    throw StartupError("plugin '" + plugin + "' registers route " + method + " " + pattern +
                       ": a pattern must start with '/'");
  if (!handler)
    throw StartupError("plugin '" + plugin + "' registers route " + pattern + " without a handler");

  std::vector<std::string> segs;
  {
    std::string cur;
    for (std::size_t i = 1; i <= pattern.size(); ++i) {
      if (i == pattern.size() || pattern[i] == '/') {
        if (!cur.empty()) segs.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(pattern[i]);
      }
    }
  }
  auto renderer = options.errors;
  if (!renderer) {
    auto it = pluginErrors_.find(plugin);
    renderer = it != pluginErrors_.end() ? it->second : defaultErrors_;
  }
  options.errors = renderer;

  Route route{method, pattern, plugin, {}, std::move(handler), std::move(options)};
  Node* node = root_.get();
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = segs[i];
    if (isTail(s)) {
      if (i + 1 != segs.size())
        throw StartupError("route " + pattern + " of plugin '" + plugin +
                           "': a {name...} segment must be the last");
      route.paramNames.push_back(s.substr(1, s.size() - 5));
      if (!node->tail) node->tail = std::make_unique<Node>();
      node = node->tail.get();
    } else if (isParam(s)) {
      route.paramNames.push_back(s.substr(1, s.size() - 2));
      if (!node->param) node->param = std::make_unique<Node>();
      node = node->param.get();
    } else {
      auto& child = node->literals[s];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
    if (!node->errors) {
      node->errors = renderer;
      node->errorsPlugin = plugin;
    }
  }
  auto existing = node->methods.find(method);
  if (existing != node->methods.end())
    throw StartupError("duplicate route " + method + " " + pattern + ": registered by plugin '" +
                       existing->second.plugin + "' (as " + existing->second.pattern + ") and by plugin '" +
                       plugin + "'");
  infos_.push_back({method, pattern, plugin});
  node->methods.emplace(method, std::move(route));
}

const Router::Node* Router::match(const Node& node, const std::vector<std::string>& segments, std::size_t i,
                                  std::vector<std::string>& values) const {
  if (i == segments.size()) {
    if (!node.methods.empty()) return &node;
    return nullptr;
  }
  auto lit = node.literals.find(segments[i]);
  if (lit != node.literals.end()) {
    if (auto* found = match(*lit->second, segments, i + 1, values)) return found;
  }
  if (node.param) {
    values.push_back(segments[i]);
    if (auto* found = match(*node.param, segments, i + 1, values)) return found;
    values.pop_back();
  }
  if (node.tail && !node.tail->methods.empty()) {
    std::string rest;
    for (std::size_t j = i; j < segments.size(); ++j) {
      if (j > i) rest += '/';
      rest += segments[j];
    }
    values.push_back(rest);
    return node.tail.get();
  }
  return nullptr;
}

Router::Lookup Router::find(const std::string& method, const std::vector<std::string>& segments) const {
  Lookup out;
  // The error format: the deepest node reachable along the path (literals first).
  out.errors = defaultErrors_;
  {
    const Node* n = root_.get();
    for (const auto& s : segments) {
      auto lit = n->literals.find(s);
      const Node* next = lit != n->literals.end() ? lit->second.get()
                         : n->param               ? n->param.get()
                                                  : n->tail.get();
      if (!next) break;
      if (next->errors) out.errors = next->errors;
      if (next == n->tail.get()) break;
      n = next;
    }
  }
  std::vector<std::string> values;
  const Node* node = match(*root_, segments, 0, values);
  if (!node) return out;
  out.pathKnown = true;
  for (const auto& [m, r] : node->methods) out.allow.push_back(m);
  if (node->methods.count("GET") && !node->methods.count("HEAD")) out.allow.push_back("HEAD");
  if (!node->methods.count("OPTIONS")) out.allow.push_back("OPTIONS");
  std::sort(out.allow.begin(), out.allow.end());

  auto it = node->methods.find(method);
  if (it == node->methods.end() && method == "HEAD") it = node->methods.find("GET");
  if (it == node->methods.end()) return out;
  out.route = &it->second;
  out.errors = it->second.options.errors;
  for (std::size_t k = 0; k < values.size() && k < it->second.paramNames.size(); ++k)
    out.params[it->second.paramNames[k]] = values[k];
  return out;
}

std::vector<RouteInfo> Router::routes() const {
  auto out = infos_;
  std::sort(out.begin(), out.end(), [](const RouteInfo& a, const RouteInfo& b) {
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.method < b.method;
  });
  return out;
}

std::vector<std::string> Router::splitPath(const std::string& rawPath) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= rawPath.size()) {
    std::size_t end = rawPath.find('/', start);
    if (end == std::string::npos) end = rawPath.size();
    if (end > start) {
      std::string decoded;
      try {
        Poco::URI::decode(rawPath.substr(start, end - start), decoded);
      } catch (const Poco::Exception&) {
        throw BadRequest("malformed percent-encoding in the path");
      }
      out.push_back(decoded);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace strata
