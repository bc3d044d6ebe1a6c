#pragma once
// One section of the server's configuration ("plugins.hdf.", "stores.blobs.default.") as
// handed to a plugin or a backend. Every key a plugin or backend reads is recorded; after it
// has been configured, the core refuses to start if the section holds a key nobody read, so a
// misspelt key fails at start-up with its full name instead of being silently ignored.
//
// Thread-safety: used only during start-up, from one thread.
#include <strata/export.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace Poco::Util {
class AbstractConfiguration;
}

namespace strata {

class STRATA_API ConfigSection {
 public:
  // `prefix` is the full key prefix without the trailing dot, e.g. "plugins.hdf".
  ConfigSection(const Poco::Util::AbstractConfiguration& root, std::string prefix);
  ~ConfigSection();

  const std::string& prefix() const { return prefix_; }
  bool has(const std::string& key) const;
  std::string getString(const std::string& key) const;  // throws StartupError if missing
  std::string getString(const std::string& key, const std::string& dflt) const;
  int64_t getInt(const std::string& key, int64_t dflt) const;
  uint64_t getSize(const std::string& key, uint64_t dflt) const;  // accepts 10M, 2G, 512K
  double getDouble(const std::string& key, double dflt) const;
  bool getBool(const std::string& key, bool dflt) const;
  // Comma- or space-separated list.
  std::vector<std::string> getList(const std::string& key) const;
  // A sub-section: section("stores") of "plugins.hdf" is "plugins.hdf.stores". Keys read
  // through it count as read here.
  ConfigSection section(const std::string& key) const;

  // Every leaf key under this section, relative to it ("stores.arrays", "dataDir").
  std::vector<std::string> keys() const;
  // Leaf keys nobody has read, as full names.
  std::vector<std::string> unreadKeys() const;
  // Marks a key as read without reading it (for keys handled elsewhere).
  void markRead(const std::string& key) const;

 private:
  std::string full(const std::string& key) const;
  const Poco::Util::AbstractConfiguration& root_;
  std::string prefix_;
  std::shared_ptr<std::set<std::string>> read_;  // full key names read; shared with sub-sections
};

// Parses "64M", "2G", "512k", "1024" into bytes; throws StartupError naming `what`.
STRATA_API uint64_t parseSize(const std::string& text, const std::string& what);

}  // namespace strata
