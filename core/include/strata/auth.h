#pragma once
// Authentication: HTTP Basic against the users file (salted PBKDF2-HMAC-SHA256 hashes) and
// Bearer tokens (JWT, HS256, signed with `auth.jwtSecret`). The router authenticates every
// request before its handler runs; handlers read the result from Request::principal().
//
// Users file: one user per line, `name:pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>[:group,group]`;
// `#` starts a comment. `strata-server --hash-password` prints such a hash.
//
// Thread-safety: all methods may be called concurrently.
#include <strata/export.h>
#include <strata/principal.h>

#include <cstdint>
#include <optional>
#include <string>

namespace strata {

// The operator group: its members pass every admin-only route and every access check that
// plugins keep themselves (such as ACLs), so that the operator can always repair access.
inline constexpr const char* kAdminGroup = "admin";

class STRATA_API Authenticator {
 public:
  virtual ~Authenticator();
  // Checks an Authorization header value. Returns the principal, or nullopt if the value is
  // missing. Throws Unauthorized if credentials are present but wrong, malformed, expired
  // or tampered with.
  virtual std::optional<Principal> authenticate(const std::string& authorizationHeader) const = 0;
  // Whether requests without credentials may read (auth.anonymous, default true).
  virtual bool anonymousAllowed() const = 0;
  // Whether requests without credentials may also write (auth.anonymousWrites, default
  // false; only with anonymousAllowed()). Plugins that grant writes by their own rules, such
  // as ACLs with no entries, grant them to anonymous callers only when this is true.
  virtual bool anonymousWritesAllowed() const = 0;
  // The realm for WWW-Authenticate.
  virtual std::string realm() const = 0;
  // A signed token for the principal, valid for `ttlSeconds` (0: auth.tokenTtl).
  virtual std::string issueToken(const Principal& principal, int64_t ttlSeconds = 0) const = 0;
  // Checks a user's password directly (for login endpoints that take a JSON body).
  virtual std::optional<Principal> checkPassword(const std::string& user,
                                                 const std::string& password) const = 0;
  // Whether `name` is a user the server authenticates (a line of the users file). For
  // plugins that name users in their data, such as ACL entries.
  virtual bool hasUser(const std::string& name) const = 0;
};

// A users-file line's hash part for `password` (random salt, `iterations` rounds).
STRATA_API std::string hashPassword(const std::string& password, int iterations = 200000);
// Constant-time check of a password against such a hash; false for malformed hashes.
STRATA_API bool verifyPassword(const std::string& password, const std::string& hash);

}  // namespace strata
