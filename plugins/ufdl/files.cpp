// The files of a dataset, one at a time: upload (POST), download and removal of
// `/v1/datasets/{pk}/files/{filename...}`, `file-handles/{handle}`, and the per-file metadata.
// A file is a kFiles record {dataset, filename, handle, metadata} holding one reference to the
// blob whose SHA-256 is `handle`; every change of a dataset's files goes through changeDataset.
// The archive routes are in archives.cpp. See docs/ufdl.md.
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/String.h>
#include <Poco/Net/NameValueCollection.h>
#include <strata/errors.h>

#include <algorithm>
#include <vector>

#include "archives.h"

namespace strata::ufdl {

// ---- filename rules

namespace {

// Python's posixpath.normpath: '' and '.' parts go, '..' removes the part before it (or stays
// at the start of a relative path, or goes at the root), one or two leading slashes are kept
// (three or more become one).
std::string normpath(const std::string& path) {
  if (path.empty()) return ".";
  std::size_t initialSlashes = path[0] == '/' ? 1 : 0;
  if (initialSlashes && path.size() > 1 && path[1] == '/' && (path.size() == 2 || path[2] != '/'))
    initialSlashes = 2;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part != ".." || (!initialSlashes && parts.empty()) || (!parts.empty() && parts.back() == ".."))
      parts.push_back(part);
    else if (!parts.empty())
      parts.pop_back();
  }
  std::string out(initialSlashes, '/');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

// normpath, then leading '/' stripped; "" for the top directory.
std::string normalise(const std::string& given) {
  std::string n = normpath(given);
  n.erase(0, n.find_first_not_of('/') == std::string::npos ? n.size() : n.find_first_not_of('/'));
  return n == "." ? "" : n;
}

bool hasControlCharacters(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

FilenameSpec parseFilename(const std::string& given) {
  if (hasControlCharacters(given)) {
    // Shown escaped (\xNN): a NUL would cut the message short in many clients.
    std::string shown;
    for (char c : given) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        static const char* hex = "0123456789abcdef";
        shown += std::string("\\x") + hex[u >> 4] + hex[u & 15];
      } else {
        shown += c;
      }
    }
    throwBadName(shown, "Filename may not contain control characters");
  }
  // A backslash is a directory separator to Windows' archive tools: `a\..\..\x` in a
  // downloaded zip would escape the folder it is unpacked in.
  if (given.find('\\') != std::string::npos) throwBadName(given, "Filename may not contain '\\'");
  FilenameSpec spec;
  spec.directory = !given.empty() && given.back() == '/';
  spec.name = normalise(given);
  if (spec.name.rfind("..", 0) == 0) throwBadName(spec.name, "Filename may not start with '..'");
  if (spec.name.empty() && !spec.directory) throwBadName(given, "Filename may not be empty");
  return spec;
}

std::string lookupName(const std::string& given) {
  if (hasControlCharacters(given)) return "";
  const std::string n = normalise(given);
  return n.rfind("..", 0) == 0 ? "" : n;
}

NameSet::NameSet(const Context& ctx, int64_t datasetPk) : ctx_(ctx), pk_(datasetPk) {}

bool NameSet::isFile(const std::string& name) const {
  return claimed_.count(name) || ctx_.entities->find(kFiles, fileId(pk_, name)).has_value();
}

bool NameSet::isDirectoryPrefix(const std::string& name) const {
  const std::string prefix = name + "/";
  auto it = claimed_.lower_bound(prefix);
  if (it != claimed_.end() && it->compare(0, prefix.size(), prefix) == 0) return true;
  EntityQuery q;
  q.idPrefix = fileId(pk_, prefix);
  q.limit = 1;
  return !ctx_.entities->list(kFiles, q).items.empty();
}

void NameSet::checkPrefixes(const std::string& name) const {
  for (std::size_t p = name.find('/'); p != std::string::npos; p = name.find('/', p + 1)) {
    if (isFile(name.substr(0, p))) throwBadName(name, "Directory prefix is already a filename");
  }
}

std::string NameSet::claim(const FilenameSpec& spec) {
  std::string name = spec.name;
  if (spec.directory) {
    if (!name.empty()) {
      if (isFile(name)) throwBadName(name, "Directory prefix is already a filename");
      checkPrefixes(name);
    }
    // The first parts of the names under the directory, read in one range scan.
    const std::string dir = name.empty() ? "" : name + "/";
    std::set<std::string> used;
    auto note = [&](const std::string& file) {
      if (file.compare(0, dir.size(), dir) == 0)
        used.insert(file.substr(dir.size(), file.find('/', dir.size()) - dir.size()));
    };
    EntityQuery q;
    q.idPrefix = fileId(pk_, dir);
    for (const auto& e : listAll(ctx_, kFiles, q)) note(e.body->optValue<std::string>("filename", ""));
    for (const auto& c : claimed_) note(c);
    for (uint64_t n = 1;; ++n) {
      if (!used.count(std::to_string(n))) {
        name = dir + std::to_string(n);
        break;
      }
    }
  } else {
    if (isFile(name)) throwBadName(name, "Filename already in use");
    if (isDirectoryPrefix(name)) throwBadName(name, "Filename is already a directory prefix");
    checkPrefixes(name);
  }
  claimed_.insert(name);
  return name;
}

// ---- request checks

DatasetAccess accessDataset(const Context& ctx, Request& req, Level needed) {
  DatasetAccess a;
  a.pk = parsePk(req.param("pk"));
  a.dataset = getRecord(ctx, kDatasets, a.pk);
  a.who = caller(ctx, req);
  requireDatasetLevel(ctx, a.who, *a.dataset.body, needed);
  return a;
}

void requireUploadFilename(Request& req) {
  bool named = false;
  if (auto cd = req.header("Content-Disposition")) {
    std::string disposition;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(*cd, disposition, params);
    named = !params.get("filename", "").empty() || !params.get("filename*", "").empty();
  }
  if (!named)
    throw BadRequest("ufdl",
                     "Missing filename. Request should include a Content-Disposition header with a "
                     "filename parameter.");
}

void requireDeclaredSize(Request& req, uint64_t max, const std::string& what) {
  if (req.contentLength() >= 0 && static_cast<uint64_t>(req.contentLength()) > max)
    throw PayloadTooLarge(
        "ufdl", "The " + what + " is larger than the largest allowed (" + std::to_string(max) + " bytes).");
}

void sendBlob(const Context& ctx, Response& res, const std::string& handle) {
  auto reader = ctx.blobs->open(handle);
  const uint64_t size = reader->size();
  auto out = res.beginBody("application/data", static_cast<int64_t>(size));
  if (res.headRequest()) {
    out->close();
    return;
  }
  try {
    std::vector<char> buf(kResponseBlockBytes);
    uint64_t offset = 0;
    while (offset < size) {
      const std::size_t n = reader->read(offset, buf.data(), std::min<uint64_t>(size - offset, buf.size()));
      if (n == 0) throw InternalError("blob " + handle + " ended early");
      out->write(buf.data(), n);
      offset += n;
    }
    out->close();
  } catch (const std::exception& e) {
    if (ctx.logger) ctx.logger->warning("ufdl: sending blob " + handle + " failed: " + e.what());
    res.abort();
  }
}

Poco::JSON::Object::Ptr filenameHandle(const std::string& filename, const std::string& handle) {
  Poco::JSON::Object::Ptr o = ordered();
  o->set("filename", filename);
  o->set("handle", handle);
  return o;
}

// ---- routes

namespace {

// The filename of a `{filename...}` route as the client wrote it: the router drops a trailing
// slash from the tail, which for UFDL names a directory, so it is put back from the path.
std::string givenFilename(Request& req) {
  std::string name = req.param("filename");
  std::string path = req.raw().getURI();
  path = path.substr(0, path.find_first_of("?#"));
  const bool slash = (!path.empty() && path.back() == '/') ||
                     (path.size() >= 3 && Poco::icompare(path.substr(path.size() - 3), "%2f") == 0);
  if (slash && (name.empty() || name.back() != '/')) name += '/';
  return name;
}

// The record of the dataset's file (BadName "Doesn't exist" if none).
Entity fileEntity(const Context& ctx, int64_t datasetPk, const std::string& given) {
  const std::string name = lookupName(given);
  if (!name.empty()) {
    if (auto e = ctx.entities->find(kFiles, fileId(datasetPk, name))) return *e;
  }
  throwBadName(given, "Doesn't exist");
}

void uploadFile(Context& ctx, Request& req, Response& res, const std::string& given) {
  const DatasetAccess a = accessDataset(ctx, req, Level::W);
  requireUploadFilename(req);
  const FilenameSpec spec = parseFilename(given);
  // Refuse a clash now rather than after the body; checked again when the record is made.
  NameSet(ctx, a.pk).claim(spec);
  requireDeclaredSize(req, ctx.maxFileBytes, "file");
  // put() leaves nothing behind when the body is short, too long or the client goes away.
  const BlobInfo blob = ctx.blobs->put(req.body(), req.contentLength(), ctx.maxFileBytes);
  std::string filename;
  try {
    changeDataset(ctx, a.pk, [&](const Entity&, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
      NameSet names(ctx, a.pk);
      filename = names.claim(spec);
      batch.create(kFiles, fileId(a.pk, filename), fileRecord(a.pk, {filename, blob.id, ""}));
      return nullptr;
    });
  } catch (...) {
    releaseBlobs(ctx, {blob.id});
    throw;
  }
  res.sendJson(filenameHandle(filename, blob.id));
}

void getFile(Context& ctx, Request& req, Response& res, const std::string& given) {
  const DatasetAccess a = accessDataset(ctx, req, Level::R);
  const Entity file = fileEntity(ctx, a.pk, given);
  sendBlob(ctx, res, file.body->optValue<std::string>("handle", ""));
}

void deleteFile(Context& ctx, Request& req, Response& res, const std::string& given) {
  const DatasetAccess a = accessDataset(ctx, req, Level::W);
  std::string filename, handle;
  changeDataset(ctx, a.pk, [&](const Entity&, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
    const Entity file = fileEntity(ctx, a.pk, given);
    filename = file.body->optValue<std::string>("filename", "");
    handle = file.body->optValue<std::string>("handle", "");
    batch.remove(kFiles, file.id, file.etag);
    return nullptr;
  });
  releaseBlobs(ctx, {handle});
  res.sendJson(filenameHandle(filename, handle));
}

void getFileByHandle(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::R);
  const std::string& handle = req.param("handle");
  EntityQuery q;
  q.idPrefix = filesPrefix(a.pk);
  q.filters.push_back({"handle", EntityFilter::Op::Eq, handle});
  q.limit = 1;
  if (!ctx.entities->list(kFiles, q).items.empty()) {
    sendBlob(ctx, res, handle);
    return;
  }
  throw NotFound(kNotFoundDetail);
}

Poco::JSON::Object::Ptr metadataJson(const std::string& metadata) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("metadata", metadata);
  return o;
}

void setMetadata(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::W);
  const std::string given = givenFilename(req);
  const Poco::JSON::Object::Ptr body = jsonBody(ctx, req);
  FieldErrors errors;
  if (!body->has("metadata") || body->isNull("metadata"))
    errors.add("metadata", body->has("metadata") ? kNotNull : kRequired);
  else if (!body->get("metadata").isString())
    errors.add("metadata", kNotAString);
  errors.throwIfAny();
  const std::string metadata = body->getValue<std::string>("metadata");
  changeDataset(ctx, a.pk, [&](const Entity&, EntityBatch& batch) -> Poco::JSON::Object::Ptr {
    const Entity file = fileEntity(ctx, a.pk, given);
    Poco::JSON::Object::Ptr updated = copyOf(*file.body);
    updated->set("metadata", metadata);
    batch.update(kFiles, file.id, updated, file.etag);
    return nullptr;
  });
  res.sendJson(metadataJson(metadata));
}

void getMetadata(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::R);
  const Entity file = fileEntity(ctx, a.pk, givenFilename(req));
  res.sendJson(metadataJson(file.body->optValue<std::string>("metadata", "")));
}

void getAllMetadata(Context& ctx, Request& req, Response& res) {
  const DatasetAccess a = accessDataset(ctx, req, Level::R);
  Poco::JSON::Object::Ptr o = ordered();
  for (const auto& f : listFiles(ctx, a.pk)) o->set(f.filename, f.metadata);
  res.sendJson(o);
}

}  // namespace

void addFileRoutes(RouteRegistry& routes, Context& ctx) {
  const RouteOptions user = userOptions(ctx);
  // Uploads: the route's body limit is the largest file, refused from its Content-Length.
  const RouteOptions upload = userOptions(ctx, ctx.maxFileBytes);
  // The name as the client wrote it (givenFilename), or `files/` with no name at all: UFDL's
  // route takes an empty name too.
  const std::string files = "/v1/datasets/{pk}/files/{filename...}";
  const std::string none = "/v1/datasets/{pk}/files";
  addRoute(
      routes, ctx, "POST", files,
      [](Context& c, Request& q, Response& r) { uploadFile(c, q, r, givenFilename(q)); }, upload);
  addRoute(
      routes, ctx, "GET", files,
      [](Context& c, Request& q, Response& r) { getFile(c, q, r, givenFilename(q)); }, user);
  addRoute(
      routes, ctx, "DELETE", files,
      [](Context& c, Request& q, Response& r) { deleteFile(c, q, r, givenFilename(q)); }, user);
  addRoute(
      routes, ctx, "POST", none, [](Context& c, Request& q, Response& r) { uploadFile(c, q, r, ""); },
      upload);
  addRoute(
      routes, ctx, "GET", none, [](Context& c, Request& q, Response& r) { getFile(c, q, r, ""); }, user);
  addRoute(
      routes, ctx, "DELETE", none, [](Context& c, Request& q, Response& r) { deleteFile(c, q, r, ""); },
      user);
  addRoutes(routes, ctx, user,
            {
                {"GET", "/v1/datasets/{pk}/file-handles/{handle}", getFileByHandle},
                {"POST", "/v1/datasets/{pk}/metadata/{filename...}", setMetadata},
                {"GET", "/v1/datasets/{pk}/metadata/{filename...}", getMetadata},
                {"GET", "/v1/datasets/{pk}/metadata", getAllMetadata},
            });
  addArchiveRoutes(routes, ctx);
}

}  // namespace strata::ufdl
