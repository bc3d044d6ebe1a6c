#include "file_entity_store.h"

#include <strata/errors.h>
#include <strata/util.h>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace jsonfiles {

namespace {

void checkName(const std::string& what, const std::string& name) {
  if (name.empty()) throw strata::BadRequest("the " + what + " must not be empty");
  if (name.size() > 200) throw strata::BadRequest("the " + what + " is longer than 200 characters");
  if (name.front() == '.')
    throw strata::BadRequest("the " + what + " '" + name + "' must not start with '.'");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      throw strata::BadRequest("the " + what + " '" + name +
                               "' may hold only letters, digits, '.', '_' and '-'");
}

[[noreturn]] void ioFailure(const std::string& what, const std::string& file) {
  const int err = errno;
  if (err == ENOSPC) throw strata::InsufficientStorage("no space left to write " + file);
  throw strata::ServiceUnavailable("cannot " + what + " " + file + ": " + std::strerror(err));
}

}  // namespace

FileEntityStore::FileEntityStore(std::string root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw strata::StartupError("cannot create the entities directory " + root_ + ": " + ec.message());
}

std::string FileEntityStore::path(const std::string& collection, const std::string& id) const {
  checkName("collection", collection);
  checkName("entity id", id);
  return root_ + "/" + collection + "/" + id + ".json";
}

std::optional<strata::Entity> FileEntityStore::read(const std::string& collection,
                                                    const std::string& id) const {
  const std::string file = path(collection, id);
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (ec) throw strata::ServiceUnavailable("cannot look up " + file + ": " + ec.message());
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) ioFailure("read", file);
  try {
    auto stored = Poco::JSON::Parser().parse(in).extract<Poco::JSON::Object::Ptr>();
    strata::Entity e;
    e.collection = collection;
    e.id = id;
    e.etag = stored->getValue<std::string>("etag");
    e.version = stored->getValue<int64_t>("version");
    e.created = stored->getValue<int64_t>("created");
    e.modified = stored->getValue<int64_t>("modified");
    e.body = stored->getObject("body");
    if (!e.body) throw strata::InternalError("entity file " + file + " has no body");
    return e;
  } catch (const Poco::Exception& ex) {
    throw strata::InternalError("entity file " + file + " is damaged: " + ex.displayText());
  }
}

void FileEntityStore::write(const strata::Entity& e) const {
  const std::string file = path(e.collection, e.id);
  std::error_code ec;
  fs::create_directories(root_ + "/" + e.collection, ec);
  if (ec)
    throw strata::ServiceUnavailable("cannot create " + root_ + "/" + e.collection + ": " + ec.message());
  Poco::JSON::Object stored;
  stored.set("etag", e.etag);
  stored.set("version", e.version);
  stored.set("created", e.created);
  stored.set("modified", e.modified);
  stored.set("body", e.body);
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) ioFailure("create", tmp);
    Poco::JSON::Stringifier::condense(stored, out);
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      ioFailure("write", tmp);
    }
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) ioFailure("rename into place", file);
}

strata::Entity FileEntityStore::create(const std::string& collection, const std::string& id,
                                       const Poco::JSON::Object::Ptr& body) {
  if (!body) throw strata::BadRequest("an entity needs a body");
  std::lock_guard<std::mutex> lock(mutex_);
  strata::Entity e;
  e.collection = collection;
  e.id = id.empty() ? strata::newUuid() : id;
  if (read(collection, e.id))
    throw strata::Conflict("exists",
                           "entity '" + e.id + "' already exists in collection '" + collection + "'");
  e.etag = strata::newUuid();
  e.version = 1;
  e.created = e.modified = strata::nowMillis();
  e.body = body;
  write(e);
  return e;
}

std::optional<strata::Entity> FileEntityStore::find(const std::string& collection, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return read(collection, id);
}

strata::Entity FileEntityStore::update(const std::string& collection, const std::string& id,
                                       const Poco::JSON::Object::Ptr& body, const std::string& ifMatch) {
  if (!body) throw strata::BadRequest("an entity needs a body");
  std::lock_guard<std::mutex> lock(mutex_);
  auto e = read(collection, id);
  if (!e) throw strata::NotFound("no entity '" + id + "' in collection '" + collection + "'");
  if (!ifMatch.empty() && ifMatch != e->etag)
    throw strata::PreconditionFailed("etag_mismatch", "entity '" + id + "' in collection '" + collection +
                                                          "' has changed (etag mismatch)");
  e->etag = strata::newUuid();
  e->version += 1;
  e->modified = std::max(strata::nowMillis(), e->created);
  e->body = body;
  write(*e);
  return *e;
}

void FileEntityStore::remove(const std::string& collection, const std::string& id,
                             const std::string& ifMatch) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto e = read(collection, id);
  if (!e) throw strata::NotFound("no entity '" + id + "' in collection '" + collection + "'");
  if (!ifMatch.empty() && ifMatch != e->etag)
    throw strata::PreconditionFailed("etag_mismatch", "entity '" + id + "' in collection '" + collection +
                                                          "' has changed (etag mismatch)");
  const std::string file = path(collection, id);
  if (std::remove(file.c_str()) != 0) ioFailure("delete", file);
}

strata::EntityPage FileEntityStore::list(const std::string& collection, const strata::EntityQuery& query) {
  checkName("collection", collection);
  strata::validate(query);
  const auto order = strata::entityOrder(query);
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<strata::Entity> matching;
  std::error_code ec;
  for (fs::directory_iterator it(root_ + "/" + collection, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
    auto e = read(collection, name.substr(0, name.size() - 5));
    if (!e) continue;
    if (strata::entityMatches(*e, query)) matching.push_back(std::move(*e));
  }
  // The contract's order: by the sort keys, ties by id ascending.
  std::vector<std::pair<std::vector<strata::EntitySortKey>, size_t>> keys;
  for (size_t i = 0; i < matching.size(); ++i)
    keys.emplace_back(strata::entitySortKeys(matching[i], order), i);
  std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    const int c = strata::compareEntityOrder(a.first, b.first, order);
    if (c != 0) return c < 0;
    return matching[a.second].id < matching[b.second].id;
  });
  strata::EntityPage page;
  page.total = matching.size();
  for (size_t i = query.offset; i < keys.size() && page.items.size() < query.limit; ++i)
    page.items.push_back(matching[keys[i].second]);
  return page;
}

std::vector<std::string> FileEntityStore::collections() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory()) continue;
    for (fs::directory_iterator f(it->path(), ec), fend; !ec && f != fend; f.increment(ec))
      if (f->path().extension() == ".json") {
        out.push_back(it->path().filename().string());
        break;
      }
    ec.clear();
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace jsonfiles
