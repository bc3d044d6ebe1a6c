#include <strata/stores/blob_store.h>

namespace strata {

BlobStore::~BlobStore() = default;
BlobReader::~BlobReader() = default;

bool isBlobId(const std::string& id) {
  if (id.size() != 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace strata
