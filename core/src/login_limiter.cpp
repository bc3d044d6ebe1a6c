#include "login_limiter.h"

#include <algorithm>

namespace strata {

namespace {
thread_local std::string currentClient;
// Addresses remembered at most; past it, addresses with no failure in the window are dropped
// first, then arbitrary ones.
constexpr std::size_t kMaxAddresses = 100000;
}  // namespace

LoginsThrottled::LoginsThrottled(int64_t retryAfterSeconds)
    : Error(429, "too_many_failed_logins",
            "too many failed logins from this client address; try again in " +
                std::to_string(retryAfterSeconds) + " seconds"),
      retryAfter_(retryAfterSeconds) {}
LoginsThrottled::~LoginsThrottled() = default;

LoginClientScope::LoginClientScope(std::string address) : previous_(std::move(currentClient)) {
  currentClient = std::move(address);
}
LoginClientScope::~LoginClientScope() { currentClient = std::move(previous_); }
const std::string& LoginClientScope::current() { return currentClient; }

LoginLimiter::LoginLimiter(int64_t maxFailures, int64_t windowSeconds)
    : max_(maxFailures), window_(windowSeconds) {}

std::optional<int64_t> LoginLimiter::blockedFor(const std::string& address, Clock::time_point now) const {
  if (max_ <= 0 || address.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = failures_.find(address);
  if (it == failures_.end() || static_cast<int64_t>(it->second.size()) < max_) return std::nullopt;
  // The deque holds at most max_ times: the oldest decides when one more try is allowed.
  const auto until = it->second.front() + window_;
  if (until <= now) return std::nullopt;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
  return std::max<int64_t>(1, (ms + 999) / 1000);
}

std::optional<LoginLimiter::Clock::time_point> LoginLimiter::reserve(const std::string& address,
                                                                     Clock::time_point now) {
  if (max_ <= 0 || address.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = failures_.find(address);
  if (it == failures_.end()) {
    if (failures_.size() >= kMaxAddresses) prune(now);
    it = failures_.emplace(address, std::deque<Clock::time_point>{}).first;
  }
  auto& times = it->second;
  while (!times.empty() && times.front() + window_ <= now) times.pop_front();
  if (static_cast<int64_t>(times.size()) >= max_) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(times.front() + window_ - now).count();
    throw LoginsThrottled(std::max<int64_t>(1, (ms + 999) / 1000));
  }
  times.push_back(now);
  return now;
}

void LoginLimiter::forgive(const std::string& address, Clock::time_point mark) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return;
  auto& times = it->second;
  auto pos = std::find(times.rbegin(), times.rend(), mark);
  if (pos != times.rend()) times.erase(std::next(pos).base());
  if (times.empty()) failures_.erase(it);
}

bool LoginLimiter::full(const std::string& address, Clock::time_point now) const {
  return blockedFor(address, now).has_value();
}

void LoginLimiter::prune(Clock::time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    if (it->second.empty() || it->second.back() + window_ <= now)
      it = failures_.erase(it);
    else
      ++it;
  }
  while (failures_.size() >= kMaxAddresses) failures_.erase(failures_.begin());
}

}  // namespace strata
