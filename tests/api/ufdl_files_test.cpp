// The files of ufdl datasets over HTTP: upload and download byte for byte, UFDL's filename
// rules and BadName texts, limits, truncated uploads, blob references, metadata, permissions,
// zip and tar.gz downloads (opened here with libarchive), and files-multi (zips made here).
#include <Poco/DigestEngine.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/SHA2Engine.h>
#include <archive.h>
#include <archive_entry.h>

#include <chrono>
#include <filesystem>
#include <locale.h>
#include <set>
#include <thread>

#include "api/ufdl_test_support.h"

namespace strata::test::ufdl {
namespace {

namespace fs = std::filesystem;

std::string sha256(const std::string& bytes) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(bytes.data(), bytes.size());
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string allBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

// A filename for a URL path: percent-encoded but for unreserved characters and '/'.
std::string encodePath(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '/' ? std::string("/") : urlEncode(std::string(1, c));
  return out;
}

// Every regular file under `dir` (relative paths), for "nothing left behind" checks.
std::set<std::string> filesUnder(const std::string& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

// The fs blobs store's files of a blob (relative to its directory): content and reference count.
std::string objectFile(const std::string& handle) {
  return "objects/" + handle.substr(0, 2) + "/" + handle.substr(2);
}
std::string refsFile(const std::string& handle) {
  return "refs/" + handle.substr(0, 2) + "/" + handle.substr(2);
}
bool blobFileExists(const std::string& dir, const std::string& handle) {
  return fs::exists(dir + "/" + objectFile(handle));
}

// Archive names in UTF-8 in this thread (as the server does).
void utf8Names() {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (utf8) uselocale(utf8);
}

// An archive written with libarchive into memory: zip (stored or deflated) or tar.gz.
struct ArchiveEntry {
  std::string name;
  std::string content;
  bool directory = false;
};
la_ssize_t appendTo(archive*, void* data, const void* buf, size_t n) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}
std::string makeZip(const std::vector<ArchiveEntry>& entries, bool deflate = false) {
  utf8Names();
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, deflate ? "zip:compression=deflate" : "zip:compression=store");
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open2(a, &out, nullptr, appendTo, nullptr, nullptr), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry, e.directory ? 0755 : 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (!e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// The regular entries of an archive in memory (any format libarchive reads), name -> bytes.
std::map<std::string, std::string> unpack(const std::string& bytes, std::string* format = nullptr) {
  utf8Names();
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "not an archive: " << archive_error_string(a);
    archive_read_free(a);
    return out;
  }
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    if (format) *format = archive_format_name(a) + std::string("+") + archive_filter_name(a, 0);
    std::string content;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) content.append(buf, static_cast<std::size_t>(n));
    EXPECT_EQ(n, 0) << archive_error_string(a);
    out[archive_entry_pathname(e)] = content;
  }
  EXPECT_EQ(rc, ARCHIVE_EOF) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

class UfdlFiles : public UfdlServer {
 protected:
  std::string filesPath(int64_t pk, const std::string& name) {
    return "/v1/datasets/" + std::to_string(pk) + "/files/" + name;
  }
  // An upload with any headers (Content-Disposition as UFDL's client sends it unless told).
  HttpResult post(int64_t pk, const std::string& name, const std::string& content, const Headers& h = kAlice,
                  bool disposition = true) {
    Headers headers = h;
    headers["Content-Type"] = "application/octet-stream";
    if (disposition) headers["Content-Disposition"] = "attachment; filename=data";
    return server_->request("POST", filesPath(pk, name), content, headers);
  }
  HttpResult postZip(int64_t pk, const std::string& zip, const Headers& h = kAlice, bool disposition = true) {
    Headers headers = h;
    headers["Content-Type"] = "application/octet-stream";
    if (disposition) headers["Content-Disposition"] = "attachment; filename=data";
    return server_->request("POST", "/v1/datasets/" + std::to_string(pk) + "/files-multi", zip, headers);
  }
  // The dataset's {filename: metadata}, i.e. its file names.
  std::set<std::string> names(int64_t pk) {
    std::set<std::string> out;
    auto o = okObject(req("GET", "/v1/datasets/" + std::to_string(pk) + "/metadata", "", kRoot));
    for (const auto& [k, v] : *o) out.insert(k);
    return out;
  }
  std::string blobsDir() { return state_.file("blobs"); }
  bool onFs() { return GetParam() == "rocksdb-fs"; }
  int64_t dataset(const std::string& name, int64_t project) {
    return newDataset(name, project)->getValue<int64_t>("pk");
  }
};

TEST_P(UfdlFiles, UploadAndDownloadAreByteIdenticalWithUfdlsNames) {
  startServer();
  const auto [team, project] = labWithProject();
  const int64_t pk = dataset("d", project);

  const std::string big = randomBytes(20u << 20, 7);
  auto up = upload(pk, "big.bin", big);
  EXPECT_EQ(up->getValue<std::string>("filename"), "big.bin");
  EXPECT_EQ(up->getValue<std::string>("handle"), sha256(big));
  auto got = req("GET", filesPath(pk, "big.bin"));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.header("Content-Type"), "application/data");
  EXPECT_TRUE(got.body == big) << "20 MiB file differs";

  // Names with '/', and every byte value.
  up = upload(pk, "sub/dir/all.bin", allBytes());
  EXPECT_EQ(up->getValue<std::string>("filename"), "sub/dir/all.bin");
  EXPECT_EQ(req("GET", filesPath(pk, "sub/dir/all.bin")).body, allBytes());
  // normpath: "." and empty parts go; the URL's name is used, not Content-Disposition's.
  EXPECT_EQ(okObject(post(pk, "./x//y/./z.txt", "z"))->getValue<std::string>("filename"), "x/y/z.txt");
  EXPECT_EQ(okObject(post(pk, "x/q/../w.txt", "w"))->getValue<std::string>("filename"), "x/w.txt");
  EXPECT_EQ(req("GET", filesPath(pk, "x/w.txt")).body, "w");
  // An empty file.
  EXPECT_EQ(okObject(post(pk, "empty", ""))->getValue<std::string>("handle"), sha256(""));
  EXPECT_EQ(req("GET", filesPath(pk, "empty")).body, "");

  // Directories: the first unused dir/<n>.
  EXPECT_EQ(okObject(post(pk, "dir/", "1"))->getValue<std::string>("filename"), "dir/1");
  EXPECT_EQ(okObject(post(pk, "dir/", "2"))->getValue<std::string>("filename"), "dir/2");
  upload(pk, "dir/3", "3");
  upload(pk, "dir/5/inner", "5");
  EXPECT_EQ(okObject(post(pk, "dir/", "4"))->getValue<std::string>("filename"), "dir/4");
  EXPECT_EQ(okObject(post(pk, "dir/", "6"))->getValue<std::string>("filename"), "dir/6");
  EXPECT_EQ(req("GET", filesPath(pk, "dir/4")).body, "4");

  // The file handle route.
  auto byHandle = req("GET", "/v1/datasets/" + std::to_string(pk) + "/file-handles/" + sha256(allBytes()));
  EXPECT_EQ(byHandle.status, 200);
  EXPECT_EQ(byHandle.body, allBytes());
  EXPECT_EQ(detail(req("GET", "/v1/datasets/" + std::to_string(pk) + "/file-handles/" + sha256("none")), 404),
            kNotFound);

  const std::set<std::string> before = names(pk);
  // BadName cases: nothing is stored by any of them.
  EXPECT_EQ(detail(post(pk, "../x", "a"), 400), "Bad name '../x': Filename may not start with '..'");
  EXPECT_EQ(detail(post(pk, "a/../../b", "a"), 400), "Bad name '../b': Filename may not start with '..'");
  EXPECT_EQ(detail(post(pk, "..hidden", "a"), 400), "Bad name '..hidden': Filename may not start with '..'");
  EXPECT_EQ(detail(post(pk, "a%00b", "a"), 400),
            "Bad name 'a\\x00b': Filename may not contain control characters");
  EXPECT_EQ(detail(post(pk, "tab%09", "a"), 400),
            "Bad name 'tab\\x09': Filename may not contain control characters");
  EXPECT_EQ(detail(req("POST", "/v1/datasets/" + std::to_string(pk) + "/files", "a",
                       {{"Authorization", kAlice.at("Authorization")},
                        {"Content-Type", "application/octet-stream"},
                        {"Content-Disposition", "attachment; filename=data"}}),
                   400),
            "Bad name '': Filename may not be empty");
  EXPECT_EQ(detail(post(pk, "a/..", "a"), 400), "Bad name 'a/..': Filename may not be empty");
  EXPECT_EQ(detail(post(pk, "big.bin", "a"), 400), "Bad name 'big.bin': Filename already in use");
  EXPECT_EQ(detail(post(pk, "sub/dir", "a"), 400),
            "Bad name 'sub/dir': Filename is already a directory prefix");
  EXPECT_EQ(detail(post(pk, "sub", "a"), 400), "Bad name 'sub': Filename is already a directory prefix");
  EXPECT_EQ(detail(post(pk, "big.bin/c", "a"), 400),
            "Bad name 'big.bin/c': Directory prefix is already a filename");
  EXPECT_EQ(detail(post(pk, "sub/dir/all.bin/d/e", "a"), 400),
            "Bad name 'sub/dir/all.bin/d/e': Directory prefix is already a filename");
  EXPECT_EQ(detail(post(pk, "big.bin/", "a"), 400),
            "Bad name 'big.bin': Directory prefix is already a filename");
  // No Content-Disposition (or one without a filename): DRF's parser error.
  const std::string missing =
      "Missing filename. Request should include a Content-Disposition header with a filename parameter.";
  EXPECT_EQ(detail(post(pk, "new.txt", "a", kAlice, false), 400), missing);
  Headers noName = kAlice;
  noName["Content-Disposition"] = "attachment";
  EXPECT_EQ(detail(server_->request("POST", filesPath(pk, "new.txt"), "a", noName), 400), missing);
  EXPECT_EQ(names(pk), before);

  // Missing files: UFDL's 400.
  EXPECT_EQ(detail(req("GET", filesPath(pk, "nope/x")), 400), "Bad name 'nope/x': Doesn't exist");
  EXPECT_EQ(detail(req("DELETE", filesPath(pk, "nope")), 400), "Bad name 'nope': Doesn't exist");
  EXPECT_EQ(detail(req("GET", filesPath(pk, "../big.bin")), 400), "Bad name '../big.bin': Doesn't exist");
  // Unknown datasets.
  EXPECT_EQ(detail(post(999, "a", "a"), 404), kNotFound);
  EXPECT_EQ(detail(req("GET", filesPath(999, "a")), 404), kNotFound);
}

TEST_P(UfdlFiles, LimitsAndTruncatedUploadsLeaveNothing) {
  startServer({{"plugins.ufdl.maxFileBytes", "1000"}, {"plugins.ufdl.maxArchiveBytes", "3000"}});
  const auto [team, project] = labWithProject();
  const int64_t pk = dataset("d", project);
  upload(pk, "keep", "kept content");
  const auto blobsBefore = filesUnder(blobsDir());

  // Within the limit: fine; over it: 413 from the file's size.
  upload(pk, "small", std::string(1000, 'x'));
  EXPECT_FALSE(detail(post(pk, "large", std::string(1001, 'x')), 413).empty());
  // files-multi: the archive's own limit, and each entry's.
  EXPECT_FALSE(detail(postZip(pk, makeZip({{"big", randomBytes(900, 1)},
                                           {"big2", randomBytes(900, 2)},
                                           {"big3", randomBytes(900, 3)},
                                           {"big4", randomBytes(900, 4)}})),
                      413)
                   .empty());
  EXPECT_FALSE(
      detail(postZip(pk, makeZip({{"one", "1"}, {"huge", std::string(100000, 'h')}}, true)), 413).empty());

  auto rawRequest = [&](const std::string& head, const std::string& body, bool closeEarly) {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
    s.setReceiveTimeout(Poco::Timespan(10, 0));
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    if (!body.empty()) s.sendBytes(body.data(), static_cast<int>(body.size()));
    std::string answer;
    if (closeEarly) {
      s.shutdownSend();
      s.close();
      return answer;
    }
    char buf[4096];
    int n;
    while (answer.find("\r\n\r\n") == std::string::npos && (n = s.receiveBytes(buf, sizeof buf)) > 0)
      answer.append(buf, static_cast<std::size_t>(n));
    return answer;
  };
  const std::string headers = "POST " + filesPath(pk, "cut.bin") +
                              " HTTP/1.1\r\nHost: x\r\nAuthorization: " + kAlice.at("Authorization") +
                              "\r\nContent-Disposition: attachment; filename=data\r\n"
                              "Content-Type: application/octet-stream\r\n";
  // A declared length over the limit is refused before any byte of the body is sent.
  const std::string refused = rawRequest(headers + "Content-Length: 5000\r\n\r\n", "", false);
  EXPECT_EQ(refused.rfind("HTTP/1.1 413", 0), 0u) << refused;

  // A body cut short by a client that goes away: no record, no blob.
  rawRequest(headers + "Content-Length: 900\r\n\r\n", randomBytes(300, 3), true);
  std::set<std::string> blobsAfter;
  for (int i = 0; i < 100; ++i) {
    blobsAfter = filesUnder(blobsDir());
    if (blobsAfter.size() <= blobsBefore.size() + 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(names(pk), (std::set<std::string>{"keep", "small"}));
  EXPECT_EQ(detail(req("GET", filesPath(pk, "cut.bin")), 400), "Bad name 'cut.bin': Doesn't exist");
  if (onFs()) {
    // Only the blob of "small" (object and its reference count) may have been added.
    std::set<std::string> added;
    for (const auto& f : filesUnder(blobsDir()))
      if (!blobsBefore.count(f)) added.insert(f);
    const std::string small = sha256(std::string(1000, 'x'));
    EXPECT_EQ(added, (std::set<std::string>{objectFile(small), refsFile(small)}));
  }
  EXPECT_EQ(req("GET", filesPath(pk, "keep")).body, "kept content");
}

TEST_P(UfdlFiles, DeleteReleasesTheBlobOnceUnreferenced) {
  startServer();
  const auto [team, project] = labWithProject();
  const int64_t d1 = dataset("d1", project);
  const int64_t d2 = dataset("d2", project);
  const std::string content = randomBytes(5000, 11);
  const std::string h = sha256(content);
  upload(d1, "x", content);
  upload(d1, "y", content);
  upload(d2, "z", content);
  if (onFs()) EXPECT_TRUE(blobFileExists(blobsDir(), h));

  auto gone = okObject(req("DELETE", filesPath(d1, "x")));
  EXPECT_EQ(gone->getValue<std::string>("filename"), "x");
  EXPECT_EQ(gone->getValue<std::string>("handle"), h);
  EXPECT_EQ(detail(req("GET", filesPath(d1, "x")), 400), "Bad name 'x': Doesn't exist");
  EXPECT_EQ(detail(req("DELETE", filesPath(d1, "x")), 400), "Bad name 'x': Doesn't exist");
  EXPECT_EQ(req("GET", filesPath(d1, "y")).body, content);
  okObject(req("DELETE", filesPath(d1, "y")));
  // Still referenced by the other dataset.
  if (onFs()) EXPECT_TRUE(blobFileExists(blobsDir(), h));
  EXPECT_EQ(req("GET", filesPath(d2, "z")).body, content);
  okObject(req("DELETE", filesPath(d2, "z")));
  if (onFs()) EXPECT_FALSE(blobFileExists(blobsDir(), h));
  EXPECT_EQ(names(d1), std::set<std::string>{});
  // The name is free again, and the content can come back.
  EXPECT_EQ(upload(d1, "x", content)->getValue<std::string>("handle"), h);
  EXPECT_EQ(req("GET", filesPath(d1, "x")).body, content);
  // Bob (R) may not delete.
  EXPECT_EQ(detail(req("DELETE", filesPath(d1, "x"), "", kBob), 403), kForbidden);
}

TEST_P(UfdlFiles, MetadataAndPermissions) {
  startServer();
  const auto [team, project] = labWithProject();
  const int64_t pk = dataset("d", project);
  const std::string base = "/v1/datasets/" + std::to_string(pk);
  upload(pk, "a/x.txt", "x");
  upload(pk, "y.txt", "y");

  EXPECT_EQ(okObject(req("GET", base + "/metadata/a/x.txt"))->getValue<std::string>("metadata"), "");
  auto set = okObject(req("POST", base + "/metadata/a/x.txt", R"({"metadata":"label: cat"})"));
  EXPECT_EQ(set->getValue<std::string>("metadata"), "label: cat");
  EXPECT_EQ(okObject(req("GET", base + "/metadata/a/x.txt", "", kBob))->getValue<std::string>("metadata"),
            "label: cat");
  auto all = okObject(req("GET", base + "/metadata"));
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->getValue<std::string>("a/x.txt"), "label: cat");
  EXPECT_EQ(all->getValue<std::string>("y.txt"), "");
  // Strict: a string only.
  EXPECT_EQ(fieldError(req("POST", base + "/metadata/y.txt", R"({"metadata":5})"), "metadata"),
            "Not a valid string.");
  EXPECT_EQ(fieldError(req("POST", base + "/metadata/y.txt", R"({"other":"x"})"), "metadata"),
            "This field is required.");
  EXPECT_EQ(detail(req("POST", base + "/metadata/y.txt", "{bad"), 400).rfind("JSON parse error", 0), 0u);
  EXPECT_EQ(detail(req("POST", base + "/metadata/nope", R"({"metadata":"m"})"), 400),
            "Bad name 'nope': Doesn't exist");
  EXPECT_EQ(detail(req("GET", base + "/metadata/nope"), 400), "Bad name 'nope': Doesn't exist");
  EXPECT_EQ(okObject(req("GET", base + "/metadata/y.txt"))->getValue<std::string>("metadata"), "");

  // Permissions: anonymous 401, a non-member 403 (public or not), R reads but does not write.
  EXPECT_EQ(detail(post(pk, "n.txt", "n", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(post(pk, "n.txt", "n", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(post(pk, "n.txt", "n", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", base + "/files/y.txt", "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("GET", base + "/files/y.txt", "", kCarol), 403), kForbidden);
  EXPECT_EQ(req("GET", base + "/files/y.txt", "", kBob).body, "y");
  EXPECT_EQ(detail(req("POST", base + "/metadata/y.txt", R"({"metadata":"m"})", kBob), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", base + "/metadata", "", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("GET", base + "/metadata/y.txt", "", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("GET", base + "/file-handles/" + sha256("y"), "", kCarol), 403), kForbidden);
  // A public dataset's files are still for members only (as UFDL).
  const int64_t pub = newDataset("pub", project, kAlice, R"(,"is_public":true)")->getValue<int64_t>("pk");
  upload(pub, "p.txt", "p");
  EXPECT_EQ(detail(req("GET", filesPath(pub, "p.txt"), "", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("POST", "/v1/datasets/" + std::to_string(pub) + "/download", "{}", kCarol), 403),
            kForbidden);
  // Staff pass.
  EXPECT_EQ(okObject(post(pk, "root.txt", "r", kRoot))->getValue<std::string>("filename"), "root.txt");
  EXPECT_EQ(req("GET", base + "/files/root.txt", "", kRoot).body, "r");
  EXPECT_EQ(names(pk), (std::set<std::string>{"a/x.txt", "root.txt", "y.txt"}));
}

TEST_P(UfdlFiles, DownloadZipAndTarGz) {
  startServer();
  const auto [team, project] = labWithProject();
  const int64_t pk = newDataset("birds", project)->getValue<int64_t>("pk");
  const std::string base = "/v1/datasets/" + std::to_string(pk);

  // An empty dataset: an empty archive.
  auto empty = req("POST", base + "/download", "{}");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(unpack(empty.body).empty());

  const std::map<std::string, std::string> files = {{"img/1.jpg", randomBytes(3u << 20, 5)},
                                                    {"img/2.jpg", allBytes()},
                                                    {"labels.txt", "a,b\n"},
                                                    {"caf\xc3\xa9/\xc3\xbc ber.txt", "unicode"},
                                                    {"zero", ""}};
  for (const auto& [name, content] : files)
    EXPECT_EQ(okObject(post(pk, encodePath(name), content))->getValue<std::string>("filename"), name);

  auto zip = req("POST", base + "/download", R"({"filetype":"zip"})", kBob);
  ASSERT_EQ(zip.status, 200) << zip.body;
  EXPECT_EQ(zip.header("Content-Type"), "application/data");
  EXPECT_EQ(zip.header("Content-Disposition"), "attachment; filename=\"birds.v1.zip\"");
  EXPECT_EQ(zip.header("Transfer-Encoding"), "chunked");  // streamed, not built first
  std::string format;
  EXPECT_EQ(unpack(zip.body, &format), files);
  EXPECT_EQ(format.rfind("ZIP", 0), 0u) << format;
  // The UTF-8 flag (bit 11) on the entry whose name is not ASCII, for readers like Python's.
  const std::size_t at = zip.body.find("caf\xc3\xa9/");
  ASSERT_NE(at, std::string::npos);
  ASSERT_GE(at, 30u);
  EXPECT_EQ(zip.body.substr(at - 30, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(static_cast<unsigned char>(zip.body[at - 30 + 7]) & 0x08, 0);
  // The default is zip; annotations_args is accepted and ignored.
  auto dflt = req("POST", base + "/download", R"({"params":{"annotations_args":["to-coco"]}})");
  ASSERT_EQ(dflt.status, 200) << dflt.body;
  EXPECT_EQ(dflt.header("Content-Disposition"), "attachment; filename=\"birds.v1.zip\"");
  EXPECT_EQ(unpack(dflt.body), files);
  // No body at all.
  EXPECT_EQ(unpack(req("POST", base + "/download").body), files);

  auto tgz = req("POST", base + "/download", R"({"filetype":"tar.gz","params":{"annotations_args":"x"}})");
  ASSERT_EQ(tgz.status, 200) << tgz.body;
  EXPECT_EQ(tgz.header("Content-Disposition"), "attachment; filename=\"birds.v1.tar.gz\"");
  EXPECT_EQ(tgz.body.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(unpack(tgz.body, &format), files);
  EXPECT_NE(format.find("gzip"), std::string::npos) << format;

  // Errors.
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"filetype":"rar"})"), 415),
            "Unsupported media type \"rar\" in request.");
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"params":{"foo":"x"}})"), 422),
            "Unknown parameters: foo=x");
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"bogus":1})"), 422), "Unknown parameters: bogus=1");
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"params":"x"})"), 400),
            "The type passed to download parameter 'params' should be 'dict', but received \"x\"");
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"params":{"annotations_args":5}})"), 400)
                .rfind("The type passed to download parameter 'params'", 0),
            0u);
  EXPECT_EQ(detail(req("POST", base + "/download", R"({"filetype":3})"), 400),
            "The type passed to download parameter 'filetype' should be 'str', but received 3");
  EXPECT_EQ(detail(req("POST", base + "/download", "[1]"), 400).rfind("JSON parse error", 0), 0u);
  EXPECT_EQ(detail(req("POST", base + "/download", "{}", kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(detail(req("POST", base + "/download", "{}", kCarol), 403), kForbidden);
  EXPECT_EQ(detail(req("POST", "/v1/datasets/999/download", "{}"), 404), kNotFound);
}

TEST_P(UfdlFiles, FilesMultiIsAllOrNothing) {
  startServer({{"plugins.ufdl.maxExpandedBytes", "4000000"}});
  const auto [team, project] = labWithProject();
  const int64_t pk = dataset("d", project);
  upload(pk, "existing.txt", "e");

  const std::string b = randomBytes(2u << 20, 9);
  auto ok = postZip(pk, makeZip({{"m/", "", true},
                                 {"m/a.txt", "alpha"},
                                 {"m/b.bin", b},
                                 {"./c//d.txt", allBytes()},
                                 {"caf\xc3\xa9.txt", "u"}}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto list = parseArray(ok);
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ(list->getObject(3)->getValue<std::string>("filename"), "caf\xc3\xa9.txt");
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("filename"), "m/a.txt");
  EXPECT_EQ(list->getObject(0)->getValue<std::string>("handle"), sha256("alpha"));
  EXPECT_EQ(list->getObject(1)->getValue<std::string>("filename"), "m/b.bin");
  EXPECT_EQ(list->getObject(1)->getValue<std::string>("handle"), sha256(b));
  EXPECT_EQ(list->getObject(2)->getValue<std::string>("filename"), "c/d.txt");
  EXPECT_TRUE(req("GET", filesPath(pk, "m/b.bin")).body == b);
  EXPECT_EQ(req("GET", filesPath(pk, "c/d.txt")).body, allBytes());
  // Deflated entries too.
  auto deflated = postZip(pk, makeZip({{"z/1.txt", std::string(100000, 'q')}}, true));
  ASSERT_EQ(deflated.status, 200) << deflated.body;
  EXPECT_EQ(req("GET", filesPath(pk, "z/1.txt")).body, std::string(100000, 'q'));

  const std::set<std::string> before = names(pk);
  const auto blobsBefore = filesUnder(blobsDir());
  // Failures store nothing: a zip-slip name after a good entry, a clash, a duplicate, a
  // corrupt zip, a zip bomb, no Content-Disposition, no permission.
  EXPECT_EQ(detail(postZip(pk, makeZip({{"fine.txt", "f"}, {"../evil", "x"}})), 400),
            "Bad name '../evil': Filename may not start with '..'");
  EXPECT_EQ(detail(postZip(pk, makeZip({{"fine.txt", "f"}, {"existing.txt", "x"}})), 400),
            "Bad name 'existing.txt': Filename already in use");
  EXPECT_EQ(detail(postZip(pk, makeZip({{"fine.txt", "f"}, {"fine.txt/x", "x"}})), 400),
            "Bad name 'fine.txt/x': Directory prefix is already a filename");
  EXPECT_EQ(detail(postZip(pk, randomBytes(5000, 2)), 400).rfind("Bad zip archive: ", 0), 0u);
  std::string cut = makeZip({{"fine.txt", "f"}, {"other.txt", randomBytes(50000, 8)}});
  EXPECT_EQ(detail(postZip(pk, cut.substr(0, cut.size() / 2)), 400).rfind("Bad zip archive: ", 0), 0u);
  EXPECT_EQ(
      detail(postZip(pk, makeZip({{"fine.txt", "f"}, {"bomb", std::string(5000000, '\0')}}, true)), 400),
      "The archive expands to more than 4000000 bytes, the most allowed.");
  // A bomb that lies: its central directory declares 1000 bytes, its data expands to 5 MB.
  std::string liar = makeZip({{"fine.txt", "f"}, {"liar", std::string(5000000, '\0')}}, true);
  const std::size_t central = liar.rfind(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  ASSERT_EQ(liar.substr(central + 46, 4), "liar");
  liar.replace(central + 24, 4, std::string("\xe8\x03\0\0", 4));
  EXPECT_EQ(detail(postZip(pk, liar), 400),
            "The archive expands to more than 4000000 bytes, the most allowed.");
  EXPECT_EQ(
      detail(postZip(pk, makeZip({{"fine.txt", "f"}}), kAlice, false), 400).rfind("Missing filename.", 0),
      0u);
  EXPECT_EQ(detail(postZip(pk, makeZip({{"fine.txt", "f"}}), kBob), 403), kForbidden);
  EXPECT_EQ(detail(postZip(pk, makeZip({{"fine.txt", "f"}}), kAnonymous), 401), kNotAuthenticated);
  EXPECT_EQ(names(pk), before);
  if (onFs()) EXPECT_EQ(filesUnder(blobsDir()), blobsBefore);
  // An empty zip adds nothing.
  auto none = postZip(pk, makeZip({}));
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(parseArray(none)->size(), 0u);
}

TEST_P(UfdlFiles, ConcurrentUploadsToOneDataset) {
  startServer();
  const auto [team, project] = labWithProject();
  const int64_t pk = dataset("d", project);
  // Different names: all are recorded.
  std::vector<std::thread> threads;
  std::vector<int> status(8, 0);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back(
        [&, i] { status[i] = post(pk, "f" + std::to_string(i), randomBytes(100000, i)).status; });
  for (auto& t : threads) t.join();
  threads.clear();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(status[i], 200) << i;
  EXPECT_EQ(names(pk).size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE(req("GET", filesPath(pk, "f" + std::to_string(i))).body == randomBytes(100000, i));
  // One name, the same content: one wins, the others are refused and their references go.
  const std::string same = randomBytes(300000, 99);
  std::vector<std::string> answers(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto r = post(pk, "same", same);
      status[i] = r.status;
      answers[i] = r.body;
    });
  for (auto& t : threads) t.join();
  threads.clear();
  int won = 0;
  for (int i = 0; i < 8; ++i) {
    if (status[i] == 200) {
      ++won;
    } else {
      EXPECT_EQ(status[i], 400);
      EXPECT_NE(answers[i].find("Filename already in use"), std::string::npos) << answers[i];
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_TRUE(req("GET", filesPath(pk, "same")).body == same);
  if (onFs()) EXPECT_EQ(std::stoi(readFile(blobsDir() + "/" + refsFile(sha256(same)))), 1);
  // Directory names picked concurrently are all different.
  std::vector<std::string> picked(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto r = post(pk, "dir/", std::to_string(i));
      if (r.status == 200) picked[i] = parse(r)->getValue<std::string>("filename");
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(picked.begin(), picked.end()),
            (std::set<std::string>{"dir/1", "dir/2", "dir/3", "dir/4", "dir/5", "dir/6", "dir/7", "dir/8"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, UfdlFiles, UFDL_BACKENDS);

}  // namespace
}  // namespace strata::test::ufdl
