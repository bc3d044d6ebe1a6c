// UFDL's dataset versions and whole-dataset operations (§1.6 of the reference): copy (a new
// version, or a new name), merge, hard delete and reinstate.
//
// Files are shared between datasets by blob reference: every file record holds one reference
// to its blob. A copy or merge takes one reference per file it adds (BlobStore::addRef) before
// its batch, and gives them back if the batch does not happen; a hard delete gives back one
// per file it removed after its batch (UFDL leaks them), so that the last reference to go
// deletes the content.
//
// Version numbers: the (name, version, project) key entity of the new dataset is created in
// the same batch as its record, so of concurrent copies that computed the same next version
// exactly one wins; the others compute it again.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <strata/errors.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "archives.h"
#include "dataset_versions.h"
#include "ufdl_common.h"

namespace strata::ufdl {

namespace {

constexpr int kAttempts = 64;  // retries of a copy or merge whose snapshot went stale

std::string compactJson(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "None";
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out, 0, -1);
  return out.str();
}

// The dataset's JSON with `files` from a snapshot rather than read again.
Poco::JSON::Object::Ptr datasetJsonWith(const Context& ctx, const Entity& dataset,
                                        const std::vector<FileRef>& files) {
  Poco::JSON::Object::Ptr o = datasetJson(ctx, dataset);
  Poco::JSON::Object::Ptr map = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& f : files) map->set(f.filename, f.handle);
  o->set("files", map);
  return o;
}

// Takes one blob reference per handle; if one is gone (its last file was removed since the
// files were read), gives back those taken and returns false.
bool addRefs(const Context& ctx, const std::vector<std::string>& handles, std::vector<std::string>& taken) {
  for (const auto& h : handles) {
    try {
      ctx.blobs->addRef(h);
    } catch (const NotFound&) {
      releaseBlobs(ctx, taken);
      taken.clear();
      return false;
    } catch (...) {
      releaseBlobs(ctx, taken);
      taken.clear();
      throw;
    }
    taken.push_back(h);
  }
  return true;
}

// The highest version of the active datasets named `name` in the project (0 if none).
int64_t maxActiveVersion(const Context& ctx, const std::string& name, int64_t project) {
  EntityQuery q;
  q.filters.push_back({"name", EntityFilter::Op::Eq, name});
  q.filters.push_back({"project", EntityFilter::Op::Eq, project});
  q.filters.push_back({"deletion_time", EntityFilter::Op::IsNull, {}});
  int64_t max = 0;
  for (const auto& d : listAll(ctx, kDatasets, q)) max = std::max(max, intField(*d.body, "dataset_version"));
  return max;
}

// ---- copy

void copyDataset(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  const Entity first = getRecord(ctx, kDatasets, req.param("pk"));
  const int64_t sourcePk = intField(*first.body, "pk");
  requireDatasetLevel(ctx, who, *first.body, Level::W);  // UFDL: R; a copy writes to the project

  const Poco::JSON::Object::Ptr body = jsonBody(ctx, req);
  Poco::JSON::Object unknown;
  for (const auto& [k, v] : *body)
    if (k != "new_name" && k != "only_files") unknown.set(k, v);
  if (unknown.size() > 0) throwUnknownParameters(unknown);
  std::optional<std::string> newName;
  if (body->has("new_name") && !body->isNull("new_name")) {
    const Poco::Dynamic::Var v = body->get("new_name");
    if (!v.isString()) throwBadName(compactJson(v), "A dataset name must be a string");
    newName = v.toString();
    if (newName->find('\0') != std::string::npos) throwBadName(*newName, "Null characters are not allowed");
    if (newName->find_first_not_of(" \t\r\n") == std::string::npos)
      throwBadName(*newName, "A dataset name may not be blank");
    if (newName->size() > 200) throwBadName(*newName, "A dataset name may have at most 200 characters");
  }
  std::optional<std::vector<std::string>> onlyFiles;
  if (body->has("only_files") && !body->isNull("only_files")) {
    const Poco::Dynamic::Var v = body->get("only_files");
    const auto badType = [&] {
      throw BadRequest(
          "ufdl", "The type passed to copy parameter 'only_files' should be 'list of str', but received " +
                      compactJson(v));
    };
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) badType();
    onlyFiles.emplace();
    for (const auto& name : *v.extract<Poco::JSON::Array::Ptr>()) {
      if (!name.isString()) badType();
      onlyFiles->push_back(name.toString());
    }
  }

  const int64_t pk = ctx.entities->nextSequence(kDatasets);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const Entity source = getRecord(ctx, kDatasets, sourcePk);
    requireDatasetLevel(ctx, who, *source.body, Level::W);  // as the source is now
    const std::vector<FileRef> all = listFiles(ctx, sourcePk);
    std::vector<FileRef> files;
    if (onlyFiles) {
      std::map<std::string, const FileRef*> byName;
      for (const auto& f : all) byName[f.filename] = &f;
      std::set<std::string> seen;
      for (const auto& name : *onlyFiles) {
        auto it = byName.find(name);
        if (it == byName.end()) throwBadName(name, "Doesn't exist");
        if (seen.insert(name).second) files.push_back(*it->second);
      }
    } else {
      files = all;
    }

    const std::string name = newName.value_or(source.body->optValue<std::string>("name", ""));
    const int64_t project = intField(*source.body, "project");
    const int64_t version = newName ? 1 : maxActiveVersion(ctx, name, project) + 1;
    Poco::JSON::Object::Ptr record = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    record->set("pk", pk);
    record->set("name", name);
    record->set("dataset_version", version);
    record->set("previous_version", newName ? -1 : intField(*source.body, "dataset_version"));
    record->set("description", source.body->optValue<std::string>("description", ""));
    record->set("project", project);
    record->set("licence", source.body->get("licence"));
    record->set("is_public", source.body->optValue<bool>("is_public", false));
    record->set("domain", source.body->has("domain") ? source.body->get("domain") : Poco::Dynamic::Var());
    record->set("tags", source.body->optValue<std::string>("tags", ""));
    record->set("creator", who.pk);
    record->set("creation_time", nowIso());
    record->set("deletion_time", Poco::Dynamic::Var());

    EntityBatch batch;
    batch.create(kDatasets, pkId(pk), record);
    batch.create(kDatasetKeys, datasetKeyId(name, version, project), datasetKeyBody(pk));
    std::vector<std::string> handles;
    for (const auto& f : files) {
      batch.create(kFiles, fileId(pk, f.filename), fileRecord(pk, f));
      handles.push_back(f.handle);
    }
    // The files were read from the source as it is at this etag.
    batch.check(kDatasets, source.id, source.etag);
    const int checkIndex = static_cast<int>(batch.operations.size()) - 1;

    std::vector<std::string> taken;
    if (!addRefs(ctx, handles, taken)) continue;
    try {
      const auto written = ctx.entities->apply(batch);
      res.sendJson(datasetJsonWith(ctx, written[0], files), 200);
      return;
    } catch (const Conflict& e) {
      releaseBlobs(ctx, taken);
      if (batchOperationIndex(e) != 1) throw;
      if (newName) throwBadName(*newName, "New dataset name is already taken");
      // another copy took this version: compute the next one again
    } catch (const PreconditionFailed& e) {
      releaseBlobs(ctx, taken);
      if (batchOperationIndex(e) != checkIndex) throw;
    } catch (const NotFound& e) {
      releaseBlobs(ctx, taken);
      if (batchOperationIndex(e) != checkIndex) throw;
      throw NotFound(kNotFoundDetail);  // the source went meanwhile
    } catch (...) {
      releaseBlobs(ctx, taken);
      throw;
    }
  }
  throw ServiceUnavailable("ufdl", "the dataset is changing too often to copy it now; try again");
}

// ---- merge

// "Dataset" for a core dataset (domain null), else the domain's description.
std::string domainName(const Poco::JSON::Object& dataset) {
  if (!dataset.has("domain") || dataset.isNull("domain")) return "Dataset";
  return dataset.get("domain").toString();
}

// Python's os.path.splitext: the extension starts at the last dot of the last path component,
// unless that dot only follows leading dots.
std::pair<std::string, std::string> splitExtension(const std::string& filename) {
  const std::size_t slash = filename.rfind('/');
  const std::size_t start = slash == std::string::npos ? 0 : slash + 1;
  const std::size_t dot = filename.rfind('.');
  if (dot == std::string::npos || dot < start) return {filename, ""};
  const std::size_t firstNonDot = filename.find_first_not_of('.', start);
  if (firstNonDot == std::string::npos || dot < firstNonDot) return {filename, ""};
  return {filename.substr(0, dot), filename.substr(dot)};
}

// The name under which a source file joins the target: its own name if free, else
// base-0001.ext, base-0002.ext, ... (the first free one). Free also means UFDL's filename rules
// hold (no file that is a directory prefix of another, `names` checks them): a file "x" meeting
// a directory "x/" of the target is renamed too. A file below a directory that is a file of the
// target ("x/y" meeting the file "x") cannot be placed by renaming it: 400 BadName.
std::string placeFile(NameSet& names, const std::string& filename) {
  const auto [base, ext] = splitExtension(filename);
  constexpr int kMaxSuffix = 100000;
  for (int n = 0; n < kMaxSuffix; ++n) {
    std::string candidate = filename;
    if (n > 0) {
      char digits[16];
      std::snprintf(digits, sizeof digits, "%04d", n);
      candidate = base + "-" + digits + ext;
    }
    try {
      return names.claim({candidate, false});
    } catch (const BadRequest& e) {
      if (std::string(e.what()).find("Directory prefix is already a filename") != std::string::npos)
        throwBadName(filename, "Directory prefix is already a filename");
      // in use, or a directory of the target: the next candidate
    }
  }
  throwBadName(filename, "Filename already in use");
}

// A blob of the source went while the merge was being prepared: read both again.
struct StaleSnapshot {};

// Reads MergeSpec {"delete": bool, "hard"?: bool} as UFDL's strict parser does.
std::pair<bool, bool> readMergeSpec(const Poco::JSON::Object& body) {
  const auto fail = [](const std::string& reason) {
    throw BadRequest("ufdl", "Unable to parse JSON: " + reason);
  };
  for (const auto& [k, v] : body)
    if (k != "delete" && k != "hard")
      fail("Additional properties are not allowed ('" + k + "' was unexpected)");
  if (!body.has("delete")) fail("'delete' is a required property");
  const auto flag = [&](const std::string& key) {
    const Poco::Dynamic::Var v = body.get(key);
    if (!v.isBoolean()) fail(compactJson(v) + " is not of type 'boolean' ('" + key + "')");
    return v.extract<bool>();
  };
  const bool del = flag("delete");
  const bool hard = body.has("hard") ? flag("hard") : false;
  return {del, hard};
}

void mergeDatasets(Context& ctx, Request& req, Response& res) {
  const Caller who = caller(ctx, req);
  const Entity target0 = getRecord(ctx, kDatasets, req.param("pk"));
  const Entity source0 = getRecord(ctx, kDatasets, req.param("other"));
  const int64_t targetPk = intField(*target0.body, "pk");
  const int64_t sourcePk = intField(*source0.body, "pk");
  requireDatasetLevel(ctx, who, *target0.body, Level::W);
  requireDatasetLevel(ctx, who, *source0.body, Level::W);
  if (targetPk == sourcePk)
    throw BadRequest("ufdl", "Cannot perform merge:\nA dataset cannot be merged into itself");
  if (domainName(*target0.body) != domainName(*source0.body))
    throw NotAcceptable("ufdl", "Cannot perform merge:\nExpected to merge with another " +
                                    domainName(*target0.body) + " but received a " +
                                    domainName(*source0.body) + " instead");
  const auto [del, hard] = readMergeSpec(*jsonBody(ctx, req));
  if (del && hard) requireStaff(who);  // UFDL lets any writer hard-delete here

  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::vector<std::string> taken;          // references for the files added to the target
    std::vector<std::string> sourceHandles;  // references of the source's files, if hard-deleted
    std::vector<Entity> written;
    try {
      written = changeDataset(ctx, targetPk, [&](const Entity& target, EntityBatch& batch) {
        // A previous run of this function whose batch did not happen: give its references back.
        releaseBlobs(ctx, taken);
        taken.clear();
        sourceHandles.clear();
        requireDatasetLevel(ctx, who, *target.body, Level::W);
        const Entity source = getRecord(ctx, kDatasets, sourcePk);
        requireDatasetLevel(ctx, who, *source.body, Level::W);
        const std::vector<FileRef> sourceFiles = listFiles(ctx, sourcePk);
        const std::vector<FileRef> targetFiles = listFiles(ctx, targetPk);
        std::map<std::string, std::string> handles0;  // the target's files: name -> handle
        for (const auto& f : targetFiles) handles0[f.filename] = f.handle;
        NameSet names(ctx, targetPk);
        std::vector<FileRef> added;
        for (const auto& f : sourceFiles) {
          auto it = handles0.find(f.filename);
          if (it != handles0.end() && it->second == f.handle) continue;  // same content: the target's stays
          added.push_back({placeFile(names, f.filename), f.handle, f.metadata});
        }
        std::vector<std::string> handles;
        for (const auto& f : added) handles.push_back(f.handle);
        if (!addRefs(ctx, handles, taken)) throw StaleSnapshot{};
        for (const auto& f : added)
          batch.create(kFiles, fileId(targetPk, f.filename), fileRecord(targetPk, f));
        // The source as read, in the same batch: deleted, or checked to be unchanged.
        if (del && hard) {
          batch.remove(kDatasets, source.id, source.etag);
          removeDatasetKey(ctx, *source.body, batch);
          for (const auto& f : sourceFiles) {
            batch.remove(kFiles, fileId(sourcePk, f.filename));
            sourceHandles.push_back(f.handle);
          }
        } else if (del && isActive(*source.body)) {
          Poco::JSON::Object::Ptr next = new Poco::JSON::Object(*source.body);
          next->set("deletion_time", nowIso());
          batch.update(kDatasets, source.id, next, source.etag);
          removeDatasetKey(ctx, *source.body, batch);
        } else {
          batch.check(kDatasets, source.id, source.etag);
        }
        return Poco::JSON::Object::Ptr();
      });
    } catch (const StaleSnapshot&) {
      continue;
    } catch (const Error& e) {
      releaseBlobs(ctx, taken);
      // The source (or a file) changed between reading and writing: merge again.
      const bool stale = batchOperationIndex(e) > 0 &&
                         (dynamic_cast<const PreconditionFailed*>(&e) || dynamic_cast<const NotFound*>(&e) ||
                          dynamic_cast<const Conflict*>(&e));
      if (stale) continue;
      throw;
    } catch (...) {
      releaseBlobs(ctx, taken);
      throw;
    }
    releaseBlobs(ctx, sourceHandles);  // the hard-deleted source's references
    res.sendJson(datasetJson(ctx, written[0]), 200);
    return;
  }
  throw ServiceUnavailable("ufdl", "the datasets are changing too often to merge them now; try again");
}

// ---- hard delete and reinstate (staff only)

void hardDeleteDataset(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  const int64_t pk = parsePk(req.param("pk"));
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const Entity d = getRecord(ctx, kDatasets, pk);
    const std::vector<FileRef> files = listFiles(ctx, pk);
    const Poco::JSON::Object::Ptr answer = datasetJsonWith(ctx, d, files);  // as it was
    EntityBatch batch;
    batch.remove(kDatasets, d.id, d.etag);
    removeDatasetKey(ctx, *d.body, batch);
    std::vector<std::string> handles;
    for (const auto& f : files) {
      batch.remove(kFiles, fileId(pk, f.filename));
      handles.push_back(f.handle);
    }
    try {
      ctx.entities->apply(batch);
    } catch (const PreconditionFailed&) {
      continue;  // changed meanwhile: read it again
    } catch (const NotFound& e) {
      if (batchOperationIndex(e) <= 0) throw NotFound(kNotFoundDetail);
      continue;
    }
    releaseBlobs(ctx, handles);  // one reference per removed file (UFDL leaks them)
    res.sendJson(answer, 200);
    return;
  }
  throw ServiceUnavailable("ufdl", "the dataset is changing too often to delete it now; try again");
}

void reinstateDataset(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  const Entity d = getRecord(ctx, kDatasets, req.param("pk"));
  if (isActive(*d.body)) {
    res.sendJson(datasetJson(ctx, d), 200);  // a no-op, as in UFDL
    return;
  }
  std::vector<Entity> written;
  try {
    written = changeDataset(ctx, intField(*d.body, "pk"), [&](const Entity& current, EntityBatch& batch) {
      if (isActive(*current.body)) return Poco::JSON::Object::Ptr();
      Poco::JSON::Object::Ptr next = new Poco::JSON::Object(*current.body);
      next->set("deletion_time", Poco::Dynamic::Var());
      batch.create(kDatasetKeys, datasetKeyId(*next), datasetKeyBody(intField(*next, "pk")));
      return next;
    });
  } catch (const Conflict&) {
    throwNotUnique();  // UFDL: an uncaught IntegrityError, 500
  }
  res.sendJson(datasetJson(ctx, written[0]), 200);
}

}  // namespace

void addDatasetVersionRoutes(RouteRegistry& routes, Context& ctx) {
  Context* c = &ctx;
  routes.add(
      "POST", "/v1/datasets/{pk}/copy", [c](Request& req, Response& res) { copyDataset(*c, req, res); },
      userOptions(ctx));
  routes.add(
      "POST", "/v1/datasets/{pk}/merge/{other}",
      [c](Request& req, Response& res) { mergeDatasets(*c, req, res); }, userOptions(ctx));
  routes.add(
      "DELETE", "/v1/datasets/{pk}/hard",
      [c](Request& req, Response& res) { hardDeleteDataset(*c, req, res); }, userOptions(ctx));
  routes.add(
      "DELETE", "/v1/datasets/{pk}/reinstate",
      [c](Request& req, Response& res) { reinstateDataset(*c, req, res); }, userOptions(ctx));
}

}  // namespace strata::ufdl
