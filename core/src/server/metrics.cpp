#include "metrics.h"

#include <tuple>

namespace strata {

namespace {
// Label values escape backslash, double quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

void Metrics::record(const std::string& method, const std::string& route, int status, double seconds,
                     uint64_t bytesIn, uint64_t bytesOut) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, route, status}];
  auto& l = latency_[{method, route}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++l.buckets[i];
  ++l.count;
  l.sum += seconds;
  l.bytesIn += bytesIn;
  l.bytesOut += bytesOut;
}

void Metrics::write(std::ostream& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP strata_http_requests_total HTTP requests by method, route and status.\n"
         "# TYPE strata_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [method, route, status] = key;
    out << "strata_http_requests_total{method=\"" << method << "\",route=\"" << label(route) << "\",status=\""
        << status << "\"} " << n << "\n";
  }
  out << "# HELP strata_http_request_duration_seconds Time from request headers to the end of "
         "the response.\n# TYPE strata_http_request_duration_seconds histogram\n";
  for (const auto& [key, l] : latency_) {
    const std::string labels = "method=\"" + key.first + "\",route=\"" + label(key.second) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out << "strata_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBuckets[i] << "\"} "
          << l.buckets[i] << "\n";
    out << "strata_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << l.count << "\n";
    out << "strata_http_request_duration_seconds_sum{" << labels << "} " << l.sum << "\n";
    out << "strata_http_request_duration_seconds_count{" << labels << "} " << l.count << "\n";
  }
  out << "# HELP strata_http_request_bytes_total Request body bytes read.\n"
         "# TYPE strata_http_request_bytes_total counter\n";
  for (const auto& [key, l] : latency_)
    out << "strata_http_request_bytes_total{method=\"" << key.first << "\",route=\"" << label(key.second)
        << "\"} " << l.bytesIn << "\n";
  out << "# HELP strata_http_response_bytes_total Response body bytes written.\n"
         "# TYPE strata_http_response_bytes_total counter\n";
  for (const auto& [key, l] : latency_)
    out << "strata_http_response_bytes_total{method=\"" << key.first << "\",route=\"" << label(key.second)
        << "\"} " << l.bytesOut << "\n";
}

}  // namespace strata
