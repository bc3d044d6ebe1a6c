#pragma once
// Authentication: HTTP Basic against the users file (salted PBKDF2-HMAC-SHA256 hashes) and
// Bearer tokens (JWT, HS256, signed with `auth.jwtSecret`), and against the user directories
// that plugins register (strata/user_directory.h; the users file is asked first). The router
// authenticates every request before its handler runs; handlers read the result from
// Request::principal().
//
// Tokens may carry a type (the claim `jtt`) and extra claims. Only untyped tokens and tokens of
// type "access" are Bearer credentials: any other type (a "refresh" token) is refused with 401,
// and is only good for the plugin that issued it, through verifyToken.
//
// Users file: one user per line, `name:pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>[:group,group]`;
// `#` starts a comment. `strata-server --hash-password` prints such a hash.
//
// Thread-safety: all methods may be called concurrently.
#include <strata/export.h>
#include <strata/principal.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace strata {

// The operator group: its members pass every admin-only route and every access check that
// plugins keep themselves (such as ACLs), so that the operator can always repair access.
inline constexpr const char* kAdminGroup = "admin";

// The claim that holds a token's type, and the one type that Bearer authentication accepts
// besides untyped tokens.
inline constexpr const char* kTokenTypeClaim = "jtt";
inline constexpr const char* kAccessTokenType = "access";

// Extra claims of a token: strings and integers.
using ClaimValue = std::variant<std::string, int64_t>;
using Claims = std::map<std::string, ClaimValue>;

// What a valid token says.
struct STRATA_API TokenClaims {
  std::string type;       // the `jtt` claim; empty for an untyped token
  std::string subject;    // the user's name (`sub`)
  int64_t issuedAt = 0;   // `iat`, seconds since the epoch (0 if absent)
  int64_t expiresAt = 0;  // `exp`, seconds since the epoch
  Claims extra;           // every other claim whose value is a string or an integer
};

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
  // A signed untyped token for the principal, valid for `ttlSeconds` (0: auth.tokenTtl).
  virtual std::string issueToken(const Principal& principal, int64_t ttlSeconds = 0) const = 0;
  // A signed token of `type` (empty: untyped) with `extra` claims, valid for `ttlSeconds`
  // (0: auth.tokenTtl). The names sub, exp, iat, nbf and jtt are the core's: InternalError if
  // `extra` holds one.
  virtual std::string issueToken(const Principal& principal, const std::string& type, const Claims& extra,
                                 int64_t ttlSeconds = 0) const = 0;
  // Checks a token of any type: its signature, its expiry, and that its subject is still a
  // user (users file or directory) and active. Returns its claims; throws Unauthorized with
  // the code "token_not_valid" and a reason otherwise (malformed, bad signature, expired, no
  // such user, inactive user). For endpoints that take a token in a body (verify, refresh);
  // the caller checks the type it expects.
  virtual TokenClaims verifyToken(const std::string& token) const = 0;
  // Checks a user's password directly (for login endpoints that take a JSON body): users file,
  // then directories; nullopt for an unknown user, a wrong password or an inactive user.
  virtual std::optional<Principal> checkPassword(const std::string& user,
                                                 const std::string& password) const = 0;
  // Whether `name` is a user the server authenticates (a line of the users file, or a user of
  // a directory, active or not). For plugins that name users in their data, such as ACL
  // entries.
  virtual bool hasUser(const std::string& name) const = 0;
};

// A users-file line's hash part for `password` (random salt, `iterations` rounds).
STRATA_API std::string hashPassword(const std::string& password, int iterations = 200000);
// Constant-time check of a password against such a hash; false for malformed hashes.
STRATA_API bool verifyPassword(const std::string& password, const std::string& hash);

}  // namespace strata
