#pragma once
// The users every plugin's HTTP tests share: alice, bob and carol, and root in the admin group,
// as request headers (HTTP Basic) and as the text of a users file.
#include "support/server_process.h"

#include <map>
#include <string>

namespace strata::test {

using Headers = std::map<std::string, std::string>;

inline const Headers kAlice{{"Authorization", basicAuth("alice", "wonder")}};
inline const Headers kBob{{"Authorization", basicAuth("bob", "builder")}};
inline const Headers kCarol{{"Authorization", basicAuth("carol", "singer")}};
inline const Headers kRoot{{"Authorization", basicAuth("root", "rootpw")}};
inline const Headers kAnonymous{};

// A users file with the four users above.
inline std::string testUsersFile() {
  return ServerProcess::usersLine("alice", "wonder") + "\n" + ServerProcess::usersLine("bob", "builder") +
         "\n" + ServerProcess::usersLine("carol", "singer") + "\n" +
         ServerProcess::usersLine("root", "rootpw", "admin") + "\n";
}

}  // namespace strata::test
