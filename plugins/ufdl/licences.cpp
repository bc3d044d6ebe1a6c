// Licences (§1.7), also spelled licenses: POST /v1/licences/list|create, GET|PUT|PATCH|DELETE
// /v1/licences/{pk}, PATCH /v1/licences/{pk}/subdescriptors; the 14 licences UFDL seeds. A
// licence is a kLicences record {pk, name, url, permissions, conditions, limitations, domains}
// whose four lists hold descriptor names from fixed catalogues (below); its name is unique
// through a key entity of kLicenceNames written in the same batch.
#include <Poco/JSON/Array.h>
#include <Poco/URI.h>
#include <strata/errors.h>

#include <algorithm>

#include "accounts.h"
#include "filter_spec.h"
#include "ufdl_common.h"

namespace strata::ufdl {

using namespace accounts;

namespace {

// id: a licence's name; {pk}. Private to this file.
constexpr const char* kLicenceNames = "ufdl.licence-name";
constexpr std::size_t kNameLength = 100;
constexpr std::size_t kUrlLength = 200;
constexpr const char* kNameTaken = "licence with this name already exists.";

// The descriptor catalogues (choosealicense.com's terms; UFDL's data domains by code). A
// descriptor is named by its name or by its 1-based position (its pk).
const std::vector<std::string>& catalogue(const std::string& type) {
  static const std::vector<std::string> permissions{"Commercial use", "Modification", "Distribution",
                                                    "Patent use", "Private use"};
  static const std::vector<std::string> conditions{
      "License and copyright notice", "State changes", "Disclose source",
      "Network use is distribution",  "Same license",  "Same license (file)",
      "Same license (library)"};
  static const std::vector<std::string> limitations{"Liability", "Warranty", "Trademark use", "Patent use"};
  static const std::vector<std::string> domains{"ic", "od", "sp", "is", "sc"};
  static const std::vector<std::string> none;
  if (type == "permissions") return permissions;
  if (type == "conditions") return conditions;
  if (type == "limitations") return limitations;
  if (type == "domains") return domains;
  return none;
}

struct Seed {
  const char* name;
  const char* url;
  std::vector<std::string> permissions, conditions, limitations;
};

// UFDL's migration 0003, in its order (pks 1..14).
const std::vector<Seed>& seeds() {
  const std::string c = "Commercial use", m = "Modification", d = "Distribution", pu = "Patent use",
                    pr = "Private use";
  const std::string notice = "License and copyright notice", changes = "State changes",
                    source = "Disclose source", network = "Network use is distribution",
                    same = "Same license", sameFile = "Same license (file)",
                    sameLib = "Same license (library)";
  const std::string li = "Liability", wa = "Warranty", tm = "Trademark use", pt = "Patent use";
  static const std::vector<Seed> all{
      {"AGPL3",
       "https://www.gnu.org/licenses/agpl-3.0.html",
       {c, m, d, pu, pr},
       {notice, changes, source, network, same},
       {li, wa}},
      {"Apache 2.0",
       "https://www.apache.org/licenses/LICENSE-2.0",
       {c, m, d, pu, pr},
       {notice, changes},
       {li, wa, tm}},
      {"BSD 2-clause", "https://opensource.org/licenses/BSD-2-Clause", {c, m, d, pr}, {notice}, {li, wa}},
      {"BSD 3-clause", "https://opensource.org/licenses/BSD-3-Clause", {c, m, d, pr}, {notice}, {li, wa}},
      {"CC0", "https://creativecommons.org/publicdomain/zero/1.0/", {c, m, d, pr}, {}, {li, wa, tm, pt}},
      {"CC-BY-4.0",
       "https://creativecommons.org/licenses/by/4.0/",
       {c, m, d, pr},
       {notice, changes},
       {li, wa, tm, pt}},
      {"CC-BY-SA-4.0",
       "https://creativecommons.org/licenses/by-sa/4.0/",
       {c, m, d, pr},
       {notice, changes, same},
       {li, wa, tm, pt}},
      {"GPL2",
       "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
       {c, m, d, pr},
       {notice, changes, source, same},
       {li, wa}},
      {"GPL3",
       "https://www.gnu.org/licenses/gpl-3.0.html",
       {c, m, d, pu, pr},
       {notice, changes, source, same},
       {li, wa}},
      {"LGPL3",
       "https://www.gnu.org/licenses/lgpl-3.0.html",
       {c, m, d, pu, pr},
       {notice, changes, source, sameLib},
       {li, wa}},
      {"MIT", "https://opensource.org/licenses/MIT", {c, m, d, pr}, {notice}, {li, wa}},
      {"Mozilla Public License 2.0",
       "https://www.mozilla.org/en-US/MPL/2.0/",
       {c, m, d, pu, pr},
       {notice, source, sameFile},
       {li, wa, tm}},
      {"The Unlicense", "https://unlicense.org/", {c, m, d, pr}, {}, {li, wa}},
      {"Proprietary", "https://en.wikipedia.org/wiki/Proprietary_software", {}, {}, {li, wa}},
  };
  return all;
}

Poco::JSON::Array::Ptr array(const std::vector<std::string>& items) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& s : items) a->add(s);
  return a;
}

std::vector<std::string> strings(const Poco::JSON::Object& body, const std::string& name) {
  std::vector<std::string> out;
  if (auto a = body.getArray(name))
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(i));
  return out;
}

Poco::JSON::Object::Ptr licenceJson(const Entity& e) {
  const Poco::JSON::Object& b = *e.body;
  Poco::JSON::Object::Ptr o = ordered();
  o->set("pk", intField(b, "pk"));
  o->set("name", field(b, "name"));
  o->set("url", field(b, "url"));
  for (const char* list : {"permissions", "conditions", "limitations", "domains"})
    o->set(list, array(strings(b, list)));
  return o;
}

[[noreturn]] void nameTaken() { throwFieldError("name", kNameTaken); }

const KeyedKind kLicence{kLicences, kLicenceNames, "licence", nameTaken};

// Django's URLValidator, simplified: http(s)/ftp(s) with a host.
bool validUrl(const std::string& text) {
  try {
    Poco::URI uri(text);
    const std::string scheme = uri.getScheme();
    return (scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "ftps") &&
           !uri.getHost().empty() && text.find_first_of(" \t\r\n") == std::string::npos;
  } catch (const Poco::Exception&) {
    return false;
  }
}

void decodeLicence(const Poco::JSON::Object& in, Poco::JSON::Object& body, bool requireAll,
                   FieldErrors& errors) {
  if (auto name = charField(in, "name", errors, requireAll, kNameLength)) body.set("name", *name);
  if (auto url = charField(in, "url", errors, requireAll, kUrlLength)) {
    if (validUrl(*url))
      body.set("url", *url);
    else
      errors.add("url", "Enter a valid URL.");
  }
}

// ---- routes

void listLicences(Context& ctx, Request& req, Response& res) {
  requireUser(caller(ctx, req));
  sendList(ctx, req, res, kLicences, licenceSchema(), licenceJson);
}

void createLicence(Context& ctx, Request& req, Response& res) {
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  Poco::JSON::Object::Ptr body = ordered();
  body->set("pk", 0);
  FieldErrors errors;
  decodeLicence(*in, *body, true, errors);
  errors.throwIfAny();
  for (const char* list : {"permissions", "conditions", "limitations", "domains"})
    body->set(list, Poco::JSON::Array::Ptr(new Poco::JSON::Array));
  const std::string name = body->getValue<std::string>("name");
  if (ctx.entities->find(kLicenceNames, name)) nameTaken();
  // The sequence skips pks taken (by the seeds, should a start-up have stopped before it
  // moved the sequence past them).
  const Entity written =
      retryOnConflict("no free licence pk found; try again", 64, [&]() -> std::optional<Entity> {
        const int64_t pk = ctx.entities->nextSequence(kLicences);
        body->set("pk", pk);
        try {
          return createWithKey(ctx, kLicence, pk, body, name);
        } catch (const Conflict& e) {
          if (batchOperationIndex(e) != 1) throw;
          return std::nullopt;  // the pk is taken: the next one
        }
      });
  res.sendJson(licenceJson(written), 201);
}

void getLicence(Context& ctx, Request& req, Response& res) {
  const Entity licence = getRecord(ctx, kLicences, req.param("pk"));
  requireUser(caller(ctx, req));
  res.sendJson(licenceJson(licence), 200);
}

// Writes a changed licence body, moving its name key if the name changed; retries on a
// concurrent change. `change` edits a copy of the body (adding field errors, or throwing).
void changeLicence(Context& ctx, Response& res, int64_t pk,
                   const std::function<void(Poco::JSON::Object& body)>& change) {
  const Entity written = retryOnConflict(tooBusy("licence"), kChangeAttempts, [&]() -> std::optional<Entity> {
    const Entity licence = getRecord(ctx, kLicences, pk);
    Poco::JSON::Object::Ptr body = copyOf(*licence.body);
    change(*body);
    return writeWithKey(ctx, kLicence, licence, body, licence.body->optValue<std::string>("name", ""),
                        body->optValue<std::string>("name", ""));
  });
  res.sendJson(licenceJson(written), 200);
}

void updateLicence(Context& ctx, Request& req, Response& res) {
  const int64_t pk = parsePk(req.param("pk"));
  getRecord(ctx, kLicences, pk);
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  const bool put = isPut(req);
  changeLicence(ctx, res, pk, [&](Poco::JSON::Object& body) {
    FieldErrors errors;
    decodeLicence(*in, body, put, errors);
    errors.throwIfAny();
  });
}

void deleteLicence(Context& ctx, Request& req, Response& res) {
  const Entity licence = getRecord(ctx, kLicences, req.param("pk"));
  requireStaff(caller(ctx, req));
  const int64_t pk = intField(*licence.body, "pk");
  if (anyWith(ctx, kDatasets, "licence", pk))
    throw BadRequest("ufdl", "Cannot delete licence " + std::to_string(pk) + ": datasets use it");
  EntityBatch batch;
  batch.remove(kLicences, licence.id);
  removeKeyOf(ctx, batch, kLicenceNames, licence.body->optValue<std::string>("name", ""), pk);
  try {
    ctx.entities->apply(batch);
  } catch (const NotFound&) {
    // removed meanwhile
  }
  res.sendEmpty(204);
}

void changeSubdescriptors(Context& ctx, Request& req, Response& res) {
  const int64_t pk = parsePk(req.param("pk"));
  getRecord(ctx, kLicences, pk);
  requireStaff(caller(ctx, req));
  const auto in = jsonBody(ctx, req);
  requireOnlyKeys(*in, {"type", "method", "names"});
  const std::string type =
      in->has("type") && in->get("type").isString() ? in->getValue<std::string>("type") : "";
  if (catalogue(type).empty())
    throwBadSpec("'type' must be one of \"permissions\", \"conditions\", \"limitations\", \"domains\"");
  const std::string method =
      in->has("method") && in->get("method").isString() ? in->getValue<std::string>("method") : "";
  if (method != "add" && method != "remove") throwBadSpec("'method' must be one of \"add\", \"remove\"");
  auto names = in->getArray("names");
  if (!names) throwBadSpec("'names' must be an array of strings and integers");
  const auto& known = catalogue(type);
  std::vector<std::size_t> picked;  // catalogue positions
  for (std::size_t i = 0; i < names->size(); ++i) {
    const Poco::Dynamic::Var v = names->get(i);
    std::size_t pos = known.size();
    if (v.isString()) {
      pos = std::find(known.begin(), known.end(), v.toString()) - known.begin();
      if (pos == known.size()) throwBadName(v.toString(), "No such " + type.substr(0, type.size() - 1));
    } else if (v.isInteger() && !v.isBoolean()) {
      const int64_t n = v.convert<int64_t>();
      if (n < 1 || n > static_cast<int64_t>(known.size()))
        throwBadName(std::to_string(n), "No such " + type.substr(0, type.size() - 1));
      pos = static_cast<std::size_t>(n - 1);
    } else {
      throwBadSpec("'names' must be an array of strings and integers");
    }
    picked.push_back(pos);
  }
  changeLicence(ctx, res, pk, [&](Poco::JSON::Object& body) {
    const auto current = strings(body, type);
    std::vector<std::string> next;
    // Kept in catalogue order.
    for (std::size_t pos = 0; pos < known.size(); ++pos) {
      const bool had = std::find(current.begin(), current.end(), known[pos]) != current.end();
      const bool named = std::find(picked.begin(), picked.end(), pos) != picked.end();
      if (method == "add" ? (had || named) : (had && !named)) next.push_back(known[pos]);
    }
    body.set(type, array(next));
  });
}

}  // namespace

void addLicenceRoutes(RouteRegistry& routes, Context& ctx) {
  for (const std::string base : {"/v1/licences", "/v1/licenses"}) {
    addRoutes(routes, ctx, userOptions(ctx),
              {
                  {"POST", base + "/list", listLicences},
                  {"POST", base + "/create", createLicence},
                  {"GET", base + "/{pk}", getLicence},
                  {"PUT", base + "/{pk}", updateLicence},
                  {"PATCH", base + "/{pk}", updateLicence},
                  {"DELETE", base + "/{pk}", deleteLicence},
                  {"PATCH", base + "/{pk}/subdescriptors", changeSubdescriptors},
              });
  }
}

void seedLicences(Context& ctx) {
  EntityQuery any;
  any.limit = 1;
  if (!ctx.entities->list(kLicences, any).items.empty()) return;
  EntityBatch batch;
  int64_t pk = 0;
  for (const auto& s : seeds()) {
    ++pk;
    Poco::JSON::Object::Ptr body = ordered();
    body->set("pk", pk);
    body->set("name", std::string(s.name));
    body->set("url", std::string(s.url));
    body->set("permissions", array(s.permissions));
    body->set("conditions", array(s.conditions));
    body->set("limitations", array(s.limitations));
    body->set("domains", array({}));
    batch.create(kLicences, pkId(pk), body).create(kLicenceNames, s.name, keyBody(pk));
  }
  ctx.entities->apply(batch);
  // Move the sequence past the seeds.
  while (ctx.entities->nextSequence(kLicences) < pk) {
  }
}

}  // namespace strata::ufdl
