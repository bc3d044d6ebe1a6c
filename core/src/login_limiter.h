#pragma once
// The failed-login limit (auth.maxFailedLogins within auth.failedLoginWindow seconds): per
// client address, the times of its recent failed password checks. An address with that many
// failures inside the window is refused (429 with Retry-After) before any password of it is
// checked, until the oldest of them leaves the window.
//
// The address is the one of the request that the calling thread serves (LoginClientScope,
// set by the server around each request), so that every password check counts, the core's
// Basic authentication and plugins' login routes (Authenticator::checkPassword) alike. Checks
// made outside a request (no scope) are not limited.
//
// Thread-safety: all methods may be called concurrently.
#include <strata/errors.h>
#include <strata/export.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace strata {

// 429 Too Many Requests for a client past the limit; the server adds Retry-After.
class STRATA_API LoginsThrottled : public Error {
 public:
  explicit LoginsThrottled(int64_t retryAfterSeconds);
  ~LoginsThrottled() override;
  int64_t retryAfterSeconds() const noexcept { return retryAfter_; }

 private:
  int64_t retryAfter_;
};

// The client address of the request this thread serves, for the lifetime of the scope.
class STRATA_API LoginClientScope {
 public:
  explicit LoginClientScope(std::string address);
  ~LoginClientScope();
  LoginClientScope(const LoginClientScope&) = delete;
  LoginClientScope& operator=(const LoginClientScope&) = delete;
  // Empty outside a scope.
  static const std::string& current();

 private:
  std::string previous_;
};

class STRATA_API LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // maxFailures 0: no limit.
  LoginLimiter(int64_t maxFailures, int64_t windowSeconds);
  // Seconds until `address` may try again (at least 1), or nullopt if it may now.
  std::optional<int64_t> blockedFor(const std::string& address, Clock::time_point now = Clock::now()) const;
  // Before a password check of `address`: counts it as a failure from now on (so that checks
  // running at the same time count too), or throws LoginsThrottled if the address is at the
  // limit. Returns the mark to forgive() if the check succeeds; nullopt without a limit or an
  // address.
  std::optional<Clock::time_point> reserve(const std::string& address, Clock::time_point now = Clock::now());
  // A check that succeeded: its reservation no longer counts.
  void forgive(const std::string& address, Clock::time_point mark);
  // Whether `address` is at the limit now.
  bool full(const std::string& address, Clock::time_point now = Clock::now()) const;
  int64_t maxFailures() const noexcept { return max_; }
  int64_t windowSeconds() const noexcept { return window_.count(); }

 private:
  void prune(Clock::time_point now);
  const int64_t max_;
  const std::chrono::seconds window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;  // oldest first
};

}  // namespace strata
