// strata_h5_direct: the same-run reference for bench/hdf_bench.sh. Plain HDF5 C API calls on a
// copy of the file that the hdf plugin wrote (same library, same layout, same page cache), so
// the benchmark can tell what the HTTP path costs on top of HDF5 itself. It links only HDF5,
// never strata_core.
//
//   strata_h5_direct gen   OUT BYTES SEED                         float64 test data (see below)
//   strata_h5_direct read  FILE DSET ROW0 NROWS COL0 NCOLS [N]    N timed H5Dread, MB/s each
//   strata_h5_direct write FILE DSET ROW0 NROWS COL0 NCOLS DATA [N]
//                                                                 N timed H5Dwrite + H5Fflush
//   strata_h5_direct dump  FILE DSET ROW0 NROWS COL0 NCOLS        the selection's bytes to stdout
//   strata_h5_direct tiles FILE DSET SIZE SECONDS                 SIZExSIZE reads at random
//                                                                 offsets for SECONDS: reads/s
//
// With --mem-1d before the mode, read, write and tiles describe the memory buffer as a 1-D
// dataspace of the selection's element count instead of a 2-D one of the selection's shape.
// That is what backends/hdf5 does today (selectPiece), and HDF5 1.10 then maps the selection to
// chunks element by element, because the two dataspaces are not "the same shape"; the option
// lets the benchmark show how much of the gap to direct HDF5 that choice explains.
//
// DSET is a path in the file (the benchmark links its datasets into the root group). The
// selection is the 2-D hyperslab [ROW0:ROW0+NROWS, COL0:COL0+NCOLS]; memory is a contiguous
// C-order buffer of the dataset's own type (no conversion, as the hdf5 backend reads). MB/s
// are 10^6 bytes per second, printed one figure per line.
//
// What is timed, so the baseline is the strict one: the buffer is allocated and touched before
// the clock starts, the file is already open; a read times H5Dopen + H5Dread + H5Dclose, a
// write H5Dopen + H5Dwrite + H5Dclose + H5Fflush (the backend flushes after every write with
// its default flush = true; neither side calls fsync).
//
// gen writes BYTES (a multiple of 8) of little-endian float64 values, uniform in
// [-1000, 1000), from a fixed xorshift generator: realistic numbers (17-19 characters as JSON
// text), no NaNs, and the same bytes for the same SEED.
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

bool memory1d = false;  // --mem-1d

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "strata_h5_direct: %s\n", message.c_str());
  std::exit(1);
}

// Every HDF5 call is checked: a failed read must not look like a fast one.
hid_t must(hid_t id, const char* what) {
  if (id < 0) die(std::string("HDF5 failed: ") + what);
  return id;
}
void ok(herr_t rc, const char* what) {
  if (rc < 0) die(std::string("HDF5 failed: ") + what);
}

uint64_t number(const char* text, const char* what) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') die(std::string("bad ") + what + " '" + text + "'");
  return v;
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Slab {
  hsize_t start[2];
  hsize_t count[2];
  uint64_t elements() const { return count[0] * count[1]; }
};

Slab slabOf(char** argv) {
  Slab s;
  s.start[0] = number(argv[0], "ROW0");
  s.count[0] = number(argv[1], "NROWS");
  s.start[1] = number(argv[2], "COL0");
  s.count[1] = number(argv[3], "NCOLS");
  return s;
}

// The dataset's element size, checked to be a 2-D dataset the slab fits in.
std::size_t elementSize(hid_t file, const char* path, const Slab& s) {
  const hid_t d = must(H5Dopen2(file, path, H5P_DEFAULT), "H5Dopen2");
  const hid_t space = must(H5Dget_space(d), "H5Dget_space");
  hsize_t dims[2];
  if (H5Sget_simple_extent_ndims(space) != 2) die(std::string(path) + " is not 2-D");
  H5Sget_simple_extent_dims(space, dims, nullptr);
  for (int i = 0; i < 2; ++i) {
    if (s.start[i] + s.count[i] > dims[i]) die("the selection is outside the dataset's extent");
  }
  const hid_t type = must(H5Dget_type(d), "H5Dget_type");
  const std::size_t size = H5Tget_size(type);
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
  return size;
}

// One H5Dread or H5Dwrite of the slab, with the dataset opened and closed around it as the
// backend does per request.
void transfer(hid_t file, const char* path, const Slab& s, char* buf, bool write) {
  const hid_t d = must(H5Dopen2(file, path, H5P_DEFAULT), "H5Dopen2");
  const hid_t type = must(H5Dget_type(d), "H5Dget_type");
  const hid_t fspace = must(H5Dget_space(d), "H5Dget_space");
  ok(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, s.start, nullptr, s.count, nullptr), "H5Sselect_hyperslab");
  const hsize_t elements = s.elements();
  const hid_t mspace = memory1d ? must(H5Screate_simple(1, &elements, nullptr), "H5Screate_simple")
                                : must(H5Screate_simple(2, s.count, nullptr), "H5Screate_simple");
  if (write) {
    ok(H5Dwrite(d, type, mspace, fspace, H5P_DEFAULT, buf), "H5Dwrite");
  } else {
    ok(H5Dread(d, type, mspace, fspace, H5P_DEFAULT, buf), "H5Dread");
  }
  H5Sclose(mspace);
  H5Sclose(fspace);
  H5Tclose(type);
  H5Dclose(d);
  if (write) ok(H5Fflush(file, H5F_SCOPE_LOCAL), "H5Fflush");
}

int gen(int argc, char** argv) {
  if (argc != 5) die("usage: gen OUT BYTES SEED");
  const uint64_t bytes = number(argv[3], "BYTES");
  if (bytes % 8 != 0) die("BYTES must be a multiple of 8");
  uint64_t x = number(argv[4], "SEED") * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  FILE* out = std::fopen(argv[2], "wb");
  if (!out) die(std::string("cannot create ") + argv[2]);
  std::vector<double> block(1 << 17);
  for (uint64_t done = 0; done < bytes;) {
    const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(block.size(), (bytes - done) / 8));
    for (std::size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      block[i] = static_cast<double>(x >> 11) / 9007199254740992.0 * 2000.0 - 1000.0;  // 53 random bits
    }
    if (std::fwrite(block.data(), 8, n, out) != n) die("write error");
    done += n * 8;
  }
  if (std::fclose(out) != 0) die("write error");
  return 0;
}

int readWrite(int argc, char** argv, bool write, bool dump) {
  const int fixed = write ? 9 : 8;
  if (argc < fixed || argc > fixed + 1 || (dump && argc != fixed)) {
    die(write ? "usage: write FILE DSET ROW0 NROWS COL0 NCOLS DATA [N]"
              : "usage: read|dump FILE DSET ROW0 NROWS COL0 NCOLS [N]");
  }
  const char* path = argv[3];
  const Slab s = slabOf(argv + 4);
  const uint64_t repeat = argc > fixed ? number(argv[fixed], "N") : 1;
  const hid_t file = must(H5Fopen(argv[2], write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
  const std::size_t esize = elementSize(file, path, s);
  const uint64_t bytes = s.elements() * esize;
  std::vector<char> buf(bytes, 0);  // zeroed: every page is touched before the clock starts
  if (write) {
    FILE* in = std::fopen(argv[8], "rb");
    if (!in) die(std::string("cannot open ") + argv[8]);
    if (std::fread(buf.data(), 1, bytes, in) != bytes)
      die(std::string(argv[8]) + " is shorter than the selection");
    std::fclose(in);
  }
  for (uint64_t i = 0; i < repeat; ++i) {
    const auto t0 = Clock::now();
    transfer(file, path, s, buf.data(), write);
    const auto t1 = Clock::now();
    if (!dump) std::printf("%.1f\n", static_cast<double>(bytes) / seconds(t0, t1) / 1e6);
  }
  if (dump && std::fwrite(buf.data(), 1, bytes, stdout) != bytes) die("write error on stdout");
  ok(H5Fclose(file), "H5Fclose");
  return 0;
}

int tiles(int argc, char** argv) {
  if (argc != 6) die("usage: tiles FILE DSET SIZE SECONDS");
  const char* path = argv[3];
  const hsize_t size = number(argv[4], "SIZE");
  const double limit = static_cast<double>(number(argv[5], "SECONDS"));
  const hid_t file = must(H5Fopen(argv[2], H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen");
  const hid_t d = must(H5Dopen2(file, path, H5P_DEFAULT), "H5Dopen2");
  const hid_t type = must(H5Dget_type(d), "H5Dget_type");
  const hid_t fspace = must(H5Dget_space(d), "H5Dget_space");
  hsize_t dims[2];
  if (H5Sget_simple_extent_ndims(fspace) != 2) die(std::string(path) + " is not 2-D");
  H5Sget_simple_extent_dims(fspace, dims, nullptr);
  if (size > dims[0] || size > dims[1]) die("the tile is larger than the dataset");
  const hsize_t count[2] = {size, size}, elements = size * size;
  const hid_t mspace = memory1d ? must(H5Screate_simple(1, &elements, nullptr), "H5Screate_simple")
                                : must(H5Screate_simple(2, count, nullptr), "H5Screate_simple");
  std::vector<char> buf(size * size * H5Tget_size(type), 0);
  uint64_t x = 88172645463325252ull, n = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  // The dataset stays open (the server reopens it per request): this is HDF5's own ceiling.
  while (elapsed < limit) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const hsize_t start[2] = {(x >> 8) % (dims[0] - size + 1), (x >> 36) % (dims[1] - size + 1)};
    ok(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
    ok(H5Dread(d, type, mspace, fspace, H5P_DEFAULT, buf.data()), "H5Dread");
    ++n;
    elapsed = seconds(t0, Clock::now());
  }
  std::printf("%.1f\n", static_cast<double>(n) / elapsed);
  H5Sclose(mspace);
  H5Sclose(fspace);
  H5Tclose(type);
  H5Dclose(d);
  ok(H5Fclose(file), "H5Fclose");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--mem-1d") {
    memory1d = true;
    ++argv;
    --argc;
  }
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "gen") return gen(argc, argv);
  if (mode == "read") return readWrite(argc, argv, false, false);
  if (mode == "dump") return readWrite(argc, argv, false, true);
  if (mode == "write") return readWrite(argc, argv, true, false);
  if (mode == "tiles") return tiles(argc, argv);
  die("usage: strata_h5_direct gen|read|write|dump|tiles ... (see the comment at the top of "
      "bench/h5_direct.cpp)");
}
