#include "router.h"

#include <strata/errors.h>

#include <gtest/gtest.h>

namespace strata {
namespace {

Handler noop() {
  return [](Request&, Response&) {};
}

class RouterTest : public ::testing::Test {
 protected:
  Router router{strataErrorRenderer()};
};

TEST_F(RouterTest, MatchesLiteralsAndParameters) {
  router.add("p", "GET", "/groups/{id}", noop(), {});
  router.add("p", "GET", "/groups/{id}/links/{name}", noop(), {});
  auto m = router.find("GET", {"groups", "g-1", "links", "a b"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/groups/{id}/links/{name}");
  EXPECT_EQ(m.params.at("id"), "g-1");
  EXPECT_EQ(m.params.at("name"), "a b");
}

TEST_F(RouterTest, LiteralWinsOverParameter) {
  router.add("p", "GET", "/datasets/{id}", noop(), {});
  router.add("p", "GET", "/datasets/count", noop(), {});
  EXPECT_EQ(router.find("GET", {"datasets", "count"}).route->pattern, "/datasets/count");
  EXPECT_EQ(router.find("GET", {"datasets", "d1"}).route->pattern, "/datasets/{id}");
}

TEST_F(RouterTest, BacktracksWhenLiteralBranchDeadEnds) {
  router.add("p", "GET", "/a/b", noop(), {});
  router.add("p", "GET", "/a/{x}/c", noop(), {});
  auto m = router.find("GET", {"a", "b", "c"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/a/{x}/c");
  EXPECT_EQ(m.params.at("x"), "b");
}

TEST_F(RouterTest, TailParameterTakesTheRestOfThePath) {
  router.add("p", "GET", "/files/{name...}", noop(), {});
  auto m = router.find("GET", {"files", "dir", "sub", "f.txt"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("name"), "dir/sub/f.txt");
  EXPECT_FALSE(router.find("GET", {"files"}).pathKnown);
}

TEST_F(RouterTest, RootRoute) {
  router.add("p", "GET", "/", noop(), {});
  auto m = router.find("GET", {});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/");
}

TEST_F(RouterTest, UnknownPathAndWrongMethod) {
  router.add("p", "GET", "/x/{id}", noop(), {});
  router.add("p", "DELETE", "/x/{id}", noop(), {});
  auto none = router.find("GET", {"y"});
  EXPECT_FALSE(none.pathKnown);
  EXPECT_EQ(none.route, nullptr);
  auto wrong = router.find("POST", {"x", "1"});
  EXPECT_TRUE(wrong.pathKnown);
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.allow, (std::vector<std::string>{"DELETE", "GET", "HEAD", "OPTIONS"}));
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  router.add("p", "GET", "/x", noop(), {});
  auto m = router.find("HEAD", {"x"});
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->method, "GET");
}

TEST_F(RouterTest, DuplicateRouteNamesBothPlugins) {
  router.add("first", "GET", "/x/{id}", noop(), {});
  try {
    router.add("second", "GET", "/x/{name}", noop(), {});
    FAIL() << "duplicate accepted";
  } catch (const StartupError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'first'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'second'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("GET /x/{name}"), std::string::npos) << msg;
  }
  // Another method on the same pattern is fine.
  EXPECT_NO_THROW(router.add("second", "PUT", "/x/{name}", noop(), {}));
}

TEST_F(RouterTest, RejectsBadPatterns) {
  EXPECT_THROW(router.add("p", "GET", "x", noop(), {}), StartupError);
  EXPECT_THROW(router.add("p", "GET", "/a/{rest...}/b", noop(), {}), StartupError);
  EXPECT_THROW(router.add("p", "BREW", "/a", noop(), {}), StartupError);
  EXPECT_THROW(router.add("p", "GET", "/a", Handler(), {}), StartupError);
}

TEST_F(RouterTest, ErrorFormatFollowsThePlugin) {
  auto reg = router.scope("syn");
  struct PluginErrors : ErrorRenderer {
    void render(const Error&, Response&) const override {}
  };
  std::shared_ptr<const ErrorRenderer> synapse = std::make_shared<PluginErrors>();
  reg->setErrorRenderer(synapse);
  reg->add("GET", "/repo/v1/entity/{id}", noop(), {});
  EXPECT_EQ(router.find("GET", {"repo", "v1", "nothing"}).errors, synapse);
  EXPECT_EQ(router.find("GET", {"repo", "v1", "entity", "1"}).errors, synapse);
  EXPECT_EQ(router.find("GET", {"elsewhere"}).errors, strataErrorRenderer());
}

TEST_F(RouterTest, RoutesAreListedWithTheirPlugin) {
  router.add("b", "GET", "/b", noop(), {});
  router.add("a", "POST", "/a", noop(), {});
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].pattern, "/a");
  EXPECT_EQ(routes[0].plugin, "a");
  EXPECT_EQ(routes[1].method, "GET");
}

TEST(RouterSplitPath, DecodesSegmentsSeparately) {
  EXPECT_EQ(Router::splitPath("/a%2Fb/c%20d/"), (std::vector<std::string>{"a/b", "c d"}));
  EXPECT_EQ(Router::splitPath("/"), std::vector<std::string>{});
  EXPECT_EQ(Router::splitPath("//x//y"), (std::vector<std::string>{"x", "y"}));
  EXPECT_THROW(Router::splitPath("/bad%zz"), BadRequest);
}

}  // namespace
}  // namespace strata
