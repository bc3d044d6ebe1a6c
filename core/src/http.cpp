#include <strata/errors.h>
#include <strata/http.h>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>
#include <functional>
#include <vector>

namespace strata {

// A stream over the request body that enforces the size limit and turns a body that ends
// early (client gone, bad chunk framing, timeout) into an error instead of a silent EOF.
class Request::LimitedStream : public std::istream {
  class Buf : public std::streambuf {
   public:
    Buf(std::istream& in, int64_t announced, uint64_t limit, std::function<bool()> peerClosed)
        : in_(in),
          announced_(announced),
          limit_(limit),
          peerClosed_(std::move(peerClosed)),
          buf_(64 * 1024) {}
    uint64_t consumed() const { return total_; }
    bool done() const { return done_; }

   protected:
    int_type underflow() override {
      if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
      if (done_) return traits_type::eof();
      std::size_t want = buf_.size();
      if (announced_ >= 0) {
        const uint64_t left = static_cast<uint64_t>(announced_) - total_;
        if (left == 0) {
          done_ = true;
          return traits_type::eof();
        }
        if (left < want) want = static_cast<std::size_t>(left);
      }
      std::size_t got = 0;
      if (announced_ >= 0) {
        in_.read(buf_.data(), static_cast<std::streamsize>(want));
        got = static_cast<std::size_t>(in_.gcount());
      } else if (in_.peek() != std::istream::traits_type::eof()) {
        // A chunked body: what has arrived so far, so that the limit is checked as the body
        // comes in, not once a whole buffer has accumulated (a client that sends a little more
        // than the limit and waits gets its 413).
        got = static_cast<std::size_t>(in_.readsome(buf_.data(), static_cast<std::streamsize>(want)));
      }
      if (got == 0) {
        done_ = true;
        if (in_.bad())
          throw BadRequest("body_unreadable",
                           "the request body could not be read (connection "
                           "lost, timed out or malformed chunked framing)");
        if (announced_ >= 0 && total_ < static_cast<uint64_t>(announced_))
          throw BadRequest("body_truncated", "the request body ended after " + std::to_string(total_) +
                                                 " of " + std::to_string(announced_) + " bytes");
        // Poco 1.11's chunked reader ends a body cut off mid-chunk (the client went away) as
        // if it were complete. A client that sent the last chunk waits for the answer with its
        // connection open; one whose connection is closed at the end of the body did not
        // finish it (or half-closed, which HTTP/1.1 clients do not do): refuse the body.
        if (announced_ < 0 && peerClosed_ && peerClosed_())
          throw BadRequest("body_truncated", "the chunked request body ended after " +
                                                 std::to_string(total_) +
                                                 " bytes without its last chunk (the connection was closed)");
        return traits_type::eof();
      }
      total_ += got;
      if (total_ > limit_)
        throw PayloadTooLarge("the request body is larger than the limit of " + std::to_string(limit_) +
                              " bytes");
      setg(buf_.data(), buf_.data(), buf_.data() + got);
      return traits_type::to_int_type(*gptr());
    }

   private:
    std::istream& in_;
    int64_t announced_;
    uint64_t limit_;
    std::function<bool()> peerClosed_;
    uint64_t total_ = 0;
    bool done_ = false;
    std::vector<char> buf_;
  };

 public:
  LimitedStream(std::istream& in, int64_t announced, uint64_t limit, std::function<bool()> peerClosed)
      : std::istream(nullptr), buf_(in, announced, limit, std::move(peerClosed)) {
    rdbuf(&buf_);
    // Rethrow the streambuf's own exceptions (PayloadTooLarge, BadRequest) to the reader.
    exceptions(std::ios::badbit);
  }
  uint64_t consumed() const { return buf_.consumed(); }
  bool done() const { return buf_.done(); }

 private:
  Buf buf_;
};

Request::Request(Poco::Net::HTTPServerRequest& raw, std::string path, Poco::Net::NameValueCollection query,
                 uint64_t maxBodyBytes)
    : raw_(raw), path_(std::move(path)), query_(std::move(query)), maxBodyBytes_(maxBodyBytes) {}
Request::~Request() = default;

const std::string& Request::method() const { return raw_.getMethod(); }

const std::string& Request::param(const std::string& name) const { return params_.at(name); }

std::optional<std::string> Request::query(const std::string& name) const {
  auto it = query_.find(name);
  if (it == query_.end()) return std::nullopt;
  return it->second;
}

std::string Request::query(const std::string& name, const std::string& dflt) const {
  return query_.get(name, dflt);
}

std::optional<std::string> Request::header(const std::string& name) const {
  if (!raw_.has(name)) return std::nullopt;
  return raw_.get(name);
}

std::string Request::contentType() const {
  std::string ct = raw_.getContentType();
  auto semi = ct.find(';');
  if (semi != std::string::npos) ct.resize(semi);
  return Poco::toLower(Poco::trim(ct));
}

int64_t Request::contentLength() const { return raw_.getContentLength64(); }

std::istream& Request::body() {
  if (!body_) {
    // For chunked bodies: whether the client's side of the connection is closed (readable with
    // nothing to read), which tells a cut-off body from a complete one (LimitedStream).
    std::function<bool()> peerClosed;
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&raw_)) {
      peerClosed = [impl] {
        try {
          Poco::Net::StreamSocket& socket = impl->socket();
          if (!socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) return false;
          char c;
          return socket.receiveBytes(&c, 1, MSG_PEEK) <= 0;
        } catch (const Poco::Exception&) {
          return true;
        }
      };
    }
    body_ =
        std::make_unique<LimitedStream>(raw_.stream(), contentLength(), maxBodyBytes_, std::move(peerClosed));
  }
  return *body_;
}

uint64_t Request::bytesRead() const { return body_ ? body_->consumed() : 0; }

bool Request::hasBody() const {
  const int64_t length = contentLength();
  return length > 0 || (length < 0 && raw_.getChunkedTransferEncoding());
}

bool Request::bodyConsumed() const {
  const int64_t length = contentLength();
  if (!hasBody()) return true;
  if (!body_) return false;
  return body_->done() || (length > 0 && body_->consumed() == static_cast<uint64_t>(length));
}

std::string Request::bodyText(uint64_t maxBytes) {
  auto tooLarge = [&] {
    return PayloadTooLarge("a JSON body may hold at most " + std::to_string(maxBytes) + " bytes");
  };
  std::string text;
  std::istream& in = body();
  const int64_t announced = contentLength();
  if (announced > 0) {
    // One read into a buffer of the announced size: the body is not copied piece by piece.
    if (static_cast<uint64_t>(announced) > maxBytes) throw tooLarge();
    text.resize(static_cast<std::size_t>(announced));
    in.read(text.data(), announced);
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
  }
  char buf[16384];
  while (true) {
    // Never more than one byte past the limit: a chunked body is refused as soon as it passes it.
    const uint64_t room = maxBytes - std::min<uint64_t>(maxBytes, text.size()) + 1;
    in.read(buf, static_cast<std::streamsize>(std::min<uint64_t>(sizeof buf, room)));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    text.append(buf, n);
    if (text.size() > maxBytes) throw tooLarge();
  }
  return text;
}

Poco::Dynamic::Var parseJsonBody(const std::string& text) {
  if (text.find_first_not_of(" \t\n\r\f\v") == std::string::npos)
    throw BadRequest("invalid_json", "the request body must be JSON, and it is empty");
  try {
    Poco::JSON::Parser parser;
    return parser.parse(text);
  } catch (const Poco::Exception& e) {
    throw BadRequest("invalid_json", "malformed JSON in the request body: " + e.message());
  } catch (const std::exception& e) {
    throw BadRequest("invalid_json", std::string("malformed JSON in the request body: ") + e.what());
  }
}

Poco::Dynamic::Var Request::json(uint64_t maxBytes) { return parseJsonBody(bodyText(maxBytes)); }

Poco::JSON::Object::Ptr Request::jsonObject(uint64_t maxBytes) {
  auto v = json(maxBytes);
  if (v.type() != typeid(Poco::JSON::Object::Ptr))
    throw BadRequest("invalid_json", "the request body must be a JSON object");
  return v.extract<Poco::JSON::Object::Ptr>();
}

void Request::setParams(std::map<std::string, std::string> params) { params_ = std::move(params); }

// ---------------------------------------------------------------------------------------

BodyWriter::~BodyWriter() = default;

namespace {

void sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t n) {
  while (n > 0) {
    const int sent = socket.sendBytes(data, static_cast<int>(std::min<std::size_t>(n, 1u << 30)));
    if (sent <= 0) throw Poco::Net::ConnectionResetException("client closed the connection");
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
}

}  // namespace

// Gathers writes into kResponseBlockBytes blocks and sends each with one socket call. A body of
// more than a few blocks is sent by a second thread while the handler produces the next ones (at
// most kBlocksInFlight blocks queued: a store hands over pieces of up to 16 MiB, and the next
// piece is read while the last blocks of one are sent), so that reading a store and writing the
// socket overlap; the sender's error (the client went away) reaches the handler on its next
// write or close.
class SocketBodyWriter : public BodyWriter {
 public:
  SocketBodyWriter(Response& response, Poco::Net::StreamSocket* socket, bool chunked, int64_t length)
      : response_(response), socket_(socket), chunked_(chunked), length_(length) {
    if (socket_) buffer_.reserve(kResponseBlockBytes);
  }
  ~SocketBodyWriter() override {
    try {
      close();
    } catch (...) {
      response_.abort();
    }
    try {
      stopSender();
    } catch (...) {
      response_.abort();
    }
  }
  void write(const char* data, std::size_t n) override {
    if (closed_) throw std::logic_error("BodyWriter::write after close");
    written_ += n;
    if (length_ >= 0 && written_ > static_cast<uint64_t>(length_))
      throw std::logic_error("response body longer than its Content-Length");
    if (!socket_) return;  // HEAD
    response_.bytesWritten_ += n;
    if (!sender_.joinable() && buffer_.empty() && n >= kResponseBlockBytes && !wantsSender()) {
      emit(data, n);
      return;
    }
    while (n > 0) {
      const std::size_t take = std::min(n, kResponseBlockBytes - buffer_.size());
      buffer_.insert(buffer_.end(), data, data + take);
      data += take;
      n -= take;
      if (buffer_.size() == kResponseBlockBytes) flushBuffer();
    }
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (!socket_) return;
    flushBuffer();
    stopSender();
    if (length_ >= 0 && written_ != static_cast<uint64_t>(length_)) {
      response_.abort();
      throw std::logic_error("response body shorter than its Content-Length");
    }
    // For chunked bodies the terminating chunk is written by Poco's chunked stream when the
    // response ends.
  }

 private:
  // Bodies of unknown length, or of more than four blocks, are worth a sender thread.
  bool wantsSender() const { return length_ < 0 || length_ > static_cast<int64_t>(4 * kResponseBlockBytes); }

  void flushBuffer() {
    if (buffer_.empty()) return;
    // The second full block starts the sender: one-block bodies never start a thread.
    if (!sender_.joinable() && buffer_.size() == kResponseBlockBytes && blocksFlushed_++ > 0 && wantsSender())
      startSender();
    if (!sender_.joinable()) {
      emit(buffer_.data(), buffer_.size());
      buffer_.clear();
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return queue_.size() < kBlocksInFlight || error_; });
    if (error_) std::rethrow_exception(error_);
    queue_.push_back(std::move(buffer_));
    if (spare_.empty()) {
      buffer_ = std::vector<char>();
    } else {
      buffer_ = std::move(spare_.back());
      spare_.pop_back();
    }
    buffer_.clear();
    buffer_.reserve(kResponseBlockBytes);
    ready_.notify_all();
  }

  void startSender() {
    sender_ = std::thread([this] {
      for (;;) {
        std::vector<char> block;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          ready_.wait(lock, [this] { return !queue_.empty() || stop_; });
          if (queue_.empty()) return;
          block = std::move(queue_.front());
          queue_.pop_front();
        }
        try {
          emit(block.data(), block.size());
        } catch (...) {
          std::lock_guard<std::mutex> lock(mutex_);
          error_ = std::current_exception();
          queue_.clear();
          ready_.notify_all();
          return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        spare_.push_back(std::move(block));
        ready_.notify_all();
      }
    });
  }

  // Waits until every handed-off block is sent, then ends the thread; rethrows its error.
  void stopSender() {
    if (!sender_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ready_.notify_all();
    }
    sender_.join();
    if (error_) {
      auto e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

  void emit(const char* data, std::size_t n) {
    if (chunked_) {
      char head[32];
      const int len = std::snprintf(head, sizeof head, "%zx\r\n", n);
      sendAll(*socket_, head, static_cast<std::size_t>(len));
      sendAll(*socket_, data, n);
      sendAll(*socket_, "\r\n", 2);
    } else {
      sendAll(*socket_, data, n);
    }
  }
  Response& response_;
  Poco::Net::StreamSocket* socket_;
  bool chunked_;
  int64_t length_;
  uint64_t written_ = 0;
  bool closed_ = false;
  std::vector<char> buffer_;
  uint64_t blocksFlushed_ = 0;
  // The sender thread and the block it is handed.
  std::thread sender_;
  std::mutex mutex_;
  std::condition_variable ready_;
  // Blocks handed to the sender, in order, and sent blocks kept for reuse.
  static constexpr std::size_t kBlocksInFlight = 8;
  std::deque<std::vector<char>> queue_;
  std::vector<std::vector<char>> spare_;
  bool stop_ = false;
  std::exception_ptr error_;
};

Response::Response(Poco::Net::HTTPServerResponse& raw, Poco::Net::HTTPServerRequest& request)
    : raw_(raw), request_(request), head_(request.getMethod() == "HEAD") {}
Response::~Response() = default;

void Response::setStatus(int status, const std::string& reason) {
  if (reason.empty())
    raw_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  else
    raw_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status), reason);
}
int Response::status() const { return raw_.getStatus(); }
void Response::setHeader(const std::string& name, const std::string& value) { raw_.set(name, value); }
void Response::setContentType(const std::string& type) { raw_.setContentType(type); }
void Response::closeConnection() { raw_.setKeepAlive(false); }

void Response::abort() {
  raw_.setKeepAlive(false);
  try {
    static_cast<Poco::Net::HTTPServerRequestImpl&>(request_).socket().shutdown();
  } catch (...) {
  }
}

std::ostream& Response::sendHeaders() {
  if (sent_) throw std::logic_error("response already sent");
  if (beforeSend_) beforeSend_();
  sent_ = true;
  return raw_.send();
}

void Response::sendJson(const Poco::Dynamic::Var& value, int status) {
  std::ostringstream os;
  Poco::JSON::Stringifier::condense(value, os);
  sendBytes(os.str().data(), os.str().size(), "application/json", status);
}

void Response::sendText(const std::string& text, const std::string& contentType, int status) {
  sendBytes(text.data(), text.size(), contentType, status);
}

void Response::sendEmpty(int status) {
  setStatus(status);
  raw_.setContentLength(0);
  sendHeaders().flush();
}

void Response::sendBytes(const void* data, std::size_t n, const std::string& contentType, int status) {
  if (status) setStatus(status);
  if (n >= kResponseBlockBytes) {
    auto w = beginBody(contentType, static_cast<int64_t>(n));
    w->write(static_cast<const char*>(data), n);
    w->close();
    return;
  }
  raw_.setContentType(contentType);
  raw_.setContentLength64(static_cast<Poco::Int64>(n));
  std::ostream& os = sendHeaders();
  if (!head_) {
    os.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    bytesWritten_ += n;
  }
  os.flush();
}

std::unique_ptr<BodyWriter> Response::beginBody(const std::string& contentType, int64_t length) {
  raw_.setContentType(contentType);
  const bool chunked = length < 0;
  if (chunked)
    raw_.setChunkedTransferEncoding(true);
  else
    raw_.setContentLength64(length);
  sendHeaders().flush();
  Poco::Net::StreamSocket* socket =
      head_ ? nullptr : &static_cast<Poco::Net::HTTPServerRequestImpl&>(request_).socket();
  return std::make_unique<SocketBodyWriter>(*this, socket, chunked, length);
}

}  // namespace strata
