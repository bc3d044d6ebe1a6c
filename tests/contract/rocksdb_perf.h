#pragma once
// RocksDB's per-thread perf counters, for tests that show how much a store call reads.
// Only the struct layout and the enum come from the headers: the functions are looked up at
// run time in the librocksdb that the backend module loaded (the tests do not link RocksDB).
#include <dlfcn.h>
#include <link.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <cstdint>
#include <string>

namespace strata::test {

// RocksDB's per-thread perf counters, from the librocksdb the backend module loaded.
class RocksDbPerf {
 public:
  RocksDbPerf() {
    std::string path;
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
          const std::string name = info->dlpi_name ? info->dlpi_name : "";
          if (name.find("/librocksdb.so") == std::string::npos) return 0;
          *static_cast<std::string*>(data) = name;
          return 1;
        },
        &path);
    if (path.empty()) return;
    // NOLOAD: only a handle on the copy already loaded (the reference it adds is kept).
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!lib) return;
    context_ = reinterpret_cast<rocksdb::PerfContext* (*)()>(dlsym(lib, "_ZN7rocksdb16get_perf_contextEv"));
    setLevel_ = reinterpret_cast<void (*)(rocksdb::PerfLevel)>(
        dlsym(lib, "_ZN7rocksdb12SetPerfLevelENS_9PerfLevelE"));
  }
  ~RocksDbPerf() {
    if (setLevel_) setLevel_(rocksdb::PerfLevel::kDisable);
  }
  bool found() const { return context_ && setLevel_; }

  struct Counts {
    uint64_t gets = 0;        // point lookups (one memtable each: the test stays in one)
    uint64_t valueBytes = 0;  // bytes of the values they found
    uint64_t iterBytes = 0;   // bytes iterators went through
    uint64_t blocks = 0;      // table blocks read, from the cache or from the files
  };
  // What fn() read, on this thread.
  template <typename Fn>
  Counts count(Fn fn) {
    setLevel_(rocksdb::PerfLevel::kEnableCount);
    const Counts before = now();
    fn();
    const Counts after = now();
    return {after.gets - before.gets, after.valueBytes - before.valueBytes,
            after.iterBytes - before.iterBytes, after.blocks - before.blocks};
  }

 private:
  Counts now() const {
    const rocksdb::PerfContext& p = *context_();
    return {p.get_from_memtable_count, p.get_read_bytes + p.multiget_read_bytes, p.iter_read_bytes,
            p.block_cache_hit_count + p.block_read_count};
  }
  rocksdb::PerfContext* (*context_)() = nullptr;
  void (*setLevel_)(rocksdb::PerfLevel) = nullptr;
};

}  // namespace strata::test
