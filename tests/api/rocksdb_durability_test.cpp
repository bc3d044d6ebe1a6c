// The rocksdb backend across process deaths: every blob whose upload was acknowledged (201)
// survives a SIGKILL of the server in the middle of other uploads, byte for byte, and the
// database reopens cleanly; and start-up fails with a clear message when the database is
// locked by another server or its path cannot be written.
#include "support/server_process.h"

#include <strata/util.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace strata::test {
namespace {

std::map<std::string, std::string> rocksdbConfig(const std::string& path) {
  return {{"plugins.load", "admin"},
          {"auth.anonymousWrites", "true"},
          {"stores.blobs.default.backend", "rocksdb"},
          {"stores.blobs.default.path", path},
          {"stores.entities.default.backend", "rocksdb"},
          {"stores.entities.default.path", path},
          {"stores.annotations.default.backend", "rocksdb"},
          {"stores.annotations.default.path", path}};
}

std::string sha256(const std::string& bytes) {
  Sha256 sha;
  sha.update(bytes.data(), bytes.size());
  return sha.hexDigest();
}

// The content of upload number `seed`: sizes from a few bytes to 3 MiB, mostly not a whole
// number of 1 MiB chunks.
std::string content(unsigned seed) {
  const std::size_t size = (static_cast<std::size_t>(seed) * 7919u * 131u) % (3u << 20) + 1;
  return randomBytes(size, seed);
}

// POSTs `body` to /strata/blobs in 256 KiB writes; returns the status (0 if the connection
// failed, as it does once the server is killed).
int postBlob(uint16_t port, const std::string& body) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/strata/blobs",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    std::ostream& os = session.sendRequest(req);
    for (std::size_t at = 0; at < body.size() && os; at += 256 << 10)
      os.write(body.data() + at,
               static_cast<std::streamsize>(std::min<std::size_t>(256 << 10, body.size() - at)));
    Poco::Net::HTTPResponse res;
    std::istream& is = session.receiveResponse(res);
    std::ostringstream ignored;
    ignored << is.rdbuf();
    return res.getStatus();
  } catch (const Poco::Exception&) {
    return 0;
  } catch (const std::exception&) {
    return 0;
  }
}

struct Listed {
  uint64_t size = 0;
  uint64_t refs = 0;
};

std::map<std::string, Listed> listBlobs(ServerProcess& server) {
  const auto r = server.get("/strata/blobs");
  EXPECT_EQ(r.status, 200) << r.body;
  std::map<std::string, Listed> out;
  const auto all = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Array::Ptr>();
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto o = all->getObject(static_cast<unsigned>(i));
    out[o->getValue<std::string>("id")] = {o->getValue<uint64_t>("size"), o->getValue<uint64_t>("refs")};
  }
  return out;
}

TEST(RocksDbDurability, AcknowledgedBlobsSurviveSigkillMidUpload) {
  ServerProcess server(rocksdbConfig("db"));
  std::map<std::string, unsigned> acked;   // id -> 201s received
  std::map<std::string, unsigned> seedOf;  // id -> a seed of its content (every attempt)
  unsigned nextSeed = 1;

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::atomic<bool> stop{false};
    std::atomic<int> acknowledged{0};
    std::mutex mutex;
    std::vector<std::pair<unsigned, int>> results;  // seed, status

    // Uploads one blob after another until the server dies; every fifth repeats an earlier
    // content, so that reference counts are on the line too.
    std::thread uploader([&, seedBase = nextSeed] {
      for (unsigned i = 0; !stop.load(); ++i) {
        const unsigned seed = (i % 5 == 4 && seedBase + i > 3) ? seedBase + i - 3 : seedBase + i;
        const int status = postBlob(server.port(), content(seed));
        {
          std::lock_guard lock(mutex);
          results.emplace_back(seed, status);
        }
        if (status == 0) break;
        if (status == 201) ++acknowledged;
      }
    });
    // An upload that has sent part of its body when the server dies: its chunks are written,
    // its record is not.
    const std::string partial = randomBytes(6 << 20, 999 + round);
    Poco::Net::StreamSocket raw(Poco::Net::SocketAddress("127.0.0.1", server.port()));
    const std::string head =
        "POST /strata/blobs HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(partial.size()) +
        "\r\n\r\n";
    raw.sendBytes(head.data(), static_cast<int>(head.size()));
    for (std::size_t at = 0; at < (3u << 20); at += 64 << 10) raw.sendBytes(partial.data() + at, 64 << 10);

    for (int i = 0; i < 400 && acknowledged.load() < 20; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    server.kill();
    stop = true;
    uploader.join();
    raw.close();
    ASSERT_GE(acknowledged.load(), 1) << server.log();
    nextSeed += static_cast<unsigned>(results.size()) + 1;
    for (const auto& [seed, status] : results) {
      const std::string id = sha256(content(seed));
      seedOf.emplace(id, seed);
      if (status == 201) ++acked[id];
    }

    ASSERT_TRUE(server.start()) << "the database did not reopen:\n" << server.log();
    const auto listed = listBlobs(server);
    for (const auto& [id, count] : acked) {
      auto it = listed.find(id);
      ASSERT_NE(it, listed.end()) << "acknowledged blob " << id << " is gone";
      // The upload in flight at the kill may have committed without its 201 getting out.
      EXPECT_GE(it->second.refs, count) << id;
      EXPECT_LE(it->second.refs, count + 1) << id;
      const auto got = server.get("/strata/blobs/" + id);
      ASSERT_EQ(got.status, 200) << got.body;
      EXPECT_TRUE(got.body == content(seedOf[id])) << "blob " << id << " differs";
    }
    for (const auto& [id, info] : listed) {
      EXPECT_TRUE(seedOf.count(id)) << "unexpected blob " << id;
      EXPECT_NE(id, sha256(partial)) << "the interrupted upload became visible";
      // Take in the reference of an upload that committed unacknowledged.
      if (seedOf.count(id)) acked[id] = static_cast<unsigned>(info.refs);
    }
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
  // The interrupted uploads' chunks were found and removed at start-up.
  EXPECT_NE(server.log().find("unfinished blob upload"), std::string::npos) << server.log();
}

TEST(RocksDbDurability, ASecondServerOnTheSameDatabaseFailsAtStartUp) {
  TempDir dir;
  const std::string path = dir.file("db");
  ServerProcess first(rocksdbConfig(path));
  auto [code, log] = runServerExpectingExit(rocksdbConfig(path));
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("is in use by another process"), std::string::npos) << log;
  EXPECT_NE(log.find(path), std::string::npos) << log;
  // The first server is unharmed.
  EXPECT_EQ(first.request("POST", "/strata/blobs", "still here").status, 201);
  EXPECT_EQ(first.stop(), 0) << first.log();
}

TEST(RocksDbDurability, AnUnwritablePathFailsAtStartUp) {
  TempDir dir;
  // Root ignores permission bits, so make the path impossible instead: below a regular file.
  writeFile(dir.file("plain"), "x");
  auto [code, log] = runServerExpectingExit(rocksdbConfig(dir.file("plain") + "/db"));
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("cannot create the RocksDB directory"), std::string::npos) << log;
  EXPECT_NE(log.find(".path"), std::string::npos) << log;
}

TEST(RocksDbDurability, BadSettingsFailAtStartUp) {
  auto cfg = rocksdbConfig("db");
  cfg["stores.blobs.default.compression"] = "brotli";
  auto [code, log] = runServerExpectingExit(cfg);
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("stores.blobs.default.compression must be one of"), std::string::npos) << log;
}

}  // namespace
}  // namespace strata::test
