// strata_poco_baseline: the same-run reference for bench/run_bench.sh. A minimal Poco
// HTTPServer with no router, auth, metrics or stores, so that the benchmark can tell what
// Strata costs on top of plain Poco, and what the socket itself can do, on the same machine
// in the same minute (the shared test VM varies 1.5-4x between runs, so only same-run
// comparisons mean anything).
//
//   strata_poco_baseline BLOB_FILE PORT_FILE
//
// Listens on 127.0.0.1 on an ephemeral port and writes the port to PORT_FILE (temp + rename,
// so a reader never sees a partial number). BLOB_FILE is read into memory once at start-up.
//
//   GET /small        a small JSON body, the size of Strata's /strata/health answer
//   GET /big/buffer   BLOB_FILE via response.sendBuffer()           (Poco's default writes)
//   GET /big/stream   BLOB_FILE via response.send().write()         (Poco's default writes)
//   GET /big/raw      headers via send()+flush(), then the body in 1 MiB sendBytes() calls
//                     straight to the socket: the ceiling, and what Strata's BodyWriter does
//   GET /big/file     as /big/raw, but each 1 MiB block is first pread() from BLOB_FILE into
//                     one reused buffer: Strata's fs-store download path without Strata, so
//                     that the cost of reading the file can be told from the cost of the server
//   PUT /upload       reads the request body in 1 MiB reads from the request stream and
//                     discards it; answers {"bytes": N}: the upload ceiling
//
// Runs until SIGINT or SIGTERM.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Exception.h>
#include <Poco/ThreadPool.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Same shape and about the same length as Strata's health body, so that the rps comparison
// differs only in what the server does, not in bytes on the wire.
const std::string kSmallJson = R"({"status":"ok","uptime_ms":1234})";
// Same block size as strata::kResponseBlockBytes.
constexpr std::size_t kRawBlock = 1u << 20;

// Sends all n bytes; false if the client went away.
bool sendAll(Poco::Net::StreamSocket& socket, const char* data, std::size_t n) {
  while (n > 0) {
    const int sent = socket.sendBytes(data, static_cast<int>(std::min(n, kRawBlock)));
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

// Closed on every way out, including sendBytes() throwing when the client resets.
struct FileDescriptor {
  explicit FileDescriptor(int f) : fd(f) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  const int fd;
};

class Handler : public HTTPRequestHandler {
 public:
  Handler(const std::vector<char>& blob, const std::string& path) : blob_(blob), path_(path) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& res) override {
    const std::string& uri = req.getURI();
    if (uri == "/small") {
      res.setContentType("application/json");
      res.sendBuffer(kSmallJson.data(), kSmallJson.size());
    } else if (uri == "/big/buffer") {
      res.setContentType("application/octet-stream");
      res.sendBuffer(blob_.data(), blob_.size());
    } else if (uri == "/big/stream") {
      res.setContentType("application/octet-stream");
      res.setContentLength64(static_cast<Poco::Int64>(blob_.size()));
      std::ostream& out = res.send();
      out.write(blob_.data(), static_cast<std::streamsize>(blob_.size()));
      out.flush();
    } else if (uri == "/big/raw") {
      res.setContentType("application/octet-stream");
      res.setContentLength64(static_cast<Poco::Int64>(blob_.size()));
      res.send().flush();
      // Bypasses Poco's 4 KiB-buffered response stream; the cast is what Strata's core does.
      sendAll(static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket(), blob_.data(), blob_.size());
    } else if (uri == "/big/file") {
      const FileDescriptor file(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (file.fd < 0) throw Poco::OpenFileException(path_);
      res.setContentType("application/octet-stream");
      res.setContentLength64(static_cast<Poco::Int64>(blob_.size()));
      res.send().flush();
      Poco::Net::StreamSocket& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
      std::vector<char> buffer(kRawBlock);
      off_t offset = 0;
      for (;;) {
        const ssize_t n = ::pread(file.fd, buffer.data(), buffer.size(), offset);
        if (n <= 0 || !sendAll(socket, buffer.data(), static_cast<std::size_t>(n))) break;
        offset += n;
      }
    } else if (uri == "/upload") {
      std::vector<char> buffer(kRawBlock);
      std::istream& in = req.stream();
      uint64_t total = 0;
      while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        total += static_cast<uint64_t>(in.gcount());
      }
      const std::string body = "{\"bytes\": " + std::to_string(total) + "}";
      res.setContentType("application/json");
      res.sendBuffer(body.data(), body.size());
    } else {
      res.setStatusAndReason(HTTPResponse::HTTP_NOT_FOUND);
      res.setContentLength(0);
      res.send();
    }
  }

 private:
  const std::vector<char>& blob_;
  const std::string& path_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const std::vector<char>& blob, std::string path) : blob_(blob), path_(std::move(path)) {}
  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(blob_, path_);
  }

 private:
  const std::vector<char>& blob_;
  const std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " BLOB_FILE PORT_FILE\n";
    return 2;
  }
  // Block the termination signals before Poco starts threads, then wait for them in main.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot open " << argv[1] << "\n";
    return 1;
  }
  const std::vector<char> blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 128);
  auto* params = new Poco::Net::HTTPServerParams;
  // As in Strata (server.threads = 64): Poco's default of 16 threads would leave half of
  // wrk's 32 keep-alive connections unserved, and wrk does not report that as an error.
  params->setMaxThreads(64);
  params->setMaxQueued(128);
  params->setKeepAlive(true);
  Poco::ThreadPool pool(2, 64, 60);
  Poco::Net::HTTPServer server(new Factory(blob, argv[1]), pool, socket, params);
  server.start();

  const std::string portFile = argv[2];
  {
    std::ofstream out(portFile + ".tmp", std::ios::trunc);
    out << socket.address().port() << "\n";
  }
  std::rename((portFile + ".tmp").c_str(), portFile.c_str());

  int sig = 0;
  sigwait(&set, &sig);
  server.stopAll(true);
  pool.joinAll();
  return 0;
}
