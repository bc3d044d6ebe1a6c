#pragma once
// The server's Authenticator: users from a users file, tokens signed with a shared secret.
//
// Keys (section "auth"): usersFile (path; none means no users), anonymous (bool, default
// true: anonymous reads), anonymousWrites (bool, default false: anonymous writes, only with
// anonymous), jwtSecret (at least 32 characters; without one a random secret is made at start-up
// and tokens do not survive a restart), tokenTtl (seconds, default 3600), realm (default
// "Strata"), maxFailedLogins (default 10; 0: no limit) and failedLoginWindow (seconds,
// default 60): see login_limiter.h.
#include <strata/auth.h>
#include <strata/config_section.h>
#include <strata/export.h>
#include <strata/user_directory.h>

#include <memory>

namespace strata {

// The core's side of the authenticator: plugins' user directories come and go through it.
class STRATA_API CoreAuthenticator : public Authenticator {
 public:
  // Directories are asked after the users file, in the order they were added.
  virtual void addUserDirectory(std::shared_ptr<const UserDirectory> directory) = 0;
  // Drops every directory (before the plugins that made them are destroyed).
  virtual void clearUserDirectories() noexcept = 0;
};

STRATA_API std::unique_ptr<CoreAuthenticator> makeAuthenticator(const ConfigSection& auth);

}  // namespace strata
