#pragma once
// What the store contract suites share: the backends they run against, and opening stores the
// way the server does (configuration -> StoreRegistry -> backend plugin module).
//
// Adding a backend to a suite is adding one BackendParam to its INSTANTIATE_TEST_SUITE_P list.
#include "plugin_loader.h"
#include "store_registry.h"
#include "support/test_support.h"

#include <gtest/gtest.h>

#include <Poco/Logger.h>
#include <strata/stores/array_store.h>
#include <strata/stores/annotation_store.h>
#include <strata/stores/entity_store.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

namespace strata::test {

// A ByteSource over `bytes` (which must outlive it), at most `piece` bytes per call, as a
// client sending a body in small pieces would.
inline ByteSource sourceOf(const std::string& bytes,
                           std::size_t piece = std::numeric_limits<std::size_t>::max()) {
  auto pos = std::make_shared<std::size_t>(0);
  return [&bytes, piece, pos](char* out, std::size_t n) {
    const std::size_t k = std::min({n, piece, bytes.size() - *pos});
    std::memcpy(out, bytes.data() + *pos, k);
    *pos += k;
    return k;
  };
}

struct BackendParam {
  // The backend's name (stores.<role>.t.backend), also the test name suffix.
  std::string backend;
  // The backend's other keys under stores.<role>.t, given a fresh directory it may use.
  std::function<std::map<std::string, std::string>(const std::string& dir)> keys;
  // The test name suffix if not the backend's name.
  std::string label = {};
  // If set and it returns a reason, the tests on this backend are skipped with it (a database
  // server that cannot be started here).
  std::function<std::string()> unavailable = {};
};

inline BackendParam memoryBackend() {
  return {"memory", [](const std::string&) { return std::map<std::string, std::string>{}; }};
}

inline BackendParam fsBackend() {
  return {"fs", [](const std::string& dir) {
            return std::map<std::string, std::string>{{"path", dir + "/blobs"}};
          }};
}

// One RocksDB database per directory; stores of different roles given the same directory share it.
inline BackendParam rocksdbBackend() {
  return {"rocksdb", [](const std::string& dir) {
            return std::map<std::string, std::string>{{"path", dir + "/db"}};
          }};
}

// The sql backend on a SQLite file in the directory (stores of different roles given the same
// directory share it).
inline BackendParam sqlBackend() {
  return {"sql", [](const std::string& dir) {
            return std::map<std::string, std::string>{{"connector", "sqlite"},
                                                      {"connection", dir + "/strata.db"}};
          }};
}

// The sql backend on a fresh database of a PostgreSQL server the tests start
// (support/postgres_server.h), or skipped where none can be started.
BackendParam sqlPostgresBackend();

inline std::string backendName(const testing::TestParamInfo<BackendParam>& info) {
  return info.param.label.empty() ? info.param.backend : info.param.label;
}

// A configuration holding one store instance "t" of `role`.
inline std::map<std::string, std::string> storeConfig(const std::string& role, const BackendParam& backend,
                                                      const std::string& dir) {
  const std::string prefix = "stores." + role + ".t.";
  std::map<std::string, std::string> values{{prefix + "backend", backend.backend}};
  for (const auto& [key, value] : backend.keys(dir)) values[prefix + key] = value;
  return values;
}

// The configuration, plugin loader and store registry of one "server start", in the order the
// registry needs them to outlive it.
class OpenStores {
 public:
  explicit OpenStores(const std::map<std::string, std::string>& values)
      : config_(makeConfig(values)),
        loader_({STRATA_PLUGIN_DIR}),
        registry_(*config_, loader_, Poco::Logger::get("test")) {
    registry_.createAll();
  }
  StoreRegistry& registry() { return registry_; }

 private:
  Poco::AutoPtr<Poco::Util::MapConfiguration> config_;
  PluginLoader loader_;
  StoreRegistry registry_;
};

// A test of one store role on one backend (the parameter): the store instance "t" of that role
// is opened in SetUp and closed in TearDown; close() then open() reopens it on the same
// directory, for what must survive a restart on the persistent backends.
template <typename Store>
class StoreFixture : public testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      const std::string why = GetParam().unavailable();
      if (!why.empty()) GTEST_SKIP() << why;
    }
    open();
  }
  void TearDown() override { close(); }
  void open() {
    if constexpr (std::is_same_v<Store, EntityStore>) {
      stores_ = std::make_unique<OpenStores>(storeConfig("entities", GetParam(), dir_.path()));
      store_ = stores_->registry().entities("t");
    } else {
      stores_ = std::make_unique<OpenStores>(storeConfig("annotations", GetParam(), dir_.path()));
      store_ = stores_->registry().annotations("t");
    }
    ASSERT_TRUE(store_);
  }
  void close() {
    store_.reset();
    stores_.reset();
  }
  bool persistent() const { return GetParam().backend != "memory"; }

  TempDir dir_;
  std::unique_ptr<OpenStores> stores_;
  std::shared_ptr<Store> store_;
};
using EntityStoreFixture = StoreFixture<EntityStore>;
using AnnotationStoreFixture = StoreFixture<AnnotationStore>;

// Annotations of one key and type, for the annotations suites.
inline Annotation strings(const std::string& key, std::vector<std::string> values) {
  Annotation a{key, AnnotationType::String, {}};
  for (auto& v : values) a.values.emplace_back(std::move(v));
  return a;
}
inline Annotation longs(const std::string& key, std::vector<int64_t> values,
                        AnnotationType type = AnnotationType::Long) {
  Annotation a{key, type, {}};
  for (auto v : values) a.values.emplace_back(v);
  return a;
}
inline Annotation doubles(const std::string& key, std::vector<double> values) {
  Annotation a{key, AnnotationType::Double, {}};
  for (auto v : values) a.values.emplace_back(v);
  return a;
}
inline Annotation booleans(const std::string& key, std::vector<bool> values) {
  Annotation a{key, AnnotationType::Boolean, {}};
  for (bool v : values) a.values.emplace_back(v);
  return a;
}
inline Annotation blobs(const std::string& key, std::vector<std::string> values) {
  Annotation a{key, AnnotationType::Blob, {}};
  for (auto& v : values) a.values.emplace_back(AnnotationBlob{std::move(v)});
  return a;
}

}  // namespace strata::test
