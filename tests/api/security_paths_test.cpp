// Names that become paths cannot leave their root: hdf domains (files of the hdf5 backend),
// blob ids (files of the fs backend), ufdl filenames on upload and the entries of ufdl's zip
// and tar.gz downloads (zip-slip). Every attempt is made as an admin, so that only the name
// rules stand in the way; after each one the files on disk are compared with those before:
// nothing new outside the stores' roots, a file placed outside them neither read nor deleted.
#include "support/plugin_test_server.h"
#include "support/server_process.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using Poco::JSON::Object;

Object::Ptr json(const HttpResult& r) {
  try {
    return Poco::JSON::Parser().parse(r.body).extract<Object::Ptr>();
  } catch (...) {
    return new Object;
  }
}

// The entry names of an archive (any format libarchive reads).
std::vector<std::string> entryNames(const std::string& bytes) {
  std::vector<std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) out.push_back(archive_entry_pathname(e));
  archive_read_free(a);
  return out;
}

la_ssize_t appendTo(archive*, void* data, const void* buf, size_t n) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// A stored zip of files with these names, written as given.
std::string zipOf(const std::vector<std::string>& names) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, "zip:compression=store");
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open2(a, &out, nullptr, appendTo, nullptr, nullptr);
  for (const auto& name : names) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, 1);
    archive_write_header(a, entry);
    archive_write_data(a, "x", 1);
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

class PathTraversal : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(srv() + "/h5");
    writeFile(dir_.file("users"), testUsersFile());
    writeFile(srv() + "/outside.txt", "outside the stores");
    server_ = std::make_unique<ServerProcess>(
        std::map<std::string, std::string>{{"plugins.load", "admin, hdf, ufdl"},
                                           {"stores.entities.default.backend", "memory"},
                                           {"stores.blobs.default.backend", "fs"},
                                           {"stores.blobs.default.path", srv() + "/blobs"},
                                           {"stores.arrays.default.backend", "hdf5"},
                                           {"stores.arrays.default.path", srv() + "/h5"},
                                           {"plugins.ufdl.passwordIterations", "1000"},
                                           {"auth.usersFile", dir_.file("users")},
                                           {"auth.jwtSecret", "path-test-secret-0123456789abcdef012345"}});
    before_ = files();
  }

  std::string srv() const { return dir_.file("srv"); }

  // Every file and folder under the test's directory, and the names in /tmp that an escape
  // with enough '..' would have made.
  std::set<std::string> files() const {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_.path())) {
      const std::string p = e.path().string();
      if (p != dir_.file("server.log")) out.insert(p);
    }
    for (const auto& e : fs::directory_iterator("/tmp"))
      if (e.path().filename().string().rfind("strata-escape", 0) == 0) out.insert(e.path().string());
    return out;
  }

  // What appeared since the last call must lie under `root` (or nothing may appear if `root`
  // is empty); a file placed outside must still hold its bytes.
  void expectOnlyUnder(const std::string& root, const std::string& what) {
    const auto now = files();
    for (const auto& p : now)
      if (!before_.count(p))
        EXPECT_TRUE(!root.empty() && p.rfind(root + "/", 0) == 0) << what << " created " << p;
    for (const auto& p : before_)
      EXPECT_TRUE(now.count(p) || p.rfind(srv() + "/blobs/tmp/", 0) == 0) << what << " removed " << p;
    EXPECT_EQ(readFile(srv() + "/outside.txt"), "outside the stores") << what;
    before_ = now;
  }

  HttpResult as(const Headers& who, const std::string& method, const std::string& target,
                const std::string& body = "", Headers headers = {}) {
    for (const auto& [k, v] : who) headers[k] = v;
    return server_->request(method, target, body, headers);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::set<std::string> before_;
};

TEST_F(PathTraversal, HdfDomainsStayInTheDataDirectory) {
  // A real HDF5 file outside the data directory: reading or deleting it through a domain name
  // must fail.
  ASSERT_EQ(as(kRoot, "PUT", "/?domain=/home/root/real.h5").status, 201);
  fs::copy_file(srv() + "/h5/home/root/real.h5", srv() + "/outside.h5");
  before_ = files();

  const std::vector<std::string> escapes = {
      "/home/root/../../outside.h5",
      "/home/root/../../../outside.h5",
      "/../outside.h5",
      "../outside.h5",
      "..",
      "/home/..",
      "%2Fhome%2Froot%2F%2e%2e%2F%2e%2e%2Foutside.h5",
      "%2e%2e%2Foutside.h5",
      "/home/root/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/strata-escape.h5",
      "/home/root/x.h5%00/../../../outside.h5",
      "/home/root/strata-escape%00.h5",
      "hdf5://../outside.h5",
      "hdf5:///../outside.h5",
  };
  for (const auto& name : escapes) {
    for (const char* method : {"GET", "DELETE", "PUT"}) {
      const auto r = as(kRoot, method, "/?domain=" + name);
      // 403 is h5serv's answer to a DNS-style name outside the top domain (docs/hdf.md).
      EXPECT_TRUE(r.status == 400 || r.status == 404 || (r.status == 403 && name[0] != '/'))
          << method << " " << name << ": " << r.status << " " << r.body;
      EXPECT_EQ(json(r)->optValue<int>("status", 0), r.status) << r.body;  // h5serv's format
      expectOnlyUnder("", std::string(method) + " " + name);
    }
  }
  // h5serv's DNS-style names: a label with '/' or '..' never makes a path outside.
  for (const std::string host : {"x/../../../outside.root.home.hdfgroup.org", "..root.home.hdfgroup.org",
                                 "outside.%2e%2e.%2e%2e.root.home.hdfgroup.org"}) {
    for (const char* method : {"GET", "DELETE", "PUT"}) {
      const auto r = as(kRoot, method, "/?host=" + host);
      EXPECT_NE(r.status / 100, 2) << method << " " << host << ": " << r.body;
      EXPECT_NE(r.status, 500) << r.body;
      expectOnlyUnder("", std::string(method) + " " + host);
    }
  }
  // Absolute names and backslashes are names inside the data directory, nothing more.
  for (const std::string name : {"/tmp/strata-escape-abs.h5", "hdf5:///tmp/strata-escape-abs2.h5",
                                 "/home/root/..%5C..%5Cstrata-escape.h5"}) {
    const auto r = as(kRoot, "PUT", "/?domain=" + name);
    EXPECT_TRUE(r.status == 201 || r.status == 400 || r.status == 404) << name << ": " << r.body;
    expectOnlyUnder(srv() + "/h5", "PUT " + name);
  }
  EXPECT_TRUE(fs::exists(srv() + "/outside.h5"));
}

TEST_F(PathTraversal, BlobIdsAreNeverPaths) {
  const auto up =
      as(kRoot, "POST", "/strata/blobs", "content", {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(up.status, 201) << up.body;
  expectOnlyUnder(srv() + "/blobs", "upload");
  for (const std::string id :
       {"..%2F..%2Foutside.txt", "..%2Foutside.txt", "%2e%2e", "..", "%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2foutside.txt", "objects%2F..%2F..%2Foutside.txt", "x%00y", "..%5C..%5Coutside.txt",
        "0000000000000000000000000000000000000000000000000000000000000000%2F..%2F..%2Foutside.txt"}) {
    for (const char* method : {"GET", "DELETE"}) {
      const auto r = as(kRoot, method, "/strata/blobs/" + id);
      EXPECT_TRUE(r.status == 400 || r.status == 404)
          << method << " " << id << ": " << r.status << " " << r.body;
      auto error = json(r)->getObject("error");  // the core's format
      EXPECT_TRUE(error && error->getValue<int>("status") == r.status) << r.body;
      EXPECT_EQ(r.body.find("outside the stores"), std::string::npos);
      expectOnlyUnder("", std::string(method) + " blob " + id);
    }
  }
}

TEST_F(PathTraversal, UfdlFilenamesAndArchiveEntriesStayRelative) {
  const auto team =
      json(as(kRoot, "POST", "/v1/teams/create", R"({"name":"lab"})", {{"Content-Type", "application/json"}}))
          ->getValue<int64_t>("pk");
  const auto project =
      json(as(kRoot, "POST", "/v1/projects/create", R"({"name":"p","team":)" + std::to_string(team) + "}",
              {{"Content-Type", "application/json"}}))
          ->getValue<int64_t>("pk");
  const auto created =
      as(kRoot, "POST", "/v1/datasets/create",
         R"({"name":"d","project":)" + std::to_string(project) + R"(,"licence":1,"tags":""})",
         {{"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string base = "/v1/datasets/" + std::to_string(json(created)->getValue<int64_t>("pk"));
  const Headers raw = {{"Content-Type", "application/octet-stream"},
                       {"Content-Disposition", "attachment; filename=x"}};
  expectOnlyUnder(srv() + "/blobs", "set-up");

  // Refused: names that climb, in every spelling, backslashes and NUL.
  for (const std::string name :
       {"../strata-escape", "..%2Fstrata-escape", "%2e%2e%2fstrata-escape", "a/%2e%2e/%2e%2e/strata-escape",
        "a/../../strata-escape", "..%5Cstrata-escape", "a%5C..%5C..%5Cstrata-escape", "%5C%5Cserver%5Cshare",
        "C:%5Cstrata-escape", "x%00/../../strata-escape", ".."}) {
    const auto r = as(kRoot, "POST", base + "/files/" + name, "bytes", raw);
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_TRUE(json(r)->has("detail")) << r.body;  // DRF's format
    expectOnlyUnder("", "upload " + name);
  }
  // Accepted, made relative: absolute names and names with '.' parts.
  for (const auto& [name, stored] :
       std::vector<std::pair<std::string, std::string>>{{"%2Fabs%2Fone", "abs/one"},
                                                        {"%2F%2F%2Fabs%2Ftwo", "abs/two"},
                                                        {"dir/./three", "dir/three"},
                                                        {"dir/sub/../four", "dir/four"}}) {
    const auto r = as(kRoot, "POST", base + "/files/" + name, "bytes of " + stored, raw);
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(json(r)->optValue<std::string>("filename", ""), stored) << r.body;
    expectOnlyUnder(srv() + "/blobs", "upload " + name);
  }
  // files-multi: a zip whose entries climb is refused whole.
  for (const std::string entry : {"../strata-escape", "a/../../strata-escape", "a\\..\\..\\strata-escape"}) {
    const auto r = as(kRoot, "POST", base + "/files-multi", zipOf({"fine", entry}), raw);
    EXPECT_EQ(r.status, 400) << entry << ": " << r.body;
    EXPECT_TRUE(json(r)->has("detail")) << r.body;
    expectOnlyUnder("", "files-multi " + entry);
  }
  auto r = as(kRoot, "POST", base + "/files-multi", zipOf({"/abs/five", "six"}), raw);
  EXPECT_EQ(r.status, 200) << r.body;
  expectOnlyUnder(srv() + "/blobs", "files-multi");

  // The downloads: every entry relative, without '..' or a backslash, in the bytes too.
  for (const std::string type : {"zip", "tar.gz"}) {
    r = as(kRoot, "POST", base + "/download", R"({"filetype":")" + type + R"("})",
           {{"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto names = entryNames(r.body);
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
              (std::set<std::string>{"abs/one", "abs/two", "dir/three", "dir/four", "abs/five", "six"}))
        << type;
    for (const auto& n : names) {
      EXPECT_FALSE(n.empty() || n[0] == '/' || n[0] == '\\') << type << " entry " << n;
      EXPECT_EQ(n.find('\\'), std::string::npos) << type << " entry " << n;
      EXPECT_FALSE(n == ".." || n.rfind("../", 0) == 0 || n.find("/../") != std::string::npos ||
                   (n.size() >= 3 && n.compare(n.size() - 3, 3, "/..") == 0))
          << type << " entry " << n;
    }
    if (type == "zip") {
      // Stored names are plain bytes in a zip's headers.
      EXPECT_EQ(r.body.find("../"), std::string::npos);
      EXPECT_EQ(r.body.find("..\\"), std::string::npos);
    }
    expectOnlyUnder("", "download " + type);
  }
  // File handles are blob ids, never paths.
  for (const std::string handle : {"..%2F..%2Foutside.txt", "%2e%2e", "%2Fetc%2Fpasswd"}) {
    r = as(kRoot, "GET", base + "/file-handles/" + handle);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << handle << ": " << r.status << " " << r.body;
    EXPECT_TRUE(json(r)->has("detail")) << r.body;
    expectOnlyUnder("", "file-handles " + handle);
  }
}

}  // namespace
}  // namespace strata::test
