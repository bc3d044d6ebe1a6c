// strata-server: loads the configured plugins and stores and serves them over HTTP.
#include "server.h"

#include <strata/auth.h>
#include <strata/errors.h>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/LoggingConfigurator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <csignal>
#include <iostream>
#include <set>
#include <pthread.h>

namespace {

class StrataServerApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    ServerApplication::defineOptions(options);
    options.addOption(
        Poco::Util::Option("help", "h", "print this help and exit").required(false).repeatable(false));
    options.addOption(Poco::Util::Option("config", "c", "read the configuration from FILE")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(Poco::Util::Option("hash-password", "",
                                         "read a password from standard input "
                                         "and print its hash for the users file")
                          .required(false)
                          .repeatable(false));
  }

  void handleOption(const std::string& name, const std::string& value) override {
    ServerApplication::handleOption(name, value);
    if (name == "help") {
      help_ = true;
      stopOptionsProcessing();
    } else if (name == "hash-password") {
      hashPassword_ = true;
    } else if (name == "config") {
      configFile_ = value;
    }
  }

  int main(const std::vector<std::string>& args) override {
    if (help_) {
      Poco::Util::HelpFormatter help(options());
      help.setCommand(commandName());
      help.setUsage("[--config FILE]");
      help.setHeader(
          "Strata: a server for scientific data (arrays, file datasets, annotations) that speaks "
          "REST APIs through endpoint plugins. Endpoint plugins installed in " +
          pluginDir() + ": " + installedPlugins() + ".");
      help.setFooter("See docs/configuration.md for every configuration key.");
      help.format(std::cout);
      return EXIT_OK;
    }
    if (hashPassword_) {
      std::string password;
      std::getline(std::cin, password);
      if (password.empty()) {
        std::cerr << "hash-password: no password on standard input\n";
        return EXIT_USAGE;
      }
      std::cout << strata::hashPassword(password) << "\n";
      return EXIT_OK;
    }
    setUpLogging();
    try {
      if (!configFile_.empty())
        loadConfiguration(configFile_);
      else if (loadConfiguration() == 0)
        throw strata::StartupError("no configuration: pass --config FILE");
      // Poco configured logging before the file was read; apply its logging section now.
      // (`has("logging")` is false for a section: it only sees keys that hold a value.)
      Poco::Util::AbstractConfiguration::Keys logging;
      config().keys("logging", logging);
      // The configuration is shared: the pointer must take a reference of its own.
      if (!logging.empty())
        Poco::Util::LoggingConfigurator().configure(Poco::Util::AbstractConfiguration::Ptr(&config(), true));
    } catch (const Poco::Exception& e) {
      logger().fatal("cannot read the configuration %s: %s", configFile_, e.displayText());
      return EXIT_CONFIG;
    } catch (const std::exception& e) {
      logger().fatal(e.what());
      return EXIT_CONFIG;
    }
    strata::Server server(config(), pluginDir());
    try {
      server.start();
    } catch (const std::exception& e) {
      logger().fatal("start-up failed: %s", std::string(e.what()));
      return EXIT_CONFIG;
    }
    waitForTerminationRequest();
    logger().notice("termination requested; shutting down");
    server.stop();
    return EXIT_OK;
  }

 private:
  std::string pluginDir() const {
    return Poco::Path(config().getString("application.dir"))
        .parent()
        .pushDirectory("lib")
        .pushDirectory("strata")
        .pushDirectory("plugins")
        .toString();
  }

  // The endpoint plugins in the default plugin directory, by name: what this installation
  // can serve without a plugins.path of its own.
  std::string installedPlugins() const {
    std::set<std::string> names;
    const std::string prefix = "strata-endpoint-", suffix = ".so";
    try {
      for (Poco::DirectoryIterator it(pluginDir()), end; it != end; ++it) {
        const std::string& file = it.name();
        if (file.size() > prefix.size() + suffix.size() && file.compare(0, prefix.size(), prefix) == 0 &&
            file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
          names.insert(file.substr(prefix.size(), file.size() - prefix.size() - suffix.size()));
      }
    } catch (const Poco::Exception&) {
    }
    if (names.empty()) return "none found";
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  // A default format with time stamps; a `logging.*` section in the configuration replaces it.
  void setUpLogging() {
    Poco::AutoPtr<Poco::PatternFormatter> fmt(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel);
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(fmt, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
    logger().setChannel(channel);
  }

  bool help_ = false;
  bool hashPassword_ = false;
  std::string configFile_;
};

}  // namespace

int main(int argc, char** argv) {
  // Block the termination signals before any thread starts, so that every thread (Poco's,
  // the stores' background threads) inherits the mask and only waitForTerminationRequest()
  // receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  StrataServerApp app;
  return app.run(argc, argv);
}
