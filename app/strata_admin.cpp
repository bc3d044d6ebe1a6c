// strata-admin: offline operations on the stores of a server configuration.
//
//   strata-admin copy --config FILE --role arrays --from INSTANCE --to INSTANCE [--container NAME]...
//   strata-admin copy --config FILE --role entities|annotations|blobs --from INSTANCE --to INSTANCE
//   strata-admin list --config FILE --role arrays --instance INSTANCE
//
// It opens the stores the command names (stores.<role>.<instance>.*) through their backend
// plugins, exactly as the server does, and no others; run it while the server is stopped,
// since embedded stores (fs, rocksdb) allow one process at a time.
//
// Everything that can be checked before writing is checked first, and the destination is
// opened only after the source: a command that fails those checks writes nothing (it does not
// even create the destination's directory). An arrays copy that fails part way removes the
// container it was copying from the destination. Exit codes: 0 done, 64 bad usage (unknown
// command, role or instance, a missing option), 78 a configuration that does not open, 1 the
// copy cannot be done (a missing or existing container) or failed.
#include "plugin_loader.h"
#include "store_registry.h"

#include <strata/errors.h>
#include <strata/stores/store_copy.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/String.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/JSONConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/XMLConfiguration.h>

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace {

constexpr int kUsage = 64;
constexpr int kFailed = 1;

const std::set<std::string> kRoles{"arrays", "entities", "annotations", "blobs"};

int usage(const std::string& why = "") {
  if (!why.empty()) std::cerr << "strata-admin: " << why << "\n";
  std::cerr
      << "usage:\n"
         "  strata-admin copy --config FILE --role arrays --from INSTANCE --to INSTANCE [--container "
         "NAME]...\n"
         "  strata-admin copy --config FILE --role entities|annotations|blobs --from INSTANCE --to INSTANCE\n"
         "  strata-admin list --config FILE --role arrays --instance INSTANCE\n";
  return kUsage;
}

int failed(const std::string& why) {
  std::cerr << "strata-admin: " << why << "\n";
  return kFailed;
}

std::string exeDir(const char* argv0) {
  Poco::Path p(argv0);
  p.makeAbsolute();
  return p.parent().toString();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

void copyKeys(const Poco::Util::AbstractConfiguration& from, const std::string& prefix,
              Poco::Util::MapConfiguration& to) {
  if (from.hasProperty(prefix)) to.setString(prefix, from.getString(prefix));
  Poco::Util::AbstractConfiguration::Keys keys;
  from.keys(prefix, keys);
  for (const auto& k : keys) copyKeys(from, prefix + "." + k, to);
}

Poco::AutoPtr<Poco::Util::MapConfiguration> sectionOf(const Poco::Util::AbstractConfiguration& config,
                                                      const std::string& prefix) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> out = new Poco::Util::MapConfiguration;
  copyKeys(config, prefix, *out);
  return out;
}

// One store instance, opened through a registry that sees only its own section.
class OneStore {
 public:
  OneStore(const Poco::Util::AbstractConfiguration& config, const std::string& role,
           const std::string& instance, strata::PluginLoader& loader)
      : config_(sectionOf(config, "stores." + role + "." + instance)),
        registry_(*config_, loader, Poco::Logger::get("strata-admin")) {
    registry_.createAll();
  }
  strata::StoreRegistry& registry() { return registry_; }

 private:
  Poco::AutoPtr<Poco::Util::MapConfiguration> config_;
  strata::StoreRegistry registry_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  if (command == "--help" || command == "-h") return usage(), 0;
  std::map<std::string, std::string> opts;
  std::vector<std::string> containers;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(), 0;
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) return usage("unexpected argument " + a);
    const std::string value = argv[++i];
    if (a == "--container")
      containers.push_back(value);
    else
      opts[a.substr(2)] = value;
  }
  if (command != "copy" && command != "list") return usage("unknown command " + command);
  if (!opts.count("config") || !opts.count("role")) return usage("--config and --role are required");
  const std::string role = opts["role"];
  if (!kRoles.count(role))
    return usage("unknown role '" + role + "' (roles: arrays, entities, annotations, blobs)");
  std::vector<std::string> instances;
  if (command == "list") {
    if (role != "arrays" || !opts.count("instance")) return usage("list needs --role arrays --instance NAME");
    instances = {opts["instance"]};
  } else {
    if (!opts.count("from") || !opts.count("to")) return usage("copy needs --from and --to");
    if (opts["from"] == opts["to"]) return usage("--from and --to name the same store");
    if (!containers.empty() && role != "arrays") return usage("--container is for --role arrays");
    instances = {opts["from"], opts["to"]};
  }

  Poco::Logger::root().setChannel(new Poco::ConsoleChannel);
  Poco::Logger::root().setLevel(Poco::Message::PRIO_WARNING);
  // The formats strata-server reads (Poco's Application::loadConfiguration): by extension.
  Poco::AutoPtr<Poco::Util::AbstractConfiguration> config;
  try {
    const std::string file = opts["config"];
    const std::string ext = Poco::toLower(Poco::Path(file).getExtension());
    if (ext == "ini")
      config = new Poco::Util::IniFileConfiguration(file);
    else if (ext == "json")
      config = new Poco::Util::JSONConfiguration(file);
    else if (ext == "xml")
      config = new Poco::Util::XMLConfiguration(file);
    else
      config = new Poco::Util::PropertyFileConfiguration(file);
  } catch (const Poco::Exception& e) {
    std::cerr << "strata-admin: cannot read the configuration " << opts["config"] << ": " << e.displayText()
              << "\n";
    return 78;
  }
  try {
    for (const auto& instance : instances) {
      if (config->hasProperty("stores." + role + "." + instance + ".backend")) continue;
      Poco::Util::AbstractConfiguration::Keys configured;
      config->keys("stores." + role, configured);
      return usage(opts["config"] + " configures no store stores." + role + "." + instance + " (its " + role +
                   " stores: " + joined(configured) + ")");
    }
    std::vector<std::string> path;
    if (config->hasProperty("plugins.path")) {
      strata::ConfigSection plugins(*config, "plugins");
      path = plugins.getList("path");
    } else {
      path.push_back(Poco::Path(exeDir(argv[0]))
                         .parent()
                         .pushDirectory("lib")
                         .pushDirectory("strata")
                         .pushDirectory("plugins")
                         .toString());
    }
    strata::PluginLoader loader(path);
    const auto progress = [](const std::string& what) { std::cerr << "  copied " << what << "\n"; };

    // The stores close before the loader that holds their backends.
    std::unique_ptr<OneStore> source, target;
    source = std::make_unique<OneStore>(*config, role, instances[0], loader);
    if (command == "list") {
      for (const auto& c : source->registry().arrays(instances[0])->listContainers()) std::cout << c << "\n";
      return 0;
    }
    const std::string from = "stores." + role + "." + instances[0];
    const std::string to = "stores." + role + "." + instances[1];
    strata::CopyReport total;
    if (role == "arrays") {
      auto src = source->registry().arrays(instances[0]);
      if (containers.empty()) containers = src->listContainers();
      for (const auto& c : containers)
        if (!src->findContainer(c)) return failed(from + " has no container '" + c + "': nothing was copied");
      target = std::make_unique<OneStore>(*config, role, instances[1], loader);
      auto dst = target->registry().arrays(instances[1]);
      for (const auto& c : containers)
        if (dst->findContainer(c))
          return failed(to + " already has a container '" + c +
                        "': nothing was copied (delete it there first, or copy to another store)");
      for (const auto& c : containers) {
        try {
          const auto r = strata::copyContainer(*src, *dst, c, progress);
          std::cerr << "container " << c << ": " << r.items << " objects, " << r.bytes << " value bytes\n";
          total.items += r.items;
          total.bytes += r.bytes;
        } catch (...) {
          // A half-copied container must not look like a copy.
          try {
            dst->deleteContainer(c);
            std::cerr << "strata-admin: the copy of container " << c
                      << " failed; its partial copy was removed from " << to << "\n";
          } catch (const std::exception& e) {
            std::cerr << "strata-admin: the copy of container " << c << " failed, and its partial copy in "
                      << to << " could not be removed: " << e.what() << "\n";
          }
          throw;
        }
      }
    } else {
      target = std::make_unique<OneStore>(*config, role, instances[1], loader);
      auto& s = source->registry();
      auto& t = target->registry();
      if (role == "entities")
        total = strata::copyEntities(*s.entities(instances[0]), *t.entities(instances[1]), progress);
      else if (role == "annotations")
        total = strata::copyAnnotations(*s.annotations(instances[0]), *t.annotations(instances[1]), progress);
      else
        total = strata::copyBlobs(*s.blobs(instances[0]), *t.blobs(instances[1]), progress);
    }
    std::cout << "copied " << total.items << " items, " << total.bytes << " bytes\n";
    return 0;
  } catch (const strata::StartupError& e) {
    std::cerr << "strata-admin: " << e.what() << "\n";
    return 78;
  } catch (const strata::Error& e) {
    std::cerr << "strata-admin: " << e.what() << " (" << e.status() << ")\n";
    return kFailed;
  } catch (const Poco::Exception& e) {
    std::cerr << "strata-admin: " << e.displayText() << "\n";
    return kFailed;
  } catch (const std::exception& e) {
    std::cerr << "strata-admin: " << e.what() << "\n";
    return kFailed;
  }
}
