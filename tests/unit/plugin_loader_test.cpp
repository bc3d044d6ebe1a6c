#include "plugin_loader.h"

#include <strata/endpoint_plugin.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <set>

namespace strata {
namespace {

std::string loadError(const std::string& kind, const std::string& name) {
  PluginLoader loader({STRATA_FIXTURE_DIR});
  try {
    loader.load(kind, name);
  } catch (const StartupError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(PluginLoader, LoadsAGoodPlugin) {
  PluginLoader loader({"/nonexistent", STRATA_FIXTURE_DIR});
  LoadedPlugin& p = loader.load("endpoint", "fixture");
  EXPECT_EQ(p.info.name, "fixture");
  EXPECT_EQ(p.info.kind, "endpoint");
  EXPECT_EQ(p.info.version, "0.0.1");
  ASSERT_TRUE(p.plugin);
  EXPECT_NE(dynamic_cast<EndpointPlugin*>(p.plugin.get()), nullptr);
  // A second load returns the same plugin.
  EXPECT_EQ(&loader.load("endpoint", "fixture"), &p);
}

TEST(PluginLoader, MissingFileNamesTheSearchPath) {
  const auto msg = loadError("endpoint", "absent");
  EXPECT_TRUE(contains(msg, "strata-endpoint-absent.so")) << msg;
  EXPECT_TRUE(contains(msg, STRATA_FIXTURE_DIR)) << msg;
}

TEST(PluginLoader, NotAnElfFile) {
  const auto msg = loadError("endpoint", "garbage");
  EXPECT_TRUE(contains(msg, "cannot load plugin file")) << msg;
}

TEST(PluginLoader, MissingInfoSymbol) {
  const auto msg = loadError("endpoint", "not-a-plugin");
  EXPECT_TRUE(contains(msg, "does not export strata_plugin_info")) << msg;
}

TEST(PluginLoader, MissingCreateSymbol) {
  const auto msg = loadError("endpoint", "no-create");
  EXPECT_TRUE(contains(msg, "does not export strata_plugin_create")) << msg;
}

TEST(PluginLoader, WrongAbiVersionNamesBothValues) {
  const auto msg = loadError("endpoint", "wrong-abi");
  EXPECT_TRUE(contains(msg, "ABI version " + std::to_string(STRATA_ABI_VERSION + 100))) << msg;
  EXPECT_TRUE(contains(msg, "server has ABI version " + std::to_string(STRATA_ABI_VERSION))) << msg;
}

TEST(PluginLoader, WrongBuildSignatureNamesBothValues) {
  const auto msg = loadError("endpoint", "wrong-signature");
  EXPECT_TRUE(contains(msg, "gcc-1|cxx11abi=0|poco=0x00000000")) << msg;
  EXPECT_TRUE(contains(msg, STRATA_BUILD_SIGNATURE)) << msg;
}

TEST(PluginLoader, WrongKind) {
  PluginLoader loader({STRATA_FIXTURE_DIR});
  std::string msg;
  try {
    loader.loadFile(std::string(STRATA_FIXTURE_DIR) + "/strata-backend-not-an-endpoint.so", "endpoint");
  } catch (const StartupError& e) {
    msg = e.what();
  }
  EXPECT_TRUE(contains(msg, "is a backend plugin, but was loaded as a endpoint")) << msg;
}

TEST(PluginLoader, DuplicateNameNamesBothFiles) {
  PluginLoader loader({STRATA_FIXTURE_DIR});
  loader.load("endpoint", "fixture");
  try {
    loader.load("endpoint", "fixture-twin");
    FAIL();
  } catch (const StartupError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "duplicate plugin name 'fixture'")) << msg;
    EXPECT_TRUE(contains(msg, "strata-endpoint-fixture.so")) << msg;
    EXPECT_TRUE(contains(msg, "strata-endpoint-fixture-twin.so")) << msg;
  }
}

TEST(PluginLoader, RejectsOddNames) {
  EXPECT_TRUE(contains(loadError("endpoint", "../etc/passwd"), "invalid endpoint plugin name"));
}

// Every real plugin exports exactly the two gate symbols.
TEST(PluginExports, RealPluginsExportExactlyTwoSymbols) {
  const std::string cmd =
      std::string("cd '") + STRATA_PLUGIN_DIR +
      "' && for f in strata-*.so; do echo \"== $f\"; nm -D --defined-only $f | awk '{print $3}'; done";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::map<std::string, std::set<std::string>> symbols;
  std::string current;
  char line[4096];
  while (fgets(line, sizeof line, pipe.get())) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.rfind("== ", 0) == 0) {
      current = s.substr(3);
      symbols[current];
    } else if (!s.empty()) {
      symbols[current].insert(s);
    }
  }
  ASSERT_GE(symbols.size(), 3u) << "expected the admin, memory and fs plugins at least";
  for (const auto& [file, syms] : symbols)
    EXPECT_EQ(syms, (std::set<std::string>{"strata_plugin_create", "strata_plugin_info"})) << file;
}

}  // namespace
}  // namespace strata
