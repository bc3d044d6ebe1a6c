#pragma once
// Whole-request deadlines. Poco's receive timeout (server.timeout) bounds each receive call, so a
// client that sends one byte a second never trips it and holds a connection thread for as long
// as it likes. The sockets the server accepts are DeadlineSocketImpl: in the header phase the
// request line and headers must arrive within server.requestHeaderTimeout, in the body phase
// the body within server.requestBodyTimeout plus one second for every server.minBodyRate bytes
// received. Each clock starts at the first receive of its phase, so time spent waiting for a
// free thread or an idle keep-alive wait does not count.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace strata {

struct RequestDeadlines {
  int64_t headerSeconds = 30;
  int64_t bodySeconds = 60;
  uint64_t minBodyRate = 1024;  // bytes per second that extend the body deadline; 0: none
  // Sent as is when the headers' deadline passes (the route is not known yet).
  std::string headerTimeoutResponse;
};

class DeadlineSocketImpl : public Poco::Net::StreamSocketImpl {
 public:
  enum class Phase { Off, Headers, Body };

  DeadlineSocketImpl(poco_socket_t fd, std::shared_ptr<const RequestDeadlines> limits);

  // The next request's headers: the clock starts at the next receive.
  void startHeaders();
  // The current request's body: the clock starts at the next receive.
  void startBody();
  // No deadline (a lingering close after the response has its own bounds).
  void stop();
  // Whether the body deadline passed during the current request.
  bool bodyExpired() const { return expired_ == Phase::Body; }

  int receiveBytes(void* buffer, int length, int flags = 0) override;
  int sendBytes(const void* buffer, int length, int flags = 0) override;
  bool poll(const Poco::Timespan& timeout, int mode) override;
  void setReceiveTimeout(const Poco::Timespan& timeout) override;

 protected:
  ~DeadlineSocketImpl() override;

 private:
  using Clock = std::chrono::steady_clock;
  void arm();
  int expire();         // the deadline passed: answers 408 (headers) or throws (body)
  int received(int n);  // counts n bytes of a body towards its deadline

  std::shared_ptr<const RequestDeadlines> limits_;
  Phase phase_ = Phase::Headers;
  Phase expired_ = Phase::Off;
  bool armed_ = false;
  bool firstRequest_ = true;  // the first request's clock also starts at Poco's first poll
  Clock::time_point deadline_{};
  Poco::Timespan receiveTimeout_{0};
};

// A listening socket whose accepted connections are DeadlineSocketImpl.
class DeadlineServerSocket : public Poco::Net::ServerSocket {
 public:
  explicit DeadlineServerSocket(std::shared_ptr<const RequestDeadlines> limits);
};

}  // namespace strata
