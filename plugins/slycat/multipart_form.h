// A multipart/form-data request body read part by part from a stream (Poco's MultipartReader
// underneath), for PUT .../arraysets/{aid}/data. Nothing is held whole: a caller reads small
// fields into strings with a cap, and copies large parts to a file.
//
// Errors (all BadRequest unless said otherwise): a Content-Type that is not multipart/form-data
// with a boundary, a body whose first boundary is missing (a wrong boundary), a part without a
// `Content-Disposition: form-data; name=...` header, malformed part headers, and a body that ends
// before the closing delimiter (`--boundary--`: a truncated body or a client that went away).
// A body stream that fails (truncated Content-Length, lost connection) passes its own error on.
//
// Thread-safety: one instance per request.
#pragma once
#include <Poco/Net/MultipartReader.h>

#include <cstdint>
#include <cstdio>
#include <istream>
#include <string>

namespace strata::slycat {

class MultipartForm {
 public:
  MultipartForm(std::istream& body, const std::string& contentTypeHeader);

  // Moves to the next part; false once the closing delimiter has been read. The previous part
  // must have been read to its end.
  bool next();
  // The current part's form field name, and whether it came as a file (a filename parameter).
  const std::string& name() const { return name_; }
  bool isFile() const { return isFile_; }

  // Reads the current part whole; false (having read maxBytes + 1 bytes) if it is longer.
  bool readField(std::string& out, std::size_t maxBytes);
  // Copies the current part to `file`; stops and returns false after maxBytes + 1 bytes if it
  // is longer. `copied` is the number of bytes written. InsufficientStorage if the file cannot be
  // written.
  bool copyTo(std::FILE* file, uint64_t maxBytes, uint64_t& copied);

 private:
  std::istream& partStream();

  std::istream& body_;
  std::string boundary_;
  Poco::Net::MultipartReader reader_;
  bool started_ = false;
  std::string name_;
  bool isFile_ = false;
};

}  // namespace strata::slycat
