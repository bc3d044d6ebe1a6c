// strata_rocksdb_direct: the same-run reference for bench/rocksdb_bench.sh. Plain RocksDB calls
// on the keys and values the rocksdb backend keeps (docs/storage.md, "Layout: arrays_chunks"
// and "Layout" of entities), opened with the options the backend opens its databases with, so
// that the benchmark can tell what the store, the hdf plugin and HTTP cost on top of RocksDB
// itself. It links only RocksDB, never strata_core, and builds its keys itself (the benchmark's
// sha256 checks show that they are the backend's keys).
//
//   strata_rocksdb_direct read     DIR SEL [N]          N timed reads of the selection, MB/s each
//   strata_rocksdb_direct write    DIR SEL DATA [N]     N timed writes of DATA into it, MB/s each
//   strata_rocksdb_direct dump     DIR SEL OUT          the selection's bytes into the file OUT
//   strata_rocksdb_direct reads    DIR SEL SECONDS      reads of the selection for SECONDS: reads/s
//   strata_rocksdb_direct session  DIR                  the commands above without DIR, one per
//                                                       line on stdin, on one open database; one
//                                                       answer line each (figures separated by
//                                                       spaces; "ok BYTES" for dump)
//   strata_rocksdb_direct entities DIR N                in a new database at DIR: N creates, N
//                                                       gets, N conditional updates; prints the
//                                                       three rates (operations/s)
//   strata_rocksdb_direct entity   DIR COLLECTION ID    prints the stored record of an entity
//
// SEL is CONTAINER DATASET-ID CHUNK-ROWS CHUNK-COLS ELEMENT-BYTES ROW0 NROWS COL0 NCOLS: the 2-D
// hyperslab [ROW0:ROW0+NROWS, COL0:COL0+NCOLS] of a dataset stored in chunks of CHUNK-ROWS x
// CHUNK-COLS elements, as the hdf plugin's rocksdb store keeps it in the column family
// arrays_chunks: key = CONTAINER \0\1 DATASET-ID \0\1 chunk row (big-endian uint64) chunk column
// (big-endian uint64), value = the chunk's elements in C order, edge chunks full-size. The
// selection's bytes are in C order, as the hdf plugin's binary GET answers them.
//
// What is timed, so the baseline is the strict one (the database is already open, every buffer
// allocated and touched before the clock starts):
// - read: one Get per chunk the selection touches (into a PinnableSlice, in row-major chunk
//   order, as the store reads them), and the copy of the selection's part of each chunk into the
//   output buffer. A chunk never written reads as zeros (the benchmark's datasets have no fill
//   value).
// - write: the chunks the selection touches, written in WriteBatches of at most 64 MiB of chunk
//   bytes (the store's kBatchBytes) with default WriteOptions (the store's sync = false): a chunk
//   the selection covers whole, and whose bytes lie contiguous in DATA (chunks of whole rows), is
//   put straight from DATA; any other chunk is assembled in a buffer first, over its stored bytes
//   (one Get) if the selection covers it only in part. The store also writes the dataset's and
//   the container's documents in its last batch; this program does not.
// - entities: the RocksDB calls each operation of the entity store needs, without the store
//   (no JSON parsing or building, no UUIDs): create = Get (must be NotFound) + Put, get = Get,
//   conditional update = Get + compare the stored etag with the expected one + Put. The records
//   are byte for byte in the store's format ({"etag":…,"version":…,"created":…,"modified":…,
//   "body":…}, etags of UUID length), key = COLLECTION \0\1 ID, in the column family entities;
//   the bodies, ids and random order are those of strata_entity_bench (bench/entity_bench.cpp).
//   One thread; a mutex around each read-check-write, as the store's striped mutex.
//
// Options: those of backends/rocksdb/rocksdb_db.cpp (familyOptions, openNew) at their defaults
// (compression lz4 when the library supports it, a 64 MiB LRU block cache shared by every
// column family, a Bloom filter of 10 bits per key, blob files for the blobs family,
// keep_log_file_num = 5, bytes_per_sync = 1 MiB, max_total_wal_size = 256 MiB, info_log_level = INFO_LEVEL),
// every family the backend knows plus any others the database holds. rocksdb_bench.sh compares the OPTIONS
// file this program leaves with the server's, so a drift shows (the LOG's verbosity aside; the backend's own
// LOG writer and event listeners are not options and are not copied here).
#include "bench_common.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using strata::bench::Clock;
using strata::bench::entityBody;
using strata::bench::entityId;
using strata::bench::seconds;
using strata::bench::XorShift;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_rocksdb_direct: %s\n", message.c_str());
  std::exit(1);
}

void ok(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) die(what + ": " + s.ToString());
}

uint64_t number(const std::string& text, const char* what) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') die(std::string("bad ") + what + " '" + text + "'");
  return v;
}

// ---- keys, as backends/rocksdb/rocksdb_keys.h writes them (docs/storage.md, "Layout")

void appendComponent(std::string& key, const std::string& part) {
  for (char c : part) {
    key.push_back(c);
    if (c == '\0') key.push_back('\xff');
  }
  key.push_back('\0');
  key.push_back('\x01');
}

void appendBigEndian64(std::string& key, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(v >> shift));
}

// ---- the database, opened as backends/rocksdb/rocksdb_db.cpp opens it

const char* const kKnownFamilies[] = {"default", "entities",  "annotations", "annotations_index",
                                      "blobs",   "blob_refs", "arrays_meta", "arrays_chunks"};

rocksdb::ColumnFamilyOptions familyOptions(const std::string& name,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  const auto supported = rocksdb::GetSupportedCompressions();
  cf.compression = std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()
                       ? rocksdb::kLZ4Compression
                       : rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (name == "blobs") {
    cf.enable_blob_files = true;
    cf.min_blob_size = 64 << 10;
    cf.blob_compression_type = cf.compression;
    cf.enable_blob_garbage_collection = true;
  }
  return cf;
}

class Db {
 public:
  explicit Db(const std::string& dir) {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.keep_log_file_num = 5;
    options.bytes_per_sync = 1 << 20;
    options.max_total_wal_size = 256ull << 20;
    options.info_log_level = rocksdb::InfoLogLevel::INFO_LEVEL;
    std::vector<std::string> names(std::begin(kKnownFamilies), std::end(kKnownFamilies));
    if (std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
      std::vector<std::string> existing;
      ok(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &existing),
         "listing the column families of " + dir);
      for (const auto& n : existing)
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    // The backend's shard sizing (rocksdb_db.cpp, cacheShardBits): 4 shards of 16 MiB.
    auto cache = rocksdb::NewLRUCache(64ull << 20, 2);
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names) descriptors.emplace_back(n, familyOptions(n, cache));
    rocksdb::DB* raw = nullptr;
    ok(rocksdb::DB::Open(options, dir, descriptors, &handles_, &raw), "opening " + dir);
    db_.reset(raw);
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == "arrays_chunks")
        chunks_ = handles_[i];
      else if (names[i] == "entities")
        entities_ = handles_[i];
  }
  ~Db() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    ok(db_->Close(), "closing the database");
  }
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* chunks() const { return chunks_; }
  rocksdb::ColumnFamilyHandle* entities() const { return entities_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* chunks_ = nullptr;
  rocksdb::ColumnFamilyHandle* entities_ = nullptr;
};

// ---- dataset values

struct Sel {
  std::string prefix;  // CONTAINER \0\1 DATASET-ID \0\1
  uint64_t chunk[2], esize, start[2], count[2];
  uint64_t bytes() const { return count[0] * count[1] * esize; }
  uint64_t chunkBytes() const { return chunk[0] * chunk[1] * esize; }
};

constexpr int kSelArgs = 9;

Sel selOf(const std::vector<std::string>& a, std::size_t at) {
  if (a.size() < at + kSelArgs)
    die("a selection is CONTAINER DATASET-ID CHUNK-ROWS CHUNK-COLS ELEMENT-BYTES ROW0 NROWS COL0 "
        "NCOLS");
  Sel s;
  appendComponent(s.prefix, a[at]);
  appendComponent(s.prefix, a[at + 1]);
  s.chunk[0] = number(a[at + 2], "CHUNK-ROWS");
  s.chunk[1] = number(a[at + 3], "CHUNK-COLS");
  s.esize = number(a[at + 4], "ELEMENT-BYTES");
  s.start[0] = number(a[at + 5], "ROW0");
  s.count[0] = number(a[at + 6], "NROWS");
  s.start[1] = number(a[at + 7], "COL0");
  s.count[1] = number(a[at + 8], "NCOLS");
  if (!s.chunk[0] || !s.chunk[1] || !s.esize || !s.count[0] || !s.count[1]) die("empty chunk or selection");
  return s;
}

// Calls fn(key, chunk row, chunk col, rows [r0, r1) and cols [c0, c1) of the selection inside
// the chunk, in dataset coordinates) for each chunk the selection touches, in row-major order.
template <typename Fn>
void forEachChunk(const Sel& s, Fn&& fn) {
  const uint64_t rEnd = s.start[0] + s.count[0], cEnd = s.start[1] + s.count[1];
  std::string key;
  for (uint64_t i = s.start[0] / s.chunk[0]; i * s.chunk[0] < rEnd; ++i)
    for (uint64_t j = s.start[1] / s.chunk[1]; j * s.chunk[1] < cEnd; ++j) {
      key = s.prefix;
      appendBigEndian64(key, i);
      appendBigEndian64(key, j);
      fn(key, i, j, std::max(s.start[0], i * s.chunk[0]), std::min(rEnd, (i + 1) * s.chunk[0]),
         std::max(s.start[1], j * s.chunk[1]), std::min(cEnd, (j + 1) * s.chunk[1]));
    }
}

void readSel(Db& db, const Sel& s, char* out) {
  const rocksdb::ReadOptions ro;
  rocksdb::PinnableSlice chunk;
  forEachChunk(s, [&](const std::string& key, uint64_t i, uint64_t j, uint64_t r0, uint64_t r1, uint64_t c0,
                      uint64_t c1) {
    chunk.Reset();
    const rocksdb::Status st = db.db().Get(ro, db.chunks(), key, &chunk);
    const bool found = st.ok();
    if (!found && !st.IsNotFound()) ok(st, "reading a chunk");
    if (found && chunk.size() != s.chunkBytes())
      die("a chunk holds " + std::to_string(chunk.size()) + " bytes, not " + std::to_string(s.chunkBytes()) +
          ": wrong chunk shape or element size");
    const std::size_t run = (c1 - c0) * s.esize;
    for (uint64_t r = r0; r < r1; ++r) {
      char* to = out + ((r - s.start[0]) * s.count[1] + (c0 - s.start[1])) * s.esize;
      if (found)
        std::memcpy(to, chunk.data() + ((r - i * s.chunk[0]) * s.chunk[1] + (c0 - j * s.chunk[1])) * s.esize,
                    run);
      else
        std::memset(to, 0, run);
    }
  });
}

void writeSel(Db& db, const Sel& s, const char* in) {
  constexpr uint64_t kBatchBytes = 64 << 20;
  const rocksdb::WriteOptions wo;
  const rocksdb::ReadOptions ro;
  rocksdb::WriteBatch batch;
  uint64_t pending = 0;
  std::string value;  // an assembled chunk (Put copies it into the batch)
  forEachChunk(s, [&](const std::string& key, uint64_t i, uint64_t j, uint64_t r0, uint64_t r1, uint64_t c0,
                      uint64_t c1) {
    const bool whole = r0 == i * s.chunk[0] && r1 == (i + 1) * s.chunk[0] && c0 == j * s.chunk[1] &&
                       c1 == (j + 1) * s.chunk[1];
    if (whole && s.count[1] == s.chunk[1]) {
      // The chunk's rows are consecutive whole rows of the selection: contiguous in `in`.
      const char* from = in + (r0 - s.start[0]) * s.count[1] * s.esize;
      ok(batch.Put(db.chunks(), key, rocksdb::Slice(from, s.chunkBytes())), "batching a chunk");
    } else {
      value.clear();
      if (!whole) {
        const rocksdb::Status st = db.db().Get(ro, db.chunks(), key, &value);
        if (!st.ok() && !st.IsNotFound()) ok(st, "reading a chunk");
      }
      value.resize(s.chunkBytes(), '\0');
      const std::size_t run = (c1 - c0) * s.esize;
      for (uint64_t r = r0; r < r1; ++r)
        std::memcpy(value.data() + ((r - i * s.chunk[0]) * s.chunk[1] + (c0 - j * s.chunk[1])) * s.esize,
                    in + ((r - s.start[0]) * s.count[1] + (c0 - s.start[1])) * s.esize, run);
      ok(batch.Put(db.chunks(), key, value), "batching a chunk");
    }
    pending += s.chunkBytes();
    if (pending >= kBatchBytes) {
      ok(db.db().Write(wo, &batch), "writing a batch");
      batch.Clear();
      pending = 0;
    }
  });
  if (batch.Count() > 0) ok(db.db().Write(wo, &batch), "writing a batch");
}

// A buffer of `bytes`, every page touched.
std::vector<char> buffer(uint64_t bytes) { return std::vector<char>(static_cast<std::size_t>(bytes), 0); }

std::vector<char> load(const std::string& path, uint64_t bytes) {
  std::vector<char> data = buffer(bytes);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) die("cannot open " + path);
  if (std::fread(data.data(), 1, data.size(), f) != data.size()) die(path + " is shorter than the selection");
  std::fclose(f);
  return data;
}

// One command on an open database; returns its answer line.
std::string run(Db& db, const std::vector<std::string>& a) {
  const std::string& mode = a.empty() ? "" : a[0];
  std::ostringstream answer;
  answer.setf(std::ios::fixed);
  answer.precision(1);
  if (mode == "read" || mode == "write") {
    const bool write = mode == "write";
    const std::size_t fixed = 1 + kSelArgs + (write ? 1 : 0);
    if (a.size() < fixed || a.size() > fixed + 1)
      die(write ? "usage: write SEL DATA [N]" : "usage: read SEL [N]");
    const Sel s = selOf(a, 1);
    const uint64_t repeat = a.size() > fixed ? number(a[fixed], "N") : 1;
    std::vector<char> data = write ? load(a[1 + kSelArgs], s.bytes()) : buffer(s.bytes());
    for (uint64_t k = 0; k < repeat; ++k) {
      const auto t0 = Clock::now();
      if (write)
        writeSel(db, s, data.data());
      else
        readSel(db, s, data.data());
      const auto t1 = Clock::now();
      answer << (k ? " " : "") << static_cast<double>(s.bytes()) / seconds(t0, t1) / 1e6;
    }
  } else if (mode == "dump") {
    if (a.size() != 2 + kSelArgs) die("usage: dump SEL OUT");
    const Sel s = selOf(a, 1);
    std::vector<char> data = buffer(s.bytes());
    readSel(db, s, data.data());
    FILE* f = std::fopen(a[1 + kSelArgs].c_str(), "wb");
    if (!f || std::fwrite(data.data(), 1, data.size(), f) != data.size() || std::fclose(f) != 0)
      die("cannot write " + a[1 + kSelArgs]);
    answer << "ok " << data.size();
  } else if (mode == "reads") {
    if (a.size() != 2 + kSelArgs) die("usage: reads SEL SECONDS");
    const Sel s = selOf(a, 1);
    const double limit = static_cast<double>(number(a[1 + kSelArgs], "SECONDS"));
    std::vector<char> data = buffer(s.bytes());
    uint64_t n = 0;
    double elapsed = 0;
    const auto t0 = Clock::now();
    while (elapsed < limit) {
      readSel(db, s, data.data());
      ++n;
      elapsed = seconds(t0, Clock::now());
    }
    answer << static_cast<double>(n) / elapsed;
  } else {
    die("unknown command '" + mode + "' (see the comment at the top of bench/rocksdb_direct.cpp)");
  }
  return answer.str();
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ---- entities

// Ids, bodies and access order: bench_common.h, as strata_entity_bench.
int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A UUID-shaped etag (36 characters, as the store's), from a counter.
std::string etagOf(uint64_t n) {
  char e[40];
  std::snprintf(e, sizeof e, "%08llx-0000-4000-8000-%012llx", static_cast<unsigned long long>(n >> 48),
                static_cast<unsigned long long>(n & 0xffffffffffffull));
  return e;
}

std::string record(const std::string& etag, int64_t version, int64_t created, int64_t modified,
                   const std::string& body) {
  std::string out;
  out.reserve(body.size() + 128);
  out += "{\"etag\":\"";
  out += etag;
  out += "\",\"version\":";
  out += std::to_string(version);
  out += ",\"created\":";
  out += std::to_string(created);
  out += ",\"modified\":";
  out += std::to_string(modified);
  out += ",\"body\":";
  out += body;
  out += '}';
  return out;
}

int entities(const std::string& dir, uint64_t n) {
  if (std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) die(dir + " already holds a database");
  if (n == 0) die("N must be positive");
  Db db(dir);
  rocksdb::ColumnFamilyHandle* cf = db.entities();
  const rocksdb::ReadOptions ro;
  const rocksdb::WriteOptions wo;
  std::mutex mutex;
  std::string prefix;
  appendComponent(prefix, "bench");
  std::vector<std::string> etags(n);
  std::vector<int64_t> versions(n, 1), created(n);
  uint64_t etagCounter = 1;
  std::string value, key;
  const auto keyOf = [&](uint64_t i) {
    key = prefix;
    key += entityId(i);
    return key;
  };

  // The bodies are built outside the clock: the store's caller hands it a body too.
  std::vector<std::string> bodies(n);
  for (uint64_t i = 0; i < n; ++i) bodies[i] = entityBody(i, 1);
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t now = nowMillis();
    std::lock_guard lock(mutex);
    const rocksdb::Status s = db.db().Get(ro, cf, keyOf(i), &value);
    if (!s.IsNotFound()) die("create: entity " + entityId(i) + " exists or the read failed: " + s.ToString());
    etags[i] = etagOf(etagCounter++);
    created[i] = now;
    ok(db.db().Put(wo, cf, key, record(etags[i], 1, now, now, bodies[i])), "creating an entity");
  }
  const double createRate = static_cast<double>(n) / seconds(t0, Clock::now());

  XorShift random;
  t0 = Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = random.next(n);
    ok(db.db().Get(ro, cf, keyOf(i), &value), "getting an entity");
  }
  const double getRate = static_cast<double>(n) / seconds(t0, Clock::now());

  std::vector<uint64_t> order(n);
  for (auto& i : order) i = random.next(n);
  for (uint64_t k = 0; k < n; ++k) bodies[k] = entityBody(order[k], 2);
  t0 = Clock::now();
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t i = order[k];
    const int64_t now = nowMillis();
    std::lock_guard lock(mutex);
    ok(db.db().Get(ro, cf, keyOf(i), &value), "reading an entity to update");
    // {"etag":"<36 characters>"...
    if (value.compare(9, 36, etags[i]) != 0) die("update: etag mismatch on " + entityId(i));
    etags[i] = etagOf(etagCounter++);
    ok(db.db().Put(wo, cf, key, record(etags[i], ++versions[i], created[i], now, bodies[k])),
       "updating an entity");
  }
  const double updateRate = static_cast<double>(n) / seconds(t0, Clock::now());
  std::printf("%.0f %.0f %.0f\n", createRate, getRate, updateRate);
  return 0;
}

int entity(const std::string& dir, const std::string& collection, const std::string& id) {
  Db db(dir);
  std::string key, value;
  appendComponent(key, collection);
  key += id;
  ok(db.db().Get(rocksdb::ReadOptions(), db.entities(), key, &value), "reading entity " + id);
  std::printf("%s\n", value.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2)
    die("usage: strata_rocksdb_direct read|write|dump|reads|session|entities|entity DIR ... (see "
        "the comment at the top of bench/rocksdb_direct.cpp)");
  const std::string& mode = args[0];
  const std::string& dir = args[1];
  if (mode == "entities") {
    if (args.size() != 3) die("usage: entities DIR N");
    return entities(dir, number(args[2], "N"));
  }
  if (mode == "entity") {
    if (args.size() != 4) die("usage: entity DIR COLLECTION ID");
    return entity(dir, args[2], args[3]);
  }
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) die(dir + " holds no database");
  Db db(dir);
  if (mode == "session") {
    for (std::string line; std::getline(std::cin, line);) {
      const std::vector<std::string> a = words(line);
      if (a.empty()) continue;
      if (a[0] == "quit") break;
      std::printf("%s\n", run(db, a).c_str());
      std::fflush(stdout);
    }
    return 0;
  }
  std::vector<std::string> command{mode};
  command.insert(command.end(), args.begin() + 2, args.end());
  const std::string answer = run(db, command);
  if (mode == "read" || mode == "write") {
    // One figure per line, as strata_h5_direct prints them.
    for (const auto& w : words(answer)) std::printf("%s\n", w.c_str());
  } else {
    std::printf("%s\n", answer.c_str());
  }
  return 0;
}
