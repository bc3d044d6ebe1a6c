#include "deadline_socket.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <sys/socket.h>

#include <cerrno>
#include <vector>

namespace strata {

namespace {

Poco::Timespan toTimespan(std::chrono::steady_clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(us > 0 ? us + 1 : 0));
}

class DeadlineServerSocketImpl : public Poco::Net::ServerSocketImpl {
 public:
  explicit DeadlineServerSocketImpl(std::shared_ptr<const RequestDeadlines> limits)
      : limits_(std::move(limits)) {}

  Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& clientAddr) override {
    if (sockfd() == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
    sockaddr_storage buffer;
    auto* address = reinterpret_cast<sockaddr*>(&buffer);
    poco_socklen_t length = sizeof(buffer);
    poco_socket_t fd;
    do {
      fd = ::accept(sockfd(), address, &length);
    } while (fd == POCO_INVALID_SOCKET && errno == EINTR);
    if (fd == POCO_INVALID_SOCKET) error();  // throws
    clientAddr = Poco::Net::SocketAddress(address, length);
    return new DeadlineSocketImpl(fd, limits_);
  }

 private:
  std::shared_ptr<const RequestDeadlines> limits_;
};

}  // namespace

DeadlineSocketImpl::DeadlineSocketImpl(poco_socket_t fd, std::shared_ptr<const RequestDeadlines> limits)
    : Poco::Net::StreamSocketImpl(fd), limits_(std::move(limits)) {}

DeadlineSocketImpl::~DeadlineSocketImpl() = default;

void DeadlineSocketImpl::startHeaders() {
  phase_ = Phase::Headers;
  armed_ = false;
  firstRequest_ = false;
  expired_ = Phase::Off;
}

void DeadlineSocketImpl::startBody() {
  phase_ = Phase::Body;
  armed_ = false;
  firstRequest_ = false;
}

void DeadlineSocketImpl::stop() {
  phase_ = Phase::Off;
  armed_ = false;
}

void DeadlineSocketImpl::arm() {
  const int64_t seconds = phase_ == Phase::Body ? limits_->bodySeconds : limits_->headerSeconds;
  deadline_ = Clock::now() + std::chrono::seconds(seconds);
  armed_ = true;
}

void DeadlineSocketImpl::setReceiveTimeout(const Poco::Timespan& timeout) {
  receiveTimeout_ = timeout;
  Poco::Net::StreamSocketImpl::setReceiveTimeout(timeout);
}

bool DeadlineSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  // Poco waits for the first request of a connection with a poll: its headers' clock starts
  // there. Later polls between keep-alive requests wait under server.keepAliveTimeout instead.
  if (firstRequest_ && phase_ == Phase::Headers && !armed_ && (mode & SELECT_READ)) {
    firstRequest_ = false;
    arm();
  }
  if (!armed_ || phase_ == Phase::Off || expired_ != Phase::Off || !(mode & SELECT_READ))
    return Poco::Net::StreamSocketImpl::poll(timeout, mode);
  const auto now = Clock::now();
  if (now >= deadline_) return true;  // the receive that follows reports the deadline
  const Poco::Timespan remaining = toTimespan(deadline_ - now);
  if (timeout < remaining) return Poco::Net::StreamSocketImpl::poll(timeout, mode);
  Poco::Net::StreamSocketImpl::poll(remaining, mode);
  return true;
}

int DeadlineSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  if (phase_ == Phase::Off || (flags & MSG_PEEK))
    return Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags);
  if (expired_ != Phase::Off) return expire();
  if (!armed_) arm();
  if (Clock::now() >= deadline_) return expire();
  // What has arrived already needs no wait (and no poll): one non-blocking receive first.
  ssize_t rc;
  do {
    rc = ::recv(sockfd(), buffer, static_cast<std::size_t>(length), flags | MSG_DONTWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc >= 0) return received(static_cast<int>(rc));
  if (errno != EAGAIN && errno != EWOULDBLOCK)
    return received(Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags));  // Poco's error
  while (true) {
    const auto now = Clock::now();
    if (now >= deadline_) return expire();
    Poco::Timespan wait = toTimespan(deadline_ - now);
    const bool byReceiveTimeout = receiveTimeout_.totalMicroseconds() > 0 && receiveTimeout_ < wait;
    if (byReceiveTimeout) wait = receiveTimeout_;
    if (Poco::Net::StreamSocketImpl::poll(wait, SELECT_READ | SELECT_ERROR)) break;
    if (byReceiveTimeout) throw Poco::TimeoutException();  // as Poco's own receive timeout
  }
  return received(Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags));
}

int DeadlineSocketImpl::received(int n) {
  if (phase_ == Phase::Body && n > 0 && limits_->minBodyRate > 0)
    deadline_ += std::chrono::microseconds(static_cast<uint64_t>(n) * 1000000 / limits_->minBodyRate);
  return n;
}

int DeadlineSocketImpl::sendBytes(const void* buffer, int length, int flags) {
  // After a 408 for late headers, Poco answers the cut-off request with its own 400: dropped.
  if (expired_ == Phase::Headers) return length;
  return Poco::Net::StreamSocketImpl::sendBytes(buffer, length, flags);
}

int DeadlineSocketImpl::expire() {
  if (phase_ == Phase::Body) {
    expired_ = Phase::Body;
    throw Poco::TimeoutException("the request body did not arrive in time");
  }
  if (expired_ == Phase::Headers) return 0;
  expired_ = Phase::Headers;
  // The request is not known yet: the plain 408, then the end of the connection. What the
  // client is still sending is read and dropped for a moment, so that closing with unread data
  // (a reset) does not destroy the answer before the client reads it.
  try {
    const std::string& answer = limits_->headerTimeoutResponse;
    Poco::Net::StreamSocketImpl::sendBytes(answer.data(), static_cast<int>(answer.size()));
    shutdownSend();
    std::vector<char> buf(16 * 1024);
    const auto until = Clock::now() + std::chrono::seconds(2);
    while (true) {
      const auto now = Clock::now();
      if (now >= until || !Poco::Net::StreamSocketImpl::poll(toTimespan(until - now), SELECT_READ)) break;
      if (Poco::Net::StreamSocketImpl::receiveBytes(buf.data(), static_cast<int>(buf.size())) <= 0) break;
    }
  } catch (const Poco::Exception&) {
  }
  return 0;
}

DeadlineServerSocket::DeadlineServerSocket(std::shared_ptr<const RequestDeadlines> limits)
    : Poco::Net::ServerSocket(new DeadlineServerSocketImpl(std::move(limits)), true) {}

}  // namespace strata
