// Slycat projects and models over the entities store role: the documents, their validation and
// the project access rules (administrators and writers write, readers read, the operator group
// may do everything). The routes in slycat_plugin.cpp call these.
#pragma once
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/principal.h>
#include <strata/stores/entity_store.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace strata::slycat {

struct Settings {
  // Model types that POST /api/projects/{pid}/models accepts, in the order of the 400 message.
  std::vector<std::string> modelTypes{"cca", "parameter-image", "timeseries", "DAC", "VS", "generic"};
  // Markings that a model may carry; "" is the empty (unmarked) marking.
  std::vector<std::string> markings{""};
  // The largest JSON body of a project or model request.
  uint64_t maxJsonBytes = 64u << 10;
};

enum class Need { Read, Write };

class Projects {
 public:
  // `isUser` tells whether a name is a user of the users file (ACL entries must be).
  Projects(Settings settings, std::shared_ptr<EntityStore> entities,
           std::function<bool(const std::string&)> isUser);
  const Settings& settings() const { return settings_; }

  // Creates a project whose only administrator is `creator`; returns its id.
  std::string createProject(const Principal& creator, const Poco::JSON::Object& body);
  // The project document (Slycat's shape, with "_id" and "_rev"). NotFound if unknown,
  // Forbidden unless `who` may read it.
  Poco::JSON::Object::Ptr project(const Principal& who, const std::string& pid);
  // Changes name, description and acl (the caller has passed checkProject for Write); only
  // project administrators and the operator group may change the acl.
  void updateProject(const Principal& who, const std::string& pid, const Poco::JSON::Object& body);
  // NotFound if the project is unknown, Forbidden unless `who` may act on it as `need` says.
  void checkProject(const Principal& who, const std::string& pid, Need need);

  // Creates a model in project `pid` (the caller has passed checkProject for Write); returns
  // its id, 32 lower-case hex digits.
  std::string createModel(const Principal& creator, const std::string& pid, const Poco::JSON::Object& body);
  // The model documents of a project, by creation time.
  Poco::JSON::Array::Ptr models(const std::string& pid);
  // The model document. NotFound if unknown, Forbidden unless `who` may act on its project.
  Poco::JSON::Object::Ptr model(const Principal& who, const std::string& mid, Need need);
  // Deletes the model after the same checks as model(.., Write), starting again when the model
  // changed in between; returns the document as it was deleted.
  Poco::JSON::Object::Ptr deleteModel(const Principal& who, const std::string& mid);
  // Stores a changed model document (as model() returned it, "_id" and "_rev" included);
  // PreconditionFailed if it changed in between. Returns the new "_rev".
  std::string saveModel(const Poco::JSON::Object& doc);
  // Applies `change` to the stored model document and saves it, starting again from a fresh
  // copy when another request changed the model in between (a conditional update, so no
  // change is lost); NotFound if the model is gone. `change` may run more than once. Gives
  // up with ServiceUnavailable after 100 lost races.
  Poco::JSON::Object::Ptr changeModel(const std::string& mid,
                                      const std::function<void(Poco::JSON::Object& doc)>& change);

 private:
  Poco::JSON::Object::Ptr projectBody(const std::string& pid);
  void checkAcl(const Principal& who, const Poco::JSON::Object& project, Need need) const;

  Settings settings_;
  std::shared_ptr<EntityStore> entities_;
  std::function<bool(const std::string&)> isUser_;
};

}  // namespace strata::slycat
