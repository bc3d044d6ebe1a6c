#include "support/test_support.h"

#include <strata/config_section.h>
#include <strata/errors.h>

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ConfigSection, ReadsTypedValuesAndTracksUnreadKeys) {
  auto cfg = test::makeConfig({{"plugins.hdf.dataDir", " /data "},
                               {"plugins.hdf.limit", "12"},
                               {"plugins.hdf.ro", "yes"},
                               {"plugins.hdf.size", "64M"},
                               {"plugins.hdf.stores.arrays", "files"},
                               {"plugins.hdf.typo", "1"},
                               {"plugins.other.x", "1"}});
  ConfigSection s(*cfg, "plugins.hdf");
  EXPECT_EQ(s.getString("dataDir"), "/data");
  EXPECT_EQ(s.getInt("limit", 0), 12);
  EXPECT_TRUE(s.getBool("ro", false));
  EXPECT_EQ(s.getSize("size", 0), 64u << 20);
  EXPECT_EQ(s.section("stores").getString("arrays", "default"), "files");
  EXPECT_EQ(s.getInt("missing", 7), 7);
  EXPECT_EQ(s.unreadKeys(), std::vector<std::string>{"plugins.hdf.typo"});
}

TEST(ConfigSection, BadValuesNameTheKey) {
  auto cfg = test::makeConfig({{"server.port", "eighty"}, {"server.on", "maybe"}, {"server.s", "12Q"}});
  ConfigSection s(*cfg, "server");
  try {
    s.getInt("port", 0);
    FAIL();
  } catch (const StartupError& e) {
    EXPECT_NE(std::string(e.what()).find("server.port"), std::string::npos);
  }
  EXPECT_THROW(s.getBool("on", false), StartupError);
  EXPECT_THROW(s.getSize("s", 0), StartupError);
  EXPECT_THROW(s.getString("absent"), StartupError);
}

TEST(ConfigSection, Lists) {
  auto cfg = test::makeConfig({{"plugins.load", "admin, hdf  slycat,"}});
  ConfigSection s(*cfg, "plugins");
  EXPECT_EQ(s.getList("load"), (std::vector<std::string>{"admin", "hdf", "slycat"}));
  EXPECT_TRUE(s.getList("none").empty());
}

TEST(ParseSize, Units) {
  EXPECT_EQ(parseSize("1024", "k"), 1024u);
  EXPECT_EQ(parseSize("2k", "k"), 2048u);
  EXPECT_EQ(parseSize("3MB", "k"), 3u << 20);
  EXPECT_EQ(parseSize("4G", "k"), 4ull << 30);
  EXPECT_THROW(parseSize("", "k"), StartupError);
  EXPECT_THROW(parseSize("-1", "k"), StartupError);
}

}  // namespace
}  // namespace strata
