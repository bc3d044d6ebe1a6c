#pragma once
// User directories: users that an endpoint plugin keeps in its own data (typically its
// entities store), for the core to authenticate besides the users file.
//
// A plugin registers a directory in configure() with PluginContext::addUserDirectory. From
// then on the core consults it, after the users file, for HTTP Basic, Bearer tokens,
// Authenticator::checkPassword, verifyToken and hasUser:
//
// - The users file comes first: a directory user whose name is also in the users file is never
//   seen (the operator's accounts cannot be shadowed by a plugin's data). Several directories
//   are asked in the order they were registered; the first that knows the name answers.
// - Passwords are checked by the core against `passwordHash` (strata::hashPassword's format),
//   with the same timing and caching as users-file passwords. An empty hash means the user
//   cannot log in with a password.
// - An inactive user (`active == false`) is refused with 401 for Basic and for every token
//   issued to them, however recent; making the user active again lets the tokens that have
//   not expired work again.
// - `groups` become Principal::groups. Naming kAdminGroup ("admin") makes the user an operator
//   of the whole server, so a directory should give it only to users the operator trusts.
//
// find() is called on every authenticated request that names a user the users file does not
// know, so it should be a point lookup (an entity get, an index lookup), not a scan. A store
// error it throws becomes the request's error response.
//
// Thread-safety: find() is called concurrently from the request threads.
// Lifetime: the core keeps the directory until the plugin's shutdown() has returned, and never
// calls it after that.
#include <strata/export.h>

#include <optional>
#include <string>
#include <vector>

namespace strata {

struct STRATA_API DirectoryUser {
  std::string name;
  std::vector<std::string> groups;
  std::string passwordHash;  // hashPassword() format; empty: no password login
  bool active = true;
};

class STRATA_API UserDirectory {
 public:
  virtual ~UserDirectory();
  // The user called `name` (exact, case-sensitive), active or not; nullopt if unknown.
  virtual std::optional<DirectoryUser> find(const std::string& name) const = 0;
};

}  // namespace strata
