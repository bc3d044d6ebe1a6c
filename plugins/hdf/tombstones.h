#pragma once
// Names this server has deleted (links and domains), so that asking for them again answers
// 410 Gone rather than 404, as h5serv does.
//
// Persistence. With an entities store, each tombstone is one entity of the collection
// "hdf_tombstones" (id: the first 32 hex digits of the SHA-256 of the key; body: what was
// deleted, for people reading the store, and "deleted", when in microseconds since the epoch,
// strictly increasing), so tombstones survive a restart in their order. Without one (only
// possible with plugins.hdf.acls = false) they live in this process alone and a restart
// forgets them.
//
// Lookups. With an entities store, the store is the truth: contains() reads the tombstone's
// entity (it is asked only when a name was not found, before answering 404 or 410), and
// remove() (called when a name is created) reads it and removes it if there is one, so that
// several servers on one shared entities store (sql on PostgreSQL) agree: a name deleted
// through one answers 410 through the others, and one re-created through another loses its
// tombstone everywhere. Without a store, an index in memory answers both. The index in memory
// (a 128-bit digest per tombstone this process loaded or added, in deletion order) also orders
// eviction.
//
// Bound. At most `capacity` tombstones are kept; adding one more forgets the oldest (its
// entity is removed too), so that deleted name answers 404 from then on. With several servers
// on one store each bounds the tombstones it loaded at start-up and added since, so the store
// holds at most about (servers x capacity). A capacity of 0
// keeps none. If the store already holds more (the capacity was lowered), the oldest are
// removed at start-up.
//
// Failures. A store write that fails is logged and does not fail the request, which has
// already deleted or created the name: a tombstone that could not be written is kept in
// memory (lost at restart, then the name answers 404; other servers do not see it); one that
// could not be removed stays in the store (the name answers 410 again should it go missing
// before it is deleted again). A store that cannot be read answers contains() from memory.
//
// Thread-safety: all methods may be called concurrently.
#include <strata/stores/entity_store.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace Poco {
class Logger;
}

namespace strata::hdf {

class Tombstones {
 public:
  static constexpr const char* kCollection = "hdf_tombstones";
  static constexpr std::size_t kDefaultCapacity = 100000;

  // `entities` may be null (tombstones in memory only). Throws StartupError if the store
  // cannot be read.
  Tombstones(std::shared_ptr<EntityStore> entities, std::size_t capacity, Poco::Logger& log);

  void add(const std::string& key);
  void remove(const std::string& key);
  bool contains(const std::string& key) const;

  bool persistent() const { return entities_ != nullptr; }
  std::size_t size() const;

  static std::string linkKey(const std::string& container, const std::string& group, const std::string& name);
  static std::string containerKey(const std::string& container);

 private:
  struct Digest {
    uint64_t hi = 0, lo = 0;
    bool operator==(const Digest& o) const { return hi == o.hi && lo == o.lo; }
  };
  struct DigestHash {
    std::size_t operator()(const Digest& d) const { return static_cast<std::size_t>(d.hi ^ (d.lo * 31)); }
  };
  struct Entry {
    Digest digest;
    uint64_t seq;  // matches live_[digest] while this entry is the tombstone's current one
  };

  static Digest digestOf(const std::string& key);
  static bool parseId(const std::string& id, Digest& out);
  static std::string idOf(const Digest& d);
  static Poco::JSON::Object::Ptr describe(const std::string& key);

  void load();
  // Under mutex_: drops index entries past the capacity and returns the digests dropped.
  std::deque<Digest> evictLocked();
  void compactLocked();
  void removeEntity(const Digest& d, const char* why);

  std::shared_ptr<EntityStore> entities_;
  std::size_t capacity_;
  Poco::Logger& log_;
  // Serializes writers (store write + index update) so the store and the index agree;
  // contains() only takes mutex_.
  std::mutex writeMutex_;
  mutable std::mutex mutex_;
  std::unordered_map<Digest, uint64_t, DigestHash> live_;
  std::unordered_set<Digest, DigestHash> unwritten_;  // added but not written to the store
  std::deque<Entry> order_;  // oldest first; may hold stale entries (seq no longer current)
  uint64_t nextSeq_ = 1;
  int64_t lastDeleted_ = 0;  // the newest "deleted" written or read (µs); under writeMutex_
};

}  // namespace strata::hdf
