// The hdf endpoint plugin's settings: body size limits and settings that stop the server.

#include "api/hdf_api_fixture.h"

namespace strata::test {
namespace {

// Request bodies past the limits: a JSON body over plugins.hdf.maxJsonBytes and a raw binary
// body over server.maxBodyBytes are 413 in h5serv's error form, and the values stay as they were.
TEST(HdfConfig, OversizedBodiesAre413AndChangeNothing) {
  ServerProcess s({{"plugins.load", "hdf"},
                   {"stores.arrays.default.backend", "memory"},
                   {"stores.entities.default.backend", "memory"},
                   {"auth.anonymousWrites", "true"},
                   {"plugins.hdf.maxJsonBytes", "1K"},
                   {"server.maxBodyBytes", "64K"}});
  const std::map<std::string, std::string> host{{"Host", "big.test.hdfgroup.org"},
                                                {"Content-Type", "application/json"}};
  ASSERT_EQ(s.request("PUT", "/", "", host).status, 201);
  auto r = s.request("POST", "/datasets", R"({"type": "H5T_STD_U8LE", "shape": [100000]})", host);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id =
      Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("id");
  const std::string value = "/datasets/" + id + "/value";
  ASSERT_EQ(s.request("PUT", value + "?select=[0:4]", R"({"value": [1, 2, 3, 4]})", host).status, 200);

  std::string list = "{\"value\": [";
  for (int i = 0; i < 600; ++i) list += i ? ",7" : "7";
  list += "], \"start\": 0, \"stop\": 600}";
  r = s.request("PUT", value, list, host);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"status\":413"), std::string::npos) << r.body;

  auto binary = host;
  binary["Content-Type"] = "application/octet-stream";
  r = s.request("PUT", value + "?select=[0:100000]", std::string(100000, '\x05'), binary);
  EXPECT_EQ(r.status, 413) << r.body;

  r = s.request("GET", value + "?select=[0:6]", "", host);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(compact(Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->get("value")),
            "[1,2,3,4,0,0]");
  EXPECT_TRUE(s.running());
}

TEST(HdfConfig, BadSettingsStopTheServerAtStartUp) {
  const std::map<std::string, std::string> base = {{"plugins.load", "hdf"},
                                                   {"stores.arrays.default.backend", "memory"},
                                                   {"stores.entities.default.backend", "memory"},
                                                   {"auth.anonymousWrites", "true"}};
  auto with = [&](const std::string& key, const std::string& value) {
    auto cfg = base;
    cfg[key] = value;
    return runServerExpectingExit(cfg);
  };
  auto [code, out] = with("plugins.hdf.domain", ".hdfgroup.org");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.domain"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.homeDir", "a/b");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.homeDir"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.maxTombstones", "-1");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.maxTombstones"), std::string::npos) << out;
  std::tie(code, out) = with("plugins.hdf.bogus", "1");
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("plugins.hdf.bogus"), std::string::npos) << out;
  // ACLs need an entities store unless they are switched off.
  auto cfg = base;
  cfg.erase("stores.entities.default.backend");
  std::tie(code, out) = runServerExpectingExit(cfg);
  EXPECT_NE(code, 0) << out;
  cfg["plugins.hdf.acls"] = "false";
  ServerProcess s(cfg);
  auto r = s.request("PUT", "/", "", {{"Host", "noacl.test.hdfgroup.org"}});
  EXPECT_EQ(r.status, 201);
  r = s.request("PUT", "/acls/x", R"({"read": false})", {{"Host", "noacl.test.hdfgroup.org"}});
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(s.stop(), 0);
}

}  // namespace
}  // namespace strata::test
