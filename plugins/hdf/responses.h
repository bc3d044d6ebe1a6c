#pragma once
// Sending response bodies: JSON with an Etag, and bodies of unknown size that are sent whole
// (with an Etag and Content-Length) while they are small and streamed once they are not.
#include <Poco/Dynamic/Var.h>
#include <strata/http.h>

#include <memory>
#include <string>

namespace strata::hdf {

// The Etag of a body: a hash of its bytes, quoted.
std::string etagOf(const std::string& body);
// Sets the Etag of a 200 response to GET/HEAD; returns true (after sending 304) when the
// request's If-None-Match names it.
bool answerEtag(Request& req, Response& res, const std::string& body);

// Sends a JSON document with Content-Type application/json. A 200 answer to GET carries an
// Etag and answers If-None-Match with 304.
void sendJson(Request& req, Response& res, const Poco::Dynamic::Var& body, int status = 200);

// JSON text of a value as the parser's forms hold it (objects in their key order). Unlike
// Poco's stringifier it always writes valid JSON: NaN and the infinities become the strings
// "NaN", "Infinity" and "-Infinity" (which the type model reads back), floating-point numbers
// keep a decimal point ("1.0"), and bytes that are not UTF-8 are escaped as \u00XX.
std::string toJsonText(const Poco::Dynamic::Var& value);
void appendJson(const Poco::Dynamic::Var& value, std::string& out);
void appendJsonNumber(double d, std::string& out);

// Collects a body in memory up to `threshold` bytes; if it ends there it is sent whole with an
// Etag, otherwise it goes out streamed from that point on (with Content-Length when
// `knownLength` >= 0, chunked otherwise). Once streaming has begun an error can only cut the
// connection, so callers validate everything they can before writing.
class AdaptiveBody {
 public:
  AdaptiveBody(Request& req, Response& res, std::string contentType, int64_t knownLength = -1,
               std::size_t threshold = 1u << 20);
  void write(const char* data, std::size_t n);
  void write(const std::string& s) { write(s.data(), s.size()); }
  void finish();

 private:
  Request& req_;
  Response& res_;
  std::string contentType_;
  int64_t knownLength_;
  std::size_t threshold_;
  std::string buffer_;
  std::unique_ptr<BodyWriter> writer_;
};

}  // namespace strata::hdf
