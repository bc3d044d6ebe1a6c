// The users file (auth.usersFile), read at start-up by the core's authenticator. A bad file
// must stop the server with a StartupError naming the line, never crash it.
// Input: the file.
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <strata/config_section.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "fuzz_support.h"
#include "users_authenticator.h"

using namespace strata;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/strata-fuzz-users-file-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
  config->setString("auth.usersFile", path);
  config->setString("auth.jwtSecret", "fuzz-secret-fuzz-secret-fuzz-secret-0");
  try {
    auto auth = makeAuthenticator(ConfigSection(*config, "auth"));
    (void)auth->hasUser("alice");
    (void)auth->hasUser("");
  } catch (const StartupError&) {
  } catch (const std::exception& e) {
    fuzz::fail(std::string("unexpected ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}
