#include "support/test_support.h"

#include <gtest/gtest.h>

#include <Poco/Base64Encoder.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include <fstream>
#include <random>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace strata::test {

TempDir::TempDir() {
  path_ = Poco::TemporaryFile::tempName();
  Poco::File(path_).createDirectories();
}

TempDir::~TempDir() {
  try {
    Poco::File(path_).remove(true);
  } catch (...) {
  }
}

Poco::AutoPtr<Poco::Util::MapConfiguration> makeConfig(const std::map<std::string, std::string>& values) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> cfg = new Poco::Util::MapConfiguration;
  for (const auto& [k, v] : values) cfg->setString(k, v);
  return cfg;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string base64(const std::string& bytes) {
  std::ostringstream os;
  Poco::Base64Encoder enc(os);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return os.str();
}

std::string randomBytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(&out[i], &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::pair<int, std::string> runCommand(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  expectNoSanitizerReport(out, command);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

void expectNoSanitizerReport(const std::string& output, const std::string& what) {
  // Every report of AddressSanitizer (and its LeakSanitizer), UndefinedBehaviorSanitizer and
  // ThreadSanitizer ends with such a summary line.
  for (const char* tool :
       {"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "ThreadSanitizer"})
    if (output.find(std::string("SUMMARY: ") + tool) != std::string::npos)
      ADD_FAILURE() << tool << " report from " << what << ":\n" << output;
}

std::pair<int, std::string> runPython(const std::string& dir, const std::string& script,
                                      const std::vector<std::string>& args) {
  const std::string file = dir + "/script.py";
  writeFile(file, script);
  std::string cmd = "/usr/bin/python3 '" + file + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return runCommand(cmd);
}

}  // namespace strata::test
