#pragma once
// One open .h5 file of the hdf5 backend and what the backend knows about it: its handle, the
// mutex that guards every multi-call HDF5 sequence on it, and the object id bookkeeping.
//
// Object ids. An object's id is derived from the address of its object header, which HDF5
// never changes while the object lives, so ids are stable across restarts without writing
// anything into the file:
//
//     GGGGGGGG-HHHH-4SSS-8SSS-LLLLLLLLLLLL      (36 characters, shaped like a version-4 UUID)
//
// L is the address bits 0..47 and H bits 48..63; G a generation (hex, 0 unless objects at
// this address were deleted through the store: HDF5 reuses the space of a deleted object, and
// the generation keeps a new object's id distinct from the deleted one, which answers Gone);
// S a 24-bit salt drawn when the store creates the file, so a container deleted and created
// again does not hand out its old ids (its new root group sits at the same address). Files the
// store did not create have salt 0.
//
// The sidecar. For writable files the store keeps a small journal next to the file,
// <dir>/.<name>.h5.strata, with lines
//     salt <hex>           the file's salt (files the store created)
//     gone <id>            an object deleted through the store (Gone from then on)
//     anchor <address>     an object the store keeps alive without links (see below)
//     unanchor <address>
//     props <id> <json>    a dataset's creationProperties as the client sent them
// Read-only files never get a sidecar. If it is lost, deleted ids answer NotFound instead of
// Gone, anchored objects become unreachable (the file stays a valid HDF5 file), ids of files
// the store created change (salt 0) and creationProperties are derived from the file.
//
// Anchors. In the REST model an object lives until it is deleted, linked or not; in HDF5 an
// object is freed when its last link goes. The store bridges the two with H5Oincr_refcount:
// an object created without a link, or whose last link is deleted, holds one extra
// reference (an "anchor") so HDF5 keeps it; the anchor is dropped when the object gets a
// link again or is deleted.
#include "h5_handle.h"

#include <strata/stores/array_store.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace strata::hdf5 {

std::string formatId(uint32_t generation, uint32_t salt, haddr_t address);
// False unless `id` has the exact form above.
bool parseId(const std::string& id, uint32_t& generation, uint32_t& salt, haddr_t& address);

struct H5File {
  std::string name;     // the container name
  std::string path;     // the .h5 file
  std::string sidecar;  // the journal
  bool readOnly = false;
  bool fsync = true;
  Hid fid;
  haddr_t rootAddr = HADDR_UNDEF;
  uint32_t salt = 0;

  // Guards every HDF5 call sequence on this file and all members below.
  std::mutex mu;

  // Every live object reachable from the root group or an anchor, by address. Built on
  // first use by visiting the file; kept up to date by the store's own changes.
  bool objectsLoaded = false;
  std::map<haddr_t, ObjectKind> objects;
  std::map<haddr_t, uint32_t> generations;  // deletions recorded per address
  std::set<std::string> deleted;            // ids that answer Gone
  std::set<haddr_t> anchors;
  std::map<std::string, std::string> props;  // creationProperties JSON text by dataset id

  // Times of changes made in this process (ms): HDF5 records object times in seconds, and
  // not for raw data writes, links or attributes.
  std::map<haddr_t, int64_t> touched;
  std::map<std::pair<haddr_t, std::string>, int64_t> linkCreated;
  std::map<std::pair<haddr_t, std::string>, int64_t> attributeCreated;

  // Metadata answers kept for read-mostly traffic (a metadata GET then takes no HDF5 call and
  // not the file's mutex): the container's info and object and dataset infos by id. Every
  // change made through the store ends with changed(), which empties them; so does a new
  // modification time of the file (noteMtime). An answer computed under `mu` is kept only if
  // no change ended since it was begun (see MetaCache::version).
  struct MetaCache {
    std::mutex mu;
    uint64_t version = 0;
    int64_t mtimeNs = -1;
    std::optional<ContainerInfo> container;
    std::unordered_map<std::string, ObjectInfo> objects;
    std::unordered_map<std::string, DatasetInfo> datasets;
  };
  MetaCache meta;

  void changed() {
    std::lock_guard<std::mutex> lock(meta.mu);
    forgetMetaLocked();
  }
  uint64_t metaVersion() {
    std::lock_guard<std::mutex> lock(meta.mu);
    return meta.version;
  }
  // The file's modification time as stat() saw it; a different one empties the cache (the
  // file was written, by the store's own flush or by someone else).
  void noteMtime(int64_t mtimeNs) {
    std::lock_guard<std::mutex> lock(meta.mu);
    if (meta.mtimeNs == mtimeNs) return;
    meta.mtimeNs = mtimeNs;
    forgetMetaLocked();
  }

  uint32_t generationOf(haddr_t addr) const {
    auto it = generations.find(addr);
    return it == generations.end() ? 0 : it->second;
  }
  std::string idOf(haddr_t addr) const { return formatId(generationOf(addr), salt, addr); }

  // Reads the sidecar (if any) into salt, generations, deleted, anchors and props.
  void loadSidecar();
  // Appends one line to the sidecar (writable files only); throws InternalError on failure.
  void journal(const std::string& line);
  // Flushes the file after a change (writable files, when the store flushes); `mu` held.
  void flush() const;

 private:
  // With meta.mu held: a new version, nothing kept.
  void forgetMetaLocked() {
    ++meta.version;
    meta.container.reset();
    meta.objects.clear();
    meta.datasets.clear();
  }
};

// Ends every change made through the store, also one that fails half-way: empties the file's
// metadata cache.
struct ChangeGuard {
  H5File& f;
  ChangeGuard(const ChangeGuard&) = delete;
  ChangeGuard& operator=(const ChangeGuard&) = delete;
  ~ChangeGuard() { f.changed(); }
};

}  // namespace strata::hdf5
