// strata-admin: offline operations on the stores of a server configuration.
//
//   strata-admin copy --config FILE --role arrays --from INSTANCE --to INSTANCE [--container NAME]...
//   strata-admin copy --config FILE --role entities|annotations|blobs --from INSTANCE --to INSTANCE
//   strata-admin list --config FILE --role arrays --instance INSTANCE
//
// It opens the stores the configuration names (stores.<role>.<instance>.*) through their
// backend plugins, exactly as the server does; run it while the server is stopped, since
// embedded stores (fs, rocksdb) allow one process at a time.
#include "plugin_loader.h"
#include "store_copy.h"
#include "store_registry.h"

#include <strata/errors.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <iostream>
#include <map>
#include <vector>

namespace {

int usage(const char* why = nullptr) {
  if (why) std::cerr << "strata-admin: " << why << "\n";
  std::cerr << "usage:\n"
               "  strata-admin copy --config FILE --role arrays --from INSTANCE --to INSTANCE [--container NAME]...\n"
               "  strata-admin copy --config FILE --role entities|annotations|blobs --from INSTANCE --to INSTANCE\n"
               "  strata-admin list --config FILE --role arrays --instance INSTANCE\n";
  return 64;
}

std::string exeDir(const char* argv0) {
  Poco::Path p(argv0);
  p.makeAbsolute();
  return p.parent().toString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::map<std::string, std::string> opts;
  std::vector<std::string> containers;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") return usage(), 0;
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) return usage(("unexpected argument " + a).c_str());
    const std::string value = argv[++i];
    if (a == "--container")
      containers.push_back(value);
    else
      opts[a.substr(2)] = value;
  }
  if (command != "copy" && command != "list") return usage(("unknown command " + command).c_str());
  if (!opts.count("config") || !opts.count("role")) return usage("--config and --role are required");

  Poco::Logger::root().setChannel(new Poco::ConsoleChannel);
  Poco::Logger::root().setLevel(Poco::Message::PRIO_WARNING);
  try {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> config =
        new Poco::Util::PropertyFileConfiguration(opts["config"]);
    std::vector<std::string> path;
    if (config->hasProperty("plugins.path")) {
      strata::ConfigSection plugins(*config, "plugins");
      path = plugins.getList("path");
    } else {
      path.push_back(Poco::Path(exeDir(argv[0])).parent().pushDirectory("lib").pushDirectory("strata")
                         .pushDirectory("plugins").toString());
    }
    strata::PluginLoader loader(path);
    strata::StoreRegistry stores(*config, loader, Poco::Logger::get("strata-admin"));
    stores.createAll();
    const std::string role = opts["role"];
    const auto progress = [](const std::string& what) { std::cerr << "  copied " << what << "\n"; };

    if (command == "list") {
      if (role != "arrays" || !opts.count("instance")) return usage("list needs --role arrays --instance NAME");
      for (const auto& c : stores.arrays(opts["instance"])->listContainers()) std::cout << c << "\n";
      return 0;
    }
    if (!opts.count("from") || !opts.count("to")) return usage("copy needs --from and --to");
    const std::string from = opts["from"], to = opts["to"];
    if (from == to) return usage("--from and --to name the same store");
    strata::CopyReport total;
    if (role == "arrays") {
      auto src = stores.arrays(from);
      auto dst = stores.arrays(to);
      if (containers.empty()) containers = src->listContainers();
      for (const auto& c : containers) {
        const auto r = strata::copyContainer(*src, *dst, c, progress);
        std::cerr << "container " << c << ": " << r.items << " objects, " << r.bytes << " value bytes\n";
        total.items += r.items;
        total.bytes += r.bytes;
      }
    } else if (role == "entities") {
      total = strata::copyEntities(*stores.entities(from), *stores.entities(to), progress);
    } else if (role == "annotations") {
      total = strata::copyAnnotations(*stores.annotations(from), *stores.annotations(to), progress);
    } else if (role == "blobs") {
      total = strata::copyBlobs(*stores.blobs(from), *stores.blobs(to), progress);
    } else {
      return usage(("unknown role " + role).c_str());
    }
    std::cout << "copied " << total.items << " items, " << total.bytes << " bytes\n";
    return 0;
  } catch (const strata::StartupError& e) {
    std::cerr << "strata-admin: " << e.what() << "\n";
    return 78;
  } catch (const strata::Error& e) {
    std::cerr << "strata-admin: " << e.what() << " (" << e.status() << ")\n";
    return 1;
  } catch (const Poco::Exception& e) {
    std::cerr << "strata-admin: " << e.displayText() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "strata-admin: " << e.what() << "\n";
    return 1;
  }
}
