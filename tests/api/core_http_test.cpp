// HTTP behaviour of the core (router, errors, limits, auth, streaming, shutdown) against a
// real strata-server process with the admin plugin and the fixture plugin loaded.
#include "support/server_process.h"

#include <strata/util.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/File.h>
#include <Poco/DirectoryIterator.h>

#include <gtest/gtest.h>

#include <future>
#include <chrono>
#include <thread>

namespace strata::test {
namespace {

Poco::JSON::Object::Ptr parse(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::map<std::string, std::string> baseConfig() {
  return {{"plugins.path", std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR},
          {"plugins.load", "admin, fixture"},
          {"stores.blobs.default.backend", "fs"},
          {"stores.blobs.default.path", "blobs"},
          {"server.maxBodyBytes", "8M"},
          // These tests write anonymously (fixture routes, blob uploads).
          {"auth.anonymousWrites", "true"},
          // Every origin, as the tests of CORS headers expect.
          {"server.cors", "*"}};
}

class CoreHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    writeFile(dir_->file("users"), ServerProcess::usersLine("root", "rootpw", "admin") + "\n");
    auto cfg = baseConfig();
    cfg["auth.usersFile"] = dir_->file("users");
    server_ = new ServerProcess(cfg);
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0) << server_->log();
    delete server_;
    delete dir_;
  }
  static TempDir* dir_;
  ServerProcess& server() { return *server_; }
  static ServerProcess* server_;
};
ServerProcess* CoreHttp::server_ = nullptr;
TempDir* CoreHttp::dir_ = nullptr;

TEST_F(CoreHttp, HealthPluginsRoutes) {
  auto h = server().get("/strata/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(parse(h.body)->getValue<std::string>("status"), "ok");

  auto p = server().get("/strata/plugins");
  ASSERT_EQ(p.status, 200);
  EXPECT_NE(p.body.find("\"name\":\"admin\""), std::string::npos);
  EXPECT_NE(p.body.find("\"name\":\"fixture\""), std::string::npos);
  EXPECT_NE(p.body.find("\"name\":\"fs\""), std::string::npos);
  EXPECT_NE(p.body.find("\"kind\":\"backend\""), std::string::npos);

  auto r = server().get("/strata/routes");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("{\"method\":\"GET\",\"pattern\":\"/fixture/items/{id}\",\"plugin\":\"fixture\"}"),
            std::string::npos)
      << r.body;
}

TEST_F(CoreHttp, PathAndQueryParameters) {
  auto r = server().get("/fixture/items/a%20b?q=x%26y");
  ASSERT_EQ(r.status, 200);
  auto o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("id"), "a b");
  EXPECT_EQ(o->getValue<std::string>("q"), "x&y");
  auto f = server().get("/fixture/files/dir/sub/name.txt");
  ASSERT_EQ(f.status, 200);
  EXPECT_EQ(parse(f.body)->getValue<std::string>("name"), "dir/sub/name.txt");
}

TEST_F(CoreHttp, UnknownRouteIs404Json) {
  auto r = server().get("/no/such/thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto err = parse(r.body)->getObject("error");
  EXPECT_EQ(err->getValue<int>("status"), 404);
  EXPECT_EQ(err->getValue<std::string>("code"), "not_found");
}

TEST_F(CoreHttp, WrongMethodIs405WithAllow) {
  auto r = server().request("DELETE", "/strata/health");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(parse(r.body)->getObject("error")->getValue<int>("status"), 405);
}

TEST_F(CoreHttp, HeadAndOptions) {
  auto get = server().get("/fixture/hello");
  auto head = server().request("HEAD", "/fixture/hello");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), get.header("content-length"));
  EXPECT_TRUE(head.body.empty());
  auto opt = server().request("OPTIONS", "/fixture/items/1");
  EXPECT_EQ(opt.status, 204);
  EXPECT_EQ(opt.header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(opt.header("access-control-allow-origin"), "*");
}

TEST_F(CoreHttp, MalformedAndWrongJson) {
  for (const std::string body : {"{\"a\": ", "{not json}", "[1,2,3]", "\"text\"", "", "{\"a\":1}}}"}) {
    auto r = server().request("POST", "/fixture/json", body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(parse(r.body)->getObject("error")->getValue<int>("status"), 400);
  }
  auto ok = server().request("POST", "/fixture/json", "{\"a\":1,\"b\":[2]}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(parse(ok.body)->getValue<int>("keys"), 2);
}

TEST_F(CoreHttp, ThrowingHandlersGiveJson500AndTheServerStaysUp) {
  for (const std::string path : {"/fixture/std", "/fixture/poco", "/fixture/int"}) {
    auto r = server().get(path);
    EXPECT_EQ(r.status, 500) << path;
    auto err = parse(r.body)->getObject("error");
    EXPECT_EQ(err->getValue<int>("status"), 500);
    // The client gets a reference, the log gets the detail.
    const auto message = err->getValue<std::string>("message");
    EXPECT_NE(message.find("logged as #"), std::string::npos) << message;
    EXPECT_EQ(message.find("failure"), std::string::npos) << message;
  }
  EXPECT_NE(server().log().find("std failure"), std::string::npos);
  auto silent = server().get("/fixture/silent");
  EXPECT_EQ(silent.status, 500);
  EXPECT_NE(silent.body.find("sent no response"), std::string::npos) << silent.body;
  auto c = server().get("/fixture/conflict");
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(parse(c.body)->getObject("error")->getValue<std::string>("message"), "it clashes");
  EXPECT_EQ(server().get("/strata/health").status, 200);
}

TEST_F(CoreHttp, ErrorFormatChosenByRoute) {
  auto r = server().get("/fixture/synapse");
  EXPECT_EQ(r.status, 404);
  auto o = parse(r.body);
  EXPECT_EQ(o->getValue<std::string>("reason"), "no such entity");
  EXPECT_EQ(o->getValue<std::string>("concreteType"), "org.sagebionetworks.repo.model.ErrorResponse");
}

TEST_F(CoreHttp, OversizedBodyGets413BeforeTheBodyIsSent) {
  // Only headers are sent, announcing 1 GiB; the answer must come without the body.
  const std::string out =
      rawExchange(server().port(),
                  "PUT /fixture/count HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n"
                  "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_EQ(out.find("100 Continue"), std::string::npos) << out;
  EXPECT_NE(out.find("\"status\":413"), std::string::npos) << out;
  // Per-route limit (1 MiB on /fixture/count), under the server's 8 MiB.
  auto r = server().request("PUT", "/fixture/count", std::string(2 << 20, 'a'));
  EXPECT_EQ(r.status, 413);
  auto ok = server().request("PUT", "/fixture/count", std::string(1000, 'a'));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(parse(ok.body)->getValue<int>("bytes"), 1000);
}

TEST_F(CoreHttp, ChunkedBodyOverTheLimitIs413) {
  // A chunked body does not announce its size; the limit applies while reading.
  Poco::Net::HTTPClientSession s("127.0.0.1", server().port());
  Poco::Net::HTTPRequest req("PUT", "/fixture/count", "HTTP/1.1");
  req.setChunkedTransferEncoding(true);
  std::ostream& os = s.sendRequest(req);
  const std::string block(64 * 1024, 'z');
  for (int i = 0; i < 20; ++i) os << block;  // 1.25 MiB > 1 MiB
  Poco::Net::HTTPResponse res;
  s.receiveResponse(res);
  EXPECT_EQ(res.getStatus(), 413);
}

// A chunked upload cut off mid-chunk (the client goes away) is not a complete body: nothing is
// stored. A complete chunked upload on the next connection is.
TEST_F(CoreHttp, ChunkedBodyCutOffMidChunkStoresNothing) {
  const std::string before = server().get("/strata/blobs").body;
  for (const std::string& cut :
       {"2000\r\n" + std::string(100, 'q'), "2000\r\n" + std::string(0x2000, 'q') + "\r\n",
        "2000\r\n" + std::string(0x2000, 'q') + "\r\n10"}) {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server().port()));
    const std::string head =
        "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + cut;
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    s.close();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server().get("/strata/blobs").body, before);
  Poco::Net::HTTPClientSession c("127.0.0.1", server().port());
  Poco::Net::HTTPRequest req("POST", "/strata/blobs", "HTTP/1.1");
  req.setChunkedTransferEncoding(true);
  c.sendRequest(req) << std::string(0x2000, 'q');
  Poco::Net::HTTPResponse res;
  c.receiveResponse(res);
  EXPECT_EQ(res.getStatus(), 201);
  EXPECT_NE(server().get("/strata/blobs").body, before);
}

TEST_F(CoreHttp, OddUrlsAndHeaders) {
  EXPECT_EQ(server().get("/fixture/items/%zz").status, 400);
  EXPECT_EQ(server().get("/fixture/items/%E2%98%83").status, 200);
  EXPECT_EQ(server().get("/fixture/items/x?q=%zz").status, 400);
  const std::string raw =
      rawExchange(server().port(), "GET /fixture/hello HTTP/1.1\r\nHost: x\r\nX-Odd: \x01\x7f\xff\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  const std::string garbage = rawExchange(server().port(), "\x16\x03\x01 not http at all\r\n\r\n", 2000);
  EXPECT_EQ(garbage.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(server().get("/strata/health").status, 200);
}

TEST_F(CoreHttp, LargeResponsesStreamInFullWithAndWithoutLength) {
  for (const std::string path : {"/fixture/stream/64", "/fixture/stream/64?chunked=1"}) {
    Poco::Net::HTTPClientSession s("127.0.0.1", server().port());
    Poco::Net::HTTPRequest req("GET", path, "HTTP/1.1");
    s.sendRequest(req);
    Poco::Net::HTTPResponse res;
    std::istream& in = s.receiveResponse(res);
    ASSERT_EQ(res.getStatus(), 200);
    std::vector<char> buf(1 << 20);
    uint64_t total = 0;
    bool allX = true;
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
      for (std::streamsize i = 0; i < in.gcount(); i += 4096) allX = allX && buf[i] == 'x';
      total += static_cast<uint64_t>(in.gcount());
    }
    EXPECT_EQ(total, 64ull << 20) << path;
    EXPECT_TRUE(allX);
    // The connection stays usable after a complete chunked body.
    Poco::Net::HTTPRequest again("GET", "/strata/health", "HTTP/1.1");
    s.sendRequest(again);
    Poco::Net::HTTPResponse res2;
    s.receiveResponse(res2);
    EXPECT_EQ(res2.getStatus(), 200) << path;
  }
}

TEST_F(CoreHttp, FailureMidBodyTruncatesTheTransfer) {
  Poco::Net::HTTPClientSession s("127.0.0.1", server().port());
  Poco::Net::HTTPRequest req("GET", "/fixture/half/8", "HTTP/1.1");
  s.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& in = s.receiveResponse(res);
  EXPECT_EQ(res.getContentLength64(), 8 << 20);
  uint64_t total = 0;
  std::vector<char> buf(1 << 16);
  try {
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0) total += static_cast<uint64_t>(in.gcount());
  } catch (const Poco::Exception&) {
  }
  EXPECT_LT(total, 8ull << 20);
  EXPECT_EQ(server().get("/strata/health").status, 200);
}

// A client that stops reading a large body and goes away: the sender thread ends, the handler
// ends, and the server goes on serving.
TEST_F(CoreHttp, ClientGoingAwayMidDownloadLeavesTheServerServing) {
  for (const std::string path : {"/fixture/stream/256", "/fixture/stream/256?chunked=1"}) {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server().port()));
    const std::string head = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    std::vector<char> buf(1 << 16);
    std::size_t got = 0;
    while (got < (3u << 20)) {
      const int n = s.receiveBytes(buf.data(), static_cast<int>(buf.size()));
      ASSERT_GT(n, 0) << path;
      got += static_cast<std::size_t>(n);
    }
    s.close();
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(server().get("/strata/health").status, 200);
  EXPECT_EQ(server().get("/fixture/stream/8").body.size(), 8u << 20);
}

TEST_F(CoreHttp, BlobRoundTripWithRangesAndBytesOnDisk) {
  // 6 MiB: more than four response blocks, so the download goes through the body writer's
  // sender thread, and its bytes must arrive whole and in order.
  const std::string content = randomBytes(6 << 20, 7);
  Sha256 sha;
  sha.update(content.data(), content.size());
  const std::string id = sha.hexDigest();
  auto put = server().request("POST", "/strata/blobs", content);
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(parse(put.body)->getValue<std::string>("id"), id);
  EXPECT_EQ(put.header("location"), "/strata/blobs/" + id);

  auto get = server().get("/strata/blobs/" + id);
  ASSERT_EQ(get.status, 200);
  EXPECT_TRUE(get.body == content);
  auto part = server().get("/strata/blobs/" + id, {{"Range", "bytes=100-199"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.header("content-range"), "bytes 100-199/" + std::to_string(content.size()));
  EXPECT_TRUE(part.body == content.substr(100, 100));
  auto tail = server().get("/strata/blobs/" + id, {{"Range", "bytes=-10"}});
  EXPECT_TRUE(tail.body == content.substr(content.size() - 10));
  EXPECT_EQ(server().get("/strata/blobs/" + id, {{"Range", "bytes=99999999-"}}).status, 416);
  EXPECT_EQ(server().get("/strata/blobs/" + id, {{"If-None-Match", "\"" + id + "\""}}).status, 304);

  // The bytes on disk are the content.
  bool found = false;
  for (Poco::DirectoryIterator it(server().dir() + "/blobs/objects"), end; it != end; ++it)
    if (it->isDirectory())
      for (Poco::DirectoryIterator f(it->path()); f != end; ++f)
        if (f.name().find(id.substr(2)) != std::string::npos || f.name() == id) {
          EXPECT_TRUE(readFile(f->path()) == content);
          found = true;
        }
  EXPECT_TRUE(found);

  EXPECT_EQ(server().get("/strata/blobs/not-an-id").status, 400);
  EXPECT_EQ(server().get("/strata/blobs/" + std::string(64, 'a')).status, 404);
  EXPECT_EQ(server().request("DELETE", "/strata/blobs/" + id).status, 401);  // admin only
  auto del =
      server().request("DELETE", "/strata/blobs/" + id, "", {{"Authorization", basicAuth("root", "rootpw")}});
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(server().get("/strata/blobs/" + id).status, 404);
}

TEST_F(CoreHttp, ClientDisconnectMidUploadLeavesNoBlob) {
  auto before = server().get("/strata/blobs");
  {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server().port()));
    const std::string head = "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n";
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    const std::string part(1000000, 'q');
    s.sendBytes(part.data(), static_cast<int>(part.size()));
    s.close();
  }
  // The server notices the short body; wait until the upload's request is over.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(server().get("/strata/blobs").body, before.body);
  for (Poco::DirectoryIterator it(server().dir() + "/blobs/tmp"), end; it != end; ++it)
    ADD_FAILURE() << "left in tmp: " << it.name();
  EXPECT_EQ(server().get("/strata/health").status, 200);
}

TEST_F(CoreHttp, MetricsCountRequests) {
  server().get("/fixture/items/1");
  server().get("/fixture/items/2");
  auto m = server().get("/strata/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type").rfind("text/plain", 0), 0u);
  EXPECT_NE(
      m.body.find("strata_http_requests_total{method=\"GET\",route=\"/fixture/items/{id}\",status=\"200\"}"),
      std::string::npos);
  EXPECT_NE(m.body.find("strata_http_request_duration_seconds_bucket{method=\"GET\",route=\"/fixture/items/"
                        "{id}\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.body.find("strata_http_response_bytes_total"), std::string::npos);
}

TEST(ServerThreads, SixtyFourKeepAliveConnectionsWithDefaultSettings) {
  // No server.threads: the default must serve 64 idle keep-alive connections at once.
  ServerProcess s({{"plugins.path", std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR},
                   {"plugins.load", "admin, fixture"},
                   {"plugins.admin.blobs", "false"}});
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> sessions;
  for (int i = 0; i < 64; ++i) {
    sessions.push_back(std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", s.port()));
    sessions.back()->setKeepAlive(true);
    sessions.back()->setTimeout(Poco::Timespan(3, 0));
    Poco::Net::HTTPRequest req("GET", "/fixture/hello", "HTTP/1.1");
    req.setKeepAlive(true);
    sessions.back()->sendRequest(req);
    Poco::Net::HTTPResponse res;
    std::istream& in = sessions.back()->receiveResponse(res);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(res.getStatus(), 200) << "connection " << i;
  }
  // All 64 are open and idle; each is served again at once.
  for (auto& sess : sessions) {
    Poco::Net::HTTPRequest req("GET", "/strata/health", "HTTP/1.1");
    sess->sendRequest(req);
    Poco::Net::HTTPResponse res;
    sess->receiveResponse(res);
    EXPECT_EQ(res.getStatus(), 200);
  }
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServerShutdown, SigtermFinishesInFlightRequestsAndExitsZero) {
  ServerProcess s({{"plugins.path", std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR},
                   {"plugins.load", "admin, fixture"},
                   {"plugins.admin.blobs", "false"}});
  auto slow = std::async(std::launch::async, [&] { return s.get("/fixture/sleep/1500"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.stop(SIGTERM), 0) << s.log();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(800));
  auto r = slow.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(s.log().find("Strata stopped"), std::string::npos);
}

TEST(ServerShutdown, DeadlineAbortsRequestsThatRunTooLong) {
  ServerProcess s({{"plugins.path", std::string(STRATA_PLUGIN_DIR) + ", " + STRATA_FIXTURE_DIR},
                   {"plugins.load", "admin, fixture"},
                   {"plugins.admin.blobs", "false"},
                   {"server.shutdownTimeout", "1"}});
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = std::async(std::launch::async, [&] {
    int status = -1;
    try {
      status = s.get("/fixture/sleep/8000").status;
    } catch (...) {
    }
    return std::make_pair(status, std::chrono::steady_clock::now() - t0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto stopped = std::async(std::launch::async, [&] { return s.stop(SIGTERM); });
  // Past the 1 s deadline the connection is cut: the client learns it long before the
  // handler's 8 s are over.
  const auto [status, elapsed] = slow.get();
  EXPECT_EQ(status, -1);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_EQ(stopped.get(), 0) << s.log();
}

}  // namespace
}  // namespace strata::test
