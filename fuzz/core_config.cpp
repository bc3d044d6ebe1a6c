// The server's configuration files (strata.properties, .json, .xml, .ini: the formats
// strata-server loads by extension), parsed by Poco and then read through ConfigSection as the
// core, plugins and backends read them: strings, integers, sizes ("64M"), doubles, booleans
// and lists. A bad file must stop the server with an error message (StartupError, or the
// parser's Poco exception, which strata-server prints), never crash it.
// Input: a format letter (p, j, x, i) on the first line, the file after it.
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/JSONConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/XMLConfiguration.h>
#include <strata/config_section.h>

#include <sstream>

#include "fuzz_support.h"

using namespace strata;

namespace {

Poco::AutoPtr<Poco::Util::AbstractConfiguration> load(const std::string& format, const std::string& text) {
  std::istringstream in(text);
  if (format == "j") return new Poco::Util::JSONConfiguration(in);
  if (format == "x") return new Poco::Util::XMLConfiguration(in);
  if (format == "i") return new Poco::Util::IniFileConfiguration(in);
  return new Poco::Util::PropertyFileConfiguration(in);
}

void readAll(const ConfigSection& section, int depth) {
  for (const auto& key : section.keys()) {
    const auto typed = [&](auto read) {
      try {
        read();
      } catch (const StartupError&) {
      }
    };
    typed([&] { (void)section.getString(key, ""); });
    typed([&] { (void)section.getInt(key, 0); });
    typed([&] { (void)section.getSize(key, 0); });
    typed([&] { (void)section.getDouble(key, 0); });
    typed([&] { (void)section.getBool(key, false); });
    typed([&] { (void)section.getList(key); });
    typed([&] { (void)parseSize(section.getString(key, ""), key); });
    const auto dot = key.find('.');
    if (dot != std::string::npos && depth < 4) readAll(section.section(key.substr(0, dot)), depth + 1);
  }
  (void)section.unreadKeys();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const auto split = fuzz::splitFirstLine(data, size);
  const std::string& format = split.first;
  const std::string& text = split.second;
  Poco::AutoPtr<Poco::Util::AbstractConfiguration> config;
  try {
    config = load(format, text);
  } catch (const Poco::Exception&) {
    return 0;  // the parser's own error, printed by strata-server
  }
  try {
    for (const char* prefix : {"server", "auth", "plugins", "stores", "plugins.hdf"})
      readAll(ConfigSection(*config, prefix), 0);
  } catch (const StartupError&) {
  } catch (const std::exception& e) {
    fuzz::fail(std::string("unexpected ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}
