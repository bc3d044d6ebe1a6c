#pragma once
// Object ids in the two dialects the plugin speaks.
//
// Stores name objects by a 36-character uuid ("1011adbc-e613-11f1-96d3-02fc00000001"), the
// form h5serv uses. HSDS (and h5pyd, which checks it) writes an id with its kind in front:
// "g-", "d-" or "t-" and the uuid, 38 characters. Every request may use either form; answers
// use the form of the request's dialect (Scope::hsds, see service.h). The translation happens
// in one place, IdDialectStore, which sits between the routes and the store: ids going in
// lose their prefix, ids coming out gain one when the dialect is HSDS.
#include <strata/stores/array_store.h>

#include <optional>
#include <string>

namespace strata::hdf {

// "g", "d" or "t" for a kind.
char idPrefix(ObjectKind kind);
// The store's form of an id: a prefixed 38-character id without its prefix, anything else
// unchanged.
std::string canonicalId(const std::string& id);
// The kind a prefixed id names, if it has a valid prefix.
std::optional<ObjectKind> prefixedKind(const std::string& id);
// HSDS's form: "<p>-<id>" (ids already prefixed and empty ids stay as they are).
std::string hsdsId(ObjectKind kind, const std::string& id);

// An ArrayStore that forwards to `base`, taking ids of both forms and answering with ids in
// the dialect's form. A prefixed id whose prefix names another kind than the object's is not
// found. Committed types keep their id in Datatype::committedId, translated the same way.
class IdDialectStore : public ArrayStore {
 public:
  IdDialectStore(ArrayStore& base, bool hsds) : base_(base), hsds_(hsds) {}

  std::vector<std::string> listContainers() override { return base_.listContainers(); }
  std::optional<ContainerInfo> findContainer(const std::string& name) override;
  ContainerInfo createContainer(const std::string& name) override;
  void deleteContainer(const std::string& name) override { base_.deleteContainer(name); }

  ObjectInfo object(const std::string& c, const std::string& id) override;
  std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) override;
  void deleteObject(const std::string& c, const std::string& id) override;
  ObjectInfo createGroup(const std::string& c) override { return out(base_.createGroup(c)); }

  std::vector<Link> listLinks(const std::string& c, const std::string& group, const Page& page) override;
  Link link(const std::string& c, const std::string& group, const std::string& name) override;
  void createLink(const std::string& c, const std::string& group, const Link& link) override;
  void deleteLink(const std::string& c, const std::string& group, const std::string& name) override;

  DatasetInfo createDataset(const std::string& c, const DatasetSpec& spec) override;
  DatasetInfo dataset(const std::string& c, const std::string& id) override;
  void resize(const std::string& c, const std::string& id, const std::vector<uint64_t>& dims) override;
  void read(const std::string& c, const std::string& id, const arrays::Selection& sel,
            const ByteSink& sink) override;
  void write(const std::string& c, const std::string& id, const arrays::Selection& sel,
             const ByteSource& source, uint64_t bytes) override;

  ObjectInfo createDatatype(const std::string& c, const arrays::DatatypePtr& type) override;
  arrays::DatatypePtr datatype(const std::string& c, const std::string& id) override;

  std::vector<AttributeInfo> listAttributes(const std::string& c, const std::string& obj,
                                            const Page& page) override;
  AttributeInfo attribute(const std::string& c, const std::string& obj, const std::string& name) override;
  std::string attributeValue(const std::string& c, const std::string& obj, const std::string& name) override;
  void createAttribute(const std::string& c, const std::string& obj, const AttributeInfo& info,
                       const std::string& packedValue, bool replace) override;
  void deleteAttribute(const std::string& c, const std::string& obj, const std::string& name) override;

  void exportHdf5(const std::string& c, const ByteSink& sink) override { base_.exportHdf5(c, sink); }

 private:
  // The id as the store knows it.
  std::string in(const std::string& id) const { return canonicalId(id); }
  std::string out(ObjectKind kind, const std::string& id) const { return hsds_ ? hsdsId(kind, id) : id; }
  ObjectInfo out(ObjectInfo info) const;
  arrays::DatatypePtr outType(const arrays::DatatypePtr& type) const;
  static arrays::DatatypePtr inType(const arrays::DatatypePtr& type);

  ArrayStore& base_;
  bool hsds_;
};

}  // namespace strata::hdf
