#pragma once
// What a route handler sees: the request (path and query parameters, headers, the body as a
// stream, the authenticated principal) and the response with its helpers for JSON, streamed
// binary and errors. Both wrap Poco's server request and response, which stay reachable
// through raw() for anything not covered here.
//
// Thread-safety: a Request/Response pair belongs to the one thread serving the request.
#include <strata/export.h>
#include <strata/principal.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/NameValueCollection.h>

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net

namespace strata {

class STRATA_API Request {
 public:
  Request(Poco::Net::HTTPServerRequest& raw, std::string path, Poco::Net::NameValueCollection query,
          uint64_t maxBodyBytes);
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const std::string& method() const;
  // The percent-decoded path, without the query string.
  const std::string& path() const { return path_; }

  // Path parameter from the route pattern; throws NotFound-free std::out_of_range only if the
  // pattern has no such parameter (a programming error).
  const std::string& param(const std::string& name) const;

  std::optional<std::string> query(const std::string& name) const;
  std::string query(const std::string& name, const std::string& dflt) const;

  std::optional<std::string> header(const std::string& name) const;
  std::string contentType() const;  // media type without parameters, lower case
  // -1 when the request has no Content-Length (chunked or empty).
  int64_t contentLength() const;
  // True if the request announces a body (Content-Length > 0 or chunked).
  bool hasBody() const;

  // The body as a stream. Reading past `server.maxBodyBytes` fails with PayloadTooLarge,
  // also for chunked bodies whose size is not announced.
  std::istream& body();
  // Reads the whole body (bounded by `maxBytes`: PayloadTooLarge beyond it) as text, for
  // parsers that want it in one piece.
  std::string bodyText(uint64_t maxBytes);
  // Reads the whole body as JSON (bounded by `maxBytes`). Malformed or truncated JSON gives
  // BadRequest; a body that is not an object gives BadRequest as well.
  Poco::JSON::Object::Ptr jsonObject(uint64_t maxBytes = 16u << 20);
  Poco::Dynamic::Var json(uint64_t maxBytes = 16u << 20);

  const Principal& principal() const { return principal_; }
  uint64_t bytesRead() const;
  // True when the request has no body or its body has been read to the end; the server
  // closes the connection after responses to requests whose body was left unread.
  bool bodyConsumed() const;

  Poco::Net::HTTPServerRequest& raw() { return raw_; }

  // Set by the router.
  void setParams(std::map<std::string, std::string> params);
  void setPrincipal(Principal p) { principal_ = std::move(p); }

 private:
  class LimitedStream;
  Poco::Net::HTTPServerRequest& raw_;
  std::string path_;
  Poco::Net::NameValueCollection query_;
  std::map<std::string, std::string> params_;
  Principal principal_;
  uint64_t maxBodyBytes_;
  std::unique_ptr<LimitedStream> body_;
};

// Parses a request body's text as Request::json does, with the same errors: BadRequest
// "invalid_json" for empty or malformed text.
STRATA_API Poco::Dynamic::Var parseJsonBody(const std::string& text);

// Writes a response body in large blocks straight to the socket: Poco's own response stream
// writes 4 KiB at a time, which caps a download near 0.6 GB/s on loopback. With a known
// length the body is sent as is; without one it is sent with chunked transfer encoding.
// A body of unknown length or of more than four blocks is sent by a second thread from its
// second block on (at most 8 blocks queued), so that producing blocks (reading a store)
// overlaps sending them; a send error (the client went away) is thrown by the next write() or close().
// For HEAD requests nothing is written. close() finishes the body; the destructor calls it.
class STRATA_API BodyWriter {
 public:
  virtual ~BodyWriter();
  virtual void write(const char* data, std::size_t n) = 0;
  virtual void close() = 0;
};

class STRATA_API Response {
 public:
  Response(Poco::Net::HTTPServerResponse& raw, Poco::Net::HTTPServerRequest& request);
  ~Response();
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  void setStatus(int status, const std::string& reason = "");
  int status() const;
  void setHeader(const std::string& name, const std::string& value);
  void setContentType(const std::string& type);

  // Sends a JSON document (object, array or any value) with the current status unless
  // `status` is given.
  void sendJson(const Poco::Dynamic::Var& value, int status = 0);
  void sendText(const std::string& text, const std::string& contentType = "text/plain", int status = 0);
  // Headers only: 204, 201 without body, 304 ...
  void sendEmpty(int status);
  // A small in-memory body.
  void sendBytes(const void* data, std::size_t n, const std::string& contentType, int status = 0);
  // Starts a streamed body; `length` < 0 means unknown (chunked).
  std::unique_ptr<BodyWriter> beginBody(const std::string& contentType, int64_t length);

  bool sent() const { return sent_; }
  bool headRequest() const { return head_; }
  uint64_t bytesWritten() const { return bytesWritten_; }
  // Ask the server to close the connection after this response.
  void closeConnection();
  // Ends a response whose body has begun and cannot be completed: shuts the connection down
  // so the client sees a truncated transfer instead of a body that looks complete.
  void abort();
  // Called once, just before the status line and headers go out (the server uses it to add
  // Connection: close when a request body was left unread).
  void setBeforeSend(std::function<void()> hook) { beforeSend_ = std::move(hook); }

  Poco::Net::HTTPServerResponse& raw() { return raw_; }

 private:
  friend class SocketBodyWriter;
  std::ostream& sendHeaders();
  Poco::Net::HTTPServerResponse& raw_;
  Poco::Net::HTTPServerRequest& request_;
  bool head_;
  bool sent_ = false;
  uint64_t bytesWritten_ = 0;
  std::function<void()> beforeSend_;
};

// The size of the blocks BodyWriter hands to the socket.
inline constexpr std::size_t kResponseBlockBytes = 1u << 20;

}  // namespace strata
