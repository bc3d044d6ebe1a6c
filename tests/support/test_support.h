#pragma once
// Helpers shared by the test binaries.
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>

#include <map>
#include <string>

namespace strata::test {

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A configuration from key/value pairs.
Poco::AutoPtr<Poco::Util::MapConfiguration> makeConfig(
    const std::map<std::string, std::string>& values);

// Reads a whole file (for checking bytes on disk).
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);
// Random bytes, deterministic for a seed.
std::string randomBytes(std::size_t n, unsigned seed = 1);

}  // namespace strata::test
