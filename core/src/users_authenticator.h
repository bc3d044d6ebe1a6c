#pragma once
// The server's Authenticator: users from a users file, tokens signed with a shared secret.
//
// Keys (section "auth"): usersFile (path; none means no users), anonymous (bool, default
// true: anonymous reads), anonymousWrites (bool, default false: anonymous writes, only with
// anonymous), jwtSecret (at least 32 characters; without one a random secret is made at start-up
// and tokens do not survive a restart), tokenTtl (seconds, default 3600), realm (default
// "Strata").
#include <strata/auth.h>
#include <strata/config_section.h>
#include <strata/export.h>

#include <memory>

namespace strata {

STRATA_API std::unique_ptr<Authenticator> makeAuthenticator(const ConfigSection& auth);

}  // namespace strata
