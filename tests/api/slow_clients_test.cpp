// Slow clients: a client that trickles its headers or its body one byte a second gets 408 when
// the request's deadline passes (server.requestHeaderTimeout, server.requestBodyTimeout plus
// server.minBodyRate), its connection is closed and its thread is free for other clients. The
// deadlines here are 2 s so that each test takes a few seconds.
#include "support/server_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace strata::test {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Trickled {
  std::string answer;     // what the server sent, up to its close
  double answeredAt = 0;  // seconds from the connect to the first byte of the answer (0: none)
  std::size_t sent = 0;   // bytes of `rest` sent
};

// Sends `head` at once, then `rest` one byte every `interval`, reading whatever the server answers,
// until the server closes the connection, everything is sent or `maxSeconds` pass.
Trickled trickle(uint16_t port, const std::string& head, const std::string& rest,
                 std::chrono::milliseconds interval = std::chrono::milliseconds(1000),
                 double maxSeconds = 20) {
  Trickled out;
  const auto start = Clock::now();
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  auto readSome = [&](Poco::Timespan wait) {
    if (!s.poll(wait, Poco::Net::Socket::SELECT_READ)) return true;
    char buf[4096];
    const int n = s.receiveBytes(buf, sizeof buf);
    if (n <= 0) return false;
    if (out.answer.empty()) out.answeredAt = secondsSince(start);
    out.answer.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  try {
    if (!head.empty()) s.sendBytes(head.data(), static_cast<int>(head.size()));
    const Poco::Timespan wait(std::chrono::duration_cast<std::chrono::microseconds>(interval).count());
    while (secondsSince(start) < maxSeconds) {
      if (out.sent < rest.size()) {
        // Once the server answered, it may close at any moment: stop sending, keep reading.
        if (out.answer.empty()) s.sendBytes(&rest[out.sent++], 1);
      }
      if (!readSome(wait)) break;
    }
  } catch (const Poco::Exception&) {
    // A reset after the answer: what was read stays in `out`.
  }
  return out;
}

Poco::JSON::Object::Ptr bodyOf(const std::string& answer) {
  const auto at = answer.find("\r\n\r\n");
  if (at == std::string::npos) return nullptr;
  try {
    return Poco::JSON::Parser().parse(answer.substr(at + 4)).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

std::map<std::string, std::string> slowConfig() {
  return {{"plugins.load", "admin, hdf"},
          {"stores.blobs.default.backend", "fs"},
          {"stores.blobs.default.path", "blobs"},
          {"stores.arrays.default.backend", "memory"},
          {"stores.entities.default.backend", "memory"},
          {"auth.anonymousWrites", "true"},
          {"server.threads", "2"},
          {"server.keepAliveTimeout", "10"},
          {"server.requestHeaderTimeout", "2"},
          {"server.requestBodyTimeout", "2"},
          {"server.minBodyRate", "1K"}};
}

const std::string kHealth = "GET /strata/health HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(SlowClients, TrickledHeadersGet408AndTheConnectionIsClosed) {
  ServerProcess server(slowConfig());
  const auto t = trickle(server.port(), "", kHealth + std::string(30, 'x'));
  EXPECT_EQ(t.answer.rfind("HTTP/1.1 408 ", 0), 0u) << t.answer;
  EXPECT_GT(t.answeredAt, 1.5);
  EXPECT_LT(t.answeredAt, 5.0);
  EXPECT_LT(t.sent, 6u);  // the server did not wait for the rest
  auto o = bodyOf(t.answer);
  ASSERT_TRUE(o) << t.answer;
  EXPECT_EQ(o->getObject("error")->getValue<int>("status"), 408);
  EXPECT_EQ(o->getObject("error")->getValue<std::string>("code"), "request_timeout");
  EXPECT_NE(Poco::toLower(t.answer).find("connection: close"), std::string::npos) << t.answer;

  // A client that connects and sends nothing is cut at the same deadline.
  const auto idle = trickle(server.port(), "", "");
  EXPECT_EQ(idle.answer.rfind("HTTP/1.1 408 ", 0), 0u) << idle.answer;
  EXPECT_LT(idle.answeredAt, 5.0);
  EXPECT_EQ(server.get("/strata/health").status, 200);
}

// A body is answered with 408 in the error format of its route's API.
TEST(SlowClients, TrickledBodiesGet408InTheRoutesErrorFormat) {
  ServerProcess server(slowConfig());
  const auto blob =
      trickle(server.port(), "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
              std::string(100, 'b'));
  EXPECT_EQ(blob.answer.rfind("HTTP/1.1 408 ", 0), 0u) << blob.answer;
  EXPECT_GT(blob.answeredAt, 1.5);
  EXPECT_LT(blob.answeredAt, 5.0);
  auto o = bodyOf(blob.answer);
  ASSERT_TRUE(o) << blob.answer;
  EXPECT_EQ(o->getObject("error")->getValue<std::string>("code"), "request_timeout");
  EXPECT_EQ(server.get("/strata/blobs").body, "[]");  // nothing stored

  // h5serv's format: {"status": 408, "message": ...}.
  const std::string json = R"({"type": "H5T_STD_U8LE", "shape": [10]})";
  ASSERT_EQ(server.request("PUT", "/?domain=/slow.h5").status, 201);
  const auto hdf = trickle(server.port(),
                           "POST /datasets?domain=/slow.h5 HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           "application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                               std::to_string(json.size()) + "\r\n",
                           json + "\r\n0\r\n\r\n");
  EXPECT_EQ(hdf.answer.rfind("HTTP/1.1 408 ", 0), 0u) << hdf.answer;
  o = bodyOf(hdf.answer);
  ASSERT_TRUE(o) << hdf.answer;
  EXPECT_EQ(o->getValue<int>("status"), 408);
  EXPECT_NE(o->getValue<std::string>("message").find("did not arrive in time"), std::string::npos);
}

// With server.threads = 2, two slow clients hold both threads; a third client waits for one of
// them to be cut at its deadline and is then served.
TEST(SlowClients, OtherClientsAreServedWhileSlowClientsHoldEveryThread) {
  ServerProcess server(slowConfig());
  const auto start = Clock::now();
  auto headers = std::async(std::launch::async, [&] { return trickle(server.port(), "", kHealth + "x"); });
  auto body = std::async(std::launch::async, [&] {
    return trickle(server.port(), "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n",
                   std::string(50, 'b'));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto third = Clock::now();
  auto r = server.get("/strata/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(secondsSince(third), 5.0);
  const auto h = headers.get();
  const auto b = body.get();
  EXPECT_EQ(h.answer.rfind("HTTP/1.1 408 ", 0), 0u) << h.answer;
  EXPECT_EQ(b.answer.rfind("HTTP/1.1 408 ", 0), 0u) << b.answer;
  EXPECT_LT(secondsSince(start), 10.0);
  EXPECT_TRUE(server.running());
}

// The body's deadline grows with what arrives: a body sent at 2 KiB/s (minBodyRate is 1 KiB/s)
// that takes longer than requestBodyTimeout is accepted. The headers' clock starts at the first
// byte of a request, not at the end of the previous one on the same connection.
TEST(SlowClients, SteadyBodiesAndIdleKeepAliveAreNotCut) {
  ServerProcess server(slowConfig());
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server.port()));
  s.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string head = "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nContent-Length: 8192\r\n\r\n";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  const std::string block(1024, 's');
  const auto start = Clock::now();
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    s.sendBytes(block.data(), static_cast<int>(block.size()));
  }
  EXPECT_GT(secondsSince(start), 3.5);
  auto readAnswer = [&] {
    std::string answer;
    char buf[4096];
    while (answer.find("\r\n\r\n") == std::string::npos) {
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
    return answer;
  };
  const std::string answer = readAnswer();
  EXPECT_EQ(answer.rfind("HTTP/1.1 201 ", 0), 0u) << answer;
  const auto at = answer.find("Location: ");
  ASSERT_NE(at, std::string::npos) << answer;
  const std::string location = answer.substr(at + 10, answer.find("\r\n", at) - at - 10);
  EXPECT_EQ(server.get(location).body, std::string(8192, 's'));

  // The same connection, idle for 3 s (more than requestHeaderTimeout, less than keepAliveTimeout).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  s.sendBytes(kHealth.data(), static_cast<int>(kHealth.size()));
  const std::string again = readAnswer();
  EXPECT_EQ(again.rfind("HTTP/1.1 200 ", 0), 0u) << again;
}

// A client that stops reading a download: the server's sends time out after server.timeout
// without progress, the connection is cut and its thread serves others (here the only one).
TEST(SlowClients, AClientThatStopsReadingADownloadIsCut) {
  auto cfg = slowConfig();
  cfg["plugins.path"] = std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR;
  cfg["plugins.load"] = "admin, fixture";
  cfg.erase("stores.arrays.default.backend");
  cfg.erase("stores.entities.default.backend");
  cfg["server.threads"] = "1";
  cfg["server.timeout"] = "1";
  ServerProcess server(cfg);
  Poco::Net::StreamSocket stalled(Poco::Net::SocketAddress("127.0.0.1", server.port()));
  stalled.setReceiveBufferSize(64 * 1024);
  const std::string get = "GET /fixture/stream/256 HTTP/1.1\r\nHost: x\r\n\r\n";
  stalled.sendBytes(get.data(), static_cast<int>(get.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Not a byte read from `stalled`: the server's send buffer and ours fill, its send blocks.
  const auto start = Clock::now();
  const auto r = server.get("/strata/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(secondsSince(start), 8.0);
  // The stalled download was cut: far less than 256 MiB arrives before the connection ends.
  std::size_t received = 0;
  char buf[65536];
  stalled.setReceiveTimeout(Poco::Timespan(5, 0));
  try {
    int n;
    while ((n = stalled.receiveBytes(buf, sizeof buf)) > 0) received += static_cast<std::size_t>(n);
  } catch (const Poco::Exception&) {
  }
  EXPECT_LT(received, std::size_t(64) << 20);
}

TEST(SlowClients, DeadlinesMustBePositive) {
  for (const std::string key : {"server.requestHeaderTimeout", "server.requestBodyTimeout"}) {
    auto [code, out] = runServerExpectingExit({{key, "0"}});
    EXPECT_EQ(code, 78) << out;
    EXPECT_NE(out.find(key + " must be at least 1"), std::string::npos) << out;
  }
  auto [code, out] = runServerExpectingExit({{"server.minBodyRate", "fast"}});
  EXPECT_EQ(code, 78) << out;
  EXPECT_NE(out.find("server.minBodyRate"), std::string::npos) << out;
}

}  // namespace
}  // namespace strata::test
