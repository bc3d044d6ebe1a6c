#pragma once
// The table-of-contents (TOC) domain: a read-only domain that h5serv generates and keeps
// current, whose groups mirror the directories of the data and whose external links point to
// every domain. Here it is computed from ArrayStore::listContainers() (cached for at most one
// second, so a new or deleted domain shows within that time) and served through the ArrayStore
// interface, so the handlers serve it like any other domain. Every write throws Forbidden.
//
// The global TOC ("hdfgroup.org", "/") lists every container outside the home directory;
// a user's TOC ("<user>.home.hdfgroup.org", "/home/<user>/") lists the containers under
// home/<user>/, and a path-style folder ("/test/") those under that folder.
//
// Thread-safety: TocIndex may be used from any thread; a TocStore belongs to one request.
#include <strata/stores/array_store.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "domain.h"
#include "tombstones.h"

namespace strata::hdf {

// Each refresh also compares the listing with the one before: a container that vanished
// without this server deleting it (a .h5 file removed from disk) gets a tombstone, so that its
// domain answers 410 from then on, as h5serv's watcher made it; the first listing is taken at
// start-up so that this works from the beginning.
class TocIndex {
 public:
  TocIndex(std::shared_ptr<ArrayStore> arrays, std::string homeDir, Tombstones& tombstones);

  struct Entry {
    std::string name;
    bool dir = false;
    std::string id;         // dir: its group id
    std::string container;  // leaf: the container it links to
  };
  struct Dir {
    std::string id;
    std::string path;  // container-name prefix it stands for
    std::map<std::string, Entry> children;
  };
  struct Tree {
    std::string prefix;
    std::string rootId;
    std::map<std::string, Dir> byId;
  };
  std::shared_ptr<const Tree> tree(const std::string& prefix);
  int64_t created() const { return created_; }
  // Forgets the cached listing (after this server created or deleted a domain); `created`,
  // if not empty, joins the listing the next refresh compares with.
  void invalidate(const std::string& created = "");
  // Lists the containers again if the listing is older than the refresh period (one second):
  // before a missing domain answers 404, so that one removed from disk answers 410.
  void refresh() { snapshot(); }
  int64_t modified();

 private:
  struct Snapshot {
    int64_t taken = 0;
    std::vector<std::string> containers;
    std::map<std::string, std::shared_ptr<const Tree>> trees;
  };
  std::shared_ptr<Snapshot> snapshot();
  std::shared_ptr<const Tree> build(const std::vector<std::string>& containers,
                                    const std::string& prefix) const;

  std::shared_ptr<ArrayStore> arrays_;
  std::string homeDir_;
  Tombstones& tombstones_;
  int64_t created_;
  std::mutex mutex_;
  std::shared_ptr<Snapshot> current_;
  int64_t modified_;
};

class TocStore : public ArrayStore {
 public:
  TocStore(TocIndex& index, const DomainMapper& mapper, Tombstones& tombstones, Domain::Style style);

  std::vector<std::string> listContainers() override;
  std::optional<ContainerInfo> findContainer(const std::string& name) override;
  ContainerInfo createContainer(const std::string& name) override;
  void deleteContainer(const std::string& name) override;

  ObjectInfo object(const std::string& c, const std::string& id) override;
  std::vector<std::string> listObjects(const std::string& c, ObjectKind kind, const Page& page) override;
  void deleteObject(const std::string& c, const std::string& id) override;
  ObjectInfo createGroup(const std::string& c) override;

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
  void exportHdf5(const std::string& c, const ByteSink& sink) override;

 private:
  const TocIndex::Dir& dir(const std::string& c, const std::string& id);
  Link toLink(const TocIndex::Entry& e) const;
  [[noreturn]] void readOnly() const;

  TocIndex& index_;
  const DomainMapper& mapper_;
  Tombstones& tombstones_;
  Domain::Style style_;
  std::shared_ptr<const TocIndex::Tree> tree_;  // of the one prefix this request uses
};

}  // namespace strata::hdf
