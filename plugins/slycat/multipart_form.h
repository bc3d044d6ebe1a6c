// A multipart/form-data request body read part by part from a stream, for PUT
// .../arraysets/{aid}/data. Nothing is held whole: a caller reads small fields into strings with
// a cap, and copies large parts to a file.
//
// The body is read in blocks of 1 MiB and searched for the delimiter (CRLF "--" boundary) with a
// Boyer-Moore-Horspool searcher; part headers are parsed by Poco's MessageHeader. (Poco's own
// MultipartReader examines its input one character at a time: on a 64 MiB upload it took half
// of the server's CPU time and capped uploads near 300 MB/s on the development machine.)
//
// Errors (all BadRequest unless said otherwise): a Content-Type that is not multipart/form-data
// with a boundary, a body whose first boundary is missing (a wrong boundary), a part without a
// `Content-Disposition: form-data; name=...` header, malformed or oversized part headers, and a
// body that ends before the closing delimiter (`--boundary--`: a truncated body or a client that
// went away). A body stream that fails (truncated Content-Length, lost connection, past the
// server's body limit) passes its own error on.
//
// Thread-safety: one instance per request.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace strata::slycat {

class MultipartForm {
 public:
  MultipartForm(std::istream& body, const std::string& contentTypeHeader);

  // Moves to the next part (skipping what is left of the current one); false once the closing
  // delimiter has been read.
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
  // Hands the current part's bytes to `sink` in blocks until the part ends or `sink` returns
  // false; returns whether the part ended.
  bool readPart(const std::function<bool(const char*, std::size_t)>& sink);
  // Reads more of the body into the buffer; false at the end of the body.
  bool fill();
  // The position of the delimiter in buf_[pos_, end_), or end_.
  std::size_t findDelimiter() const;

  std::istream& body_;
  std::string delimiter_;  // "\r\n--" + boundary
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool started_ = false;  // the first boundary has been looked for
  bool inPart_ = false;   // between a part's headers and its delimiter
  bool done_ = false;     // the closing delimiter was read
  std::string name_;
  bool isFile_ = false;
};

}  // namespace strata::slycat
