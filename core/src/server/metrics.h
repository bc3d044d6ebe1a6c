#pragma once
// Request metrics for GET /strata/metrics, in Prometheus text format: requests by route and
// status, a latency histogram per route, bytes in and out per route.
//
// Thread-safety: record() and write() may be called concurrently.
#include <strata/export.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>

namespace strata {

class STRATA_API Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  // `route` is the matched pattern, or "unmatched".
  void record(const std::string& method, const std::string& route, int status, double seconds,
              uint64_t bytesIn, uint64_t bytesOut);
  void write(std::ostream& out) const;

 private:
  struct Latency {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Latency> latency_;
};

}  // namespace strata
