// The failed-login limit's bookkeeping, with the clock given by the test.
#include "login_limiter.h"

#include <gtest/gtest.h>

#include <thread>

namespace strata {
namespace {

using Clock = LoginLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LoginLimiter, BlocksAtTheLimitUntilTheOldestFailureLeavesTheWindow) {
  LoginLimiter limiter(3, 10);
  const auto t0 = Clock::now();
  EXPECT_TRUE(limiter.reserve("a", t0));
  EXPECT_TRUE(limiter.reserve("a", t0 + seconds(4)));
  EXPECT_FALSE(limiter.blockedFor("a", t0 + seconds(5)));
  EXPECT_TRUE(limiter.reserve("a", t0 + seconds(5)));
  // Three within ten seconds: blocked until t0 + 10, and the address alone.
  EXPECT_EQ(limiter.blockedFor("a", t0 + seconds(5)), 5);
  EXPECT_EQ(limiter.blockedFor("a", t0 + milliseconds(9001)), 1);
  EXPECT_FALSE(limiter.blockedFor("b", t0 + seconds(5)));
  try {
    limiter.reserve("a", t0 + seconds(6));
    ADD_FAILURE() << "no LoginsThrottled";
  } catch (const LoginsThrottled& e) {
    EXPECT_EQ(e.status(), 429);
    EXPECT_EQ(e.retryAfterSeconds(), 4);
  }
  // The oldest leaves the window: one more try, then blocked until the next one leaves.
  EXPECT_FALSE(limiter.blockedFor("a", t0 + seconds(10)));
  EXPECT_TRUE(limiter.reserve("a", t0 + seconds(10)));
  EXPECT_EQ(limiter.blockedFor("a", t0 + seconds(10)), 4);
}

TEST(LoginLimiter, ASucceededCheckIsForgiven) {
  LoginLimiter limiter(2, 60);
  const auto t0 = Clock::now();
  limiter.reserve("a", t0);
  const auto mark = limiter.reserve("a", t0 + seconds(1));
  ASSERT_TRUE(mark);
  EXPECT_TRUE(limiter.full("a", t0 + seconds(1)));
  limiter.forgive("a", *mark);
  EXPECT_FALSE(limiter.full("a", t0 + seconds(1)));
}

TEST(LoginLimiter, NoLimitWithoutAMaximumOrAnAddress) {
  LoginLimiter off(0, 60);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(off.reserve("a"));
  EXPECT_FALSE(off.blockedFor("a"));
  LoginLimiter on(1, 60);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(on.reserve(""));
  EXPECT_FALSE(on.blockedFor(""));
}

TEST(LoginLimiter, TheClientScopeIsPerThreadAndNests) {
  EXPECT_EQ(LoginClientScope::current(), "");
  {
    LoginClientScope outer("client-1");
    {
      LoginClientScope inner("client-2");
      EXPECT_EQ(LoginClientScope::current(), "client-2");
      std::thread([] { EXPECT_EQ(LoginClientScope::current(), ""); }).join();
    }
    EXPECT_EQ(LoginClientScope::current(), "client-1");
  }
  EXPECT_EQ(LoginClientScope::current(), "");
}

}  // namespace
}  // namespace strata
