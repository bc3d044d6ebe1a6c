// A dataset's files as one archive, and an archive as files: `POST /v1/datasets/{pk}/download`
// writes a zip or tar.gz of the raw files, streamed with libarchive straight into the response
// (chunked, never whole in memory); `POST /v1/datasets/{pk}/files-multi` spools a zip body to
// an unlinked temporary file and adds its entries, all or nothing. See docs/ufdl.md.
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <strata/errors.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <streambuf>
#include <vector>

#include "archives.h"

namespace strata::ufdl {

namespace {

constexpr std::size_t kBlock = 1u << 20;  // read and write in 1 MiB blocks

std::string compact(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out, 0, -1);
  return out.str();
}

// UFDL's BadArgumentType text.
[[noreturn]] void throwBadArgumentType(const std::string& parameter, const std::string& type,
                                       const Poco::Dynamic::Var& value) {
  throw BadRequest("ufdl", "The type passed to download parameter '" + parameter + "' should be '" + type +
                               "', but received " + compact(value));
}

struct ArchiveDeleter {
  void operator()(archive* a) const {
    if (a) archive_free(a);  // closes too (finishing a written archive if still open)
  }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

// While it lives, the calling thread's character type is UTF-8 (C.UTF-8), whatever the
// process's locale: libarchive then writes names as UTF-8 (zip entries get the UTF-8 flag that
// Python's zipfile and other readers honour) and reads names of any zip charset into UTF-8.
class Utf8Names {
 public:
  Utf8Names() {
    static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (utf8) previous_ = uselocale(utf8);
  }
  ~Utf8Names() {
    if (previous_) uselocale(previous_);
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

 private:
  locale_t previous_ = nullptr;
};

std::string archiveError(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown error";
}

// ---- download

enum class Filetype { Zip, TarGz };

// The body {"filetype"?, "params"?}: 422 for unknown keys (also in params, where only
// annotations_args is known and ignored, as UFDL does since annotations left the server), 415
// for an unknown filetype, 400 for wrong types.
Filetype parseDownloadBody(const Poco::JSON::Object& body) {
  Poco::JSON::Object unknown;
  for (const auto& [k, v] : body)
    if (k != "filetype" && k != "params") unknown.set(k, v);
  if (unknown.size()) throwUnknownParameters(unknown);
  Filetype type = Filetype::Zip;
  if (body.has("filetype") && !body.isNull("filetype")) {
    const Poco::Dynamic::Var v = body.get("filetype");
    if (!v.isString()) throwBadArgumentType("filetype", "str", v);
    const std::string s = v.toString();
    if (s == "tar.gz")
      type = Filetype::TarGz;
    else if (s != "zip")
      throw UnsupportedMediaType("ufdl", "Unsupported media type \"" + s + "\" in request.");
  }
  if (body.has("params") && !body.isNull("params")) {
    const Poco::Dynamic::Var v = body.get("params");
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) throwBadArgumentType("params", "dict", v);
    const auto params = v.extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Object unknownParams;
    for (const auto& [k, pv] : *params) {
      if (k != "annotations_args") {
        unknownParams.set(k, pv);
        continue;
      }
      bool ok = pv.isString();
      if (pv.type() == typeid(Poco::JSON::Array::Ptr)) {
        ok = true;
        for (const auto& item : *pv.extract<Poco::JSON::Array::Ptr>()) ok = ok && item.isString();
      }
      if (!ok) throwBadArgumentType("params", "Dict[str, Union[str, List[str]]]", v);
    }
    if (unknownParams.size()) throwUnknownParameters(unknownParams);
  }
  return type;
}

// What libarchive's write callbacks write into: the response body.
struct Sink {
  BodyWriter* out = nullptr;
  std::string failure;  // what went wrong on the client's side, if anything
};

la_ssize_t writeToBody(archive* a, void* data, const void* buffer, size_t n) {
  auto* sink = static_cast<Sink*>(data);
  try {
    sink->out->write(static_cast<const char*>(buffer), n);
    return static_cast<la_ssize_t>(n);
  } catch (const std::exception& e) {
    sink->failure = e.what();
    archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
}

void check(archive* a, int rc, const std::string& what) {
  if (rc < ARCHIVE_WARN) throw InternalError(what + ": " + archiveError(a));
}

// A writer of the chosen format, its output in 1 MiB blocks (the last one not padded).
ArchivePtr newArchiveWriter(Filetype type) {
  ArchivePtr a(archive_write_new());
  if (!a) throw InternalError("libarchive: out of memory");
  if (type == Filetype::Zip) {
    check(a.get(), archive_write_set_format_zip(a.get()), "zip format");
    // Stored entries: downloads run at the speed of the stores, not of deflate. Entries over
    // 4 GiB get ZIP64 fields (libarchive adds them for entries of a known size that needs them).
    check(a.get(), archive_write_set_options(a.get(), "zip:compression=store"), "zip options");
  } else {
    check(a.get(), archive_write_set_format_pax_restricted(a.get()), "tar format");
    check(a.get(), archive_write_add_filter_gzip(a.get()), "gzip filter");
    // The fastest level: gzip's cost per byte dominates a download otherwise.
    check(a.get(), archive_write_set_filter_option(a.get(), "gzip", "compression-level", "1"),
          "gzip options");
  }
  check(a.get(), archive_write_set_bytes_per_block(a.get(), static_cast<int>(kBlock)), "block size");
  check(a.get(), archive_write_set_bytes_in_last_block(a.get(), 1), "last block");
  return a;
}

// A file's name as an archive entry, which must never lead out of the folder the archive is
// unpacked in (zip-slip). The filename rules already refuse such names (leading '/' and '..'
// normalised or refused, no backslash); this holds for names stored before those rules too:
// a backslash becomes '_', and so does a '..' part; leading '/' go.
std::string entryName(const std::string& filename) {
  std::string out;
  std::size_t start = 0;
  while (start <= filename.size()) {
    std::size_t end = filename.find('/', start);
    if (end == std::string::npos) end = filename.size();
    std::string part = filename.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") part = "_";
    for (char& c : part)
      if (c == '\\') c = '_';
    out += (out.empty() ? "" : "/") + part;
  }
  return out.empty() ? "_" : out;
}

void download(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::R);
  const Filetype type = parseDownloadBody(*jsonBody(ctx, req));
  const std::vector<FileRef> files = listFiles(ctx, a.pk);
  // Sizes first, so that a missing blob is an ordinary error before the first byte.
  std::vector<uint64_t> sizes;
  sizes.reserve(files.size());
  for (const auto& f : files) {
    auto info = ctx.blobs->stat(f.handle);
    if (!info) throw InternalError("the content of '" + f.filename + "' (" + f.handle + ") is missing");
    sizes.push_back(info->size);
  }
  const std::string name = a.dataset.body->optValue<std::string>("name", "dataset");
  const std::string version = std::to_string(intField(*a.dataset.body, "dataset_version"));
  const std::string ext = type == Filetype::Zip ? "zip" : "tar.gz";
  std::string quoted;
  for (char c : name + ".v" + version + "." + ext) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '_' : c;
  }
  const Utf8Names utf8;
  ArchivePtr ar = newArchiveWriter(type);
  res.setHeader("Content-Disposition", "attachment; filename=\"" + quoted + "\"");
  auto out = res.beginBody("application/data", -1);
  Sink sink;
  sink.out = out.get();
  try {
    if (archive_write_open2(ar.get(), &sink, nullptr, writeToBody, nullptr, nullptr) != ARCHIVE_OK)
      throw InternalError("archive: " + archiveError(ar.get()));
    std::vector<char> buf(kBlock);
    const time_t now = time(nullptr);
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
      archive_entry_set_pathname(entry.get(), entryName(files[i].filename).c_str());
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), 0644);
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(sizes[i]));
      archive_entry_set_mtime(entry.get(), now, 0);
      if (archive_write_header(ar.get(), entry.get()) < ARCHIVE_WARN)
        throw InternalError("archive entry '" + files[i].filename + "': " + archiveError(ar.get()));
      auto reader = ctx.blobs->open(files[i].handle);
      uint64_t offset = 0;
      while (offset < sizes[i]) {
        const std::size_t n = reader->read(
            offset, buf.data(), static_cast<std::size_t>(std::min<uint64_t>(sizes[i] - offset, kBlock)));
        if (n == 0) throw InternalError("the content of '" + files[i].filename + "' ended early");
        if (archive_write_data(ar.get(), buf.data(), n) != static_cast<la_ssize_t>(n))
          throw InternalError("archive data of '" + files[i].filename + "': " + archiveError(ar.get()));
        offset += n;
      }
      if (archive_write_finish_entry(ar.get()) < ARCHIVE_WARN)
        throw InternalError("archive entry '" + files[i].filename + "': " + archiveError(ar.get()));
    }
    if (archive_write_close(ar.get()) != ARCHIVE_OK)
      throw InternalError("archive: " + archiveError(ar.get()));
    out->close();
  } catch (const std::exception& e) {
    if (ctx.logger)
      ctx.logger->warning("ufdl: download of dataset " + std::to_string(a.pk) +
                          " aborted: " + (sink.failure.empty() ? e.what() : sink.failure));
    res.abort();
  }
}

// ---- files-multi

// The spooled body: a temporary file unlinked as soon as it is made, so that it goes with its
// descriptor whatever happens.
class SpoolFile {
 public:
  explicit SpoolFile(const std::string& directory) {
    std::string tmpl = directory;
    if (tmpl.empty()) tmpl = "/tmp";
    if (tmpl.back() != '/') tmpl += '/';
    tmpl += "ufdl-files-multi-XXXXXX";
    std::vector<char> path(tmpl.begin(), tmpl.end());
    path.push_back('\0');
    fd_ = mkstemp(path.data());
    if (fd_ < 0)
      throw InternalError("cannot make a spool file in " + directory + ": " + std::strerror(errno));
    ::unlink(path.data());
  }
  ~SpoolFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  int fd() const { return fd_; }

  // Copies the request body in 1 MiB blocks (the request stream enforces the route's limit).
  void fill(Request& req) {
    std::istream& in = req.body();
    std::vector<char> buf(kBlock);
    uint64_t total = 0;
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const std::streamsize n = in.gcount();
      if (n <= 0) break;
      writeAll(buf.data(), static_cast<std::size_t>(n));
      total += static_cast<uint64_t>(n);
    }
    if (in.bad() || (req.contentLength() >= 0 && total != static_cast<uint64_t>(req.contentLength())))
      throw BadRequest("ufdl", "The request body ended before its Content-Length.");
  }

 private:
  void writeAll(const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOSPC) throw InsufficientStorage("no space left to spool the archive");
        throw InternalError(std::string("spooling the archive: ") + std::strerror(errno));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  int fd_ = -1;
};

[[noreturn]] void throwCorrupt(archive* a) {
  throw BadRequest("ufdl", "Bad zip archive: " + archiveError(a));
}

// A zip reader over the spool file, from its start.
ArchivePtr openZip(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) throw InternalError("cannot rewind the spool file");
  ArchivePtr a(archive_read_new());
  if (!a) throw InternalError("libarchive: out of memory");
  archive_read_support_format_zip(a.get());
  if (archive_read_open_fd(a.get(), fd, kBlock) != ARCHIVE_OK) throwCorrupt(a.get());
  return a;
}

// The next entry, or null at the end; corrupt headers are 400s.
archive_entry* nextEntry(archive* a) {
  archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(a, &entry);
  if (rc == ARCHIVE_EOF) return nullptr;
  if (rc < ARCHIVE_WARN) throwCorrupt(a);
  return entry;
}

bool isDirectoryEntry(archive_entry* e) {
  const char* p = archive_entry_pathname(e);
  const std::string name = p ? p : "";
  return archive_entry_filetype(e) == AE_IFDIR || (!name.empty() && name.back() == '/');
}

// The current entry's data as a std::istream buffer, counting what the whole archive has
// expanded to: past `maxExpanded`, a 400 (a zip bomb) stops the put() that reads it.
class EntryBuf : public std::streambuf {
 public:
  EntryBuf(archive* a, uint64_t& expanded, uint64_t maxExpanded)
      : a_(a), expanded_(expanded), max_(maxExpanded), buf_(kBlock) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
    if (n < 0) throwCorrupt(a_);
    if (n == 0) return traits_type::eof();
    expanded_ += static_cast<uint64_t>(n);
    if (expanded_ > max_)
      throw BadRequest(
          "ufdl", "The archive expands to more than " + std::to_string(max_) + " bytes, the most allowed.");
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  archive* a_;
  uint64_t& expanded_;
  uint64_t max_;
  std::vector<char> buf_;
};

void filesMulti(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::W);
  requireUploadFilename(req);
  requireDeclaredSize(req, ctx.maxArchiveBytes, "archive");
  SpoolFile spool(ctx.spoolDirectory);
  spool.fill(req);
  const Utf8Names utf8;

  // First pass: every name through the filename rules and the clash checks (against the
  // dataset's files and the archive's other entries), and the sizes the entries declare.
  std::vector<std::string> names;
  {
    ArchivePtr zip = openZip(spool.fd());
    NameSet taken(ctx, a.pk);
    uint64_t declared = 0;
    while (archive_entry* e = nextEntry(zip.get())) {
      if (!isDirectoryEntry(e)) {
        const char* p = archive_entry_pathname(e);
        const std::string given = p ? p : "";
        FilenameSpec spec = parseFilename(given);
        spec.directory = false;
        names.push_back(taken.claim(spec));
        if (archive_entry_size_is_set(e)) declared += static_cast<uint64_t>(archive_entry_size(e));
        if (declared > ctx.maxExpandedBytes)
          throw BadRequest("ufdl", "The archive expands to more than " +
                                       std::to_string(ctx.maxExpandedBytes) + " bytes, the most allowed.");
      }
      if (archive_read_data_skip(zip.get()) < ARCHIVE_WARN) throwCorrupt(zip.get());
    }
  }

  // Second pass: the entries' content into the blobs store, then one batch of records.
  std::vector<std::string> handles;
  try {
    ArchivePtr zip = openZip(spool.fd());
    uint64_t expanded = 0;
    std::size_t i = 0;
    while (archive_entry* e = nextEntry(zip.get())) {
      if (isDirectoryEntry(e)) continue;
      if (i >= names.size()) throw BadRequest("ufdl", "Bad zip archive: its entries changed between reads");
      EntryBuf buf(zip.get(), expanded, ctx.maxExpandedBytes);
      std::istream in(&buf);
      in.exceptions(std::ios::badbit);
      handles.push_back(ctx.blobs->put(in, -1, ctx.maxFileBytes).id);
      ++i;
    }
    if (i != names.size()) throw BadRequest("ufdl", "Bad zip archive: its entries changed between reads");
    changeDataset(ctx, a.pk, [&](const Entity&, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
      NameSet taken(ctx, a.pk);
      for (std::size_t k = 0; k < names.size(); ++k) {
        taken.claim({names[k], false});
        batch.create(kFiles, fileId(a.pk, names[k]), fileRecord(a.pk, {names[k], handles[k], ""}));
      }
      return nullptr;
    });
  } catch (...) {
    releaseBlobs(ctx, handles);
    throw;
  }
  Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
  for (std::size_t k = 0; k < names.size(); ++k) out->add(filenameHandle(names[k], handles[k]));
  res.sendJson(out);
}

}  // namespace

void addArchiveRoutes(RouteRegistry& routes, Context& ctx) {
  addRoute(routes, ctx, "POST", "/v1/datasets/{pk}/download", download, userOptions(ctx));
  addRoute(routes, ctx, "POST", "/v1/datasets/{pk}/files-multi", filesMulti,
           userOptions(ctx, ctx.maxArchiveBytes));
}

}  // namespace strata::ufdl
