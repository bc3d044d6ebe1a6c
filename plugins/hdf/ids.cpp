#include "ids.h"

#include <strata/arrays/datatype.h>
#include <strata/errors.h>

#include <cctype>

namespace strata::hdf {

char idPrefix(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return 'g';
    case ObjectKind::Dataset:
      return 'd';
    case ObjectKind::Datatype:
      return 't';
  }
  return 'g';
}

std::optional<ObjectKind> prefixedKind(const std::string& id) {
  // HSDS's validateUuid: 38 characters, a kind letter and '-', then letters, digits and '-'.
  if (id.size() != 38 || id[1] != '-') return std::nullopt;
  for (std::size_t i = 2; i < id.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(id[i])) && id[i] != '-') return std::nullopt;
  switch (id[0]) {
    case 'g':
      return ObjectKind::Group;
    case 'd':
      return ObjectKind::Dataset;
    case 't':
      return ObjectKind::Datatype;
    default:
      return std::nullopt;
  }
}

std::string canonicalId(const std::string& id) { return prefixedKind(id) ? id.substr(2) : id; }

std::string hsdsId(ObjectKind kind, const std::string& id) {
  if (id.empty() || prefixedKind(id)) return id;
  return std::string(1, idPrefix(kind)) + "-" + id;
}

namespace {

// NotFound when a prefixed id names another kind than the object it leads to.
void checkKind(const std::string& id, ObjectKind actual) {
  const auto want = prefixedKind(id);
  if (want && *want != actual)
    throw NotFound(std::string("object with uuid: ") + id + " is not a " + kindName(*want));
}

}  // namespace

ObjectInfo IdDialectStore::out(ObjectInfo info) const {
  info.id = out(info.kind, info.id);
  return info;
}

arrays::DatatypePtr IdDialectStore::outType(const arrays::DatatypePtr& type) const {
  if (!hsds_ || !type || type->committedId.empty()) return type;
  auto copy = std::make_shared<arrays::Datatype>(*type);
  copy->committedId = hsdsId(ObjectKind::Datatype, copy->committedId);
  return copy;
}

arrays::DatatypePtr IdDialectStore::inType(const arrays::DatatypePtr& type) {
  if (!type || !prefixedKind(type->committedId)) return type;
  auto copy = std::make_shared<arrays::Datatype>(*type);
  copy->committedId = canonicalId(copy->committedId);
  return copy;
}

std::optional<ContainerInfo> IdDialectStore::findContainer(const std::string& name) {
  auto info = base_.findContainer(name);
  if (info) info->rootId = out(ObjectKind::Group, info->rootId);
  return info;
}

ContainerInfo IdDialectStore::createContainer(const std::string& name) {
  ContainerInfo info = base_.createContainer(name);
  info.rootId = out(ObjectKind::Group, info.rootId);
  return info;
}

ObjectInfo IdDialectStore::object(const std::string& c, const std::string& id) {
  ObjectInfo info = base_.object(c, in(id));
  checkKind(id, info.kind);
  return out(info);
}

std::vector<std::string> IdDialectStore::listObjects(const std::string& c, ObjectKind kind,
                                                     const Page& page) {
  Page p = page;
  p.marker = in(p.marker);
  auto ids = base_.listObjects(c, kind, p);
  for (auto& id : ids) id = out(kind, id);
  return ids;
}

void IdDialectStore::deleteObject(const std::string& c, const std::string& id) {
  base_.deleteObject(c, in(id));
}

std::vector<Link> IdDialectStore::listLinks(const std::string& c, const std::string& group,
                                            const Page& page) {
  auto links = base_.listLinks(c, in(group), page);
  for (auto& l : links)
    if (l.cls == LinkClass::Hard) l.id = out(l.kind, l.id);
  return links;
}

Link IdDialectStore::link(const std::string& c, const std::string& group, const std::string& name) {
  Link l = base_.link(c, in(group), name);
  if (l.cls == LinkClass::Hard) l.id = out(l.kind, l.id);
  return l;
}

void IdDialectStore::createLink(const std::string& c, const std::string& group, const Link& link) {
  Link l = link;
  l.id = in(l.id);
  base_.createLink(c, in(group), l);
}

void IdDialectStore::deleteLink(const std::string& c, const std::string& group, const std::string& name) {
  base_.deleteLink(c, in(group), name);
}

DatasetInfo IdDialectStore::createDataset(const std::string& c, const DatasetSpec& spec) {
  DatasetSpec s = spec;
  s.type = inType(s.type);
  DatasetInfo info = base_.createDataset(c, s);
  info.object = out(info.object);
  info.type = outType(info.type);
  return info;
}

DatasetInfo IdDialectStore::dataset(const std::string& c, const std::string& id) {
  DatasetInfo info = base_.dataset(c, in(id));
  checkKind(id, info.object.kind);
  info.object = out(info.object);
  info.type = outType(info.type);
  return info;
}

void IdDialectStore::resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) {
  base_.resize(c, in(id), dims);
}

void IdDialectStore::read(const std::string& c, const std::string& id, const arrays::Selection& sel,
                          const ByteSink& sink) {
  base_.read(c, in(id), sel, sink);
}

void IdDialectStore::write(const std::string& c, const std::string& id, const arrays::Selection& sel,
                           const ByteSource& source, uint64_t bytes) {
  base_.write(c, in(id), sel, source, bytes);
}

ObjectInfo IdDialectStore::createDatatype(const std::string& c, const arrays::DatatypePtr& type) {
  return out(base_.createDatatype(c, inType(type)));
}

arrays::DatatypePtr IdDialectStore::datatype(const std::string& c, const std::string& id) {
  return outType(base_.datatype(c, in(id)));
}

std::vector<AttributeInfo> IdDialectStore::listAttributes(const std::string& c, const std::string& obj,
                                                          const Page& page) {
  auto list = base_.listAttributes(c, in(obj), page);
  for (auto& a : list) a.type = outType(a.type);
  return list;
}

AttributeInfo IdDialectStore::attribute(const std::string& c, const std::string& obj,
                                        const std::string& name) {
  AttributeInfo a = base_.attribute(c, in(obj), name);
  a.type = outType(a.type);
  return a;
}

std::string IdDialectStore::attributeValue(const std::string& c, const std::string& obj,
                                           const std::string& name) {
  return base_.attributeValue(c, in(obj), name);
}

void IdDialectStore::createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                                     const std::string& packedValue, bool replace) {
  AttributeInfo a = info;
  a.type = inType(a.type);
  base_.createAttribute(c, in(obj), a, packedValue, replace);
}

void IdDialectStore::deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) {
  base_.deleteAttribute(c, in(obj), name);
}

}  // namespace strata::hdf
