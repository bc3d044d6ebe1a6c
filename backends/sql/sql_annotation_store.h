#pragma once
// The sql backend's annotations store; schema and costs in sql_annotation_store.cpp and
// docs/storage.md.
#include "sql_database.h"

#include <strata/stores/annotation_store.h>

#include <memory>

namespace strata::sql {

class SqlAnnotationStore final : public AnnotationStore {
 public:
  explicit SqlAnnotationStore(std::shared_ptr<SqlDatabase> db);

  void set(const std::string& target, const Annotation& annotation) override;
  std::string replaceAll(const std::string& target, const std::vector<Annotation>& all,
                         const std::string& ifMatch) override;
  AnnotationSet read(const std::string& target) override;
  std::vector<Annotation> list(const std::string& target) override;
  std::optional<Annotation> find(const std::string& target, const std::string& key) override;
  void remove(const std::string& target, const std::string& key) override;
  void removeAll(const std::string& target) override;
  AnnotationPage search(const AnnotationSearch& search) override;
  std::vector<std::string> targets(const std::string& after, uint64_t limit) override;

 private:
  std::shared_ptr<SqlDatabase> db_;
};

}  // namespace strata::sql
