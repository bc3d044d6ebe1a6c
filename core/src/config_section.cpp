#include <strata/config_section.h>
#include <strata/errors.h>

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <cctype>

namespace strata {

namespace {
void collectLeaves(const Poco::Util::AbstractConfiguration& cfg, const std::string& key,
                   std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys children;
  cfg.keys(key, children);
  if (children.empty()) {
    if (cfg.hasProperty(key)) out.push_back(key);
    return;
  }
  // A key can be both a leaf and a parent ("a = 1", "a.b = 2").
  if (cfg.hasProperty(key)) out.push_back(key);
  for (const auto& child : children) collectLeaves(cfg, key + "." + child, out);
}

// A set key's value read with `tryParse` (after trimming); a value it refuses stops start-up
// with a message naming the key, what it must be (`what`) and the value as written.
template <class T, class TryParse>
T parseValue(const std::string& fullKey, const std::string& text, const char* what, TryParse tryParse) {
  T v;
  if (!tryParse(Poco::trim(text), v))
    throw StartupError("configuration key " + fullKey + " must be " + what + ", not '" + text + "'");
  return v;
}
}  // namespace

ConfigSection::ConfigSection(const Poco::Util::AbstractConfiguration& root, std::string prefix)
    : root_(root), prefix_(std::move(prefix)), read_(std::make_shared<std::set<std::string>>()) {}
ConfigSection::~ConfigSection() = default;

std::string ConfigSection::full(const std::string& key) const {
  return prefix_.empty() ? key : prefix_ + "." + key;
}

bool ConfigSection::has(const std::string& key) const {
  read_->insert(full(key));
  return root_.hasProperty(full(key));
}

std::string ConfigSection::getString(const std::string& key) const {
  read_->insert(full(key));
  if (!root_.hasProperty(full(key))) throw StartupError("missing configuration key " + full(key));
  return Poco::trim(root_.getString(full(key)));
}

std::string ConfigSection::getString(const std::string& key, const std::string& dflt) const {
  read_->insert(full(key));
  return Poco::trim(root_.getString(full(key), dflt));
}

int64_t ConfigSection::getInt(const std::string& key, int64_t dflt) const {
  read_->insert(full(key));
  if (!root_.hasProperty(full(key))) return dflt;
  return parseValue<Poco::Int64>(
      full(key), root_.getString(full(key)), "an integer",
      [](const std::string& t, Poco::Int64& v) { return Poco::NumberParser::tryParse64(t, v); });
}

uint64_t ConfigSection::getSize(const std::string& key, uint64_t dflt) const {
  read_->insert(full(key));
  if (!root_.hasProperty(full(key))) return dflt;
  return parseSize(root_.getString(full(key)), full(key));
}

double ConfigSection::getDouble(const std::string& key, double dflt) const {
  read_->insert(full(key));
  if (!root_.hasProperty(full(key))) return dflt;
  return parseValue<double>(
      full(key), root_.getString(full(key)), "a number",
      [](const std::string& t, double& v) { return Poco::NumberParser::tryParseFloat(t, v); });
}

bool ConfigSection::getBool(const std::string& key, bool dflt) const {
  read_->insert(full(key));
  if (!root_.hasProperty(full(key))) return dflt;
  const std::string v = Poco::toLower(Poco::trim(root_.getString(full(key))));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  throw StartupError("configuration key " + full(key) + " must be true or false, not '" + v + "'");
}

std::vector<std::string> ConfigSection::getList(const std::string& key) const {
  read_->insert(full(key));
  std::vector<std::string> out;
  if (!root_.hasProperty(full(key))) return out;
  Poco::StringTokenizer tok(root_.getString(full(key)), ", \t",
                            Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
  for (const auto& t : tok) out.push_back(t);
  return out;
}

ConfigSection ConfigSection::section(const std::string& key) const {
  ConfigSection sub(root_, full(key));
  sub.read_ = read_;
  return sub;
}

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> leaves;
  collectLeaves(root_, prefix_, leaves);
  std::vector<std::string> out;
  for (auto& l : leaves) {
    if (l == prefix_) continue;
    out.push_back(l.substr(prefix_.empty() ? 0 : prefix_.size() + 1));
  }
  return out;
}

std::vector<std::string> ConfigSection::unreadKeys() const {
  std::vector<std::string> out;
  for (const auto& k : keys())
    if (!read_->count(full(k))) out.push_back(full(k));
  return out;
}

void ConfigSection::markRead(const std::string& key) const { read_->insert(full(key)); }

uint64_t parseSize(const std::string& text, const std::string& what) {
  std::string t = Poco::trim(text);
  uint64_t mult = 1;
  if (!t.empty()) {
    char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
    if (last == 'B' && t.size() > 1) {
      t.pop_back();
      last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
    }
    switch (last) {
      case 'K':
        mult = 1ull << 10;
        break;
      case 'M':
        mult = 1ull << 20;
        break;
      case 'G':
        mult = 1ull << 30;
        break;
      case 'T':
        mult = 1ull << 40;
        break;
      default:
        break;
    }
    if (mult != 1) t.pop_back();
  }
  Poco::UInt64 v;
  if (t.empty() || !Poco::NumberParser::tryParseUnsigned64(Poco::trim(t), v))
    throw StartupError("configuration key " + what + " must be a size like 512K, 64M or 2G, not '" + text +
                       "'");
  return v * mult;
}

}  // namespace strata
