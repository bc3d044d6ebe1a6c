#pragma once
// Small helpers shared by the core and plugins.
#include <strata/export.h>

#include <cstdint>
#include <string>

namespace strata {

// Milliseconds since the epoch.
STRATA_API int64_t nowMillis();
// ISO 8601 UTC with milliseconds: 2026-01-31T12:00:00.000Z
STRATA_API std::string isoTime(int64_t millis);
// A random version-4 UUID.
STRATA_API std::string newUuid();
// Streaming SHA-256.
class STRATA_API Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  std::string hexDigest();  // finishes the digest

 private:
  void* ctx_;
};

}  // namespace strata
