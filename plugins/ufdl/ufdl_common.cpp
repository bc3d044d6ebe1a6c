#include "ufdl_common.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/NumberFormatter.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>
#include <strata/errors.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace strata::ufdl {

namespace {

// Errors whose message is a JSON object to send as the body (DRF's field errors).
constexpr const char* kFieldErrorsCode = "ufdl_field_errors";

class UfdlErrors : public ErrorRenderer {
 public:
  void render(const Error& e, Response& r) const override {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    std::string detail = e.what();
    if (e.code() == kFieldErrorsCode) {
      try {
        body = Poco::JSON::Parser().parse(detail).extract<Poco::JSON::Object::Ptr>();
        detail.clear();
      } catch (...) {
        body = new Poco::JSON::Object;
      }
    }
    if (!detail.empty() || body->size() == 0) {
      if (e.status() == 404) detail = kNotFoundDetail;
      if (e.status() == 403) detail = kForbiddenDetail;
      if (e.status() == 401 && e.code() != "token_not_valid" && e.code() != "ufdl")
        detail = detail == "authentication required" ? kNotAuthenticatedDetail : detail;
      body->set("detail", detail);
      if (e.code() == "token_not_valid") body->set("code", "token_not_valid");
    }
    r.setStatus(e.status(), reasonPhrase(detail.empty() ? "Bad Request" : detail));
    if (e.status() == 401) r.setHeader("WWW-Authenticate", "Bearer realm=\"api\"");
    r.sendJson(body);
  }
};

}  // namespace

std::string compactJson(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::stringify(v, out, 0, -1);
  return out.str();
}

// ---- ids and times

std::string pkId(int64_t pk) {
  std::string digits = std::to_string(pk);
  if (digits.size() < 20) digits.insert(0, 20 - digits.size(), '0');
  return digits;
}

int64_t parsePk(const std::string& segment) {
  if (segment.empty() || segment.size() > 18 ||
      !std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw NotFound(kNotFoundDetail);
  return std::stoll(segment);
}

std::string fileId(int64_t datasetPk, const std::string& filename) {
  return filesPrefix(datasetPk) + filename;
}
std::string filesPrefix(int64_t datasetPk) { return childPrefix(datasetPk); }
std::string childPrefix(int64_t parentPk) { return pkId(parentPk) + "/"; }
std::string membershipId(int64_t teamPk, int64_t userPk) { return childPrefix(teamPk) + pkId(userPk); }

std::string uniqueKey(std::initializer_list<std::string> parts) {
  std::string out;
  bool first = true;
  for (const auto& p : parts) {
    if (!first) out.push_back('\0');
    out += p;
    first = false;
  }
  return out;
}

std::string nowIso() {
  Poco::Timestamp now;
  return Poco::DateTimeFormatter::format(now, "%Y-%m-%dT%H:%M:%S.%F+00:00");
}

// ---- route options

namespace {
RouteOptions options(Access access, const Context& ctx, uint64_t maxBody) {
  RouteOptions o;
  o.access = access;
  o.maxBodyBytes = maxBody ? maxBody : ctx.maxJsonBytes;
  return o;
}
}  // namespace

RouteOptions publicOptions(const Context& ctx, uint64_t maxBody) {
  return options(Access::Public, ctx, maxBody);
}
RouteOptions readOptions(const Context& ctx, uint64_t maxBody) { return options(Access::Read, ctx, maxBody); }
RouteOptions userOptions(const Context& ctx, uint64_t maxBody) { return options(Access::User, ctx, maxBody); }

void addRoute(RouteRegistry& routes, Context& ctx, const std::string& method, const std::string& pattern,
              Handler handler, const RouteOptions& options) {
  Context* c = &ctx;
  routes.add(
      method, pattern, [c, handler](Request& req, Response& res) { handler(*c, req, res); }, options);
}

void addRoutes(RouteRegistry& routes, Context& ctx, const RouteOptions& options,
               std::initializer_list<RouteSpec> table) {
  for (const auto& r : table) addRoute(routes, ctx, r.method, r.pattern, r.handler, options);
}

// ---- errors

std::shared_ptr<const ErrorRenderer> ufdlErrors() { return std::make_shared<UfdlErrors>(); }

void throwBadName(const std::string& name, const std::string& reason) {
  throw BadRequest("ufdl", "Bad name '" + name + "': " + reason);
}

void throwFieldErrors(const Poco::JSON::Object::Ptr& errors) {
  throw BadRequest(kFieldErrorsCode, compactJson(errors));
}

void throwUnknownParameters(const Poco::JSON::Object& unknown) {
  std::string text;
  for (const auto& [k, v] : unknown) {
    if (!text.empty()) text += ", ";
    text += k + "=" + (v.isString() ? v.toString() : compactJson(v));
  }
  throw UnprocessableEntity("ufdl", "Unknown parameters: " + text);
}

void FieldErrors::add(const std::string& field, const std::string& message) {
  Poco::JSON::Array::Ptr list = errors_->getArray(field);
  if (!list) {
    list = new Poco::JSON::Array;
    errors_->set(field, list);
  }
  list->add(message);
}
bool FieldErrors::empty() const { return errors_->size() == 0; }
void FieldErrors::throwIfAny() const {
  if (!empty()) throwFieldErrors(errors_);
}

void throwFieldError(const std::string& field, const std::string& message) {
  FieldErrors errors;
  errors.add(field, message);
  errors.throwIfAny();
  throw BadRequest("ufdl", message);  // not reached
}

void throwBadSpec(const std::string& reason) { throw BadRequest("ufdl", "Unable to parse JSON: " + reason); }

std::string invalidPk(const Poco::Dynamic::Var& value) {
  return "Invalid pk \"" + (value.isString() ? value.toString() : compactJson(value)) +
         "\" - object does not exist.";
}

void requireOnlyKeys(const Poco::JSON::Object& spec, std::initializer_list<const char*> keys) {
  for (const auto& entry : spec) {
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return entry.first == k; }))
      throwBadSpec("unknown key '" + entry.first + "'");
  }
}

std::optional<Poco::Dynamic::Var> given(const Poco::JSON::Object& body, const std::string& name,
                                        FieldErrors& errors, bool required) {
  if (body.has(name)) return body.get(name);
  if (required) errors.add(name, kRequired);
  return std::nullopt;
}

std::string pythonType(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "NoneType";
  if (v.isBoolean()) return "bool";
  if (v.isString()) return "str";
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "list";
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "dict";
  if (v.isInteger()) return "int";
  return "float";
}

std::optional<bool> boolValue(const Poco::Dynamic::Var& v, const std::string& field, FieldErrors& errors) {
  static const std::set<std::string> yes = {"t",    "T",    "y",    "Y",  "yes", "Yes", "YES",
                                            "true", "True", "TRUE", "on", "On",  "ON",  "1"};
  static const std::set<std::string> no = {"f",     "F",     "n",     "N",   "no",  "No",  "NO",
                                           "false", "False", "FALSE", "off", "Off", "OFF", "0"};
  if (v.isEmpty()) {
    errors.add(field, kNotNull);
    return std::nullopt;
  }
  if (v.isBoolean()) return v.extract<bool>();
  if (v.isString() || v.isInteger()) {
    const std::string s = v.toString();
    if (yes.count(s)) return true;
    if (no.count(s)) return false;
  }
  errors.add(field, kNotABoolean);
  return std::nullopt;
}

std::optional<int64_t> pkValue(const Poco::Dynamic::Var& v, const std::string& field, FieldErrors& errors) {
  if (v.isEmpty()) {
    errors.add(field, kNotNull);
    return std::nullopt;
  }
  const bool digits = v.isString() && !v.toString().empty() && v.toString().size() <= 18 &&
                      v.toString().find_first_not_of("0123456789") == std::string::npos;
  if (v.isBoolean() || !(v.isInteger() || digits)) {
    errors.add(field, "Incorrect type. Expected pk value, received " + pythonType(v) + ".");
    return std::nullopt;
  }
  try {
    return digits ? std::stoll(v.toString()) : v.convert<int64_t>();
  } catch (...) {
    errors.add(field, invalidPk(v));  // beyond 64 bits: no such record
    return std::nullopt;
  }
}

Poco::JSON::Object::Ptr jsonBody(const Context& ctx, Request& req) {
  const std::string text = req.bodyText(ctx.maxJsonBytes);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return new Poco::JSON::Object;
  Poco::Dynamic::Var v;
  try {
    v = Poco::JSON::Parser().parse(text);
  } catch (const Poco::Exception& e) {
    throw BadRequest("ufdl", "JSON parse error - " + e.message());
  }
  if (v.type() != typeid(Poco::JSON::Object::Ptr))
    throw BadRequest("ufdl", "JSON parse error - expected a JSON object");
  return v.extract<Poco::JSON::Object::Ptr>();
}

namespace {
std::size_t utf8Chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}
}  // namespace

// A CharField: strings, and numbers as their text (as DRF does), trimmed; `blank` allows "".
std::optional<std::string> charValue(const Poco::Dynamic::Var& v, const std::string& field, bool blank,
                                     std::size_t maxLength, FieldErrors& errors) {
  if (v.isEmpty()) {
    errors.add(field, kNotNull);
    return std::nullopt;
  }
  if (v.isBoolean() || !(v.isString() || v.isNumeric())) {
    errors.add(field, kNotAString);
    return std::nullopt;
  }
  // DRF's CharField trims surrounding whitespace and refuses NUL characters.
  std::string s = v.toString();
  const std::size_t first = s.find_first_not_of(" \t\r\n\f\v");
  s = first == std::string::npos ? "" : s.substr(first, s.find_last_not_of(" \t\r\n\f\v") - first + 1);
  if (s.find('\0') != std::string::npos) {
    errors.add(field, "Null characters are not allowed.");
    return std::nullopt;
  }
  if (!blank && s.empty()) {
    errors.add(field, kBlank);
    return std::nullopt;
  }
  if (maxLength && utf8Chars(s) > maxLength) {
    errors.add(field, "Ensure this field has no more than " + std::to_string(maxLength) + " characters.");
    return std::nullopt;
  }
  return s;
}

// ---- callers

std::optional<Entity> findUserByName(const Context& ctx, const std::string& username) {
  if (username.empty()) return std::nullopt;
  auto key = ctx.entities->find(kUsernames, username);
  if (!key) return std::nullopt;
  return ctx.entities->find(kUsers, pkId(intField(*key->body, "pk")));
}

namespace {

bool inAdminGroup(const Principal& p) {
  return std::find(p.groups.begin(), p.groups.end(), kAdminGroup) != p.groups.end();
}

}  // namespace

Poco::JSON::Object::Ptr newUserRecord(int64_t pk, const std::string& username, bool staff) {
  Poco::JSON::Object::Ptr body = ordered();
  body->set("pk", pk);
  body->set("username", username);
  body->set("password", "");
  body->set("first_name", "");
  body->set("last_name", "");
  body->set("email", "");
  body->set("is_staff", staff);
  body->set("is_superuser", staff);
  body->set("is_active", true);
  body->set("last_login", Poco::Dynamic::Var());
  body->set("date_joined", nowIso());
  return body;
}

// A users-file user's record, made on first use.
Entity ensureUserRecord(const Context& ctx, const Principal& p) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (auto found = findUserByName(ctx, p.name)) return *found;
    const int64_t pk = ctx.entities->nextSequence(kUsers);
    const Poco::JSON::Object::Ptr body = newUserRecord(pk, p.name, inAdminGroup(p));
    try {
      return ctx.entities->apply(
          EntityBatch().create(kUsernames, p.name, keyBody(pk)).create(kUsers, pkId(pk), body))[1];
    } catch (const Conflict&) {
      // made meanwhile by a concurrent request: read it
    }
  }
  throw ServiceUnavailable("the user record of '" + p.name + "' could not be made");
}

std::optional<Entity> findOrMakeUser(const Context& ctx, const std::string& username) {
  if (auto user = findUserByName(ctx, username)) return user;
  if (!ctx.auth || !ctx.auth->hasUser(username)) return std::nullopt;
  Principal p;
  p.name = username;
  return ensureUserRecord(ctx, p);
}

Caller caller(const Context& ctx, const Request& req) {
  Caller who;
  const Principal& p = req.principal();
  if (p.anonymous()) return who;
  const Entity user = ensureUserRecord(ctx, p);
  who.anonymous = false;
  who.pk = intField(*user.body, "pk");
  who.username = p.name;
  who.active = user.body->optValue<bool>("is_active", true);
  who.staff = inAdminGroup(p) || user.body->optValue<bool>("is_staff", false) ||
              user.body->optValue<bool>("is_superuser", false);
  return who;
}

void requireUser(const Caller& who) {
  if (who.anonymous) throw Unauthorized(kNotAuthenticatedDetail);
  if (!who.active) throw Forbidden(kForbiddenDetail);
}

void requireStaff(const Caller& who) {
  requireUser(who);
  if (!who.staff) throw Forbidden(kForbiddenDetail);
}

namespace {
class Directory : public UserDirectory {
 public:
  explicit Directory(std::shared_ptr<EntityStore> entities) : ctx_() { ctx_.entities = std::move(entities); }
  std::optional<DirectoryUser> find(const std::string& name) const override {
    auto user = findUserByName(ctx_, name);
    if (!user) return std::nullopt;
    DirectoryUser out;
    out.name = name;
    out.passwordHash = user->body->optValue<std::string>("password", "");
    out.active = user->body->optValue<bool>("is_active", true);
    return out;
  }

 private:
  Context ctx_;
};
}  // namespace

std::shared_ptr<const UserDirectory> makeUserDirectory(const Context& ctx) {
  return std::make_shared<Directory>(ctx.entities);
}

// ---- teams

std::optional<Level> parseLevel(const std::string& text) {
  if (text == "R") return Level::R;
  if (text == "X") return Level::X;
  if (text == "W") return Level::W;
  if (text == "A") return Level::A;
  return std::nullopt;
}

const char* levelText(Level level) {
  switch (level) {
    case Level::R:
      return "R";
    case Level::X:
      return "X";
    case Level::W:
      return "W";
    case Level::A:
      return "A";
    default:
      return "";
  }
}

Level teamLevel(const Context& ctx, int64_t teamPk, int64_t userPk) {
  if (userPk <= 0) return Level::None;
  auto m = ctx.entities->find(kMemberships, membershipId(teamPk, userPk));
  if (!m || !isActive(*m)) return Level::None;
  auto team = ctx.entities->find(kTeams, pkId(teamPk));
  if (!team || !isActive(*team)) return Level::None;
  return parseLevel(m->body->optValue<std::string>("permissions", "")).value_or(Level::None);
}

void requireTeamLevel(const Context& ctx, const Caller& who, int64_t teamPk, Level needed) {
  if (who.staff && who.active) return;
  requireUser(who);
  if (static_cast<int>(teamLevel(ctx, teamPk, who.pk)) < static_cast<int>(needed))
    throw Forbidden(kForbiddenDetail);
}

std::vector<int64_t> teamsOf(const Context& ctx, int64_t userPk) {
  EntityQuery q;
  q.filters.push_back({"user", EntityFilter::Op::Eq, userPk});
  q.filters.push_back(activeOnly());
  std::vector<int64_t> out;
  for (const auto& m : listAll(ctx, kMemberships, q)) {
    const int64_t team = intField(*m.body, "team");
    auto t = ctx.entities->find(kTeams, pkId(team));
    if (t && isActive(*t)) out.push_back(team);
  }
  return out;
}

int64_t projectTeam(const Context& ctx, int64_t projectPk) {
  return intField(*getRecord(ctx, kProjects, projectPk).body, "team");
}

// ---- records

Entity getRecord(const Context& ctx, const std::string& collection, int64_t pk) {
  auto e = ctx.entities->find(collection, pkId(pk));
  if (!e) throw NotFound(kNotFoundDetail);
  return *e;
}

Entity getRecord(const Context& ctx, const std::string& collection, const std::string& segment) {
  return getRecord(ctx, collection, parsePk(segment));
}

std::vector<Entity> listAll(const Context& ctx, const std::string& collection, EntityQuery query) {
  std::vector<Entity> out;
  query.offset = 0;
  query.limit = 1000;
  for (;;) {
    EntityPage page = ctx.entities->list(collection, query);
    const std::size_t n = page.items.size();
    for (auto& e : page.items) out.push_back(std::move(e));
    if (n < query.limit) break;
    query.offset += n;
  }
  return out;
}

int64_t intField(const Poco::JSON::Object& body, const std::string& name) {
  if (!body.has(name) || body.isNull(name)) return 0;
  try {
    return body.get(name).convert<int64_t>();
  } catch (const Poco::Exception&) {
    return 0;
  }
}

bool isActive(const Poco::JSON::Object& record) {
  return !record.has("deletion_time") || record.isNull("deletion_time");
}
bool isActive(const Entity& record) { return isActive(*record.body); }

Poco::JSON::Object::Ptr copyOf(const Poco::JSON::Object& body) { return new Poco::JSON::Object(body); }

Poco::Dynamic::Var field(const Poco::JSON::Object& body, const std::string& name) {
  return body.has(name) ? body.get(name) : Poco::Dynamic::Var();
}

EntityFilter activeOnly() { return {"deletion_time", EntityFilter::Op::IsNull, {}}; }

void setCreated(Poco::JSON::Object& record, int64_t creator) {
  record.set("creator", creator);
  record.set("creation_time", nowIso());
  record.set("deletion_time", Poco::Dynamic::Var());
}

void copyCreated(Poco::JSON::Object& out, const Poco::JSON::Object& record) {
  out.set("creator", field(record, "creator"));
  out.set("creation_time", field(record, "creation_time"));
  out.set("deletion_time", field(record, "deletion_time"));
}

bool anyWith(const Context& ctx, const std::string& collection, const std::string& field, int64_t value) {
  EntityQuery q;
  q.filters.push_back({field, EntityFilter::Op::Eq, value});
  q.limit = 1;
  return !ctx.entities->list(collection, q).items.empty();
}

// ---- key entities

Poco::JSON::Object::Ptr keyBody(int64_t pk) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("pk", pk);
  return o;
}

void removeKeyOf(const Context& ctx, EntityBatch& batch, const std::string& keyCollection,
                 const std::string& keyId, int64_t pk) {
  auto key = ctx.entities->find(keyCollection, keyId);
  if (key && intField(*key->body, "pk") == pk) batch.remove(keyCollection, keyId, key->etag);
}

// ---- batches and retries

int batchOperationIndex(const Error& e) {
  static const std::string prefix = "batch operation ";
  const std::string what = e.what();
  if (what.compare(0, prefix.size(), prefix) != 0) return -1;
  std::size_t i = prefix.size();
  int n = 0;
  bool digits = false;
  while (i < what.size() && what[i] >= '0' && what[i] <= '9' && n < 100000000) {
    n = n * 10 + (what[i++] - '0');
    digits = true;
  }
  return digits ? n : -1;
}

std::string tooBusy(const std::string& thing, const std::string& action) {
  return "the " + thing + " is changing too often to " + action + " now; try again";
}

// ---- datasets and files

std::vector<FileRef> listFiles(const Context& ctx, int64_t datasetPk) {
  EntityQuery q;
  q.idPrefix = filesPrefix(datasetPk);
  std::vector<FileRef> out;
  for (const auto& e : listAll(ctx, kFiles, q)) {
    out.push_back({e.body->optValue<std::string>("filename", ""), e.body->optValue<std::string>("handle", ""),
                   e.body->optValue<std::string>("metadata", "")});
  }
  return out;
}

Poco::JSON::Object::Ptr fileRecord(int64_t datasetPk, const FileRef& file) {
  Poco::JSON::Object::Ptr o = ordered();
  o->set("dataset", datasetPk);
  o->set("filename", file.filename);
  o->set("handle", file.handle);
  o->set("metadata", file.metadata);
  return o;
}

Poco::JSON::Object::Ptr datasetJson(const Context& ctx, const Entity& dataset) {
  return datasetJson(dataset, listFiles(ctx, intField(*dataset.body, "pk")));
}

Poco::JSON::Object::Ptr datasetJson(const Entity& dataset, const std::vector<FileRef>& files) {
  const Poco::JSON::Object& b = *dataset.body;
  Poco::JSON::Object::Ptr o = ordered();
  const int64_t pk = intField(b, "pk");
  o->set("pk", pk);
  o->set("name", b.get("name"));
  o->set("version", intField(b, "dataset_version"));
  o->set("previous_version", b.has("previous_version") ? b.get("previous_version") : Poco::Dynamic::Var(-1));
  o->set("description", b.optValue<std::string>("description", ""));
  o->set("project", b.get("project"));
  o->set("licence", b.get("licence"));
  o->set("is_public", b.optValue<bool>("is_public", false));
  o->set("domain", field(b, "domain"));
  o->set("tags", b.optValue<std::string>("tags", ""));
  copyCreated(*o, b);
  Poco::JSON::Object::Ptr map = ordered();
  for (const auto& f : files) map->set(f.filename, f.handle);
  o->set("files", map);
  return o;
}

int64_t datasetTeam(const Context& ctx, const Poco::JSON::Object& dataset) {
  auto project = ctx.entities->find(kProjects, pkId(intField(dataset, "project")));
  return project ? intField(*project->body, "team") : 0;
}

void requireDatasetLevel(const Context& ctx, const Caller& who, const Poco::JSON::Object& dataset,
                         Level needed) {
  requireTeamLevel(ctx, who, datasetTeam(ctx, dataset), needed);
}

std::vector<Entity> changeDataset(
    const Context& ctx, int64_t datasetPk,
    const std::function<Poco::JSON::Object::Ptr(const Entity& dataset, EntityBatch& batch)>& build) {
  return retryOnConflict(tooBusy("dataset"), 32, [&]() -> std::optional<std::vector<Entity>> {
    const Entity dataset = getRecord(ctx, kDatasets, datasetPk);
    EntityBatch batch;
    batch.operations.emplace_back();  // the dataset's update, filled in below
    Poco::JSON::Object::Ptr body = build(dataset, batch);
    EntityOperation& update = batch.operations.front();
    update.kind = EntityOperation::Kind::Update;
    update.collection = kDatasets;
    update.id = dataset.id;
    update.body = body ? body : dataset.body;
    update.ifMatch = dataset.etag;
    try {
      return ctx.entities->apply(batch);
    } catch (const PreconditionFailed& e) {
      // Only the dataset's own precondition means "changed meanwhile": retry.
      if (batchOperationIndex(e) != 0) throw;
      return std::nullopt;
    }
  });
}

void releaseBlobs(const Context& ctx, const std::vector<std::string>& handles) {
  for (const auto& h : handles) {
    try {
      ctx.blobs->release(h);
    } catch (const std::exception& e) {
      if (ctx.logger) ctx.logger->warning("ufdl: could not release blob " + h + ": " + e.what());
    }
  }
}

}  // namespace strata::ufdl
