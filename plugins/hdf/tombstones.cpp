#include "tombstones.h"

#include <Poco/Logger.h>
#include <Poco/Timestamp.h>
#include <strata/errors.h>
#include <strata/util.h>

#include "ids.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace strata::hdf {

namespace {

bool parseHex64(const std::string& s, std::size_t pos, uint64_t& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + 16; ++i) {
    const char c = s[i];
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      return false;
    out = (out << 4) | static_cast<uint64_t>(v);
  }
  return true;
}

// Entities read per list() call at start-up.
constexpr uint64_t kLoadPage = 5000;

}  // namespace

Tombstones::Tombstones(std::shared_ptr<EntityStore> entities, std::size_t capacity, Poco::Logger& log)
    : entities_(std::move(entities)), capacity_(capacity), log_(log) {
  load();
}

Tombstones::Digest Tombstones::digestOf(const std::string& key) {
  Sha256 h;
  h.update(key.data(), key.size());
  Digest d;
  parseId(h.hexDigest().substr(0, 32), d);
  return d;
}

bool Tombstones::parseId(const std::string& id, Digest& out) {
  return id.size() == 32 && parseHex64(id, 0, out.hi) && parseHex64(id, 16, out.lo);
}

std::string Tombstones::idOf(const Digest& d) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(d.hi),
                static_cast<unsigned long long>(d.lo));
  return std::string(buf, 32);
}

Poco::JSON::Object::Ptr Tombstones::describe(const std::string& key) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  if (!key.empty() && key[0] == 'L') {
    // "L" container \0 group \0 name (see linkKey).
    const auto a = key.find('\0', 1);
    const auto b = a == std::string::npos ? a : key.find('\0', a + 1);
    o->set("kind", "link");
    o->set("container", key.substr(1, a == std::string::npos ? std::string::npos : a - 1));
    if (b != std::string::npos) {
      o->set("group", key.substr(a + 1, b - a - 1));
      o->set("name", key.substr(b + 1));
    }
  } else {
    o->set("kind", "domain");
    o->set("container", key.empty() ? key : key.substr(1));
  }
  return o;
}

void Tombstones::load() {
  if (!entities_) return;
  struct Stored {
    int64_t deleted;  // microseconds
    std::string id;
    Digest digest;
  };
  std::vector<Stored> stored;
  try {
    EntityQuery q;
    q.sortBy = "id";
    q.limit = kLoadPage;
    for (q.offset = 0;; q.offset += kLoadPage) {
      const auto page = entities_->list(kCollection, q);
      for (const auto& e : page.items) {
        Digest d;
        // Anything else in the collection is not ours: leave it alone.
        if (!parseId(e.id, d)) continue;
        // "deleted" orders deletions within one millisecond; the entity's own time is the
        // fallback for a body without it.
        int64_t when = e.modified * 1000;
        if (e.body && e.body->has("deleted") && e.body->get("deleted").isInteger())
          when = e.body->get("deleted").convert<int64_t>();
        stored.push_back({when, e.id, d});
      }
      if (page.items.size() < kLoadPage) break;
    }
  } catch (const std::exception& e) {
    throw StartupError(std::string("plugins.hdf: cannot read the tombstones of deleted links and domains "
                                   "(entities collection ") +
                       kCollection + "): " + e.what());
  }
  // Oldest first: a tombstone written again (the name deleted again) counts from then.
  std::sort(stored.begin(), stored.end(), [](const Stored& a, const Stored& b) {
    return a.deleted != b.deleted ? a.deleted < b.deleted : a.id < b.id;
  });
  std::deque<Digest> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& s : stored) {
      const uint64_t seq = nextSeq_++;
      live_[s.digest] = seq;
      order_.push_back({s.digest, seq});
    }
    dropped = evictLocked();
  }
  if (!stored.empty()) lastDeleted_ = stored.back().deleted;
  for (const auto& d : dropped) removeEntity(d, "dropping past plugins.hdf.maxTombstones");
  if (!dropped.empty())
    log_.information("hdf: dropped %z tombstones of deleted names beyond plugins.hdf.maxTombstones = %z",
                     dropped.size(), capacity_);
}

std::deque<Tombstones::Digest> Tombstones::evictLocked() {
  std::deque<Digest> dropped;
  while (live_.size() > capacity_ && !order_.empty()) {
    const Entry e = order_.front();
    order_.pop_front();
    auto it = live_.find(e.digest);
    if (it == live_.end() || it->second != e.seq) continue;  // removed or added again since
    live_.erase(it);
    unwritten_.erase(e.digest);
    dropped.push_back(e.digest);
  }
  return dropped;
}

void Tombstones::compactLocked() {
  // Removed and re-added names leave stale entries behind; keep them from piling up.
  if (order_.size() <= 2 * live_.size() + 64) return;
  std::deque<Entry> kept;
  for (const auto& e : order_) {
    auto it = live_.find(e.digest);
    if (it != live_.end() && it->second == e.seq) kept.push_back(e);
  }
  order_.swap(kept);
}

void Tombstones::removeEntity(const Digest& d, const char* why) {
  if (!entities_) return;
  try {
    entities_->remove(kCollection, idOf(d), "");
  } catch (const NotFound&) {
  } catch (const std::exception& e) {
    log_.warning("hdf: %s tombstone %s (entities collection %s) failed: %s", std::string(why), idOf(d),
                 std::string(kCollection), std::string(e.what()));
  }
}

void Tombstones::add(const std::string& key) {
  if (capacity_ == 0) return;
  const Digest d = digestOf(key);
  std::lock_guard<std::mutex> writing(writeMutex_);
  bool written = true;
  if (entities_) {
    const std::string id = idOf(d);
    try {
      auto body = describe(key);
      // Strictly increasing, so that start-up restores the order of deletion.
      lastDeleted_ = std::max<int64_t>(lastDeleted_ + 1, Poco::Timestamp().epochMicroseconds());
      body->set("deleted", lastDeleted_);
      try {
        entities_->create(kCollection, id, body);
      } catch (const Conflict&) {
        // Deleted before and not re-created through this server: write it again, so that it
        // counts as the newest at the next start-up too.
        entities_->update(kCollection, id, body, "");
      }
    } catch (const std::exception& e) {
      log_.warning("hdf: writing tombstone %s (entities collection %s) failed; it is kept in memory only: %s",
                   id, std::string(kCollection), std::string(e.what()));
      written = false;
    }
  }
  std::deque<Digest> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (written)
      unwritten_.erase(d);
    else
      unwritten_.insert(d);
    const uint64_t seq = nextSeq_++;
    live_[d] = seq;
    order_.push_back({d, seq});
    dropped = evictLocked();
    compactLocked();
  }
  for (const auto& old : dropped) removeEntity(old, "evicting");
}

void Tombstones::remove(const std::string& key) {
  const Digest d = digestOf(key);
  if (!entities_) {
    // The common case (a name that was never deleted) ends here.
    std::lock_guard<std::mutex> lock(mutex_);
    if (!live_.count(d)) return;
  }
  std::lock_guard<std::mutex> writing(writeMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unwritten_.erase(d);
    auto it = live_.find(d);
    if (it != live_.end()) {
      live_.erase(it);
      compactLocked();
    }
  }
  if (!entities_) return;
  // Another node may have written it: the store says (a read; a write only if there is one).
  try {
    if (!entities_->find(kCollection, idOf(d))) return;
  } catch (const std::exception& e) {
    log_.warning("hdf: reading tombstone %s (entities collection %s) failed: %s", idOf(d),
                 std::string(kCollection), std::string(e.what()));
  }
  removeEntity(d, "removing");
}

bool Tombstones::contains(const std::string& key) const {
  const Digest d = digestOf(key);
  if (entities_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (unwritten_.count(d)) return true;
    }
    // The store is the truth: other nodes on the same store add and remove tombstones too.
    try {
      return entities_->find(kCollection, idOf(d)).has_value();
    } catch (const std::exception& e) {
      log_.warning("hdf: reading tombstone %s (entities collection %s) failed; answering from memory: %s",
                   idOf(d), std::string(kCollection), std::string(e.what()));
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  return live_.count(d) != 0;
}

std::size_t Tombstones::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_.size();
}

std::string Tombstones::linkKey(const std::string& container, const std::string& group,
                                const std::string& name) {
  return "L" + container + '\0' + canonicalId(group) + '\0' + name;
}

std::string Tombstones::containerKey(const std::string& container) { return "C" + container; }

}  // namespace strata::hdf
