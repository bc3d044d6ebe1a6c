#include <strata/plugin.h>

namespace strata {

Plugin::~Plugin() = default;

const char* toString(StoreRole role) {
  switch (role) {
    case StoreRole::Entities:
      return "entities";
    case StoreRole::Annotations:
      return "annotations";
    case StoreRole::Blobs:
      return "blobs";
    case StoreRole::Arrays:
      return "arrays";
  }
  return "?";
}

std::optional<StoreRole> storeRoleFromString(const std::string& name) {
  if (name == "entities") return StoreRole::Entities;
  if (name == "annotations") return StoreRole::Annotations;
  if (name == "blobs") return StoreRole::Blobs;
  if (name == "arrays") return StoreRole::Arrays;
  return std::nullopt;
}

}  // namespace strata
