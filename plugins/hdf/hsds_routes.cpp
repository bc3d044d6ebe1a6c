// What only the HSDS dialect has: GET /about, folders (GET/PUT/DELETE / of a folder path)
// and their listings (GET /domains). Folders are implicit here: a folder is a path prefix of
// domains, as the directories of the hdf5 backend's data directory are; every well-formed
// folder path exists, empty or not.
#include <Poco/JSON/Array.h>
#include <Poco/Timestamp.h>
#include <strata/errors.h>

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "responses.h"
#include "routes.h"

namespace strata::hdf {

namespace {

using Poco::JSON::Array;

// The version of HSDS whose API this follows (h5pyd compares it).
constexpr const char* kHsdsVersion = "0.9.4";

// The container-name prefix a folder scope stands for ("" for "/", "home/u" for "/home/u/").
const std::string& folderPrefix(const Scope& sc) { return sc.container; }

// The user a path belongs to (<homeDir>/<user>/...), or "" outside the homes.
std::string ownerOf(const Service& s, const std::string& container) {
  const std::string home = s.settings().homeDir + "/";
  if (container.compare(0, home.size(), home) != 0) return "";
  const std::string rest = container.substr(home.size());
  return rest.substr(0, rest.find('/'));
}

// The containers below a folder prefix.
std::vector<std::string> containersBelow(Service& s, const std::string& prefix) {
  std::vector<std::string> out;
  const std::string head = prefix.empty() ? "" : prefix + "/";
  for (const auto& c : s.arrays().listContainers())
    if (c.compare(0, head.size(), head) == 0 && c.size() > head.size()) out.push_back(c);
  return out;
}

// HSDS's `pattern=` (its util/globparser.py): `*` any run of characters (at most one in a
// pattern), `?` one character, `[c]` or `[a-z]` one character of that range; anything else
// itself. A pattern with two `*`, a stray `]` or a malformed range is 400.
class Glob {
 public:
  explicit Glob(const std::string& pattern) {
    const auto bad = [&](const std::string& why) {
      return BadRequest("Bad Request: invalid query pattern '" + pattern + "': " + why);
    };
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const auto c = static_cast<unsigned char>(pattern[i]);
      if (c == '*' && (i == 0 || pattern[i - 1] != '\\')) {
        if (star_) throw bad("only one asterisk allowed");
        star_ = true;
        continue;
      }
      auto& side = star_ ? right_ : left_;
      if (c == '?') {
        side.emplace_back(0, 255);
      } else if (c == ']') {
        throw bad("unexpected closing bracket");
      } else if (c == '[') {
        if (i + 2 < pattern.size() && pattern[i + 2] == ']') {
          side.emplace_back(pattern[i + 1], pattern[i + 1]);
          i += 2;
        } else if (i + 4 < pattern.size() && pattern[i + 2] == '-' && pattern[i + 4] == ']') {
          const auto lo = static_cast<unsigned char>(pattern[i + 1]),
                     hi = static_cast<unsigned char>(pattern[i + 3]);
          if (hi < lo) throw bad("char range invalid");
          side.emplace_back(lo, hi);
          i += 4;
        } else {
          throw bad("unexpected range pattern");
        }
      } else {
        side.emplace_back(c, c);
      }
    }
  }

  bool matches(const std::string& name) const {
    if (name.empty()) return false;
    if (!star_) return name.size() == left_.size() && fits(name, 0, left_);
    if (name.size() < left_.size() + right_.size()) return false;
    return fits(name, 0, left_) && fits(name, name.size() - right_.size(), right_);
  }

 private:
  using Range = std::pair<unsigned char, unsigned char>;
  static bool fits(const std::string& name, std::size_t at, const std::vector<Range>& ranges) {
    for (std::size_t k = 0; k < ranges.size(); ++k) {
      const auto c = static_cast<unsigned char>(name[at + k]);
      if (c < ranges[k].first || c > ranges[k].second) return false;
    }
    return true;
  }
  std::vector<Range> left_, right_;
  bool star_ = false;
};

void getAbout(Request& req, Response& res, int64_t started) {
  auto o = newObject();
  o->set("about", "strata serves HDF5 data through the HDF REST API (h5serv and HSDS dialects)");
  o->set("greeting", "Welcome to strata's HDF REST service!");
  o->set("name", "strata");
  o->set("state", "READY");
  o->set("hsds_version", kHsdsVersion);
  o->set("version", kHsdsVersion);
  o->set("start_time", started);
  o->set("node_count", 1);
  const Principal& who = req.principal();
  o->set("username", who.anonymous() ? std::string("anonymous") : who.name);
  o->set("isadmin", who.inGroup(kAdminGroup));
  sendJson(req, res, o);
}

// GET /domains?domain=/folder/: HSDS's listing of a folder, sub-folders first, each
// {"name", "class", "owner", "created", "lastModified"} plus "root" for a domain. As HSDS:
// `pattern=` keeps the names whose last part matches a glob (Glob), `Marker=` (a name) starts after
// that entry, `Limit=` gives at most that many, `verbose=1` adds object counts to domains.
void getDomains(Service& s, Request& req, Response& res) {
  const Page page = Service::page(req);
  const auto patternText = req.query("pattern");
  const std::optional<Glob> pattern = patternText ? std::optional<Glob>(Glob(*patternText)) : std::nullopt;
  const bool verbose = queryFlag(req, "verbose");
  Scope sc = s.address(req);
  if (sc.addr.source != DomainSource::None && !sc.hsds)
    throw BadRequest("Bad Request: GET /domains takes a folder path (?domain=/home/user/)");
  // A path without its trailing '/' means the folder of that name.
  if (!sc.isToc()) {
    std::string name = sc.addr.name;
    if (name.back() != '/') name += "/";
    sc.domain = s.mapper().parse(name);
    sc.container = sc.domain.container;
  }
  const std::string prefix = folderPrefix(sc);
  const std::string head = prefix.empty() ? "" : prefix + "/";
  std::set<std::string> folders;
  std::vector<std::string> domains;
  for (const auto& c : containersBelow(s, prefix)) {
    const std::string rest = c.substr(head.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos)
      domains.push_back(c);
    else
      folders.insert(head + rest.substr(0, slash));
  }
  // Marker, pattern and Limit, in listing order (the marker itself is not listed again).
  bool started = page.marker.empty();
  std::size_t listed = 0;
  const auto take = [&](const std::string& name) {
    if (pattern && !pattern->matches(name.substr(name.rfind('/') + 1))) return false;
    if (!started) {
      started = name == page.marker;
      return false;
    }
    if (page.limit && listed >= page.limit) return false;
    ++listed;
    return true;
  };
  Array::Ptr items = new Array;
  const int64_t now = static_cast<int64_t>(Poco::Timestamp().epochMicroseconds() / 1000);
  for (const auto& f : folders) {
    if (!take("/" + f)) continue;
    auto o = newObject();
    o->set("name", "/" + f);
    o->set("class", "folder");
    o->set("owner", ownerOf(s, f + "/"));
    o->set("created", timestamp(now, true));
    o->set("lastModified", timestamp(now, true));
    items->add(o);
  }
  sc.useStore(s.arrays());
  for (const auto& c : domains) {
    if (!take(s.mapper().pathName(c))) continue;
    const auto info = sc.store->findContainer(c);
    if (!info) continue;  // deleted meanwhile
    auto o = newObject();
    o->set("name", s.mapper().pathName(c));
    o->set("class", "domain");
    o->set("owner", ownerOf(s, c));
    o->set("root", info->rootId);
    o->set("created", timestamp(info->created, true));
    o->set("lastModified", timestamp(info->modified, true));
    if (verbose) {
      // HSDS's counts (the root group, which stores do not list, is one of the groups).
      uint64_t total = 0;
      for (const auto& [kind, key] :
           {std::pair{ObjectKind::Group, "num_groups"}, std::pair{ObjectKind::Dataset, "num_datasets"},
            std::pair{ObjectKind::Datatype, "num_datatypes"}}) {
        const uint64_t n =
            sc.store->listObjects(c, kind, Page{}).size() + (kind == ObjectKind::Group ? 1 : 0);
        o->set(key, n);
        total += n;
      }
      o->set("num_objects", total);
    }
    items->add(o);
  }
  auto o = newObject();
  o->set("domains", items);
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href("domains"));
  addHref(*hrefs, "root", sc.hrefs.href(""));
  o->set("hrefs", hrefs);
  sendJson(req, res, o);
}

}  // namespace

Poco::JSON::Object::Ptr folderJson(Service& s, const Scope& sc) {
  auto o = newObject();
  o->set("owner", ownerOf(s, folderPrefix(sc) + "/"));
  o->set("class", "folder");
  o->set("created", timestamp(sc.info.created, true));
  o->set("lastModified", timestamp(sc.info.modified, true));
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href(""));
  addHref(*hrefs, "domains", sc.hrefs.href("domains"));
  o->set("hrefs", hrefs);
  return o;
}

void addHsdsDomainFields(Service& s, const Scope& sc, Poco::JSON::Object& o) {
  o.set("owner", ownerOf(s, sc.container));
  o.set("class", "domain");
  auto limits = newObject();
  limits->set("min_chunk_size", 1u << 20);
  limits->set("max_chunk_size", s.settings().maxChunkBytes);
  limits->set("max_request_size", s.settings().maxJsonBytes);
  o.set("limits", limits);
  Array::Ptr compressors = new Array;
  compressors->add("gzip");
  compressors->add("deflate");
  o.set("compressors", compressors);
  o.set("version", kHsdsVersion);
}

void putFolder(Service& s, Scope& sc, Request& req, Response& res) {
  std::string prefix = sc.container;
  if (prefix.empty()) throw Forbidden("Forbidden: the top-level folder always exists");
  s.requireCreateDomain(sc);
  if (!sc.isToc() && s.arrays().findContainer(prefix))
    throw Conflict("Conflict: a domain of that name exists: '" + s.mapper().pathName(prefix) + "'");
  // Nothing to store: a folder is the path of the domains created in it.
  auto o = newObject();
  o->set("owner", sc.who->anonymous() ? std::string() : sc.who->name);
  o->set("class", "folder");
  const int64_t now = static_cast<int64_t>(Poco::Timestamp().epochMicroseconds() / 1000);
  o->set("created", timestamp(now, true));
  o->set("lastModified", timestamp(now, true));
  Array::Ptr hrefs = new Array;
  addHref(*hrefs, "self", sc.hrefs.href(""));
  o->set("hrefs", hrefs);
  sendJson(req, res, o, 201);
}

void deleteFolder(Service& s, Scope& sc, Response& res) {
  if (sc.container.empty()) throw Forbidden("Forbidden: the top-level folder cannot be deleted");
  if (!containersBelow(s, sc.container).empty())
    throw Conflict("Conflict: folder '/" + sc.container + "/' is not empty");
  if (!s.mayWriteUnowned(*sc.who)) {
    const std::string home = s.settings().homeDir + "/" + sc.who->name;
    if (sc.who->anonymous()) throw Unauthorized("Unauthorized: deleting a folder needs credentials");
    if (sc.container.compare(0, home.size() + 1, home + "/") != 0)
      throw Forbidden("Forbidden: user '" + sc.who->name + "' may delete folders only in their home folder");
  }
  res.sendEmpty(200);
}

void addHsdsRoutes(Service& s, RouteRegistry& routes) {
  const int64_t started = static_cast<int64_t>(Poco::Timestamp().epochMicroseconds() / 1000000);
  routes.add("GET", "/about", [started](Request& req, Response& res) { getAbout(req, res, started); },
             {Access::Public});
  routes.add("GET", "/domains", [&s](Request& req, Response& res) { getDomains(s, req, res); });
}

}  // namespace strata::hdf
