// What every part of the ufdl plugin shares, each thing once: where UFDL's records live in the
// entities role, route tables, the error format and texts of UFDL (Django REST Framework's) and
// DRF's field decoding, who the caller is and what a team membership lets them do, record
// helpers (activity, copies, key entities of unique names), batch errors and the retry of a
// write that lost to a concurrent change, dataset records and their files. The routes are in auth.cpp,
// users.cpp, teams.cpp, projects.cpp, licences.cpp (accounts), datasets.cpp,
// dataset_versions.cpp (copy, merge, deletes), files.cpp and archives.cpp; filter_spec.cpp
// turns a `list` body into entity-store conditions; ufdl_plugin.cpp registers everything. See
// docs/ufdl.md.
#pragma once
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <strata/auth.h>
#include <strata/errors.h>
#include <strata/error_renderer.h>
#include <strata/http.h>
#include <strata/principal.h>
#include <strata/route_registry.h>
#include <strata/stores/blob_store.h>
#include <strata/stores/entity_store.h>
#include <strata/user_directory.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace Poco {
class Logger;
}

namespace strata::ufdl {

// ---- where things live (entities role). Record ids are pkId(pk); every record's body holds
// its own "pk" (an integer) too, so that filters and orders on `pk` work like on any field.
// Foreign keys are integers in the body (a dataset's "project": 3). Times are ISO 8601 strings
// in UTC (nowIso()), so that they compare and sort as text. Soft-deletable records hold
// "deletion_time" (null when active).
inline constexpr const char* kUsers = "ufdl.user";  // {pk, username, password (hashPassword), first_name,
                                                    //  last_name, email, is_staff, is_superuser,
                                                    //  is_active, last_login, date_joined}
inline constexpr const char* kUsernames = "ufdl.username";  // id: the username; {pk}: unique names
inline constexpr const char* kTeams = "ufdl.team";  // {pk, name, creator, creation_time, deletion_time}
inline constexpr const char* kTeamNames = "ufdl.team-name";  // id: name of an active team; {pk}
// id: pkId(team) + "/" + pkId(user) (one per pair, revived on re-adding);
// {user, team, permissions: "R"|"X"|"W"|"A", creator, creation_time, deletion_time}
inline constexpr const char* kMemberships = "ufdl.membership";
inline constexpr const char* kProjects =
    "ufdl.project";  // {pk, name, team, creator, creation_time, deletion_time}
inline constexpr const char* kProjectNames =
    "ufdl.project-name";  // id: uniqueKey({team, name}) of active ones
inline constexpr const char* kLicences =
    "ufdl.licence";  // {pk, name, url, permissions, conditions, limitations, domains}
// {pk, name, dataset_version, previous_version, description, project, licence, is_public, domain,
//  tags, creator, creation_time, deletion_time}. `dataset_version` because the entity's own
// `version` shadows a body field of that name (see filter_spec.h for the API's field names).
inline constexpr const char* kDatasets = "ufdl.dataset";
inline constexpr const char* kDatasetKeys =
    "ufdl.dataset-key";  // id: uniqueKey({name, version, project}) of active ones
// One file of a dataset: id fileId(dataset, filename); {dataset, filename, handle, metadata}.
// A dataset's files are the id range pkId(dataset) + "/".
inline constexpr const char* kFiles = "ufdl.file";

std::string pkId(int64_t pk);  // 20 digits, zero-padded: id order is numeric order
// The pk of a path segment: digits only (UFDL's `[0-9]+`), else NotFound.
int64_t parsePk(const std::string& segment);
std::string fileId(int64_t datasetPk, const std::string& filename);
std::string filesPrefix(int64_t datasetPk);
// The id range of records kept under a parent (a team's memberships, a dataset's files):
// pkId(parent) + "/".
std::string childPrefix(int64_t parentPk);
std::string membershipId(int64_t teamPk, int64_t userPk);
// The id of a uniqueness key entity: the parts joined by '\0'.
std::string uniqueKey(std::initializer_list<std::string> parts);
// Now, as DRF writes it in UTC: "2021-05-03T11:22:33.123456+00:00".
std::string nowIso();

// ---- what the route files share, made by ufdl_plugin.cpp at configure time
struct Context {
  std::shared_ptr<EntityStore> entities;
  std::shared_ptr<BlobStore> blobs;
  const Authenticator* auth = nullptr;
  Poco::Logger* logger = nullptr;
  uint64_t maxJsonBytes = 1u << 20;         // maxJsonBytes: the largest JSON body
  uint64_t maxFileBytes = 1ull << 30;       // maxFileBytes: the largest file upload
  uint64_t maxArchiveBytes = 4ull << 30;    // maxArchiveBytes: the largest files-multi zip (spooled)
  uint64_t maxExpandedBytes = 16ull << 30;  // maxExpandedBytes: the most a files-multi zip may expand to
  int64_t accessTokenSeconds = 300;         // accessTokenLifetime
  int64_t refreshTokenSeconds = 8 * 3600;   // refreshTokenLifetime
  int passwordIterations = 200000;          // passwordIterations (hashPassword rounds)
  std::string spoolDirectory;               // spoolDirectory (default: the system's temp directory)
};

// Route options. Every route authenticates Bearer/Basic as the core does; these only say who
// gets past the router: anyone (Access::Public: the handler decides, as the auth routes and
// lists do), readers (Access::Read: anonymous when auth.anonymous is on), users
// (Access::User: 401 for anonymous callers before any body is read). Bodies up to
// maxJsonBytes unless `maxBody` is given.
RouteOptions publicOptions(const Context& ctx, uint64_t maxBody = 0);
RouteOptions readOptions(const Context& ctx, uint64_t maxBody = 0);
RouteOptions userOptions(const Context& ctx, uint64_t maxBody = 0);
// A route handled by `handler` with the context (every route file registers its routes so).
using Handler = void (*)(Context& ctx, Request& req, Response& res);
void addRoute(RouteRegistry& routes, Context& ctx, const std::string& method, const std::string& pattern,
              Handler handler, const RouteOptions& options);
// A route table: each route with the same options.
struct RouteSpec {
  const char* method;
  std::string pattern;
  Handler handler;
};
void addRoutes(RouteRegistry& routes, Context& ctx, const RouteOptions& options,
               std::initializer_list<RouteSpec> table);

// The route files' entry points, called by ufdl_plugin.cpp.
void addAuthRoutes(RouteRegistry& routes, Context& ctx);     // auth.cpp
void addUserRoutes(RouteRegistry& routes, Context& ctx);     // users.cpp
void addTeamRoutes(RouteRegistry& routes, Context& ctx);     // teams.cpp
void addProjectRoutes(RouteRegistry& routes, Context& ctx);  // projects.cpp
void addLicenceRoutes(RouteRegistry& routes, Context& ctx);  // licences.cpp
void addDatasetRoutes(RouteRegistry& routes, Context& ctx);  // datasets.cpp, dataset_versions.cpp
void addFileRoutes(RouteRegistry& routes, Context& ctx);     // files.cpp, archives.cpp
// Start-up work: indexes, the seeded licences (licences.cpp).
void declareIndexes(Context& ctx);
void seedLicences(Context& ctx);

// A new JSON object that keeps its keys in insertion order (UFDL's field order).
inline Poco::JSON::Object::Ptr ordered() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

// ---- errors: {"detail": "..."} with the status of the strata error; field errors
// {"<field>": ["<msg>", ...]}; token errors add "code": "token_not_valid".
std::shared_ptr<const ErrorRenderer> ufdlErrors();
inline constexpr const char* kNotFoundDetail = "Not found.";
inline constexpr const char* kForbiddenDetail = "You do not have permission to perform this action.";
inline constexpr const char* kNotAuthenticatedDetail = "Authentication credentials were not provided.";
// BadRequest "Bad name '<name>': <reason>".
[[noreturn]] void throwBadName(const std::string& name, const std::string& reason);
// 400 with DRF's serializer shape: errors maps field names to lists of messages.
[[noreturn]] void throwFieldErrors(const Poco::JSON::Object::Ptr& errors);
// 422 "Unknown parameters: k=v, ..." (DRF's text; values as compact JSON).
[[noreturn]] void throwUnknownParameters(const Poco::JSON::Object& unknown);

// Collects DRF-style field errors: add() a message per field, then throwIfAny().
class FieldErrors {
 public:
  void add(const std::string& field, const std::string& message);
  bool empty() const;
  void throwIfAny() const;  // throwFieldErrors if any were added

 private:
  Poco::JSON::Object::Ptr errors_ = new Poco::JSON::Object;
};
// DRF's texts.
inline constexpr const char* kRequired = "This field is required.";
inline constexpr const char* kNotAString = "Not a valid string.";
inline constexpr const char* kNotAnInteger = "A valid integer is required.";
inline constexpr const char* kNotABoolean = "Must be a valid boolean.";
inline constexpr const char* kBlank = "This field may not be blank.";
inline constexpr const char* kNotNull = "This field may not be null.";
// Python's name of a JSON value's type, as DRF's messages print it ("str", "dict", ...).
std::string pythonType(const Poco::Dynamic::Var& v);
// The value of a body field if it is there; nullopt when absent (with kRequired if `required`).
std::optional<Poco::Dynamic::Var> given(const Poco::JSON::Object& body, const std::string& name,
                                        FieldErrors& errors, bool required);
// DRF's fields on a value that is there (null: kNotNull), adding an error and returning
// nullopt when it is invalid. BooleanField: true/false, 0/1 and DRF's words ("yes", "on", ...).
std::optional<bool> boolValue(const Poco::Dynamic::Var& v, const std::string& field, FieldErrors& errors);
// PrimaryKeyRelatedField, the type half: an integer or a string of digits ("Incorrect type.
// Expected pk value, received <type>."). Existence is the caller's (invalidPk).
std::optional<int64_t> pkValue(const Poco::Dynamic::Var& v, const std::string& field, FieldErrors& errors);
// 400 with one field error: {"<field>": ["<message>"]} (a taken name, a non-unique set).
[[noreturn]] void throwFieldError(const std::string& field, const std::string& message);
// 400 "Unable to parse JSON: <reason>" (ufdl-json-messages' strict specs).
[[noreturn]] void throwBadSpec(const std::string& reason);
// A value as compact JSON (`{"a":1}`, `[1,2]`, `"x"`), as DRF's messages quote it.
std::string compactJson(const Poco::Dynamic::Var& v);
// throwBadSpec("unknown key '<k>'") for a key of `spec` not in `keys` (a strict spec).
void requireOnlyKeys(const Poco::JSON::Object& spec, std::initializer_list<const char*> keys);
// `Invalid pk "<v>" - object does not exist.`
std::string invalidPk(const Poco::Dynamic::Var& value);

// DRF's CharField: a string, or a number as its text (not a boolean, null, array or object),
// trimmed of surrounding white space; NUL characters refused; "" only if `blank`; at most
// `maxLength` characters (0: no limit). nullopt with a field error added otherwise.
std::optional<std::string> charValue(const Poco::Dynamic::Var& v, const std::string& field, bool blank,
                                     std::size_t maxLength, FieldErrors& errors);

// The request body as a JSON object, bounded by maxJsonBytes. Malformed JSON or a non-object:
// 400 {"detail": "JSON parse error - <reason>"} (DRF's parser text). An empty body is {}.
Poco::JSON::Object::Ptr jsonBody(const Context& ctx, Request& req);

// PUT (every writable field required) or PATCH (any subset).
inline bool isPut(const Request& req) { return req.method() == "PUT"; }

// ---- who is calling
struct Caller {
  bool anonymous = true;
  int64_t pk = 0;  // the UFDL user record's pk (0 if anonymous)
  std::string username;
  bool staff = false;  // is_staff or is_superuser in the record, or the users file's admin group
  bool active = false;
};
// Resolves the request's principal to its UFDL user record. A users-file user gets a record on
// first use (is_staff and is_superuser if in the admin group, no password of its own).
Caller caller(const Context& ctx, const Request& req);
// 401 (kNotAuthenticatedDetail) for anonymous callers; 403 for inactive ones.
void requireUser(const Caller& who);
// requireUser, then 403 unless staff.
void requireStaff(const Caller& who);

// The user directory over kUsers/kUsernames (point lookups), registered with the core so that
// Basic and Bearer work for UFDL's users; is_active as `active`, no groups.
std::shared_ptr<const UserDirectory> makeUserDirectory(const Context& ctx);
// The user record of `username`, if any.
std::optional<Entity> findUserByName(const Context& ctx, const std::string& username);
// A new user record in kUsers' field order: no password, names and email blank, active, joined
// now, is_staff and is_superuser as `staff`.
Poco::JSON::Object::Ptr newUserRecord(int64_t pk, const std::string& username, bool staff);
// The record of a principal, made on first use for a users-file user (staff if in the admin
// group). For routes that name a users-file user who has not called yet (memberships).
Entity ensureUserRecord(const Context& ctx, const Principal& p);

// The user record of `username`; a users-file user who has not called yet gets theirs now
// (ensureUserRecord). nullopt if there is no such user.
std::optional<Entity> findOrMakeUser(const Context& ctx, const std::string& username);

// ---- teams and permissions: R < X < W < A
enum class Level { None = 0, R = 1, X = 2, W = 3, A = 4 };
std::optional<Level> parseLevel(const std::string& text);  // "R" "X" "W" "A"
const char* levelText(Level level);
// The caller's level in the team: their active membership of an active team, else None.
Level teamLevel(const Context& ctx, int64_t teamPk, int64_t userPk);
// Staff pass; otherwise requireUser and 403 unless teamLevel >= needed.
void requireTeamLevel(const Context& ctx, const Caller& who, int64_t teamPk, Level needed);
// The teams in which the user has an active membership (of any level).
std::vector<int64_t> teamsOf(const Context& ctx, int64_t userPk);
// The team of a project record (NotFound if the project is missing).
int64_t projectTeam(const Context& ctx, int64_t projectPk);

// ---- records
// The record of `collection` with this pk (from a path segment: parsePk); NotFound "Not found.".
Entity getRecord(const Context& ctx, const std::string& collection, int64_t pk);
Entity getRecord(const Context& ctx, const std::string& collection, const std::string& segment);
// Every record a query selects, read page by page.
std::vector<Entity> listAll(const Context& ctx, const std::string& collection, EntityQuery query);
// Integer field of a body (0 if missing or null).
int64_t intField(const Poco::JSON::Object& body, const std::string& name);
// Whether a soft-deletable record is active: its deletion_time is null or missing.
bool isActive(const Poco::JSON::Object& record);
bool isActive(const Entity& record);
// A copy of a record body to change (a stored body is never changed in place).
Poco::JSON::Object::Ptr copyOf(const Poco::JSON::Object& body);
// A record's field, or null if it has none.
Poco::Dynamic::Var field(const Poco::JSON::Object& body, const std::string& name);
// The filter "active records only" (deletion_time null).
EntityFilter activeOnly();
// A new record's creator (a user pk), creation_time (now) and deletion_time (null).
void setCreated(Poco::JSON::Object& record, int64_t creator);
// creator, creation_time and deletion_time of a record into its JSON (null when missing).
void copyCreated(Poco::JSON::Object& out, const Poco::JSON::Object& record);
// Whether any record of `collection` has `field` equal to `value` (a record still in use).
bool anyWith(const Context& ctx, const std::string& collection, const std::string& field, int64_t value);

// ---- key entities: a record's unique name (or name set) is the id of a key entity {"pk": <pk>}
// written in the same batch as the record, so that creating a taken one fails with Conflict.
Poco::JSON::Object::Ptr keyBody(int64_t pk);
// Appends the removal of the key entity `keyId` to `batch` if it exists and is the record
// `pk`'s (an inactive record, or one whose key another record took since, has none).
void removeKeyOf(const Context& ctx, EntityBatch& batch, const std::string& keyCollection,
                 const std::string& keyId, int64_t pk);

// ---- batches and retries
// The index of the batch operation an error of EntityStore::apply names ("batch operation <n>
// (...)", as the core labels them), or -1.
int batchOperationIndex(const Error& e);
// The 503 text when a record keeps changing under a write: "the <thing> is changing too often
// to <action> now; try again".
std::string tooBusy(const std::string& thing, const std::string& action = "change it");
// Runs `attempt` until it returns a value, at most `attempts` times: an attempt returns
// std::nullopt when what it read changed meanwhile (a lost conditional write), to read again.
// After the last, 503 ServiceUnavailable with `busy` (tooBusy). Exceptions propagate.
template <class F>
auto retryOnConflict(const std::string& busy, int attempts, F&& attempt) ->
    typename std::invoke_result_t<F&>::value_type {
  for (int i = 0; i < attempts; ++i) {
    if (auto done = attempt()) return std::move(*done);
  }
  throw ServiceUnavailable("ufdl", busy);
}
// How often the accounts routes read a record again before giving up.
inline constexpr int kChangeAttempts = 8;

// ---- datasets and their files
struct FileRef {
  std::string filename;
  std::string handle;  // the blob's SHA-256
  std::string metadata;
};
// The dataset's files in name order.
std::vector<FileRef> listFiles(const Context& ctx, int64_t datasetPk);
Poco::JSON::Object::Ptr fileRecord(int64_t datasetPk, const FileRef& file);
// The dataset as UFDL shows it (§1.2's field order, `version` from dataset_version, `files`
// {filename: handle}).
Poco::JSON::Object::Ptr datasetJson(const Context& ctx, const Entity& dataset);
// The same with `files` from a snapshot rather than read again.
Poco::JSON::Object::Ptr datasetJson(const Entity& dataset, const std::vector<FileRef>& files);
// The owning team of a dataset record (through its project), or 0 if its project is gone (then
// only staff pass the checks).
int64_t datasetTeam(const Context& ctx, const Poco::JSON::Object& dataset);
// Staff, or an active member of the owning team with at least `needed` (else 401 for anonymous
// callers, 403 for the others).
void requireDatasetLevel(const Context& ctx, const Caller& who, const Poco::JSON::Object& dataset,
                         Level needed);
// Applies `build`'s operations together with an update of the dataset conditional on the etag
// that was read, so that every change of a dataset's files is serialised: when a concurrent
// change wins, the dataset is read again and `build` runs again (up to 32 times, then 503).
// `build` gets the dataset as read, appends its operations to the batch, and returns the
// dataset's new body (or null to keep it; the update still happens, giving a new etag). The
// dataset's update is the batch's first operation: result[0] is the dataset as written.
// Exceptions from `build` (and other batch failures) propagate.
std::vector<Entity> changeDataset(
    const Context& ctx, int64_t datasetPk,
    const std::function<Poco::JSON::Object::Ptr(const Entity& dataset, EntityBatch& batch)>& build);
// Releases blob references taken for a change that did not happen (or the references of files
// that went); logs and swallows failures (a leak, never a lost file).
void releaseBlobs(const Context& ctx, const std::vector<std::string>& handles);

}  // namespace strata::ufdl
