#include <strata/errors.h>
#include <strata/stores/entity_store.h>

namespace strata {

EntityStore::~EntityStore() = default;

Entity EntityStore::get(const std::string& collection, const std::string& id) {
  auto e = find(collection, id);
  if (!e) throw NotFound("no entity '" + id + "' in collection '" + collection + "'");
  return *e;
}

}  // namespace strata
