#include "toc.h"

#include <Poco/UUID.h>
#include <Poco/UUIDGenerator.h>
#include <strata/errors.h>
#include <strata/util.h>

#include <algorithm>
#include <iterator>

namespace strata::hdf {

namespace {

// TOC groups need ids that stay the same across rebuilds and restarts: derive them from the
// directory they stand for.
std::string tocId(const std::string& path) {
  return Poco::UUIDGenerator::defaultGenerator()
      .createFromName(Poco::UUID::uri(), "strata-hdf-toc:" + path)
      .toString();
}

std::vector<std::string> splitPath(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto pos = s.find('/', start);
    if (pos == std::string::npos) pos = s.size();
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

constexpr int64_t kRefreshMillis = 1000;

}  // namespace

TocIndex::TocIndex(std::shared_ptr<ArrayStore> arrays, std::string homeDir, Tombstones& tombstones)
    : arrays_(std::move(arrays)),
      homeDir_(std::move(homeDir)),
      tombstones_(tombstones),
      created_(nowMillis()),
      modified_(created_) {
  snapshot();
}

std::shared_ptr<TocIndex::Snapshot> TocIndex::snapshot() {
  std::vector<std::string> vanished;
  std::shared_ptr<Snapshot> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t now = nowMillis();
    if (current_ && now - current_->taken < kRefreshMillis) return current_;
    auto next = std::make_shared<Snapshot>();
    next->taken = now;
    next->containers = arrays_->listContainers();
    std::sort(next->containers.begin(), next->containers.end());
    if (current_ && current_->containers != next->containers) {
      modified_ = now;
      std::set_difference(current_->containers.begin(), current_->containers.end(), next->containers.begin(),
                          next->containers.end(), std::back_inserter(vanished));
    }
    current_ = next;
    out = current_;
  }
  // Outside the lock: a tombstone may be a store write. Those deleted through the API have one.
  for (const auto& c : vanished) {
    const std::string key = Tombstones::containerKey(c);
    if (!tombstones_.contains(key)) tombstones_.add(key);
  }
  return out;
}

void TocIndex::invalidate(const std::string& created) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!current_) return;
  // A new stale snapshot (the current one may be in use): only its listing matters.
  auto next = std::make_shared<Snapshot>();
  next->containers = current_->containers;
  const auto at = std::lower_bound(next->containers.begin(), next->containers.end(), created);
  if (!created.empty() && (at == next->containers.end() || *at != created))
    next->containers.insert(at, created);
  current_ = next;
  modified_ = nowMillis();
}

int64_t TocIndex::modified() {
  snapshot();
  std::lock_guard<std::mutex> lock(mutex_);
  return modified_;
}

std::shared_ptr<const TocIndex::Tree> TocIndex::tree(const std::string& prefix) {
  auto snap = snapshot();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = snap->trees.find(prefix);
  if (it != snap->trees.end()) return it->second;
  auto t = build(snap->containers, prefix);
  snap->trees.emplace(prefix, t);
  return t;
}

std::shared_ptr<const TocIndex::Tree> TocIndex::build(const std::vector<std::string>& containers,
                                                      const std::string& prefix) const {
  auto tree = std::make_shared<Tree>();
  tree->prefix = prefix;
  tree->rootId = tocId(prefix);
  std::map<std::string, std::string> idOfPath;  // dir path -> id
  auto ensureDir = [&](const std::string& path) -> Dir& {
    auto found = idOfPath.find(path);
    if (found != idOfPath.end()) return tree->byId[found->second];
    const std::string id = path == prefix ? tree->rootId : tocId(path);
    idOfPath[path] = id;
    Dir& d = tree->byId[id];
    d.id = id;
    d.path = path;
    return d;
  };
  ensureDir(prefix);
  const std::string lead = prefix.empty() ? "" : prefix + "/";
  for (const auto& c : containers) {
    if (c.compare(0, lead.size(), lead) != 0 || c.size() == lead.size()) continue;
    const auto segments = splitPath(c.substr(lead.size()));
    // Home directories are private: the global TOC does not show them.
    if (prefix.empty() && segments.size() > 1 && segments[0] == homeDir_) continue;
    std::string path = prefix;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
      const std::string parentPath = path;
      path = path.empty() ? segments[i] : path + "/" + segments[i];
      Dir& parent = ensureDir(parentPath);
      Entry& e = parent.children[segments[i]];
      if (!e.dir) {
        // A directory wins over a container of the same name at the same level.
        e = Entry{segments[i], true, {}, {}};
      }
      e.id = ensureDir(path).id;
    }
    Dir& parent = ensureDir(path);
    auto& leaf = parent.children[segments.back()];
    if (!leaf.dir) leaf = Entry{segments.back(), false, {}, c};
  }
  return tree;
}

// ---------------------------------------------------------------- TocStore

TocStore::TocStore(TocIndex& index, const DomainMapper& mapper, Tombstones& tombstones, Domain::Style style)
    : index_(index), mapper_(mapper), tombstones_(tombstones), style_(style) {}

void TocStore::readOnly() const {
  throw Forbidden("Forbidden: the TOC domain is read-only (it lists the domains of this server)");
}

std::vector<std::string> TocStore::listContainers() { return {}; }

std::optional<ContainerInfo> TocStore::findContainer(const std::string& name) {
  tree_ = index_.tree(name);
  ContainerInfo info;
  info.name = name;
  info.rootId = tree_->rootId;
  info.created = index_.created();
  info.modified = index_.modified();
  info.readOnly = true;
  return info;
}

ContainerInfo TocStore::createContainer(const std::string&) { readOnly(); }
void TocStore::deleteContainer(const std::string&) { readOnly(); }

const TocIndex::Dir& TocStore::dir(const std::string& c, const std::string& id) {
  if (!tree_ || tree_->prefix != c) tree_ = index_.tree(c);
  auto it = tree_->byId.find(id);
  if (it == tree_->byId.end()) throw NotFound("Group with uuid: " + id + " was not found in the TOC domain");
  return it->second;
}

ObjectInfo TocStore::object(const std::string& c, const std::string& id) {
  const auto& d = dir(c, id);
  ObjectInfo info;
  info.id = d.id;
  info.kind = ObjectKind::Group;
  info.created = index_.created();
  info.modified = index_.modified();
  info.linkCount = d.children.size();
  return info;
}

std::vector<std::string> TocStore::listObjects(const std::string& c, ObjectKind kind, const Page& page) {
  if (kind != ObjectKind::Group) return {};
  if (!tree_ || tree_->prefix != c) tree_ = index_.tree(c);
  std::vector<std::string> out;
  for (const auto& [id, d] : tree_->byId) {
    if (id == tree_->rootId) continue;
    if (!page.marker.empty() && id <= page.marker) continue;
    out.push_back(id);
    if (page.limit && out.size() >= page.limit) break;
  }
  return out;
}

void TocStore::deleteObject(const std::string& c, const std::string& id) {
  dir(c, id);
  if (id == tree_->rootId) throw Forbidden("Forbidden: the root group cannot be deleted");
  readOnly();
}
ObjectInfo TocStore::createGroup(const std::string&) { readOnly(); }

Link TocStore::toLink(const TocIndex::Entry& e) const {
  Link l;
  l.name = e.name;
  l.created = index_.created();
  if (e.dir) {
    l.cls = LinkClass::Hard;
    l.id = e.id;
    l.kind = ObjectKind::Group;
  } else {
    l.cls = LinkClass::External;
    l.h5path = "/";
    l.h5domain = mapper_.linkDomain(e.container, style_);
  }
  return l;
}

std::vector<Link> TocStore::listLinks(const std::string& c, const std::string& group, const Page& page) {
  const auto& d = dir(c, group);
  std::vector<Link> out;
  for (const auto& [name, e] : d.children) {
    if (!page.marker.empty() && name <= page.marker) continue;
    out.push_back(toLink(e));
    if (page.limit && out.size() >= page.limit) break;
  }
  return out;
}

Link TocStore::link(const std::string& c, const std::string& group, const std::string& name) {
  const auto& d = dir(c, group);
  auto it = d.children.find(name);
  if (it != d.children.end()) return toLink(it->second);
  const std::string container = d.path.empty() ? name : d.path + "/" + name;
  if (tombstones_.contains(Tombstones::containerKey(container)))
    throw Gone("the domain behind link '" + name + "' has been deleted");
  throw NotFound("Link '" + name + "' not found in the TOC domain");
}

void TocStore::createLink(const std::string& c, const std::string& group, const Link&) {
  dir(c, group);
  throw Forbidden("Forbidden: links can not be directly created in TOC domain");
}
void TocStore::deleteLink(const std::string& c, const std::string& group, const std::string&) {
  dir(c, group);
  throw Forbidden("Forbidden: links can not be directly modified in TOC domain");
}

DatasetInfo TocStore::createDataset(const std::string&, const DatasetSpec&) { readOnly(); }
DatasetInfo TocStore::dataset(const std::string&, const std::string& id) {
  throw NotFound("Dataset with uuid: " + id + " was not found in the TOC domain");
}
void TocStore::resize(const std::string& c, const std::string& id, const std::vector<uint64_t>&) {
  dataset(c, id);
}
void TocStore::read(const std::string& c, const std::string& id, const arrays::Selection&, const ByteSink&) {
  dataset(c, id);
}
void TocStore::write(const std::string& c, const std::string& id, const arrays::Selection&, const ByteSource&,
                     uint64_t) {
  dataset(c, id);
}

ObjectInfo TocStore::createDatatype(const std::string&, const arrays::DatatypePtr&) { readOnly(); }
arrays::DatatypePtr TocStore::datatype(const std::string&, const std::string& id) {
  throw NotFound("Datatype with uuid: " + id + " was not found in the TOC domain");
}

std::vector<AttributeInfo> TocStore::listAttributes(const std::string& c, const std::string& obj,
                                                    const Page&) {
  dir(c, obj);
  return {};
}
AttributeInfo TocStore::attribute(const std::string& c, const std::string& obj, const std::string& name) {
  dir(c, obj);
  throw NotFound("Attribute '" + name + "' not found");
}
std::string TocStore::attributeValue(const std::string& c, const std::string& obj, const std::string& name) {
  attribute(c, obj, name);
  return {};
}
void TocStore::createAttribute(const std::string& c, const std::string& obj, const AttributeInfo&,
                               const std::string&, bool) {
  dir(c, obj);
  readOnly();
}
void TocStore::deleteAttribute(const std::string& c, const std::string& obj, const std::string&) {
  dir(c, obj);
  readOnly();
}
void TocStore::exportHdf5(const std::string&, const ByteSink&) {
  throw NotImplemented("the TOC domain is generated and cannot be downloaded as an HDF5 file");
}

}  // namespace strata::hdf
