// The Authorization header (Basic and Bearer, the JWTs the core issues) and the token bodies
// of verify/refresh endpoints (Authenticator::verifyToken), checked by the core's
// authenticator as every route does. Only Unauthorized may come out for bad credentials.
// Input: the header value ("Bearer <jwt>", "Basic <base64>", ...), and as a whole the token.
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/auth.h>
#include <strata/config_section.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>
#include <memory>

#include "fuzz_support.h"
#include "users_authenticator.h"

using namespace strata;

namespace {

// The secret of the seed tokens in fuzz/corpus/core_auth (HS256, user alice, exp in 2100).
const char* const kSecret = "fuzz-secret-fuzz-secret-fuzz-secret-0";

std::unique_ptr<CoreAuthenticator> makeFixture() {
  const std::string users = "/tmp/strata-fuzz-users-" + std::to_string(::getpid());
  {
    std::ofstream out(users);
    // Few rounds: Basic credentials are checked on every input.
    out << "alice:" << hashPassword("secret", 1000) << ":admin,readers\n";
    out << "bob:" << hashPassword("other", 1000) << "\n";
  }
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString("auth.usersFile", users);
  config->setString("auth.jwtSecret", kSecret);
  auto auth = makeAuthenticator(ConfigSection(*config, "auth"));
  std::remove(users.c_str());
  return auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const auto auth = makeFixture();
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expectClientErrors([&] { (void)auth->authenticate(text); });
  const auto space = text.find(' ');
  const std::string token = space == std::string::npos ? text : text.substr(space + 1);
  fuzz::expectClientErrors([&] { (void)auth->verifyToken(token); });
  return 0;
}
