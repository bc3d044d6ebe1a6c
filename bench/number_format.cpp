// The ceiling of a JSON value read: how fast this machine writes float64 values as the
// shortest text that reads back as the same value (std::to_chars, what plugins/hdf/values.cpp
// uses), with nothing else around it: no store, no socket, no nesting brackets.
//
//   strata_number_format FILE [ROUNDS]   FILE: little-endian float64 values, such as
//                                        `strata_h5_direct gen FILE BYTES SEED` writes
//
// Prints one line per round: ns per value and MB/s of JSON text (10^6 bytes/s), the same unit
// as hdf_bench.sh's JSON rows. Links nothing of Strata's.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: strata_number_format FILE [ROUNDS]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t n = bytes.size() / sizeof(double);
  if (n == 0) {
    std::fprintf(stderr, "no float64 values in %s\n", argv[1]);
    return 1;
  }
  std::vector<double> values(n);
  std::memcpy(values.data(), bytes.data(), n * sizeof(double));
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<char> out(n * 32);
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    char* p = out.data();
    for (double v : values) {
      p = std::to_chars(p, p + 32, v).ptr;
      *p++ = ',';
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%zu values, %.1f ns/value, %.0f MB/s of text\n", n, s * 1e9 / static_cast<double>(n),
                static_cast<double>(p - out.data()) / s / 1e6);
  }
  return 0;
}
