// PUT /api/models/{mid}/arraysets/{aid}/data: writes attribute values of an arrayset from a
// multipart/form-data body (fields `hyperchunks`, `byteorder`, `data`), as Slycat's
// put_model_arrayset_data does, with the fixes of docs/slycat.md ("Writing data").
//
// The request is checked whole before anything is written: the model's ACL before the body is
// read, every (array, attribute, hyperslice) item as soon as the hyperchunks are known, then the
// data, which is spooled to an unnamed temporary file (bounded: the expected byte count for
// binary data, `maxJsonDataBytes` for JSON) and converted to the stores' packed form on disk.
// Only then are the items written, one ArrayStore::write each. A rejected request changes
// nothing.
//
// Thread-safety: one DataWrite serves every request concurrently; it keeps no request state.
#pragma once
#include <strata/http.h>
#include <strata/stores/array_store.h>

#include <cstdint>
#include <memory>

#include "arraysets.h"
#include "projects.h"

namespace strata::slycat {

struct DataWriteSettings {
  // The largest JSON `data` part (plugins.slycat.maxJsonDataBytes): 413 beyond it.
  uint64_t maxJsonDataBytes = 256ull << 20;
};

class DataWrite {
 public:
  DataWrite(Projects& projects, Arraysets& arraysets, std::shared_ptr<ArrayStore> arrays,
            DataWriteSettings settings);

  // The whole route: 401/403/404 for the model, 400/413 for the body, 200 with an empty body.
  void handle(Request& req, Response& res) const;

 private:
  Projects& projects_;
  Arraysets& arraysets_;
  std::shared_ptr<ArrayStore> arrays_;
  DataWriteSettings settings_;
};

}  // namespace strata::slycat
