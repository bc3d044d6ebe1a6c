#pragma once
// Helpers shared by the test binaries.
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

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
Poco::AutoPtr<Poco::Util::MapConfiguration> makeConfig(const std::map<std::string, std::string>& values);

// Reads a whole file (for checking bytes on disk).
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);
// Random bytes, deterministic for a seed.
std::string randomBytes(std::size_t n, unsigned seed = 1);

// Standard base64 of the bytes, on one line.
std::string base64(const std::string& bytes);

// Runs a shell command; returns its exit code (-1 if it did not exit normally) and its
// stdout and stderr together.
std::pair<int, std::string> runCommand(const std::string& command);

// Fails the current test if `output` (a child process's stderr) holds a sanitizer report: a
// sanitizer build's server or strata-admin must not report anything (docs/reliability.md).
void expectNoSanitizerReport(const std::string& output, const std::string& what);
// Writes `script` to <dir>/script.py and runs it with Debian's /usr/bin/python3 (the Python
// that has h5py and numpy), each of `args` quoted; returns as runCommand.
std::pair<int, std::string> runPython(const std::string& dir, const std::string& script,
                                      const std::vector<std::string>& args = {});

}  // namespace strata::test
