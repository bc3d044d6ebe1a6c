// The sql backend's contract runs on PostgreSQL: the shared test server of
// support/postgres_server.h, one schema per test directory.
#include "contract/store_contract_support.h"
#include "support/postgres_server.h"

namespace strata::test {

BackendParam sqlPostgresBackend() {
  BackendParam param;
  param.backend = "sql";
  param.label = "sql_postgresql";
  param.keys = [](const std::string& dir) {
    return std::map<std::string, std::string>{{"connector", "postgresql"},
                                              {"connection", PostgresServer::shared().connection(dir)}};
  };
  param.unavailable = [] { return PostgresServer::shared().unavailable(); };
  return param;
}

}  // namespace strata::test
