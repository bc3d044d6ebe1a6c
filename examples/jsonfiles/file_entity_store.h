#pragma once
// An entities store on plain files: one JSON file per entity, <root>/<collection>/<id>.json,
// holding {"etag", "version", "created", "modified", "body"}.
//
// A small, readable store for the SDK example, not a fast one: every operation holds one
// mutex (the role's contract asks for thread-safety and atomic conditional writes; a single
// lock gives both), and list() reads the whole collection. Writes go to a temporary file
// first and are renamed into place, so a crash leaves either the old or the new entity.
//
// Collection names and ids must be 1-200 characters of [A-Za-z0-9._-] and must not start
// with '.', so that they are safe as file names; others give BadRequest.
#include <strata/stores/entity_store.h>

#include <mutex>
#include <string>

namespace jsonfiles {

class FileEntityStore final : public strata::EntityStore {
 public:
  explicit FileEntityStore(std::string root);

  strata::Entity create(const std::string& collection, const std::string& id,
                        const Poco::JSON::Object::Ptr& body) override;
  std::optional<strata::Entity> find(const std::string& collection, const std::string& id) override;
  strata::Entity update(const std::string& collection, const std::string& id,
                        const Poco::JSON::Object::Ptr& body, const std::string& ifMatch) override;
  void remove(const std::string& collection, const std::string& id, const std::string& ifMatch) override;
  strata::EntityPage list(const std::string& collection, const strata::EntityQuery& query) override;
  std::vector<std::string> collections() override;

 private:
  std::string path(const std::string& collection, const std::string& id) const;
  std::optional<strata::Entity> read(const std::string& collection, const std::string& id) const;
  void write(const strata::Entity& entity) const;

  std::string root_;
  std::mutex mutex_;
};

}  // namespace jsonfiles
