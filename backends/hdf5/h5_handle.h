#pragma once
// Small pieces every part of the hdf5 backend uses: an owning HDF5 identifier, and the
// translation of HDF5's negative return codes into strata errors that carry the message of
// HDF5's error stack.
//
// HDF5's automatic error printing and its error stack are per thread in a thread-safe build,
// so every entry point of the backend calls quietErrors() on the calling thread first.
#include <strata/errors.h>

#include <hdf5.h>

#include <string>

namespace strata::hdf5 {

// Owns one identifier of any kind (file, object, type, space, property list) and releases it
// with H5Idec_ref, which closes it whatever its kind.
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept : id_(other.release()) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.release();
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }  // NOLINT: passes straight into the C API
  bool valid() const { return id_ >= 0; }
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Turns off HDF5's printing of error stacks to stderr for the calling thread (once per thread).
void quietErrors();

// The calling thread's HDF5 error stack as one line: the API function that failed and the
// innermost description ("H5Fopen: truncated file: eof = 1024, ...").
std::string errorStack();

// True if the error on the stack is an I/O, file or resource failure (disk full, EIO, lock)
// rather than invalid arguments.
bool errorIsIo();

// Throws E with "<what>: <error stack>".
template <class E>
[[noreturn]] void fail(const std::string& what) {
  throw E(what + ": " + errorStack());
}

// Throws BadRequest for argument errors and InternalError for I/O errors: for calls whose
// failure usually means the client asked for something HDF5 cannot do.
[[noreturn]] void failRequest(const std::string& what);

// Owns `id`, or throws E naming `what` when it is negative.
template <class E = InternalError>
Hid own(hid_t id, const std::string& what) {
  if (id < 0) fail<E>(what);
  return Hid(id);
}

// Throws E naming `what` when `rc` is negative; returns rc otherwise (htri_t, ssize_t, ...).
template <class E = InternalError, class R>
R check(R rc, const std::string& what) {
  if (rc < 0) fail<E>(what);
  return rc;
}

}  // namespace strata::hdf5
