// What files.cpp (one file at a time) and archives.cpp (zip and tar.gz downloads, files-multi)
// share: UFDL's filename rules (§1.6 of the reference), the checks of a request before its
// body is read, and streaming a blob into a response.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "ufdl_common.h"

namespace strata::ufdl {

// A filename as a client gave it, normalised as UFDL does: os.path.normpath, leading '/'
// stripped. `directory` when the given name ends with '/': `name` is then the directory
// ("" for the top) in which the server picks "<dir>/1", "<dir>/2", ...
struct FilenameSpec {
  std::string name;
  bool directory = false;
};
// BadName (400) for a name that is empty, starts with ".." once normalised (`../x`,
// `a/../../b`), or holds a NUL or another control character.
FilenameSpec parseFilename(const std::string& given);
// The normalised form of a name for looking a file up; "" if it cannot name a file.
std::string lookupName(const std::string& given);

// The names of a dataset's files, for UFDL's clash checks as names are added one by one: the
// dataset's files as the store has them now (point lookups and range scans of its file ids,
// never the whole list) plus the names claimed through this set.
class NameSet {
 public:
  NameSet(const Context& ctx, int64_t datasetPk);
  // Checks `spec` against the names so far (BadName "Filename already in use", "Filename is
  // already a directory prefix", "Directory prefix is already a filename"), picks the first
  // unused "<dir>/<n>" for a directory, adds the name and returns it.
  std::string claim(const FilenameSpec& spec);

 private:
  bool isFile(const std::string& name) const;
  bool isDirectoryPrefix(const std::string& name) const;
  void checkPrefixes(const std::string& name) const;
  const Context& ctx_;
  int64_t pk_;
  std::set<std::string> claimed_;
};

// The dataset of a `{pk}` path segment (NotFound "Not found.") and its owning team; throws
// 401/403 unless the caller has `needed` in that team or is staff.
struct DatasetAccess {
  Entity dataset;
  int64_t pk = 0;
  int64_t team = 0;
  Caller who;
};
DatasetAccess accessDataset(const Context& ctx, Request& req, Level needed);

// 400 with DRF's text unless the request has `Content-Disposition` with a filename parameter
// (what DRF's FileUploadParser requires).
void requireUploadFilename(Request& req);

// Sends the blob as the whole response body (application/data), read in 1 MiB blocks. A
// failure after the first byte aborts the response (the client sees a truncated transfer).
void sendBlob(const Context& ctx, Response& res, const std::string& handle);

// The download and files-multi routes (archives.cpp), called by addFileRoutes.
void addArchiveRoutes(RouteRegistry& routes, Context& ctx);

}  // namespace strata::ufdl
