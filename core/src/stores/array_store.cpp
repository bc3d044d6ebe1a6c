#include <strata/errors.h>
#include <strata/stores/array_store.h>

namespace strata {

ArrayStore::~ArrayStore() = default;

void ArrayStore::exportHdf5(const std::string& c, const ByteSink&) {
  throw NotImplemented("this arrays store cannot export containers as HDF5 files");
}

ContainerInfo ArrayStore::container(const std::string& name) {
  auto info = findContainer(name);
  if (!info) throw NotFound("domain '" + name + "' not found");
  return *info;
}

const char* collectionName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return "groups";
    case ObjectKind::Dataset:
      return "datasets";
    case ObjectKind::Datatype:
      return "datatypes";
  }
  return "?";
}

const char* kindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return "group";
    case ObjectKind::Dataset:
      return "dataset";
    case ObjectKind::Datatype:
      return "datatype";
  }
  return "object";
}

uint64_t Shape::elements() const {
  if (cls == ShapeClass::Null) return 0;
  uint64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

}  // namespace strata
