#pragma once
// Read-only facts about the running server, for introspection endpoints (the admin plugin).
#include <strata/export.h>
#include <strata/route_registry.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace strata {

struct STRATA_API PluginInfo {
  std::string name;
  std::string kind;  // "endpoint" or "backend"
  std::string version;
  std::string file;
};

struct STRATA_API StoreInfo {
  std::string role;
  std::string instance;
  std::string backend;
};

class STRATA_API ServerInfo {
 public:
  virtual ~ServerInfo();
  virtual std::vector<PluginInfo> plugins() const = 0;
  virtual std::vector<RouteInfo> routes() const = 0;
  virtual std::vector<StoreInfo> stores() const = 0;
  // Prometheus text exposition format (version 0.0.4) of the server's metrics.
  virtual void writeMetrics(std::ostream& out) const = 0;
  virtual int64_t startedAt() const = 0;  // ms since epoch
  virtual bool draining() const = 0;      // true once shutdown has begun
};

}  // namespace strata
