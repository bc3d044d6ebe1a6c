#include "h5_handle.h"

#include <vector>

namespace strata::hdf5 {

void Hid::reset() {
  if (id_ >= 0) {
    // A failure here means the id was already invalid (its file was closed with STRONG
    // degree); nothing to release then.
    H5Idec_ref(id_);
  }
  id_ = H5I_INVALID_HID;
}

void quietErrors() {
  thread_local bool done = false;
  if (!done) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    done = true;
  }
}

namespace {

struct Entry {
  std::string func;
  std::string desc;
  hid_t major;
};

herr_t collect(unsigned, const H5E_error2_t* err, void* data) {
  auto* entries = static_cast<std::vector<Entry>*>(data);
  // Only the entry's own text: H5Eget_msg is an API call that could disturb the stack
  // being walked.
  entries->push_back({err->func_name ? err->func_name : "", err->desc ? err->desc : "", err->maj_num});
  return 0;
}

// Entries from the API call (outermost) down to where the error was detected (innermost).
std::vector<Entry> entries() {
  std::vector<Entry> out;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &out);
  return out;
}

}  // namespace

std::string errorStack() {
  const auto stack = entries();
  if (stack.empty()) return "HDF5 error (no details)";
  const Entry& api = stack.front();
  const Entry& inner = stack.back();
  std::string text = api.func + ": " + inner.desc;
  if (stack.size() > 1 && !api.desc.empty() && api.desc != inner.desc) {
    text = api.func + ": " + api.desc + " (" + inner.desc + ")";
  }
  return text;
}

bool errorIsIo() {
  for (const auto& e : entries()) {
    if (e.major == H5E_IO || e.major == H5E_FILE || e.major == H5E_RESOURCE) return true;
  }
  return false;
}

void failRequest(const std::string& what) {
  // Both walks leave the stack as it is (H5Ewalk2 does not clear it).
  const bool io = errorIsIo();
  const std::string message = what + ": " + errorStack();
  if (io) throw InternalError(message);
  throw BadRequest(message);
}

}  // namespace strata::hdf5
