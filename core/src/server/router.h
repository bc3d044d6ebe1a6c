#pragma once
// The core's route table: patterns registered by plugins, matched segment by segment (literal
// before `{param}` before `{tail...}`).
#include <strata/export.h>
#include <strata/route_registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata {

class STRATA_API Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    std::string plugin;
    std::vector<std::string> paramNames;  // in path order
    Handler handler;
    RouteOptions options;
  };

  struct Lookup {
    const Route* route = nullptr;                 // set when path and method match
    std::map<std::string, std::string> params;    // decoded
    bool pathKnown = false;                       // a route exists for the path (any method)
    std::vector<std::string> allow;               // methods for the path, HEAD/OPTIONS included
    std::shared_ptr<const ErrorRenderer> errors;  // for answers about this path
  };

  explicit Router(std::shared_ptr<const ErrorRenderer> defaultErrors);
  ~Router();

  // A registry whose routes are owned by `plugin`.
  std::unique_ptr<RouteRegistry> scope(const std::string& plugin);
  void add(const std::string& plugin, const std::string& method, const std::string& pattern, Handler handler,
           RouteOptions options);

  // `segments` are the percent-decoded path segments.
  Lookup find(const std::string& method, const std::vector<std::string>& segments) const;
  std::vector<RouteInfo> routes() const;

  // Splits a raw (still encoded) path into decoded segments; a trailing slash is ignored.
  // Throws BadRequest for malformed percent-encoding.
  static std::vector<std::string> splitPath(const std::string& rawPath);

 private:
  struct Node;
  const Node* match(const Node& node, const std::vector<std::string>& segments, std::size_t i,
                    std::vector<std::string>& values) const;
  std::unique_ptr<Node> root_;
  std::shared_ptr<const ErrorRenderer> defaultErrors_;
  std::map<std::string, std::shared_ptr<const ErrorRenderer>> pluginErrors_;
  std::vector<RouteInfo> infos_;
  friend class ScopedRegistry;
};

}  // namespace strata
